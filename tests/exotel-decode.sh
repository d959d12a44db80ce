# exotel-decode: PCM byte-exact against independent decoders, time kept
# through gaps, duplicates and late chunks, events, blocks, WAV, usage.
source "$(dirname "$0")/lib.sh"

FIX=$FIXTURES/twilio-stream1.ndjson
S16="-t s16 -e signed -L -c 1"

# The fixture's speech, decoded by sox (not by us): the source PCM that
# the generated captures wrap.
jq -r 'select(.event=="media").media.payload' "$FIX" | base64 -d >"$T/fix.ul"
sox -t ul -r 8000 -c 1 "$T/fix.ul" $S16 "$T/speech8k.pcm"
sox $S16 -r 8000 "$T/speech8k.pcm" $S16 -r 16000 "$T/speech16k.pcm"
sox $S16 -r 8000 "$T/speech8k.pcm" $S16 -r 24000 "$T/speech24k.pcm"

# same NAME FILE1 FILE2: byte-identical files.
same() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "$(cmp "$2" "$3" 2>&1; ls -l "$2" "$3" | awk '{print $5, $9}')"
	fi
}

# --- The Twilio fixture: mu-law, camelCase, real speech.
exotel-decode -q <"$FIX" >"$T/fix.pcm" 2>"$T/err"
expect "twilio fixture: exit 0, nothing on stderr" "0|" "$?|$(cat "$T/err")"
same "twilio fixture: PCM identical to sox's mu-law decode" "$T/speech8k.pcm" "$T/fix.pcm"

exotel-decode <"$FIX" >/dev/null 2>"$T/err"
err=$(cat "$T/err")
expect "twilio fixture: one info line at start and one at stop" \
"exotel-decode: info: start stream=test_stream protocol=twilio encoding=mulaw rate=8000 interaction=CA3ae75ffe1c5d8847e478556c07d07103 tenant=AC64f4d8c1481c0a5ac9cdbe997bfbcf58
exotel-decode: info: stop stream=test_stream track=inbound reason=stopped interaction=CA3ae75ffe1c5d8847e478556c07d07103 chunks=616 duration_ms=12320 gaps=0 gap_ms=0 duplicates=0 late=0 bad=0 bytes=98560 dropped_bytes=0" "$err"

exotel-decode -q -e 3 <"$FIX" 3>"$T/ev" >/dev/null
expect "twilio fixture: start and stop events on -e 3" \
'{"event":"start","interaction_id":"CA3ae75ffe1c5d8847e478556c07d07103","stream_sid":"test_stream","track":"inbound","tenant_id":"AC64f4d8c1481c0a5ac9cdbe997bfbcf58","call_sid":"CA3ae75ffe1c5d8847e478556c07d07103","protocol":"twilio","encoding":"mulaw","sample_rate":8000,"from":"","to":"","custom_parameters":{}}
{"event":"stop","interaction_id":"CA3ae75ffe1c5d8847e478556c07d07103","stream_sid":"test_stream","track":"inbound","tenant_id":"AC64f4d8c1481c0a5ac9cdbe997bfbcf58","call_sid":"CA3ae75ffe1c5d8847e478556c07d07103","reason":"stopped","chunks":616,"samples":98560,"duration_ms":12320,"gaps":0,"gap_ms":0,"duplicates":0,"late":0,"bad":0,"bytes":98560,"dropped_bytes":0,"dropped_ms":0,"dropped":{"duplicate":0,"late":0,"odd_byte":0,"reader_gone":0}}' \
"$(cat "$T/ev")"

