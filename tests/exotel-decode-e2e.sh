# exotel-decode behind a real ws-accept: the protocol and the rate come
# from the handshake (PROTOCOL, SAMPLE_RATE), each track of each stream
# gets its own child, and a start that cannot be read closes the call.
# (Redis is redis-pub's side and tested with it.)
source "$(dirname "$0")/lib.sh"

S16="-t raw -e signed -b 16 -c 1"
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
jq -r 'select(.event == "media") | .media.payload' "$FIXTURES/twilio-stream1.ndjson" | base64 -d |
    sox -t ul -r 8000 -c 1 - $S16 "$T/speech.pcm"
head -c 32000 "$T/speech.pcm" >"$T/in.pcm"
sox $S16 -r 8000 "$T/in.pcm" $S16 -r 16000 "$T/in16.pcm"
sox -n -r 8000 $S16 "$T/out.pcm" synth 1.5 sine 300 vol 0.3

mkdir "$T/out"
start_wsa -- exotel-decode -e 3 -- sh -c '
	d=$0/$STREAM_SID.$TRACK
	cat >"$d.pcm"
	cat <&3 >"$d.ev"
	echo "$PROTOCOL $SAMPLE_RATE $ENCODING" >"$d.env"' "$T/out"
URL=ws://127.0.0.1:$WSA_PORT/v1/ingest

# Two tracks and a flat start, on one connection, as two streams.
{ mkcapture -s ST1 -F -2 "$T/out.pcm" <"$T/in.pcm"; mkcapture -s ST2 <"$T/out.pcm" | grep -v connected; } >"$T/call.nd"
run exotel-replay -q -x 0 "$URL" "$T/call.nd"
expect "two streams, two tracks: the call ends well" "0" "$rc"
for f in ST1.inbound:in ST1.outbound:out ST2.inbound:out; do
	if cmp -s "$T/${f#*:}.pcm" "$T/out/${f%:*}.pcm"; then
		pass "over ws-accept: $f PCM byte for byte"
	else
		fail "over ws-accept: $f PCM byte for byte" "$(cmp "$T/${f#*:}.pcm" "$T/out/${f%:*}.pcm" 2>&1)"
	fi
done
expect "each child: PROTOCOL from the handshake, the URL's rate, its codec" \
    "exotel 8000 pcm16|exotel 8000 pcm16|exotel 8000 pcm16" \
    "$(cat "$T/out/ST1.inbound.env" "$T/out/ST1.outbound.env" "$T/out/ST2.inbound.env" | tr '\n' '|' | sed 's/|$//')"
expect "each child: its start and stop" "start ST1 inbound stop ST1 inbound start ST1 outbound stop ST1 outbound" \
    "$(cat "$T/out/ST1.inbound.ev" "$T/out/ST1.outbound.ev" | jq -r '"\(.event) \(.stream_sid) \(.track)"' | tr '\n' ' ' | sed 's/ $//')"

# The URL's rate against the start's.
mkcapture -s ST3 -r 16000 -A 8000 <"$T/in16.pcm" >"$T/r.nd"
run exotel-replay -q -x 0 "$URL?sample-rate=16000" "$T/r.nd"
if cmp -s "$T/in16.pcm" "$T/out/ST3.inbound.pcm"; then
	pass "?sample-rate=16000, start 8000: every byte, at 16000"
else
	fail "?sample-rate=16000, start 8000: every byte, at 16000" "$(cmp "$T/in16.pcm" "$T/out/ST3.inbound.pcm" 2>&1)"
fi
expect_match "?sample-rate=16000, start 8000: one warning in the service log" \
    "exotel-decode: warning: call=[0-9a-f]+ rate-mismatch line=2 url=16000 start=8000" "$(cat "$WSA_LOG")"

# A start without identity on an Exotel connection: refused, never audio.
{ echo '{"event":"start","interaction_id":"i9","sample_rate":8000}'; mkcapture <"$T/in.pcm" | grep '"event":"media"'; } >"$T/bad.nd"
run exotel-replay -q -x 0 "$URL" "$T/bad.nd"
expect_match "unreadable start over ws-accept: the caller gets 1011" "1011" "$err"
expect_match "unreadable start: one line in the service log" \
    "exotel-decode: fatal: call=[0-9a-f]+ unreadable-start line=1" "$(cat "$WSA_LOG")"
expect "unreadable start: no child, no audio file" "" "$(ls "$T/out" | grep -v '^ST[123]\.')"
stop_wsa
