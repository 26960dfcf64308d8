# SPDX-License-Identifier: Apache-2.0
# digest agrees with sha256sum (coreutils) byte for byte, except for the
# "sha256:" prefix: small, empty and multi-megabyte files (the latter
# crosses the 1 MiB read chunk).
need sha256sum
printf 'hello, tollgate\n' >small.txt
: >empty.bin
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "line %07d of a large artifact\n", i }' >large.txt
for f in small.txt empty.bin large.txt; do
	expect_exit 0 tg digest "$f"
	expect_out_line "sha256:$(sha256sum "$f" | cut -d' ' -f1)  $f"
	[ -s "$ERR" ] && fail "unexpected stderr for $f"
done
# --alg sha256 is the default
expect_exit 0 tg digest --alg sha256 small.txt
expect_out_line "sha256:$(sha256sum small.txt | cut -d' ' -f1)  small.txt"
