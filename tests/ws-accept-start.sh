# ws-accept's start as an operator meets it through bin/ingest: a port in
# use, TLS files that do not belong together and a missing libev plugin
# each say so in one line of ours, never libwebsockets' own lines.
source "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32 HOST=127.0.0.1
export REDIS_URL=redis://127.0.0.1:1	# not started: ingest execs ws-accept
unset SSL_CERT_PATH SSL_KEY_PATH JWT_SECRET JWT_PUBLIC_KEY LOG_LEVEL
# noise: lines from libwebsockets, or about the event loop.
noise() { grep -c -E 'lws|libev|evlib' <<<"$err"; }

# ---- a port in use ----------------------------------------------------------

start_wsa -H 127.0.0.1 -- cat
run env PORT="$WSA_PORT" timeout 20 ingest
expect "port in use: ingest exits 111" 111 "$rc"
expect "port in use: exactly one line says so, naming host and port" \
    "ws-accept: fatal: unable to listen on 127.0.0.1 port $WSA_PORT: Address already in use" \
    "$(grep -i 'already in use' <<<"$err")"
expect "port in use: no libwebsockets or event-loop lines" 0 "$(noise)"
stop_wsa

# ---- TLS files that do not belong together ---------------------------------

mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$T/$1.key" -out "$T/$1.pem" -days 30 \
	    -subj "/CN=$1" 2>/dev/null
}
mkcert a && mkcert b
mismatch="ws-accept: fatal: the key in SSL_KEY_PATH $T/b.key does not match the certificate in SSL_CERT_PATH $T/a.pem"
run env SSL_CERT_PATH="$T/a.pem" SSL_KEY_PATH="$T/a.key" ingest -n
expect_match "ingest -n: a certificate and its own key are accepted" \
    "^0\|.*configuration ok .* tls=on" "$rc|$(tr '\n' ' ' <<<"$err")"
run env SSL_CERT_PATH="$T/a.pem" SSL_KEY_PATH="$T/b.key" ingest -n
expect "ingest -n: a key that is not the certificate's: 100, one line naming both files" \
    "100|$mismatch" "$rc|$(grep 'does not match' <<<"$err")"
expect "ingest -n: nothing else from ws-accept, no libwebsockets lines" \
    "1 0" "$(grep -c '^ws-accept:' <<<"$err") $(noise)"
run env PORT="$(freeport)" SSL_CERT_PATH="$T/a.pem" SSL_KEY_PATH="$T/b.key" timeout 20 ingest
expect "ingest: the same at start: 100 and the one line, no libwebsockets lines" \
    "100|$mismatch|1 0" \
    "$rc|$(grep 'does not match' <<<"$err")|$(grep -c '^ws-accept:' <<<"$err") $(noise)"

# ---- the libev plugin missing ----------------------------------------------

# Hidden in a private mount namespace (root only): /dev/null over it.
plugin=$(ls /usr/lib/*/libwebsockets-evlib_ev.so 2>/dev/null | head -n 1)
if [ -n "$plugin" ] && unshare -m true 2>/dev/null; then
	p=$(freeport)
	mkfifo "$T/ready"
	unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh \
	    "$plugin" ws-accept -p "$p" -d 3 -- cat 3>"$T/ready" 2>"$T/noev.log" &
	pid=$!
	track $pid
	read -r _ <"$T/ready"
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/health")
	kill -TERM $pid
	wait $pid
	st=$?
	err=$(cat "$T/noev.log")
	# 503: /health also says the Redis of REDIS_URL does not answer.
	expect "libev plugin missing: ws-accept runs on poll (answers /health, exit 0)" \
	    "503 0" "$code $st"
	expect_match "libev plugin missing: one warning with lws's reason" \
	    "^ws-accept: warning: libev event loop unavailable \(lws_create_context: unable to load evlib plugin evlib_ev\): using poll" \
	    "$(grep libev <<<"$err")"
	expect "libev plugin missing: that line only, no libwebsockets lines" \
	    1 "$(noise)"
else
	echo "SKIP: libev plugin missing: needs root (unshare -m) and the plugin"
fi

# The plugin there: nothing said about the loop.
start_wsa -- cat
err=$(cat "$WSA_LOG")
expect "libev plugin there: nothing about the event loop" 0 "$(noise)"
stop_wsa
