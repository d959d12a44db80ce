# bin/ingest, the service entry point: configuration (.env.local parsing,
# validation), the private Redis, signal forwarding and clean shutdown, and
# a first call end to end through the real tools.
source "$(dirname "$0")/lib.sh"

USAGE='usage: ingest [-hnqv] [-d notification-fd] [-f env-file]'
CALL=CA3ae75ffe1c5d8847e478556c07d07103	# callSid of twilio-stream1

# Every test runs in its own working directory, so no .env.local of the
# developer's checkout is read.
mkdir -p "$T/wd"
cd "$T/wd" || exit 1
# Nothing of the caller's environment may configure the service.
unset REDIS_URL PORT HOST LOG_LEVEL INGEST_STATE_DIR INGEST_ENV_FILE \
    SUPPORT_EXOTEL EXOTEL_ALLOW_IPS EXOTEL_BASIC_AUTH JWT_SECRET JWT_PUBLIC_KEY \
    SSL_CERT_PATH SSL_KEY_PATH PUBLIC_URL CALL_ID

# ---- usage and configuration errors ---------------------------------------

# last: the last line of $err (a refusal is the last thing said).
last() { printf '%s\n' "$err" | tail -n 1; }

run ingest -x
expect "unknown option: usage error" \
    "100|ingest: fatal: -x: unknown option
$USAGE" "$rc|$err"

run ingest -h
expect "-h prints the usage and the options on stdout, exit 0" \
    "0|$USAGE|  -d fd" "$rc|$(head -n 1 <<<"$out")|$(sed -n '2s/^\(  -d fd\).*/\1/p' <<<"$out")"
run ingest --help
expect "--help is -h" "0|$(ingest -h)" "$rc|$out"
run ingest --version
expect_match "--version prints the version" "^0\|ingest [^ ]+$" "$rc|$out"

synopsis=$(mandoc -Tascii "$TOP/man/ingest.1" | sed 's/.\x08//g' | sed -n '/^SYNOPSIS/{n;p;}' | sed 's/^ *//')
expect "the usage line is the man page's SYNOPSIS" "$USAGE" "usage: $synopsis"

run ingest extra
expect "an operand is a usage error" \
    "100|ingest: fatal: unexpected argument: extra
$USAGE" "$rc|$err"

# Every value is checked by the tool that reads it (ws-accept -n, the
# per-call tools' -n), never by a copy of their rules here.
run env PORT=99999 ingest -n
expect_match "PORT out of range is refused by ws-accept's own check, naming it" \
    "^100\|ws-accept: fatal: .*PORT" "$rc|$(last)"

run env REDIS_URL='http://:s3cret@example.com' ingest -n
expect "a REDIS_URL of another scheme is refused, password not logged" \
    "100|ingest-check: fatal: REDIS_URL: want redis://host:port[/db] or unix:///path, not: http://example.com" \
    "$rc|$(last)"

run env REDIS_URL='redis://h:70000' ingest -n
expect "a REDIS_URL port out of range is refused" 100 "$rc"

run env LOG_LEVEL=loud ingest -n
expect "a bad LOG_LEVEL is refused, naming it" \
    "100|ingest-check: fatal: LOG_LEVEL: expected quiet, info or debug, not: loud" "$rc|$(last)"

run ingest -f "$T/nonexistent" -n
expect "-f with a missing file is refused" \
    "100|ingest-env: fatal: cannot read $T/nonexistent: No such file or directory" "$rc|$err"

run ingest -d 1 -n
expect_match "-d below 3 is refused (ws-accept's check)" \
    "^100\|ws-accept: fatal: invalid -d: 1 " "$rc|$(last)"

# Start-up warnings: a service nobody can call, a Redis nobody answers.
run env REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "no caller can be accepted (Exotel off, no JWT key): warned" \
    "ingest-check: warning: no caller can be accepted: SUPPORT_EXOTEL is off and neither JWT_SECRET nor JWT_PUBLIC_KEY is set" "$err"
