# redis-pub and ingest-call: a call's tracks and streams, key templates,
# event routes, the rtaafin layout, the claim, history by age, the output
# rate, metrics, and a stop that reaches Redis whatever stage died.  All
# against a real redis-server; streams (XADD) so nothing depends on timing.
source "$(dirname "$0")/lib.sh"

start_redis || exit 1
P=$REDIS_PORT
export REDIS_URL LOG_LEVEL=quiet
rcli() { redis-cli -p "$P" "$@"; }
# data KEY: the data fields of stream KEY, one a line.
data() { rcli --raw xrange "$1" - + | awk 'NR % 3 == 0'; }
pcm() { jq -r .audio | while read -r a; do printf %s "$a" | base64 -d; done; }
same() {	# same NAME FILE1 FILE2
	if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$(cmp "$2" "$3" 2>&1)"; fi
}
xlen_is() { [ "$(rcli xlen "$1")" = "$2" ]; }
# descendant PID NAME: the pid of the process NAME under PID.
descendant() {
	local p kids
	kids=$(pgrep -P "$1")
	for p in $kids; do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] && { echo "$p"; return; }
		descendant "$p" "$2" && return
	done
	return 1
}

head -c 72000 /dev/urandom >"$T/a.pcm"	# 1.5 s at 24 kHz: 75 frames of 20 ms
head -c 48000 /dev/urandom >"$T/b.pcm"	# 1 s: 50 frames

# --- help, version, templates --------------------------------------------------
run redis-pub --help
expect_match "--help: usage and options on stdout, exit 0" "^usage: redis-pub .*
.*-C seconds +claim expiry" "$rc $out"
[ "$rc" = 0 ] || fail "--help exits 0" "$rc"
run redis-pub --version
expect_match "--version: name and version, exit 0" "^0 redis-pub [^ ]+$" "$rc $out"
run ingest-call --help
expect_match "ingest-call --help: exit 0, names OUTPUT_RATE" "^0 usage: ingest-call.*OUTPUT_RATE" "$rc $(echo $out)"
run ingest-call --version
expect_match "ingest-call --version: exit 0" "^0 ingest-call [^ ]+$" "$rc $out"

run env AUDIO_CHANNEL='audio:{call_id}' redis-pub -i x </dev/null
expect "template: an unknown placeholder is a usage error" \
    "100 redis-pub: fatal: invalid AUDIO_CHANNEL: unknown placeholder {call_id} (known: {interaction_id} {tenant_id} {stream_sid} {track})" "$rc $err"
run env EVENTS_STOP='end:{callsid}' redis-pub -i x </dev/null
expect "template: events routes are checked too" \
    "100 redis-pub: fatal: invalid EVENTS_STOP: unknown placeholder {callsid} (known: {interaction_id} {tenant_id} {stream_sid} {track})" "$rc $err"
run env OUTPUT_RATE=44100 ingest-call </dev/null
expect "ingest-call: OUTPUT_RATE other than 8000/16000/24000 refused" \
    "100 ingest-call: fatal: invalid OUTPUT_RATE: 44100 (want 8000, 16000 or 24000)" "$rc $err"

run env STREAM_SID=MZ1 TRACK=outbound redis-pub -m xadd -i t1 -t acme \
    -c 'a:{tenant_id}:{interaction_id}:{stream_sid}:{track}' -e 'e:{{interaction_id}}' <"$T/b.pcm"
expect "template: every placeholder, {{...}} keeps the hash tag's braces" "0 50 2" \
    "$rc $(rcli xlen a:acme:t1:MZ1:outbound) $(rcli xlen 'e:{t1}:outbound')"

# --- two tracks: a key each, frames named, byte-exact ---------------------------
printf '%s\n' '{"event":"start","interaction_id":"tr","tenant_id":"acme","stream_sid":"MZ7","call_sid":"tr"}' \
    '{"event":"stop","interaction_id":"tr","reason":"callended"}' >"$T/ev"
