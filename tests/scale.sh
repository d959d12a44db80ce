# Beyond one machine, on one machine: two ingest hosts (ws-accept --
# ingest-call on their own loopback ports) behind HAProxy (the example
# configuration, TLS ended there), publishing with XADD to a Redis Cluster
# of 3 primaries and 3 replicas.  50 calls over both hosts; then a host is
# drained (new calls go to the other, its calls go on), killed (its calls
# end with "disconnected" stop events, HAProxy marks it down, new calls go
# to the other), and a primary is killed under the live calls (its replica
# takes over; every call's audio is complete in its stream, every seq at
# least once).  SPUBLISH goes through the same failover.  Last, the other
# host is drained by SIGTERM: HAProxy stops sending it calls and does not
# cut those it holds.
#
# HAProxy reaches the hosts from 127.0.0.2 (TRUSTED_PROXIES); callers come
# from 127.0.0.1 (EXOTEL_ALLOW_IPS): the allow-list judges the caller.
. "$(dirname "$0")/lib.sh"

for p in haproxy redis-server redis-cli openssl sox jq curl; do
	command -v $p >/dev/null || { echo "SKIP: scale: $p not installed (make deps)"; exit 0; }
done

# --- the cluster: 6 nodes, node-timeout 1 s ---------------------------------
# A node also listens on its port + 10000 (the cluster bus).
used=" "
cluster_port() {
	local cp
	while cp=$(freeport); do
		[ "$cp" -lt 55000 ] && [ "${used#* $cp }" = "$used" ] &&
		    ! (exec 3<>/dev/tcp/127.0.0.1/$((cp + 10000))) 2>/dev/null && break
	done
	used="$used$cp "
	echo "$cp"
}
declare -A NODE_PID
NODES=()
for i in 1 2 3 4 5 6; do
	cp=$(cluster_port)
	NODES+=("$cp")
	mkdir -p "$T/redis-$cp"
	# validity-factor 0: a replica may always take over (the default
	# refuses one that lost its primary "too long" ago, as seconds go here).
	redis-server --port "$cp" --bind 127.0.0.1 --dir "$T/redis-$cp" --save '' \
	    --appendonly no --daemonize no --logfile "$T/redis-$cp/log" \
	    --cluster-enabled yes --cluster-config-file nodes.conf \
	    --cluster-node-timeout 1000 --cluster-replica-validity-factor 0 &
	NODE_PID[$cp]=$!
	track $!
done
for cp in "${NODES[@]}"; do wait_for 10 redis-cli -p "$cp" ping; done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${NODES[@]}") \
    --cluster-replicas 1 --cluster-yes >"$T/cluster.out" 2>&1
C=${NODES[0]}
cluster_ok() {
	local cp
	for cp in "$@"; do
		redis-cli -p "$cp" cluster info | grep -q 'cluster_state:ok' || return 1
	done
}
# Every replica synced too: a failover needs one that has the data.
replicas_synced() {
	[ "$(for cp in "${NODES[@]}"; do redis-cli -p "$cp" info replication; done |
	    grep -c 'master_link_status:up')" = 3 ]
}
if wait_for 30 cluster_ok "${NODES[@]}" && wait_for 30 replicas_synced; then
	pass "cluster: 3 primaries, 3 replicas, state ok"
else
	fail "cluster: 3 primaries, 3 replicas, state ok" "$(tail -n 3 "$T/cluster.out")"
	exit 1
fi
# owner KEY: the port of the primary that serves KEY's slot now.
owner() {
	local slot
	slot=$(redis-cli -p "$C" cluster keyslot "$1")
	redis-cli -p "$C" cluster nodes | awk -v s="$slot" '$3 ~ /master/ && $3 !~ /fail/ {
		for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]
			if (s >= r[1] && s <= r[2]) { split($2, a, "[:@]"); print a[2] } } }'
}
# replica_of PORT: the port of PORT's replica.
replica_of() {
	local id
	id=$(redis-cli -p "$1" cluster myid)
	redis-cli -p "$1" cluster nodes | awk -v id="$id" '$4 == id { split($2, a, "[:@]"); print a[2] }'
}
seeds=$(printf '127.0.0.1:%s,' "${NODES[@]:1}")

