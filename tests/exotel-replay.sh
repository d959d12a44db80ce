# exotel-replay: against ws-sink (tests/helpers/ws-sink.c), a real
# WebSocket server that records each message, the request and the close.
source "$(dirname "$0")/lib.sh"

CAP=$FIXTURES/twilio-stream1.ndjson
# REPLAY="valgrind -q --error-exitcode=99 exotel-replay" runs every case under valgrind.
R=${REPLAY:-exotel-replay}

# start_sink NAME [ws-sink options]: sets PORT and S (its directory).
start_sink() {
	S=$T/$1
	shift
	mkdir -p "$S"
	PORT=$(freeport)
	ws-sink -p "$PORT" -d "$S" "$@" 2>"$S/err" &
	track $!
	wait_for 10 test -e "$S/ready" || echo "ws-sink did not start"
	URL=ws://127.0.0.1:$PORT/v1/ingest
}

# settle: wait until ws-sink has logged the end of every connection it
# took, so that its files are complete when a case reads them.
settle() {
	wait_for 5 sh -c '[ "$(grep -cE "^[0-9]+ (open|refused)" "$1")" -le \
	    "$(grep -cE "^[0-9]+ closed" "$1")" ]' sh "$S/log"
}

# run CMD...: lib.sh's run, then settle.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	[ -n "${S:-}" ] && [ -e "$S/log" ] && settle
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}

# same NAME FILE1 FILE2: byte-identical files.
same() {
	if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$(cmp "$2" "$3" 2>&1)"; fi
}

# The fixture's speech as PCM16LE at 8 kHz, decoded by sox from its mu-law.
jq -r 'select(.event == "media") | .media.payload' "$CAP" | base64 -d >"$T/speech.ul"
sox -t ul -r 8000 -c 1 "$T/speech.ul" -t s16 -e signed -L "$T/speech.pcm"
head -c 32000 "$T/speech.pcm" >"$T/2s.pcm"		# 2 s
head -c 16000 "$T/speech.pcm" >"$T/1s.pcm"

# --- a capture is sent as it is -----------------------------------------
start_sink plain
run $R -x 0 -w 0 "$URL" "$CAP"
expect "capture: exit 0" 0 "$rc"
expect "capture: stdout empty" "" "$out"
expect "capture: stderr says connected and ended" "exotel-replay: info: call=0 connected
exotel-replay: info: call=0 ended id=CA3ae75ffe1c5d8847e478556c07d07103 sent=619 received=0" "$err"
same "capture: arrives byte-identical" "$CAP" "$S/0.msg"
wait_for 5 grep -q '^0 closed' "$S/log"
expect "capture: closed with 1000 by the client" "0 peer-close code=1000 reason=" \
    "$(grep '^0 peer' "$S/log")"
expect "capture: every message in one frame" "619" \
    "$(grep -c '^0 message type=text .* frames=1$' "$S/log")"

# CRLF line ends are not part of the messages.
sed 's/$/\r/' "$CAP" >"$T/crlf.ndjson"
run $R -q -x 0 -w 0 "$URL" "$T/crlf.ndjson"
expect "CRLF capture: exit 0" 0 "$rc"
same "CRLF capture: sent without the CR" "$CAP" "$S/1.msg"

# A pipe names its format; read as it comes.
cat "$CAP" | $R -q -x 0 -w 0 -F ndjson "$URL" >"$T/out" 2>"$T/err"
rc=$?
settle
expect "capture from a pipe: exit 0" "0 " "$rc $(cat "$T/err")"
same "capture from a pipe: byte-identical" "$CAP" "$S/2.msg"
run sh -c "cat '$CAP' | $R -q -x 0 -w 0 '$URL'"
expect "pipe without -F: usage error" "100 exotel-replay: fatal: input is a pipe: name its format with -F ndjson, pcm or mulaw" "$rc $err"

# --- raw audio is wrapped into Exotel's messages --------------------------
run $R -q -x 0 -w 0 -i call-A -A tenant-1 -p Lang=en -p x-y=1 "$URL" "$T/speech.pcm"
expect "PCM: exit 0" "0" "$rc"
M=$S/3.msg
expect "PCM: connected, start, 616 media, stop" "connected start media:616 stop" \
    "$(jq -r .event "$M" | uniq -c | awk '{ printf "%s%s", (NR > 1 ? " " : ""), ($1 > 1 ? $2 ":" $1 : $2) }')"
