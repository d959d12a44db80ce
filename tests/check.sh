#!/usr/bin/env bash
# -n on the per-call tools (exotel-decode, resample, redis-pub) and on
# ingest-call: check the settings and exit, 0 or 100 with one line naming
# the option or variable; no input read, nothing started, no connection.
. "$(dirname "$0")/lib.sh"

# Standard input that never ends: a tool that reads it waits forever, so
# "exit 0" below also says nothing was read (timeout only bounds a failure).
mkfifo "$T/in"
exec 5<>"$T/in"
check() { run timeout 20 "$@" <&5; }

# ---- each tool's --help lists -n (what ingest-check looks for) ------------

for t in exotel-decode resample redis-pub ingest-call; do
	expect "$t --help: usage line names -n, and a -n line" "yes yes" \
	    "$($t --help | head -n 1 | grep -q -- '-[a-zA-Z]*n' && echo yes) $($t --help | grep -q '^ *-n ' && echo yes)"
done

# ---- good settings: 0, nothing read, nothing said -------------------------

check exotel-decode -n
expect "exotel-decode -n: exit 0 without reading stdin, silent" "0||" "$rc|$out|$err"
check exotel-decode -n -e 9 -- false
expect "exotel-decode -n: -e of a chain, nothing run" "0|" "$rc|$err"
check resample -n
expect "resample -n without an input rate: exit 0 (the rate comes with each call)" "0|" "$rc|$err"
check resample -n -i 8000 -o 24000
expect "resample -n: 8000 to 24000, exit 0, nothing read" "0||" "$rc|$out|$err"
check redis-pub -n -E 9 -P 8
expect "redis-pub -n: -E and -P need no open descriptor, exit 0" "0|" "$rc|$err"
check ingest-call -n
expect "ingest-call -n: the defaults pass every stage's -n" "0||" "$rc|$out|$err"

# No connection: a Redis that counts its clients sees none.
start_redis
conns() { redis-cli -p "$REDIS_PORT" info stats | tr -d '\r' |
    sed -n 's/^total_connections_received://p'; }
before=$(conns)
check env REDIS_URL="$REDIS_URL" redis-pub -n -i call-1
check env REDIS_URL="$REDIS_URL" ingest-call -n
after=$(conns)
expect "redis-pub -n and ingest-call -n connect to no Redis" \
    "0 $((before + 1))" "$rc $after"
expect "redis-pub -n: nothing published" "0" \
    "$(redis-cli -p "$REDIS_PORT" dbsize)"

# ---- bad settings: 100, one line naming where the value came from --------

check env MAX_MESSAGE_BYTES=100 exotel-decode -n
expect "exotel-decode -n: MAX_MESSAGE_BYTES below 1024 refused" \
    "100|exotel-decode: fatal: invalid MAX_MESSAGE_BYTES: 100 (want an integer from 1024 to 67108864)" "$rc|$err"
check exotel-decode -n -b 20000
expect "exotel-decode -n: -b named" \
    "100|exotel-decode: fatal: invalid -b: 20000 (want an integer from 0 to 10000)" "$rc|$err"
check env PROTOCOL=sip exotel-decode -n
expect "exotel-decode -n: PROTOCOL named" \
    "100|exotel-decode: fatal: PROTOCOL: want exotel, native or auto" "$rc|$err"
check env DECODE_FILL_LEADING=maybe exotel-decode -n
expect_match "exotel-decode -n: DECODE_FILL_LEADING named" \
    "^100\|exotel-decode: fatal: [^|]*DECODE_FILL_LEADING[^|]*$" "$rc|$err"

check env RESAMPLE_QUALITY=great resample -n
expect "resample -n: RESAMPLE_QUALITY refused" \
    "100|resample: fatal: invalid quality: great (want best, medium, fastest, fir or speex)" "$rc|$err"
check env RESAMPLE_RATE=5 resample -n
expect_match "resample -n: RESAMPLE_RATE named" \
    "^100\|resample: fatal: invalid RESAMPLE_RATE: 5 [^|]*$" "$rc|$err"
check env SAMPLE_RATE=8000 resample -n -q speex -o 8001
expect "resample -n: a known input rate: the pair is opened and checked" "0|" "$rc|$err"

check env 'AUDIO_CHANNEL=audio:{call_id}' redis-pub -n
expect "redis-pub -n: AUDIO_CHANNEL with an unknown placeholder, named" \
    "100|redis-pub: fatal: invalid AUDIO_CHANNEL: unknown placeholder {call_id} (known: {interaction_id} {tenant_id} {stream_sid} {track})" "$rc|$err"
check redis-pub -n -c 'a:{x}'
expect_match "redis-pub -n: -c named when the template came from it" \
    "^100\|redis-pub: fatal: invalid -c: unknown placeholder \{x\}" "$rc|$err"
check env 'EVENTS_CHANNEL=ev:{callsid}' redis-pub -n
expect_match "redis-pub -n: EVENTS_CHANNEL named (not a per-kind variable)" \
    "^100\|redis-pub: fatal: invalid EVENTS_CHANNEL: unknown placeholder \{callsid\}" "$rc|$err"
check env FRAME_MS=5 redis-pub -n
expect "redis-pub -n: FRAME_MS refused" \
    "100|redis-pub: fatal: invalid FRAME_MS: 5 (want an integer from 10 to 1000)" "$rc|$err"
check env REDIS_URL=http://x redis-pub -n
expect_match "redis-pub -n: REDIS_URL refused" "^100\|redis-pub: fatal: invalid redis url: [^|]*$" "$rc|$err"
check env REDIS_URL=unix:///tmp/r.sock REDIS_NODES=127.0.0.1:7000 redis-pub -n
expect_match "redis-pub -n: REDIS_NODES refused" "^100\|redis-pub: fatal: invalid REDIS_NODES: REDIS_NODES needs a redis:// REDIS_URL$" "$rc|$err"
check env REDIS_TIMEOUT_MS=1 redis-pub -n
expect_match "redis-pub -n: REDIS_TIMEOUT_MS refused" "^100\|redis-pub: fatal: invalid REDIS_TIMEOUT_MS: 1 " "$rc|$err"

# ingest-call -n runs each stage's -n as a call would run the stage.
check env OUTPUT_RATE=44100 ingest-call -n
expect "ingest-call -n: OUTPUT_RATE refused" \
    "100|ingest-call: fatal: invalid OUTPUT_RATE: 44100 (want 8000, 16000 or 24000)" "$rc|$err"
check env FRAME_MS=15 OUTPUT_RATE=24000 ingest-call -n
expect "ingest-call -n: FRAME_MS that is whole samples at OUTPUT_RATE" "0|" "$rc|$err"
check env FRAME_MS=7 ingest-call -n
expect "ingest-call -n: redis-pub's FRAME_MS check" \
    "100|redis-pub: fatal: invalid FRAME_MS: 7 (want an integer from 10 to 1000)" "$rc|$err"
check env MAX_MESSAGE_BYTES=12 ingest-call -n
expect_match "ingest-call -n: exotel-decode's MAX_MESSAGE_BYTES check" \
    "^100\|exotel-decode: fatal: invalid MAX_MESSAGE_BYTES: 12 " "$rc|$err"
check env RESAMPLE_QUALITY=bad ingest-call -n
expect_match "ingest-call -n: resample's quality check" \
    "^100\|resample: fatal: invalid quality: bad " "$rc|$err"
check ingest-call -n extra
expect "ingest-call -n with an argument: usage" "100|usage: ingest-call [-n]" "$rc|$err"
