# redis-pub: where frames end.  A frame ends when it holds -d ms, or earlier
# where the input pauses with less than -a ms (default 6) missing, so the
# resampler's look-ahead does not hold every frame until the next message.
source "$(dirname "$0")/lib.sh"

start_redis
head -c 4800 /dev/urandom >"$T/r.pcm"
xlen_is() { [ "$(redis-cli -p "$REDIS_PORT" xlen "$1")" = "$2" ]; }
# sizes KEY: "samples/timestamp_ms" of each frame of stream KEY, in order.
sizes() {
	redis-cli -p "$REDIS_PORT" --raw xrange "$1" - + | awk 'NR % 3 == 0' |
	    jq -r '"\((.audio | length) / 4 * 3 / 2 | floor)/\(.timestamp_ms)"' | tr '\n' ' '
}
# paced NAME ARGS...: redis-pub reading a fifo that descriptor 7 writes.
paced() {
	local name=$1
	shift
	mkfifo "$T/$name.in"
	redis-pub -u "$REDIS_URL" -m xadd -e - -i "$name" "$@" <"$T/$name.in" \
	    2>"$T/$name.err" &
	PUB=$!
	track $PUB
	exec 7>"$T/$name.in"
}
# put OFFSET BYTES: write that part of r.pcm in one write.
put() {
	dd if="$T/r.pcm" of="$T/piece" bs=1 skip="$1" count="$2" status=none
	cat "$T/piece" >&7
}
done_pub() { exec 7>&-; wait "$PUB"; }

# The resampler's first output at 8k->24k with fir: 20 ms less 2.5 ms.
paced early
put 0 840
wait_for 10 xlen_is audio:early 1
expect "a pause 60 samples short of a frame ends it (default -a 6)" "420/0 " "$(sizes audio:early)"
put 840 960
wait_for 10 xlen_is audio:early 2
put 1800 960
wait_for 10 xlen_is audio:early 3
done_pub
expect "then a frame per write; timestamp_ms is the first sample's time" \
    "420/0 480/17 480/37 " "$(sizes audio:early)"
redis-cli -p "$REDIS_PORT" --raw xrange audio:early - + | awk 'NR % 3 == 0' |
    jq -r .audio | while read -r a; do printf '%s' "$a" | base64 -d; done >"$T/early.got"
head -c 2760 "$T/r.pcm" >"$T/early.want"
if cmp -s "$T/early.want" "$T/early.got"; then pass "the audio is the input, byte for byte"
else fail "the audio is the input, byte for byte" "$(cmp "$T/early.want" "$T/early.got" 2>&1)"; fi

# More than -a missing: the frame waits to be full.
paced wait -a 2
put 0 840
put 840 960
wait_for 10 xlen_is audio:wait 1
expect "-a 2: 60 samples missing is too many; the frame waits for them" "480/0 " "$(sizes audio:wait)"
done_pub
expect "-a 2: the rest at end of input" "480/0 420/20 " "$(sizes audio:wait)"

# -a 0: frames at multiples of -d, whatever the pauses.
FRAME_EARLY_MS=0 paced fixed
put 0 840
put 840 960
wait_for 10 xlen_is audio:fixed 1
done_pub
expect "FRAME_EARLY_MS=0: fixed 20 ms frames" "480/0 420/20 " "$(sizes audio:fixed)"

# A regular file never pauses before its end: frames of -d exactly.
run env REDIS_URL="$REDIS_URL" LOG_LEVEL=quiet redis-pub -m xadd -e - -i file <"$T/r.pcm"
expect "from a file: 20 ms frames, the last one what remains" \
    "480/0 480/20 480/40 480/60 480/80 " "$(sizes audio:file)"

run redis-pub -a 20 </dev/null
expect "-a must be less than -d" "100|redis-pub: fatal: invalid -a: 20 (want an integer from 0 to 19)" "$rc|$err"
