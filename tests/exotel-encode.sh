# exotel-encode alone: a bot's commands (or raw PCM) on stdin, Exotel or
# Twilio messages on stdout.  Short utterances keep the paced runs short.
source "$(dirname "$0")/lib.sh"

unset PLAY_LEAD_MS PLAY_CHUNK_BYTES MAX_MESSAGE_BYTES SAMPLE_RATE ENCODING \
    PROTOCOL STREAM_SID RESAMPLE_QUALITY

# usage line, --help, --version
syn() {
	mandoc -Tascii "$TOP/man/$1.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' |
	    sed 's/^ //;s/ $//'
}
for t in exotel-encode play-read; do
	run "$t" --help
	expect "$t --help: usage line is the man page SYNOPSIS, exit 0" \
	    "usage: $(syn $t) 0" "$(echo "$out" | head -n 1) $rc"
	run "$t" --version
	expect_match "$t --version" "^$t [^ ]+$" "$out"
	run "$t" -Z
	expect "$t: a bad option is a usage error" 100 "$rc"
done
run exotel-encode -c 3300 </dev/null
expect "chunk bytes must be a multiple of 320" "100 exotel-encode: fatal: -c: 3300 is not a multiple of 320" "$rc $err"
run exotel-encode -p sip </dev/null
expect "unknown protocol" 100 "$rc"
run exotel-encode -e opus </dev/null
expect "unknown encoding" 100 "$rc"

# media CMD: one media command of FILE's PCM at RATE.
media() { printf '{"event":"media","audio":"%s","sample_rate":%s}\n' "$(base64 -w0 "$1")" "$2"; }
payloads() { jq -r 'select(.event == "media") | .media.payload' | while read -r p; do printf %s "$p" | base64 -d; done; }
sizes() { jq -r 'select(.event == "media") | .media.payload' | while read -r p; do printf %s "$p" | base64 -d | wc -c; done | tr '\n' ' ' | sed 's/ $//'; }
# legal SIZES...: "ok" when Exotel accepts those chunks as one utterance.
legal() {
	printf '%s\n' "$@" | awk '{ n[NR] = $1 }
	    END {
		for (i = 1; i <= NR; i++)
			if (n[i] % 320 || n[i] > 102400 || (i < NR && n[i] < 3200)) { print "bad " n[i]; exit }
		print NR ? "ok" : "none"
	    }'
}

# 0.5 s at 24 kHz, to an 8 kHz call: 8000 bytes, chunks 3200 + 4480 + 320.
tone -r 24000 -f 440 -a 0.5 -n 12000 >"$T/t24"
{ media "$T/t24" 24000; echo '{"event":"mark","name":"a b\"c"}'; echo '{"event":"hangup"}'; } >"$T/cmd1"
run exotel-encode -q -r 8000 -s MZ1 <"$T/cmd1"
expect "8 kHz: exit 0 after the hangup" 0 "$rc"
echo "$out" >"$T/out1"
expect "8 kHz: legal chunks" ok "$(legal $(sizes <"$T/out1"))"
expect "8 kHz: exactly 0.5 s at 8 kHz, the tone" "8000" "$(payloads <"$T/out1" | wc -c)"
run snr -r 8000 -f 440 -a 0.5 -s 20 < <(payloads <"$T/out1")
expect "8 kHz: snr >= 60 dB" ok "$(echo "$out" | awk '{ sub("snr=", "", $1); print ($1 >= 60 ? "ok" : $0) }')"
expect "8 kHz: Exotel's shapes, in order" \
    'media MZ1 1 1 0|media MZ1 2 2 200|mark MZ1 a b"c' \
    "$(jq -r 'if .event == "mark" then [.event, .stream_sid, .mark.name] else
	[.event, .stream_sid, .sequence_number, .media.chunk, .media.timestamp] end | join(" ")' "$T/out1" | sed -n '1,2p;$p' | paste -sd'|')"
expect "8 kHz: sequence numbers and chunks count up" ok \
    "$(jq -s -r '(map(.sequence_number | tonumber) == [range(1; length + 1)]) and
	(map(select(.event == "media") | .media.chunk | tonumber) as $c | $c == [range(1; ($c | length) + 1)])
	| if . then "ok" else "holes" end' "$T/out1")"

# 16 kHz and a bot at 16 kHz (no resampler): 16000 bytes, the same cut.
tone -r 16000 -f 440 -a 0.5 -n 8000 >"$T/t16"
{ media "$T/t16" 16000; echo '{"event":"hangup"}'; } >"$T/cmd2"
run exotel-encode -q -r 16000 <"$T/cmd2"
expect "16 kHz, same rate: copied, cut 3200 x 3 + 6080 + 320" \
    "3200 3200 3200 6080 320" "$(echo "$out" | sizes)"
expect "16 kHz, same rate: byte for byte" "$(md5sum <"$T/t16")" "$(echo "$out" | payloads | md5sum)"

# A short utterance before a mark is padded to 320, the mark follows it.
head -c 2000 "$T/t16" >"$T/short"
{ media "$T/short" 16000; echo '{"event":"mark","name":"m"}'; echo '{"event":"hangup"}'; } >"$T/cmd3"
run exotel-encode -q -r 16000 <"$T/cmd3"
expect "short utterance: one chunk padded to 2240, then the mark" "2240 media mark" \
    "$(echo "$out" | sizes) $(echo "$out" | jq -r .event | paste -sd' ')"
