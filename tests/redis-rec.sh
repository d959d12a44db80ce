# redis-rec: one call's audio from Redis to a WAV, against a real Redis fed
# by the real per-call pipeline (ingest-call).
source "$(dirname "$0")/lib.sh"

CAP=$FIXTURES/twilio-stream1.ndjson
CALL=CA3ae75ffe1c5d8847e478556c07d07103	# callSid of twilio-stream1
unset REDIS_URL REDIS_MODE AUDIO_CHANNEL EVENTS_CHANNEL AUDIO_FORMAT CALL_ID LOG_LEVEL
USAGE='usage: redis-rec [-av] [-c channel] [-e events-channel] [-m mode] [-r rate] [-t seconds] [-u url] interaction-id [file]'

run redis-rec
expect "no interaction id: usage error" "100|$USAGE" "$rc|$err"
run redis-rec --help
expect "--help: the usage, then the options, exit 0" "0|$USAGE|8" \
    "$rc|$(head -n 1 <<<"$out")|$(grep -c '^  -' <<<"$out")"
synopsis=$(mandoc -Tascii "$TOP/man/redis-rec.1" | col -b |
    awk '/^SYNOPSIS/ { s = 1; next } /^DESCRIPTION/ { s = 0 } s' | xargs)
expect "the usage line is the man page's SYNOPSIS" "$USAGE" "usage: $synopsis"
run redis-rec -m fanout x
expect "a mode redis-pub does not have: usage error" \
    "100|redis-rec: fatal: invalid mode: fanout (want publish, spublish or xadd)" "$rc|$err"
run redis-rec -c 'audio:{tenant_id}:{interaction_id}' x
expect_match "a placeholder it cannot know: usage error, saying so" \
    "^100\|redis-rec: fatal: AUDIO_CHANNEL: .* names a placeholder other than \{interaction_id\}" "$rc|$err"

start_redis
export REDIS_URL

# wav_data FILE: the PCM of a WAV written by redis-rec (44-byte header).
wav_data() { tail -c +45 "$1"; }
# data_len FILE: the data length its header states.
data_len() { od -An -t u4 -j 40 -N 4 "$1" | tr -d ' '; }

# ---- pub/sub: the whole call, ended by its stop event ---------------------
redis-rec -t 60 "$CALL" "$T/sub.wav" 2>"$T/sub.err" &
rec=$!
track $rec
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT pubsub numsub audio:$CALL | tail -n 1) = 1 ]"
ingest-call <"$CAP" 2>"$T/call.err"
expect "the pipeline published the call" 0 "$?"
wait "$rec"
expect "pub/sub: redis-rec ends by itself at the call's stop event (exit 0)" 0 "$?"
expect "pub/sub: 12.32 s at 24 kHz: 591360 bytes of PCM, stated in the header" \
    "591360 591360" "$(wav_data "$T/sub.wav" | wc -c) $(data_len "$T/sub.wav")"
if command -v soxi >/dev/null; then
	expect "pub/sub: sox reads a mono 24 kHz WAV" "24000 1" \
	    "$(soxi -r "$T/sub.wav") $(soxi -c "$T/sub.wav")"
fi
expect_match "pub/sub: the log says how it ended, with the frame count" \
    "redis-rec: info: done interaction=$CALL ended=stop frames=[0-9]+ duration_ms=12320 gaps=0 duplicates=0" \
    "$(cat "$T/sub.err")"

# ---- streams: read after the fact, from the start (-a) --------------------
REDIS_MODE=xadd ingest-call <"$CAP" 2>/dev/null
run env REDIS_MODE=xadd redis-rec -a -t 30 "$CALL" "$T/xadd.wav"
expect "streams: -a records a call that has already ended (exit 0)" 0 "$rc"
if cmp -s <(wav_data "$T/sub.wav") <(wav_data "$T/xadd.wav"); then
	pass "streams: the same PCM as from pub/sub"
else
	fail "streams: the same PCM as from pub/sub" "$(wav_data "$T/xadd.wav" | wc -c) bytes"
fi

# ---- Ctrl-C: the WAV is finished, its last frame included ----------------
redis-rec "rec-int" "$T/int.wav" 2>"$T/int.err" &
rec=$!
track $rec
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT pubsub numsub audio:rec-int | tail -n 1) = 1 ]"
# Three 20 ms frames at 8 kHz (320 bytes each) of bytes 1, 2 and 3.
for s in 0 1 2; do
	b=$(head -c 320 /dev/zero | tr '\0' "\\00$((s + 1))" | base64 -w0)
	redis-cli -p "$REDIS_PORT" publish audio:rec-int \
	    "{\"interaction_id\":\"rec-int\",\"seq\":$s,\"timestamp_ms\":$((s * 20)),\"sample_rate\":8000,\"encoding\":\"pcm16\",\"audio\":\"$b\"}" >/dev/null
done
wait_for 10 grep -q 'recording interaction=rec-int rate=8000' "$T/int.err"
sleep 0.3
kill -INT "$rec"
wait "$rec"
expect "SIGINT: exit 130" 130 "$?"
expect "SIGINT: every frame written, the header's lengths set" "960 960" \
    "$(wav_data "$T/int.wav" | wc -c) $(data_len "$T/int.wav")"
expect "SIGINT: the last frame is the last 320 bytes" \
    "$(head -c 320 /dev/zero | tr '\0' '\003' | od -An -c | head -n 1)" \
    "$(wav_data "$T/int.wav" | tail -c 320 | od -An -c | head -n 1)"

# ---- a missing frame is silence: the WAV keeps the call's time -----------
redis-rec -t 5 "rec-gap" "$T/gap.wav" 2>/dev/null &
rec=$!
track $rec
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT pubsub numsub audio:rec-gap | tail -n 1) = 1 ]"
b=$(head -c 320 /dev/zero | tr '\0' '\1' | base64 -w0)
for s in 0 2; do
	redis-cli -p "$REDIS_PORT" publish audio:rec-gap \
	    "{\"interaction_id\":\"rec-gap\",\"seq\":$s,\"timestamp_ms\":$((s * 20)),\"sample_rate\":8000,\"audio\":\"$b\"}" >/dev/null
done
redis-cli -p "$REDIS_PORT" publish calls:events \
    '{"event":"stop","interaction_id":"rec-gap","reason":"stopped"}' >/dev/null
wait "$rec"
expect "a missing frame (seq 1) is 20 ms of silence" "0 960 320" \
    "$? $(wav_data "$T/gap.wav" | wc -c) $(wav_data "$T/gap.wav" | head -c 640 | tail -c 320 | tr -d '\0' | wc -c | sed 's/^0$/320/')"