expect_match "REDIS_URL that nobody answers: warned at start, not refused" \
    "^0\|.*ingest-check: warning: REDIS_URL: no Redis answers at 127.0.0.1:1: " "$rc|$(tr '\n' ' ' <<<"$err")"
run env SUPPORT_EXOTEL=on EXOTEL_ALLOW_IPS=127.0.0.1 REDIS_URL=redis://127.0.0.1:1 ingest -n
expect "SUPPORT_EXOTEL=on (bool_parse's spellings): no 'no caller' warning" "0|" \
    "$rc|$(grep 'no caller' <<<"$err")"

# Template placeholders and per-call values: the per-call tools' own
# checks (ingest-call -n: each stage's -n) refuse them at start.
run env 'AUDIO_CHANNEL=audio:{call_id}' REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "a key template with an unknown placeholder is refused at start, named" \
    "^100\|.*redis-pub: fatal: invalid AUDIO_CHANNEL: unknown placeholder \{call_id\}" "$rc|$(tr '\n' ' ' <<<"$err")"
run env FRAME_MS=5 REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "a FRAME_MS redis-pub refuses is refused at start, named" \
    "^100\|.*redis-pub: fatal: invalid FRAME_MS: 5 " "$rc|$(tr '\n' ' ' <<<"$err")"
run env MAX_MESSAGE_BYTES=100 REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "a MAX_MESSAGE_BYTES exotel-decode refuses is refused at start, named" \
    "^100\|.*exotel-decode: fatal: invalid MAX_MESSAGE_BYTES: 100 " "$rc|$(tr '\n' ' ' <<<"$err")"
run env OUTPUT_RATE=44100 REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "a bad OUTPUT_RATE is refused at start, named" \
    "^100\|.*ingest-call: fatal: invalid OUTPUT_RATE: 44100 " "$rc|$(tr '\n' ' ' <<<"$err")"
run env RESAMPLE_QUALITY=great REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "a bad RESAMPLE_QUALITY is refused at start" \
    "^100\|.*resample: fatal: invalid quality: great " "$rc|$(tr '\n' ' ' <<<"$err")"
run env 'EVENTS_STOP=end:{callsid}' REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "an events route with an unknown placeholder is refused at start" \
    "^100\|.*redis-pub: fatal: invalid EVENTS_STOP: unknown placeholder \{callsid\}" "$rc|$(tr '\n' ' ' <<<"$err")"
run env DECODE_BLOCK_MS=x REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "a bad DECODE_BLOCK_MS is refused at start" \
    "^100\|.*exotel-decode: fatal: invalid DECODE_BLOCK_MS: x " "$rc|$(tr '\n' ' ' <<<"$err")"
expect "-n refused: nothing started (no ws-accept line)" 0 "$(grep -c '^ws-accept:' <<<"$err")"

# ---- .env.local ------------------------------------------------------------

# The file is parsed, never run: $(...) stays text, quotes are removed,
# the environment wins over the file, secrets are never logged.
cat >.env.local <<'ENV'
# the original service's file
export PORT=9001
HOST = 127.0.0.1   # a comment after a value
REDIS_URL="redis://:pa ss@127.0.0.1:6390/2"   # quoted, a blank inside
PUBLIC_URL='wss://$(touch pwned)/x # not a comment'
JWT_SECRET="a\nb \"q\" c\\d"
LOG_LEVEL=quiet

INGEST_PATH=
ENV
run env LOG_LEVEL=debug ingest -n
expect ".env.local: parsed, environment wins, no code run, secrets hidden" \
    "0|ingest-env: debug: env-file=.env.local line=2 PORT=9001
ingest-env: debug: env-file=.env.local line=3 HOST=127.0.0.1
ingest-env: debug: env-file=.env.local line=4 REDIS_URL=redis://127.0.0.1:6390/2
ingest-env: debug: env-file=.env.local line=5 PUBLIC_URL=wss://\$(touch pwned)/x # not a comment
ingest-env: debug: env-file=.env.local line=6 JWT_SECRET=(set, not shown)
ingest-env: debug: env-file=.env.local line=7 LOG_LEVEL=(environment wins)
ingest-env: debug: env-file=.env.local line=9 INGEST_PATH=-
ingest-env: debug: env-file=.env.local set=6|no" \
    "$rc|$(grep '^ingest-env:' <<<"$err")|$([ -e pwned ] && echo yes || echo no)"