expect "short utterance: the padding is silence" "$(md5sum <"$T/short")" \
    "$(echo "$out" | payloads | head -c 2000 | md5sum)"
expect "short utterance: silence after it" 240 "$(echo "$out" | payloads | tail -c 240 | tr -d '\0' | wc -c | awk '{print 240 - $1}')"

# Twilio: mu-law, streamSid, media.payload alone.
{ media "$T/t24" 24000; echo '{"event":"mark","name":"m"}'; echo '{"event":"clear"}'; } >"$T/cmd4"
run exotel-encode -q -p twilio -e mulaw -s MZ9 <"$T/cmd4"
expect "twilio: a clear drops what was queued with it, and is sent" \
    '{"event":"clear","streamSid":"MZ9"}' "$out"
{ media "$T/t24" 24000; echo '{"event":"mark","name":"m"}'; } >"$T/cmd5"
run exotel-encode -q -p twilio -e mulaw -s MZ9 <"$T/cmd5"
expect "twilio: shapes" '["event","mark","streamSid"] {"name":"m"}|["event","media","streamSid"] ["payload"]' \
    "$(echo "$out" | jq -c '[keys, (.media | keys?) // .mark]' | sort -u | sed 's/^\[\(.*\)\]$/\1/; s/\],\[/] [/; s/\],{/] {/' | paste -sd'|')"
expect "twilio: 0.5 s of mu-law at 8 kHz (4000 bytes, padded to 4160), legal chunks" "4160 ok" \
    "$(echo "$out" | payloads | wc -c) $(legal $(echo "$out" | sizes))"
run snr -r 8000 -f 440 -a 0.5 -s 20 < <(echo "$out" | payloads | sox -t raw -r 8000 -e mu-law -b 8 -c 1 - -t raw -e signed -b 16 -)
expect "twilio: mu-law decodes to the tone (snr >= 30 dB)" ok "$(echo "$out" | awk '{ sub("snr=", "", $1); print ($1 >= 30 ? "ok" : $0) }')"

# Raw PCM in (-i): one utterance, the end of input is a hangup.
run exotel-encode -q -i 16000 -r 8000 <"$T/t16"
expect "raw input: 16 kHz to 8 kHz, whole" 8000 "$(echo "$out" | payloads | wc -c)"

# MAX_MESSAGE_BYTES bounds the line: no message longer than it.
head -c 64000 /dev/zero >"$T/z"
{ media "$T/z" 8000; echo '{"event":"hangup"}'; } >"$T/cmd6"
MAX_MESSAGE_BYTES=8192 PLAY_CHUNK_BYTES=102400 run exotel-encode -q -l 5000 -r 8000 <"$T/cmd6"
expect "MAX_MESSAGE_BYTES: every line fits" ok \
    "$(echo "$out" | awk 'length($0) > 8192 { print "long " length($0); exit } END { print "ok" }' | head -n 1)"
expect "MAX_MESSAGE_BYTES: all the audio, in legal chunks" "64000 ok" \
    "$(echo "$out" | payloads | wc -c) $(echo "$out" | sizes | tr ' ' '\n' | awk '$1 % 320 { print "bad"; exit } END { print "ok" }' | head -n 1)"

# Bad commands are reported and skipped.
{ echo 'not json'; echo '{"event":"dance"}'; echo '{"event":"media","audio":"!!","sample_rate":8000}'; media "$T/short" 16000; } >"$T/cmd7"
run exotel-encode -r 16000 <"$T/cmd7"
expect "bad commands: skipped, the good one played" "0 1" "$rc $(echo "$out" | grep -c '"media"')"
expect "bad commands: three warnings with their lines" "line=1 line=2 line=3" \
    "$(echo "$err" | grep -o 'warning: command line=[0-9]*' | sed 's/.* //' | paste -sd' ')"

# -E: the call from its start event; its stop ends at once.
mkfifo "$T/ev"
{
	echo '{"event":"start","stream_sid":"MZev","sample_rate":16000,"encoding":"pcm16","protocol":"exotel"}'
	sleep 0.5
	echo '{"event":"stop","reason":"callended"}'
} >"$T/ev" &
run exotel-encode -E 3 3<"$T/ev" < <(media "$T/t24" 24000; media "$T/t24" 24000;
    media "$T/t24" 24000; media "$T/t24" 24000; sleep 5)
expect "events: the start names the call" MZev "$(echo "$out" | jq -r .stream_sid | sort -u)"
expect "events: the stop ends it at once (before 2 s of audio)" "0 ok" \
    "$rc $(echo "$out" | payloads | wc -c | awk '{ print ($1 < 64000 ? "ok" : $1) }')"
expect_match "events: done reason=stop" "done reason=stop" "$err"
echo '{"event":"start","stream_sid":"MZev"}' >"$T/ev2"
run exotel-encode -E 3 3<"$T/ev2" < <(sleep 1)
expect "events: their end without a stop is a failure (the other half died)" 111 "$rc"

# A bot that streams in real time (100 ms entries, 100 ms apart): whole
# chunks still, only the last of the utterance short.
head -c 4800 "$T/t24" >"$T/t24-100ms"
run exotel-encode -q -r 8000 < <(for i in 1 2 3 4 5 6 7 8 9 10; do media "$T/t24-100ms" 24000; sleep 0.1; done)
expect "real-time trickle: legal chunks, all the audio" "ok 16000" \
    "$(legal $(echo "$out" | sizes)) $(echo "$out" | payloads | wc -c)"
