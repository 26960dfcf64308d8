# SPDX-License-Identifier: Apache-2.0
# Data after the JSON value is rejected at its first byte; trailing
# whitespace is not data.
printf '{"a":1} {"b":2}' >two.json
expect_exit 2 tg json canon two.json
expect_out /dev/null
expect_err_match '^two\.json:1:9: '
printf '[1]\n\n  x\n' >junk.json
expect_exit 2 tg json canon junk.json
expect_err_match '^junk\.json:3:3: '
printf ' \t[1] \r\n\n' >ws.json
expect_exit 0 tg json canon ws.json
expect_out_line '[1]'
