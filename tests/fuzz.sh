# fuzz: each libFuzzer target in fuzz/ builds (clang, ASan, UBSan), replays
# its seed corpus and fuzzes briefly without a crash.  `make fuzz` runs
# them for longer (FUZZ_SECONDS).  FUZZ_TEST_SECONDS bounds the total here.
source "$(dirname "$0")/lib.sh"

names=$(cd "$TOP/fuzz" && ls *.c | sed 's/\.c$//')
n=$(echo "$names" | wc -w)
total=${FUZZ_TEST_SECONDS:-10}
each=$(( total / n > 0 ? total / n : 1 ))

run make -s -C "$TOP" fuzz-build
expect "fuzz targets build" 0 "$rc"
for f in $names; do
	[ -d "$TOP/fuzz/corpus/$f" ] && [ -n "$(ls "$TOP/fuzz/corpus/$f")" ]
	expect "$f: has a seed corpus" 0 "$?"
	mkdir -p "$T/$f"
	"$TOP/fuzz/bin/$f" -max_total_time="$each" -timeout=10 -artifact_prefix="$T/$f-" \
	    "$T/$f" "$TOP/fuzz/corpus/$f" >"$T/$f.log" 2>&1
	rc=$?
	expect "$f: $each s of fuzzing without a crash" 0 "$rc"
	[ "$rc" = 0 ] || tail -30 "$T/$f.log"
done
