# lib/setting: one boolean table, option over environment over default,
# bounded numbers, --help and --version (through lib-unit's setting cases).
. "$(dirname "$0")/lib.sh"

for v in true TRUE yes On 1 ' on '; do
	run lib-unit bool "$v"
	expect "bool '$v' is true" "1" "$out"
done
for v in false No OFF 0; do
	run lib-unit bool "$v"
	expect "bool '$v' is false" "0" "$out"
done
for v in '' maybe 2 tru; do
	run lib-unit bool "$v"
	expect "bool '$v' is refused" "-1" "$out"
done

run env PORT=99 lib-unit setting-int 7
expect "option wins over the environment" "7" "$out"
run env PORT=99 lib-unit setting-int
expect "environment wins over the default" "99" "$out"
run env PORT= lib-unit setting-int
expect "an empty variable is unset" "8443" "$out"
run env PORT=70000 lib-unit setting-int
expect "a number out of range is a usage error" 100 "$rc"
expect_match "the message names the variable" "invalid PORT: 70000 \(want an integer from 0 to 65535\)" "$err"
run env PORT=1 lib-unit setting-int x
expect_match "the message names the option" "invalid -p: x" "$err"
run env FLAG=sometimes lib-unit setting-bool
expect "a bad boolean is a usage error" 100 "$rc"
expect_match "the message lists the spellings" "invalid FLAG: sometimes \(want true, yes, on, 1 or false, no, off, 0\)" "$err"

# logsafe: the word form and the line form of one value from a caller.
run lib-unit logsafe $'a b\n"c"=d\\\033[31m\xc3\xa9'
expect "logsafe escapes what could split a word or a line" \
    'a\x20b\x0a\x22c\x22\x3dd\x5c\x1b[31m\xc3\xa9|a b\x0a"c"=d\x5c\x1b[31m\xc3\xa9' "$out"
run lib-unit logsafe ''
expect "logsafe: an empty value is -" '-|-' "$out"
