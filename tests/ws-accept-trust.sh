# ws-accept at its trust boundary (issue 9): what it binds, what a client
# can and cannot make it do at the handshake, the caps, the tenant a
# credential speaks for, and what /health says when the host cannot serve.
# Real sockets throughout: tests/bin/wsclient, curl, bash's /dev/tcp.
source "$(dirname "$0")/lib.sh"

export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
unset JWT_SECRET JWT_PUBLIC_KEY JWT_AUDIENCE EXOTEL_BASIC_AUTH PUBLIC_URL \
    MAX_CALLS MAX_CALLS_PER_IP MAX_CALLS_PER_CREDENTIAL REDIS_URL HOST
ws() { wsclient 127.0.0.1 "$WSA_PORT" "$@"; }
health() { curl -s -w ' %{http_code}' "http://127.0.0.1:$WSA_PORT/health"; }
metric() { curl -s "http://127.0.0.1:$WSA_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
active() { curl -s "http://127.0.0.1:$WSA_PORT/health" | jq -r .active_calls; }

# raw REQUEST: send REQUEST (printf format) on a fresh connection and print
# the status line and the body's last line; the server must answer and
# close by itself (no waiting for a timeout: 8 s is far above -t 3).
raw() {
	local r
	r=$(timeout 8 bash -c 'exec 5<>/dev/tcp/127.0.0.1/'"$WSA_PORT"'
	    printf "$1" >&5; cat <&5' _ "$1" 2>/dev/null | tr -d '\r')
	printf '%s|%s\n' "$(head -n 1 <<<"$r")" "$(tail -n 1 <<<"$r")"
}
UP='Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'

# ---- HOST binds exactly what it says ----------------------------------------

HOST=127.0.0.1 start_wsa -t 3 -- cat
expect "HOST=127.0.0.1: IPv4 loopback answers" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WSA_PORT/health")"
curl -s -o /dev/null --max-time 3 "http://[::1]:$WSA_PORT/health"
expect "HOST=127.0.0.1: nothing on IPv6 (curl cannot connect)" 7 "$?"
expect "HOST=127.0.0.1: its only listening socket is 127.0.0.1" "127.0.0.1:$WSA_PORT" \
    "$(ss -Hltn "sport = :$WSA_PORT" | awk '{print $4}' | sort | tr '\n' ' ' | sed 's/ $//')"
stop_wsa
HOST=localhost start_wsa -t 3 -- cat
expect_match "HOST=localhost: listens on what localhost resolves to" "127.0.0.1:$WSA_PORT" \
    "$(ss -Hltn "sport = :$WSA_PORT" | awk '{print $4}')"
expect "HOST=localhost: answers on 127.0.0.1" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WSA_PORT/health")"
stop_wsa
p=$(freeport)
mkfifo "$T/ready-bad"
HOST=no-such-host.invalid ws-accept -p "$p" -d 3 -- cat 3>"$T/ready-bad" 2>"$T/bad.log" &
bad=$!
read -r line <"$T/ready-bad"
expect "HOST that does not resolve: no readiness" "1 " "$? $line"
wait $bad
expect_match "HOST that does not resolve: exit 111, one line saying so" \
    "^111 ws-accept: fatal: unable to listen on no-such-host.invalid port $p: unable to resolve" "$? $(cat "$T/bad.log")"
expect "HOST that does not resolve: no 'listening' line" 0 "$(grep -c listening "$T/bad.log")"
start_wsa -- cat
PORT=$WSA_PORT run ws-accept -- cat
expect "port in use: exit 111 and one line" \
    "111 ws-accept: fatal: unable to listen on 0.0.0.0 port $WSA_PORT: Address already in use" "$rc $err"
stop_wsa

# ---- the handshake: every refusal has a status and a log line ---------------

start_wsa -t 3 -- sh -c 'echo "$PROTOCOL|$REQUEST_PATH"; cat >/dev/null'
expect "Upgrade: WebSocket (any case) is a WebSocket upgrade" "HTTP/1.1 101 Switching Protocols" \
    "$(timeout 5 bash -c 'exec 5<>/dev/tcp/127.0.0.1/'"$WSA_PORT"'
	printf "GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n'"$UP"'\r\n" >&5
	head -n 1 <&5' | tr -d '\r')"
expect "a subprotocol naming an internal protocol: 400, never a socket" \
    'HTTP/1.1 400 Bad Request|{"error":"no subprotocol is offered (Sec-WebSocket-Protocol)"}' \
    "$(raw "GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n${UP}Sec-WebSocket-Protocol: ws-accept-pipe\r\n\r\n")"
expect "ws-accept-signal likewise" 'HTTP/1.1 400 Bad Request' \
    "$(raw "GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n${UP}Sec-WebSocket-Protocol: ws-accept-signal\r\n\r\n" | cut -d'|' -f1)"
expect "an unknown subprotocol: 400" 'HTTP/1.1 400 Bad Request' \
    "$(raw "GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n${UP}Sec-WebSocket-Protocol: chat\r\n\r\n" | cut -d'|' -f1)"
expect "an Upgrade that is not WebSocket: 400" 'HTTP/1.1 400 Bad Request|{"error":"unsupported upgrade h2c"}' \
    "$(raw "GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")"
expect "Content-Length: -1: 400" 'HTTP/1.1 400 Bad Request|{"error":"bad Content-Length"}' \
    "$(raw "POST /api/ingest/exotel-endpoint HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")"
expect "obs-fold: 400" 'HTTP/1.1 400 Bad Request|{"error":"obsolete line folding in the request header"}' \
    "$(raw "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n")"
expect "NUL in a header: 400" 'HTTP/1.1 400 Bad Request|{"error":"NUL byte in the request header"}' \
    "$(raw "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n")"
long=$(head -c 20000 /dev/zero | tr '\0' a)
expect "a header past 12 KiB: 431" 'HTTP/1.1 431 Request Header Fields Too Large|{"error":"request header too large"}' \
    "$(raw "GET /health HTTP/1.1\r\nHost: x\r\nX-A: $long\r\n\r\n")"
expect "a head never finished: 408 at the handshake timeout" 'HTTP/1.1 408 Request Timeout' \
    "$(raw "GET /health HTTP/1.1\r\nHost: x\r\n" | cut -d'|' -f1)"
two=$(timeout 8 bash -c 'exec 5<>/dev/tcp/127.0.0.1/'"$WSA_PORT"'
    printf "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&5
    cat <&5' | grep -c '^HTTP/1.1 200')
expect "pipelined GET /health: both answered" 2 "$two"
expect "three subprotocol refusals logged" 3 "$(grep -c 'status=400 reason="no subprotocol is offered' "$WSA_LOG")"
for r in "unsupported upgrade h2c" "bad Content-Length" \
    "obsolete line folding" "NUL byte" "request header too large" "request header not finished"; do
	expect "refusal logged: $r" 1 "$(grep -c "refused peer=127.0.0.1:[0-9]* .*status=4[0-9][0-9] reason=\"$r" "$WSA_LOG")"
done
run ws /v1/ingest/ <<<'r 1'
expect "/v1/ingest/ (trailing slash) is the same path" "open
text: exotel|/v1/ingest/" "$out"
run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WSA_PORT/v1/ingest/"
expect "GET /v1/ingest/ without upgrade: 426 like /v1/ingest" 426 "$out"
run ws /v1/ingestx <<<'w'
expect "/v1/ingestx is not the path" "1 http: 404" "$rc $(head -n 1 <<<"$out")"
stop_wsa

# ---- text-only protocols, idle counts media, failures are warnings ------------

start_wsa -i 2 -- sh -c 'cat > /dev/null; exit 2'
run ws /v1/ingest <<<$'t {"event":"connected"}\nz 4\nt {"event":"stop"}\nw'
expect "binary frame on an Exotel call: close 1003" "close: 1003 binary frames not accepted" "$(tail -n 1 <<<"$out")"
expect_match "binary frame logged" "warning: call=[0-9a-f]+ binary frame on a text-only protocol=exotel" "$(cat "$WSA_LOG")"
# Marks every 0.5 s for 6 s with -i 2: a call that sent only media
# counts as busy, so only a timer that ignores marks ends it.
idle0=$(metric 'ws_accept_limit_closes_total{limit="idle"}')
run ws /v1/ingest < <(echo 't {"event":"media","media":{"payload":""}}'
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo 's 500'; echo 't {"event": "mark"}'; done
    echo 'c 1000')
expect "marks without media: closed by the idle timeout" 1 \
    "$(( $(metric 'ws_accept_limit_closes_total{limit="idle"}') - idle0 ))"
expect_match "idle timeout logged as no media" "call=[0-9a-f]+ idle timeout \\(no media\\) seconds=2" "$(cat "$WSA_LOG")"
run ws /v1/ingest <<<$'t {"event":"media"}\ns 1200\nt {"event" : "media"}\ns 1200\nt {"event":"media"}\ns 1200\nt {"event":"media"}\nc 1000'
expect "media every 1.2 s with -i 2: not idle" "close: 1000 " "$(tail -n 1 <<<"$out")"
wait_for 10 sh -c "grep -c 'status=2' $WSA_LOG | grep -q 3"
expect_match "handler exit 2 logged as a warning" "warning: call=[0-9a-f]+ handler pid=[0-9]+ status=2" "$(cat "$WSA_LOG")"
expect_match "the failed call's end is a warning" "warning: call=[0-9a-f]+ ended .* status=2 " "$(cat "$WSA_LOG")"
stop_wsa

# ---- caps per address and per credential ------------------------------------

hold() {	# hold NAME [wsclient options...]: a call that stays until fd 7 closes
	local n=$1
	shift
	rm -f "$T/hold.$n"
	mkfifo "$T/hold.$n"
	wsclient "$@" 127.0.0.1 "$WSA_PORT" /v1/ingest <"$T/hold.$n" >"$T/held.$n" &
	track $!
	eval "exec ${n}>\"$T/hold.$n\""
}
MAX_CALLS_PER_IP=1 start_wsa -- cat
hold 7
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 1 ]"
run ws /v1/ingest <<<'w'
expect "MAX_CALLS_PER_IP=1: a second call from the address is 503" "1 http: 503" "$rc $(head -n 1 <<<"$out")"
expect_match "per-address refusal logged as a warning" \
    'warning: refused peer=127.0.0.1:[0-9]+ path=/v1/ingest protocol=exotel status=503 reason="at capacity for this address max_calls_per_ip=1"' "$(cat "$WSA_LOG")"
exec 7>&-
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 0 ]"
run ws /v1/ingest <<<'c 1000'
expect "MAX_CALLS_PER_IP: the slot is free again" "open" "$(head -n 1 <<<"$out")"
stop_wsa
basic() { printf 'Authorization: Basic %s' "$(printf %s "$1" | base64 -w0)"; }
EXOTEL_ALLOW_IPS= EXOTEL_BASIC_AUTH='k1:t1,k2:t2' MAX_CALLS_PER_CREDENTIAL=1 start_wsa -- cat
hold 7 -H "$(basic k1:t1)"
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 1 ]"
run ws -H "$(basic k1:t1)" /v1/ingest <<<'w'
expect "MAX_CALLS_PER_CREDENTIAL=1: the same key again is 503" "1 http: 503" "$rc $(head -n 1 <<<"$out")"
run ws -H "$(basic k2:t2)" /v1/ingest <<<'c 1000'
expect "MAX_CALLS_PER_CREDENTIAL: another key is taken" "open" "$(head -n 1 <<<"$out")"
exec 7>&-
stop_wsa