STREAM_SID=MZ7 TRACK=inbound redis-pub -m xadd -E 3 <"$T/a.pcm" 3<"$T/ev" 2>"$T/in.err" &
IN=$!
STREAM_SID=MZ7 TRACK=outbound redis-pub -m xadd -E 3 <"$T/b.pcm" 3<"$T/ev" 2>"$T/out.err" &
OUT=$!
wait $IN; r1=$?
wait $OUT; r2=$?
expect "tracks: both exit 0, quietly" "0 0 " "$r1 $r2 $(cat "$T/in.err" "$T/out.err")"
expect "tracks: inbound on audio:{interaction_id}, outbound on audio:{interaction_id}:outbound" \
    "75 50" "$(rcli xlen audio:tr) $(rcli xlen audio:tr:outbound)"
expect "tracks: frames name their stream and track" \
    '"MZ7 inbound"
"MZ7 outbound"' "$( (data audio:tr; data audio:tr:outbound) | jq '"\(.stream_sid) \(.track)"' | sort -u)"
data audio:tr | pcm >"$T/tr.in"
data audio:tr:outbound | pcm >"$T/tr.out"
same "tracks: inbound audio byte-exact" "$T/a.pcm" "$T/tr.in"
same "tracks: outbound audio byte-exact" "$T/b.pcm" "$T/tr.out"
expect "tracks: each seq from 0 without holes" "$(seq 0 74 | paste -sd' ') | $(seq 0 49 | paste -sd' ')" \
    "$(data audio:tr | jq .seq | paste -sd' ') | $(data audio:tr:outbound | jq .seq | paste -sd' ')"
expect "tracks: each track's events on its own key, naming the track" \
    "start inbound MZ7|stop inbound MZ7|start outbound MZ7|stop outbound MZ7" \
    "$( (data calls:events; data calls:events:outbound) | jq -r '"\(.event) \(.track) \(.stream_sid)"' | paste -sd'|')"

# --- several streams in one call: seq goes on, never repeats --------------------
for s in MZa MZb; do
	run env STREAM_SID=$s redis-pub -m xadd -i st -t acme <"$T/b.pcm"
	[ "$rc" = 0 ] || fail "streams: $s exits 0" "$rc $err"
done
expect "streams: the second stream's seq follows the first's" "$(seq 0 99 | paste -sd' ')" \
    "$(data audio:st | jq .seq | paste -sd' ')"
expect "streams: each frame names its stream" "50 MZa|50 MZb" \
    "$(data audio:st | jq -r .stream_sid | uniq -c | awk '{print $1, $2}' | paste -sd'|')"
expect "streams: the claim is released, the seq kept for the next stream" "0 100 MZb" \
    "$(rcli exists claim:{audio:st}:st) $(rcli get seq:{audio:st}:st)"
run env STREAM_SID=MZb redis-pub -m xadd -i st -t acme <"$T/b.pcm"
expect "streams: the same stream again (a replay) starts over: (stream_sid, seq) names a frame" \
    "0 0 49" "$rc $(data audio:st | tail -n 50 | jq .seq | sed -n '1p;$p' | paste -sd' ')"

# A publisher killed in mid-stream leaves a hole, never a repeat.
mkfifo "$T/kin"
STREAM_SID=MZk redis-pub -m xadd -i kd -t acme -C 60 <"$T/kin" 2>/dev/null &
KP=$!
track $KP
exec 7>"$T/kin"
head -c 9600 "$T/a.pcm" >&7		# 10 frames
wait_for 10 xlen_is audio:kd 10 || fail "killed: frames before the kill" "xlen $(rcli xlen audio:kd)"
kill -KILL $KP
wait $KP 2>/dev/null
:
exec 7>&-
rcli del claim:{audio:kd}:kd >/dev/null	# as if its expiry passed
run env STREAM_SID=MZl redis-pub -m xadd -i kd -t acme <"$T/b.pcm"
first=$(data audio:kd | sed -n 11p | jq .seq)
if [ "$rc" = 0 ] && [ "$first" -ge 10 ]; then
	pass "killed: the next stream starts past every seq used ($first)"