# The same messages pretty-printed go through libjq, not the fast
# scanner: the PCM must not differ.
jq . "$FIX" | exotel-decode -q >"$T/pretty.pcm"
same "twilio fixture pretty-printed: same PCM" "$T/speech8k.pcm" "$T/pretty.pcm"
sed 's/$/\r/' "$FIX" | exotel-decode -q >"$T/crlf.pcm"
same "twilio fixture with CRLF ends: same PCM" "$T/speech8k.pcm" "$T/crlf.pcm"
sed 's,/,\\/,g' "$FIX" | exotel-decode -q >"$T/esc.pcm"
same "twilio fixture with every / escaped as \\/: same PCM" "$T/speech8k.pcm" "$T/esc.pcm"

# Both tracks (a bidirectional Twilio stream): only the caller's is
# decoded.  The outbound copy comes first with the same timestamps and
# other audio: taking it would drop the inbound one as a duplicate.
jq -c 'if .event == "media" then
	(.media.track = "outbound" | .media.payload = "f39/f39/f38=") , .
	else . end' "$FIX" | exotel-decode -q >"$T/tracks.pcm"
same "twilio both tracks: the inbound one only" "$T/speech8k.pcm" "$T/tracks.pcm"

{ printf '\357\273\277'; cat "$FIX"; } | exotel-decode -q >"$T/bom.pcm"
same "a UTF-8 byte order mark before the first message is skipped" "$T/speech8k.pcm" "$T/bom.pcm"

# First timestamp 135: time zero by default, filled with -L.
exotel-decode -q -L <"$FIX" >"$T/lead.pcm"
head -c 2160 /dev/zero >"$T/lead.exp"
cat "$T/speech8k.pcm" >>"$T/lead.exp"
same "-L: the first chunk's 135 ms are filled with silence" "$T/lead.exp" "$T/lead.pcm"

# --- Generated Exotel captures: rates, field types, spellings, sizes.
for rate in 8000 16000 24000; do
	src=$T/speech$((rate / 1000))k.pcm
	for args in "" "-S" "-m 100" "-m 7" "-e audio/x-raw" "-e raw/slin" \
	    "-e base64" "-e pcm16 -S -m 40" "-T" "-K" "-T -K" "-P" "-W -S" "-x"; do
		# shellcheck disable=SC2086
		mkcapture -r $rate $args <"$src" | exotel-decode -q >"$T/out.pcm" 2>"$T/err"
		if cmp -s "$src" "$T/out.pcm" && [ ! -s "$T/err" ]; then
			pass "exotel pcm16 $rate Hz mkcapture $args: PCM identical"
		else
			fail "exotel pcm16 $rate Hz mkcapture $args" "$(cmp "$src" "$T/out.pcm" 2>&1; cat "$T/err")"
		fi
	done
done

mkcapture -c mulaw -e ulaw <"$T/speech8k.pcm" >"$T/ul.nd"
exotel-decode -q <"$T/ul.nd" >"$T/ul.pcm"
jq -r 'select(.event=="media").media.payload' "$T/ul.nd" | base64 -d |
    sox -t ul -r 8000 -c 1 - $S16 "$T/ul.exp"
same "exotel mu-law (spelled ulaw): identical to sox's decode" "$T/ul.exp" "$T/ul.pcm"

