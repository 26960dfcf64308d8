# SPDX-License-Identifier: Apache-2.0
# json canon reads standard input when FILE is '-' or absent, and '--'
# ends the options (so a file may be called '--strict').
expect_exit 0 tg json canon <"$DATA/rfc8785-example.json"
expect_out "$DATA/rfc8785-example.want"
expect_exit 0 tg json canon - <"$DATA/rfc8785-example.json"
expect_out "$DATA/rfc8785-example.want"
cat "$DATA/rfc8785-sort.json" | expect_exit 0 tg json canon
expect_out "$DATA/rfc8785-sort.want"
cp "$DATA/rfc8785-sort.json" ./--strict
expect_exit 0 tg json canon -- --strict
expect_out "$DATA/rfc8785-sort.want"