expect "PCM: start message" '{"event":"start","sequence_number":1,"stream_sid":"call-A","start":{"stream_sid":"call-A","call_sid":"call-A","account_sid":"tenant-1","from":"exotel-replay","to":"exotel-replay","custom_parameters":{"Lang":"en","x-y":"1"},"media_format":{"encoding":"base64","sample_rate":"8000","bit_rate":"128kbps"}}}' \
    "$(sed -n 2p "$M")"
expect "PCM: media numbered, 20 ms each" '2 1 "0" 320
3 2 "20" 320
617 616 "12300" 320' \
    "$(jq -c 'select(.event == "media") | [.sequence_number, .media.chunk, .media.timestamp, (.media.payload | length / 4 * 3 - (if endswith("==") then 2 elif endswith("=") then 1 else 0 end))]' "$M" | sed -n '1p;2p;616p' | tr -d '[]' | tr , ' ')"
expect "PCM: stop message" '{"event":"stop","sequence_number":618,"stream_sid":"call-A","stop":{"call_sid":"call-A","account_sid":"tenant-1","reason":"callended"}}' \
    "$(tail -n 1 "$M")"
jq -r 'select(.event == "media") | .media.payload' "$M" | base64 -d >"$T/back.pcm"
same "PCM: the payloads are the PCM" "$T/speech.pcm" "$T/back.pcm"
if [ -x "$TOP/bin/exotel-decode" ]; then
	exotel-decode <"$M" >"$T/decoded.pcm" 2>/dev/null
	same "PCM: exotel-decode gives the PCM back" "$T/speech.pcm" "$T/decoded.pcm"
fi

run $R -q -x 0 -w 0 -c 100 -i c100 "$URL" "$T/speech.pcm"
expect "-c 100: 124 chunks of 1600 bytes, the last 320" '1 "0" 1600
2 "100" 1600
124 "12300" 320' \
    "$(jq -c 'select(.event == "media") | [.media.chunk, .media.timestamp, (.media.payload | length / 4 * 3 - (if endswith("==") then 2 elif endswith("=") then 1 else 0 end))]' "$S/4.msg" | sed -n '1p;2p;124p' | tr -d '[]' | tr , ' ')"

# WAV: the rate comes from the header (relabelled 16 kHz here).
sox -t s16 -r 16000 -c 1 "$T/speech.pcm" "$T/speech16.wav"
run $R -q -x 0 -w 0 -i wav "$URL" "$T/speech16.wav"
expect "WAV: exit 0, rate from the header, 20 ms chunks" '0 "16000" 640' \
    "$rc $(jq -c 'select(.event == "start") | .start.media_format.sample_rate' "$S/5.msg") $(jq -r 'select(.event == "media") | .media.payload' "$S/5.msg" | head -n 1 | base64 -d | wc -c)"
jq -r 'select(.event == "media") | .media.payload' "$S/5.msg" | base64 -d >"$T/back.pcm"
same "WAV: the payloads are the samples after the header" "$T/speech.pcm" "$T/back.pcm"

# mu-law: sent as mu-law, said so in media_format.
run $R -q -x 0 -w 0 -F mulaw "$URL" "$T/speech.ul"
expect "mu-law: exit 0, encoding audio/x-mulaw, 160-byte chunks" '0 "audio/x-mulaw" 160' \
    "$rc $(jq -c 'select(.event == "start") | .start.media_format.encoding' "$S/6.msg") $(jq -r 'select(.event == "media") | .media.payload' "$S/6.msg" | head -n 1 | base64 -d | wc -c)"
jq -r 'select(.event == "media") | .media.payload' "$S/6.msg" | base64 -d >"$T/back.ul"
same "mu-law: payloads are the input bytes" "$T/speech.ul" "$T/back.ul"

# --- native protocol ------------------------------------------------------
run $R -q -x 0 -w 0 -N -i nat -A t1 "$URL" "$T/speech.pcm"
expect "native PCM: start line" '0 {"event":"start","interaction_id":"nat","tenant_id":"t1","sample_rate":8000,"encoding":"pcm16"}' \
    "$rc $(head -n 1 "$S/7.msg")"
tail -c +$(( $(head -n 1 "$S/7.msg" | wc -c) + 1 )) "$S/7.msg" >"$T/back.pcm"
same "native PCM: binary frames are the PCM" "$T/speech.pcm" "$T/back.pcm"
expect "native PCM: 616 binary frames of 320 bytes" "616" \
    "$(grep -c '^7 message type=binary bytes=320 ' "$S/log")"