printf 'JWT_SECRET="a\\nb \\"q\\" c\\\\d"\n' >.env.local
run ingest-env sh -c 'printf %s "$JWT_SECRET"'
expect ".env.local: double quotes take \\n \\\" \\\\ escapes" \
    "$(printf 'a\nb "q" c\\d')" "$out"

printf 'SUPORT_EXOTEL=true\nFOO_BAR=1\n' >.env.local
run env REDIS_URL=redis://127.0.0.1:1 ingest -n
expect "unknown keys are warned about, with the closest known key" \
    "ingest-env: warning: .env.local:1: unknown setting SUPORT_EXOTEL (did you mean SUPPORT_EXOTEL?)
ingest-env: warning: .env.local:2: unknown setting FOO_BAR (no tool of the service reads it)" \
    "$(grep '^ingest-env:' <<<"$err")"

printf 'JWT_SECRET=abc\nGARBAGE LINE\n' >.env.local
run ingest -n
expect ".env.local: a line that is not KEY=VALUE names file and line" \
    "100|ingest-env: fatal: .env.local:2: expected KEY=VALUE" "$rc|$err"

printf 'JWT_SECRET="abc\n' >.env.local
run ingest -n
expect ".env.local: an unterminated quote is refused" \
    "100|ingest-env: fatal: .env.local:1: JWT_SECRET: unterminated double quote" "$rc|$err"

printf 'BAD-NAME=1\n' >.env.local
run ingest -n
expect ".env.local: a bad variable name is refused" \
    "100|ingest-env: fatal: .env.local:1: bad variable name: BAD-NAME" "$rc|$err"

printf 'PORT=70000\n' >.env.local
run ingest -n
expect_match ".env.local: a bad value from the file is refused, naming it" \
    "^100\|ws-accept: fatal: .*PORT" "$rc|$(last)"
rm -f .env.local

# .env.example with every setting uncommented (the defaults) is a good
# configuration: the documented defaults are values the tools accept.
sed -n 's/^#\([A-Z_]*=\)/\1/p' "$TOP/.env.example" >"$T/defaults.env"
run env REDIS_URL=redis://127.0.0.1:1 ingest -f "$T/defaults.env" -n
expect ".env.example's defaults, all uncommented, are accepted, none unknown" \
    "0|" "$rc|$(grep 'unknown setting' <<<"$err")"

printf 'PORT=9002\r\nSUPPORT_EXOTEL=true\r\n' >"$T/crlf.env"
run env INGEST_ENV_FILE="$T/crlf.env" LOG_LEVEL=debug ingest -n
expect_match "INGEST_ENV_FILE names the file; CRLF lines accepted" \
    "line=1 PORT=9002\$" "$err"

run env INGEST_STATE_DIR="$T/st" ingest -n
expect_match "-n without REDIS_URL: a private Redis under INGEST_STATE_DIR, nothing created" \
    "^0\|.*ingest-redis: info: redis=unix://$T/st/redis/redis.sock private=yes dir=$T/st/redis \(-n: not started\) .*ws-accept: info: configuration ok .* redis=unix://$T/st/redis/redis.sock private=yes \|no$" \
    "$rc|$(tr '\n' ' ' <<<"$err")|$([ -e "$T/st" ] && echo yes || echo no)"

# -n asks ws-accept too: its settings are refused before anything starts.
run env SUPPORT_EXOTEL=maybe REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "-n: a bad ws-accept setting is refused (100, named)" \
    "^100\|ws-accept: fatal: .*SUPPORT_EXOTEL" "$rc|$(last)"
run env SUPPORT_EXOTEL=true REDIS_URL=redis://127.0.0.1:1 ingest -n
expect_match "-n: Exotel on with no allow-list or credentials is warned about" \
    "ws-accept: warning: SUPPORT_EXOTEL is on but neither EXOTEL_ALLOW_IPS nor EXOTEL_BASIC_AUTH is set" "$err"
