# ingest-redis, the private Redis and its supervisor, with small shell
# programs in ws-accept's place: what each signal becomes, whose status
# is returned, who gets the readiness descriptor, and nothing left behind.
source "$(dirname "$0")/lib.sh"

unset REDIS_URL INGEST_STATE_DIR LOG_LEVEL WS_ACCEPT_ANNOUNCE
USAGE='usage: ingest-redis [-n] [-s state-dir] prog [arg ...]'

run ingest-redis
expect "no program: usage error" "100|$USAGE" "$rc|$err"
run ingest-redis --help
expect "--help: usage and options on stdout, exit 0" "0|$USAGE" "$rc|$(head -n 1 <<<"$out")"
synopsis=$(mandoc -Tascii "$TOP/man/ingest-redis.1" | col -b |
    awk '/^SYNOPSIS/ { s = 1; next } /^DESCRIPTION/ { s = 0 } s' | xargs)
expect "the usage line is the man page's SYNOPSIS" "$USAGE" "usage: $synopsis"

run env REDIS_URL=redis://127.0.0.1:1 ingest-redis sh -c 'echo $$ $REDIS_URL'
expect "REDIS_URL set: prog runs in its place, nothing started" \
    "0|redis://127.0.0.1:1|" "$rc|$(cut -d' ' -f2 <<<"$out")|$err"

run ingest-redis -n -s "$T/n" sh -c 'echo "$REDIS_URL|$WS_ACCEPT_ANNOUNCE"'
expect "-n: the private Redis's URL exported, nothing created" \
    "0|unix://$T/n/redis/redis.sock|redis=unix://$T/n/redis/redis.sock private=yes|no" \
    "$rc|$out|$([ -e "$T/n" ] && echo yes || echo no)"

long=$T/$(printf 'x%.0s' $(seq 120))
run ingest-redis -s "$long" true
expect_match "a state directory too long for a socket: usage error" \
    "^100\|ingest-redis: fatal: INGEST_STATE_DIR: path too long for a unix socket" "$rc|$err"

# prog sees the private Redis; its exit status is ingest-redis's; the
# Redis is gone afterwards.
run ingest-redis -s "$T/a" sh -c 'redis-cli -s "${REDIS_URL#unix://}" ping; exit 3'
expect "prog talks to the private Redis; its status (3) is returned" "3|PONG" "$rc|$out"
expect "the Redis is stopped after prog" "no" \
    "$(redis-cli -s "$T/a/redis/redis.sock" ping >/dev/null 2>&1 && echo yes || echo no)"
expect_match "prog's failure is a warning" \
    "ingest-redis: warning: sh exited status=3: stopping redis-server" "$err"

# A stand-in for ws-accept: logs each signal, ends on TERM, and says
# which descriptors it holds.
cat >"$T/fake" <<'EOF'
#!/bin/sh
log=$1
trap 'echo HUP >>"$log"' HUP
trap 'echo TERM >>"$log"; exit 0' TERM
trap 'echo INT >>"$log"' INT
[ -e /proc/self/fd/3 ] && echo fd3 >>"$log"
echo ready >&3
echo up >>"$log"
while :; do sleep 0.1; done
EOF
chmod +x "$T/fake"

# start_sup NAME: ingest-redis with the fake, readiness fd 3 into $T/NAME.ready.
start_sup() {
	: >"$T/$1.log"
	ingest-redis -s "$T/$1" "$T/fake" "$T/$1.log" 3>"$T/$1.ready" \
	    2>"$T/$1.err" </dev/null &
	SUP=$!
	track $SUP
	wait_for 20 grep -q up "$T/$1.log"
	RPID=$(pgrep -P "$SUP" -x redis-server)
	FPID=$(pgrep -P "$SUP" -f "$T/fake")
}

start_sup sig
expect "the readiness descriptor reaches prog, which writes on it" "ready" "$(cat "$T/sig.ready")"
expect "... and never the Redis" "" \
    "$(ls -l /proc/"$RPID"/fd 2>/dev/null | grep -F "$T/sig.ready")"
expect "both children lead their own process group" "$RPID $FPID" \
    "$(ps -o pgid= -p "$RPID" | tr -d ' ') $(ps -o pgid= -p "$FPID" | tr -d ' ')"
kill -HUP "$SUP"
wait_for 10 grep -q HUP "$T/sig.log"
expect "SIGHUP is passed on as SIGHUP, and prog goes on" "fd3 up HUP|yes" \
    "$(tr '\n' ' ' <"$T/sig.log" | sed 's/ $//')|$(kill -0 "$FPID" 2>/dev/null && echo yes)"
kill -INT "$SUP"
wait "$SUP"
expect "SIGINT becomes ONE SIGTERM to prog; exit 0 once it ended" "0|fd3 up HUP TERM" \
    "$?|$(tr '\n' ' ' <"$T/sig.log" | sed 's/ $//')"
expect "nothing left running (prog, Redis)" "" \
    "$(for p in $RPID $FPID; do kill -0 "$p" 2>/dev/null && echo "$p"; done)"

# The Redis dies: prog is stopped, exit 111.
start_sup rdie
kill -KILL "$RPID"
wait "$SUP"
expect "the Redis dies: prog gets SIGTERM, exit 111" "111|TERM" "$?|$(tail -n 1 "$T/rdie.log")"
expect_match "... said as a warning" \
    "ingest-redis: warning: redis-server exited status=137 .*: stopping fake" "$(cat "$T/rdie.err")"

# A second one on the same directory must not take the socket.
start_sup dup
run ingest-redis -s "$T/dup" true
expect "a second one on a state directory in use is refused (111)" \
    "111|ingest-redis: fatal: another ingest uses $T/dup/redis (redis answers on $T/dup/redis/redis.sock); stop it or set INGEST_STATE_DIR" \
    "$rc|$err"
kill -TERM "$SUP"
wait "$SUP"

# ingest-redis itself killed: the children get their parent-death SIGTERM.
start_sup k9
kill -KILL "$SUP"
gone() { ! kill -0 "$RPID" 2>/dev/null && ! kill -0 "$FPID" 2>/dev/null; }
wait_for 20 gone
expect "ingest-redis killed with SIGKILL: prog and Redis end too" "" \
    "$(for p in $RPID $FPID; do kill -0 "$p" 2>/dev/null && echo "$p"; done)"

# Started with SIGINT ignored (a background job of a script): Ctrl-C's
# SIGINT still works.
( trap '' INT; exec ingest-redis -s "$T/ign" "$T/fake" "$T/ign.log" 3>/dev/null 2>"$T/ign.err" </dev/null ) &
SUP=$!
track $SUP
wait_for 20 grep -q up "$T/ign.log"
kill -INT "$SUP"
wait "$SUP"
expect "SIGINT ignored by the parent: still stops it" "0|TERM" "$?|$(tail -n 1 "$T/ign.log")"
