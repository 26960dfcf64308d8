# SPDX-License-Identifier: Apache-2.0
# FIPS 180-2 / NIST CSRC example vectors for "abc" and the empty string,
# independent of any local tool.
printf 'abc' >abc
: >empty
expect_exit 0 tg digest abc empty
cat >want <<'W'
sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  abc
sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty
W
expect_out want
expect_exit 0 tg digest --alg sha384 abc
expect_out_line 'sha384:cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7  abc'
expect_exit 0 tg digest --alg sha512 abc
expect_out_line 'sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f  abc'
