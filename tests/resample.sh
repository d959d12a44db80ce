# resample(1): exact length, alignment (phase against the ideal rendering),
# SNR per quality, same-rate copy, chunking independence, hold-back,
# usage errors, environment, EPIPE.
source "$(dirname "$0")/lib.sh"

# round(n * out / in), as the tool promises.
rounded() { echo $(( (2 * $1 * $3 + $2) / (2 * $2) )); }

# snr_field FIELD < "snr=.. lag=.. samples=.."
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

# at_least A B: A >= B for decimals.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

tone -r 8000 -f 1000 -n 4000 >"$T/t8"

## Length: N samples in, round(N * out / in) out, tiny N included.
for q in medium fir speex best fastest; do
	for pair in 8000:24000 16000:24000 24000:16000 44100:24000 48000:24000 8000:11025; do
		i=${pair%:*} o=${pair#*:} bad=
		for n in 0 1 2 3 4 5 7 160 161 1001; do
			head -c $((2 * n)) "$T/t8" >"$T/in"
			got=$(resample -q $q -i $i -o $o <"$T/in" 2>"$T/err" | wc -c)
			want=$((2 * $(rounded $n $i $o)))
			[ "$got" = "$want" ] || bad="$bad n=$n:$got!=$want"
			[ -s "$T/err" ] && bad="$bad n=$n:stderr:$(cat "$T/err")"
		done
		if [ -z "$bad" ]; then
			pass "length round(N*out/in) q=$q $i->$o N=0..1001"
		else
			fail "length round(N*out/in) q=$q $i->$o" "bytes$bad"
		fi
	done
done

## A 60-minute call at 8 kHz ends exactly, not a sample short or long.
got=$(head -c $((2 * 8000 * 3600)) /dev/zero | resample -q fir -i 8000 | wc -c)
expect "length 60 minutes 8k->24k q=fir" $((2 * 24000 * 3600)) "$got"

## Nothing lost at the end: the last output sample is the converted
## signal, not padding.  1 kHz at 8 kHz, 8m + 3 samples: the last input
## sample is a crest (16384); the last three outputs, up to 1/3 input
## sample past it, are all well above 2000 (about 5000 at the lowest).
for q in medium fir speex best fastest; do
	v=$(tone -r 8000 -f 1000 -n 8003 | resample -q $q -i 8000 2>&1 | tail -c 6 |
	    od -An -td2 -v -w2 | tr -d ' ' | tr '\n' ' ')
	if echo $v | awk '{ for (i = 1; i <= 3; i++) if ($i < 2000) exit 1 }'; then
		pass "last samples carry the signal q=$q"
	else
		fail "last samples carry the signal q=$q" "last three: $v"
	fi
done

## SNR against the ideal rendering (nothing fitted, so alignment counts).
for q in medium fir speex best; do
	for i in 8000 16000; do
		for f in 300 1000 3100; do
			tone -r $i -f $f -n $i | resample -q $q -i $i -o 24000 >"$T/out"
			r=$(snr -r 24000 -f $f -s 30 <"$T/out")
			s=$(echo "$r" | field snr)
			if at_least "$s" 70; then
				pass "snr >= 70 dB q=$q $i->24000 f=$f"
			else
				fail "snr >= 70 dB q=$q $i->24000 f=$f" "$r"
			fi
		done
	done
done

## medium, fir (the default) and speex keep 3.1 kHz at 80 dB or better.
for q in medium fir speex; do
	r=$(tone -r 8000 -f 3100 -n 8000 | resample -q $q -i 8000 | snr -r 24000 -f 3100 -s 30)
	if at_least "$(echo "$r" | field snr)" 80; then
		pass "snr >= 80 dB q=$q 8000->24000 f=3100"
	else
		fail "snr >= 80 dB q=$q 8000->24000 f=3100" "$r"
	fi
done

## fir's and speex's pass band reaches 3.4 kHz at 8 kHz input (man page).
for q in fir speex; do
	r=$(tone -r 8000 -f 3400 -n 8000 | resample -q $q -i 8000 | snr -r 24000 -f 3400 -s 30)
	if at_least "$(echo "$r" | field snr)" 75; then
		pass "snr >= 75 dB q=$q 8000->24000 f=3400"
	else
		fail "snr >= 75 dB q=$q 8000->24000 f=3400" "$r"
	fi
done

## Phase: the fitted time shift of a tone is zero (to 1/100 sample).
for q in medium fir speex best fastest; do
	for i in 8000 16000; do
		r=$(tone -r $i -f 1000 -n $i | resample -q $q -i $i | snr -r 24000 -f 1000 -s 30)
		lag=$(echo "$r" | field lag)
		if awk -v l="$lag" 'BEGIN { exit !(l < 0.01 && l > -0.01) }'; then
			pass "aligned: lag 0 q=$q $i->24000"
		else
			fail "aligned: lag 0 q=$q $i->24000" "$r"
		fi
	done
done

## The analyser can fail: one output sample dropped at the start costs SNR.
r=$(tone -r 8000 -f 1000 -n 8000 | resample -i 8000 | tail -c +3 | snr -r 24000 -f 1000 -s 30)
if at_least 20 "$(echo "$r" | field snr)"; then
	pass "snr catches a one-sample shift"
else
	fail "snr catches a one-sample shift" "$r"
fi

## A 10-minute tone keeps its phase to the end (no drift).
tone -r 8000 -f 1000 -n 4800000 >"$T/long"
for q in medium fir speex; do
	r=$(resample -q $q -i 8000 <"$T/long" | tail -c 48000 | snr -r 24000 -f 1000 -s 30)
	if at_least "$(echo "$r" | field snr)" 80; then
		pass "no drift: last second of 10 minutes q=$q"
	else
		fail "no drift: last second of 10 minutes q=$q" "$r"
	fi
done
rm -f "$T/long"

## Full scale: filter overshoot clips to the 16-bit range, never wraps.
## A 200 Hz square at 8 kHz (20 samples at 32767, 20 at -32768): at
## 24 kHz every sample inside a half period keeps its sign.
{ printf '\377\177%.0s' $(seq 20); printf '\000\200%.0s' $(seq 20); } >"$T/period"
for i in $(seq 200); do cat "$T/period"; done >"$T/square"
for q in medium fir speex; do
	r=$(resample -q $q -i 8000 <"$T/square" | od -An -td2 -v -w2 | awk '
	    NR > 120 && NR < 23880 {
		m = (NR - 1) % 120
		if (m >= 1 && m <= 57 && $1 <= 0) bad++
		if (m >= 61 && m <= 117 && $1 >= 0) bad++
		if ($1 > max) max = $1
		if ($1 < min) min = $1
	    }
	    END { print "wrapped=" bad + 0, "max=" max, "min=" min }')
	expect "full scale clips, never wraps q=$q" "wrapped=0 max=32767 min=-32768" "$r"
done

## Reads of random size (odd bytes, half samples) give the same bytes.
tone -r 8000 -f 3100 -n 4000 >"$T/t8b"
tone -r 16000 -f 3100 -n 8000 >"$T/t16"
for q in medium fir speex best fastest; do
	for f in t8b t16; do
		i=$([ $f = t16 ] && echo 16000 || echo 8000)
		resample -q $q -i $i <"$T/$f" >"$T/whole"
		trickle -s 7 -m 777 -u 100 <"$T/$f" | resample -q $q -i $i >"$T/pieces"
		if cmp -s "$T/whole" "$T/pieces" && [ -s "$T/whole" ]; then
			pass "random-sized reads identical q=$q $i->24000"
		else
			fail "random-sized reads identical q=$q $i->24000" "$(cmp "$T/whole" "$T/pieces" 2>&1)"
		fi
	done
done

## Same rate: a byte-exact copy, whatever the reads.
head -c 100000 /dev/urandom >"$T/rand"
trickle -s 3 -m 5000 -u 50 <"$T/rand" | resample -i 16000 -o 16000 >"$T/copy"
if cmp -s "$T/rand" "$T/copy"; then
	pass "same rate is a byte-exact copy"
else
	fail "same rate is a byte-exact copy" "$(cmp "$T/rand" "$T/copy" 2>&1)"
fi

## Output leaves while the input is still open: only the look-ahead
## (H input samples) is held back.  feedhold blocks until that much came.
tone -r 8000 -f 1000 -n 800 >"$T/short"
for qh in fir:20 speex:32 medium:47 fastest:20 best:144; do
	q=${qh%:*} h=${qh#*:}
	run feedhold -b $((2 * 3 * (800 - h))) -- resample -q $q -i 8000 <"$T/short"
	expect "holds back $h input samples only q=$q" "got=$((2 * 3 * (800 - h)))
total=4800 rc=0" "$out rc=$rc"
done

## A trailing half sample: a warning, the rest converted, exit 0.
printf '\001\000\002' >"$T/odd"
W="resample: warning: input ends with half a sample: odd byte dropped samples=1"
resample -i 8000 <"$T/odd" >"$T/out" 2>"$T/err"
expect "odd byte: warning, exit 0, the whole sample converted" "0|$W|6" "$?|$(cat "$T/err")|$(wc -c <"$T/out")"
resample -i 8000 -o 8000 <"$T/odd" >"$T/out" 2>"$T/err"
expect "odd byte in a copy: warning, exit 0, the whole sample copied" "0|$W|0100" "$?|$(cat "$T/err")|$(od -An -tx1 <"$T/out" | tr -d ' \n')"

## Usage errors: exit 100 and a reason.
U="usage: resample [-n] [-i rate] [-o rate] [-q best|medium|fastest|fir|speex]"
run resample -x -i 8000 </dev/null
expect "unknown option" "100|resample: invalid option -- 'x'
$U" "$rc|$err"
run resample -i 999 </dev/null
expect "rate below range" "100|resample: fatal: invalid input rate: 999 (want an integer from 1000 to 192000)" "$rc|$err"
run resample -i 8000x </dev/null
expect "rate with junk" "100|resample: fatal: invalid input rate: 8000x (want an integer from 1000 to 192000)" "$rc|$err"
run resample -i 8000 -o 192001 </dev/null
expect "output rate above range" "100|resample: fatal: invalid output rate: 192001 (want an integer from 1000 to 192000)" "$rc|$err"
run resample -i 8000 -q slow </dev/null
expect "bad quality" "100|resample: fatal: invalid quality: slow (want best, medium, fastest, fir or speex)" "$rc|$err"
run env -u SAMPLE_RATE resample </dev/null
expect "no input rate" "100|resample: fatal: no input rate: give -i or set SAMPLE_RATE" "$rc|$err"
run resample -i 8000 extra </dev/null
expect "operand" "100|$U" "$rc|$err"
run resample -q fir -i 192000 -o 191999 </dev/null
expect "fir falls back to medium for a ratio it cannot do" "0|resample: info: quality fir cannot convert 192000 to 191999 (rates whose ratio needs more than 1024 phases): medium instead" "$rc|$err"
tone -r 44099 -f 1000 -n 44099 >"$T/odd-rate"
resample -i 44099 <"$T/odd-rate" >"$T/dflt" 2>/dev/null
resample -q medium -i 44099 <"$T/odd-rate" >"$T/med"
if cmp -s "$T/dflt" "$T/med"; then pass "default at 44099 -> 24000: medium's output"
else fail "default at 44099 -> 24000: medium's output" "differs"; fi
resample -i 8000 <"$T/t8" >"$T/dflt"
resample -q fir -i 8000 <"$T/t8" >"$T/fir"
if cmp -s "$T/dflt" "$T/fir"; then pass "default at 8000 -> 24000: fir's output"
else fail "default at 8000 -> 24000: fir's output" "differs"; fi
run resample -q speex -i 8000 -o 8000 </dev/null
expect "same rate: no engine, nothing logged" "0|" "$rc|$err"
run resample -h
expect "-h: usage on stderr (stdout is PCM), exit 100" "100||$U" "$rc|$out|$err"
run resample --help
expect "--help: usage and the options on stdout, exit 0" "0|$U|6|" "$rc|$(head -n 1 <<<"$out")|$(wc -l <<<"$out")|$err"
expect_match "--help names every option" "-i rate.*-o rate.*-q quality" "$(tr '\n' ' ' <<<"$out")"
run resample --version
expect_match "--version: the version, exit 0" "^0\|resample [^ ]+\|$" "$rc|$out|$err"
syn=$(mandoc -Tascii "$TOP/man/resample.1" | col -b | sed -n '/^SYNOPSIS/{n;p;}' | sed 's/^ *//')
expect "usage line is the man page SYNOPSIS" "$U" "usage: $syn"

## Environment: options override it.
SAMPLE_RATE=16000 resample <"$T/t16" >"$T/env"
resample -i 16000 <"$T/t16" >"$T/opt"
cmp -s "$T/env" "$T/opt" && pass "SAMPLE_RATE is the input rate" || fail "SAMPLE_RATE is the input rate" "differs"
RESAMPLE_QUALITY=fir resample -i 8000 <"$T/t8" >"$T/env"
resample -q fir -i 8000 <"$T/t8" >"$T/opt"
resample -q medium -i 8000 <"$T/t8" >"$T/med"
if cmp -s "$T/env" "$T/opt" && ! cmp -s "$T/env" "$T/med"; then
	pass "RESAMPLE_QUALITY chooses the quality"
else
	fail "RESAMPLE_QUALITY chooses the quality" "fir output differs or equals medium"
fi
RESAMPLE_QUALITY=fir resample -q medium -i 8000 <"$T/t8" >"$T/env"
cmp -s "$T/env" "$T/med" && pass "-q overrides RESAMPLE_QUALITY" || fail "-q overrides RESAMPLE_QUALITY" "differs"
expect "RESAMPLE_RATE is the output rate" $((2 * 4000 * 2)) "$(RESAMPLE_RATE=16000 resample -i 8000 <"$T/t8" | wc -c)"
run env SAMPLE_RATE=nonsense RESAMPLE_QUALITY=slow RESAMPLE_RATE=0 resample -i 8000 -o 16000 -q fir </dev/null
expect "options given: the environment is not read" "0||" "$rc|$out|$err"
run env RESAMPLE_QUALITY=slow resample -i 8000 </dev/null
expect "bad RESAMPLE_QUALITY is a usage error" "100|resample: fatal: invalid quality: slow (want best, medium, fastest, fir or speex)" "$rc|$err"

## A reader that goes away: reported with the call id, exit 111.
tone -r 8000 -f 1000 -n 80000 >"$T/t10"
for q in medium fir; do
	CALL_ID=c42 resample -q $q -i 8000 <"$T/t10" 2>"$T/err" | head -c 10 >/dev/null
	expect "EPIPE: exit 111 and a message q=$q" "111|resample: fatal: call=c42 unable to write to stdout: Broken pipe" "${PIPESTATUS[0]}|$(cat "$T/err")"
done
head -c 300000 /dev/zero | { resample -i 8000 -o 8000 2>"$T/err"; echo $? >"$T/rc"; } | head -c 1 >/dev/null
expect "EPIPE in a copy: exit 111" "111|resample: fatal: unable to write to stdout: Broken pipe" "$(cat "$T/rc")|$(cat "$T/err")"

## No leaks or invalid accesses on odd and tiny inputs.
if command -v valgrind >/dev/null; then
	for q in medium fir speex; do
		for n in 1 3 3001; do
			head -c $n "$T/t8" | valgrind -q --leak-check=full --errors-for-leak-kinds=all \
			    --error-exitcode=99 resample -q $q -i 8000 >/dev/null 2>"$T/vg"
			rc=$?
			[ $rc = 0 ] || break
		done
		expect "valgrind clean q=$q" "0" "$rc"
	done
fi
