# redis-pub: PCM frames and call events to a real redis-server.
source "$(dirname "$0")/lib.sh"

# my_redis PORT ARGS...: a private redis-server with extra options (password,
# unix socket); sets MY_PID.  The dir is the one start_redis uses, so a
# SHUTDOWN SAVE'd dataset is loaded by either.
my_redis() {
	local port=$1 d="$T/redis-$1"
	shift
	mkdir -p "$d"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$d" --save '' \
	    --appendonly no --daemonize no --logfile "$d/log" "$@" &
	MY_PID=$!
	track $MY_PID
}

numsub_is() {	# numsub_is PORT N CHANNEL [shard]
	local cmd=numsub
	[ $# -gt 3 ] && cmd=shardnumsub
	[ "$(redis-cli -p "$1" pubsub $cmd "$3" | tail -n 1)" = "$2" ]
}

# subscribe OUT ARGS... CHANNEL...: redis-sub in the background until the
# stop event; returns once Redis counts the last channel's subscriber.
subscribe() {
	local out=$1 shard=
	shift
	redis-sub -p "$REDIS_PORT" -x '"event":"stop"' "$@" >"$out" 2>"$out.err" &
	SUB_PID=$!
	track $SUB_PID
	[ "$1" = -S ] && shard=1
	wait_for 10 numsub_is "$REDIS_PORT" 1 "${@: -1}" $shard ||
	    fail "subscribed to ${*: -1}" "redis counts no subscriber"
}

# finished PID: wait (at most 30 s: a guard, not a timing) for PID to end.
finished() {
	if ! wait_for 30 eval "! kill -0 $1"; then
		fail "ended" "hung: $(ps -o args= -p "$1")"
		kill -KILL "$1"
		wait "$1"
		return 124
	fi
	wait "$1"
}

# Fields of the audio frames in a subscriber's output (channel audio:x).
frames() { grep "^audio:x " "$1" | cut -d' ' -f2-; }
events() { grep "^calls:events " "$1" | cut -d' ' -f2-; }
decode() { jq -r .audio | while read -r a; do printf %s "$a" | base64 -d; done; }

start_redis || exit 1
P=$REDIS_PORT

# 1.5 s of PCM at 24 kHz plus 500 bytes: 75 full frames of 20 ms and a partial.
head -c 72500 /dev/urandom >"$T/a.pcm"

# --- usage errors -----------------------------------------------------------
for args in "-d 5" "-d x" "-d 2000" "-m lpush" "-f xml" "-r 0" "-B 0" "-W x" \
    "-E 0" "-E 9" "-T 10" "-u http://x" "-u redis://h:99999" "-z" "extra"; do
	run redis-pub $args </dev/null
	expect "usage: $args exits 100" 100 "$rc"
done
run env FRAME_MS=abc redis-pub </dev/null
expect "usage: bad FRAME_MS exits 100" \
    "100 redis-pub: fatal: invalid FRAME_MS: abc (want an integer from 10 to 1000)" "$rc $err"
run redis-pub -r 22050 -d 10 </dev/null
expect "usage: frames of fractional samples refused" \
    "100 redis-pub: fatal: frames of 10 ms at 22050 Hz are not whole samples" "$rc $err"
run redis-pub -h
expect "usage: -h prints the usage line" "100" "$rc"
usage=$err
run redis-pub --help
expect "usage: --help prints it on stdout, exit 0" "0 $usage" "$rc $(head -n 1 <<<"$out")"
syn=$(mandoc -Tascii "$TOP/man/redis-pub.1" 2>/dev/null | sed 's/.\x08//g' |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')
expect "usage line is the man page SYNOPSIS" "$syn" "$(echo "${usage#usage: }" | tr -s ' ')"

# --- publish, JSON frames, events from -E -----------------------------------
cat >"$T/ev1" <<'E'
{"event":"start","interaction_id":"x","tenant_id":"acme","stream_sid":"s1","call_sid":"x","protocol":"exotel","encoding":"pcm16","sample_rate":8000,"from":"1","to":"2","custom_parameters":{}}
{"event":"dtmf","interaction_id":"x","digit":"5","timestamp_ms":120}
{"event":"mark","interaction_id":"x","name":"m1","timestamp_ms":1000}
{"event":"stop","interaction_id":"x","reason":"callended","chunks":75,"duration_ms":1500,"gaps":0,"duplicates":0}
E
subscribe "$T/s1" audio:x calls:events
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -E 3 <"$T/a.pcm" 3<"$T/ev1"
expect "publish: exit 0, nothing on stderr or stdout" "0||" "$rc|$err|$out"
finished $SUB_PID
expect "publish: 76 frames, seq 0..75 without holes" "$(seq 0 75)" "$(frames "$T/s1" | jq .seq)"
expect "publish: timestamp_ms is samples before the frame" \
    "$(seq 0 20 1500)" "$(frames "$T/s1" | jq .timestamp_ms)"
expect "publish: frame fields" \
    '"x" "acme" 24000 "pcm16"' "$(frames "$T/s1" | head -n 1 | jq -r '[.interaction_id,.tenant_id,.sample_rate,.encoding]|@json' | tr , ' ' | tr -d '[]')"
frames "$T/s1" | decode >"$T/s1.pcm"
if cmp -s "$T/a.pcm" "$T/s1.pcm"; then pass "publish: audio reassembles byte-exact"
else fail "publish: audio reassembles byte-exact" "$(cmp "$T/a.pcm" "$T/s1.pcm" 2>&1)"; fi
expect "publish: last frame is the partial one" 500 \
    "$(frames "$T/s1" | tail -n 1 | jq -r .audio | base64 -d | wc -c)"
# summary FILE CHANNEL: events by name, runs of frames as "first-last".
summary() {
	while read -r ch j; do echo "$ch $(jq -r '.event // .seq' <<<"$j")"; done <"$1" |
	    awk -v a="$2" '$1 == a { if (f == "") f = $2; l = $2; next }
	        { if (f != "") print a " " f "-" l; f = ""; print }
	        END { if (f != "") print a " " f "-" l }' | paste -sd'|'
}
expect "publish: start first, dtmf (120 ms) after frame 5, mark (1000 ms) after frame 49, stop last" \
    "calls:events start|audio:x 0-5|calls:events dtmf|audio:x 6-49|calls:events mark|audio:x 50-75|calls:events stop" \
    "$(summary "$T/s1" audio:x)"
expect "publish: stop keeps the decoder's reason, with our totals" \
    '{"event":"stop","interaction_id":"x","reason":"callended","chunks":75,"duration_ms":1510,"gaps":0,"duplicates":0,"frames":76,"dropped":0,"stream_sid":"s1"}' \
    "$(events "$T/s1" | tail -n 1)"
expect "publish: start passed through" "$(head -n 1 "$T/ev1")" "$(events "$T/s1" | head -n 1)"

# --- identity from the start event; info lines ------------------------------
sed 's/"x"/"call-7"/g' "$T/ev1" | grep -v stop >"$T/ev2"
subscribe "$T/s2" audio:call-7 calls:events
run env REDIS_URL="$REDIS_URL" redis-pub -E 3 -d 100 <"$T/a.pcm" 3<"$T/ev2"
finished $SUB_PID
err=$(grep -v 'end of input' <<<"$err")	# it races with the connect
expect "start event: frames on audio:{interaction_id} of the event" \
    "16 call-7 acme" "$(grep -c '^audio:call-7 ' "$T/s2") $(grep '^audio:call-7' "$T/s2" | tail -n 1 | cut -d' ' -f2- | jq -r '.interaction_id+" "+.tenant_id')"
expect "start event: no stop from the decoder gives reason disconnected" \
    '{"event":"stop","interaction_id":"call-7","reason":"disconnected","frames":16,"duration_ms":1510,"dropped":0,"stream_sid":"s1"}' \
    "$(grep '^calls:events' "$T/s2" | tail -n 1 | cut -d' ' -f2-)"
expect "start event: log lines" "0
redis-pub: info: redis connected addr=127.0.0.1:$P db=0
redis-pub: info: done interaction=call-7 frames=16 delivered=16 duration_ms=1510 dropped=0 rejected=0 undelivered=0 connects=1" "$rc
$err"

# --- identity from the environment, no -E: our own start and stop -----------
subscribe "$T/s3" audio:e1 calls:events
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet INTERACTION_ID=e1 TENANT_ID=t1 \
    CALL_ID=c9 redis-pub -d 1000 <"$T/a.pcm"
finished $SUB_PID
got=$(while read -r ch j; do
	case $ch in
	audio:e1) echo "$ch $(jq -r .seq <<<"$j") $(jq -r .audio <<<"$j" | base64 -d | wc -c)" ;;
	*) echo "$ch $j" ;;
	esac
done <"$T/s3")
expect "environment: own start, 2 frames of -d 1000, own stop" \
    'calls:events {"event":"start","interaction_id":"e1","tenant_id":"t1","encoding":"pcm16","sample_rate":24000}
audio:e1 0 48000
audio:e1 1 24500
calls:events {"event":"stop","interaction_id":"e1","reason":"stopped","frames":2,"duration_ms":1510,"dropped":0}' "$got"

# --- raw PCM, SPUBLISH --------------------------------------------------------
subscribe "$T/s4" -b "$T/s4.pcm" audio:raw calls:events
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -i raw -f raw <"$T/a.pcm"
finished $SUB_PID
if cmp -s "$T/a.pcm" "$T/s4.pcm"; then pass "raw: PCM bytes reassemble byte-exact"
else fail "raw: PCM bytes reassemble byte-exact" "$(cmp "$T/a.pcm" "$T/s4.pcm" 2>&1)"; fi
expect "raw: 76 messages, 960 bytes each but the last" "75 960|1 500" \
    "$(grep '^audio:raw ' "$T/s4" | cut -d' ' -f2 | uniq -c | awk '{print $1, $2}' | paste -sd'|')"

subscribe "$T/s5" -S audio:sh calls:events
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -i sh -m spublish <"$T/a.pcm"
finished $SUB_PID
expect "spublish: every frame reaches a shard subscriber" "$(seq 0 75)" \
    "$(grep '^audio:sh ' "$T/s5" | cut -d' ' -f2- | jq .seq)"

# --- streams: XADD MAXLEN ~, field data --------------------------------------
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -m xadd -c 'audio.{tenant_id}' \
    -e 'events.{tenant_id}' -i st -t ten -E 3 <"$T/a.pcm" 3</dev/null
expect "xadd: exit 0" "0|" "$rc|$err"
redis-cli -p $P --raw xrange audio.ten - + >"$T/x1"
expect "xadd: entries hold one field, data" "data" "$(awk 'NR % 3 == 2' "$T/x1" | sort -u)"
awk 'NR % 3 == 0' "$T/x1" >"$T/x1.json"
expect "xadd: seq 0..75 in order" "$(seq 0 75)" "$(jq .seq "$T/x1.json")"
decode <"$T/x1.json" >"$T/x1.pcm"
if cmp -s "$T/a.pcm" "$T/x1.pcm"; then pass "xadd: audio reassembles byte-exact"
else fail "xadd: audio reassembles byte-exact" "$(cmp "$T/a.pcm" "$T/x1.pcm" 2>&1)"; fi
expect "xadd: stop (reason disconnected: -E had no stop) in the events stream" \
    '{"event":"stop","interaction_id":"st","reason":"disconnected","frames":76,"duration_ms":1510,"dropped":0}' \
    "$(redis-cli -p $P --raw xrange events.ten - + | tail -n 1)"
# MAXLEN ~ trims by whole stream nodes (100 entries by default): far below 1000.
head -c 960000 /dev/zero >"$T/z.pcm"
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -m xadd -M 10 -i trim -e - <"$T/z.pcm"
expect "input faster than real time (1000 frames, backlog 500): waits, drops nothing" "0|" "$rc|$err"
n=$(redis-cli -p $P xlen audio:trim)
if [ "$n" -ge 10 ] && [ "$n" -le 200 ]; then pass "xadd: -M 10 trims 1000 frames (xlen $n)"
else fail "xadd: -M 10 trims 1000 frames" "xlen $n"; fi
expect "xadd: last frame kept by the trim" 999 \
    "$(redis-cli -p $P --raw xrevrange audio:trim + - count 1 | tail -n 1 | jq .seq)"
expect "-e - publishes no events" 0 "$(redis-cli -p $P exists calls:events)"

# --- REDIS_URL forms -----------------------------------------------------------
run env REDIS_URL="$REDIS_URL/3" LOG_LEVEL=quiet redis-pub -m xadd -i db3 <"$T/a.pcm"
expect "url: /3 selects database 3" "0 0 76" \
    "$rc $(redis-cli -p $P xlen audio:db3) $(redis-cli -p $P -n 3 xlen audio:db3)"

P2=$(freeport)
my_redis "$P2" --requirepass 's3cr@t' --unixsocket "$T/r.sock" --unixsocketperm 700
wait_for 10 redis-cli -s "$T/r.sock" -a 's3cr@t' --no-auth-warning ping
run env REDIS_URL="redis://:s3cr%40t@127.0.0.1:$P2" LOG_LEVEL=quiet redis-pub -m xadd -i pw <"$T/a.pcm"
expect "url: :password@ (percent-encoded) authenticates" "0 76" \
    "$rc $(redis-cli -p "$P2" -a 's3cr@t' --no-auth-warning xlen audio:pw)"
run env REDIS_URL="redis://default:s3cr%40t@127.0.0.1:$P2/2" LOG_LEVEL=quiet redis-pub -m xadd -i pw2 <"$T/a.pcm"
expect "url: user:password@ and /db" "0 76" \
    "$rc $(redis-cli -p "$P2" -a 's3cr@t' --no-auth-warning -n 2 xlen audio:pw2)"
run env REDIS_URL="unix://:s3cr%40t@$T/r.sock" LOG_LEVEL=quiet redis-pub -m xadd -i ux <"$T/a.pcm"
expect "url: unix socket" "0 76" \
    "$rc $(redis-cli -s "$T/r.sock" -a 's3cr@t' --no-auth-warning xlen audio:ux)"
run env REDIS_URL="redis://:wrong@127.0.0.1:$P2" redis-pub -m xadd -i bad -W 1 <"$T/a.pcm"
err=$(grep -v 'end of input' <<<"$err")	# it races with the login
expect "url: wrong password: refused, exit 111 after -W" "111
redis-pub: warning: redis unable to connect: login refused: WRONGPASS invalid username-password pair or user is disabled. addr=127.0.0.1:$P2
redis-pub: warning: gave up: interaction=bad frames=76 delivered=0 duration_ms=1510 dropped=0 rejected=0 undelivered=76 connects=0
redis-pub: fatal: redis unreachable for 1 s addr=127.0.0.1:$P2" "$rc
$err"

# --- Redis never reachable -----------------------------------------------------
dead=$(freeport)
mkfifo "$T/never"
exec 8<>"$T/never"		# stdin that never ends: the budget alone ends it
run timeout 20 redis-pub -u "redis://127.0.0.1:$dead" -i n -W 1 <&8
exec 8>&-
expect "unreachable: exit 111 after -W 1, says why" "111
redis-pub: warning: redis unable to connect: Connection refused addr=127.0.0.1:$dead
redis-pub: warning: gave up: interaction=n frames=0 delivered=0 duration_ms=0 dropped=0 rejected=0 undelivered=0 connects=0
redis-pub: fatal: redis unreachable for 1 s addr=127.0.0.1:$dead" "$rc
$err"

# An event flood while Redis is away is bounded too.
for i in $(seq 1500); do echo '{"event":"dtmf","digit":"1"}'; done >"$T/flood"
run timeout 20 redis-pub -u "redis://127.0.0.1:$dead" -i fl -W 1 -E 3 <"$T/a.pcm" 3<"$T/flood"
expect "event flood: bounded, logged once" "111 1" \
    "$rc $(grep -c '^redis-pub: warning: events backlog full (1000): dropping new events$' <<<"$err")"

# --- Redis refuses the messages (a key of the wrong type) ----------------------
redis-cli -p $P set audio:wt not-a-stream >/dev/null
run env REDIS_URL="$REDIS_URL" redis-pub -m xadd -i wt <"$T/a.pcm"
expect "refused: first error logged, all counted, stop says so, exit 111" \
    "111|redis-pub: warning: redis refused a frame: WRONGTYPE Operation against a key holding the wrong kind of value key=audio:wt|redis-pub: info: done interaction=wt frames=76 delivered=0 duration_ms=1510 dropped=0 rejected=76 undelivered=0 connects=1|76" \
    "$rc|$(grep -E 'refused|done' <<<"$err" | paste -sd'|')|$(redis-cli -p $P --raw xrange calls:events - + | tail -n 1 | jq .dropped)"

for u in "redis://:pw@" "redis://h:1/x" "redis://h:" "redis://[::1" "unix://relative" "unix:///s?x=1" "redis://pw@h"; do
	run redis-pub -u "$u" </dev/null
	expect "url: $u is a usage error" 100 "$rc"
done
run redis-pub -u "rediss://h:6380" </dev/null
expect "url: rediss:// refused with the reason" \
    "100 redis-pub: fatal: invalid redis url: TLS (rediss://) is not supported by this hiredis" "$rc $err"

# --- input ending mid-sample ------------------------------------------------------
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -m xadd -i odd < <(head -c 1001 "$T/a.pcm")
expect "odd byte: exit 1, warned, the whole samples published" \
    "1|redis-pub: warning: input ended in the middle of a sample: last byte ignored|2|40" \
    "$rc|$err|$(redis-cli -p $P xlen audio:odd)|$(redis-cli -p $P --raw xrange audio:odd - + | tail -n 1 | jq -r .audio | base64 -d | wc -c)"

# --- a Redis restart in mid-call loses nothing within the backlog --------------
# Streams, since pub/sub cannot replay; SHUTDOWN SAVE and the restart on the
# same port and directory keep what was delivered before.
xlen_is() { [ "$(redis-cli -p "$1" xlen "$2")" = "$3" ]; }
head -c $((200 * 960)) /dev/urandom >"$T/r.pcm"
feed() { dd if="$T/r.pcm" bs=960 skip="$1" count="$2" status=none >&7; }
# fed_pub NAME redis-pub-args...: redis-pub in the background reading a
# fifo that descriptor 7 writes (see feed); stderr in $T/NAME.err, pid in PUB.
fed_pub() {
	local name=$1
	shift
	mkfifo "$T/$name.in"
	redis-pub "$@" <"$T/$name.in" 2>"$T/$name.err" &
	PUB=$!
	track $PUB
	exec 7>"$T/$name.in"
}
P3=$(freeport)
start_redis "$P3"
fed_pub rs -u "redis://127.0.0.1:$P3" -m xadd -i rs -e ev:rs
RS=$PUB
feed 0 50
wait_for 10 xlen_is "$P3" audio:rs 50 || fail "restart: first 50 frames delivered" "xlen $(redis-cli -p "$P3" xlen audio:rs)"
redis-cli -p "$P3" shutdown save >/dev/null 2>&1
wait "$REDIS_PID"
wait_for 10 grep -q 'connection lost' "$T/rs.err" || fail "restart: loss noticed" "no connection lost line"
for i in 50 60 70 80 90 100 110 120 130 140; do feed $i 10; sleep 0.1; done
start_redis "$P3" 7>&-	# the server must not hold our end of the pipe
for i in 150 160 170 180 190; do feed $i 10; sleep 0.1; done
exec 7>&-
finished $RS
expect "restart: exit 0" 0 $?
redis-cli -p "$P3" --raw xrange audio:rs - + | awk 'NR % 3 == 0' >"$T/rs.json"
expect "restart: every seq arrived once, in order" "$(seq 0 199)" "$(jq .seq "$T/rs.json")"
decode <"$T/rs.json" >"$T/rs.pcm"
if cmp -s "$T/r.pcm" "$T/rs.pcm"; then pass "restart: audio byte-exact across the restart"
else fail "restart: audio byte-exact across the restart" "$(cmp "$T/r.pcm" "$T/rs.pcm" 2>&1)"; fi
expect "restart: stop counts no drops" '"frames":200,"dropped":0' \
    "$(redis-cli -p "$P3" --raw xrange ev:rs - + | tail -n 1 | jq -c '{frames,dropped}' | tr -d '{}')"
expect_match "restart: the reconnect is logged" \
    "^redis-pub: info: redis connected addr=127.0.0.1:$P3 db=0 after_ms=[0-9]+ attempts=[0-9]+$" "$(cat "$T/rs.err")"

# --- backlog overflow: oldest dropped, counted, logged -------------------------
# -B 1 holds 50 frames of 20 ms; 120 arrive before Redis does.  -a 0:
# head's writes pause anywhere, and this counts frames of exactly 20 ms.
P4=$(freeport)
mkfifo "$T/oin"
redis-pub -u "redis://127.0.0.1:$P4" -m xadd -i of -B 1 -W 60 -a 0 <"$T/oin" 2>"$T/of.err" &
OF=$!
track $OF
head -c $((120 * 960)) "$T/r.pcm" >"$T/oin"
wait_for 20 grep -q 'end of input' "$T/of.err" || fail "overflow: input read while Redis is down" "no end of input line"
start_redis "$P4"
finished $OF
expect "overflow: exit 0" 0 $?
redis-cli -p "$P4" --raw xrange audio:of - + | awk 'NR % 3 == 0' >"$T/of.json"
expect "overflow: the newest 50 frames kept, seq 70..119" "$(seq 70 119)" "$(jq .seq "$T/of.json")"
decode <"$T/of.json" >"$T/of.pcm"
if dd if="$T/r.pcm" bs=960 skip=70 count=50 status=none | cmp -s - "$T/of.pcm"; then
	pass "overflow: kept frames byte-exact"
else fail "overflow: kept frames byte-exact" "differ"; fi
expect "overflow: stop says dropped 70" '"frames":120,"dropped":70' \
    "$(redis-cli -p "$P4" --raw xrange calls:events - + | tail -n 1 | jq -c '{frames,dropped}' | tr -d '{}')"
expect "overflow: logged when it starts and counted at the end" \
    "redis-pub: warning: backlog full: dropping the oldest frames frames=50
redis-pub: info: done interaction=of frames=120 delivered=50 duration_ms=2400 dropped=70 rejected=0 undelivered=0 connects=1" \
    "$(grep -E 'backlog full|done' "$T/of.err")"

# --- a stalled Redis (SIGSTOP): command timeout, reconnect, nothing lost --------
P5=$(freeport)
start_redis "$P5"
fed_pub sl -u "redis://127.0.0.1:$P5" -m xadd -i sl -T 200
SL=$PUB
feed 0 20
wait_for 10 xlen_is "$P5" audio:sl 20 || fail "stall: first frames delivered" "xlen short"
kill -STOP "$REDIS_PID"
feed 20 20
wait_for 20 grep -q 'no reply within 200 ms' "$T/sl.err" || fail "stall: noticed by the reply timeout" "no timeout line"
feed 40 20
kill -CONT "$REDIS_PID"
feed 60 20
exec 7>&-
finished $SL
expect "stall: exit 0" 0 $?
# What was in flight at the stall may be delivered twice (at least once).
expect "stall: every seq arrived" "$(seq 0 79)" \
    "$(redis-cli -p "$P5" --raw xrange audio:sl - + | awk 'NR % 3 == 0' | jq .seq | sort -n | uniq)"
kill -STOP "$REDIS_PID"
run timeout 20 redis-pub -u "redis://127.0.0.1:$P5" -i sl2 -T 100 -W 1 <"$T/a.pcm"
kill -CONT "$REDIS_PID"
expect "stall: a server that never answers: exit 111 after -W" "111 redis-pub: fatal: redis unreachable for 1 s addr=127.0.0.1:$P5" \
    "$rc $(tail -n 1 <<<"$err")"
expect_match "stall: login timeout logged" "unable to connect: login timed out" "$err"

# --- events in line with the audio; -E that never carries anything -----------
REDIS_PORT=$P REDIS_URL=redis://127.0.0.1:$P	# back to the first server
subscribe "$T/s6" audio:mid calls:events
mkfifo "$T/min" "$T/mev"
redis-pub -u "$REDIS_URL" -i mid -t t -E 3 <"$T/min" 3<"$T/mev" 2>"$T/mid.err" &
MID=$!
track $MID
exec 7>"$T/min" 6>"$T/mev"
lines_are() { [ "$(grep -c "$2" "$1")" = "$3" ]; }
echo '{"event":"start","interaction_id":"mid","tenant_id":"t"}' >&6
feed 0 10
wait_for 10 lines_are "$T/s6" '^audio:mid ' 10 || fail "mid: first frames" "not published"
echo '{"event":"dtmf","interaction_id":"mid","digit":"7","timestamp_ms":200}' >&6
wait_for 10 lines_are "$T/s6" 'dtmf' 1 || fail "mid: dtmf" "not published"
# Stamped ahead of the audio that came: held until the audio reaches it.
echo '{"event":"mark","interaction_id":"mid","name":"m","timestamp_ms":300}' >&6
feed 10 10
exec 7>&- 6>&-
finished $MID
expect "events: exit 0" 0 $?
finished $SUB_PID
expect "events: the dtmf as it came, the early mark after the frame that reaches 300 ms" \
    "calls:events start|audio:mid 0-9|calls:events dtmf|audio:mid 10-14|calls:events mark|audio:mid 15-19|calls:events stop" \
    "$(summary "$T/s6" audio:mid)"

mkfifo "$T/nev"
exec 6<>"$T/nev"		# open for ever, never written
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet INTERACTION_ID=quiet-fd TENANT_ID=t \
    redis-pub -m xadd -E 6 <"$T/a.pcm"
exec 6>&-
expect "silent -E: identity from the environment, all published, stop made up" \
    "0 76 disconnected" \
    "$rc $(redis-cli -p $P xlen audio:quiet-fd) $(redis-cli -p $P --raw xrange calls:events - + | tail -n 1 | jq -r .reason)"

# --- nobody names the call: a generated id -------------------------------------
run env -u INTERACTION_ID -u TENANT_ID REDIS_URL="$REDIS_URL" redis-pub -m xadd <"$T/a.pcm"
gen=$(sed -n 's/^redis-pub: info: no interaction id given: generated interaction=//p' <<<"$err")
expect_match "no identity: a UUID is generated and logged" \
    '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$gen"
expect "no identity: frames under it, tenant default" "76 default" \
    "$(redis-cli -p $P xlen "audio:$gen") $(redis-cli -p $P --raw xrange "audio:$gen" - + count 1 | sed -n 3p | jq -r .tenant_id)"

# --- SIGTERM: what was read is published, then the stop, exit 0 ----------------
fed_pub term -u "$REDIS_URL" -m xadd -i term -e ev:term
TM=$PUB
feed 0 25
wait_for 10 xlen_is "$P" audio:term 25 || fail "term: frames before the signal" "not published"
kill -TERM $TM
finished $TM
expect "SIGTERM: exit 0, stop with the totals" '0 {"frames":25,"dropped":0}' \
    "$? $(redis-cli -p $P --raw xrange ev:term - + | tail -n 1 | jq -c '{frames,dropped}')"
exec 7>&-
expect_match "SIGTERM: logged" "^redis-pub: info: signal 15: publishing what is left$" "$(cat "$T/term.err")"

# --- valgrind: events (good and bad lines), a refused login, the stop ----------
printf '%s\n' '{"event":"start","interaction_id":"vg","tenant_id":"t"}' 'junk' '[1]' \
    '{"no":"event"}' '{"event":"mark","name":"m1"}' '{"event":"stop","reason":"callended"}' >"$T/vgev"
run valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 redis-pub -u "$REDIS_URL" -m xadd -E 3 <"$T/a.pcm" 3<"$T/vgev"
expect "valgrind: no errors, no leaks, exit 0" 0 "$rc"
expect "valgrind: the bad event lines are reported with their numbers" \
    "redis-pub: warning: events: line 2: not JSON: Invalid numeric literal at EOF at line 1, column 4 (while parsing 'junk')
redis-pub: warning: events: line 3: not a JSON object
redis-pub: warning: events: line 4: no \"event\" name, skipped" "$(grep 'events: line' <<<"$err")"

# -E that ends without a start: the id is generated then, not at end of input.
mkfifo "$T/gin"
env -u INTERACTION_ID -u TENANT_ID REDIS_URL="$REDIS_URL" redis-pub -m xadd -E 3 \
    <"$T/gin" 3</dev/null 2>"$T/gen.err" &
GN=$!
track $GN
exec 7>"$T/gin"
feed 0 5
wait_for 10 grep -q 'generated interaction=' "$T/gen.err" || fail "events end: id generated" "no log line"
gen=$(sed -n 's/^redis-pub: info: no interaction id given: generated interaction=//p' "$T/gen.err")
wait_for 10 xlen_is "$P" "audio:$gen" 5 || fail "events end: frames published before end of input" "xlen short"
exec 7>&-
finished $GN
expect "events end: exit 0, all frames under the generated id" "0 5" "$? $(redis-cli -p $P xlen "audio:$gen")"

# --- Redis Cluster: MOVED is followed to the slot's node ----------------------
# A cluster node also listens on its port + 10000 (the cluster bus).
cluster_port() {
	local cp
	while cp=$(freeport); do
		[ "$cp" -lt 55000 ] && ! (exec 3<>/dev/tcp/127.0.0.1/$((cp + 10000))) 2>/dev/null &&
		    [ "$cp" != "${C1:-}" ] && [ "$cp" != "${C2:-}" ] && break
	done
	echo "$cp"
}
C1= C2=
C1=$(cluster_port)
C2=$(cluster_port)
C3=$(cluster_port)
for cp in $C1 $C2 $C3; do
	my_redis "$cp" --cluster-enabled yes --cluster-config-file "$T/redis-$cp/nodes.conf"
done
for cp in $C1 $C2 $C3; do wait_for 10 redis-cli -p "$cp" ping; done
redis-cli --cluster create 127.0.0.1:$C1 127.0.0.1:$C2 127.0.0.1:$C3 \
    --cluster-replicas 0 --cluster-yes >"$T/cluster.out" 2>&1
cluster_ok() { for cp in $C1 $C2 $C3; do redis-cli -p "$cp" cluster info | grep -q 'cluster_state:ok' || return 1; done; }
wait_for 20 cluster_ok || fail "cluster: forms" "$(tail -n 3 "$T/cluster.out")"
# owner KEY: the port of the node that serves KEY's slot.
owner() {
	local slot
	slot=$(redis-cli -p "$C1" cluster keyslot "$1")
	redis-cli -p "$C1" cluster nodes | awk -v s="$slot" '{
		for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]
			if (s >= r[1] && s <= r[2]) { split($2, a, "[:@]"); print a[2] } } }'
}
# An id whose slot is not on the node the URL names.
for n in 1 2 3 4 5 6 7 8 9; do cid=cl$n; [ "$(owner "audio:{$cid}")" != "$C1" ] && break; done
run env REDIS_URL="redis://127.0.0.1:$C1" LOG_LEVEL=info redis-pub -m xadd -i "$cid" \
    -c 'audio:{{interaction_id}}' -e 'calls:{{interaction_id}}' <"$T/a.pcm"
