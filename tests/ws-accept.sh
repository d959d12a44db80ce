# ws-accept: the server alone, with small shell handlers, over real sockets
# (tests/bin/wsclient speaks raw WebSocket so it can fragment, oversize and
# drop).  Redis and the real pipeline are in ws-accept-e2e.sh; the
# authentication table is in auth.sh.
source "$(dirname "$0")/lib.sh"

export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
unset JWT_SECRET JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS
OUT=$T/out
mkdir -p "$OUT"
export OUT

ws() { wsclient 127.0.0.1 "$WSA_PORT" "$@"; }
# A native caller (Bearer JWT): the protocol that takes binary frames.
# Exotel's is text only (binary: close 1003, ws-accept-trust.sh).
NSECRET=ws-accept-test-secret
ntok=$(jwt-mint -s "$NSECRET" "{\"sub\":\"t\",\"exp\":$(($(date +%s) + 3600))}")
nws() { wsclient -H "Authorization: Bearer $ntok" 127.0.0.1 "$WSA_PORT" "$@"; }
active() { curl -s "http://127.0.0.1:$WSA_PORT/health" | jq -r .active_calls; }
metric() { curl -s "http://127.0.0.1:$WSA_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
children() { ps -o pid= --ppid "$WSA_PID" | wc -l; }
zombies() { ps -o stat= --ppid "$WSA_PID" | grep -c Z; }

# hold_call: one call whose commands come from descriptor 7 (close 7 to
# end it), its output in $T/held.out; returns once the server counts it.
hold_call() {
	rm -f "$T/hold"
	mkfifo "$T/hold"
	ws /v1/ingest <"$T/hold" >"$T/held.out" &
	track $!
	exec 7>"$T/hold"
	wait_for 10 calls_active 1
}
calls_active() { [ "$(active)" = "$1" ]; }

# After the calls: no call left, no child, no zombie, descriptors back.
expect_clean() {
	local fds
	wait_for 15 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 0 ]"
	wait_for 5 sh -c "[ \$(ps -o pid= --ppid $WSA_PID | wc -l) = 0 ]"
	wait_for 5 sh -c "[ \$(ls /proc/$WSA_PID/fd | wc -l) = $WSA_FDS ]"
	fds=$(ls /proc/$WSA_PID/fd | wc -l)
	expect "$1: descriptors back to idle" "$WSA_FDS" "$fds"
	expect "$1: no call, child or zombie left" "0 0 0" \
	    "$(active) $(children) $(zombies)"
}

# ---- usage and configuration ------------------------------------------

run ws-accept -h
synopsis=$(mandoc -Tascii "$TOP/man/ws-accept.1" | col -b |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' |
    sed 's/^ //;s/ $//')
expect "-h: exit 100" 100 "$rc"
expect "-h: usage line is the man page SYNOPSIS" "usage: $synopsis" "$err"
run ws-accept --help
expect "--help: exit 0, usage first" "0 usage: $synopsis" "$rc $(echo "$out" | head -1)"
expect_match "--help: the options, one a line" "-i idle-seconds .*IDLE_TIMEOUT" "$out"
run ws-accept --version
expect_match "--version" "^0 ws-accept [^ ]+$" "$rc $out"
run ws-accept -p 1
expect "no handler: usage" "100" "$rc"
PORT=http run ws-accept -- cat
expect "bad PORT: exit 100 naming it" "100 ws-accept: fatal: invalid PORT: http (want an integer from 0 to 65535)" "$rc $err"
MAX_CALLS=0 run ws-accept -- cat
expect "bad MAX_CALLS: exit 100" 100 "$rc"
run ws-accept -i -1 -- cat
expect "bad -i: exit 100" 100 "$rc"
SSL_CERT_PATH=/etc/hostname run ws-accept -- cat
expect "certificate without key: exit 100" "100 ws-accept: fatal: TLS needs both SSL_CERT_PATH (-C) and SSL_KEY_PATH (-K)" "$rc $err"
PUBLIC_URL=http://x run ws-accept -- cat
expect "PUBLIC_URL not ws:// or wss://: exit 100" 100 "$rc"
p=$(freeport)
PORT=$p SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=10.0.0.0/8 JWT_SECRET=0123456789abcdef0123456789abcdef JWT_AUDIENCE=ingest run ws-accept -n -- cat
expect "-n: the start line, nothing listening, exit 0" \
    "0|ws-accept: info: configuration ok host=0.0.0.0 port=$p path=/v1/ingest tls=off max_calls=500 exotel=on allow_ips=1 basic_pairs=0 jwt=HS256 leeway=30 audience=checked issuer=any trusted_proxies=0|refused" \
    "$rc|$err|$(curl -s -o /dev/null "http://127.0.0.1:$p/health" && echo open || echo refused)"
