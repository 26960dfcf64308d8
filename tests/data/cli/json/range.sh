# SPDX-License-Identifier: Apache-2.0
# RFC 8785 3.2.2.3: a number outside the IEEE 754 double range has no
# canonical form. Exit 2, naming the number and where it is.
printf '{"ok": 1e308,\n "big": [1, -2e400]}' >big.json
expect_exit 2 tg json canon big.json
expect_out /dev/null
expect_err_match '^big\.json:2:13: .*-2e400.*(range|IEEE)'
# underflow is not an error: it rounds to 0 (and 1e308 is in range)
printf '[1e-400, 1e308]' >small.json
expect_exit 0 tg json canon small.json
expect_out_line '[0,1e+308]'