expect "cluster: xadd follows MOVED: exit 0, every frame and the stop on the slot's node" \
    "0 76 stop 0" \
    "$rc $(redis-cli -c -p $C1 xlen "audio:{$cid}") $(redis-cli -c -p $C1 --raw xrange "calls:{$cid}" - + | tail -n 1 | jq -r '"\(.event) \(.dropped)"')"
expect "cluster: the redirect is logged once" \
    "redis-pub: info: redis redirected (MOVED) addr=127.0.0.1:$(owner "audio:{$cid}")" "$(grep redirected <<<"$err")"
# Audio and events on different nodes: each switch is one more redirect.
run env REDIS_URL="redis://127.0.0.1:$C1" LOG_LEVEL=quiet redis-pub -m xadd -i "$cid-b" \
    -c 'audio:{{interaction_id}}' -e "ev:{$C2-other}" <"$T/a.pcm"
expect "cluster: audio and events on different slots still all arrive" "0 76 stop" \
    "$rc $(redis-cli -c -p $C1 xlen "audio:{$cid-b}") $(redis-cli -c -p $C1 --raw xrange "ev:{$C2-other}" - + | tail -n 1 | jq -r .event)"
own=$(owner "audio:{$cid}")
redis-sub -S -p "$own" -x '"event":"stop"' "audio:{$cid}" "calls:{$cid}" >"$T/cs" 2>"$T/cs.err" &
CS=$!
track $CS
wait_for 10 numsub_is "$own" 1 "calls:{$cid}" shard || fail "cluster: shard subscriber" "not subscribed"
# The same call on the same key again would go on from its seq: -C 0.
run env REDIS_URL="redis://127.0.0.1:$C1" LOG_LEVEL=quiet redis-pub -m spublish -C 0 -i "$cid" \
    -c 'audio:{{interaction_id}}' -e 'calls:{{interaction_id}}' <"$T/a.pcm"
