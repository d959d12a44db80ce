# The exact message shapes of published third-party clients, rebuilt with
# our own tools (no third-party code here): Exotel's Agent-Stream test
# client (integrations/elevenlabs/exotel/test_ws_connection.py) and its
# bridges' start parsing, and the original service's simulators
# (exkrishan/rtaafin: services/ingest/scripts/simulate-exotel-stream.ts,
# test-exotel-protocol.js, both Node "ws" clients).
source "$(dirname "$0")/lib.sh"

unset SAMPLE_RATE QUERY_STRING PROTOCOL
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
unset JWT_SECRET JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS

# A 440 Hz tone, 1 s at 8 and 16 kHz.
tone -r 8000 -f 440 -a 0.5 -n 8000 >"$T/in8.pcm"
tone -r 16000 -f 440 -a 0.5 -n 16000 >"$T/in16.pcm"

# same NAME EXPECTED-FILE ACTUAL-FILE
same() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "$(cmp "$2" "$3" 2>&1; ls -l "$2" "$3" | awk '{print $5, $9}')"
	fi
}

# --- Exotel's ElevenLabs bridge reads media_format.sample_rate after
# stripping "Hz": a start may say "16000Hz".  Read as 8000 it made the
# call's audio twice as long and an octave low.
mkcapture -S -r 16000 <"$T/in16.pcm" >"$T/c16.nd"
for spelling in '16000Hz' '16000 Hz' '16kHz' '16 KHz'; do
	sed "s/\"sample_rate\":\"16000\"/\"sample_rate\":\"$spelling\"/" \
	    "$T/c16.nd" >"$T/hz.nd"
	grep -q "\"sample_rate\":\"$spelling\"" "$T/hz.nd" || fail "sample_rate $spelling" "capture not rewritten"
	PROTOCOL=exotel exotel-decode -e 3 3>"$T/ev" <"$T/hz.nd" >"$T/o.pcm" 2>"$T/err"
	expect "start sample_rate \"$spelling\": rate 16000, no warning" \
	    "0|16000|" \
	    "$?|$(head -n 1 "$T/ev" | jq -r .sample_rate)|$(grep -v ': info: ' "$T/err")"
	same "start sample_rate \"$spelling\": the PCM" "$T/in16.pcm" "$T/o.pcm"
done
sed 's/"sample_rate":"16000"/"sample_rate":"fastHz"/' "$T/c16.nd" >"$T/hz.nd"
PROTOCOL=exotel exotel-decode -e 3 3>"$T/ev" <"$T/hz.nd" >/dev/null 2>"$T/err"
expect_match "start sample_rate \"fastHz\": still a bad field, 8000 assumed" \
    'bad-field line=2 field=sample_rate \(assuming 8000\)' "$(cat "$T/err")"

# --- Exotel's test_ws_connection.py: connected with protocol and version,
# a start with encoding audio/x-l16 and a numeric rate, then it closes
# without any media.
{
	echo '{"event": "connected", "protocol": "Call", "version": "1.0.0"}'
	echo '{"event": "start", "stream_sid": "test_stream_123", "start": {"call_sid": "test_call_123", "account_sid": "test_account_123", "media_format": {"encoding": "audio/x-l16", "sample_rate": 8000, "channels": 1}}}'
} >"$T/el.nd"
PROTOCOL=exotel exotel-decode -e 3 3>"$T/ev" <"$T/el.nd" >"$T/o.pcm" 2>"$T/err"
expect "Exotel's test client: start and a disconnected stop, no audio, no warning" \
    "0|start test_call_123 test_account_123 test_stream_123 pcm16 8000 stop test_call_123 test_account_123 test_stream_123 disconnected|0|" \
    "$?|$(jq -r '[.event, .interaction_id, .tenant_id, .stream_sid, .encoding, .sample_rate, .reason] | map(select(. != null)) | join(" ")' "$T/ev" | tr '\n' ' ' | sed 's/ $//')|$(wc -c <"$T/o.pcm")|$(grep -v ': info: ' "$T/err")"

# --- rtaafin's simulate-exotel-stream.ts: numbers as numbers, chunk from
# 1, media.timestamp an ISO date (wall clock, not the call's), encoding
# "pcm16", sample_rate "8000".  The timestamps are ignored, the audio is
# whole and in order.
mkcapture -e pcm16 <"$T/in8.pcm" |
    jq -c 'if .event == "media" then .media.timestamp = "2026-12-03T08:00:00.\(1000 + .media.chunk)Z" else . end' >"$T/sim.nd"
grep -q '"timestamp":"2026-12-03T08:00:00.1001Z"' "$T/sim.nd" || fail "rtaafin simulator shape" "capture not rewritten"
PROTOCOL=exotel exotel-decode -e 3 3>"$T/ev" <"$T/sim.nd" >"$T/o.pcm" 2>/dev/null
expect "rtaafin simulator (ISO timestamps): exit 0, no gap, no duplicate" \
    "0|0 0" "$?|$(tail -n 1 "$T/ev" | jq -r '"\(.gaps) \(.duplicates)"')"