else fail "killed: the next stream starts past every seq used" "rc $rc first $first"; fi

# --- the claim: a second live publisher of the call is refused ------------------
mkfifo "$T/cin"
STREAM_SID=MZc CALL_ID=host1call redis-pub -m xadd -i live -t acme <"$T/cin" 2>"$T/c1.err" &
C1=$!
track $C1
exec 7>"$T/cin"
head -c 9600 "$T/a.pcm" >&7
wait_for 10 xlen_is audio:live 10 || fail "claim: first publisher runs" "xlen $(rcli xlen audio:live)"
run env STREAM_SID=MZd TENANT_ID=other redis-pub -m xadd -i live <"$T/b.pcm"
expect_match "claim: the second is refused: exit 1, one warning line, nothing published" \
    "^1 1 redis-pub: warning: refused: interaction=live is already live on key=audio:live \(held by host=[^ ]+ pid=$C1 call=host1call nonce=[0-9a-f]{8}\): this call is not published 10$" \
    "$rc $(wc -l <<<"$err") $err $(rcli xlen audio:live)"
expect_match "claim: the claim key names its holder and expires" "^host=.* pid=$C1 .* [0-9]+$" \
    "$(rcli get claim:{audio:live}:live) $(rcli ttl claim:{audio:live}:live)"
head -c 9600 "$T/a.pcm" >&7
exec 7>&-
wait $C1
expect "claim: the first goes on undisturbed, releases at its end" "0 20 0" \
    "$? $(data audio:live | jq -r 'select(.tenant_id == "acme") | .seq' | wc -l) $(rcli exists claim:{audio:live}:live)"
# The next stream of a call may start while the last one still delivers
# its end: the claim is asked for again for a few seconds before refusing.
mkfifo "$T/sin"
STREAM_SID=MZs1 redis-pub -m xadd -i seqd -t acme <"$T/sin" 2>/dev/null &
S1=$!
track $S1
exec 7>"$T/sin"
head -c 9600 "$T/a.pcm" >&7
wait_for 10 xlen_is audio:seqd 10 || fail "overlap: first stream runs" "xlen $(rcli xlen audio:seqd)"
STREAM_SID=MZs2 redis-pub -m xadd -i seqd -t acme <"$T/b.pcm" 2>"$T/s2.err" 7>&- &
S2=$!
track $S2
exec 7>&-
wait $S1
wait $S2
r2=$?
expect "overlap: the second stream waits for the first's claim, then goes on from its seq" \
    "0 $(seq 0 59 | paste -sd' ')" "$r2 $(cat "$T/s2.err")$(data audio:seqd | jq .seq | paste -sd' ')"
run env -u STREAM_SID redis-pub -m xadd -C 0 -i noclaim <"$T/b.pcm"
expect "claim: -C 0 takes none" "0 0" "$rc $(rcli exists claim:{audio:noclaim}:noclaim seq:{audio:noclaim}:noclaim)"

# --- history by age: XADD MINID ~ ------------------------------------------------
# The slow log with a threshold of 0 keeps every command's arguments.
rcli config set slowlog-log-slower-than 0 >/dev/null
rcli config set slowlog-max-len 10000 >/dev/null
t0=$(($(date +%s%3N) - 600000))
run redis-pub -m xadd -i age -H 600 <"$T/b.pcm"
run redis-pub -m xadd -i cnt -M 5000 <"$T/b.pcm"
t1=$(($(date +%s%3N) - 600000))
rcli --raw slowlog get 10000 >"$T/slow"
rcli config set slowlog-log-slower-than 10000 >/dev/null
# xadd_args KEY: the arguments of the first XADD to KEY, one line.
xadd_args() { awk -v k="$1" '$0 == "XADD" { getline n; if (n == k) { printf "XADD %s", n; for (i = 0; i < 5; i++) { getline a; printf " %s", a }; print ""; exit } }' "$T/slow"; }
minid=$(xadd_args audio:age | awk '$3 == "MINID" && $4 == "~" && $6 == "*" && $7 == "data" { print $5 }')
if [ -n "$minid" ] && [ "$minid" -ge "$t0" ] && [ "$minid" -le "$t1" ]; then
	pass "history: XADD MINID ~ now - STREAM_RETENTION_SECONDS"