run env RESAMPLE_QUALITY=speex REDIS_URL=redis://127.0.0.1:1 ingest -n
expect "-n: every quality resample offers is accepted (speex)" 0 "$rc"

# ---- running ---------------------------------------------------------------

if ! command -v ws-accept >/dev/null || ! command -v ingest-call >/dev/null; then
	echo "SKIP: running the service: bin/ws-accept or bin/ingest-call not built yet"
	exit 0
fi

# start_ingest NAME [env...]: ingest in the background, readiness on fd 3
# into $T/NAME.ready, stderr in $T/NAME.err; sets IPID and IPORT.
start_ingest() {
	local name=$1
	shift
	IPORT=$(freeport)
	: >"$T/$name.ready"
	env PORT="$IPORT" HOST=127.0.0.1 INGEST_STATE_DIR="$T/$name" \
	    SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32 "$@" \
	    ingest -d 3 3>"$T/$name.ready" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	IPID=$!
	track $IPID
}

# ready_ingest NAME: wait for readiness, then track ingest's children too,
# so a failing case never leaves them running (or holding our output).
ready_ingest() {
	local k
	wait_for 20 ready "$1"
	for k in $(descendants "$IPID"); do
		track "$k"
	done
}

ready() { [ -s "$T/$1.ready" ]; }

# wait_exit PID: its exit status, waiting at most 40 s (a zombie counts as
# exited); a process that hangs is killed and reported as 255.
exited() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ]
}
wait_exit() {
	if wait_for 40 exited "$1"; then
		wait "$1"
		return
	fi
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 255
}
health() { curl -fsS -m 5 "http://127.0.0.1:$1/health" >/dev/null; }

# Children of pid $1, recursively (pids on one line).
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# alive PID...: prints those still running.
alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && echo "$p"
	done
}

# stream_call PORT: replay the shipped capture as fast as possible.
stream_call() {
	timeout -k 5 60 exotel-replay -x 0 "ws://127.0.0.1:$1/v1/ingest" \
	    "$FIXTURES/twilio-stream1.ndjson" >"$T/replay.out" 2>"$T/replay.err"
}

start_ingest svc
ready_ingest svc
expect "the private service signals readiness on -d (newline)" \
    "$(printf '\n' | od -c)" "$(od -c <"$T/svc.ready")"
sock=$T/svc/redis/redis.sock
run redis-cli -s "$sock" ping
expect "the private Redis answers on its unix socket" "0|PONG" "$rc|$out"
if health "$IPORT"; then pass "ws-accept serves /health"; else fail "ws-accept serves /health" "curl failed"; fi
expect "ingest-redis's start line: the private Redis's pid, socket and log" \
    "ingest-redis: info: redis-server pid=$(pgrep -P "$IPID" -x redis-server) socket=$sock log=$T/svc/redis/redis.log" \
    "$(grep '^ingest-redis: info: redis-server pid=' "$T/svc.err")"
expect_match "one start line: where it listens, protocols and auth modes, where audio goes" \
    "^ws-accept: info: listening host=127.0.0.1 port=$IPORT path=/v1/ingest tls=off .*exotel=on allow_ips=1 basic_pairs=0 jwt=off .* redis=unix://$sock private=yes$" \
    "$(cat "$T/svc.err")"

