# SPDX-License-Identifier: Apache-2.0
# json canon on the examples of RFC 8785: 3.2.2 (whitespace, literals,
# string escapes, numbers), 3.2.3 (key order by UTF-16 code units) and
# Appendix B (ECMAScript number serialisation). The .want files are the
# RFC's outputs followed by the one newline the command adds.
for ex in rfc8785-example rfc8785-sort rfc8785-numbers; do
	expect_exit 0 tg json canon "$DATA/$ex.json"
	expect_out "$DATA/$ex.want"
	[ -s "$ERR" ] && fail "$ex: unexpected stderr"
done
# the canonical form is a fixed point
tg json canon "$DATA/rfc8785-example.json" | head -c -1 >once.json
expect_exit 0 tg json canon once.json
expect_out "$DATA/rfc8785-example.want"