finished $CS
expect "cluster: spublish follows MOVED: the shard subscriber gets every frame" "0 $(seq 0 75 | paste -sd' ')" \
    "$rc $(grep "^audio:{$cid} " "$T/cs" | cut -d' ' -f2- | jq .seq | paste -sd' ')"
run env REDIS_URL="redis://127.0.0.1:$C1" LOG_LEVEL=quiet valgrind -q --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    redis-pub -m xadd -i "$cid" -c 'vg:{{interaction_id}}' -e "ev:{$C2-other}" <"$T/a.pcm"
expect "cluster: valgrind clean through the redirects" "0 76" "$rc $(redis-cli -c -p $C1 xlen "vg:{$cid}")"

# --- Redis gone at the end of input: give up -W seconds later, say what is lost --
P6=$(freeport)
start_redis "$P6"
fed_pub eg -u "redis://127.0.0.1:$P6" -m xadd -i eg -W 1
EG=$PUB
feed 0 10
wait_for 10 xlen_is "$P6" audio:eg 10 || fail "end give-up: first frames" "not delivered"
redis-cli -p "$P6" shutdown nosave >/dev/null 2>&1
wait "$REDIS_PID"
feed 10 10
exec 7>&-
finished $EG
expect "end give-up: exit 111, the loss counted" "111
redis-pub: warning: gave up: interaction=eg frames=20 delivered=10 duration_ms=400 dropped=0 rejected=0 undelivered=10 connects=1
redis-pub: fatal: end of input: messages still undelivered after 1 s addr=127.0.0.1:$P6" \
    "$?
$(tail -n 2 "$T/eg.err")"