run $R -q -x 0 -w 0 -N "$URL" "$CAP"
expect "native capture: start from the capture's ids" '0 {"event":"start","interaction_id":"CA3ae75ffe1c5d8847e478556c07d07103","tenant_id":"AC64f4d8c1481c0a5ac9cdbe997bfbcf58","sample_rate":8000,"encoding":"pcm16"}' \
    "$rc $(head -n 1 "$S/8.msg")"
tail -c +$(( $(head -n 1 "$S/8.msg" | wc -c) + 1 )) "$S/8.msg" >"$T/back.pcm"
same "native capture: the mu-law decoded to PCM16" "$T/speech.pcm" "$T/back.pcm"

# Twilio's outbound track (what the caller hears) is not the caller's audio.
sed '/"chunk":"5"/{p;s/"inbound"/"outbound"/;s/"payload":"[^"]*"/"payload":"AAAAAAAA"/}' "$CAP" >"$T/tracks.ndjson"
run $R -q -x 0 -w 0 -N "$URL" "$T/tracks.ndjson"
tail -c +$(( $(head -n 1 "$S/9.msg" | wc -c) + 1 )) "$S/9.msg" >"$T/back.pcm"
expect "native capture: outbound track in the input, exit 0" "0 1" "$rc $(grep -c '"outbound"' "$T/tracks.ndjson")"
same "native capture: only the inbound audio sent" "$T/speech.pcm" "$T/back.pcm"

# --- pacing (lower bounds only: sends may be late, never early) ----------
# span: microseconds from the first media message sent to the last.
span() { awk '$2 != "-" { if (!f) f = $4; l = $4 } END { print l - f }' "$1"; }
sorted() { awk '{ if ($4 < p) bad = 1; p = $4 } END { print bad ? "no" : "yes" }' "$1"; }

run $R -q -w 0 -L "$T/rt.log" "$URL" "$T/1s.pcm"
expect "real time: log has connected, start, 50 chunks, stop" "53 1 980" \
    "$(wc -l <"$T/rt.log") $(awk '$2 != "-"' "$T/rt.log" | head -n 1 | cut -d' ' -f2) $(awk '$2 != "-"' "$T/rt.log" | tail -n 1 | cut -d' ' -f3)"
expect "real time: send times never go back" yes "$(sorted "$T/rt.log")"
sp=$(span "$T/rt.log")
# The first chunk may leave a little late; 90% of the schedule is a floor.
if [ "$sp" -ge 882000 ]; then pass "real time: 50 chunks take at least 0.9 x 980 ms"; else fail "real time: 50 chunks take at least 0.9 x 980 ms" "took $sp us"; fi

run $R -q -w 0 -x 4 -L "$T/x4.log" "$URL" "$T/2s.pcm"
sp=$(span "$T/x4.log")
if [ "$rc" = 0 ] && [ "$sp" -ge 445000 ] && [ "$(sorted "$T/x4.log")" = yes ]; then
	pass "-x 4: 2 s of audio in at least 0.9 x 495 ms, in order"
else
	fail "-x 4: 2 s of audio in at least 0.9 x 495 ms, in order" "rc=$rc span=$sp us"
fi

run $R -q -w 0 -x 0 -L "$T/x0.log" "$URL" "$CAP"
expect "-x 0: every message logged, chunk numbers from the capture" "619 1 616 12435" \
    "$(wc -l <"$T/x0.log") $(awk '$2 != "-"' "$T/x0.log" | head -n 1 | cut -d' ' -f2) $(awk '$2 != "-"' "$T/x0.log" | tail -n 1 | cut -d' ' -f2,3)"

# --- authentication and the URL ------------------------------------------
start_sink auth
run $R -q -x 0 -w 0 -u key:tok "$URL?sample-rate=8000&x=1" "$T/1s.pcm"
expect "Basic: header and query string sent" "0 0 open uri=/v1/ingest?sample-rate=8000&x=1 auth=Basic a2V5OnRvaw==" \
    "$rc $(grep '^0 open' "$S/log")"
run $R -q -x 0 -w 0 -T ey.abc.def "$URL" "$T/1s.pcm"
expect "Bearer: header sent" "0 1 open uri=/v1/ingest auth=Bearer ey.abc.def" \
    "$rc $(grep '^1 open' "$S/log")"
EXOTEL_REPLAY_TOKEN=from-env run $R -q -x 0 -w 0 "$URL" "$T/1s.pcm"
expect "Bearer: from EXOTEL_REPLAY_TOKEN" "0 2 open uri=/v1/ingest auth=Bearer from-env" \
    "$rc $(grep '^2 open' "$S/log")"
