# ws-accept's TLS as deployed: the profile (each suite of Mozilla's
# intermediate configuration accepted, the weak ones and old protocols
# refused, TLS_MIN_VERSION and TLS_CIPHERS), a bad setting or pair
# stopping the start, and the certificate reloaded on SIGHUP under live
# calls, a broken pair refused with the old one kept.  A throwaway CA and
# certificates are made here with openssl; the clients are the openssl
# command and exotel-replay, the handler a plain `cat` into a file.
source "$(dirname "$0")/lib.sh"

unset JWT_SECRET JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS \
    SSL_CERT_PATH SSL_KEY_PATH TLS_MIN_VERSION TLS_CIPHERS REDIS_URL \
    HOST PORT LOG_LEVEL INGEST_STATE_DIR INGEST_ENV_FILE
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32

# ---- a CA and its certificates ----------------------------------------------

K=$T/pki
mkdir -p "$K"
# cert NAME KEYSPEC SERIAL DAYS: NAME.pem signed by the CA for localhost
# and 127.0.0.1, key NAME.key.
cert() {
	openssl req -newkey "$2" -nodes -keyout "$K/$1.key" -out "$K/$1.csr" \
	    -subj "/CN=localhost/O=Ingest Test" 2>/dev/null &&
	openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" \
	    -set_serial "$3" -days "$4" -out "$K/$1.pem" \
	    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n') 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/ca.key" -out "$K/ca.pem" \
    -days 30 -subj "/CN=Ingest Test CA" 2>/dev/null &&
cert rsa rsa:2048 0x1001 60 &&
cert ec ec:<(openssl ecparam -name prime256v1) 0x2002 60 &&
cert renewed rsa:2048 0x3003 90 &&
cert expired rsa:2048 0x4004 -1 &&
cert weak rsa:1024 0x5005 60 || { echo "FAIL: making the certificates"; exit 1; }
not_after() { date -u -d "$(openssl x509 -noout -enddate -in "$1" | cut -d= -f2)" +%s; }
iso_after() { date -u -d "@$(not_after "$1")" +%Y-%m-%dT%H:%M:%SZ; }

# hello PORT ARGS...: one TLS handshake by `openssl s_client` with ARGS;
# prints "PROTOCOL CIPHER" when it completes (the server's certificate
# verified against the CA), else the alert the server sent.
hello() {
	local port=$1 o
	shift
	o=$(openssl s_client -connect "127.0.0.1:$port" -servername localhost \
	    -CAfile "$K/ca.pem" -verify_return_error "$@" </dev/null 2>&1)
	if printf '%s\n' "$o" | grep -q '^New, TLSv'; then
		printf '%s\n' "$o" | sed -n 's/^New, \([^,]*\), Cipher is \(.*\)/\1 \2/p'
	else
		printf '%s\n' "$o" | grep -o 'alert [a-z ]*' | head -n 1
	fi
}
# serial PORT: the serial of the certificate a new connection gets.
serial() {
	openssl s_client -connect "127.0.0.1:$1" -servername localhost \
	    -CAfile "$K/ca.pem" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null
}
metrics() { curl -s --cacert "$K/ca.pem" "https://127.0.0.1:$1/metrics"; }
metric() { metrics "$1" | awk -v m="$2" '$1 == m { print $2 }'; }

# ---- a bad setting or pair stops the start ----------------------------------

run env TLS_CIPHERS=NO-SUCH-CIPHER ws-accept -n -C "$K/rsa.pem" -K "$K/rsa.key" -- cat
expect "TLS_CIPHERS OpenSSL refuses: one line, exit 100" \
    "100|ws-accept: fatal: invalid TLS_CIPHERS: NO-SUCH-CIPHER (OpenSSL: no cipher match)" "$rc|$err"
run env TLS_MIN_VERSION=1.1 ws-accept -n -C "$K/rsa.pem" -K "$K/rsa.key" -- cat
expect "TLS_MIN_VERSION 1.1: one line, exit 100" \
    "100|ws-accept: fatal: invalid TLS_MIN_VERSION: 1.1 (want 1.2 or 1.3)" "$rc|$err"
run ws-accept -n -C "$K/rsa.pem" -K "$K/ec.key" -- cat
expect "a key that does not match the certificate stops the start" \
    "100|ws-accept: fatal: the key in SSL_KEY_PATH $K/ec.key does not match the certificate in SSL_CERT_PATH $K/rsa.pem" \
    "$rc|$err"
run ws-accept -n -C "$K/expired.pem" -K "$K/expired.key" -- cat
expect "an expired certificate stops the start" \
    "100|ws-accept: fatal: the certificate in SSL_CERT_PATH $K/expired.pem expired at $(iso_after "$K/expired.pem") (serial=4004)" \
    "$rc|$err"
run ws-accept -n -C "$K/weak.pem" -K "$K/weak.key" -- cat
expect "a 1024-bit RSA key stops the start (OpenSSL's security level)" \
    "100|ws-accept: fatal: OpenSSL refuses the certificate in SSL_CERT_PATH $K/weak.pem: ee key too small" \
    "$rc|$err"
run ws-accept -n -C "$K/rsa.pem" -K "$K/rsa.key" -- cat
expect_match "-n names the profile and the certificate in force" \
    "^ws-accept: info: tls profile min_version=1.2 ciphers=mozilla-intermediate
ws-accept: info: tls certificate in force subject=\"O=Ingest Test,CN=localhost\" issuer=\"CN=Ingest Test CA\" serial=1001 not_after=$(iso_after "$K/rsa.pem") days_left=(59|60) key=RSA-2048$" \
    "$(printf '%s\n' "$err" | head -n 2)"

# ---- the profile, RSA certificate ----------------------------------------------

start_wsa -C "$K/rsa.pem" -K "$K/rsa.key" -- sh -c 'exec cat >/dev/null'
P=$WSA_PORT
for c in ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 \
    ECDHE-RSA-CHACHA20-POLY1305 DHE-RSA-AES128-GCM-SHA256 \
    DHE-RSA-AES256-GCM-SHA384 DHE-RSA-CHACHA20-POLY1305; do
	expect "TLS 1.2 $c accepted" "TLSv1.2 $c" "$(hello $P -tls1_2 -cipher "$c")"
done
for c in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	expect "TLS 1.3 $c accepted" "TLSv1.3 $c" "$(hello $P -tls1_3 -ciphersuites "$c")"
done
# No forward secrecy (RSA key exchange), CBC, SHA-1: refused by the server
# (the client offers only that one, at security level 0 so it really does).
for c in AES128-SHA AES256-GCM-SHA384 AES128-GCM-SHA256 ECDHE-RSA-AES128-SHA \
    ECDHE-RSA-AES256-SHA384 DHE-RSA-AES128-SHA; do
	expect "TLS 1.2 $c refused" "alert handshake failure" \
	    "$(hello $P -tls1_2 -cipher "$c:@SECLEVEL=0")"
done
expect "TLS 1.0 refused" "alert protocol version" "$(hello $P -tls1 -cipher 'ALL:@SECLEVEL=0')"
expect "TLS 1.1 refused" "alert protocol version" "$(hello $P -tls1_1 -cipher 'ALL:@SECLEVEL=0')"
o=$(openssl s_client -connect "127.0.0.1:$P" -CAfile "$K/ca.pem" -tls1_2 </dev/null 2>&1)
expect "no compression" "Compression: NONE" "$(printf '%s\n' "$o" | grep -m 1 '^Compression:')"
# A client that asks to renegotiate ("R" on s_client's stdin) is refused.
o=$( { sleep 1; echo R; sleep 2; } | openssl s_client -connect "127.0.0.1:$P" \
    -CAfile "$K/ca.pem" -tls1_2 2>&1)
expect "client renegotiation refused (the server's no_renegotiation alert)" \
    "RENEGOTIATING ssl3_read_bytes:no renegotiation" \
    "$(printf '%s\n' "$o" | grep -o '^RENEGOTIATING\|ssl3_read_bytes:no renegotiation' | tr '\n' ' ' | sed 's/ $//')"
expect "the client chooses among the profile's suites" "TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305" \
    "$(hello $P -tls1_2 -cipher 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384')"
expect "/metrics: the certificate's expiry" "$(not_after "$K/rsa.pem")" \
    "$(metric $P ws_accept_tls_certificate_expiry_timestamp_seconds)"
expect "plain HTTP on the TLS port gets nothing" "000" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/health")"
stop_wsa

# ---- the profile, ECDSA certificate ------------------------------------------

start_wsa -C "$K/ec.pem" -K "$K/ec.key" -- sh -c 'exec cat >/dev/null'
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 \
    ECDHE-ECDSA-CHACHA20-POLY1305; do
	expect "ECDSA: TLS 1.2 $c accepted" "TLSv1.2 $c" "$(hello $WSA_PORT -tls1_2 -cipher "$c")"
done
for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384; do
	expect "ECDSA: TLS 1.2 $c refused" "alert handshake failure" \
	    "$(hello $WSA_PORT -tls1_2 -cipher "$c:@SECLEVEL=0")"
done
stop_wsa

# ---- TLS_MIN_VERSION, TLS_CIPHERS ---------------------------------------------

TLS_MIN_VERSION=1.3 start_wsa -C "$K/rsa.pem" -K "$K/rsa.key" -- sh -c 'exec cat >/dev/null'
expect "TLS_MIN_VERSION=1.3: TLS 1.2 refused" "alert protocol version" \
    "$(hello $WSA_PORT -tls1_2)"
expect "TLS_MIN_VERSION=1.3: TLS 1.3 accepted" "TLSv1.3 TLS_AES_256_GCM_SHA384" \
    "$(hello $WSA_PORT -tls1_3)"
stop_wsa
TLS_CIPHERS=ECDHE-RSA-AES256-GCM-SHA384 start_wsa -C "$K/rsa.pem" -K "$K/rsa.key" -- sh -c 'exec cat >/dev/null'
expect "TLS_CIPHERS: the named suite accepted" "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384" \
    "$(hello $WSA_PORT -tls1_2)"
expect "TLS_CIPHERS: a suite it leaves out refused" "alert handshake failure" \
    "$(hello $WSA_PORT -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)"
expect "TLS_CIPHERS: TLS 1.3 keeps its own suites" "TLSv1.3 TLS_AES_256_GCM_SHA384" \
    "$(hello $WSA_PORT -tls1_3)"
expect_match "TLS_CIPHERS: the start line names it" \
    "tls profile min_version=1.2 ciphers=ECDHE-RSA-AES256-GCM-SHA384" "$(cat "$WSA_LOG")"
stop_wsa

# ---- SIGHUP: a new certificate under 20 live calls ----------------------------

# The pair lives where certbot's would: files replaced in place.
cp "$K/rsa.pem" "$T/cert.pem"
cp "$K/rsa.key" "$T/key.pem"
mkdir -p "$T/calls"
export CALLS=$T/calls
start_wsa -i 0 -C "$T/cert.pem" -K "$T/key.pem" -- sh -c 'exec cat >"$CALLS/$CALL_ID"'
P=$WSA_PORT
SECS=12
tone -r 8000 -f 440 -a 0.3 -n $((SECS * 8000)) >"$T/call.pcm"
exotel-replay -q -x 1 -n 20 -t 120 -F pcm -r 8000 -C "$K/ca.pem" \
    "wss://127.0.0.1:$P/v1/ingest" "$T/call.pcm" >/dev/null 2>"$T/replay.err" &
RP=$!
track $RP
active() { [ "$(metric $P ws_accept_active_calls)" = 20 ]; }
wait_for 60 active
expect "20 wss:// calls live before the reload" "20" "$(metric $P ws_accept_active_calls)"
expect "a new connection sees the first certificate" "serial=1001" "$(serial $P)"
cp "$K/renewed.pem" "$T/cert.pem"
cp "$K/renewed.key" "$T/key.pem"
kill -HUP "$WSA_PID"
reloaded() { grep -q 'signal=HUP tls certificate in force' "$WSA_LOG"; }
wait_for 10 reloaded
expect_match "the log names the certificate now in force" \
    "^ws-accept: info: signal=HUP tls certificate in force subject=\"O=Ingest Test,CN=localhost\" issuer=\"CN=Ingest Test CA\" serial=3003 not_after=$(iso_after "$K/renewed.pem") days_left=(89|90) key=RSA-2048 changed=yes$" \
    "$(grep 'signal=HUP' "$WSA_LOG")"
expect "a new connection sees the new certificate" "serial=3003" "$(serial $P)"
expect "the calls live through the reload" "20" "$(metric $P ws_accept_active_calls)"
expect "/metrics: the new certificate's expiry, one reload" \
    "$(not_after "$K/renewed.pem") 1 0" \
    "$(metric $P ws_accept_tls_certificate_expiry_timestamp_seconds) $(metric $P 'ws_accept_tls_reloads_total{result="ok"}') $(metric $P 'ws_accept_tls_reloads_total{result="refused"}')"
timeout 120 tail --pid=$RP -f /dev/null
wait $RP
rrc=$?
expect "every call completed" "0 0" "$rrc $(grep -c 'fatal\|failed' "$T/replay.err")"
done_calls=$(for f in "$CALLS"/*; do
	# connected, start, one media message a 20 ms, stop.
	[ "$(wc -l <"$f")" = $((3 + SECS * 50)) ] && tail -n 1 "$f" | grep -q '"event":"stop"' && echo ok
done | grep -c ok)
expect "every call delivered every message to its handler" "20" "$done_calls"
wait_for 10 sh -c "[ \$(grep -c ' ended .*close=1000' '$WSA_LOG') = 20 ]"
expect "every call ended normally (close 1000)" "20" "$(grep -c ' ended .*close=1000' "$WSA_LOG")"

# ---- SIGHUP: a pair that does not load is refused, the old one stays ---------

# refused_after N: wait for the Nth refusal line; print it.
refused_after() {
	wait_for 10 sh -c "[ \$(grep -c 'tls reload refused' '$WSA_LOG') -ge $1 ]"
	grep 'tls reload refused' "$WSA_LOG" | sed -n "${1}p"
}
keeps="the certificate in force stays serial=3003 not_after=$(iso_after "$K/renewed.pem")"
cp "$K/ec.key" "$T/key.pem"
kill -HUP "$WSA_PID"
expect "a key that does not match: refused, one line" \
    "ws-accept: warning: signal=HUP tls reload refused: the key in SSL_KEY_PATH $T/key.pem does not match the certificate in SSL_CERT_PATH $T/cert.pem; $keeps" \
    "$(refused_after 1)"
expect "the old certificate stays in force" "serial=3003" "$(serial $P)"
cp "$K/renewed.key" "$T/key.pem"
cp "$K/expired.pem" "$T/cert.pem"
cp "$K/expired.key" "$T/key.pem"
kill -HUP "$WSA_PID"
expect "an expired certificate: refused" \
    "ws-accept: warning: signal=HUP tls reload refused: the certificate in SSL_CERT_PATH $T/cert.pem expired at $(iso_after "$K/expired.pem") (serial=4004); $keeps" \
    "$(refused_after 2)"
rm "$T/cert.pem"
kill -HUP "$WSA_PID"
expect "a missing certificate file: refused" \
    "ws-accept: warning: signal=HUP tls reload refused: unable to read SSL_CERT_PATH $T/cert.pem: No such file or directory; $keeps" \
    "$(refused_after 3)"
echo garbage >"$T/cert.pem"
kill -HUP "$WSA_PID"
expect_match "a file with no certificate: refused" \
    "^ws-accept: warning: signal=HUP tls reload refused: no PEM certificate in SSL_CERT_PATH $T/cert.pem \\(.*\\); $keeps$" \
    "$(refused_after 4)"
expect "still the old certificate, three handshakes later" "serial=3003 serial=3003 serial=3003" \
    "$(serial $P) $(serial $P) $(serial $P)"
expect "/metrics counts the refusals, the expiry unchanged" \
    "$(not_after "$K/renewed.pem") 1 4" \
    "$(metric $P ws_accept_tls_certificate_expiry_timestamp_seconds) $(metric $P 'ws_accept_tls_reloads_total{result="ok"}') $(metric $P 'ws_accept_tls_reloads_total{result="refused"}')"

# Another key type: only the new certificate is served, not both.
cp "$K/ec.pem" "$T/cert.pem"
cp "$K/ec.key" "$T/key.pem"
kill -HUP "$WSA_PID"
wait_for 10 sh -c "grep -q 'serial=2002 .*changed=yes' '$WSA_LOG'"
expect "RSA to ECDSA: the ECDSA certificate served" "serial=2002" "$(serial $P)"
expect "RSA to ECDSA: the RSA one no longer" "alert handshake failure" \
    "$(hello $P -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)"
expect "ws-accept still serves" "200" \
    "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$K/ca.pem" "https://127.0.0.1:$P/health")"
stop_wsa
expect "and stops normally" "0" "$?"

# ---- SIGHUP without TLS is harmless -------------------------------------------

start_wsa -- sh -c 'exec cat >/dev/null'
kill -HUP "$WSA_PID"
wait_for 10 grep -q 'signal=HUP' "$WSA_LOG"
expect "plain ws://: SIGHUP logged, nothing reloaded" \
    "ws-accept: info: signal=HUP tls=off: no certificate to reload" \
    "$(grep 'signal=HUP' "$WSA_LOG")"
expect "plain ws://: still serving" "200" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WSA_PORT/health")"
stop_wsa

# ---- bin/ingest passes SIGHUP on ------------------------------------------

# With a private Redis, ingest stays the parent of ws-accept.
cp "$K/rsa.pem" "$T/cert.pem"
cp "$K/rsa.key" "$T/key.pem"
IPORT=$(freeport)
: >"$T/ingest.ready"
env PORT="$IPORT" HOST=127.0.0.1 INGEST_STATE_DIR="$T/ingest" \
    SSL_CERT_PATH="$T/cert.pem" SSL_KEY_PATH="$T/key.pem" \
    ingest -d 3 3>"$T/ingest.ready" >/dev/null 2>"$T/ingest.err" </dev/null &
IPID=$!
track $IPID
wait_for 20 test -s "$T/ingest.ready"
for k in $(pgrep -P $IPID); do track "$k"; done
expect "ingest: the first certificate" "serial=1001" "$(serial $IPORT)"
cp "$K/renewed.pem" "$T/cert.pem"
cp "$K/renewed.key" "$T/key.pem"
kill -HUP "$IPID"
wait_for 10 grep -q 'signal=HUP tls certificate in force' "$T/ingest.err"
expect "ingest: SIGHUP reaches ws-accept, the new certificate served" "serial=3003" "$(serial $IPORT)"
expect "ingest: still running" "200" \
    "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$K/ca.pem" "https://127.0.0.1:$IPORT/health")"
kill -TERM "$IPID"
wait "$IPID"
expect "ingest: stops normally on TERM" "0" "$?"
