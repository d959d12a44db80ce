# ingest-track: one track's resample | redis-pub, run by exotel-decode as
# ingest-call runs it, against a real redis-server: the audio exact, and
# the paths where a stage cannot run or fails at once (the kills mid-call
# are in redis-pub-calls.sh).
source "$(dirname "$0")/lib.sh"

start_redis || exit 1
P=$REDIS_PORT
export REDIS_URL LOG_LEVEL=quiet REDIS_MODE=xadd
rcli() { redis-cli -p "$P" "$@"; }
data() { rcli --raw xrange "$1" - + | awk 'NR % 3 == 0'; }
pcm() { jq -r .audio | while read -r a; do printf %s "$a" | base64 -d; done; }

run ingest-track --help
expect_match "--help: usage and the settings, exit 0" "^0 usage: ingest-track.*OUTPUT_RATE" "$rc $(echo $out)"
run ingest-track --version
expect_match "--version: name and version" "^0 ingest-track [^ ]+$" "$rc $out"
run ingest-track extra
expect "an operand: usage error" 100 "$rc"
run ingest-track 3<&-
expect_match "no event pipe on descriptor 3: exit 100, says how it is run" \
    "^100 .*descriptor 3.*exotel-decode -e 3 -- ingest-track" "$rc $err"

head -c 16000 /dev/urandom >"$T/a8.pcm"		# 1 s at 8 kHz
mkcapture -i CAtr1 -a ACx -s ST1 <"$T/a8.pcm" >"$T/a8.nd" 2>/dev/null
run exotel-decode -e 3 -- ingest-track <"$T/a8.nd"
resample -q fir -i 8000 <"$T/a8.pcm" >"$T/want24"
data audio:CAtr1 | pcm >"$T/got24"
expect "8 kHz to 24 kHz: exit 0, nothing on stdout" "0|" "$rc|$out"
if cmp -s "$T/want24" "$T/got24"; then pass "8 kHz to 24 kHz: byte-exact, as resample makes it"
else fail "8 kHz to 24 kHz: byte-exact" "$(cmp "$T/want24" "$T/got24" 2>&1)"; fi

# At the output rate: redis-pub alone, the PCM as it came.
mkcapture -i CAtr2 -a ACx -s ST2 -r 16000 <"$T/a8.pcm" >"$T/a16.nd" 2>/dev/null
OUTPUT_RATE=16000 run exotel-decode -e 3 -- ingest-track <"$T/a16.nd"
data audio:CAtr2 | pcm >"$T/got16"
if [ "$rc" = 0 ] && cmp -s "$T/a8.pcm" "$T/got16"; then pass "at the output rate: no resampler, the PCM as sent"
else fail "at the output rate: the PCM as sent" "rc=$rc $(cmp "$T/a8.pcm" "$T/got16" 2>&1)"; fi

# resample refuses its settings at once: ingest-track reads the PCM to
# the end itself (the decoder is never blocked), redis-pub publishes the
# stop with the loss counted, and the status is resample's.
head -c 320000 /dev/urandom >"$T/long.pcm"	# 20 s at 8 kHz: more than pipes hold
mkcapture -i CAtr3 -a ACx -s ST3 <"$T/long.pcm" >"$T/long.nd" 2>/dev/null
RESAMPLE_QUALITY=nonsense run timeout 60 exotel-decode -e 3 -- ingest-track <"$T/long.nd"
expect_match "resample fails at once: its status (100), its one line" "^100 .*resample.*nonsense" "$rc $(echo $err)"
stop=$(data calls:events | jq -c 'select(.interaction_id == "CAtr3" and .event == "stop")')
expect "resample fails at once: the whole call was read (the decoder's count), the stop in Redis" \
    "stop 160000" "$(jq -r '"\(.event) \(.samples)"' <<<"$stop")"
expect_match "resample fails at once: the lost audio is counted" '^[1-9][0-9]* [1-9][0-9]*$' \
    "$(jq -r '"\(.lost_ms) \(.dropped)"' <<<"$stop")"

# redis-pub cannot run (not in PATH): 127, and the decoder still ends.
mkdir "$T/nopub"
for t in resample exotel-decode ingest-track; do ln -s "$(command -v $t)" "$T/nopub/$t"; done
PATH=$T/nopub:/usr/bin:/bin LOG_LEVEL=info run timeout 60 exotel-decode -e 3 -- ingest-track <"$T/long.nd"
expect_match "redis-pub missing: 127, said" "^127 .*redis-pub" "$rc $(echo $err)"
# resample then dies of the broken pipe: its PCM is still read to the end
# of the call (the call goes on, as with a resample failing by itself).
expect_match "redis-pub missing: the decoder still reads the whole call (1000 chunks, its stop)" \
    "reason=callended .*chunks=1000 " "$(grep 'exotel-decode: info: stop' <<<"$err")"

# A signal for ingest-track alone is passed on to its stages: resample
# ends on it; redis-pub publishes the stop once the decoder's comes.
rcli del audio:CAtr3 calls:events >/dev/null
mkfifo "$T/sig.in"
exotel-decode -e 3 -- ingest-track <"$T/sig.in" 2>/dev/null &
ED=$!
track $ED
exec 7>"$T/sig.in"
head -n 20 "$T/long.nd" >&7
it= rs=
wait_for 10 sh -c "pgrep -P $ED -x ingest-track >/dev/null" && it=$(pgrep -P $ED -x ingest-track)
[ -n "$it" ] && wait_for 10 sh -c "pgrep -P $it -x resample >/dev/null" && rs=$(pgrep -P $it -x resample)
if [ -n "$rs" ]; then
	kill -TERM "$it"
	if wait_for 10 sh -c "! kill -0 $rs 2>/dev/null"; then
		pass "TERM to ingest-track alone: passed on (resample ends)"
	else
		fail "TERM to ingest-track alone: passed on" "resample still runs"
	fi
else
	fail "TERM to ingest-track alone" "no ingest-track or resample under exotel-decode"
fi
exec 7>&-
wait $ED
expect "TERM to ingest-track alone: status 143 (resample's), the stop published at the call's end" \
    "143 stop" "$? $(data calls:events | jq -r 'select(.interaction_id == "CAtr3") | .event' | tail -n 1)"
