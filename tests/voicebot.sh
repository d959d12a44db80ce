# voicebot-call end to end: ws-accept -- voicebot-call, a real Redis, and
# exotel-peer playing Exotel's side of a Voicebot call (streams the
# caller's audio, plays what comes back in real time, echoes marks when
# its playback reaches them).  The bot is redis-cli XADDing to the call's
# play stream once the call's start event is in Redis.
source "$(dirname "$0")/lib.sh"

unset JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS PLAY_KEY \
    PLAY_LEAD_MS PLAY_CHUNK_BYTES RESAMPLE_QUALITY
export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32 REDIS_MODE=xadd
start_redis || exit 1
export REDIS_URL
rcli() { redis-cli -p "$REDIS_PORT" --raw "$@"; }
start_wsa -- voicebot-call

ID=CApeer0000000000000000000000000001
PLAY=play:$ID

# A 2-second 440 Hz tone at 24 kHz, the bot's rate.
tone -r 24000 -f 440 -a 0.5 -n 48000 >"$T/tone24"
TONE_B64=$(base64 -w0 "$T/tone24")

# bot JSON: one entry (the value on stdin: a 2 s tone is over ARG_MAX).
bot() { printf '%s' "$1" | redis-cli -p "$REDIS_PORT" -x xadd "$PLAY" '*' data >/dev/null; }
media() { bot "{\"event\":\"media\",\"audio\":\"$1\",\"sample_rate\":24000}"; }
# started: the call's start event is in Redis (a bot reacts to it).
started() { wait_for 10 sh -c "redis-cli -p $REDIS_PORT xrange calls:events - + | grep -q '\"event\":\"start\"'"; }
# peer NAME OPTIONS...: exotel-peer in the background, its files in $T/NAME.
peer() {
	local d=$T/$1
	shift
	mkdir -p "$d"
	exotel-peer -d 20 -o "$d" "$@" &
	PEER=$!
	track $PEER
}
finished() { timeout 30 tail --pid="$1" -f /dev/null; }
# dial NAME RATE PEER-OPTIONS...: a fresh call from exotel-peer at RATE
# through ws-accept, up to its start event in Redis (1 when none came).
dial() {
	local name=$1 rate=$2
	shift 2
	rcli del "$PLAY" calls:events audio:$ID >/dev/null
	peer "$name" "$@" 127.0.0.1 "$WSA_PORT" "/v1/ingest?sample-rate=$rate"
	started
}
media_lines() { grep -c ' media ' "$1/log"; }

# check NAME RATE BYTES-PER-SAMPLE SNR-MIN: the tone + mark + hangup call.
check_call() {
	local name=$1 rate=$2 bps=$3 snrmin=$4 d=$T/$1 sizes last
	sizes=$(awk '$2 == "media" { sub("bytes=", "", $3); print $3 }' "$d/log")
	expect "$name: chunks are legal (x320, >=3200 but the last, <=100K)" ok \
	    "$(printf '%s\n' $sizes | awk '
		{ n[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				if (n[i] % 320 || n[i] > 102400) { print "bad " n[i]; exit }
				if (i < NR && n[i] < 3200) { print "short " n[i]; exit }
			}
			print NR ? "ok" : "none"
		}')"
	expect "$name: exactly 2 s of audio at the call's rate" \
	    $((2 * rate * bps)) "$(printf '%s\n' $sizes | awk '{ s += $1 } END { print s + 0 }')"
	expect "$name: paced over at least 90% of the audio" ok \
	    "$(awk '$2 == "media" { if (!f) f = $1; l = $1 }
		END { print (l - f >= 1800 ? "ok" : "spread " l - f " ms") }' "$d/log")"
	run snr -r "$rate" -f 440 -a 0.5 -s 20 <"$d/audio"
	expect_match "$name: the caller hears the tone (snr >= $snrmin dB)" \
	    "^snr=" "$out"
	expect "$name: snr" ok "$(echo "$out" | awk -v m="$snrmin" '{ sub("snr=", "", $1); print ($1 + 0 >= m ? "ok" : $0) }')"
	expect "$name: mark after the audio, echoed, then the close 1000" \
	    "media mark echo close1000" \
	    "$(awk '{ k = $2 == "close" ? "close" $3 : $2; if (k != p) printf "%s%s", (p ? " " : ""), k; p = k } END { print "" }' "$d/log")"
	expect "$name: the mark is reported on the events key" m1 \
	    "$(rcli xrange calls:events - + | grep '"event":"mark"' | jq -r .name)"
	expect_match "$name: the caller's audio went on to Redis meanwhile" \
	    '^[0-9]+ [0-9]+$' "$(rcli xrange calls:events - + | grep '"event":"stop"' |
		jq -r 'select((.frames == .chunks * 5 or .frames == .chunks * 5 + 1) and .chunks >= 20 and .dropped == 0) | "\(.chunks) \(.frames)"')"
	expect "$name: audio frames in Redis" \
	    "$(rcli xrange calls:events - + | grep '"event":"stop"' | jq -r .frames)" \
	    "$(rcli xlen audio:$ID)"
}