# --- two ingest hosts -------------------------------------------------------
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32 TRUSTED_PROXIES=127.0.0.2/32
export REDIS_URL="redis://127.0.0.1:$C" REDIS_NODES="${seeds%,}" REDIS_MODE=xadd
export LOG_LEVEL=info DRAIN_TIMEOUT=60
start_wsa -H 127.0.0.1 -- ingest-call
H1_PID=$WSA_PID H1_PORT=$WSA_PORT H1_LOG=$WSA_LOG
start_wsa -H 127.0.0.1 -- ingest-call
H2_PID=$WSA_PID H2_PORT=$WSA_PORT H2_LOG=$WSA_LOG

# --- HAProxy: the example, with this test's addresses -------------------------
LB=$(freeport)
STATS=$(freeport)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$T/lb.key" -out "$T/lb.crt" 2>/dev/null
cat "$T/lb.crt" "$T/lb.key" >"$T/lb.pem"
# Kept: the timeouts, the check, the headers, the balance.  Changed: no
# chroot, user or daemon; a TCP stats socket; checks every 300 ms;
# maxconn (as many descriptors as a user may have); "internal" is
# 127.0.0.1 alone; the servers, reached from 127.0.0.2.
sed -e '/^\tlog \/dev\/log/d' -e '/^\tchroot /d' -e '/^\tuser /d' \
    -e '/^\tgroup /d' -e '/^\tdaemon/d' \
    -e "s|^\tstats socket .*|\tstats socket ipv4@127.0.0.1:$STATS level admin|" \
    -e "s|^\tbind :443 ssl crt [^ ]*|\tbind 127.0.0.1:$LB ssl crt $T/lb.pem|" \
    -e 's|check inter 2s|check inter 300ms|' -e 's|maxconn 20000|maxconn 1000|' \
    -e 's|^\tacl internal src .*|\tacl internal src 127.0.0.1|' \
    -e '/^\tserver host/d' "$TOP/examples/haproxy/haproxy.cfg" >"$T/haproxy.cfg"
printf '\tserver host1 127.0.0.1:%s source 127.0.0.2\n\tserver host2 127.0.0.1:%s source 127.0.0.2\n' \
    "$H1_PORT" "$H2_PORT" >>"$T/haproxy.cfg"
run haproxy -c -f "$T/haproxy.cfg"
expect "haproxy: the example configuration is valid" 0 "$rc"
haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
track $!
# lb CMD: one command on HAProxy's runtime API; the answer on stdout.
lb() {
	exec 9<>"/dev/tcp/127.0.0.1/$STATS" || return 1
	printf '%s\n' "$1" >&9
	cat <&9
	exec 9<&-
}
# status SERVER: UP, DOWN, DRAIN, ... (show stat: field 18).
status() { lb "show stat" | awk -F, -v s="$1" '$1 == "ingest" && $2 == s { print $18 }'; }
is_status() { [ "$(status "$1")" = "$2" ]; }
wait_for 10 is_status host1 UP && wait_for 10 is_status host2 UP
expect "haproxy: both hosts up by their /health" "UP UP" "$(status host1) $(status host2)"
URL="wss://127.0.0.1:$LB/v1/ingest"

# --- the allow-list judges the caller, not HAProxy ----------------------------
upgrade() {	# upgrade [curl options]: the HTTP status of an Exotel-style upgrade
	curl -sk -o /dev/null -w '%{http_code}' "$@" -H 'Connection: Upgrade' \
	    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
	    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "https://127.0.0.1:$LB/v1/ingest"
}
expect "allow-list: a caller from 127.0.0.3 is refused through HAProxy" 403 "$(upgrade --interface 127.0.0.3)"
expect_match "allow-list: the refusal names HAProxy as peer and the caller as client" \
    'refused peer=(::ffff:)?127\.0\.0\.2:[0-9]+ client=127\.0\.0\.3 .*status=403 reason="ip not allowed"' "$(cat "$H1_LOG" "$H2_LOG")"
expect "allow-list: a forged X-Forwarded-For does not help" 403 \
    "$(upgrade --interface 127.0.0.3 -H 'X-Forwarded-For: 127.0.0.1')"
expect "haproxy: /metrics is not for callers from outside" 403 \
    "$(curl -sk -o /dev/null -w '%{http_code}' --interface 127.0.0.3 "https://127.0.0.1:$LB/metrics")"