# Exotel's documented shapes (its WebSocket protocol page): strings
# everywhere, pretty-printed, 100 ms chunks whose timestamps start at 100.
head -c 1600 "$T/speech8k.pcm" >"$T/doc.exp"
tail -c +1601 "$T/speech8k.pcm" | head -c 1600 >>"$T/doc.exp"
cat >"$T/doc.nd" <<EOF
{ "event": "connected" }
{
"event": "start",
"sequence_number": "1",
"stream_sid": "MZ1",
"start": {
"stream_sid": "MZ1",
"call_sid": "CA1",
"account_sid": "AC1",
"from": "+919876543210",
"to": "+918047491899",
"custom_parameters": { "key1": "value1" },
"media_format": {
"encoding": "audio/x-raw",
"sample_rate": "8000",
"bit_rate": "16"
}
}
}
{
"event": "media",
"sequence_number": "2",
"stream_sid": "MZ1",
"media": {
"chunk": "1",
"timestamp": "100",
"payload": "$(head -c 1600 "$T/doc.exp" | base64 -w0)"
}
}
{
"event": "media",
"sequence_number": "3",
"stream_sid": "MZ1",
"media": {
"chunk": "2",
"timestamp": "200",
"payload": "$(tail -c 1600 "$T/doc.exp" | base64 -w0)"
}
}
{
"event": "dtmf",
"sequence_number": "4",
"stream_sid": "MZ1",
"dtmf": { "digit": "5", "duration": "100" }
}
{ "event": "stop", "sequence_number": "5", "stream_sid": "MZ1", "stop": { "call_sid": "CA1", "account_sid": "AC1", "reason": "callended" } }
EOF
exotel-decode -q -e 3 <"$T/doc.nd" 3>"$T/ev" >"$T/doc.pcm" 2>"$T/err"
same "exotel's documented example: PCM" "$T/doc.exp" "$T/doc.pcm"
expect "exotel's documented example: events, no warnings" \
'{"event":"start","interaction_id":"CA1","stream_sid":"MZ1","track":"inbound","tenant_id":"AC1","call_sid":"CA1","protocol":"exotel","encoding":"pcm16","sample_rate":8000,"from":"+919876543210","to":"+918047491899","custom_parameters":{"key1":"value1"}}
{"event":"dtmf","interaction_id":"CA1","stream_sid":"MZ1","track":"inbound","digit":"5","duration":100,"timestamp_ms":200}
{"event":"stop","interaction_id":"CA1","stream_sid":"MZ1","track":"inbound","tenant_id":"AC1","call_sid":"CA1","reason":"callended","chunks":2,"samples":1600,"duration_ms":200,"gaps":0,"gap_ms":0,"duplicates":0,"late":0,"bad":0,"bytes":3200,"dropped_bytes":0,"dropped_ms":0,"dropped":{"duplicate":0,"late":0,"odd_byte":0,"reader_gone":0}}|' \
"$(cat "$T/ev")|$(cat "$T/err")"
mkcapture -c mulaw -e 'audio/x-mulaw;rate=16000' -r 16000 <"$T/speech16k.pcm" | jq -c 'if .event == "start" then del(.start.media_format.sample_rate) else . end' |
    exotel-decode -q -e 3 3>&1 >/dev/null 2>/dev/null | head -n 1 | jq -c '[.encoding, .sample_rate]' >"$T/r"
expect "encoding audio/x-mulaw;rate=16000 names codec and rate" '["mulaw",16000]' "$(cat "$T/r")"

# Rate: from the start (string or number), -r over it, SAMPLE_RATE when absent.
mkcapture -r 16000 -S <"$T/speech16k.pcm" >"$T/c16.nd"
exotel-decode -q -e 3 <"$T/c16.nd" 3>&1 >/dev/null | jq -c '.sample_rate' | head -n 1 >"$T/r"
expect "sample_rate \"16000\" (a string) is read" "16000" "$(cat "$T/r")"
exotel-decode -q -r 8000 -e 3 <"$T/c16.nd" 3>&1 >/dev/null 2>&1 | jq -c '.sample_rate' | head -n 1 >"$T/r"
expect "-r 8000 overrides the start's rate" "8000" "$(cat "$T/r")"
sed 's/,"sample_rate":"16000"//' "$T/c16.nd" |
    SAMPLE_RATE=16000 exotel-decode -q -e 3 3>&1 >/dev/null | jq -c '.sample_rate' | head -n 1 >"$T/r"
expect "no rate in the start: SAMPLE_RATE from the environment" "16000" "$(cat "$T/r")"

