# exotel-decode on bad input: one log line per bad message, with its line
# number; decoding goes on; nothing decoded is lost; input that is not a
# media stream at all exits 1.  And valgrind finds no error or leak.
source "$(dirname "$0")/lib.sh"

# 100 ms of a 440 Hz tone as an Exotel capture: line 1 connected, 2 start,
# 3..7 chunks 1..5 (20 ms, 320 bytes each, timestamps 0..80), 8 stop.
tone_pcm=$T/s.pcm
mkcapture -g 440:100 -p native </dev/null | tail -c 1600 >"$tone_pcm"
mkcapture <"$tone_pcm" >"$T/good.nd"

# insert N TEXT: the good capture with TEXT as a new line N.
insert() {
	sed "$(($1 - 1))r /dev/stdin" "$T/good.nd" <<<"$2"
}
# replace N TEXT: line N replaced.
replace() {
	awk -v n="$1" -v t="$2" 'NR == n { print t; next } { print }' "$T/good.nd"
}
# decodes NAME EXPECTED-STDERR [EXPECTED-PCM-FILE] < capture: exit 0,
# exactly that stderr (-q), and the PCM (default: the whole tone).
decodes() {
	exotel-decode -q >"$T/out.pcm" 2>"$T/err"
	local rc=$? want=${3:-$tone_pcm}
	expect "$1: stderr" "$2" "$(cat "$T/err")"
	if [ $rc -eq 0 ] && cmp -s "$want" "$T/out.pcm"; then
		pass "$1: exit 0, PCM kept"
	else
		fail "$1: exit 0, PCM kept" "rc=$rc $(cmp "$want" "$T/out.pcm" 2>&1)"
	fi
}

p2=$(sed -n 4p "$T/good.nd" | jq -r .media.payload)	# chunk 2's payload
odd=$(head -c 321 /dev/urandom | base64 -w0)

insert 5 'this is not json' | decodes "not JSON" \
    'exotel-decode: warning: invalid-json line=5 reason="invalid literal"'
insert 5 "{'event':'media'}" | decodes "single quotes" \
    'exotel-decode: warning: invalid-json line=5 reason="object key not a string"'
insert 5 '{"event" "media"}' | decodes "missing colon" \
    "exotel-decode: warning: invalid-json line=5 reason=\"expected ':' after a key\""
insert 5 '{"event":"mark","mark":{"name":"a" "b"}}' | decodes "missing comma (libjq would leak here)" \
    "exotel-decode: warning: invalid-json line=5 reason=\"expected ',' or '}'\""
insert 5 '{"event":"mark","mark":{"name":"a\qb"}}' | decodes "bad escape" \
    'exotel-decode: warning: invalid-json line=5 reason="bad escape"'
insert 5 '{"event":"mark","mark":{"name":"a'$'\t''b"}}' | decodes "raw tab in a string" \
    'exotel-decode: warning: invalid-json line=5 reason="control character in a string"'
insert 5 '{"event":"mark"} {"event":"mark"}' | decodes "two messages on one line" \
    'exotel-decode: warning: invalid-json line=5 reason="text after the message"'
insert 5 '{"event":"mark","mark":{"name":"cut' | decodes "message cut short, next one whole" \
    'exotel-decode: warning: invalid-json line=5 reason="truncated message"'
{ sed '$d' "$T/good.nd"; printf '{"event":"stop","stop":{'; } | exotel-decode -q -e 3 3>"$T/ev" >/dev/null 2>"$T/err"
expect "message cut short at end of input: one line, stop disconnected" \
'exotel-decode: warning: invalid-json line=8 reason="truncated message at end of input"|disconnected' \
"$(cat "$T/err")|$(tail -n 1 "$T/ev" | jq -r .reason)"

replace 5 '{"event":"media","media":{"chunk":3,"timestamp":40,"payload":"@@@@'"${p2:4}"'"}}' |
    decodes "payload not base64: silence in its place" \
    'exotel-decode: warning: bad-base64 line=5 track=inbound silence_ms=20' "$(zeroed "$tone_pcm" "$T/z3" 3; echo "$T/z3")"
replace 5 '{"event":"media","media":{"chunk":3,"timestamp":40,"payload":"'"${p2:0:101}"'"}}' |
    decodes "payload truncated mid-group (not base64)" \
    'exotel-decode: warning: bad-base64 line=5 track=inbound silence_ms=4
