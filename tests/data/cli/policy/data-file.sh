# SPDX-License-Identifier: Apache-2.0
# policy eval -d x.json: data files larger than the parser's 4 MiB release
# step are parsed from a mapping with repeated values shared; results are
# checked against counts awk makes while writing the file, errors past the
# released pages keep their line and column, directories nest the data.
awk 'BEGIN {
	printf "{\"inv\": {\"items\": [\n"
	high = 0
	for (i = 0; i < 60000; i++) {
		sev = (i % 7 == 0) ? "HIGH" : "LOW"
		if (sev == "HIGH") high++
		printf "%s{\"name\": \"item-%d\", \"sev\": \"%s\", \"tags\": [\"a\", \"b\"], \"n\": %d, \"res\": {\"cpu\": \"500m\", \"mem\": \"%dMi\"}, \"pad\": \"%s\"}\n", (i ? "," : ""), i, sev, i % 5, 64 * (i % 3 + 1), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	}
	printf "]}}\n"
	print high >"high.txt"
}' >big.json
[ "$(wc -c <big.json)" -gt 9000000 ] || fail "big.json is too small to cross two release steps"
high=$(cat high.txt)
expect_exit 0 tg policy eval -d big.json 'count([x | some x in data.inv.items; x.sev == "HIGH"])'
expect_out_match "\"value\": $high,"
expect_exit 0 tg policy eval -d big.json 'count(data.inv.items)'
expect_out_match '"value": 60000,'
# shared values stay distinct values: the last item and a lookup by value
expect_exit 0 tg policy eval -d big.json 'x := data.inv.items[59999]'
expect_out_match '"name": "item-59999"'
expect_out_match '"mem": "192Mi"'
expect_exit 0 tg policy eval -d big.json 'count({x.res | some x in data.inv.items})'
expect_out_match '"value": 3,'
# a syntax error past the released pages: line 60002, column 9
sed '$d' big.json >bad.json
printf ',\n  {"n": tru}]}}\n' >>bad.json
expect_exit 2 tg policy eval -d bad.json 'count(data.inv.items)'
expect_out_match '"code": "rego_parse_error"'
expect_out_match '"row": 60003'
expect_out_match '"col": 9'
# a file in a directory is nested by its path, as before
mkdir -p dd/a/b
cp big.json dd/a/b/x.json
expect_exit 0 tg policy eval -d dd 'count(data.a.b.inv.items)'
expect_out_match '"value": 60000,'
# an empty file is a parse error (as it was when files were read whole);
# a non-object is an error
: >empty.json
expect_exit 2 tg policy eval -d empty.json 'count(data)'
expect_out_match 'empty.json: unexpected end of input'
printf '[1]' >arr.json
expect_exit 2 tg policy eval -d arr.json 'count(data)'
expect_out_match 'a data document must be an object'