# -w: a 44-byte streaming header at the call's rate, then the PCM; into a
# pipe the lengths stay open-ended, into a file they are set at the end.
exotel-decode -q -w <"$T/c16.nd" | cat >"$T/w.wav"
expect "-w: header bytes (RIFF, PCM, mono, 16000 Hz, 16 bit, open-ended)" \
"52494646ffffffff57415645666d74201000000001000100803e0000007d00000200100064617461dbffffff" \
"$(head -c 44 "$T/w.wav" | od -An -tx1 | tr -d ' \n')"
exotel-decode -q -w <"$T/c16.nd" >"$T/wf.wav"
n=$(( $(stat -c %s "$T/wf.wav") - 44 ))
expect "-w into a file: the header says the real lengths" \
    "$(printf '%08x %08x' $((n + 36)) $n)" \
    "$(od -An -tx4 -j4 -N4 "$T/wf.wav" | tr -d ' ') $(od -An -tx4 -j40 -N4 "$T/wf.wav" | tr -d ' ')"
tail -c +45 "$T/w.wav" >"$T/w.pcm"
same "-w: the PCM follows the header" "$T/speech16k.pcm" "$T/w.pcm"
expect "-w: sox reads the rate from it" "16000" "$(soxi -r "$T/w.wav" 2>/dev/null)"

# --- Time: gaps, duplicates, late chunks.
# 100 ms of speech from 0.5 s in, 20 ms chunks of 320 bytes.
dd if="$T/speech8k.pcm" of="$T/s.pcm" bs=1600 skip=5 count=1 2>/dev/null

mkcapture -d 3 -d 4 <"$T/s.pcm" | exotel-decode -q >"$T/gap.pcm" 2>"$T/err"
zeroed "$T/s.pcm" "$T/gap.exp" 3 4
same "timestamps: chunks 3 and 4 lost -> 40 ms of silence in their place" "$T/gap.exp" "$T/gap.pcm"
expect "timestamps: one gap line" "exotel-decode: warning: gap line=5 track=inbound missing_ms=40" "$(cat "$T/err")"

mkcapture -T -S -d 2 <"$T/s.pcm" | exotel-decode -q >"$T/gap.pcm" 2>"$T/err"
zeroed "$T/s.pcm" "$T/gap.exp" 2
same "chunk numbers (no timestamps): chunk 2 lost -> silence in its place" "$T/gap.exp" "$T/gap.pcm"
expect "chunk numbers: one gap line" "exotel-decode: warning: gap line=4 track=inbound missing_ms=20" "$(cat "$T/err")"

mkcapture -u 2 -u 4 <"$T/s.pcm" | exotel-decode -q -e 3 3>"$T/ev" >"$T/dup.pcm" 2>"$T/err"
same "duplicates dropped: PCM unchanged" "$T/s.pcm" "$T/dup.pcm"
expect "duplicates: one line each" \
"exotel-decode: warning: duplicate line=5 track=inbound timestamp=20 (dropped)
exotel-decode: warning: duplicate line=8 track=inbound timestamp=60 (dropped)" "$(cat "$T/err")"
expect "duplicates: counted in the stop event" \
'{"event":"stop","interaction_id":"CA0001","stream_sid":"ST0001","track":"inbound","tenant_id":"AC0001","call_sid":"CA0001","reason":"callended","chunks":5,"samples":800,"duration_ms":100,"gaps":0,"gap_ms":0,"duplicates":2,"late":0,"bad":0,"bytes":2240,"dropped_bytes":640,"dropped_ms":40,"dropped":{"duplicate":640,"late":0,"odd_byte":0,"reader_gone":0}}' \
"$(tail -n 1 "$T/ev")"