WS_ACCEPT_ANNOUNCE=$'redis=unix:///r.sock audio=a:{x}\nfake: line' run ws-accept -n -- cat
expect_match "WS_ACCEPT_ANNOUNCE ends the start line, on one line" \
    "^ws-accept: info: configuration ok .* trusted_proxies=0 redis=unix:///r.sock audio=a:\\{x\\}\\\\x0afake: line$" "$err"
SUPPORT_EXOTEL=maybe run ws-accept -n -- cat
expect "-n: a bad setting is refused as at start" \
    "100|ws-accept: fatal: SUPPORT_EXOTEL: want true or false, got 'maybe'" "$rc|$err"

# ---- messages both ways, environment ----------------------------------

start_wsa -- sh -c 'printf "%s|%s|%s|%s|%s|%s|%s\n" "$PROTOCOL" "$SAMPLE_RATE" \
    "$QUERY_STRING" "$REMOTE_ADDR" "$REQUEST_PATH" "$AUTH_METHOD" "${#CALL_ID}"
    while read -r l; do echo "got $l"; done'
expect_match "listening line" "^ws-accept: info: listening host=0.0.0.0 port=$WSA_PORT path=/v1/ingest tls=off" "$(cat "$WSA_LOG")"
run ws '/v1/ingest?sample-rate=16000&x=a%20b' <<'EOF'
r 1
t one
r 1
T 3 two in fragments
r 1
c 1000
EOF
expect "handler env, lines back as messages, fragments reassembled" "open
text: exotel|16000|sample-rate=16000&x=a b|127.0.0.1|/v1/ingest|ip|16
text: got one
text: got two in fragments
close: 1000 " "$out"
run ws /v1/ingest <<'EOF'
r 1
c 1000
EOF
expect "Exotel without ?sample-rate: SAMPLE_RATE=8000" \
    "text: exotel|8000||127.0.0.1|/v1/ingest|ip|16" "$(sed -n 2p <<<"$out")"
log=$(cat "$WSA_LOG")
expect_match "one accept line per call" \
    "ws-accept: info: call=[0-9a-f]{16} accepted peer=127.0.0.1:[0-9]+ protocol=exotel auth=ip principal=127.0.0.1/32$" "$log"
expect_match "one end line per call" \
    "ws-accept: info: call=[0-9a-f]{16} ended duration=[0-9.]+ messages=2 bytes=19 sent=3 stalls=0 status=0 close=1000$" "$log"
run ws '/v1/ingest?sample-rate=44' <<<'w'
expect "bad sample-rate: 400" "1 http: 400" "$rc $(head -n 1 <<<"$out")"
expect_clean "echo calls"
stop_wsa

# ---- exact bytes to the handler, back-pressure ---------------------------

