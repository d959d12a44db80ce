# ingest-env (the env-file loader) and ingest-check (the tools' own
# checks), each alone: what the chain's first links do.
source "$(dirname "$0")/lib.sh"

unset REDIS_URL INGEST_ENV_FILE LOG_LEVEL SUPPORT_EXOTEL JWT_SECRET JWT_PUBLIC_KEY \
    INGEST_HANDLER WS_ACCEPT_ANNOUNCE
mkdir -p "$T/wd"
cd "$T/wd" || exit 1

# synopsis PAGE: the man page's SYNOPSIS on one line.
synopsis() {
	mandoc -Tascii "$TOP/man/$1.1" | col -b |
	    awk '/^SYNOPSIS/ { s = 1; next } /^DESCRIPTION/ { s = 0 } s' | xargs
}
for t in ingest-env ingest-check; do
	run "$t" --help
	expect "$t --help: the man page's SYNOPSIS on stdout, exit 0" \
	    "0|usage: $(synopsis "$t")" "$rc|$(head -n 1 <<<"$out")"
	run "$t" --version
	expect_match "$t --version" "^0\|$t [^ ]+$" "$rc|$out"
	run "$t"
	expect "$t without a program: usage error" "100|usage: $(synopsis "$t")" "$rc|$err"
done

run ingest-env -l
expect "ingest-env -l: the known keys, one a line" \
    "$(sed -n 's/^#\{0,1\}\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$TOP/.env.example" | sort -u)" "$out"

run ingest-env sh -c 'echo ${PORT:-unset}'
expect "no .env.local: prog runs with the environment as it is" "0|unset|" "$rc|$out|$err"

printf 'PORT=1\nexport\tHOST=h\nJWT_LEEWAY = 5 # secs\n' >.env.local
run env PORT=2 ingest-env sh -c 'echo $PORT $HOST $JWT_LEEWAY'
expect "the environment wins; export prefix; blanks around = and a comment" \
    "0|2 h 5|" "$rc|$out|$err"

printf "PORT='80' x\n" >.env.local
run ingest-env true
expect "text after a closing quote is refused, naming file and line" \
    "100|ingest-env: fatal: .env.local:1: PORT: text after the closing quote" "$rc|$err"

printf 'MAX_CALL=5\nJWT_SECRTE=x\nredis_url=y\n' >.env.local
run ingest-env true
expect "typos: the closest known key is named" \
    "0|ingest-env: warning: .env.local:1: unknown setting MAX_CALL (did you mean MAX_CALLS?)" \
    "$rc|$(head -n 1 <<<"$err")"
expect "typos: a transposition, and a key in lower case" \
    "ingest-env: warning: .env.local:2: unknown setting JWT_SECRTE (did you mean JWT_SECRET?)
ingest-env: warning: .env.local:3: unknown setting redis_url (no tool of the service reads it)" \
    "$(tail -n 2 <<<"$err")"
rm -f .env.local

run ingest-env -f "$T/none" true
expect "-f: a file that cannot be read is a usage error" \
    "100|ingest-env: fatal: cannot read $T/none: No such file or directory" "$rc|$err"
run ingest-env no-such-program-here
expect "a program that is not found: 127" \
    "127|ingest-env: fatal: cannot run no-such-program-here: No such file or directory" "$rc|$err"

# ingest-check: a handler that is not there is refused at start.
run env INGEST_HANDLER=no-such-handler REDIS_URL=redis://127.0.0.1:1 ingest-check true
expect "ingest-check: a handler not found is refused (127)" \
    "127|ingest-check: fatal: no-such-handler: not found in PATH (run make, or make install)" \
    "$rc|$(tail -n 1 <<<"$err")"
# A handler whose --help is not in the tools' form (GNU cat: "Usage:")
# is never given -n.
run env INGEST_HANDLER=cat SUPPORT_EXOTEL=yes REDIS_URL=redis://127.0.0.1:1 LOG_LEVEL=debug ingest-check true
expect_match "ingest-check: another program's -n is never run" \
    "^0\|.*ingest-check: debug: cat has no -n" "$rc|$(tr '\n' ' ' <<<"$err")"
start_redis
run env SUPPORT_EXOTEL=1 REDIS_URL="$REDIS_URL" ingest-check sh -c 'echo "$WS_ACCEPT_ANNOUNCE"'
expect "a Redis that answers, a caller that can be accepted: no warning; the announce set" \
    "0|redis=$REDIS_URL|" "$rc|$out|$err"
run env JWT_SECRET=0123456789abcdef0123456789abcdef REDIS_URL="redis://:pw@127.0.0.1:$REDIS_PORT" \
    ingest-check sh -c 'echo "$WS_ACCEPT_ANNOUNCE"'
expect "a Redis that wants no password still answers; the announce has no password" \
    "0|redis=redis://127.0.0.1:$REDIS_PORT|" "$rc|$out|$err"
