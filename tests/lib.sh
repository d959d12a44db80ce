# tests/lib.sh - sourced by every test file.  Cases print PASS/FAIL lines;
# servers are started on free ports in a temporary directory and always
# stopped by the EXIT trap, so a failed test never leaves a process behind.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$TOP/bin:$TOP/tests/bin:$PATH"
FIXTURES=${FIXTURES:-$TOP/../shared/fixtures}
[ -d "$FIXTURES" ] || FIXTURES=$TOP/tests/fixtures
T=$(mktemp -d "${TMPDIR:-/tmp}/ingest-test.XXXXXX")
_pids=()

cleanup() {
	local p
	for p in "${_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${_pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Remember a background pid so cleanup stops it.
track() { _pids+=("$1"); }

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

# run CMD...: sets $out (stdout), $err (stderr) and $rc.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}

# expect NAME EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected [$2] got [$3]"
	fi
}

# expect_match NAME REGEX TEXT (grep -E on text)
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1" "no match for /$2/ in [$3]"
	fi
}

freeport() { "$TOP/tests/bin/freeport"; }

# wait_for TIMEOUT_S CMD...: retry CMD every 50 ms until it succeeds.
wait_for() {
	local limit=$(( $1 * 20 )) i=0
	shift
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.05
	done
}

# start_redis: a private redis-server on a free port in $T/redis-$port;
# sets REDIS_PORT, REDIS_URL and REDIS_PID.
start_redis() {
	REDIS_PORT=${1:-$(freeport)}
	local d="$T/redis-$REDIS_PORT"
	mkdir -p "$d"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$d" \
	    --save '' --appendonly no --daemonize no --logfile "$d/log" &
	REDIS_PID=$!
	track $REDIS_PID
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
	wait_for 10 redis-cli -p "$REDIS_PORT" ping || { echo "redis did not start"; return 1; }
}

stop_redis() {
	kill -TERM "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
}

# start_wsa [options...] -- handler...: ws-accept on a free port; returns
# once it says it listens (readiness descriptor).  Sets WSA_PID, WSA_PORT,
# WSA_LOG, WSA_FDS (its descriptor count when idle).
wsa_n=0
start_wsa() {
	wsa_n=$((wsa_n + 1))
	WSA_PORT=$(freeport)
	WSA_LOG=$T/wsa$wsa_n.log
	mkfifo "$T/ready$wsa_n"
	ws-accept -p "$WSA_PORT" -d 3 "$@" 3>"$T/ready$wsa_n" 2>"$WSA_LOG" &
	WSA_PID=$!
	track $WSA_PID
	read -r _ <"$T/ready$wsa_n"
	# Idle count once the readiness descriptor is surely closed and the
	# server has seen curl's connection go (only the listener left).
	curl -sk -o /dev/null "http://127.0.0.1:$WSA_PORT/health"
	wait_for 5 sh -c "[ \$(ls -l /proc/$WSA_PID/fd | grep -c socket:) = 1 ]"
	WSA_FDS=$(ls /proc/$WSA_PID/fd | wc -l)
}

stop_wsa() {
	kill -TERM "$WSA_PID" 2>/dev/null
	wait "$WSA_PID"
}

# zeroed SRC OUT N...: OUT is the PCM file SRC with its 20 ms chunks at
# 8 kHz (320 bytes) N... (1-based) as silence: what a decoder must write
# when those chunks are missing.
zeroed() {
	local src=$1 out=$2 n
	shift 2
	cp "$src" "$out"
	for n in "$@"; do
		dd if=/dev/zero of="$out" bs=320 seek=$((n - 1)) count=1 conv=notrunc 2>/dev/null
	done
}
