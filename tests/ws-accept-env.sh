# ws-accept: what a handler finds in its environment besides the call's
# identity (ws-accept.sh has the rest): the message limit in force.
source "$(dirname "$0")/lib.sh"

export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
unset JWT_SECRET JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH MAX_MESSAGE_BYTES
ws() { wsclient 127.0.0.1 "$WSA_PORT" "$@"; }
# limit_seen: the MAX_MESSAGE_BYTES one call's handler had.
limit_seen() {
	printf 'r 1\nc 1000\n' | ws /v1/ingest | sed -n 's/^text: max=//p'
}

start_wsa -m 5000 -- sh -c 'echo "max=${MAX_MESSAGE_BYTES-unset}"; cat >/dev/null'
expect "-m only: the handler gets MAX_MESSAGE_BYTES (exotel-encode fits its messages)" \
    5000 "$(limit_seen)"
stop_wsa

MAX_MESSAGE_BYTES=6000 start_wsa -m 5000 -- sh -c 'echo "max=${MAX_MESSAGE_BYTES-unset}"; cat >/dev/null'
expect "-m and an inherited MAX_MESSAGE_BYTES: the handler gets the one in force (-m)" \
    5000 "$(limit_seen)"
stop_wsa

start_wsa -- sh -c 'echo "max=${MAX_MESSAGE_BYTES-unset}"; cat >/dev/null'
expect "neither: the handler gets the default" 262144 "$(limit_seen)"
stop_wsa

# exotel-encode under ws-accept -m: its media messages fit the limit.
start_wsa -m 2000 -- sh -c 'exotel-encode -i 8000 -s MZ1 </dev/zero 2>/dev/null | head -n 3; cat >/dev/null'
msgs=$(printf 'r 3\nc 1000\n' | ws /v1/ingest | sed -n 's/^text: //p')
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' <<<"$msgs")
expect_match "exotel-encode under -m 2000: media messages of at most 2000 bytes" \
    "^3 ([1-9][0-9]{2,3})$" "$(grep -c '"event":"media"' <<<"$msgs") $longest"
[ "$longest" -le 2000 ] && pass "exotel-encode under -m 2000: the longest message fits ($longest)" ||
    fail "exotel-encode under -m 2000: the longest message fits" "$longest"
stop_wsa

# The server's secrets never reach a handler, and what a call does not
# have (a tenant, JWT claims) is not inherited from the server's
# environment either.  The handler is env(1) itself, which prints every
# entry it was given (a shell would hide a duplicate or a bare name).
secrets_seen() {
	printf 'r 1\nc 1000\n' | ws /v1/ingest | sed -n 's/^text: //p'
}
JWT_SECRET=topsecret EXOTEL_BASIC_AUTH=acme:tok TENANT_ID=server-tenant JWT_CLAIMS=server-claims \
    start_wsa -- env
handler_env=$(printf 'r 100\nc 1000\n' | ws /v1/ingest | sed -n 's/^text: //p')
expect "the server's secrets, tenant and claims are not in the handler's environment" \
    "CALL_ID present, none of them" \
    "$(grep -q '^CALL_ID=' <<<"$handler_env" && echo "CALL_ID present," || echo "no CALL_ID?,") $(grep -E '^(JWT_SECRET|EXOTEL_BASIC_AUTH|TENANT_ID|JWT_CLAIMS)(=|$)' <<<"$handler_env" | paste -sd' ' | grep . || echo "none of them")"
stop_wsa

# A handler script without "#!" runs with /bin/sh (as execvp ran it).
printf 'echo "plain script ran"\ncat >/dev/null\n' >"$T/plain-handler"
chmod +x "$T/plain-handler"
start_wsa -- "$T/plain-handler"
expect "a handler script without #!: run by /bin/sh" "plain script ran" "$(secrets_seen)"
stop_wsa
