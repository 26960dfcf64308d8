# SPDX-License-Identifier: Apache-2.0
# --alg sha384 and sha512 agree with 'openssl dgst' and sha512sum.
need openssl sha512sum
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "%d\n", i * i }' >art.txt
expect_exit 0 tg digest --alg sha384 art.txt
want=$(openssl dgst -sha384 -r art.txt | cut -d' ' -f1)
expect_out_line "sha384:$want  art.txt"
expect_exit 0 tg digest --alg sha512 art.txt
expect_out_line "sha512:$(sha512sum art.txt | cut -d' ' -f1)  art.txt"
expect_exit 0 tg digest -a sha512 art.txt
expect_out_line "sha512:$(openssl dgst -sha512 -r art.txt | cut -d' ' -f1)  art.txt"