# A first call: frames reach the private Redis, start and stop events too.
redis-cli -s "$sock" psubscribe 'audio:*' 'calls:events' >"$T/sub.out" 2>&1 </dev/null &
track $!
wait_for 10 sh -c "[ \$(redis-cli -s '$sock' pubsub numpat) = 2 ]"
if command -v exotel-replay >/dev/null; then
	run stream_call "$IPORT"
	expect "exotel-replay streams the capture (exit 0)" "0" "$rc"
	if wait_for 30 grep -q '"event":"stop"' "$T/sub.out"; then
		pass "a stop event reaches calls:events"
	else
		fail "a stop event reaches calls:events" "$(tail -c 600 "$T/sub.out")"
	fi
	frames=$(grep -c '^{"interaction_id"' "$T/sub.out")
	stop=$(grep '"event":"stop"' "$T/sub.out")
	expect_match "the stop event counts the frames published" \
	    "\"frames\":${frames}[,}]" "$stop"
	expect_match "12.32 s of call audio (616 x 20 ms) published at 24 kHz" \
	    '"duration_ms":12320[,}]' "$stop"
	seqs=$(grep '^{"interaction_id"' "$T/sub.out" | grep -o '"seq":[0-9]*' |
	    cut -d: -f2 | tr '\n' ' ')
	expect "frames have seq 0..N-1 without holes, in order" \
	    "$(seq 0 $((frames - 1)) | tr '\n' ' ')" "$seqs"
	expect "frames go to audio:{interaction_id}" "$frames" \
	    "$(grep -c "^audio:$CALL\$" "$T/sub.out")"
	# Every line the call's processes logged carries its call id.
	id=$(grep -o 'call=[^ ]*' "$T/svc.err" | head -n 1)
	percall=$(grep -E '^(exotel-decode|resample|redis-pub|ingest-call|sh):' "$T/svc.err")
	if [ -n "$id" ] && [ -n "$percall" ] &&
	    ! printf '%s\n' "$percall" | grep -vq -- "$id"; then
		pass "every per-call log line carries call=ID"
	else
		fail "every per-call log line carries call=ID" \
		    "id=[$id] lines without it: $(printf '%s\n' "$percall" | grep -v -- "${id:-call=}" | head -n 5)"
	fi
else
	echo "SKIP: first call: bin/exotel-replay not built yet"
fi

# SIGTERM: ws-accept and the private Redis stop, nothing is left behind.
kids=$(descendants "$IPID")
kill -TERM "$IPID"
wait_exit "$IPID"
rc=$?
expect "SIGTERM: ingest exits 0" 0 "$rc"
expect "SIGTERM: every process it started is gone" "" "$(alive $kids)"
expect "SIGTERM: the private Redis socket is gone" "no" \
    "$([ -e "$sock" ] && echo yes || echo no)"
expect_match "SIGTERM: the stop is logged" \
    "^ingest-redis: info: redis-server pid=[0-9]+ stopped\$" "$(cat "$T/svc.err")"

# SIGINT (Ctrl-C) does the same.  Job control on while starting it: a
# script's background jobs otherwise inherit SIGINT ignored, as a
# terminal's foreground command does not.
set -m
start_ingest int
set +m
ready_ingest int
kids=$(descendants "$IPID")
kill -INT "$IPID"
wait_exit "$IPID"
rc=$?
expect "SIGINT: ingest exits 0, every process it started is gone" \
    "0|" "$rc|$(alive $kids)"

# ingest itself killed (SIGKILL cannot be trapped): its children get a
# parent-death SIGTERM, nothing is left running.
start_ingest kill9
ready_ingest kill9
kids=$(descendants "$IPID")
kill -KILL "$IPID"
wait_exit "$IPID"
gone() { [ -z "$(alive $kids)" ]; }
wait_for 20 gone
expect "ingest killed with SIGKILL: ws-accept and its Redis end too" "" "$(alive $kids)"

# A second ingest on the same state directory must not steal the socket.
start_ingest dup
ready_ingest dup
first=$IPID
run env PORT="$(freeport)" INGEST_STATE_DIR="$T/dup" ingest
expect "a second ingest on the same state directory is refused" \
    "111|ingest-redis: fatal: another ingest uses $T/dup/redis (redis answers on $T/dup/redis/redis.sock); stop it or set INGEST_STATE_DIR" \
    "$rc|$(last)"

# ws-accept killed: ingest stops Redis and exits 128+9 so a supervisor
# restarts the whole.
ws=$(pgrep -P "$first" -x ws-accept)
rpid=$(pgrep -P "$first" -x redis-server)
kill -KILL "$ws"
wait_exit "$first"
rc=$?
expect "ws-accept killed: ingest exits 137 and stops its Redis" \
    "137|" "$rc|$(alive "$rpid")"