run $R -q -x 0 -w 0 "$URL" "$T/1s.pcm"
expect "no credentials: no header" "0 3 open uri=/v1/ingest auth=-" \
    "$rc $(grep '^3 open' "$S/log")"
run $R -q -x 0 -w 0 "ws://ke%79:tok@127.0.0.1:$PORT/v1/ingest?a=b" "$T/1s.pcm"
expect "key:token@ in the URL: Basic, out of the URL" "0 4 open uri=/v1/ingest?a=b auth=Basic a2V5OnRvaw==" \
    "$rc $(grep '^4 open' "$S/log")"
run $R -q -x 0 -w 0 -T tk "ws://key:tok@127.0.0.1:$PORT/v1/ingest" "$T/1s.pcm"
expect "-T beats the URL's credentials" "0 5 open uri=/v1/ingest auth=Bearer tk" \
    "$rc $(grep '^5 open' "$S/log")"

# --- several calls ----------------------------------------------------------
start_sink echo -e -c 1000
run $R -q -x 0 -n 3 "$URL" "$CAP"
expect "-n 3: exit 0" 0 "$rc"
expect "-n 3: every echo printed once, prefixed by its call" "619 619 619" \
    "$(for k in 0 1 2; do printf '%s\n' "$out" | grep -c "^$k {"; done | xargs)"
ids=$(for k in 0 1 2; do jq -r 'select(.event == "start") | [.start.callSid, .start.streamSid, .streamSid] | join(" ")' "$S/$k.msg"; done | sort)
expect "-n 3: distinct call ids" "CA3ae75ffe1c5d8847e478556c07d07103-0 test_stream-0 test_stream-0
CA3ae75ffe1c5d8847e478556c07d07103-1 test_stream-1 test_stream-1
CA3ae75ffe1c5d8847e478556c07d07103-2 test_stream-2 test_stream-2" "$ids"
expect "-n 3: media lines untouched" "$(grep -v '"start"' "$CAP" | md5sum)" \
    "$(grep -v '"start"' "$S/1.msg" | md5sum)"

run $R -q -x 0 "$URL" "$T/1s.pcm"
expect "one call: echoes printed without prefix" '{"event":"connected"}' \
    "$(printf '%s\n' "$out" | head -n 1)"

cat "$CAP" | $R -q -x 0 -n 2 -F ndjson "$URL" >"$T/out" 2>"$T/err"
expect "-n 2 from a pipe: exit 0, both calls complete" "0 619 619" \
    "$? $(grep -c '^0 ' "$T/out") $(grep -c '^1 ' "$T/out")"

# --- fragments and an oversize message ------------------------------------
start_sink frag
run $R -q -x 0 -w 0 -f 100 "$URL" "$CAP"
expect "-f 100: exit 0" 0 "$rc"
same "-f 100: reassembled byte-identical" "$CAP" "$S/0.msg"
expect "-f 100: a 357-byte message in 4 frames" 4 \
    "$(grep '^0 message type=text bytes=357 ' "$S/log" | head -n 1 | sed 's/.*frames=//')"
run $R -q -x 0 -w 0 -O 100000 "$URL" "$T/1s.pcm"
expect "-O: a 100000-byte JSON message right after start" "100000 oversize" \
    "$(sed -n 3p "$S/1.msg" | tr -d '\n' | wc -c) $(sed -n 3p "$S/1.msg" | jq -r .event)"
expect "-O: then the media" media "$(sed -n 4p "$S/1.msg" | jq -r .event)"

# --- refusals, failures, closes -------------------------------------------
start_sink refuse403 -r 403
run $R -q -u key:bad "$URL" "$CAP"
expect "handshake refused 403" "111 exotel-replay: fatal: call=0 handshake refused: HTTP 403" "$rc $err"
start_sink refuse401 -r 401
run $R -q "$URL" "$CAP"
expect "handshake refused 401" "111 exotel-replay: fatal: call=0 handshake refused: HTTP 401" "$rc $err"
run $R -q -n 2 "$URL" "$CAP"
expect "handshake refused, two calls" "111 exotel-replay: warning: call=1 handshake refused: HTTP 401
exotel-replay: fatal: call=0 handshake refused: HTTP 401 (2 of 2 calls failed)" "$rc $err"

p=$(freeport)
run $R -q ws://127.0.0.1:$p/v1/ingest "$CAP"
expect_match "connection refused: exit 111" "^111 exotel-replay: fatal: call=0 unable to connect to 127.0.0.1:$p: " "$rc $err"

start_sink close1011 -c 1011
run $R -q -x 0 "$URL" "$CAP"
expect "server closes 1011 after stop" "111 exotel-replay: fatal: call=0 server closed the call: code=1011 reason=\"sink\"" "$rc $err"

# Paced, so that the close frame is read before the server drops the TCP.
start_sink close1009 -c 1009 -n 5
run $R -q "$URL" "$T/2s.pcm"
expect_match "server closes 1009 mid-call" "^111 exotel-replay: fatal: call=0 server closed the call after [0-9]+ messages, before the end of input: code=1009 reason=\"sink\"$" "$rc $err"

start_sink close1000 -c 1000
run $R -q -x 0 "$URL" "$CAP"
expect "server closes 1000 after stop: exit 0" "0 " "$rc $err"

# -a: the connection drops without a close frame; the server sees no close.
start_sink abort
run $R -q -a 300 "$URL" "$T/2s.pcm"
wait_for 5 grep -q '^0 closed' "$S/log"
expect "-a: exit 0, no close frame reached the server" "0 0" \
    "$rc $(grep -c 'peer-close' "$S/log")"
n=$(grep -c . "$S/0.msg")
if [ "$n" -ge 2 ] && [ "$n" -lt 103 ] && ! grep -q '"stop"' "$S/0.msg"; then
	pass "-a: part of the call sent, no stop"
else
	fail "-a: part of the call sent, no stop" "$n messages"
fi

# -t: a server that never closes, and a linger longer than the timeout.
start_sink hang
run $R -q -x 0 -w 60 -t 1 "$URL" "$T/1s.pcm"
expect "-t 1: timed out" "111 exotel-replay: fatal: call=0 timed out after 1 s (-t)" "$rc $err"

# Bad input: what was sent before stays sent; the line is named.
{ head -n 3 "$CAP"; head -c 4194400 /dev/zero | tr '\0' x; echo; tail -n 1 "$CAP"; } >"$T/long.ndjson"
start_sink bad
run $R -q -x 0 -w 0 "$URL" "$T/long.ndjson"
expect "line too long: exit 1, line named" "1 exotel-replay: fatal: call=0 bad input: line 4: longer than 4194304 bytes" "$rc $err"
head -n 3 "$CAP" >"$T/first3"
same "line too long: the lines before were sent" "$T/first3" "$S/0.msg"

# stdout that cannot be written is an error, not silence.
start_sink echo2 -e -c 1000
$R -q -x 0 "$URL" "$T/1s.pcm" >/dev/full 2>"$T/err"
expect "stdout full: exit 111" "111 exotel-replay: warning: unable to write stdout: No space left on device" "$? $(head -n 1 "$T/err")"

# --- TLS ------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 1 -subj /CN=localhost >/dev/null 2>&1
start_sink tls -C "$T/cert.pem" -K "$T/key.pem"
run $R -q -x 0 -w 0 "wss://127.0.0.1:$PORT/v1/ingest" "$CAP"
expect_match "TLS self-signed without -k: refused, exit 111" "^111 exotel-replay: fatal: call=0 unable to connect to 127.0.0.1:$PORT: " "$rc $err"
run $R -q -x 0 -w 0 -k "wss://127.0.0.1:$PORT/v1/ingest" "$CAP"
expect "TLS -k: exit 0" "0 " "$rc $err"
same "TLS -k: byte-identical" "$CAP" "$S/0.msg"
run $R -q -x 0 -w 0 -C "$T/cert.pem" "wss://localhost:$PORT/v1/ingest" "$T/1s.pcm"
expect "TLS with the certificate as CA (-C): exit 0" "0 " "$rc $err"

# --- usage ----------------------------------------------------------------
run $R -x fast "$URL" "$CAP"
expect "bad number: usage error" "100 exotel-replay: fatal: invalid -x: fast (want an integer from 0 to 1000)" "$rc $err"
run $R -F flac "$URL" "$CAP"
expect "bad format: usage error" "100 exotel-replay: fatal: invalid format: flac (want ndjson, pcm, wav or mulaw)" "$rc $err"
run $R http://127.0.0.1:1/ "$CAP"
expect "not a ws URL: usage error" "100 exotel-replay: fatal: invalid URL: want ws://host[:port]/path or wss://..." "$rc $err"
run $R -h
syn=$(mandoc -Tascii "$TOP/man/exotel-replay.1" 2>/dev/null | col -b |
    awk '/^SYNOPSIS/ { s = 1; next } /^DESCRIPTION/ { s = 0 } s' | xargs)
expect "-h: usage line (the man page SYNOPSIS) on stdout, exit 0" "0 usage: $syn" "$rc $(head -n 1 <<<"$out" | xargs)"
expect "-h: then the options, one a line" "23" "$(grep -c '^  -' <<<"$out")"
run $R --help
expect "--help is -h" "0 $($R -h)" "$rc $out"
run $R --version
expect_match "--version" "^0 exotel-replay [^ ]+$" "$rc $out"

# --- more bad input -------------------------------------------------------
sox -t s16 -r 8000 -c 2 "$T/1s.pcm" "$T/stereo.wav"
run $R -q -x 0 "$URL" "$T/stereo.wav"
expect "stereo WAV: bad input" "1 exotel-replay: fatal: WAV input must be mono (channels=2)" "$rc $err"
printf '%s\n' '{"event":"start","start":{"call_sid":"b64"}}' \
    '{"event":"media","media":{"timestamp":"0","payload":"AAAA"}}' \
    '{"event":"media","media":{"timestamp":"20","payload":"!!"}}' >"$T/bad64.ndjson"
start_sink bad64
run $R -q -x 0 -w 0 -N "$URL" "$T/bad64.ndjson"
expect "-N, payload not base64: bad input, line named" "1 exotel-replay: fatal: call=0 bad input: line 3: media payload is not base64" "$rc $err"
expect "-N, payload not base64: what came before was sent" '{"event":"start","interaction_id":"b64","tenant_id":"replay","sample_rate":8000,"encoding":"pcm16"}
0 message type=binary bytes=3 frames=1' "$(head -n 1 "$S/0.msg"; grep '^0 message type=binary' "$S/log")"
EXOTEL_REPLAY_BASIC_AUTH=env:secret run $R -q -x 0 -w 0 "$URL" "$T/1s.pcm"
expect "Basic from EXOTEL_REPLAY_BASIC_AUTH" "0 1 open uri=/v1/ingest auth=Basic ZW52OnNlY3JldA==" "$rc $(grep '^1 open' "$S/log")"

# --- signals --------------------------------------------------------------
start_sink sig
$R -q "$URL" "$CAP" >"$T/out" 2>"$T/err" &
rp=$!
track $rp
wait_for 10 grep -q '^0 message' "$S/log"
kill -TERM $rp
wait $rp
rc=$?
wait_for 5 grep -q '^0 closed' "$S/log"
expect "SIGTERM: calls closed with 1001, exit 143" "143 exotel-replay: fatal: call=0 interrupted by signal 15 0 peer-close code=1001 reason=" \
    "$rc $(cat "$T/err") $(grep '^0 peer-close' "$S/log")"

run exotel-replay ws://127.0.0.1:9/v1/ingest "$T/no-such-file"
expect "input file missing: 111, said" \
    "111|exotel-replay: fatal: unable to open $T/no-such-file: No such file or directory" "$rc|$err"

# --- -n: one summary line ------------------------------------------------
start_sink summary
run $R -x 0 -w 0 -n 3 "$URL" "$T/1s.pcm"
expect "-n 3: a summary line after the calls" "0 exotel-replay: info: summary calls=3 ok=3 failed=0 status=0" \
    "$rc $(tail -n 1 <<<"$err")"
start_sink summary403 -r 403
run $R -x 0 -w 0 -n 2 "$URL" "$T/1s.pcm"
expect_match "-n 2, both refused: the summary says so, exit 111" \
    "^111 .*exotel-replay: info: summary calls=2 ok=0 failed=2 status=111 " "$rc $(tr '\n' ' ' <<<"$err")"

# --- the URL's query reaches custom_parameters, as Exotel does -------------
start_sink query
run $R -q -x 0 -w 0 -i call-Q -p lead=7 "$URL?sample-rate=8000&lead=42&agent=a%2Fb+c&flag" "$T/1s.pcm"
expect "URL query: custom parameters in the start (sample-rate is Exotel's own; -p wins)" \
    '0 {"lead":"7","agent":"a/b c"}' \
    "$rc $(jq -c 'select(.event == "start") | .start.custom_parameters' "$S/0.msg")"
expect_match "URL query: the request keeps its query" "^0 open uri=/v1/ingest\\?sample-rate=8000&lead=42&" \
    "$(grep '^0 open' "$S/log")"