# call NAME RATE BPS SNR-MIN PEER-OPTIONS...: one call that hears the
# tone, a mark and a hangup.
call() {
	local name=$1 rate=$2 bps=$3 snrmin=$4
	shift 4
	dial "$name" "$rate" "$@" || { fail "$name" "no start event"; return; }
	media "$TONE_B64"
	bot '{"event":"mark","name":"m1"}'
	bot '{"event":"hangup"}'
	finished $PEER
	wait $PEER
	expect "$name: exotel-peer saw the close" 0 $?
	wait_for 10 sh -c "redis-cli -p $REDIS_PORT xrange calls:events - + | grep -q '\"event\":\"stop\"'"
	check_call "$name" "$rate" "$bps" "$snrmin"
}

call pcm8k 8000 2 60 -r 8000
grep -q '"stream_sid":"MZpeer0000000000000000000000000001","sequence_number":"1","media":{"chunk":"1","timestamp":"0","payload":' "$T/pcm8k/messages"
expect "pcm8k: Exotel's media shape (stream_sid, sequence_number, chunk, timestamp)" 0 $?
expect "pcm8k: Exotel's mark shape" 1 \
    "$(grep -c '^{"event":"mark","stream_sid":"MZpeer0000000000000000000000000001","sequence_number":"[0-9]*","mark":{"name":"m1"}}$' "$T/pcm8k/messages")"
call pcm16k 16000 2 60 -r 16000
call pcm24k 24000 2 60 -r 24000
call mulaw 8000 1 30 -u
call twilio 8000 1 30 -t
expect "twilio: Twilio's shapes (streamSid, media.payload only)" 1 \
    "$(jq -c 'select(.event == "media") | keys, (.media | keys)' "$T/twilio/messages" | sort -u | tr -d '\n' |
	grep -c '^\["event","media","streamSid"\]\["payload"\]$')"

# A bot that does not wait for the start event (it races it) misses
# nothing; entries from before the call connected (an earlier stream of
# the same call, ended by its hangup) are not replayed.
rcli del "$PLAY" calls:events audio:$ID >/dev/null
bot '{"event":"mark","name":"stale"}'
bot '{"event":"hangup"}'
sleep 0.05
n=$(grep -c ' accepted ' "$WSA_LOG")
peer race -r 8000 127.0.0.1 "$WSA_PORT" "/v1/ingest?sample-rate=8000"
wait_for 10 sh -c "[ \$(grep -c ' accepted ' $WSA_LOG) -gt $n ]"
media "$TONE_B64"
bot '{"event":"mark","name":"m1"}'
bot '{"event":"hangup"}'
finished $PEER
expect "race: entries added as the call starts are played whole, older ones not" \
    "32000 m1 close 1000" \
    "$(awk '$2 == "media" { sub("bytes=", "", $3); s += $3 } END { print s }' "$T/race/log") $(grep ' mark ' "$T/race/log" | sed 's/.*name=//' | paste -sd,) $(tail -n 1 "$T/race/log" | cut -d' ' -f2-)"

# ---- barge-in ---------------------------------------------------------------

