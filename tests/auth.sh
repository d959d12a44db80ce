# ws-accept's authentication: the unit cases (tests/bin/auth-unit), tokens
# minted by the openssl command rather than by our own code, and the
# protocol table over real sockets against a real ws-accept.
source "$(dirname "$0")/lib.sh"

unset SUPPORT_EXOTEL EXOTEL_ALLOW_IPS EXOTEL_BASIC_AUTH JWT_SECRET \
    JWT_PUBLIC_KEY JWT_LEEWAY JWT_AUDIENCE JWT_ISSUER CALL_ID LOG_LEVEL \
    HOST PORT PUBLIC_URL SSL_CERT_PATH SSL_KEY_PATH MAX_CALLS

# ---- keys (fresh for every run) --------------------------------------------

K=$T/keys
mkdir -p "$K"
(
	cd "$K" || exit 1
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem &&
	openssl pkey -in rsa.pem -pubout -out rsa.pub &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2.pem &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 |
	    openssl pkey -pubout -out rsa1024.pub &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem &&
	openssl pkey -in ec.pem -pubout -out ec.pub &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec2.pem &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 |
	    openssl pkey -pubout -out ec384.pub &&
	openssl genpkey -algorithm ED25519 | openssl pkey -pubout -out ed25519.pub &&
	openssl req -new -x509 -key rsa.pem -subj /CN=auth-test -days 2 -out rsa.crt
) >"$T/keygen.log" 2>&1 || { fail "test keys" "$(tail -3 "$T/keygen.log")"; exit 1; }

# ---- unit cases ------------------------------------------------------------

auth-unit "$K"
rc=$?
[ $rc -le 1 ] || fail "auth-unit ran to its end" "exit $rc"

# The same cases under valgrind: no invalid access, no leak (libjq's and
# OpenSSL's included), whatever path a token takes.
if command -v valgrind >/dev/null; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=all \
	    --error-exitcode=99 auth-unit "$K" >/dev/null 2>"$T/vg.err"
	expect "auth-unit valgrind clean" "0|" "$?|$(head -c 2000 "$T/vg.err")"
fi

# ---- tokens minted by the openssl command ----------------------------------

SECRET='an HS256 secret of at least 32 bytes!'
NOW=$(date +%s)

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# mint ALG HEADER PAYLOAD: print a token signed by openssl as ALG says:
# HS256 (with $SECRET, or the bytes of file $HMAC_KEY_FILE), RS256 ($RSA),
# ES256 ($EC, DER turned into r||s), none.
mint() {
	local in sig
	in="$(printf %s "$2" | b64url).$(printf %s "$3" | b64url)"
	case $1 in
	HS256)
		if [ -n "${HMAC_KEY_FILE:-}" ]; then
			sig=$(printf %s "$in" | openssl dgst -sha256 -binary \
			    -mac HMAC -macopt "hexkey:$(xxd -p "$HMAC_KEY_FILE" | tr -d '\n')" | b64url)
		else
			sig=$(printf %s "$in" | openssl dgst -sha256 -binary \
			    -hmac "$SECRET" | b64url)
		fi ;;
	RS256)
		sig=$(printf %s "$in" | openssl dgst -sha256 -binary -sign "$RSA" | b64url) ;;
	ES256)
		# ECDSA-Sig-Value is SEQUENCE { INTEGER r, INTEGER s }; JOSE
		# wants both as 32-byte big-endian numbers, concatenated.
		# ws-accept takes only a low S (s <= n/2): ECDSA signatures are
		# random, so sign again until S is low.
		local rs
		while :; do
			rs=$(printf %s "$in" | openssl dgst -sha256 -binary -sign "$EC" |
			    openssl asn1parse -inform DER |
			    awk -F: '/INTEGER/ { h = $NF; while (length(h) < 64) h = "0" h; printf "%s", h }')
			[[ ! ${rs:64} > 7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8 ]] && break
		done
		sig=$(printf %s "$rs" | xxd -r -p | b64url) ;;
	none)
		sig= ;;
	esac
	printf '%s.%s\n' "$in" "$sig"
}

RSA=$K/rsa.pem EC=$K/ec.pem
GOOD="{\"sub\":\"agent-7\",\"tenant_id\":\"acme\",\"exp\":$((NOW + 300))}"
HS=$(mint HS256 '{"alg":"HS256","typ":"JWT"}' "$GOOD")
RS=$(mint RS256 '{"alg":"RS256","typ":"JWT"}' "$GOOD")
ES=$(mint ES256 '{"alg":"ES256","typ":"JWT"}' "$GOOD")
ES_OTHER=$(EC=$K/ec2.pem mint ES256 '{"alg":"ES256"}' "$GOOD")
EXPIRED=$(mint HS256 '{"alg":"HS256"}' "{\"sub\":\"a\",\"exp\":$((NOW - 3600))}")
NONE=$(mint none '{"alg":"none"}' "$GOOD")
CONFUSED=$(HMAC_KEY_FILE=$K/rsa.pub mint HS256 '{"alg":"HS256"}' "$GOOD")
CLAIMS="{\"sub\":\"agent-7\",\"tenant_id\":\"acme\",\"exp\":$((NOW + 300))}"