expect_match "ws-accept killed: logged as a warning" \
    "^ingest-redis: warning: ws-accept exited status=137: stopping redis-server\$" \
    "$(cat "$T/dup.err")"

# Redis killed: nothing can be published; ingest stops ws-accept, exits 111.
start_ingest rk
ready_ingest rk
ws=$(pgrep -P "$IPID" -x ws-accept)
kill -KILL "$(pgrep -P "$IPID" -x redis-server)"
wait_exit "$IPID"
rc=$?
expect "Redis killed: ingest stops ws-accept and exits 111" "111|" "$rc|$(alive "$ws")"

# The port taken (by a Redis): ws-accept fails, ingest reports its
# status and stops its own Redis.
start_redis
run env PORT="$REDIS_PORT" HOST=127.0.0.1 INGEST_STATE_DIR="$T/busy" ingest
expect "port in use: ingest exits with ws-accept's status 111, Redis stopped" \
    "111|" "$rc|$(pgrep -f "unixsocket:$T/busy/")"

# REDIS_URL set: ingest becomes ws-accept (exec), no Redis of its own.
start_ingest ext REDIS_URL="$REDIS_URL"
ready_ingest ext
expect "REDIS_URL set: ingest execs ws-accept (same pid), starts no Redis" \
    "ws-accept|" "$(cat /proc/$IPID/comm)|$(pgrep -P "$IPID")"
kill -TERM "$IPID"
wait_exit "$IPID"
expect "REDIS_URL set: SIGTERM stops ws-accept with status 0" 0 "$?"

# Settings from .env.local reach ws-accept and the pipeline: the file in
# the working directory configures port, Exotel and Redis; the
# environment's LOG_LEVEL wins over the file's.
mkdir -p "$T/cfg"
cport=$(freeport)
cat >"$T/cfg/.env.local" <<CFG
PORT=$cport
HOST=127.0.0.1
SUPPORT_EXOTEL=true
EXOTEL_ALLOW_IPS="127.0.0.1/32"   # quoted, with a comment
REDIS_URL=$REDIS_URL
AUDIO_CHANNEL=cfg:{tenant_id}:{interaction_id}
LOG_LEVEL=quiet
CFG
(cd "$T/cfg" && exec env LOG_LEVEL=info ingest -d 3) \
    3>"$T/cfg.ready" >"$T/cfg.out" 2>"$T/cfg.err" </dev/null &
IPID=$!
track $IPID
ready_ingest cfg
expect_match ".env.local configures ws-accept (port, Exotel allow-list)" \
    "^ws-accept: info: listening host=127.0.0.1 port=$cport path=/v1/ingest .*exotel=on allow_ips=1 " \
    "$(cat "$T/cfg.err")"
if command -v exotel-replay >/dev/null; then
	redis-cli -p "$REDIS_PORT" psubscribe 'cfg:*' >"$T/cfg.sub" 2>&1 </dev/null &
	track $!
	wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT pubsub numpat) = 1 ]"
	timeout -k 5 60 exotel-replay -q -x 0 "ws://127.0.0.1:$cport/v1/ingest" \
	    "$FIXTURES/twilio-stream1.ndjson" >/dev/null 2>&1
	# All 12.32 s of audio (295680 samples at 24 kHz), however it was cut
	# into frames (redis-pub -a), each on the templated channel.
	cfg_samples() {
		grep '^{"interaction_id"' "$T/cfg.sub" |
		    jq -s 'map(.audio | length / 4 * 3 / 2 | floor) | add' | grep -qx 295680
	}
	wait_for 30 cfg_samples
	expect ".env.local configures the pipeline (channel template, Redis)" \
	    "$(grep -c '^{"interaction_id"' "$T/cfg.sub")" \
	    "$(grep -c "^cfg:AC64f4d8c1481c0a5ac9cdbe997bfbcf58:$CALL\$" "$T/cfg.sub")"
fi
kill -TERM "$IPID"
wait_exit "$IPID"
expect ".env.local run: SIGTERM stops it with status 0" 0 "$?"