mkcapture -l 2 <"$T/s.pcm" | exotel-decode -q -e 3 3>"$T/ev" >"$T/late.pcm" 2>"$T/err"
zeroed "$T/s.pcm" "$T/late.exp" 2
same "late chunk: its place is silence, the chunk itself dropped" "$T/late.exp" "$T/late.pcm"
expect "late chunk: a gap line, then a late line" \
"exotel-decode: warning: gap line=4 track=inbound missing_ms=20
exotel-decode: warning: late line=6 track=inbound timestamp=20 (dropped)" "$(cat "$T/err")"
expect "late chunk: counted in the stop event" \
'{"event":"stop","interaction_id":"CA0001","stream_sid":"ST0001","track":"inbound","tenant_id":"AC0001","call_sid":"CA0001","reason":"callended","chunks":4,"samples":800,"duration_ms":100,"gaps":1,"gap_ms":20,"duplicates":0,"late":1,"bad":0,"bytes":1600,"dropped_bytes":320,"dropped_ms":20,"dropped":{"duplicate":0,"late":320,"odd_byte":0,"reader_gone":0}}' \
"$(tail -n 1 "$T/ev")"

mkcapture -T -u 3 -l 4 <"$T/s.pcm" | exotel-decode -q >"$T/cl.pcm" 2>"$T/err"
zeroed "$T/s.pcm" "$T/cl.exp" 4
same "chunk numbers: duplicate dropped, late chunk's place silent" "$T/cl.exp" "$T/cl.pcm"
expect "chunk numbers: duplicate, gap and late lines" \
"exotel-decode: warning: duplicate line=6 track=inbound chunk=3 (dropped)
exotel-decode: warning: gap line=7 track=inbound missing_ms=20
exotel-decode: warning: late line=8 track=inbound chunk=4 (dropped)" "$(cat "$T/err")"

# A jump past -g is not filled.
mkcapture -d 2 -d 3 -d 4 <"$T/s.pcm" | exotel-decode -q -g 40 >"$T/j.pcm" 2>"$T/err"
expect "a gap over -g is logged as a jump and not filled" \
"640|exotel-decode: warning: jump line=4 track=inbound skipped_ms=60 (over the -g limit, not filled)" \
"$(wc -c <"$T/j.pcm")|$(cat "$T/err")"

# Total samples == last timestamp + its length, whatever was lost.
mkcapture -d 1 -d 2 -d 9 -u 5 -l 6 -m 10 <"$T/s.pcm" | exotel-decode -q -L 2>/dev/null | wc -c >"$T/n"
expect "samples written = last chunk's timestamp + its length (-L, losses)" "1600" "$(tr -d ' ' <"$T/n")"

# --- Events: dtmf, mark, custom parameters, stop reasons.
mkcapture -i CA9 -a AC9 -s ST9 -f 0801 -t 0802 -C lang=hi -C "x-y=1 2" \
    -D 2:5 -M 3:greeting <"$T/s.pcm" | exotel-decode -q -e 3 3>"$T/ev" >/dev/null
expect "events: start, dtmf, mark, stop as compact lines" \
'{"event":"start","interaction_id":"CA9","stream_sid":"ST9","track":"inbound","tenant_id":"AC9","call_sid":"CA9","protocol":"exotel","encoding":"pcm16","sample_rate":8000,"from":"0801","to":"0802","custom_parameters":{"lang":"hi","x-y":"1 2"}}
{"event":"dtmf","interaction_id":"CA9","stream_sid":"ST9","track":"inbound","digit":"5","duration":100,"timestamp_ms":40}
{"event":"mark","interaction_id":"CA9","stream_sid":"ST9","track":"inbound","name":"greeting","timestamp_ms":60}
{"event":"stop","interaction_id":"CA9","stream_sid":"ST9","track":"inbound","tenant_id":"AC9","call_sid":"CA9","reason":"callended","chunks":5,"samples":800,"duration_ms":100,"gaps":0,"gap_ms":0,"duplicates":0,"late":0,"bad":0,"bytes":1600,"dropped_bytes":0,"dropped_ms":0,"dropped":{"duplicate":0,"late":0,"odd_byte":0,"reader_gone":0}}' \
"$(cat "$T/ev")"

