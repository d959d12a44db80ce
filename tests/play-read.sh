# play-read alone against a real Redis: where it starts, what it writes,
# when it ends.
source "$(dirname "$0")/lib.sh"

unset PLAY_KEY PLAY_RETRY_SECONDS INTERACTION_ID TENANT_ID STREAM_SID
start_redis || exit 1
export REDIS_URL
rcli() { redis-cli -p "$REDIS_PORT" --raw "$@"; }

run play-read -l -i c1
expect "-l on a missing stream: 0-0" "0 0-0" "$rc $out"
id1=$(rcli xadd play:c1 '*' data '{"event":"mark","name":"old"}')
run play-read -l -i c1
expect "-l: the last id" "0 $id1" "$rc $out"
run play-read
expect "no interaction id for a key that names it: usage" 100 "$rc"
run play-read -i c1 -u 'ftp://x'
expect "a bad URL: usage" 100 "$rc"

# From the last entry at start: the old one is not read, new ones are,
# in order, one line each (a pretty-printed one too).
play-read -i c1 >"$T/out1" 2>"$T/err1" &
P=$!
track $P
wait_for 5 grep -q reading "$T/err1"
rcli xadd play:c1 '*' data '{"event":"mark","name":"new1"}' >/dev/null
rcli xadd play:c1 '*' other x >/dev/null
rcli xadd play:c1 '*' data '{"event":
"mark","name":"new2"}' >/dev/null
wait_for 5 sh -c "[ \$(wc -l < $T/out1) -ge 2 ]"
expect "after the last entry at start, one line an entry" \
    '{"event":"mark","name":"new1"}|{"event": "mark","name":"new2"}' "$(paste -sd'|' "$T/out1")"
expect_match "an entry without data is reported" "warning: entry without a data field id=" "$(cat "$T/err1")"
kill $P

# -t: after the last entry added before that time (ms since 1970).
rcli del play:c5 >/dev/null
id5=$(rcli xadd play:c5 '*' data old)
t=$(( ${id5%-*} + 1 ))
run play-read -l -i c5 -t "$t"
expect "-t: the last entry before that time" "0 $id5" "$rc $out"
run play-read -l -i c5 -t "${id5%-*}"
expect "-t: an entry of that very millisecond is read" "0 0-0" "$rc $out"
run play-read -l -i c5 -t 0
expect "-t 0: from the start" "0 0-0" "$rc $out"
run play-read -l -i c5 -t soon
expect "-t: not a time" 100 "$rc"

# -f: after that id (the race-free start); 0 reads everything.
run timeout 2 sh -c "play-read -i c1 -f $id1 | head -n 2"
expect "-f ID: the entries after it" '{"event":"mark","name":"new1"}|{"event": "mark","name":"new2"}' "$(echo "$out" | paste -sd'|')"
run timeout 2 sh -c "play-read -i c1 -f 0 | head -n 1"
expect "-f 0: from the start; it ends when its reader does" "0 {\"event\":\"mark\",\"name\":\"old\"}" "$rc $out"

# It ends when its reader goes, even while XREAD blocks.
mkfifo "$T/fifo"
play-read -i c1 >"$T/fifo" 2>/dev/null &
P=$!
track $P
exec 7<"$T/fifo"
sleep 0.3
exec 7<&-
wait_for 5 sh -c "! kill -0 $P 2>/dev/null"
wait $P
expect "a blocked read ends when the reader is gone, exit 0" 0 $?

# Key templates: {tenant_id}, {stream_sid}, {{ }} for a hash tag.
rcli xadd 'play:{c2}:t9:s7' '*' data hello >/dev/null
run timeout 2 sh -c 'TENANT_ID=t9 STREAM_SID=s7 play-read -i c2 -k "play:{{{interaction_id}}}:{tenant_id}:{stream_sid}" -f 0 | head -n 1'
expect "key template with a hash tag" hello "$out"

# Redis away: it retries, then gives up with 111.
port=$(freeport)
run play-read -i c1 -r 1 -u "redis://127.0.0.1:$port"
expect "Redis unreachable past the retry budget: 111" 111 "$rc"
expect_match "and says so" "redis unreachable for 1 s" "$err"
# A key that is not a stream is a clear failure.
rcli set play:c3 x >/dev/null
run play-read -i c3 -f 0
expect "not a stream: 111" 111 "$rc"

# Redis restarts mid-read: nothing added meanwhile is lost.
start2() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$T/redis-$REDIS_PORT" \
	    --save '' --appendonly yes --daemonize no --logfile "$T/redis2.log" &
	REDIS_PID=$!
	track $REDIS_PID
	wait_for 10 redis-cli -p "$REDIS_PORT" ping
}
rcli config set appendonly yes >/dev/null
sleep 0.5
play-read -i c4 -f 0 >"$T/out4" 2>"$T/err4" &
P=$!
track $P
rcli xadd play:c4 '*' data one >/dev/null
wait_for 5 grep -q one "$T/out4"
stop_redis
start2
rcli xadd play:c4 '*' data two >/dev/null
wait_for 10 grep -q two "$T/out4"
expect "a Redis restart loses nothing" "one two" "$(paste -sd' ' "$T/out4")"
expect_match "the reconnect is logged" "redis connected" "$(cat "$T/err4")"
kill $P
