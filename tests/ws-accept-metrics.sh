# ws-accept's /metrics: the pipelines' counters added up from METRICS_FD
# (lib/metrics.h), calls ended by reason, build info, and the whole
# exposition clean for promtool.
source "$(dirname "$0")/lib.sh"

export SUPPORT_EXOTEL=true EXOTEL_ALLOW_IPS=127.0.0.1/32
unset JWT_SECRET JWT_PUBLIC_KEY EXOTEL_BASIC_AUTH PUBLIC_URL MAX_CALLS REDIS_URL
ws() { wsclient 127.0.0.1 "$WSA_PORT" "$@"; }
metrics() { curl -s "http://127.0.0.1:$WSA_PORT/metrics"; }
metric() { metrics | awk -v m="$1" '$1 == m {print $2}'; }

# The handler: reports what its descriptors are, then writes the lines it
# is sent (one text message, one line) to METRICS_FD, one write each.
start_wsa -- bash -c '
	fd=$METRICS_FD
	flags=$(awk "/^flags/ {print \$2}" /proc/$$/fdinfo/$fd)
	pipes=
	for f in /proc/$$/fd/*; do
		case $(readlink "$f") in pipe:*) pipes="$pipes ${f##*/}";; esac
	done
	echo "fd=$fd nonblock=$(( (8#$flags & 04000) != 0 )) pipes:$pipes"
	while IFS= read -r line; do
		[ "$line" = end ] && break
		printf "%s\n" "$line" >&"$fd"
	done'
run ws /v1/ingest <<'EOF'
r 1
t ingest_frames_published_total 600
t ingest_frames_published_total 16
t ingest_frames_dropped_total{reason="backlog"} 3
t ingest_frame_delay_seconds_bucket{le="0.005"} 10
t ingest_frame_delay_seconds_bucket{le="+Inf"} 12
t ingest_frame_delay_seconds_sum 0.042
t ingest_frame_delay_seconds_count 12
t ingest_redis_backlog_frames 5
t end
w
EOF
# (That no other call's pipe reaches a handler: ws-accept.sh, descriptors per call.)
expect_match "the handler gets METRICS_FD=63, a non-blocking pipe" \
    "^text: fd=63 nonblock=1 pipes:.* 63( |$)" "$(sed -n 2p <<<"$out")"
expect "a counter is added up" 616 "$(metric ingest_frames_published_total)"
expect "labels are kept" 3 "$(metric 'ingest_frames_dropped_total{reason="backlog"}')"
run ws /v1/ingest <<'EOF'
r 1
t ingest_frames_published_total 100
t ingest_frame_delay_seconds_bucket{le="+Inf"} 3
t ingest_frame_delay_seconds_count 3
t bad-name 1
t ingest_x{le="1" 1
t ingest_x -1
t ingest_x NaN
t ingest_x{a="b\q"} 1
t ws_accept_active_calls 5
t ingest_x 1 2
t end
w
EOF
expect "a second call adds to the same totals" "716 15" \
    "$(metric ingest_frames_published_total) $(metric 'ingest_frame_delay_seconds_bucket{le="+Inf"}')"
expect "malformed lines and ws-accept's own names refused, counted" 7 \
    "$(metric 'ws_accept_metrics_lines_refused_total{reason="malformed"}')"
expect "no refused line reaches /metrics" "" "$(metrics | grep -E '^(bad|ingest_x)')"
m=$(metrics)
expect "a _total family is a counter" 1 "$(grep -c '^# TYPE ingest_frames_published_total counter$' <<<"$m")"
expect "_bucket/_sum/_count make one histogram" 1 "$(grep -c '^# TYPE ingest_frame_delay_seconds histogram$' <<<"$m")"
expect "anything else is untyped" 1 "$(grep -c '^# TYPE ingest_redis_backlog_frames untyped$' <<<"$m")"
expect_match "build info" '^ingest_build_info\{version="[^"]+"\} 1$' "$m"
expect "calls ended by reason" 2 "$(metric 'ws_accept_calls_ended_total{reason="normal"}')"
if command -v promtool >/dev/null; then
	printf '%s\n' "$m" >"$T/metrics.txt"
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1
	expect "promtool check metrics: clean" "0|" "$?|$(cat "$T/promtool.out")"
else
	fail "promtool check metrics" "promtool missing (make deps installs prometheus)"
fi

# The series cap: a handler cannot grow ws-accept without bound.
stop_wsa
start_wsa -- bash -c 'for i in $(seq 1 1010); do echo "ingest_many_total{i=\"$i\"} 1" >&"$METRICS_FD"; done; cat >/dev/null'
run ws /v1/ingest <<<$'s 500\nc 1000'
wait_for 10 sh -c "curl -s http://127.0.0.1:$WSA_PORT/metrics | grep -q 'reason=\"series_cap\"} [1-9]'"
expect "past 1000 series: refused and counted" "1000 10" \
    "$(metrics | grep -c '^ingest_many_total') $(metric 'ws_accept_metrics_lines_refused_total{reason="series_cap"}')"

# Failed calls by reason.
stop_wsa
start_wsa -- sh -c 'exit 111'
run ws /v1/ingest <<<'w'
expect "a handler exiting 111: ended handler_failed, status 111 counted" "1 1" \
    "$(metric 'ws_accept_calls_ended_total{reason="handler_failed"}') $(metric 'ws_accept_handler_exits_total{status="111"}')"
stop_wsa
