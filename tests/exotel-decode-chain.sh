# exotel-decode -- prog: the child starts after the start message, with
# the call in its environment, the PCM on stdin, the events on the -e
# descriptor; our exit status is the child's.
source "$(dirname "$0")/lib.sh"

mkcapture -g 440:100 -p native -r 16000 </dev/null | tail -c 3200 >"$T/s.pcm"
mkcapture -r 16000 -S -i CA7 -a AC7 -s ST7 -f 0801 -t 0802 \
    -C lang=hi -C 'x-y.z=1 2' -D 2:9 <"$T/s.pcm" >"$T/call.nd"

cat >"$T/child" <<'EOF'
#!/bin/sh
# Prints its call environment, keeps its stdin and fd 3.
env | grep -E '^(INTERACTION_ID|TENANT_ID|STREAM_SID|CALL_SID|SAMPLE_RATE|ENCODING|CALL_FROM|CALL_TO|CUSTOM_[A-Z_]*)=' | sort >"$1/env"
cat >"$1/pcm"
cat <&3 >"$1/events"
echo "child out"
EOF
chmod +x "$T/child"

run exotel-decode -q -e 3 -- "$T/child" "$T" <"$T/call.nd"
expect "child ran: exit 0, its stdout inherited, our stderr quiet" "0|child out|" "$rc|$out|$err"
expect "child environment: the call's identity, rate, codec, custom parameters" \
'CALL_FROM=0801
CALL_SID=CA7
CALL_TO=0802
CUSTOM_LANG=hi
CUSTOM_PARAMETERS={"lang":"hi","x-y.z":"1 2"}
CUSTOM_X_Y_Z=1 2
ENCODING=pcm16
INTERACTION_ID=CA7
SAMPLE_RATE=16000
STREAM_SID=ST7
TENANT_ID=AC7' "$(cat "$T/env")"
if cmp -s "$T/s.pcm" "$T/pcm"; then
	pass "child's stdin: the PCM"
else
	fail "child's stdin: the PCM" "$(cmp "$T/s.pcm" "$T/pcm" 2>&1)"
fi
expect "child's fd 3: start (already there), dtmf, stop" \
'{"event":"start","interaction_id":"CA7","stream_sid":"ST7","track":"inbound","tenant_id":"AC7","call_sid":"CA7","protocol":"exotel","encoding":"pcm16","sample_rate":16000,"from":"0801","to":"0802","custom_parameters":{"lang":"hi","x-y.z":"1 2"}}
{"event":"dtmf","interaction_id":"CA7","stream_sid":"ST7","track":"inbound","digit":"9","duration":100,"timestamp_ms":40}
{"event":"stop","interaction_id":"CA7","stream_sid":"ST7","track":"inbound","tenant_id":"AC7","call_sid":"CA7","reason":"callended","chunks":5,"samples":1600,"duration_ms":100,"gaps":0,"gap_ms":0,"duplicates":0,"late":0,"bad":0,"bytes":3200,"dropped_bytes":0,"dropped_ms":0,"dropped":{"duplicate":0,"late":0,"odd_byte":0,"reader_gone":0}}' \
"$(cat "$T/events")"

run exotel-decode -q -- sh -c 'echo "$ENCODING $SAMPLE_RATE"; cat >/dev/null' <"$FIXTURES/twilio-stream1.ndjson"
expect "twilio: ENCODING=mulaw (input codec), SAMPLE_RATE=8000" "mulaw 8000" "$out"

# The start is read before the child exists: nothing runs without one.
run exotel-decode -q -- sh -c "touch $T/ran" </dev/null
expect "no start: exit 1, no child" \
"1|exotel-decode: fatal: input ended before a start message (no child started)|no" \
"$rc|$err|$([ -e "$T/ran" ] && echo yes || echo no)"

# Exit status: the child's.
run exotel-decode -q -- sh -c 'cat >/dev/null; exit 3' <"$T/call.nd"
expect "child exit 3 -> 3" "3" "$rc"
run exotel-decode -q -- sh -c 'cat >/dev/null; kill -TERM $$' <"$T/call.nd"
expect "child killed by SIGTERM -> 143" "143" "$rc"
run exotel-decode -q -- sh -c 'kill -KILL $$' <"$T/call.nd"
expect "child killed by SIGKILL -> 137" "137" "$rc"
run exotel-decode -q -- /nonexistent/prog <"$T/call.nd"
expect "missing prog -> 127 with a message" \
"127|exotel-decode: fatal: unable to run /nonexistent/prog: No such file or directory" "$rc|$err"
run exotel-decode -q -- "$T/call.nd" <"$T/call.nd"
expect "prog not executable -> 126 with a message" \
"126|exotel-decode: fatal: unable to run $T/call.nd: Permission denied" "$rc|$err"

# A child that exits early: we stop reading (the input here never ends)
# and exit with its status.
mkcapture -z -T -K <"$T/s.pcm" >"$T/head.nd"
media=$(grep '"media"' "$T/head.nd" | head -n 1)
{ cat "$T/head.nd"; yes "$media"; } | exotel-decode -q -- sh -c 'head -c 1000 >/dev/null; exit 5' 2>"$T/err"
expect "child exits early on endless input: its status, one line" \
"5|exotel-decode: warning: child-exited pid=PID track=inbound (its stdin is closed; its audio is dropped)" \
"$?|$(sed 's/pid=[0-9]*/pid=PID/' "$T/err")"