exotel-decode: warning: gap line=6 track=inbound missing_ms=15' "$(zeroed "$tone_pcm" "$T/z3" 3; echo "$T/z3")"
replace 5 '{"event":"media","media":{"chunk":3,"timestamp":40,"payload":"'"$odd"'"}}' >"$T/odd.nd"
head -c 640 "$tone_pcm" >"$T/odd.exp"
jq -r 'select(.event=="media").media.payload' "$T/odd.nd" | sed -n 3p | base64 -d | head -c 320 >>"$T/odd.exp"
tail -c 640 "$tone_pcm" >>"$T/odd.exp"
decodes "odd byte count: the last byte dropped" \
    'exotel-decode: warning: odd-length line=5 bytes=321 (last byte dropped)' "$T/odd.exp" <"$T/odd.nd"

replace 5 '{"event":"media","media":{"chunk":3,"timestamp":"-40","payload":"'"$(sed -n 5p "$T/good.nd" | jq -r .media.payload)"'"}}' |
    decodes "negative timestamp: reported, chunk appended" \
    'exotel-decode: warning: bad-number line=5 field=timestamp (ignored)'
replace 5 '{"event":"media","media":{"chunk":3,"timestamp":1e400,"payload":"'"$(sed -n 5p "$T/good.nd" | jq -r .media.payload)"'"}}' |
    decodes "timestamp 1e400: reported, chunk appended" \
    'exotel-decode: warning: bad-number line=5 field=timestamp (ignored)'
replace 5 '{"event":"media","media":{"chunk":"3x","timestamp":40,"payload":"'"$(sed -n 5p "$T/good.nd" | jq -r .media.payload)"'"}}' |
    decodes "chunk \"3x\": reported, placed by its timestamp" \
    'exotel-decode: warning: bad-number line=5 field=chunk (ignored)'

{ sed -n 1p "$T/good.nd"; sed -n 3p "$T/good.nd"; sed -n 2p "$T/good.nd"; sed -n '4,$p' "$T/good.nd"; } |
    decodes "media before start: dropped" \
    'exotel-decode: warning: media-before-start line=2 (dropped)' \
    "$(tail -c 1280 "$tone_pcm" >"$T/t4"; echo "$T/t4")"
insert 5 '{"event":"bogus","x":1}' | decodes "unknown event" \
    'exotel-decode: warning: unknown-event line=5 event=bogus (ignored; said once per kind)'
{ sed -n 1,4p "$T/good.nd"; echo '{"event":"bogus","x":1}'; echo '{"event":"bogus","x":2}'; sed -n '5,$p' "$T/good.nd"; } | decodes "unknown event twice: said once" \
    'exotel-decode: warning: unknown-event line=5 event=bogus (ignored; said once per kind)'
insert 5 '{"event":"clear","stream_sid":"ST0001"}' | decodes "clear: known, quiet" ''
insert 5 '[1,2]' | decodes "an array" 'exotel-decode: warning: not-an-object line=5'
insert 5 '42' | decodes "a number" 'exotel-decode: warning: not-an-object line=5'
insert 5 '{"foo":"bar"}' | decodes "no event field" 'exotel-decode: warning: no-event line=5'
insert 5 '{"event":7}' | decodes "event not a string" 'exotel-decode: warning: no-event line=5'
insert 5 '{"event":"media","media":"x"}' | decodes "media not an object" \
    'exotel-decode: warning: no-payload line=5'
insert 5 '{"event":"media","media":{"payload":5}}' | decodes "payload a number" \
    'exotel-decode: warning: no-payload line=5'
insert 5 '{"event":"dtmf","dtmf":5}' | decodes "dtmf without a digit" \
    'exotel-decode: warning: bad-dtmf line=5 (no dtmf.digit of at most 16 bytes)'
insert 5 "$(sed -n 2p "$T/good.nd")" | decodes "second start" \
    'exotel-decode: warning: second-start line=5 (the same stream: ignored)'
insert 5 "$(printf '%0.s[' $(seq 300))$(printf '%0.s]' $(seq 300))" | decodes "nesting 300 deep" \
    'exotel-decode: warning: invalid-json line=5 reason="nested deeper than 256"'

# A NUL byte loses its message; the next chunk's timestamp shows the gap.
awk 'NR == 5 { sub(/"payload":"/, "\"payload\":\"\x01"); } { print }' "$T/good.nd" |
    tr '\001' '\000' | decodes "NUL byte in a media message" \
    'exotel-decode: warning: nul-byte line=5 (message dropped)
exotel-decode: warning: gap line=6 track=inbound missing_ms=20' "$(zeroed "$tone_pcm" "$T/z3" 3; echo "$T/z3")"

# Too long for -m: skipped; the rest is decoded.
long=$(head -c 3000 /dev/zero | base64 -w0)
insert 5 '{"event":"media","media":{"payload":"'"$long"'"}}' | exotel-decode -q -m 1024 >"$T/out.pcm" 2>"$T/err"
expect "message over -m: one line, exit 0" \
    "0|exotel-decode: warning: too-long line=5 limit=1024" "$?|$(cat "$T/err")"