JWT_SECRET=$NSECRET start_wsa -- sh -c 'sleep 0.5; cat > "$OUT/$CALL_ID"'
head -c 1000 /dev/urandom >"$T/small.bin"
run nws /v1/ingest <<EOF
t a text
b $T/small.bin
T 4 fragmented text
z 3
c 1000
EOF
{ printf 'a text\n'; cat "$T/small.bin"; printf 'fragmented text\n'; head -c 3 /dev/zero; } >"$T/expect.bin"
wait_for 10 sh -c "[ \$(ls $OUT | wc -l) = 1 ]"
sleep 0.1
wait_for 10 sh -c "[ \$(ps -o pid= --ppid $WSA_PID | wc -l) = 0 ]"
if cmp -s "$T/expect.bin" "$OUT"/*; then
	pass "stdin: text + newline, binary raw, in order"
else
	fail "stdin: text + newline, binary raw, in order" "$(cmp "$T/expect.bin" "$OUT"/* 2>&1)"
fi
rm -f "$OUT"/*
head -c 4000000 /dev/urandom >"$T/big.bin"
stalls0=$(metric ws_accept_backpressure_stalls_total)
run nws /v1/ingest <<EOF
B 16000 $T/big.bin
c 1000
EOF
expect "4 MB to a slow handler: caller closed normally" "close: 1000 " "$(tail -n 1 <<<"$out")"
wait_for 10 sh -c "[ \$(ps -o pid= --ppid $WSA_PID | wc -l) = 0 ]"
if cmp -s "$T/big.bin" "$OUT"/*; then
	pass "back-pressure: 4 MB arrive whole"
else
	fail "back-pressure: 4 MB arrive whole" "$(cmp "$T/big.bin" "$OUT"/* 2>&1)"
fi
stalls1=$(metric ws_accept_backpressure_stalls_total)
expect "back-pressure stalls counted" 1 "$(( stalls1 > stalls0 ))"
rm -f "$OUT"/*
expect_clean "bytes and back-pressure"
stop_wsa

# ---- endings --------------------------------------------------------------

start_wsa -D 1 -- sh -c 'read -r cmd; case $cmd in
	exit*) exit "${cmd#exit }";;
	crash) kill -KILL $$;;
	eof) cat > "$OUT/eof.in"; echo done > "$OUT/eof.done";;
	stubborn) trap "echo term > $OUT/term; exit 7" TERM; cat > /dev/null
		while :; do sleep 0.1; done;;
	esac'
run ws /v1/ingest <<<$'t exit 0\nw'
expect "handler exits 0: close 1000" "close: 1000 handler exited status=0" "$(tail -n 1 <<<"$out")"
run ws /v1/ingest <<<$'t exit 3\nw'
expect "handler exits 3: close 1011" "close: 1011 handler exited status=3" "$(tail -n 1 <<<"$out")"
run ws /v1/ingest <<<$'t crash\nw'
expect "handler killed mid-call: close 1011, status 137" "close: 1011 handler exited status=137" "$(tail -n 1 <<<"$out")"
run ws /v1/ingest <<<$'t eof\nt last words\nx'
wait_for 10 test -e "$OUT/eof.done"
expect "caller drops: handler reads to EOF and finishes" "last words" "$(cat "$OUT/eof.in" 2>&1)"
expect_match "dropped call logged with 1006" "ended .* status=0 close=1006$" "$(cat "$WSA_LOG")"
run ws /v1/ingest <<<$'t stubborn\nc 1000'
wait_for 15 test -e "$OUT/term"
expect "handler that ignores EOF gets SIGTERM after the drain time" "term" "$(cat "$OUT/term" 2>&1)"
wait_for 10 sh -c "grep -q 'status=7 close=1000' $WSA_LOG"
expect_match "SIGTERM logged" "handler still running after the caller left: SIGTERM pgrp=" "$(cat "$WSA_LOG")"
expect "exits by status in /metrics" "1 1 1 1" \
    "$(metric 'ws_accept_handler_exits_total{status="3"}') $(metric 'ws_accept_handler_exits_total{status="137"}') $(metric 'ws_accept_handler_exits_total{status="7"}') $(( $(metric 'ws_accept_handler_exits_total{status="0"}') >= 2 ))"
expect_clean "endings"
stop_wsa

start_wsa -- /nonexistent/handler
run ws /v1/ingest <<<'w'
expect "handler not found: close 1011" "close: 1011 handler could not run" "$(tail -n 1 <<<"$out")"
expect "status 127 counted" 1 "$(metric 'ws_accept_handler_exits_total{status="127"}')"
expect_clean "handler not found"
stop_wsa

# ---- limits ---------------------------------------------------------------

JWT_SECRET=$NSECRET start_wsa -c 1 -m 1024 -i 1 -- sh -c 'echo ready; cat > /dev/null'
run nws /v1/ingest <<<$'r 1\nz 1025\nw'
expect "message over -m: close 1009" "close: 1009 message too big" "$(tail -n 1 <<<"$out")"
run ws /v1/ingest <<<$'r 1\nT 100 '"$(head -c 1100 /dev/zero | tr '\0' x)"$'\nw'
expect "fragmented message over -m: close 1009" "close: 1009 message too big" "$(tail -n 1 <<<"$out")"
run nws /v1/ingest <<<$'r 1\nz 1024\nw'
expect "no message for -i seconds: close 1008" "close: 1008 idle timeout" "$(tail -n 1 <<<"$out")"
mkfifo "$T/hold"
ws /v1/ingest <"$T/hold" >"$T/held.out" &
track $!
exec 7>"$T/hold"
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 1 ]"
run ws /v1/ingest <<<'w'
expect "over MAX_CALLS: 503" "1 http: 503" "$rc $(head -n 1 <<<"$out")"
expect_match "capacity refusal logged" 'refused peer=127.0.0.1:[0-9]+ path=/v1/ingest protocol=exotel status=503 reason="at capacity max_calls=1"' "$(cat "$WSA_LOG")"
echo w >&7
exec 7>&-
expect "limit counters" "2 1" "$(metric 'ws_accept_limit_closes_total{limit="message_size"}') $(metric 'ws_accept_limit_closes_total{limit="idle"}')"
run ws /nope <<<'w'
expect "wrong path: 404" "1 http: 404" "$rc $(head -n 1 <<<"$out")"
# Strict clients (python3-websockets) cannot read a refusal said as HTTP/1.0.
status_line=$(curl -s -i --http1.1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    "http://127.0.0.1:$WSA_PORT/nope" | head -n 1 | tr -d '\r')
expect "a refused upgrade is answered in HTTP/1.1" "HTTP/1.1 404 Not Found" "$status_line"
run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WSA_PORT/nope"
expect "GET elsewhere: 404" 404 "$out"
expect_clean "limits"
stop_wsa

# ---- HTTP endpoints ---------------------------------------------------------

PUBLIC_URL='wss://ingest.example.com/v1/ingest?sample-rate=16000' start_wsa -- cat
run curl -s "http://127.0.0.1:$WSA_PORT/api/ingest/exotel-endpoint"
expect "endpoint: PUBLIC_URL verbatim" '{"url":"wss://ingest.example.com/v1/ingest?sample-rate=16000"}' "$out"
run curl -s -X POST -H 'content-type: application/json' -d '{"call":"x"}' "http://127.0.0.1:$WSA_PORT/api/ingest/exotel-endpoint"
expect "endpoint: POST with a body" '{"url":"wss://ingest.example.com/v1/ingest?sample-rate=16000"}' "$out"
run curl -s "http://127.0.0.1:$WSA_PORT/health"
expect "health: JSON status and calls" "ok 0 500" "$(jq -r '"\(.status) \(.active_calls) \(.max_calls)"' <<<"$out")"
before=$(metric 'ws_accept_messages_received_total{type="text"}')
acc0=$(metric 'ws_accept_connections_total{protocol="exotel",result="accepted"}')
run ws /v1/ingest <<<$'t x\nt y\nc 1000'
expect "metrics move after a call" "2 1" \
    "$(( $(metric 'ws_accept_messages_received_total{type="text"}') - before )) $(( $(metric 'ws_accept_connections_total{protocol="exotel",result="accepted"}') - acc0 ))"
run curl -s "http://127.0.0.1:$WSA_PORT/metrics"
expect_match "metrics: Prometheus text with TYPE lines" '^# TYPE ws_accept_active_calls gauge$' "$out"
expect_clean "endpoints"
stop_wsa
start_wsa -- cat
run curl -s -w ' %{http_code}' "http://127.0.0.1:$WSA_PORT/api/ingest/exotel-endpoint"
expect "endpoint without PUBLIC_URL: 503 and why" '{"error":"PUBLIC_URL is not configured"}
 503' "$out"
stop_wsa

# ---- SIGTERM drain -----------------------------------------------------------

start_wsa -D 60 -- sh -c 'cat > "$OUT/drain.in"'
hold_call
kill -TERM $WSA_PID
wait_for 10 sh -c "curl -s http://127.0.0.1:$WSA_PORT/health | grep -q draining"
run curl -s -w ' %{http_code}' "http://127.0.0.1:$WSA_PORT/health"
expect "draining: /health says so with 503" "draining 503" "$(jq -r .status <<<"${out% *}") ${out##* }"
run ws /v1/ingest <<<'w'
expect "draining: new calls refused with 503" "1 http: 503" "$rc $(head -n 1 <<<"$out")"
echo "t still flowing" >&7
wait_for 10 grep -q "still flowing" "$OUT/drain.in"
expect "draining: the current call still flows" "still flowing" "$(cat "$OUT/drain.in")"
kill -TERM $WSA_PID
echo w >&7
wait $WSA_PID
rc=$?
exec 7>&-
expect "second SIGTERM: calls ended, exit 0" 0 "$rc"
wait_for 5 grep -q close "$T/held.out"
expect "the caller got 1001" "close: 1001 server shutting down" "$(tail -n 1 "$T/held.out")"

start_wsa -D 1 -- sh -c 'cat > /dev/null'
hold_call
kill -TERM $WSA_PID
wait $WSA_PID
rc=$?
exec 7>&-
expect "drain time over: calls ended, exit 0" 0 "$rc"
expect_match "drain logged" "info: drain time over: ending calls=1" "$(cat "$WSA_LOG")"

# ---- native: after start, text messages are control, never audio -----------

JWT_SECRET=native-secret start_wsa -- sh -c 'exec cat >"$OUT/native"'
tok=$(jwt-mint -s native-secret "{\"sub\":\"n\",\"exp\":$(($(date +%s) + 300))}")
head -c 960 /dev/urandom >"$T/na.pcm"
head -c 960 /dev/urandom >"$T/nb.pcm"
start='{"event":"start","interaction_id":"n1","tenant_id":"t","sample_rate":8000,"encoding":"pcm16"}'
run ws -H "Authorization: Bearer $tok" /v1/ingest <<EOF
t $start
r 1
b $T/na.pcm
t {"event":"mark","name":"odd"}
b $T/nb.pcm
t {"event":"stop"}
w
EOF
expect "native: started, and a stop ends the call" "open
text: {\"event\":\"started\"}
close: 1000 handler exited status=0" "$out"
{ printf '%s\n' "$start"; cat "$T/na.pcm" "$T/nb.pcm"; } >"$T/native.want"
if cmp -s "$T/native.want" "$OUT/native"; then
	pass "native: the handler gets the start line and PCM only"
else
	fail "native: the handler gets the start line and PCM only" "$(cmp "$T/native.want" "$OUT/native" 2>&1)"
fi
expect_clean "native calls"
stop_wsa

# ---- valgrind: no error, no leak over calls of every ending ----------------

WSA_PORT=$(freeport)
mkfifo "$T/vgready"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --log-file="$T/vg.log" ws-accept -p "$WSA_PORT" -d 3 -m 2048 -D 1 -- \
    sh -c 'while read -r l; do [ "$l" = quit ] && exit 4; echo "echo $l"; done' \
    3>"$T/vgready" 2>"$T/vg.err" &
WSA_PID=$!
track $WSA_PID
read -r _ <"$T/vgready"
ws /v1/ingest <<<$'t a\nr 1\nT 2 fragments\nr 1\nc 1000' >/dev/null
ws /v1/ingest <<<$'z 3000\nw' >/dev/null
ws /v1/ingest <<<$'t quit\nw' >/dev/null
ws /v1/ingest <<<$'t a\nx' >/dev/null
ws /nope <<<'w' >/dev/null
curl -s "http://127.0.0.1:$WSA_PORT/metrics" >/dev/null
curl -s -d x "http://127.0.0.1:$WSA_PORT/api/ingest/exotel-endpoint" >/dev/null
wait_for 20 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 0 ]"
kill -TERM $WSA_PID
wait $WSA_PID
rc=$?
expect "valgrind: exit 0, no error or leak" "0 " "$rc $(cat "$T/vg.log")"

# ---- behind a trusted proxy: X-Forwarded-For judged by the allow-list ------

TRUSTED_PROXIES=127.0.0.1/32 EXOTEL_ALLOW_IPS=10.1.2.3/32 start_wsa -- \
    sh -c 'echo "$REMOTE_ADDR $CLIENT_ADDR"'
run ws -H 'X-Forwarded-For: 198.51.100.7, 10.1.2.3' /v1/ingest <<<'w'
expect "trusted proxy: the forwarded client is judged and passed on" "open
text: 127.0.0.1 10.1.2.3
close: 1000 handler exited status=0" "$out"
expect_match "trusted proxy: both addresses logged" "accepted peer=127.0.0.1:[0-9]+ client=10.1.2.3 protocol=exotel auth=ip" "$(cat "$WSA_LOG")"
run ws /v1/ingest <<<'w'
expect "trusted proxy without the header: the proxy itself is judged (403)" "1 http: 403" "$rc $(head -n 1 <<<"$out")"
run ws -H 'X-Forwarded-For: not an address' /v1/ingest <<<'w'
expect "trusted proxy, malformed header: 400" "1 http: 400" "$rc $(head -n 1 <<<"$out")"
expect_clean "trusted proxy"
stop_wsa

# ---- handshake timeout --------------------------------------------------------

start_wsa -t 1 -- cat
run timeout 30 bash -c "exec 5<>/dev/tcp/127.0.0.1/$WSA_PORT; printf 'GET /v1/ingest HTTP/1.1\r\n' >&5; cat <&5"
expect "a request never finished is closed by the handshake timeout" "0" "$rc"
run timeout 30 bash -c "exec 5<>/dev/tcp/127.0.0.1/$WSA_PORT; cat <&5"
expect "a silent connection is closed by the handshake timeout" "0" "$rc"
expect_clean "handshake timeout"
stop_wsa

# ---- one call's descriptors never reach another call's handler -------------

# The shell lists its own descriptors before it makes any pipe of its own.
start_wsa -- sh -c 'ls /proc/$$/fd >"$OUT/fds.$CALL_ID"
    sort -n "$OUT/fds.$CALL_ID" | tr "\n" " "; echo; cat >/dev/null'
run ws /v1/ingest <<<$'r 1\nc 1000'
alone=$(sed -n 2p <<<"$out")
hold_call
run ws /v1/ingest <<<$'r 1\nc 1000'
expect "a handler sees the same descriptors with another call open" "$alone" "$(sed -n 2p <<<"$out")"
echo "c 1000" >&7
exec 7>&-
expect_clean "descriptors per call"
stop_wsa

# ---- a handler that closes its stdin and goes on -------------------------------

# Its stdin pipe's error condition stays raised (epoll is level-triggered):
# the server must close that pipe at once, not spin its loop until the
# handler ends.  A spinning loop takes a whole core (~100 ticks a second);
# an idle one next to nothing, whatever the machine's load.
start_wsa -- sh -c 'exec 0<&-; : >"$OUT/noin.$CALL_ID"; sleep 3; echo bye'
ws /v1/ingest <<<$'r 1\nw' >"$T/noin.out" &
noin=$!
track $noin
wait_for 10 sh -c "ls $OUT | grep -q '^noin\.'"
t0=$(awk '{ print $14 + $15 }' "/proc/$WSA_PID/stat")
sleep 2
t1=$(awk '{ print $14 + $15 }' "/proc/$WSA_PID/stat")
[ $((t1 - t0)) -lt 40 ] && pass "a handler's closed stdin does not spin the server" ||
    fail "a handler's closed stdin does not spin the server" "$((t1 - t0)) CPU ticks in 2 s"
wait $noin
expect "the call goes on after the handler closed its stdin" \
    "open|text: bye|close: 1000 handler exited status=0" "$(paste -sd'|' "$T/noin.out")"
expect_clean "closed stdin"
stop_wsa
