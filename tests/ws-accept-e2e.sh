# ws-accept + ingest-call end to end: calls from exotel-replay (plain and
# TLS) through the real per-call pipeline into a real Redis.  Audio is
# checked against references that do not go through our resampler: the
# analytic tone (snr helper) and sox's rendering of the source.
source "$(dirname "$0")/lib.sh"

unset JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS REDIS_MODE
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
export JWT_SECRET=e2e-secret-e2e-secret-e2e-secret-32
start_redis || exit 1
export REDIS_URL
rcli() { redis-cli -p "$REDIS_PORT" --raw "$@"; }

# start_wsa_ingest [options...]: ws-accept -- ingest-call on a free port.
start_wsa_ingest() { start_wsa "$@" -- ingest-call; }
expect_clean() {
	wait_for 15 sh -c "[ \$(ps -o pid= --ppid $WSA_PID | wc -l) = 0 ]"
	wait_for 5 sh -c "[ \$(ls /proc/$WSA_PID/fd | wc -l) = $WSA_FDS ]"
	expect "$1: no child or zombie left, descriptors back" "0 $WSA_FDS" \
	    "$(ps -o pid= --ppid "$WSA_PID" | wc -l) $(ls /proc/$WSA_PID/fd | wc -l)"
}

# subscribe FILE CHANNEL...: a subscriber that stops at the first stop event.
subscribe() {
	local f=$1
	shift
	redis-sub -p "$REDIS_PORT" -x '"event":"stop"' "$@" >"$f" 2>"$f.err" &
	SUB_PID=$!
	track $SUB_PID
	wait_for 10 sh -c "redis-cli -p $REDIS_PORT pubsub numsub $1 | tail -n 1 | grep -qx 1"
}
finished() { timeout 30 tail --pid="$1" -f /dev/null; }