jq --arg l "$long" 'if .media.chunk == 2 then .media.payload = $l else . end' "$T/good.nd" >"$T/pretty.nd"
# Each media message is 10 lines, "{" five lines above its "chunk".
c2=$(( $(grep -n '"chunk": 2,' "$T/pretty.nd" | cut -d: -f1) - 5 ))
exotel-decode -q -m 1024 <"$T/pretty.nd" >"$T/out.pcm" 2>"$T/err"
zeroed "$tone_pcm" "$T/z2" 2
if cmp -s "$T/z2" "$T/out.pcm" && [ "$(cat "$T/err")" = "exotel-decode: warning: too-long line=$c2 limit=1024
exotel-decode: warning: gap line=$((c2 + 10)) track=inbound missing_ms=20" ]; then
	pass "pretty-printed message over -m: skipped with its continuation lines"
else
	fail "pretty-printed message over -m" "$(cat "$T/err"; cmp "$T/z2" "$T/out.pcm")"
fi

# A bad pretty-printed message: one line, its continuation skipped.
{ sed -n 1,4p "$T/good.nd"; printf '{\n  "event": "media",\n  "media": {\n    "payload": 12x\n  }\n}\n'; sed -n '5,$p' "$T/good.nd"; } |
    decodes "bad pretty-printed message: one line" \
    "exotel-decode: warning: invalid-json line=5 reason=\"expected ',' or '}'\""

replace 2 '{"event":"start","sequence_number":1,"start":"oops"}' >"$T/bs.nd"
exotel-decode -e 3 <"$T/bs.nd" 3>"$T/ev" >"$T/out.pcm" 2>"$T/err"
expect "start member not an object: unreadable, exit 1, never audio" \
'1|exotel-decode: fatal: unreadable-start line=2 (its "start" is not an object)||0' \
"$?|$(cat "$T/err")|$(cat "$T/ev")|$(wc -c <"$T/out.pcm")"

# After a bad line, a message indented by a space is still a message.
{ sed -n 1,4p "$T/good.nd"; echo 'x'; sed -n 5p "$T/good.nd" | sed 's/^/ /'; sed -n '6,$p' "$T/good.nd"; } |
    decodes "bad line, then an indented compact message: kept" \
    'exotel-decode: warning: invalid-json line=5 reason="invalid literal"'

# A flood of one kind is capped at 100 lines; the totals tell the rest.
{ sed -n 1,4p "$T/good.nd"; for i in $(seq 150); do echo 'x'; done; sed -n '5,$p' "$T/good.nd"; } |
    exotel-decode >/dev/null 2>"$T/err"
expect "150 bad lines: 100 logged, then one line, totals at the end" \
    "101|exotel-decode: warning: more invalid-json warnings not logged|bad=150" \
    "$(grep -c 'invalid-json' "$T/err")|$(grep more "$T/err")|$(tail -n 1 "$T/err" | grep -o 'bad=[0-9]*')"

# --- Not a media stream: exit 1.
run exotel-decode </dev/null
expect "empty input: exit 1" "1|exotel-decode: fatal: input ended before a start message" "$rc|$err"
exotel-decode <"$(command -v exotel-decode)" >"$T/out" 2>"$T/err"
expect "binary input (a program): exit 1, nothing written" \
    "1|0|exotel-decode: fatal: not a media stream: binary input (NUL bytes) at the start" \
    "$?|$(wc -c <"$T/out")|$(tail -n 1 "$T/err")"
seq 1 20 | exotel-decode >"$T/out" 2>"$T/err"
expect "text without messages: 8 lines, then exit 1" \
    "1|9|exotel-decode: fatal: not a media stream: no message with an event field at the start of the input" \
    "$?|$(wc -l <"$T/err")|$(tail -n 1 "$T/err")"
head -c 3000000 /dev/zero | tr '\0' a | exotel-decode >"$T/out" 2>"$T/err"
expect "one endless line: exit 1 without reading it all" \
"1|exotel-decode: warning: too-long line=1 limit=1048576
exotel-decode: fatal: not a media stream: no message with an event field at the start of the input" "$?|$(cat "$T/err")"
replace 2 '{"event":"start","start":{"call_sid":"c","media_format":{"encoding":"audio/x-alaw","sample_rate":8000}}}' |
    exotel-decode >"$T/out" 2>"$T/err"
expect "A-law: exit 1, said once" \
    "1|exotel-decode: fatal: unsupported-encoding line=2 encoding=audio/x-alaw" "$?|$(cat "$T/err")"
# Encoding spellings are judged by meaning: blanks around a name do not
# matter, and an empty one is as good as none (the protocol's default).
exotel-decode -q <"$T/good.nd" >"$T/good.out" 2>/dev/null
sed '2s/"encoding":"[^"]*"/"encoding":" audio\/x-raw "/' "$T/good.nd" | exotel-decode -q >"$T/out" 2>"$T/err"
expect "encoding with blanks around it: decoded, nothing said" "0||same" \
    "$?|$(cat "$T/err")|$(cmp -s "$T/good.out" "$T/out" && echo same)"
sed '2s/"encoding":"[^"]*"/"encoding":""/' "$T/good.nd" | exotel-decode -q >"$T/out" 2>"$T/err"
expect "empty encoding: the default, said once" \
    "0|exotel-decode: warning: bad-field line=2 field=encoding (empty: assuming pcm16)|same" \
    "$?|$(cat "$T/err")|$(cmp -s "$T/good.out" "$T/out" && echo same)"
# TENANT_ID is the tenant ws-accept authenticated: a start naming another is refused.
{ printf '%s\n' '{"event":"start","interaction_id":"i1","tenant_id":"other","sample_rate":8000,"encoding":"pcm16"}'
  head -c 320 /dev/zero; } >"$T/native-other"
TENANT_ID=mine exotel-decode -q <"$T/native-other" >"$T/out" 2>"$T/err"
expect "start naming another tenant than TENANT_ID: exit 1, no audio" \
    "1|exotel-decode: fatal: tenant-mismatch line=1 (the start names a tenant other than TENANT_ID)|0" \
    "$?|$(cat "$T/err")|$(stat -c %s "$T/out")"
TENANT_ID=other exotel-decode -q <"$T/native-other" >"$T/out" 2>"$T/err"
expect "start naming the TENANT_ID tenant: accepted" "0||320" "$?|$(cat "$T/err")|$(stat -c %s "$T/out")"
sed 2d "$T/good.nd" | exotel-decode -q >"$T/out" 2>"$T/err"
expect "no start at all: media reported, exit 1" \
    "1|exotel-decode: warning: media-before-start line=2 (dropped)" \
    "$?|$(head -n 1 "$T/err")"

# --- Valgrind: no error, no leak, on good and bad input, chained too.
if command -v valgrind >/dev/null; then
	vg() { valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99 "$@"; }
	{
		sed -n 1,4p "$T/good.nd"
		echo 'x'; echo '[1]'; echo '{"event":"bogus"}'; printf '{"a":\0}\n'
		echo '{"event":"media","media":{"payload":"@@"}}'
		echo '{"event":"media","media":{"payload":"AAAA","timestamp":1e999}}'
		echo '{"event":"dtmf","dtmf":{"digit":"1"}}'
		echo '{"event":"mark","mark":{"name":"m"}}'
		printf '%0.s[' $(seq 300); echo
		jq . <<<'{"event":"media","media":{"payload":"AAAA"}}'
		echo '{"event":"media","media":{"payload":"AAAA"'
		echo '{"event":"mark","mark":{"name":"a" "b"}}'
		echo '{"event":"mark","mark":{"name":[1 2]}}'
		echo '{"event":"mark","mark":{"name":{"a":{"b":1} "c"}}}'
		sed -n '5,$p' "$T/good.nd"
	} >"$T/mixed.nd"
	vg exotel-decode -q -b 30 -e 3 <"$T/mixed.nd" >/dev/null 2>"$T/vg" 3>/dev/null
	expect "valgrind: bad-input corpus" "0 0" "$? $(grep -c '^==' "$T/vg")" 
	vg exotel-decode -q <"$FIXTURES/twilio-stream1.ndjson" >/dev/null 2>"$T/vg"
	expect "valgrind: twilio fixture" "0 0" "$? $(grep -c '^==' "$T/vg")"
	mkcapture -p native -c mulaw <"$tone_pcm" | vg exotel-decode -q -w >/dev/null 2>"$T/vg"
	expect "valgrind: native mu-law" "0 0" "$? $(grep -c '^==' "$T/vg")"
	mkcapture -C a=b <"$tone_pcm" | vg exotel-decode -q -e 3 -- sh -c 'cat >/dev/null; cat <&3 >/dev/null' 2>"$T/vg"
	expect "valgrind: chain with events" "0 0" "$? $(grep -c '^==' "$T/vg")"
	vg exotel-decode -q </dev/null 2>"$T/vg"
	expect "valgrind: empty input (fatal path)" "1 0" "$? $(grep -c '^==' "$T/vg")"
else
	echo "SKIP: valgrind not installed"
fi
