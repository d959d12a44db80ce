# examples/asr-consumer: a worker reading the audio stream with a consumer
# group (XREADGROUP/XACK) misses nothing across a failure and a restart.
source "$(dirname "$0")/lib.sh"

CAP=$FIXTURES/twilio-stream1.ndjson
CALL=CA3ae75ffe1c5d8847e478556c07d07103	# callSid of twilio-stream1
EX=$TOP/examples/asr-consumer
unset REDIS_MODE AUDIO_CHANNEL EVENTS_CHANNEL AUDIO_FORMAT CALL_ID LOG_LEVEL

start_redis
export REDIS_URL

# One call's frames and events into one stream, as the original service's
# layout does.
REDIS_MODE=xadd AUDIO_CHANNEL=audio_stream EVENTS_CHANNEL=audio_stream \
    ingest-call <"$CAP" 2>"$T/call.err"
# 12.32 s of audio in frames of at most 20 ms (the first may end early:
# redis-pub -a), their number in the stop event.
N=$(redis-cli -p "$REDIS_PORT" xrange audio_stream - + | grep '"event":"stop"' | jq .frames)
expect "the call is in the stream (its frames, start and stop)" "$((N + 2))" \
    "$(redis-cli -p "$REDIS_PORT" xlen audio_stream)"

# A worker whose ASR fails on its third batch (of 100): it exits with the
# handler's status, that batch unacknowledged.
cat >"$T/flaky" <<EOF
#!/bin/sh
n=\$(cat "$T/batches" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$T/batches"
[ \$n -lt 3 ] || exit 7
exec "$EX/transcribe" "$T/asr"
EOF
chmod +x "$T/flaky"
run timeout 60 "$EX/consume" -i 2 audio_stream asr worker-1 "$T/flaky"
expect "a failing handler ends the worker with its status" 7 "$rc"
expect "the failed batch stays pending (100 entries)" 100 \
    "$(redis-cli -p "$REDIS_PORT" xpending audio_stream asr | head -n 1)"

# Restarted: the pending batch first, then the rest; exits when idle.
run timeout 60 "$EX/consume" -i 2 audio_stream asr worker-1 "$EX/transcribe" "$T/asr"
expect "the restarted worker ends when the stream is idle (exit 0)" "0|" "$rc|$err"
expect "every frame reached the ASR exactly once, none lost" \
    "$(seq 0 $((N - 1)) | tr '\n' ' ')" "$(sort -n "$T/asr/$CALL.seqs" | tr '\n' ' ')"
expect "the PCM is the whole call: 12.32 s at 24 kHz" 591360 \
    "$(wc -c <"$T/asr/$CALL.pcm")"
expect "the stop event reached the ASR once" 1 "$(grep -c "^$CALL " "$T/asr/stops")"
expect "nothing is left pending" 0 \
    "$(redis-cli -p "$REDIS_PORT" xpending audio_stream asr | head -n 1)"
