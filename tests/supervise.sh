# The supervision examples, run for real: s6-svscan on a temporary copy of
# examples/s6 and runsvdir on one of examples/runit (ports rewritten to
# free ones, INGEST_HOME pointing at this checkout).  Each: services come
# up (s6: readiness through notification-fd), a call's frames reach the
# supervised Redis, ws-accept killed with SIGKILL is restarted and serves
# again, logs land in the logger's directory, and tearing the tree down
# leaves no process behind.
source "$(dirname "$0")/lib.sh"

CALL=CA3ae75ffe1c5d8847e478556c07d07103	# callSid of twilio-stream1

if ! command -v ws-accept >/dev/null || ! command -v ingest-call >/dev/null; then
	echo "SKIP: supervision: bin/ws-accept or bin/ingest-call not built yet"
	exit 0
fi
unset REDIS_URL PORT HOST LOG_LEVEL INGEST_STATE_DIR INGEST_ENV_FILE \
    SUPPORT_EXOTEL EXOTEL_ALLOW_IPS EXOTEL_BASIC_AUTH JWT_SECRET JWT_PUBLIC_KEY \
    SSL_CERT_PATH SSL_KEY_PATH PUBLIC_URL CALL_ID

# Pids of every process whose working directory is under $1: the
# supervisors, the services and their children all run in the copy.
procs_in() {
	local p d
	for p in /proc/[0-9]*; do
		d=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $d in "$1" | "$1"/*) echo "${p#/proc/}" ;; esac
	done
}

# On any exit, whatever still runs in our copies is killed (by pid), then
# lib.sh's cleanup runs.
sweep() {
	local p
	for p in $(procs_in "$T"); do
		kill -KILL "$p" 2>/dev/null
	done
	cleanup
}
trap sweep EXIT

no_procs() { [ -z "$(procs_in "$DIR")" ]; }
health() { curl -fsS -m 5 "http://127.0.0.1:$1/health" >/dev/null; }

# copy_example KIND: examples/KIND in $T/KIND with free ports; sets
# WS_PORT, R_PORT, DIR.
copy_example() {
	DIR=$T/$1
	cp -a "$TOP/examples/$1" "$DIR"
	WS_PORT=$(freeport)
	R_PORT=$(freeport)
	echo "$WS_PORT" >"$DIR/ingest/env/PORT"
	echo 127.0.0.1 >"$DIR/ingest/env/HOST"
	echo "redis://127.0.0.1:$R_PORT" >"$DIR/ingest/env/REDIS_URL"
	echo 127.0.0.1/32 >"$DIR/ingest/env/EXOTEL_ALLOW_IPS"
	echo "$R_PORT" >"$DIR/redis/env/REDIS_PORT"
}

# call_reaches_redis KIND: stream the capture; its frames and stop event
# arrive on the supervised Redis.
call_reaches_redis() {
	local sub=$T/$1.sub frames stop
	redis-cli -p "$R_PORT" psubscribe 'audio:*' 'calls:events' >"$sub" 2>&1 </dev/null &
	track $!
	wait_for 10 sh -c "[ \$(redis-cli -p $R_PORT pubsub numpat) = 2 ]"
	if ! command -v exotel-replay >/dev/null; then
		echo "SKIP: $1: a call reaches Redis: bin/exotel-replay not built yet"
		return
	fi
	timeout -k 5 60 exotel-replay -x 0 "ws://127.0.0.1:$WS_PORT/v1/ingest" \
	    "$FIXTURES/twilio-stream1.ndjson" >"$T/$1.replay" 2>&1
	wait_for 30 grep -q '"event":"stop"' "$sub"
	frames=$(grep -c "^audio:$CALL\$" "$sub")
	stop=$(grep '"event":"stop"' "$sub")
	if [ "$frames" -gt 0 ] && printf '%s\n' "$stop" | grep -q "\"frames\":${frames}[,}]"; then
		pass "$1: a call's frames and stop event reach the supervised Redis"
	else
		fail "$1: a call's frames and stop event reach the supervised Redis" \
		    "frames=$frames stop=[$stop] replay=[$(tail -n 3 "$T/$1.replay")]"
	fi
	# The logger's file answers "what happened to this call": grep call=ID
	# finds its accept, its decoder's stop and its publisher's totals.
	local id
	id=$(grep -o 'ws-accept: info: call=[^ ]* accepted' "$DIR"/ingest/log/main/current |
	    tail -n 1 | cut -d' ' -f3)
	wait_for 10 grep -q "redis-pub: info: $id done" "$DIR"/ingest/log/main/current
	expect_match "$1: grep call=ID in the log shows the call from accept to publish totals" \
	    "ws-accept: info: $id accepted .*exotel-decode: info: $id stop .*redis-pub: info: $id done .*frames=$frames " \
	    "$(grep -F -- "$id " "$DIR"/ingest/log/main/current | tr '\n' ' ')"
}

# ---- s6 ----------------------------------------------------------------------

copy_example s6
env INGEST_HOME="$TOP" s6-svscan "$DIR" </dev/null >"$T/s6.out" 2>&1 &
svscan=$!
track $svscan
wait_for 10 s6-svok "$DIR/ingest" && wait_for 10 s6-svok "$DIR/redis"
if timeout 30 s6-svwait -U "$DIR/redis" "$DIR/ingest"; then
	pass "s6: redis and ingest come up and signal readiness"
else
	fail "s6: redis and ingest come up and signal readiness" \
	    "$(s6-svstat "$DIR/ingest"; s6-svstat "$DIR/redis"; cat "$DIR"/*/log/main/current)"