# --- 50 calls over both hosts -------------------------------------------------
sox -n -r 8000 -b 16 -c 1 "$T/long.wav" synth 24 sine 440 vol 0.5
sox -n -r 8000 -b 16 -c 1 "$T/mid.wav" synth 12 sine 660 vol 0.5
sox -n -r 8000 -b 16 -c 1 "$T/short.wav" synth 2 sine 550 vol 0.5
accepted() { grep -c ' accepted peer=[:f]*127\.0\.0\.2:[0-9]* client=127\.0\.0\.1 ' "$1"; }
calls_are() { [ $(( $(accepted "$H1_LOG") + $(accepted "$H2_LOG") )) = "$1" ]; }
exotel-replay -q -k -n 50 -i a -t 120 "$URL" "$T/long.wav" >/dev/null 2>"$T/a.err" &
A=$!
track $A
wait_for 30 calls_are 50 || fail "50 calls: accepted" "$(accepted "$H1_LOG") + $(accepted "$H2_LOG")"
n1=$(accepted "$H1_LOG") n2=$(accepted "$H2_LOG")
# leastconn: within a few of 25 each (a check may land between two calls).
if [ "$n1" -ge 15 ] && [ "$n2" -ge 15 ]; then pass "50 calls: spread over both hosts ($n1 + $n2)"
else fail "50 calls: spread over both hosts" "$n1 + $n2"; fi

# --- drain host1: new calls go to host2, host1's calls go on ------------------
lb "set server ingest/host1 state drain" >/dev/null
wait_for 5 is_status host1 DRAIN
run exotel-replay -q -k -n 4 -i d -t 60 "$URL" "$T/short.wav"
expect "drain: 4 new calls all on host2, none on host1, all complete" "0 $n1 $((n2 + 4))" \
    "$rc $(accepted "$H1_LOG") $(accepted "$H2_LOG")"
expect "drain: host1 still holds its calls" "$n1" \
    "$(curl -s "http://127.0.0.1:$H1_PORT/health" | jq .active_calls)"
lb "set server ingest/host1 state ready" >/dev/null
wait_for 5 is_status host1 UP

# --- (a) host1 dies -------------------------------------------------------------
# The interaction ids of host1's calls, from its pipelines' start lines.
ids_of() { sed -n 's/^exotel-decode: info: call=[^ ]* start .* interaction=\([^ ]*\) .*/\1/p' "$1" | sort -u; }
wait_for 10 sh -c "[ \$(grep -c 'exotel-decode: info: call=.* start ' '$H1_LOG') = $n1 ]"
ids_of "$H1_LOG" >"$T/h1.ids"
kill -KILL "$H1_PID"
wait "$H1_PID" 2>/dev/null
events() { redis-cli -c -p "$C" --raw xrange calls:events - + | grep '^{'; }
stops_disconnected() {
	[ "$(events | jq -r 'select(.event == "stop" and .reason == "disconnected") | .interaction_id' |
	    sort -u | comm -12 - "$T/h1.ids" | wc -l)" = "$n1" ]
}
wait_for 30 stops_disconnected
expect "host1 killed: each of its $n1 calls ends with a disconnected stop" "$n1" \
    "$(events | jq -r 'select(.event == "stop" and .reason == "disconnected") | .interaction_id' |
        sort -u | comm -12 - "$T/h1.ids" | wc -l)"
wait_for 10 is_status host1 DOWN
expect "host1 killed: haproxy marks it down" "DOWN UP" "$(status host1) $(status host2)"
h2_before=$(accepted "$H2_LOG")
exotel-replay -q -k -n 10 -i b -t 120 "$URL" "$T/mid.wav" >/dev/null 2>"$T/b.err" &
B=$!
track $B
wait_for 20 sh -c "[ \$(grep -c ' accepted peer=' '$H2_LOG') -ge $((h2_before + 10)) ]"
expect "host1 killed: 10 new calls all accepted by host2" "$((h2_before + 10))" "$(accepted "$H2_LOG")"

# --- (b) a primary fails over under the live calls ----------------------------
# The primary of a live host2 call's stream, and an SPUBLISH call on it.
ids_of "$H2_LOG" >"$T/h2.ids"
# Not the node of REDIS_URL: new calls would then depend on REDIS_NODES,
# checked on its own below.
for first in $(grep '^a-' "$T/h2.ids"); do
	victim=$(owner "audio:$first")
	[ "$victim" != "$C" ] && break