# A child that never reads its events cannot stall the audio: 3000 marks
# overflow the event pipe; they are dropped, the PCM flows, we finish.
mkcapture <"$T/s.pcm" >"$T/c.nd"
{
	sed -n 1,4p "$T/c.nd"
	awk 'BEGIN { for (i = 0; i < 3000; i++)
	    printf "{\"event\":\"mark\",\"mark\":{\"name\":\"mark-%04d\"}}\n", i }'
	sed -n '5,$p' "$T/c.nd"
} >"$T/marks.nd"
run exotel-decode -q -e 3 -- sh -c 'cat >/dev/null; exit 4' <"$T/marks.nd"
expect "events nobody reads: dropped, said twice (first drop, count), child's status" \
"4|exotel-decode: warning: event-dropped track=inbound (pipe full: nobody reads it)|exotel-decode: warning: events-dropped count=N track=inbound" \
"$rc|$(sed 's/=[0-9][0-9]*/=N/' <<<"$err" | tr '\n' '|' | sed 's/|$//')"

# Each call's child is alone with its pipes: our stdin is not its stdin.
run exotel-decode -q -- sh -c 'wc -c' <"$T/call.nd"
expect "the child reads the PCM, not the messages" "3200" "$(tr -d ' ' <<<"$out")"

# A mark name is bounded (256 bytes): a longer one is a bad message, never
# an event line that could be cut by a full pipe.
long=$(head -c 20000 /dev/zero | tr '\0' x)
{
	sed -n 1,4p "$T/c.nd"
	printf '{"event":"mark","mark":{"name":"%s"}}\n{"event":"mark","mark":{"name":"short"}}\n' "$long"
	sed -n '5,$p' "$T/c.nd"
} >"$T/longmark.nd"
run exotel-decode -q -e 3 -- sh -c 'cat >/dev/null; exec cat <&3' <"$T/longmark.nd"
expect "mark name over 256 bytes: a bad message, every line read is JSON" \
"0|mark short|exotel-decode: warning: bad-mark line=N (no mark.name of at most 256 bytes)" \
"$rc|$(jq -r 'select(.event == "mark") | "mark \(.name)"' <<<"$out" 2>&1)|$(sed 's/=[0-9]*/=N/g; s/than [0-9]*/than N/' <<<"$err" | tr '\n' '|' | sed 's/|$//')"

# --- A PCM16 start opens the inbound track at once: the child runs (and
# gets its start event) before the caller's first chunk; mu-law waits for
# a chunk, whose bytes may prove it PCM16.
mkfifo "$T/early.in"
exotel-decode -q -e 3 -- sh -c 'head -n 1 <&3 >"$0/early.ev"; cat >/dev/null' "$T" <"$T/early.in" &
ED=$!
track $ED
exec 7>"$T/early.in"
head -n 2 "$T/call.nd" >&7	# connected, start: no media yet
if wait_for 10 sh -c "[ -s '$T/early.ev' ]"; then
	expect "PCM16 start: the child has its start event before any audio" "start inbound" \
	    "$(jq -r '"\(.event) \(.track)"' "$T/early.ev")"
else
	fail "PCM16 start: the child has its start event before any audio" "nothing after 10 s"
fi
tail -n +3 "$T/call.nd" >&7
exec 7>&-
wait $ED
expect "PCM16 start opened early: the call still ends well" 0 "$?"

printf '%s\n' '{"event":"connected"}' \
    '{"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ1","callSid":"CA9","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}' \
    >"$T/mu.nd"
mkfifo "$T/mu.in"
exotel-decode -q -k 0 -e 3 -- sh -c 'touch "$0/mu.ran"; cat >/dev/null' "$T" <"$T/mu.in" &
ED=$!
track $ED
exec 7>"$T/mu.in"
cat "$T/mu.nd" >&7
sleep 0.5	# time for a child to start, were it started at the start
[ -e "$T/mu.ran" ] && r=started || r=waiting
exec 7>&-
wait $ED
expect "mu-law start, no chunk yet: no child until a chunk (or the end)" "waiting|0|yes" \
    "$r|$?|$([ -e "$T/mu.ran" ] && echo yes)"
printf '%s\n' '{"event":"connected"}' \
    '{"event":"start","streamSid":"MZ2","start":{"streamSid":"MZ2","callSid":"CA9","tracks":["outbound"],"mediaFormat":{"encoding":"audio/l16","sampleRate":8000,"channels":1}}}' \
    '{"event":"media","streamSid":"MZ2","media":{"track":"outbound","chunk":"1","timestamp":"0","payload":"AAAAAA=="}}' \
    '{"event":"stop","streamSid":"MZ2"}' >"$T/out.nd"
run exotel-decode -q -e 3 -- sh -c 'cat >/dev/null; echo "$TRACK"' <"$T/out.nd"
expect "a start listing only the outbound track: no inbound child opened early" "0|outbound" "$rc|$out"