# ---- a credential speaks for its tenant --------------------------------------

EXOTEL_ALLOW_IPS='127.0.0.1/32=tenantA' EXOTEL_BASIC_AUTH='kb:tb:tenantB,kn:tn' \
    start_wsa -- sh -c 'echo "${TENANT_ID-unset}|$AUTH_METHOD|$AUTH_PRINCIPAL"'
run ws /v1/ingest <<<$'r 1\nw'
expect "allow-list entry 127.0.0.1/32=tenantA: TENANT_ID=tenantA" "open
text: tenantA|ip|127.0.0.1/32" "$(head -n 2 <<<"$out")"
run ws -H "$(basic kb:tb)" /v1/ingest <<<$'r 1\nw'
expect "Basic kb:tb:tenantB: TENANT_ID=tenantB" "open
text: tenantB|basic|kb" "$(head -n 2 <<<"$out")"
run ws -H "$(basic kn:tn)" /v1/ingest <<<$'r 1\nw'
expect "Basic without a tenant: TENANT_ID unset" "open
text: unset|basic|kn" "$(head -n 2 <<<"$out")"
run ws -H "$(basic kb:tb:tenantB)" /v1/ingest <<<'w'
expect "the tenant is not part of the password" "1 http: 401" "$rc $(head -n 1 <<<"$out")"
stop_wsa
EXOTEL_ALLOW_IPS='127.0.0.1/32=bad tenant!' run ws-accept -n -- cat
expect_match "a bad tenant in the allow-list is refused at start" "^100 .*EXOTEL_ALLOW_IPS: bad entry" "$rc $err"
TRUSTED_PROXIES='127.0.0.1/32=t' run ws-accept -n -- cat
expect_match "no tenant on a trusted proxy" "^100 .*TRUSTED_PROXIES: bad entry .*no tenant here" "$rc $err"