same "rtaafin simulator (ISO timestamps): the PCM" "$T/in8.pcm" "$T/o.pcm"

# The same simulator with --sample-rate 16000 and its default URL
# (ws://localhost:8443/v1/ingest, no ?sample-rate): its start says
# "16000".  ws-accept's SAMPLE_RATE=8000 is only a default then, and the
# start's rate wins (as in the original service); a URL that names a rate
# still wins over the start.
mkcapture -e pcm16 -r 16000 <"$T/in16.pcm" |
    jq -c 'if .event == "media" then .media.timestamp = "2026-12-03T08:00:00.\(1000 + .media.chunk)Z" else . end' >"$T/sim16.nd"
PROTOCOL=exotel SAMPLE_RATE=8000 QUERY_STRING= exotel-decode -e 3 3>"$T/ev" <"$T/sim16.nd" >"$T/o.pcm" 2>"$T/err"
expect "start 16000, URL without a rate: the start's rate, no rate warning" \
    "0|16000|" "$?|$(head -n 1 "$T/ev" | jq .sample_rate)|$(grep rate-mismatch "$T/err")"
same "start 16000, URL without a rate: the PCM" "$T/in16.pcm" "$T/o.pcm"
for q in 'sample-rate=8000' 'lead=42&sample_rate=8000'; do
	PROTOCOL=exotel SAMPLE_RATE=8000 QUERY_STRING=$q exotel-decode -e 3 3>"$T/ev" <"$T/sim16.nd" >/dev/null 2>"$T/err"
	expect "start 16000, URL $q: the URL's rate, said once" \
	    "0|8000|1" "$?|$(head -n 1 "$T/ev" | jq .sample_rate)|$(grep -c 'rate-mismatch line=2 url=8000 start=16000' "$T/err")"
done
start_wsa -- sh -c "exec exotel-decode -e 3 3>'$T/e2e.ev' >'$T/e2e.pcm'"
run exotel-replay -q -x 0 "ws://127.0.0.1:$WSA_PORT/v1/ingest" "$T/sim16.nd"
wait_for 10 grep -q 'ended ' "$WSA_LOG"
expect "through ws-accept, start 16000, URL without a rate: 16000" \
    "0|16000" "$rc|$(head -n 1 "$T/e2e.ev" | jq .sample_rate)"
same "through ws-accept, start 16000, URL without a rate: the PCM" "$T/in16.pcm" "$T/e2e.pcm"
stop_wsa

# --- rtaafin's test-exotel-protocol.js: 100 ms chunks sent every 200 ms,
# media.timestamp String(Date.now()) (epoch ms), stop reason
# "test-complete".  Consecutive chunk numbers say nothing is missing.
mkcapture -e pcm16 -m 100 -R test-complete <"$T/in8.pcm" |
    jq -c 'if .event == "media" then .media.timestamp = "\(1796286945158 + 200 * .media.chunk)" else . end' >"$T/proto.nd"
PROTOCOL=exotel exotel-decode -e 3 3>"$T/ev" <"$T/proto.nd" >"$T/o.pcm" 2>/dev/null
expect "rtaafin protocol test (epoch-ms timestamps): exit 0, no gap filled, a stop" \
    "0|0 stop" "$?|$(tail -n 1 "$T/ev" | jq -r '"\(.gaps) \(.event)"')"
same "rtaafin protocol test (epoch-ms timestamps): the PCM" "$T/in8.pcm" "$T/o.pcm"

# --- Node's ws.close() (rtaafin's test-exotel-protocol.js ends so) sends a
# close frame without a code: a polite end (1005), not a dropped caller.
metric() { curl -s "http://127.0.0.1:$WSA_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
start_wsa -- sh -c 'cat >/dev/null'
printf 't {"event":"connected"}\nc 0\n' |
    wsclient 127.0.0.1 "$WSA_PORT" /v1/ingest >"$T/c0.out"
wait_for 10 grep -q 'ended .*close=' "$WSA_LOG"
expect_match "close frame without a code: the log says close=1005" \
    'ended .* status=0 close=1005$' "$(grep ' ended ' "$WSA_LOG")"
expect "close frame without a code: counted as a normal end" "1 0" \
    "$(metric 'ws_accept_calls_ended_total{reason="normal"}') $(metric 'ws_accept_calls_ended_total{reason="caller_dropped"}')"
printf 't {"event":"connected"}\nx\n' |
    wsclient 127.0.0.1 "$WSA_PORT" /v1/ingest >/dev/null
wait_for 10 sh -c "[ \$(grep -c ' ended ' '$WSA_LOG') = 2 ]"
expect_match "no close frame at all: still close=1006, a dropped caller" \
    'ended .* close=1006$' "$(grep ' ended ' "$WSA_LOG" | tail -n 1)"
expect "no close frame at all: counted as caller_dropped" "1" \
    "$(metric 'ws_accept_calls_ended_total{reason="caller_dropped"}')"
stop_wsa