else fail "history: XADD MINID ~ now - STREAM_RETENTION_SECONDS" "$(xadd_args audio:age)"; fi
expect "history: -M keeps MAXLEN ~ by count" "XADD audio:cnt MAXLEN ~ 5000 * data" "$(xadd_args audio:cnt)"

# --- the rtaafin layout, as the original service's ASR worker reads it -----------
rcli flushall >/dev/null
printf '%s\n' '{"event":"start","interaction_id":"CAr","tenant_id":"acc1","stream_sid":"MZr","call_sid":"CAr"}' \
    '{"event":"dtmf","interaction_id":"CAr","digit":"5","timestamp_ms":0}' \
    '{"event":"mark","interaction_id":"CAr","name":"m","timestamp_ms":0}' \
    '{"event":"stop","interaction_id":"CAr","reason":"callended"}' >"$T/rev"
run env REDIS_LAYOUT=rtaafin STREAM_SID=MZr SAMPLE_RATE=24000 redis-pub -E 3 <"$T/a.pcm" 3<"$T/rev"
expect "rtaafin: exit 0; keys: audio_stream, call_end, the seq for the next stream" \
    "0 audio_stream call_end seq:{audio_stream}:CAr" "$rc $(rcli --raw keys '*' | sort | paste -sd' ')"
expect "rtaafin: entries of one field, data" "data" \
    "$( (rcli --raw xrange audio_stream - +; rcli --raw xrange call_end - +) | awk 'NR % 3 == 2' | sort -u)"
data audio_stream >"$T/r.json"
expect "rtaafin: audio frames as AudioFrame (interaction_id, tenant_id, seq, timestamp_ms, sample_rate, encoding, audio)" \
    "75 CAr acc1 24000 pcm16 0 74" \
    "$(wc -l <"$T/r.json") $(jq -r '"\(.interaction_id) \(.tenant_id) \(.sample_rate) \(.encoding)"' "$T/r.json" | sort -u) $(jq .seq "$T/r.json" | sed -n '1p;$p' | paste -sd' ')"
pcm <"$T/r.json" >"$T/r.pcm"
same "rtaafin: audio byte-exact" "$T/a.pcm" "$T/r.pcm"
now=$(date +%s%3N)
expect "rtaafin: only the stop, once, on call_end, with exactly the original's fields" \
    '1 ["call_sid","interaction_id","reason","stream_sid","tenant_id","timestamp_ms"] CAr acc1 CAr MZr callended' \
    "$(rcli xlen call_end) $(data call_end | jq -c 'keys') $(data call_end | jq -r '"\(.interaction_id) \(.tenant_id) \(.call_sid) \(.stream_sid) \(.reason)"')"
ts=$(data call_end | jq .timestamp_ms)
if [ "$ts" -le "$now" ] && [ "$ts" -ge $((now - 600000)) ]; then pass "rtaafin: timestamp_ms is the wall clock in ms"
else fail "rtaafin: timestamp_ms is the wall clock in ms" "$ts vs $now"; fi

# --- events routed per kind ------------------------------------------------------
run env EVENTS_START=- EVENTS_DTMF='dtmf:{interaction_id}' EVENTS_MARK=- EVENTS_STOP='end:{tenant_id}' \
    STREAM_SID=MZr redis-pub -m xadd -E 3 <"$T/b.pcm" 3<"$T/rev"
expect "routes: dtmf and stop each to their key, start and mark nowhere" "0 dtmf stop 0" \
    "$rc $(data dtmf:CAr | jq -r .event) $(data end:acc1 | jq -r .event) $(rcli exists calls:events)"