done
heir=$(replica_of "$victim")
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ "$(owner "sp:{sp$k}")" = "$victim" ] && break
done
redis-sub -S -p "$heir" -x '"event":"stop"' "sp:{sp$k}" >"$T/sp.out" 2>"$T/sp.err" &
SUB=$!
track $SUB
wait_for 10 sh -c "[ \"\$(redis-cli -p $heir pubsub shardnumsub 'sp:{sp$k}' | tail -n 1)\" = 1 ]"
head -c $((24000 * 2 * 8)) /dev/urandom >"$T/sp.pcm"	# 8 s at 24 kHz: 400 frames
{ pace <"$T/sp.pcm" | redis-pub -m spublish -i "sp$k" -t t -c 'sp:{{interaction_id}}' \
    -e 'sp:{{interaction_id}}' -B 30 -W 30 2>"$T/sp.pub"; echo $? >"$T/sp.rc"; } &
SP=$!
track $SP
live=$(curl -s "http://127.0.0.1:$H2_PORT/health" | jq .active_calls)
sleep 1	# some audio on the victim first; nothing below depends on it
kill -KILL "${NODE_PID[$victim]}"
C=$heir		# ask a live node from now on
promoted() { [ "$(owner "audio:$first")" = "$heir" ]; }
if wait_for 30 promoted; then pass "failover: the replica of the killed primary took over"
else fail "failover: the replica of the killed primary took over" "owner $(owner "audio:$first")"; fi

# A planned failover of another shard while the calls go on: CLUSTER
# FAILOVER on a replica waits for it to catch up, then swaps the roles.
for second in $(grep '^b-' "$T/h2.ids"); do
	old=$(owner "audio:$second")
	[ -n "$old" ] && [ "$old" != "$heir" ] && break
done
heir2=$(replica_of "$old")
redis-cli -p "$heir2" cluster failover >/dev/null
promoted2() { [ "$(owner "audio:$second")" = "$heir2" ]; }
if wait_for 30 promoted2; then pass "planned failover: CLUSTER FAILOVER on a replica swapped the roles"
else fail "planned failover: CLUSTER FAILOVER on a replica swapped the roles" "owner $(owner "audio:$second")"; fi

# Everything ends: the callers, then host2's pipelines (one "done" each).
finished() {
	if ! wait_for 60 eval "! kill -0 $1"; then
		fail "ended" "hung: $(ps -o args= -p "$1")"
		kill -KILL "$1"
	fi
	wait "$1"
}
finished $B
expect "failover: the 10 calls started after host1 died all complete" 0 $?
finished $A
finished $SP
h2_calls=$(accepted "$H2_LOG")
pipes_done() { [ "$(grep -c '^redis-pub: info: call=[^ ]* done ' "$H2_LOG")" = "$h2_calls" ]; }
wait_for 60 pipes_done || fail "host2: every pipeline done" "$(grep -c 'redis-pub: info: call=[^ ]* done ' "$H2_LOG") of $h2_calls"
expect_match "failover: host2 held live calls when the primary died" '^[1-9][0-9]+$' "$live"
expect_match "failover: redis-pub logged the outage and the way back" \
    'redis-pub: info: call=[^ ]* redis connected addr=127\.0\.0\.1:[0-9]+ db=0 after_ms=[0-9]+ attempts=[0-9]+' "$(cat "$H2_LOG")"

# complete ID: "ok" when the stream audio:ID holds every seq from 0 to the
# stop's frames - 1 (duplicates allowed), else what is wrong.
events >"$T/events"
complete() {
	local frames have
	frames=$(jq -r --arg id "$1" 'select(.event == "stop" and .interaction_id == $id) | .frames' "$T/events" | tail -n 1)
	[ -n "$frames" ] || { echo "$1: no stop"; return; }
	have=$(redis-cli -c -p "$C" --raw xrange "audio:$1" - + | grep '^{' | jq .seq | sort -n -u |
	    awk -v n="$frames" '$1 == NR - 1 && $1 < n { k++ } END { print k + 0 }')
	[ "$have" = "$frames" ] && [ "$frames" -gt 0 ] && echo ok || echo "$1: $have of $frames"
}
bad=$(for id in $(ids_of "$H2_LOG"); do complete "$id"; done | grep -v '^ok$')
expect "failover: every host2 call's audio complete, seq 0..frames-1 ($h2_calls calls)" "" "$bad"
bad=$(for id in $(cat "$T/h1.ids"); do complete "$id"; done | grep -v '^ok$')
expect "host1 killed: its calls' audio complete up to the disconnect" "" "$bad"
expect "failover: no call of host2 dropped or had refused frames" "" \
    "$(grep '^redis-pub: .* done ' "$H2_LOG" | grep -v ' dropped=0 rejected=0 undelivered=0 ')"