fi
# ws-accept's readiness says it listens; /health also says whether Redis
# answers, looked at once a second: ok within a few seconds of both ready.
if wait_for 5 health "$WS_PORT"; then pass "s6: ready means /health answers"; else fail "s6: ready means /health answers" "curl failed"; fi
call_reaches_redis s6

old=$(s6-svstat -o pid "$DIR/ingest")
expect "s6: the supervised process is ws-accept itself (ingest execs it)" \
    ws-accept "$(cat "/proc/$old/comm" 2>/dev/null)"
kill -KILL "$old"
# Restarted: a new pid, up and ready again, serving.  Bounded waits, no
# timing asserted.
restarted() {
	local p
	p=$(s6-svstat -o pid "$DIR/ingest")
	[ "$p" != "$old" ] && [ "$p" != -1 ] && [ "$p" != 0 ]
}
if wait_for 20 restarted && timeout 20 s6-svwait -U "$DIR/ingest" &&
    wait_for 10 health "$WS_PORT"; then
	pass "s6: ws-accept killed with SIGKILL is restarted and serves again"
else
	fail "s6: ws-accept killed with SIGKILL is restarted and serves again" \
	    "$(s6-svstat "$DIR/ingest")"
fi

log=$(cat "$DIR/ingest/log/main/current")
expect_match "s6: ws-accept's log lines reach s6-log, timestamped" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+  ws-accept: info: ' "$log"
expect_match "s6: the start line, with where audio goes, reaches s6-log" \
    "  ws-accept: info: listening .* redis=redis://127.0.0.1:$R_PORT\$" "$log"

s6-svscanctl -t "$DIR"
if wait_for 20 sh -c "! kill -0 $svscan 2>/dev/null"; then
	pass "s6: s6-svscanctl -t ends s6-svscan"
else
	fail "s6: s6-svscanctl -t ends s6-svscan" "still running"
fi
wait "$svscan" 2>/dev/null
wait_for 10 no_procs
expect "s6: no process is left after teardown" "" "$(procs_in "$DIR" | tr '\n' ' ')"

# ---- runit -------------------------------------------------------------------

copy_example runit
env INGEST_HOME="$TOP" runsvdir -P "$DIR" </dev/null >"$T/runit.out" 2>&1 &
svdir=$!
track $svdir
wait_for 10 test -p "$DIR/ingest/supervise/control"
if run sv -w 30 start "$DIR/ingest" && [ "$rc" = 0 ] && health "$WS_PORT"; then
	pass "runit: sv -w start returns once ./check finds /health answering"
else
	fail "runit: sv -w start returns once ./check finds /health answering" \
	    "rc=$rc out=$out $(cat "$DIR"/*/log/main/current 2>&1)"
fi
wait_for 10 redis-cli -p "$R_PORT" ping
call_reaches_redis runit

old=$(cat "$DIR/ingest/supervise/pid")
expect "runit: the supervised process is ws-accept itself (ingest execs it)" \
    ws-accept "$(cat "/proc/$old/comm" 2>/dev/null)"
kill -KILL "$old"
restarted() {
	local p
	p=$(cat "$DIR/ingest/supervise/pid" 2>/dev/null)
	[ -n "$p" ] && [ "$p" != "$old" ]
}
if wait_for 20 restarted && wait_for 20 health "$WS_PORT"; then
	pass "runit: ws-accept killed with SIGKILL is restarted and serves again"
else
	fail "runit: ws-accept killed with SIGKILL is restarted and serves again" \
	    "$(sv status "$DIR/ingest")"
fi

log=$(cat "$DIR/ingest/log/main/current")
expect_match "runit: ws-accept's log lines reach svlogd, timestamped" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]+ ws-accept: info: ' "$log"

# runsvdir on HUP tells each runsv to take its service and logger down.
kill -HUP "$svdir"
wait "$svdir" 2>/dev/null
wait_for 20 no_procs
expect "runit: no process is left after teardown" "" "$(procs_in "$DIR" | tr '\n' ' ')"