check() { auth-unit check "$@"; }

run env JWT_SECRET="$SECRET" auth-unit check 127.0.0.1 "Bearer $HS"
expect "openssl HS256 token accepted" "0 native jwt agent-7 acme $CLAIMS" "$out"
run env JWT_PUBLIC_KEY="$K/rsa.pub" auth-unit check 127.0.0.1 "Bearer $RS"
expect "openssl RS256 token accepted" "0 native jwt agent-7 acme $CLAIMS" "$out"
run env JWT_PUBLIC_KEY="$(cat "$K/ec.pub")" auth-unit check 127.0.0.1 "Bearer $ES"
expect "openssl ES256 token accepted (key as PEM text)" \
    "0 native jwt agent-7 acme $CLAIMS" "$out"
run env JWT_PUBLIC_KEY="$K/ec.pub" auth-unit check 127.0.0.1 "Bearer $ES_OTHER"
expect "openssl ES256 token of another key refused" "401 jwt bad signature" "$out"
run env JWT_SECRET="$SECRET" auth-unit check 127.0.0.1 "Bearer $EXPIRED"
expect "openssl expired token refused" "401 jwt expired" "$out"
run env JWT_SECRET="$SECRET" auth-unit check 127.0.0.1 "Bearer $NONE"
expect "alg none refused" "401 jwt alg none refused" "$out"
run env JWT_PUBLIC_KEY="$K/rsa.pub" auth-unit check 127.0.0.1 "Bearer $CONFUSED"
expect "HS256 keyed with the RSA public key refused" "401 jwt alg mismatch" "$out"
run env JWT_SECRET="$SECRET" JWT_LEEWAY=4000 auth-unit check 127.0.0.1 "Bearer $EXPIRED"
expect "JWT_LEEWAY out of range is a configuration error" \
    "config JWT_LEEWAY: want seconds from 0 to 600" "$out"

# Our minting helper agrees with openssl: its RS256 signature verifies there.
tok=$(jwt-mint -a RS256 -k "$K/rsa.pem" '{"exp":1}')
printf %s "${tok%.*}" >"$T/signed"
printf %s "${tok##*.}" | tr -- '-_' '+/' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' |
    openssl base64 -d -A >"$T/sig"
run openssl dgst -sha256 -verify "$K/rsa.pub" -signature "$T/sig" "$T/signed"
expect "jwt-mint RS256 verifies with openssl" "0|Verified OK" "$rc|$out"

# ---- over the socket, against a real ws-accept ------------------------------

if ! [ -x "$TOP/bin/ws-accept" ] || ! [ -x "$TOP/tests/bin/wsclient" ]; then
	echo "note: bin/ws-accept or tests/bin/wsclient not built; socket cases not run"
	exit 0
fi

# The handler tells the caller what it was told about the authentication.
HANDLER='printf "%s|%s|%s|%s|%s\n" "$PROTOCOL" "$AUTH_METHOD" "$AUTH_PRINCIPAL" "${TENANT_ID-}" "${JWT_CLAIMS-}"; exec cat >/dev/null'

# start_ws NAME VAR=value...: ws-accept on a free port with that
# configuration; sets PORT_<NAME> and logs to $T/NAME.err.
start_ws() {
	local name=$1 port
	shift
	port=$(freeport)
	env "$@" ws-accept -v -H 127.0.0.1 -p "$port" -- sh -c "$HANDLER" \
	    >"$T/$name.out" 2>"$T/$name.err" &
	track $!
	eval "PORT_$name=$port"
	wait_for 10 curl -sf "http://127.0.0.1:$port/health" ||
	    fail "ws-accept $name starts" "$(tail -3 "$T/$name.err")"
}

# refused PORT [curl args]: "status|challenge|body" of an upgrade attempt.
refused() {
	local port=$1
	shift
	curl -s --max-time 10 --http1.1 -D "$T/hdr" -o "$T/body" -w '%{http_code}' \
	    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
	    -H 'Sec-WebSocket-Version: 13' \
	    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$@" \
	    "http://127.0.0.1:$port/v1/ingest" >"$T/code"
	printf '%s|%s|%s' "$(cat "$T/code")" \
	    "$(tr -d '\r' <"$T/hdr" | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: //p')" \
	    "$(cat "$T/body")"
}

