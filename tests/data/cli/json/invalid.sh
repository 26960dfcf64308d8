# SPDX-License-Identifier: Apache-2.0
# Invalid JSON exits 2 with exactly one line 'FILE:LINE:COL: message' on
# stderr and nothing on stdout. Positions were computed by hand: lines and
# columns are 1-based, columns count bytes.
one_line() {
	[ "$(wc -l <"$ERR")" -eq 1 ] || fail "want exactly one line on stderr"
}
# line 3 is '  "b": [1, 2,],': the ']' after the trailing comma is byte 14
cp "$DATA/bad-comma.json" bad.json
expect_exit 2 tg json canon bad.json
expect_out /dev/null
expect_err_match '^bad\.json:3:14: '
one_line

# 'é' is two bytes, so 'x' in '["é", x]' is column 8
printf '["\303\251", x]' >utf8.json
expect_exit 2 tg json canon utf8.json
expect_err_match '^utf8\.json:1:8: '
one_line

# an unterminated string is reported where it starts (line 2, column 8)
printf '{\n  "a": "abc' >unterminated.json
expect_exit 2 tg json canon unterminated.json
expect_err_match '^unterminated\.json:2:8: '
one_line

# a raw newline inside a string is reported where it is (line 2, column 12)
printf '{\n  "a": "abc\n"}' >newline.json
expect_exit 2 tg json canon newline.json
expect_err_match '^newline\.json:2:12: '
one_line

# invalid UTF-8 inside a string (byte 0xff at column 3)
printf '["\377"]' >bad-utf8.json
expect_exit 2 tg json canon bad-utf8.json
expect_err_match '^bad-utf8\.json:1:3: '
one_line

# stdin is named '-'
printf '[1,\n\n  nul]' | expect_exit 2 tg json canon
expect_err_match '^-:3:3: '
one_line