# ---- /health tells a balancer when the host cannot serve -----------------------

start_redis
REDIS_URL=$REDIS_URL start_wsa -c 1 -- cat
wait_for 10 sh -c "curl -s http://127.0.0.1:$WSA_PORT/health | grep -q '\"redis\":\"up\"'"
out=$(health)
expect "Redis up, room for calls: 200 ok" "ok up 200" "$(jq -r '"\(.status) \(.redis)"' <<<"${out% *}") ${out##* }"
expect "/metrics: ws_accept_redis_up 1, ws_accept_full 0" "1 0" "$(metric ws_accept_redis_up) $(metric ws_accept_full)"
hold 7
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 1 ]"
out=$(health)
expect "host full: /health 503 full" "full 503" "$(jq -r .status <<<"${out% *}") ${out##* }"
expect "/metrics: ws_accept_full 1" 1 "$(metric ws_accept_full)"
exec 7>&-
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$WSA_PORT/health | jq -r .active_calls)\" = 0 ]"
stop_redis
wait_for 10 sh -c "curl -s http://127.0.0.1:$WSA_PORT/health | grep -q '\"redis\":\"down\"'"
out=$(health)
expect "Redis down: /health 503 redis_down" "redis_down down 503" "$(jq -r '"\(.status) \(.redis)"' <<<"${out% *}") ${out##* }"
expect "/metrics: ws_accept_redis_up 0" 0 "$(metric ws_accept_redis_up)"
expect_match "Redis down logged once as a warning" "warning: redis unreachable: " "$(cat "$WSA_LOG")"
start_redis "$REDIS_PORT"
wait_for 10 sh -c "curl -s http://127.0.0.1:$WSA_PORT/health | grep -q '\"status\":\"ok\"'"
expect "Redis back: /health ok again" "ok" "$(curl -s "http://127.0.0.1:$WSA_PORT/health" | jq -r .status)"
stop_wsa
start_wsa -- cat
expect "without REDIS_URL: redis unknown, no ws_accept_redis_up" "unknown " \
    "$(curl -s "http://127.0.0.1:$WSA_PORT/health" | jq -r .redis) $(metric ws_accept_redis_up)"
