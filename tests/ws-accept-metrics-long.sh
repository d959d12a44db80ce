# ws-accept's METRICS_FD intake: the line cap of lib/metrics.h
# (METRICS_LINE_MAX, 256 bytes with the newline) holds however the reads
# of the pipe split a line: a longer line written in one write is refused
# as one that spans two reads is.
source "$(dirname "$0")/lib.sh"

export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
unset JWT_SECRET JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS REDIS_URL
metric() { curl -s "http://127.0.0.1:$WSA_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# The handler writes each text message it is sent as one line, one write.
start_wsa -- bash -c '
	while IFS= read -r line; do
		[ "$line" = end ] && break
		printf "%s\n" "$line" >&"$METRICS_FD"
	done'
x=$(printf '%230s' '' | tr ' ' x)
fit="ingest_long_total{a=\"$x\"} 1"			# 255 bytes
long="ingest_long_total{a=\"$x\"} 1.$(printf '%043d' 0)"	# 299 bytes
expect "the lines are 255 and 299 bytes long" "255 299" "${#fit} ${#long}"
run wsclient 127.0.0.1 "$WSA_PORT" /v1/ingest <<EOF
t $fit
t $long
t $fit
t end
w
EOF
expect "a line of 255 bytes and its newline is taken" 2 \
    "$(metric "ingest_long_total{a=\"$x\"}")"
expect "a line past the cap in one write is refused, counted once" 1 \
    "$(metric 'ws_accept_metrics_lines_refused_total{reason="malformed"}')"