# --- metrics: counters on METRICS_FD -----------------------------------------------
run env METRICS_FD=9 STREAM_SID=MZm redis-pub -m xadd -i met -E 3 <"$T/a.pcm" 3<"$T/ev" 9>"$T/metrics"
sum() { awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "$T/metrics"; }
expect "metrics: frames, bytes, delay histogram, the call's end" \
    "75 72000 75 75 1 1" \
    "$(sum ingest_frames_published_total) $(sum ingest_audio_bytes_published_total) $(sum 'ingest_frame_delay_seconds_bucket{le="+Inf"}') $(sum ingest_frame_delay_seconds_count) $(sum 'ingest_calls_ended_total{reason="callended"}') $(sum ingest_backlog_high_water_frames_count)"
if promtool --version >/dev/null 2>&1; then
	awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' "$T/metrics" | sort |
	    awk '{ n = $1; sub(/\{.*/, "", n); b = n; sub(/_(bucket|count|sum)$/, "", b)
	        if (!(b in seen)) { seen[b] = 1; print "# HELP " b " " b; print "# TYPE " b " " (b ~ /_total$/ ? "counter" : "histogram") } print }' >"$T/prom"
	run promtool check metrics <"$T/prom"
	expect "metrics: promtool is content" 0 "$rc"
fi

# --- log lines: what a caller sent is escaped --------------------------------------
run env LOG_LEVEL=info INTERACTION_ID=$'x\nredis-pub: info: forged\e[2J' redis-pub -m xadd -C 0 <"$T/b.pcm"
expect "log: no forged line, the id escaped" \
    '0 0 redis-pub: info: done interaction=x\x0aredis-pub:\x20info:\x20forged\x1b[2J frames=50 delivered=50 duration_ms=1000 dropped=0 rejected=0 undelivered=0 connects=1' \
    "$rc $(grep -c '^redis-pub: info: forged' <<<"$err") $(grep done <<<"$err")"

# --- a stage upstream died: the decoder's count tells what never came -------------
# As exotel-decode's chain gives it: 2 s written at 8 kHz (16000 samples),
# of which 1 s reached redis-pub (resample killed).
printf '%s\n' '{"event":"start","interaction_id":"rk","tenant_id":"acme","stream_sid":"MZk"}' \
    '{"event":"stop","interaction_id":"rk","reason":"callended","samples":16000,"dropped":{"late":2}}' >"$T/kev"
run env SAMPLE_RATE=8000 redis-pub -m xadd -E 3 <"$T/b.pcm" 3<"$T/kev"
expect "upstream died: the stop counts the lost second (dropped frames, lost_ms), warns; the decoder's drops kept" \
    '1 {"frames":50,"dropped":50,"lost_ms":1000,"decode_dropped":{"late":2}}' \
    "$(grep -c 'audio lost before redis-pub: lost_ms=1000' <<<"$err") $(data calls:events | tail -n 1 | jq -c '{frames,dropped,lost_ms,decode_dropped}')"

# --- ingest-call: the output rate ----------------------------------------------------
CAP=$FIXTURES/twilio-stream1.ndjson
ID=CA3ae75ffe1c5d8847e478556c07d07103
exotel-decode <"$CAP" 2>/dev/null >"$T/cap8k"
for rate in 16000 8000; do
	rcli del "audio:$ID" >/dev/null
	# FRAME_EARLY_MS=0: a frame never ends early where the input pauses
	# (a loaded machine's short read would make frame 617): whole frames.
	run env OUTPUT_RATE=$rate REDIS_MODE=xadd FRAME_EARLY_MS=0 ingest-call <"$CAP"
	data "audio:$ID" >"$T/o$rate.json"
	if [ $rate = 8000 ]; then cp "$T/cap8k" "$T/want$rate"
	else resample -q fir -i 8000 -o $rate <"$T/cap8k" >"$T/want$rate"; fi
	pcm <"$T/o$rate.json" >"$T/got$rate"
	# Frames of at most 20 ms (base64 of rate/50*2 bytes), seq without holes.
	expect "OUTPUT_RATE=$rate: exit 0, seq 0..N-1, sample_rate $rate, frames up to 20 ms" \
	    "0 $(($(wc -l <"$T/o$rate.json") - 1)) $rate $(( (rate / 50 * 2 + 2) / 3 * 4 ))" \
	    "$rc $(jq .seq "$T/o$rate.json" | sort -n | awk '$1 == NR - 1 { n = $1 } END { print n }') $(jq .sample_rate "$T/o$rate.json" | sort -u) $(jq '.audio | length' "$T/o$rate.json" | sort -n | tail -n 1)"
	same "OUTPUT_RATE=$rate: the audio is exactly the capture at $rate Hz" "$T/want$rate" "$T/got$rate"