stop_wsa

# ---- caller values in the log are escaped ----------------------------------------

EXOTEL_ALLOW_IPS= EXOTEL_BASIC_AUTH=$'k\xe9 x:t' start_wsa -- cat
run ws -H "$(basic $'k\xe9 x:t')" /v1/ingest <<<'c 1000'
expect "a Basic key with a byte past ASCII and a blank is logged escaped" 1 \
    "$(grep -c 'auth=basic principal=k\\xe9\\x20x$' "$WSA_LOG")"
raw "GET /v1/ingest\x1b[31m\x0a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n$UP\r\n" >/dev/null
raw "GET /x\x1b[31mfake HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n$UP\r\n" >/dev/null
expect_match "a path with a terminal escape is logged escaped" 'path=/x\\x1b\[31mfake ' "$(cat "$WSA_LOG")"
expect "no raw escape byte in the log" 0 "$(grep -c $'\x1b' "$WSA_LOG")"
stop_wsa

# ---- a handler line past the limit is never split (issue 8) ----------------------

start_wsa -m 1024 -- sh -c 'head -c 3000 /dev/zero | tr "\0" x; echo; echo "{\"event\":\"mark\"}"; cat >/dev/null'
run ws /v1/ingest <<<$'r 1\nc 1000'
expect "a 3000-byte line with -m 1024: dropped whole, the next line sent" "open
text: {\"event\":\"mark\"}
close: 1000 " "$out"
expect_match "the dropped line is a warning" "warning: call=[0-9a-f]+ handler line longer than 1024 bytes \\(max-message-bytes\\): dropped" "$(cat "$WSA_LOG")"
expect "and counted" 1 "$(metric ws_accept_handler_lines_dropped_total)"
stop_wsa

# ---- PROTOCOL: native only for a verified Bearer JWT (issue 7) --------------------

JWT_SECRET=trust-secret EXOTEL_BASIC_AUTH=k:t start_wsa -- sh -c 'echo "$PROTOCOL"'
tok=$(jwt-mint -s trust-secret "{\"sub\":\"n\",\"exp\":$(($(date +%s) + 300))}")
run ws -H "Authorization: Bearer $tok" /v1/ingest <<<$'r 1\nw'
expect "a verified Bearer JWT: PROTOCOL=native" "text: native" "$(sed -n 2p <<<"$out")"
run ws -H "$(basic k:t)" /v1/ingest <<<$'r 1\nw'
expect "Basic: PROTOCOL=exotel" "text: exotel" "$(sed -n 2p <<<"$out")"
run ws /v1/ingest <<<$'r 1\nw'
expect "no header (allow-list): PROTOCOL=exotel" "text: exotel" "$(sed -n 2p <<<"$out")"
stop_wsa

# ---- TLS through ws-accept's own listener ------------------------------------------

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -subj /CN=localhost -days 1 >/dev/null 2>&1
start_wsa -C "$T/cert.pem" -K "$T/key.pem" -- sh -c 'echo "$PROTOCOL"; cat >/dev/null'
expect "wss: /health over TLS" ok "$(curl -sk "https://127.0.0.1:$WSA_PORT/health" | jq -r .status)"
expect "wss: the upgrade is answered over TLS" "HTTP/1.1 101 Switching Protocols" \
    "$(printf 'GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' |
	timeout 5 openssl s_client -quiet -connect "127.0.0.1:$WSA_PORT" 2>/dev/null | head -n 1 | tr -d '\r')"
stop_wsa
