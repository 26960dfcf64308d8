# SPDX-License-Identifier: Apache-2.0
# Several files: one line each, in the order given (repeats included).
need sha256sum
printf 'a' >a
printf 'b' >b
mkdir sub
printf 'c' >'sub/with space'
expect_exit 0 tg digest a b 'sub/with space' a
sha256sum a b 'sub/with space' a | sed 's/^/sha256:/' >want
expect_out want