done

# --- ingest-call: redis-pub killed mid-call, the stop still reaches Redis ------------
rcli del "audio:$ID" calls:events >/dev/null
mkfifo "$T/icin"
REDIS_MODE=xadd LOG_LEVEL=info CALL_ID=k1 ingest-call <"$T/icin" 2>"$T/ic.err" &
IC=$!
track $IC
exec 7>"$T/icin"
head -n 300 "$CAP" >&7
wait_for 20 sh -c "[ \$(redis-cli -p $P xlen audio:$ID) -gt 50 ]" || fail "kill: frames before" "none"
rp=$(descendant $IC redis-pub)
kill -KILL "$rp"
tail -n +301 "$CAP" >&7
exec 7>&-
wait $IC
expect "kill: ingest-call exits 137 (redis-pub's signal)" 137 "$?"
expect_match "kill: one warning (ingest-track's) says so" "^ingest-track: warning: call=k1 redis-pub died status=137: publishing the stop alone$" "$(cat "$T/ic.err")"
stop=$(data calls:events | tail -n 1)
n=$(rcli xlen "audio:$ID")
expect "kill: the stop reached Redis, says which stage failed" "stop stopped redis-pub" \
    "$(jq -r '"\(.event) \(.reason) \(.failed_stage)"' <<<"$stop")"
expect "kill: the dead publisher's claim is released with its stop" 0 "$(rcli exists "claim:{audio:$ID}:$ID")"
made=$(jq .frames <<<"$stop") dropped=$(jq .dropped <<<"$stop")
if [ "$made" -ge "$n" ] && [ "$dropped" -ge $((made - n)) ]; then
	pass "kill: honest counts (frames $made, in Redis $n, dropped $dropped)"
else fail "kill: honest counts" "frames $made in Redis $n dropped $dropped"; fi

# --- ingest-call: resample killed mid-call, the stop still comes at the call's end ---
rcli del "audio:$ID" calls:events >/dev/null
mkfifo "$T/icin2"
REDIS_MODE=xadd ingest-call <"$T/icin2" 2>"$T/ic2.err" &
IC=$!
track $IC
exec 7>"$T/icin2"
head -n 300 "$CAP" >&7
wait_for 20 sh -c "[ \$(redis-cli -p $P xlen audio:$ID) -gt 50 ]" || fail "resample killed: frames before" "none"
rs=$(descendant $IC resample)
kill -KILL "$rs"
tail -n +301 "$CAP" >&7
exec 7>&-
wait $IC
expect "resample killed: ingest-call exits 137 (resample's signal)" 137 "$?"
stop=$(data calls:events | tail -n 1)
n=$(rcli xlen "audio:$ID")
expect "resample killed: the decoder's stop reached Redis after the last frame, frames counted" \
    "stop stopped $n" "$(jq -r '"\(.event) \(.reason) \(.frames)"' <<<"$stop")"
# The decoder's count of what it wrote (exotel-decode's "samples") makes the
# loss visible; a decoder without it leaves lost_ms out.
if jq -e 'has("samples")' <<<"$stop" >/dev/null; then
	expect_match "resample killed: the lost audio is counted" '^[1-9][0-9]* [1-9][0-9]*$' \
	    "$(jq -r '"\(.lost_ms) \(.dropped)"' <<<"$stop")"
fi