# call PORT [Authorization value]: a real WebSocket call; prints "open"
# and the handler's line, or "http: STATUS" and the body when refused.
call() {
	local port=$1
	shift
	if [ $# -gt 0 ]; then
		printf 'r 1\nc 1000\n' | wsclient -H "Authorization: $1" 127.0.0.1 "$port" /v1/ingest 2>&1
	else
		printf 'r 1\nc 1000\n' | wsclient 127.0.0.1 "$port" /v1/ingest 2>&1
	fi
}

basic() { printf 'Basic %s' "$(printf %s "$1" | openssl base64 -A)"; }

start_ws A SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1 \
    EXOTEL_BASIC_AUTH=acme:s3cret-token JWT_SECRET="$SECRET"
start_ws B SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=10.0.0.0/8,2001:db8::/32
start_ws C SUPPORT_EXOTEL=true JWT_SECRET="$SECRET"
start_ws D JWT_PUBLIC_KEY="$K/ec.pub"

expect "socket: allowed address, no header" \
    "open
text: exotel|ip|127.0.0.1/32||
close: 1000 " "$(call "$PORT_A")"
expect "socket: good Basic pair" \
    "open
text: exotel|basic|acme||
close: 1000 " "$(call "$PORT_A" "$(basic acme:s3cret-token)")"
expect "socket: openssl HS256 token, claims in the environment" \
    "open
text: native|jwt|agent-7|acme|$CLAIMS
close: 1000 " "$(call "$PORT_A" "Bearer $HS")"
CHALLENGE='Bearer realm="ingest", Basic realm="exotel"'
expect "socket: bad Basic pair is 401 with a challenge" \
    "401|$CHALLENGE|{\"error\":\"basic bad credentials\"}" \
    "$(refused "$PORT_A" -u acme:wrong)"
expect "socket: malformed Basic is 401" \
    "401|$CHALLENGE|{\"error\":\"malformed authorization\"}" \
    "$(refused "$PORT_A" -H 'Authorization: Basic !!!')"
expect "socket: expired token is 401" \
    "401|$CHALLENGE|{\"error\":\"jwt expired\"}" \
    "$(refused "$PORT_A" -H "Authorization: Bearer $EXPIRED")"
LONG=$(head -c 2000 /dev/zero | tr '\0' A)
rm -f "$T/body"
expect "socket: a 6 KB token gets an HTTP answer (lws header limit raised)" \
    "401|$CHALLENGE" "$(refused "$PORT_A" -H "Authorization: Bearer $LONG.$LONG.$LONG" | cut -d'|' -f1,2)"
expect "socket: alg none is 401" \
    "401|$CHALLENGE|{\"error\":\"jwt alg none refused\"}" \
    "$(refused "$PORT_A" -H "Authorization: Bearer $NONE")"
expect "socket: token of another secret is 401" \
    "401|$CHALLENGE|{\"error\":\"jwt bad signature\"}" \
    "$(refused "$PORT_A" -H "Authorization: Bearer $(jwt-mint -s other-secret)")"
expect "socket: garbage token is 401" \
    "401|$CHALLENGE|{\"error\":\"jwt malformed\"}" \
    "$(refused "$PORT_A" -H 'Authorization: Bearer a.b.c')"
expect "socket: empty Bearer is 401" \
    "401|$CHALLENGE|{\"error\":\"malformed authorization\"}" \
    "$(refused "$PORT_A" -H 'Authorization: Bearer')"
expect "socket: unknown scheme is 401" \
    "401|$CHALLENGE|{\"error\":\"unsupported authorization scheme\"}" \
    "$(refused "$PORT_A" -H 'Authorization: Digest username="x"')"

expect "socket: address not in the allow-list is 403" \
    "403||{\"error\":\"ip not allowed\"}" "$(refused "$PORT_B")"
expect "socket: secure default refuses Exotel and says how to allow it" \
    "403||{\"error\":\"exotel no auth configured: set EXOTEL_ALLOW_IPS or EXOTEL_BASIC_AUTH\"}" \
    "$(refused "$PORT_C")"
expect "socket: secure default still admits native clients" \
    "open
text: native|jwt|agent-7|acme|$CLAIMS
close: 1000 " "$(call "$PORT_C" "Bearer $HS")"

expect "socket: Exotel off, no header is 401 with a Bearer challenge" \
    "401|Bearer realm=\"ingest\"|{\"error\":\"missing authorization\"}" \
    "$(refused "$PORT_D")"
expect "socket: Exotel off, Basic is 403" \
    "403||{\"error\":\"exotel disabled\"}" "$(refused "$PORT_D" -u acme:s3cret-token)"
expect "socket: openssl ES256 token" \
    "open
text: native|jwt|agent-7|acme|$CLAIMS
close: 1000 " "$(call "$PORT_D" "Bearer $ES")"
expect "socket: RS256 token where the key is EC is 401" \
    "401|Bearer realm=\"ingest\"|{\"error\":\"jwt alg mismatch\"}" \
    "$(refused "$PORT_D" -H "Authorization: Bearer $RS")"
expect "socket: HS256 keyed with the public key PEM is 401" \
    "401|Bearer realm=\"ingest\"|{\"error\":\"jwt alg mismatch\"}" \
    "$(HMAC_KEY_FILE=$K/ec.pub; refused "$PORT_D" -H "Authorization: Bearer $(mint HS256 '{"alg":"HS256"}' "$GOOD")")"

# IPv6 peers, where the machine has ::1.
if [ -e /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6; then
	port=$(freeport)
	env SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS='10.0.0.0/8, ::1' \
	    ws-accept -v -H ::1 -p "$port" -- sh -c "$HANDLER" 2>"$T/E.err" &
	track $!
	if wait_for 10 curl -sfg "http://[::1]:$port/health"; then
		expect "socket: IPv6 peer in the allow-list" \
		    "open
text: exotel|ip|::1/128||
close: 1000 " "$(printf 'r 1\nc 1000\n' | wsclient ::1 "$port" /v1/ingest 2>&1)"
	else
		fail "ws-accept on ::1 starts" "$(tail -3 "$T/E.err")"
	fi
	port=$(freeport)
	env SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS='127.0.0.1, 2001:db8::/32' \
	    ws-accept -v -H ::1 -p "$port" -- sh -c "$HANDLER" 2>"$T/F.err" &
	track $!
	if wait_for 10 curl -sfg "http://[::1]:$port/health"; then
		expect "socket: IPv6 peer not in the allow-list is 403" \
		    "403 {\"error\":\"ip not allowed\"}" \
		    "$(curl -sg --max-time 10 -o "$T/body" -w '%{http_code}' \
		    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		    -H 'Sec-WebSocket-Version: 13' \
		    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
		    "http://[::1]:$port/v1/ingest") $(cat "$T/body")"
	else
		fail "ws-accept on ::1 starts" "$(tail -3 "$T/F.err")"
	fi
else
	echo "note: no ::1 on this machine; IPv6 socket cases not run"
fi

# The log says why, and never holds a secret or a token.
expect_match "log: refusal reason and status" \
    'refused peer=(::ffff:)?127\.0\.0\.1:[0-9]+ path=/v1/ingest protocol=native status=401 reason="jwt expired"' \
    "$(cat "$T/A.err")"
expect_match "log: the secure default says how to allow Exotel" \
    'status=403 reason="exotel no auth configured: set EXOTEL_ALLOW_IPS or EXOTEL_BASIC_AUTH"' \
    "$(cat "$T/C.err")"
leaks=
for s in "$SECRET" s3cret-token "${HS##*.}" "${EXPIRED##*.}" "${ES##*.}"; do
	grep -qF -- "$s" "$T"/[ABCD].err && leaks="$leaks $s"
done
expect "log: no secret, password or token" "" "$leaks"
expect_match "metrics: auth failures by reason label" \
    '^ws_accept_auth_failures_total\{reason="jwt_expired"\} 1$' \
    "$(curl -s "http://127.0.0.1:$PORT_A/metrics")"

# Configuration errors stop ws-accept before it listens, naming the variable.
run env SUPPORT_EXOTEL=maybe ws-accept -H 127.0.0.1 -p "$(freeport)" -- true
expect "config: bad SUPPORT_EXOTEL" \
    "100|ws-accept: fatal: SUPPORT_EXOTEL: want true or false, got 'maybe'" "$rc|$err"
run env EXOTEL_BASIC_AUTH='k:t,secretwithoutcolon' ws-accept -H 127.0.0.1 -p "$(freeport)" -- true
expect "config: bad EXOTEL_BASIC_AUTH names the entry, not its text" \
    "100|ws-accept: fatal: EXOTEL_BASIC_AUTH: entry 2: want key:token" "$rc|$err"
run env JWT_PUBLIC_KEY="$K/rsa.pem.missing" ws-accept -H 127.0.0.1 -p "$(freeport)" -- true
expect "config: unreadable JWT_PUBLIC_KEY" \
    "100|ws-accept: fatal: JWT_PUBLIC_KEY: unable to open $K/rsa.pem.missing: No such file or directory" \
    "$rc|$err"
