# The service's settings are one list: the keys of .env.example.
# ingest-env is built from it (it warns about any other key in .env.local),
# every setting a tool reads is in it, and the man pages name them.
source "$(dirname "$0")/lib.sh"

example=$(sed -n 's/^#\{0,1\}\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$TOP/.env.example" | sort -u)
expect "ingest-env knows exactly the keys of .env.example (make rebuilt it)" \
    "$example" "$(ingest-env -l | sort)"

# The names a tool reads from the environment: env_get("X"), getenv("X"),
# setting_int/str/bool(..., "X", ...).  Printed as "tool NAME".
reads() {
	local f t
	for f in "$TOP"/tools/*/*.c "$TOP"/lib/*.c; do
		t=$(basename "$(dirname "$f")")
		{ grep -oE '(env_get|getenv)\("[A-Z][A-Z0-9_]*"\)' "$f"
		  tr '\n' ' ' <"$f" | grep -oE 'setting_(int|str|bool)\([^;]*;' |
		      grep -oE '"[A-Z][A-Z0-9_]+"'
		} | grep -oE '"[A-Z][A-Z0-9_]+"' | tr -d '"' | sed "s/^/$t /"
	done | sort -u
}
# Not settings of the service: per-call context (set by ws-accept or
# exotel-decode for each call), what the chain hands on (PATH, the env
# file's own name, the metrics descriptor), and the client tools' own.
context=' CALL_ID INTERACTION_ID TENANT_ID SAMPLE_RATE QUERY_STRING RESAMPLE_RATE PUB_SAMPLE_RATE
WS_ACCEPT_ANNOUNCE METRICS_FD PATH INGEST_ENV_FILE PROTOCOL STREAM_SID CALL_SID TRACK ENCODING '
clients=' exotel-replay redis-rec '
missing=$(reads | while read -r t v; do
	case $clients in *" $t "*) continue ;; esac
	case $context in *[[:space:]]"$v"[[:space:]]*) continue ;; esac
	grep -qx "$v" <<<"$example" || printf '%s:%s ' "$t" "$v"
done)
expect "every setting a tool of the service reads is in .env.example" "" "$missing"

unlisted=$(for v in $example; do
	grep -qE "(^|[ .])Ev $v\b" "$TOP/man/ingest.1" || printf '%s ' "$v"
done)
expect "man/ingest.1 names every key of .env.example" "" "$unlisted"

# Each tool's man page names, in .Ev, the settings that tool reads.
undocumented=$(reads | while read -r t v; do
	[ -f "$TOP/man/$t.1" ] || continue
	[ "$t" = lib ] && continue
	case $context in *[[:space:]]"$v"[[:space:]]*) continue ;; esac
	grep -qE "(^|[ .])Ev $v\b" "$TOP/man/$t.1" || printf '%s:%s ' "$t" "$v"
done)
expect "each tool's man page names the variables it reads" "" "$undocumented"

# The defaults of .env.example are defaults every tool accepts (ingest -n).
sed -n 's/^#\([A-Z_]*=\)/\1/p' "$TOP/.env.example" >"$T/defaults.env"
mkdir -p "$T/wd"
run sh -c "cd '$T/wd' && REDIS_URL=redis://127.0.0.1:1 ingest -f '$T/defaults.env' -n"
expect "the documented defaults pass every tool's check, no key unknown" \
    "0|" "$rc|$(grep -E 'unknown setting|fatal' <<<"$err")"

# A check ingest-check runs (a tool's -n, found in its --help) is one its
# man page describes.
nodoc=$(for m in "$TOP"/man/*.1; do
	t=$(basename "$m" .1)
	command -v "$t" >/dev/null || continue
	"$t" --help 2>/dev/null | grep -q '^ *-n ' || continue
	grep -q '^\.It Fl n$' "$m" || grep -q '^\.Fl n$' "$m" || printf '%s ' "$t"
done)
expect "every tool with a -n in its --help describes it in its man page" "" "$nodoc"