entries=$(for id in $(ids_of "$H2_LOG"); do redis-cli -c -p "$C" xlen "audio:$id"; done | awk '{ s += $1 } END { print s }')
frames=$(for id in $(ids_of "$H2_LOG"); do jq -r --arg id "$id" 'select(.event == "stop" and .interaction_id == $id) | .frames' "$T/events"; done |
    awk '{ s += $1 } END { print s }')
echo "# host2: $frames frames, $entries stream entries ($((entries - frames)) duplicates)"

# SPUBLISH: redis-pub delivers every frame through the failover; a shard
# subscriber on the replica that took over hears the frames after it.
expect_match "spublish: every frame delivered through the failover, exit 0" \
    '^0 redis-pub: info: done interaction=sp[0-9]+ frames=400 delivered=400 .* dropped=0 rejected=0 undelivered=0 ' \
    "$(cat "$T/sp.rc") $(grep ' done ' "$T/sp.pub")"
finished $SUB
expect "spublish: the subscriber on the new primary got the last frame and the stop" "399 stop" \
    "$(cut -d' ' -f2- "$T/sp.out" | jq 'select(.seq != null) | .seq' | sort -n | tail -n 1) $(grep -c '"event":"stop"' "$T/sp.out" | sed 's/^1$/stop/')"
echo "# spublish: the subscriber heard $(cut -d' ' -f2- "$T/sp.out" | jq 'select(.seq != null) | .seq' | sort -u | wc -l) of 400 frames"

# --- a host drained by SIGTERM: /health 503, HAProxy stops sending calls,
# and the calls it holds are not cut --------------------------------------------
sox -n -r 8000 -b 16 -c 1 "$T/e.wav" synth 8 sine 330 vol 0.5
exotel-replay -q -k -n 2 -i e -t 60 "$URL" "$T/e.wav" >/dev/null 2>"$T/e.err" &
E=$!
track $E
wait_for 10 sh -c "[ \$(grep -c ' accepted peer=' '$H2_LOG') -ge $((h2_calls + 2)) ]"
kill -TERM "$H2_PID"
wait_for 10 is_status host2 DOWN
expect "SIGTERM: host2's /health says 503 with its 2 calls, haproxy marks it down" "503 2 DOWN" \
    "$(curl -s -o "$T/e.health" -w '%{http_code}' "http://127.0.0.1:$H2_PORT/health") $(jq .active_calls "$T/e.health") $(status host2)"
finished $E
expect "SIGTERM: the calls host2 held went on to their end through haproxy" 0 $?
finished $H2_PID
expect "SIGTERM: host2 exits 0 once its calls ended" 0 $?

# REDIS_NODES: a call that starts while the node of its REDIS_URL is down.
head -c $((960 * 100)) /dev/urandom >"$T/n.pcm"
run env REDIS_URL="redis://127.0.0.1:$victim" REDIS_NODES="127.0.0.1:$heir,127.0.0.1:$C" \
    LOG_LEVEL=quiet valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 redis-pub -m xadd -i nodes1 -t t <"$T/n.pcm"
# (At-least-once: frames pipelined behind an event that went to the wrong
# node may be written twice, so count seqs, not entries.)
expect "REDIS_NODES: the URL's node is down, another answers: exit 0, every frame, valgrind clean" \
    "0 100" "$rc $(redis-cli -c -p "$C" --raw xrange audio:nodes1 - + | grep '^{' | jq .seq | sort -u | wc -l)"
run env REDIS_URL="redis://127.0.0.1:$victim" REDIS_NODES="127.0.0.1:$heir,127.0.0.1:x" redis-pub -i x -t t </dev/null
expect "REDIS_NODES: a bad entry is a usage error" "100 redis-pub: fatal: invalid REDIS_NODES: bad port" "$rc $err"