mkcapture -R stopped <"$T/s.pcm" | exotel-decode -q -e 3 3>&1 >/dev/null | tail -n 1 | jq -r .reason >"$T/r"
expect "exotel stop reason stopped -> stopped" "stopped" "$(cat "$T/r")"
mkcapture -z <"$T/s.pcm" | exotel-decode -q -e 3 3>&1 >/dev/null | tail -n 1 | jq -r .reason >"$T/r"
expect "no stop message -> stop with reason disconnected" "disconnected" "$(cat "$T/r")"
mkcapture -p twilio <"$T/s.pcm" | exotel-decode -q -e 3 3>&1 >/dev/null | tail -n 1 | jq -r .reason >"$T/r"
expect "twilio stop -> stopped" "stopped" "$(cat "$T/r")"

# A stop ends the stream: media after it belong to no stream and are
# dropped (a new start would begin a new stream).
{ mkcapture <"$T/s.pcm"; mkcapture -o 100 <"$T/s.pcm" | grep '"media"' | grep -v start; } | exotel-decode -q >"$T/o.pcm" 2>"$T/err"
same "stop ends the stream: later media are not audio" "$T/s.pcm" "$T/o.pcm"
expect "media after the stop: one line each" "exotel-decode: warning: media-after-stop line=9 (dropped)" "$(head -n 1 "$T/err")"

# --- Native: a start line, then raw bytes.
mkcapture -p native -r 24000 <"$T/speech24k.pcm" | exotel-decode -e 3 3>"$T/ev" >"$T/n.pcm" 2>"$T/err"
same "native pcm16: the raw bytes after the start line" "$T/speech24k.pcm" "$T/n.pcm"
expect "native: events" \
'{"event":"start","interaction_id":"CA0001","stream_sid":"","track":"inbound","tenant_id":"AC0001","call_sid":"","protocol":"native","encoding":"pcm16","sample_rate":24000,"from":"","to":"","custom_parameters":{}}
{"event":"stop","interaction_id":"CA0001","stream_sid":"","track":"inbound","tenant_id":"AC0001","call_sid":"","reason":"disconnected","chunks":0,"samples":295680,"duration_ms":12320,"gaps":0,"gap_ms":0,"duplicates":0,"late":0,"bad":0,"bytes":591360,"dropped_bytes":0,"dropped_ms":0,"dropped":{"duplicate":0,"late":0,"odd_byte":0,"reader_gone":0}}' \
"$(cat "$T/ev")"
{ mkcapture -p native </dev/null; trickle -m 333 -u 0 <"$T/speech8k.pcm"; } |
    exotel-decode -q >"$T/n.pcm"
same "native pcm16 in odd-sized pieces: no byte lost or shifted" "$T/speech8k.pcm" "$T/n.pcm"
mkcapture -p native -c mulaw <"$T/speech8k.pcm" | exotel-decode -q >"$T/n.pcm"
hdr=$(mkcapture -p native -c mulaw </dev/null | wc -c)
mkcapture -p native -c mulaw <"$T/speech8k.pcm" | tail -c +$((hdr + 1)) |
    sox -t ul -r 8000 -c 1 - $S16 "$T/n.exp"
same "native mu-law: decoded like sox" "$T/n.exp" "$T/n.pcm"

# --- Blocks (-b) and never holding a chunk back.
mkcapture -m 30 <"$T/speech8k.pcm" | exotel-decode -q -b 100 | readsizes >"$T/sizes"
total=$(awk '{ t += $1 } END { print t }' "$T/sizes")
odd=$(sed '$d' "$T/sizes" | awk '$1 % 1600 { n++ } END { print n + 0 }')
expect "-b 100: every write a whole 1600-byte block (30 ms chunks), all bytes out" \
    "0 $(wc -c <"$T/speech8k.pcm")" "$odd $total"
mkcapture -m 30 <"$T/speech8k.pcm" | exotel-decode -q -b 100 |
    cmp -s - "$T/speech8k.pcm" && pass "-b 100: same bytes" || fail "-b 100: same bytes" "differ"

