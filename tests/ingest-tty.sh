# bin/ingest in a real terminal (tmux): Ctrl-C, as an operator presses it.
# The terminal's SIGINT goes to the whole foreground process group; the
# service must stop every time (no hang), leave nothing running (the
# private Redis included), and one Ctrl-C must drain live calls, not end
# them.
source "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null; then
	echo "SKIP: Ctrl-C in a terminal: tmux not installed (make deps)"
	exit 0
fi
unset REDIS_URL PORT HOST LOG_LEVEL INGEST_STATE_DIR INGEST_ENV_FILE \
    SUPPORT_EXOTEL EXOTEL_ALLOW_IPS EXOTEL_BASIC_AUTH JWT_SECRET JWT_PUBLIC_KEY \
    SSL_CERT_PATH SSL_KEY_PATH PUBLIC_URL CALL_ID
CALL=CA3ae75ffe1c5d8847e478556c07d07103	# callSid of twilio-stream1
TRIES=${INGEST_TTY_TRIES:-20}

# One tmux server of our own, on a socket in $T.
tm() { tmux -S "$T/tmux.sock" "$@"; }
tm -f /dev/null new-session -d -s t -x 160 -y 40 sh
tmux_pid=$(tm display-message -p '#{pid}')
track "$tmux_pid"
sweep() {
	local p
	tm kill-server 2>/dev/null
	for p in $(procs_in "$T"); do
		kill -KILL "$p" 2>/dev/null
	done
	cleanup
}
trap sweep EXIT

# Pids of every process whose working directory is under $1.
procs_in() {
	find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$1" -o -lname "$1/*" \) \
	    2>/dev/null | cut -d/ -f3
}

# in_tty N [env...]: run ingest in a new tmux window named wN, working in
# $T/N: readiness in $T/N/ready, stderr in $T/N/err, its exit status in
# $T/N/exit once it ends.  The window's shell stands in for the operator's
# interactive one: it outlives Ctrl-C (a trap, not an ignore, so ingest
# still gets SIGINT as from any terminal).
in_tty() {
	local n=$1 dir=$T/$1
	shift
	mkdir -p "$dir"
	: >"$dir/ready"
	tm new-window -d -n "w$n" "cd '$dir' && exec env PATH='$PATH' \
	    HOST=127.0.0.1 $* sh -c 'trap : INT; ingest -d 3 3>ready 2>err; echo \$? >exit; exec sleep 600'"
}
ready() { [ -s "$T/$1/ready" ]; }
ended() { [ -s "$T/$1/exit" ]; }
ctrl_c() { tm send-keys -t "w$1" C-c; }
nothing_left() { [ -z "$(procs_in "$T/$1" | grep -vx "$(sleeper "$1")")" ]; }
# The window's own "sleep 600" (after ingest ended): not part of the service.
sleeper() { tm display-message -p -t "w$1" '#{pane_pid}'; }

# ---- Ctrl-C, $TRIES times: never a hang, nothing left --------------------

hung=0 left=0 bad=
for i in $(seq "$TRIES"); do
	in_tty "c$i" PORT="$(freeport)"
	# Most tries press Ctrl-C once the service is up; every fourth while it
	# is still starting (checks, Redis coming up).
	if [ $((i % 4)) = 0 ]; then
		wait_for 20 test -e "$T/c$i/err"
		sleep "0.$((i % 10))"
	else
		wait_for 20 ready "c$i"
	fi
	ctrl_c "c$i"
	if ! wait_for 40 ended "c$i"; then
		hung=$((hung + 1))
		bad="$bad c$i:hung[$(tr '\n' '|' <"$T/c$i/err")]"
		ctrl_c "c$i"
		continue
	fi
	st=$(cat "$T/c$i/exit")
	# Up: 0 (drained).  Still starting: 0, or 130 when Ctrl-C came before
	# ingest-redis (nothing had started yet).
	case $st in
	0) ;;
	130) [ $((i % 4)) = 0 ] || bad="$bad c$i:status=$st" ;;
	*) bad="$bad c$i:status=$st" ;;
	esac
	if ! wait_for 10 nothing_left "c$i"; then
		left=$((left + 1))
		bad="$bad c$i:left=$(procs_in "$T/c$i" | tr '\n' ,)"
	fi
done
expect "Ctrl-C $TRIES times in a terminal: ingest ends every time" "0" "$hung"
expect "Ctrl-C: nothing left running afterwards (the private Redis too)" "0" "$left"
expect "Ctrl-C: exit status 0 (130 only before anything started)" "" "$bad"
expect_match "Ctrl-C reaches ingest-redis alone: ONE SIGTERM to ws-accept" \
    "^ingest-redis: info: signal=INT: SIGTERM to ws-accept pid=[0-9]+\$" \
    "$(cat "$T/c1/err")"
expect "Ctrl-C: ws-accept drains once (its own SIGINT never arrives)" \
    "ws-accept: info: signal=TERM draining calls=0 seconds=30" \
    "$(grep '^ws-accept: info: signal=' "$T/c1/err")"

# ---- one Ctrl-C drains a live call ---------------------------------------

port=$(freeport)
in_tty live PORT="$port" SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
wait_for 20 ready live
sock=$T/live/run/redis/redis.sock
redis-cli -s "$sock" subscribe calls:events >"$T/live.sub" 2>&1 </dev/null &
track $!
wait_for 10 sh -c "[ \$(redis-cli -s '$sock' pubsub numsub calls:events | tail -n 1) = 1 ]"
# Twice real time: about 6 s of call to drain.
exotel-replay -q -x 2 "ws://127.0.0.1:$port/v1/ingest" \
    "$FIXTURES/twilio-stream1.ndjson" >"$T/live.replay" 2>&1 &
replay=$!
track $replay
wait_for 20 grep -q 'ws-accept: info: call=.* accepted' "$T/live/err"
wait_for 20 grep -q '"event":"start"' "$T/live.sub"
ctrl_c live
wait "$replay"
expect "one Ctrl-C during a call: the caller streams to the end (exit 0)" 0 "$?"
wait_for 40 ended live
expect "one Ctrl-C: ingest exits 0 once the call has ended" 0 "$(cat "$T/live/exit" 2>/dev/null)"
expect_match "one Ctrl-C: the call is drained, not ended (close=1000)" \
    "ws-accept: info: call=[^ ]* ended .* close=1000" "$(cat "$T/live/err")"
expect "one Ctrl-C: ws-accept drained once and never ended calls early" \
    "ws-accept: info: signal=TERM draining calls=1 seconds=30" \
    "$(grep '^ws-accept: info: signal=' "$T/live/err")"
stop=$(grep '"event":"stop"' "$T/live.sub")
expect_match "one Ctrl-C: the call's stop reached the private Redis with all 616 frames" \
    "\"interaction_id\":\"$CALL\".*\"frames\":616[,}]" "$stop"
wait_for 10 nothing_left live
expect "one Ctrl-C: nothing left running" "" "$(procs_in "$T/live" | grep -vx "$(sleeper live)")"
