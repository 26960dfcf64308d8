# SPDX-License-Identifier: Apache-2.0
# '-' digests standard input and is named '-', as in sha256sum.
need sha256sum
printf 'from a pipe\n' >in.txt
cat in.txt | expect_exit 0 tg digest -
expect_out_line "sha256:$(sha256sum <in.txt | cut -d' ' -f1)  -"
expect_exit 0 tg digest --alg sha512 - <in.txt
expect_out_match '^sha512:[0-9a-f]{128}  -$'