# --- with exotel-decode's tracks and streams (a child per track) --------------
head -c 32000 /dev/urandom >"$T/in8k"
head -c 32000 /dev/urandom >"$T/out8k"
mkcapture -i CAtwo -a ACx -s ST1 -2 "$T/out8k" <"$T/in8k" >"$T/two.nd" 2>/dev/null
if PROTOCOL=exotel exotel-decode -q -e 3 -- sh -c 'cat >/dev/null; echo "$TRACK"' \
    <"$T/two.nd" 2>/dev/null | grep -qx outbound; then
	run env REDIS_MODE=xadd PROTOCOL=exotel ingest-call <"$T/two.nd"
	# Frames may end early where the input pauses (redis-pub -a): their
	# number varies; the seq has no holes and the audio is exact.
	expect "e2e two tracks: exit 0, a key each, seq 0..N-1, frames named" \
	    '0 ok ["ST1","inbound"] ok ["ST1","outbound"]' \
	    "$rc $(for k in audio:CAtwo audio:CAtwo:outbound; do data $k | jq .seq | awk '$1 != NR - 1 { bad = 1 } END { print (bad || !NR ? "holes" : "ok") }'; data $k | jq -c '[.stream_sid,.track]' | sort -u; done | paste -sd' ')"
	resample -q fir -i 8000 <"$T/in8k" >"$T/want.in"
	resample -q fir -i 8000 <"$T/out8k" >"$T/want.out"
	data audio:CAtwo | pcm >"$T/got.in"
	data audio:CAtwo:outbound | pcm >"$T/got.out"
	same "e2e two tracks: inbound byte-exact" "$T/want.in" "$T/got.in"
	same "e2e two tracks: outbound byte-exact" "$T/want.out" "$T/got.out"
	expect "e2e two tracks: each track's stop counts its frames, nothing lost" \
	    "stop inbound $(rcli xlen audio:CAtwo) 0|stop outbound $(rcli xlen audio:CAtwo:outbound) 0" \
	    "$( (data calls:events; data calls:events:outbound) | jq -r 'select(.event == "stop" and .interaction_id == "CAtwo") | "\(.event) \(.track) \(.frames) \(.dropped)"' | paste -sd'|')"
	mkcapture -i CAst -a ACx -s SA <"$T/in8k" >"$T/s1.nd"
	mkcapture -i CAst -a ACx -s SB <"$T/out8k" | grep -v '"connected"' >"$T/s2.nd"
	run env REDIS_MODE=xadd PROTOCOL=exotel FRAME_EARLY_MS=0 ingest-call < <(cat "$T/s1.nd" "$T/s2.nd")
	expect "e2e two streams in one call: seq goes on, never repeats" \
	    "0 $(seq 0 $(($(rcli xlen audio:CAst) - 1)) | paste -sd' ') SA SB" \
	    "$rc $(data audio:CAst | jq .seq | paste -sd' ') $(data audio:CAst | jq -r .stream_sid | uniq | paste -sd' ')"
fi

# --- the start event does not wait for audio ------------------------------------
# redis-pub reads Redis's replies when the next frame wakes it (one wake-up
# a frame), but not the claim's: the start is published before any audio.
rcli del calls:events "audio:EARLY1" >/dev/null
mkfifo "$T/early.pcm" "$T/early.ev"
REDIS_MODE=xadd redis-pub -E 3 <"$T/early.pcm" 3<"$T/early.ev" &
RP=$!
track $RP
exec 7>"$T/early.pcm" 8>"$T/early.ev"
printf '%s\n' '{"event":"start","interaction_id":"EARLY1","stream_sid":"s1","track":"inbound","tenant_id":"t","sample_rate":24000}' >&8
if wait_for 10 sh -c "redis-cli -p $P --raw xrange calls:events - + | grep -q EARLY1"; then
	pass "start event in Redis with no audio sent yet"
else
	fail "start event in Redis with no audio sent yet" "none after 10 s"
fi
head -c 9600 /dev/urandom >&7
exec 7>&- 8>&-
wait $RP
expect "early start: the call still ends well, all its audio, start and stop" "0|9600|start stop" \
    "$?|$(data audio:EARLY1 | pcm | wc -c)|$(data calls:events | jq -r 'select(.interaction_id == "EARLY1") | .event' | tr '\n' ' ' | sed 's/ $//')"
