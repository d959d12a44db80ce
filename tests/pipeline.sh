# The whole pipeline by hand, as DESIGN.md shows it: a captured call through
# exotel-decode, resample and redis-pub into a real Redis, in one chain.
source "$(dirname "$0")/lib.sh"

CAP=$FIXTURES/twilio-stream1.ndjson
ID=CA3ae75ffe1c5d8847e478556c07d07103
TENANT=AC64f4d8c1481c0a5ac9cdbe997bfbcf58
start_redis || exit 1

# What the chain must deliver: the capture decoded and resampled, alone.
exotel-decode <"$CAP" | resample -i 8000 -o 24000 >"$T/expected.pcm"
expected_bytes=$(stat -c %s "$T/expected.pcm")
# 616 chunks of 20 ms at 8 kHz = 98560 samples -> 295680 at 24 kHz.
expect "reference pipeline length (616 x 20 ms at 24 kHz)" 591360 "$expected_bytes"

redis-sub -p "$REDIS_PORT" -x '"event":"stop"' "audio:$ID" calls:events >"$T/sub" 2>"$T/sub.err" &
SUB=$!
track $SUB
wait_for 10 sh -c "redis-cli -p $REDIS_PORT pubsub numsub calls:events | tail -n 1 | grep -qx 1"

REDIS_URL=$REDIS_URL exotel-decode -e 3 -- \
    sh -c 'resample -i "$SAMPLE_RATE" -o 24000 | redis-pub -E 3' <"$CAP" 2>"$T/chain.err"
expect "chain exits 0" 0 "$?"
timeout 10 tail --pid=$SUB -f /dev/null
expect "subscriber saw the stop event" 0 "$?"

grep "^audio:$ID " "$T/sub" | cut -d' ' -f2- >"$T/frames"
grep "^calls:events " "$T/sub" | cut -d' ' -f2- >"$T/events"
nframes=$(wc -l <"$T/frames")
expect "seq 0..N-1 without holes" "$(seq 0 $((nframes - 1)) | tr '\n' ' ')" \
    "$(jq -r .seq "$T/frames" | tr '\n' ' ')"
# Frames of at most 20 ms (480 samples), each ending where the input
# paused (redis-pub -a); timestamp_ms is the samples before it x 1000 / rate.
expect "frames of at most 20 ms, timestamp_ms = samples before / 24" "" \
    "$(jq -s -r 'def n: (.audio | length) as $l | (($l / 4 * 3) - (if (.audio |
	endswith("==")) then 2 elif (.audio | endswith("=")) then 1 else 0 end)) / 2;
	[foreach .[] as $f (0; . + ($f | n); [., $f])] |
	.[] | select(.[1].timestamp_ms != ((.[0] - (.[1] | n)) * 1000 / 24000 | floor)
	    or (.[1] | n) > 480) | .[1].seq' "$T/frames")"
expect "frames carry identity, rate and encoding" "$ID $TENANT 24000 pcm16" \
    "$(jq -r '"\(.interaction_id) \(.tenant_id) \(.sample_rate) \(.encoding)"' "$T/frames" | sort -u)"
jq -r .audio "$T/frames" | while read -r a; do printf '%s' "$a" | base64 -d; done >"$T/got.pcm"
if cmp -s "$T/expected.pcm" "$T/got.pcm"; then
	pass "audio in Redis is the chain's output, byte for byte"
else
	fail "audio in Redis is the chain's output, byte for byte" "$(cmp "$T/expected.pcm" "$T/got.pcm" 2>&1)"
fi
expect "events: start first, stop last" "start stop" \
    "$(jq -r .event "$T/events" | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//')"
expect "start event names the call" "$ID $TENANT" \
    "$(head -n 1 "$T/events" | jq -r '"\(.interaction_id) \(.tenant_id)"')"
expect "stop event has the totals" "stopped $nframes 12320" \
    "$(tail -n 1 "$T/events" | jq -r '"\(.reason) \(.frames) \(.duration_ms)"')"