# Input held open after 7 chunks (140 ms): what is due must come out.
mkcapture -z <"$T/speech8k.pcm" | head -n 9 >"$T/seven.nd"
run feedhold -b 2240 -- exotel-decode -q <"$T/seven.nd"
expect "no -b: all 7 chunks written before the next read blocks" "got=2240" "$(head -n 1 <<<"$out")"
run feedhold -b 1600 -- exotel-decode -q -b 100 <"$T/seven.nd"
expect "-b 100: the whole block written before the next read blocks" "got=1600" "$(head -n 1 <<<"$out")"
expect "-b 100: the partial block comes at EOF" "total=2240" "$(tail -n 1 <<<"$out")"
DECODE_BLOCK_MS=100 feedhold -b 1600 -- exotel-decode -q <"$T/seven.nd" >"$T/o" 2>&1
expect "DECODE_BLOCK_MS=100 works as -b 100" "got=1600 total=2240" "$(tr '\n' ' ' <"$T/o" | sed 's/ $//')"

# --- Usage.
syn=$(mandoc -Tutf8 "$TOP/man/exotel-decode.1" | col -b |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n\t' ' ' | sed 's/^ //;s/ $//')
run exotel-decode -h
expect "-h: usage identical to the man page SYNOPSIS on stdout, exit 0" "0|usage: $syn|" "$rc|$(head -n 1 <<<"$out")|$err"
expect "-h: then the options, one a line" "15" "$(grep -c '^  -' <<<"$out")"
run exotel-decode --help
expect "--help: the same" "0|usage: $syn" "$rc|$(head -n 1 <<<"$out")"
run exotel-decode --version
expect_match "--version: name and version, exit 0" '^0\|exotel-decode [^ ]+$' "$rc|$out"
run exotel-decode -p twilio </dev/null
expect "-p twilio: exit 100 (twilio is read on exotel connections)" "100|exotel-decode: fatal: -p: want exotel, native or auto" "$rc|$err"
run env PROTOCOL=jwt exotel-decode </dev/null
expect "PROTOCOL=jwt: exit 100 naming the variable" "100|exotel-decode: fatal: PROTOCOL: want exotel, native or auto" "$rc|$err"
run exotel-decode -t both </dev/null
expect "-t both: exit 100" "100|exotel-decode: fatal: -t: want inbound or outbound" "$rc|$err"
run exotel-decode -x </dev/null
expect "unknown option: usage, exit 100" "100" "$rc"
run exotel-decode -b 10ms </dev/null
expect "-b 10ms: exit 100 with a message" \
"100|exotel-decode: fatal: invalid -b: 10ms (want an integer from 0 to 10000)" "$rc|$err"
run env DECODE_BLOCK_MS=-5 exotel-decode </dev/null
expect "DECODE_BLOCK_MS=-5: exit 100" "100" "$rc"
run exotel-decode -e 1 </dev/null
expect "-e 1 (stdout): exit 100" "100" "$rc"
run exotel-decode -e 9 </dev/null
expect "-e 9 not open: exit 100" "100|exotel-decode: fatal: -e 9: descriptor is not open" "$rc|$err"

# --- A closed stdout is a system failure.
mkcapture <"$T/speech8k.pcm" >"$T/sp.nd"
(exotel-decode -q <"$T/sp.nd" 2>"$T/err"; echo $? >"$T/rc") | head -c 100 >/dev/null
expect "stdout closed early: exit 111 with a message" \
"111|exotel-decode: fatal: unable to write PCM: Broken pipe" "$(cat "$T/rc")|$(cat "$T/err")"

# --- Calls tag their log lines.
mkcapture -d 2 <"$T/s.pcm" | CALL_ID=c42 exotel-decode -q 2>&1 >/dev/null | head -n 1 >"$T/l"
expect "CALL_ID tags each line" "exotel-decode: warning: call=c42 gap line=4 track=inbound missing_ms=20" "$(cat "$T/l")"