# frames_pcm FILE CHANNEL: the audio of that channel's frames, in order.
frames_pcm() {
	grep "^$2 " "$1" | cut -d' ' -f2- | jq -r .audio |
	    while read -r a; do printf '%s' "$a" | base64 -d; done
}
# seqs_ok FILE CHANNEL: "ok SAMPLES" when seq is 0..N-1, every frame holds
# at most 20 ms (480 samples) and its timestamp_ms is the samples before it
# x 1000 / 24000 (frames end where the input pauses: redis-pub(1)).
seqs_ok() {
	grep "^$2 " "$1" | cut -d' ' -f2- | frames_ok
}
frames_ok() {	# JSON frames on stdin, in order
	jq -s -r '
	    def samples: (.audio | length) as $l | (($l / 4 * 3) -
		(if (.audio | endswith("==")) then 2 elif (.audio | endswith("="))
		then 1 else 0 end)) / 2;
	    map(samples) as $s | [foreach $s[] as $x (0; . + $x)] as $cum |
	    if (map(.seq) == [range(length)]) and all($s[]; . <= 480) and
	       (map(.timestamp_ms) == ([0] + $cum[:-1] | map(. * 1000 / 24000 | floor)))
	    then "ok \($cum[-1] // 0)" else "holes" end'
}
# snr_sox REF GOT (24 kHz PCM16LE): SNR in dB of GOT against REF, by sox.
snr_sox() {
	local raw='-t raw -r 24000 -e signed -b 16 -c 1'
	local sig diff
	sig=$(sox -v 0.5 $raw "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ {print $3}')
	diff=$(sox -m -v 0.5 $raw "$1" -v -0.5 $raw "$2" -n stat 2>&1 |
	    awk '/^RMS +amplitude/ {print $3}')
	awk -v s="$sig" -v d="$diff" 'BEGIN { if (d == 0) d = 1e-9; printf "%.0f\n", 20 * log(s / d) / log(10) }'
}
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# ---- ingest-call alone ----------------------------------------------------

subscribe "$T/alone" audio:CA3ae75ffe1c5d8847e478556c07d07103 calls:events
run ingest-call <"$FIXTURES/twilio-stream1.ndjson"
finished $SUB_PID
expect "ingest-call alone: exit 0, nothing on stdout" "0 " "$rc $out"
expect "ingest-call alone: every sample published (616 x 20 ms)" "ok 295680" \
    "$(seqs_ok "$T/alone" audio:CA3ae75ffe1c5d8847e478556c07d07103)"
# The resampler is resample's fir unless RESAMPLE_QUALITY names another:
# the call's audio in Redis is byte for byte that tool's output.
exotel-decode <"$FIXTURES/twilio-stream1.ndjson" 2>/dev/null >"$T/alone.8k"
resample -q fir -i 8000 <"$T/alone.8k" >"$T/alone.fir"
resample -q medium -i 8000 <"$T/alone.8k" >"$T/alone.medium"
frames_pcm "$T/alone" audio:CA3ae75ffe1c5d8847e478556c07d07103 >"$T/alone.got"
cmp -s "$T/alone.got" "$T/alone.fir" && ! cmp -s "$T/alone.fir" "$T/alone.medium" &&
    pass "ingest-call: resamples with fir by default" ||
    fail "ingest-call: resamples with fir by default" "Redis audio is not resample -q fir's output"
subscribe "$T/med" audio:CA3ae75ffe1c5d8847e478556c07d07103 calls:events
RESAMPLE_QUALITY=medium run ingest-call <"$FIXTURES/twilio-stream1.ndjson"
finished $SUB_PID
frames_pcm "$T/med" audio:CA3ae75ffe1c5d8847e478556c07d07103 >"$T/med.got"
cmp -s "$T/med.got" "$T/alone.medium" && pass "ingest-call: RESAMPLE_QUALITY=medium is obeyed" ||
    fail "ingest-call: RESAMPLE_QUALITY=medium is obeyed" "Redis audio is not resample -q medium's output"
RESAMPLE_QUALITY=bogus run ingest-call <"$FIXTURES/twilio-stream1.ndjson"
expect "ingest-call: a failing stage's status is the call's (resample usage: 100)" 100 "$rc"
expect_match "ingest-call: the failing stage says why" "^resample: fatal: invalid quality: bogus" "$err"
# redis-pub killed mid-call: resample then fails by EPIPE, but the call's
# status is the cause, 128+9.
mkdir -p "$T/killpub"
printf '#!/bin/sh\nhead -c 4096 >/dev/null\nkill -KILL $$\n' >"$T/killpub/redis-pub"
chmod +x "$T/killpub/redis-pub"
PATH=$T/killpub:$PATH run ingest-call <"$FIXTURES/twilio-stream1.ndjson"
expect "ingest-call: redis-pub killed by SIGKILL: 137, not resample's EPIPE" 137 "$rc"

start_wsa_ingest
URL=ws://127.0.0.1:$WSA_PORT/v1/ingest

# ---- the fixture: real speech, Twilio mu-law --------------------------------

ID=CA3ae75ffe1c5d8847e478556c07d07103
subscribe "$T/fx" "audio:$ID" calls:events
run exotel-replay -q -x 0 "$URL" "$FIXTURES/twilio-stream1.ndjson"
expect "fixture: replay exits 0" "0" "$rc"
finished $SUB_PID
expect "fixture: every sample, seq and timestamps without holes" "ok 295680" "$(seqs_ok "$T/fx" "audio:$ID")"
expect "fixture: start then stop (callended or stopped), totals" "start stop $(grep -c "^audio:$ID " "$T/fx")" \
    "$(grep '^calls:events ' "$T/fx" | cut -d' ' -f2- | jq -r .event | tr '\n' ' ')$(grep '^calls:events ' "$T/fx" | tail -n 1 | cut -d' ' -f2- | jq -r .frames)"
frames_pcm "$T/fx" "audio:$ID" >"$T/fx.pcm"
exotel-decode <"$FIXTURES/twilio-stream1.ndjson" 2>/dev/null |
    sox -t raw -r 8000 -e signed -b 16 -c 1 - -t raw -r 24000 "$T/fx.ref"
expect "fixture: as long as sox's 24 kHz rendering" "$(stat -c %s "$T/fx.ref")" "$(stat -c %s "$T/fx.pcm")"
s=$(snr_sox "$T/fx.ref" "$T/fx.pcm")
if at_least "$s" 30; then pass "fixture: speech matches sox's rendering (snr >= 30 dB)"
else fail "fixture: speech matches sox's rendering (snr >= 30 dB)" "snr=$s"; fi

# ---- generated calls: PCM16 at 8, 16, 24 kHz, mu-law at 8 kHz --------------

for case in 8000:pcm 16000:pcm 24000:pcm 8000:mulaw; do
	rate=${case%:*} fmt=${case#*:} id=gen-$rate-$fmt
	tone -r "$rate" -f 440,1000 -a 0.3 -n "$rate" >"$T/$id.pcm"
	input=$T/$id.pcm
	if [ "$fmt" = mulaw ]; then
		sox -t raw -r 8000 -e signed -b 16 -c 1 "$input" -t raw -e mu-law "$T/$id.ul"
		input=$T/$id.ul
	fi
	subscribe "$T/$id" "audio:$id" calls:events
	run exotel-replay -q -x 0 -F "$fmt" -r "$rate" -i "$id" -A acme \
	    "$URL?sample-rate=$rate" "$input"
	finished $SUB_PID
	expect "$id: replay exits 0" 0 "$rc"
	# 1 s of audio = 24000 samples at 24 kHz.
	expect "$id: 1 s of audio, seq and timestamps without holes" "ok 24000" "$(seqs_ok "$T/$id" "audio:$id")"
	expect "$id: frames name the call, tenant, 24 kHz pcm16" "$id acme 24000 pcm16" \
	    "$(grep "^audio:$id " "$T/$id" | cut -d' ' -f2- | jq -r '"\(.interaction_id) \(.tenant_id) \(.sample_rate) \(.encoding)"' | sort -u)"
	r=$(frames_pcm "$T/$id" "audio:$id" | snr -r 24000 -f 440,1000 -a 0.3 -s 30)
	min=50
	[ "$fmt" = mulaw ] && min=30
	if at_least "$(sed 's/.*snr=\([-0-9.]*\).*/\1/' <<<"$r")" $min; then
		pass "$id: audio is the tone at 24 kHz (snr >= $min dB)"
	else
		fail "$id: audio is the tone at 24 kHz (snr >= $min dB)" "$r"
	fi
done

# ---- native: Bearer JWT, start + binary PCM16 ------------------------------

tok=$(jwt-mint -s "$JWT_SECRET" "{\"sub\":\"agent-9\",\"tenant_id\":\"acme\",\"exp\":$(( $(date +%s) + 300 ))}")
subscribe "$T/nat" audio:nat-1 calls:events
tone -r 16000 -f 440,1000 -a 0.3 -n 16000 >"$T/nat.pcm"
run exotel-replay -q -x 0 -N -T "$tok" -F pcm -r 16000 -i nat-1 -A acme "$URL" "$T/nat.pcm"
finished $SUB_PID
expect "native: replay exits 0" 0 "$rc"
expect "native: started, then an ack every 50 frames" '{"event":"started"}
{"event":"ack","seq":50}' "$out"
expect "native: 1 s of audio in Redis" "ok 24000" "$(seqs_ok "$T/nat" audio:nat-1)"
r=$(frames_pcm "$T/nat" audio:nat-1 | snr -r 24000 -f 440,1000 -a 0.3 -s 30)
if at_least "$(sed 's/.*snr=\([-0-9.]*\).*/\1/' <<<"$r")" 50; then pass "native: audio is the tone at 24 kHz"
else fail "native: audio is the tone at 24 kHz" "$r"; fi
expect_match "native: accept logged with the JWT subject and tenant" \
    "accepted peer=127.0.0.1:[0-9]+ protocol=native auth=jwt principal=agent-9 tenant=acme" "$(cat "$WSA_LOG")"

# ---- caller drops mid-call: still a stop, nothing lost -----------------------

tone -r 8000 -f 440 -a 0.3 -n 40000 >"$T/drop.pcm"
subscribe "$T/drop" audio:drop-1 calls:events
run exotel-replay -q -x 1 -a 1000 -F pcm -r 8000 -i drop-1 "$URL" "$T/drop.pcm"
finished $SUB_PID
stop_ev=$(grep '^calls:events .*"stop"' "$T/drop" | cut -d' ' -f2-)
expect "drop: stop published with reason disconnected" "disconnected" "$(jq -r .reason <<<"$stop_ev")"
n=$(grep -c '^audio:drop-1 ' "$T/drop")
expect "drop: frames without holes, as many as the stop says" "ok $n" \
    "$(seqs_ok "$T/drop" audio:drop-1 | cut -d' ' -f1) $(jq -r .frames <<<"$stop_ev")"
expect "drop: some audio and less than all of it" 1 "$(( n > 0 && n < 250 ))"
expect_match "drop: ws-accept logs 1006" "ended .* status=0 close=1006" "$(cat "$WSA_LOG")"
expect_clean "after the calls"
stop_wsa

# ---- a stage fails: Redis unreachable -> the call closes 1011 ---------------

REDIS_URL=redis://127.0.0.1:$(freeport) REDIS_WAIT_SECONDS=1 start_wsa_ingest
run exotel-replay -q -x 0 -w 20 -F pcm -r 8000 -i fail-1 "ws://127.0.0.1:$WSA_PORT/v1/ingest" "$T/drop.pcm"
expect_match "Redis down: the caller gets 1011" "1011" "$err"
expect_match "Redis down: redis-pub says why" "redis-pub: (fatal|warning): call=[0-9a-f]+ " "$(cat "$WSA_LOG")"
expect_clean "Redis down"
stop_wsa

# ---- TLS: wss:// with a self-signed certificate -----------------------------

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
SSL_CERT_PATH=$T/cert.pem SSL_KEY_PATH=$T/key.pem start_wsa_ingest
run curl -s --cacert "$T/cert.pem" "https://localhost:$WSA_PORT/health"
expect "TLS: /health over https" ok "$(jq -r .status <<<"$out")"
subscribe "$T/tls" audio:tls-1 calls:events
run exotel-replay -q -x 0 -C "$T/cert.pem" -F pcm -r 8000 -i tls-1 \
    "wss://localhost:$WSA_PORT/v1/ingest" "$T/gen-8000-pcm.pcm"
finished $SUB_PID
expect "TLS: wss call exits 0" 0 "$rc"
expect "TLS: 1 s of audio in Redis" "ok 24000" "$(seqs_ok "$T/tls" audio:tls-1)"
run exotel-replay -q -x 0 -F pcm -r 8000 -i tls-2 "ws://localhost:$WSA_PORT/v1/ingest" "$T/gen-8000-pcm.pcm"
expect "TLS: plain ws:// to the TLS port fails" 1 "$(( rc != 0 ))"
expect_clean "TLS"
stop_wsa

# ---- 50 concurrent real-time calls for 10 seconds: nothing lost ------------

REDIS_MODE=xadd start_wsa_ingest
tone -r 8000 -f 440 -a 0.3 -n 80000 >"$T/ten.pcm"
rcli del calls:events >/dev/null
run exotel-replay -q -x 1 -n 50 -t 60 -F pcm -r 8000 -i many "ws://127.0.0.1:$WSA_PORT/v1/ingest" "$T/ten.pcm"
expect "50 calls: all streamed and closed normally" 0 "$rc"
# 10 s live: a first frame 2.5 ms short (the resampler's look-ahead), then
# a frame per message, and the last 2.5 ms at the end: 501 frames.
got=$(for k in $(seq 0 49); do
	echo "$(rcli xrange "audio:many-$k" - + | grep '^{' | frames_ok) $(rcli xlen "audio:many-$k")"
done | sort -u)
expect "50 calls: 10 s of audio each in Redis, seq and timestamps without holes" "ok 240000 501" "$got"
stops=$(rcli xrange calls:events - + | grep '"event":"stop"' | jq -r '"\(.reason) \(.frames) \(.dropped)"' | sort | uniq -c | sed 's/^ *//')
expect "50 calls: 50 stops, nothing dropped" "50 callended 501 0" "$stops"
expect_clean "50 calls"
stop_wsa
expect "ws-accept exits 0 on SIGTERM" 0 "$?"
