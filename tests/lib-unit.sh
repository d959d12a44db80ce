# Shared library (lib/): unit cases, and mu-law against sox's own decoder.
source "$(dirname "$0")/lib.sh"

lib-unit

# All 256 mu-law codes, decoded by us and by sox: byte-identical.
i=0; while [ $i -lt 256 ]; do printf "\\$(printf %03o $i)"; i=$((i + 1)); done >"$T/all.ul"
sox -t ul -r 8000 -c 1 "$T/all.ul" -t s16 -e signed -L "$T/sox.pcm" 2>"$T/sox.err"
lib-unit mulaw-table >"$T/ours.pcm"
if cmp -s "$T/sox.pcm" "$T/ours.pcm"; then
	pass "mulaw decode identical to sox for all 256 codes"
else
	fail "mulaw decode identical to sox for all 256 codes" "$(cmp "$T/sox.pcm" "$T/ours.pcm" 2>&1)"
fi
