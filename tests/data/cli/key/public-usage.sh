# SPDX-License-Identifier: Apache-2.0
# key public: missing or unreadable FILE, input that holds no key, and bad
# flags exit 2 with a message naming the file; key bytes are never echoed.
expect_exit 2 tg key public
expect_err_match "^tollgate key public: missing FILE"
expect_exit 2 tg key public nope.pem
expect_out /dev/null
expect_err_line "tollgate: cannot open 'nope.pem': No such file or directory"
expect_exit 2 tg key public --format der "$DATA/rfc8037-ed25519.pem"
expect_err_match "^tollgate key public: unknown format 'der' \(pem, jwk\)$"
expect_exit 2 tg key public "$DATA/rfc8037-ed25519.pem" "$DATA/rfc8037-ed25519.pem"
expect_err_match "too many arguments"
printf 'not a key\n' >garbage.pem
expect_exit 2 tg key public garbage.pem
expect_out /dev/null
expect_err_match "^tollgate: cannot load key 'garbage\.pem': "
: >empty.pem
expect_exit 2 tg key public empty.pem
expect_err_match "^tollgate: cannot load key 'empty\.pem': "
expect_exit 2 tg key public - </dev/null
expect_err_match "^tollgate: cannot load key '-': "
mkdir dir
expect_exit 2 tg key public dir
expect_err_match "^tollgate: cannot read 'dir': Is a directory$"
# a well-framed PEM whose DER is not a key: rejected, its bytes not echoed
printf -- '-----BEGIN PRIVATE KEY-----\nU2VjcmV0U2VjcmV0U2VjcmV0U2VjcmV0\n-----END PRIVATE KEY-----\n' >bad.pem
expect_exit 2 tg key public bad.pem
expect_err_match "^tollgate: cannot load key 'bad\.pem': "
grep -q 'U2VjcmV0' "$ERR" && fail "key bytes echoed in the error"
# key files are read whole up to 16 MiB (TG_LIMIT_SMALL_FILE), no further
head -c 17000000 /dev/zero >huge.pem
expect_exit 2 tg key public huge.pem
expect_err_line "tollgate: cannot read 'huge.pem': larger than the limit of 16777216 bytes"
expect_exit 2 tg key public - <huge.pem
expect_err_line "tollgate: cannot read standard input: larger than the limit of 16777216 bytes"
# a certificate is not a key
printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' >cert.pem
expect_exit 2 tg key public cert.pem
expect_err_match "^tollgate: cannot load key 'cert\.pem': "
true