# barge NAME RATE BPS PEER-OPTIONS...: 4 s of tone (two entries), clear
# after 3 chunks, then 2 s more and a hangup.
barge() {
	local name=$1 rate=$2 bps=$3 n0 n1
	shift 3
	dial "$name" "$rate" "$@" || { fail "$name" "no start event"; return; }
	media "$TONE_B64"
	media "$TONE_B64"
	bot '{"event":"mark","name":"never"}'
	wait_for 10 sh -c "[ \$(grep -c ' media ' $T/$name/log) -ge 3 ]"
	n0=$(media_lines "$T/$name")
	bot '{"event":"clear"}'
	wait_for 5 grep -q ' clear$' "$T/$name/log"
	expect "$name: clear reaches the caller" 1 "$(grep -c ' clear$' "$T/$name/log")"
	sleep 1
	n1=$(media_lines "$T/$name")
	expect "$name: media stops at once (at most one chunk after the clear)" ok \
	    "$([ "$n1" -le $((n0 + 1)) ] && echo ok || echo "$n0 then $n1")"
	expect "$name: nothing after the clear" clear \
	    "$(awk '$2 == "media" || $2 == "clear" { l = $2 } END { print l }' "$T/$name/log")"
	expect "$name: the dropped mark is not sent" 0 "$(grep -c ' mark ' "$T/$name/log")"
	expect_match "$name: the caller's audio keeps flowing to Redis" '^[1-9]' \
	    "$(rcli xlen audio:$ID)"
	# The bot speaks again, then hangs up.
	media "$TONE_B64"
	bot '{"event":"hangup"}'
	finished $PEER
	expect "$name: the next utterance is heard whole, then the close 1000" \
	    "$((n1 + (2 * rate * bps - 6400) / 3200 + 2)) close 1000" \
	    "$(media_lines "$T/$name") $(tail -n 1 "$T/$name/log" | cut -d' ' -f2-)"
	wait_for 10 sh -c "redis-cli -p $REDIS_PORT xrange calls:events - + | grep -q '\"event\":\"stop\"'"
	expect_match "$name: the ingest published all along" '^[0-9]+$' \
	    "$(rcli xrange calls:events - + | grep '"event":"stop"' |
		jq -r 'select(.dropped == 0 and .chunks >= 30) | .chunks')"
}
barge clear8k 8000 2 -r 8000
barge clear16k 16000 2 -r 16000
barge clearmulaw 8000 1 -u

# ---- the caller hangs up first ----------------------------------------------

dial callerstop 8000 -d 2
media "$TONE_B64"
media "$TONE_B64"
finished $PEER
wait_for 10 sh -c "[ \$(ps -o pid= --ppid $WSA_PID | wc -l) = 0 ]"
expect "callerstop: the call ends with the caller's stop, nothing left running" \
    "0 stop" "$(ps -o pid= --ppid "$WSA_PID" | wc -l) $(grep -o 'exotel-encode: info: .* done reason=[a-z]*' "$WSA_LOG" | tail -n 1 | sed 's/.*reason=//')"
wait_for 10 sh -c "[ \$(ps -eo args | grep -c '^play-rea[d]') = 0 ]"
expect "callerstop: play-read ended with the call" 0 "$(ps -eo args | grep -c '^play-rea[d]')"
expect "no call closed with 1011" 0 "$(grep -c 'close=1011' "$WSA_LOG")"
# Every process of every call has ended (ours: their program is in $TOP/bin).
leftovers() {
	local p
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
		"$TOP"/bin/ws-accept) ;;
		"$TOP"/bin/*) echo "${p#/proc/}" ;;
		esac
	done
}
wait_for 10 sh -c "[ -z \"\$(for p in /proc/[0-9]*; do case \$(readlink \$p/exe 2>/dev/null) in $TOP/bin/ws-accept) ;; $TOP/bin/*) echo x ;; esac; done)\" ]"
expect "no process of any call is left" "" "$(leftovers)"

# ---- the service: INGEST_HANDLER=voicebot-call --------------------------------

IPORT=$(freeport)
env PORT="$IPORT" HOST=127.0.0.1 INGEST_STATE_DIR="$T/svc" INGEST_HANDLER=voicebot-call \
    REDIS_MODE=publish ingest -d 3 3>"$T/svc.ready" >"$T/svc.out" 2>"$T/svc.err" </dev/null &
IPID=$!
track $IPID
wait_for 20 test -s "$T/svc.ready"
redis-sub -p "$REDIS_PORT" -x '"event":"stop"' calls:events >"$T/svc.events" 2>/dev/null &
track $!
wait_for 10 sh -c "redis-cli -p $REDIS_PORT pubsub numsub calls:events | tail -n 1 | grep -qx 1"
rcli del "$PLAY" >/dev/null
peer svc -d 20 -r 16000 127.0.0.1 "$IPORT" "/v1/ingest?sample-rate=16000"
wait_for 10 grep -q '"event":"start"' "$T/svc.events"
media "$TONE_B64"
bot '{"event":"mark","name":"svc"}'
bot '{"event":"hangup"}'
finished $PEER
expect "ingest with INGEST_HANDLER=voicebot-call: 2 s heard, the mark, the close 1000" \
    "64000 mark close 1000" \
    "$(awk '$2 == "media" { sub("bytes=", "", $3); s += $3 } END { print s }' "$T/svc/log") $(grep -o ' mark ' "$T/svc/log" | tr -d ' ') $(tail -n 1 "$T/svc/log" | cut -d' ' -f2-)"
wait_for 10 grep -q '"event":"stop"' "$T/svc.events"
expect "the service published the echoed mark (pub/sub)" svc \
    "$(grep '"event":"mark"' "$T/svc.events" | sed 's/^[^ ]* //' | jq -r .name)"
kill -TERM $IPID
wait $IPID
expect "the service stops cleanly" 0 $?
