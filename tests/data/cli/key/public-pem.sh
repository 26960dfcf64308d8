# SPDX-License-Identifier: Apache-2.0
# key public prints the SPKI PEM of a key, byte for byte what
# 'openssl pkey -pubout' prints, from a file, from '-' and from a public
# key file; OpenSSL reads the result back (interop).
need openssl
for t in ed25519 ecdsa-p256 ecdsa-p384 rsa-3072; do
	expect_exit 0 tg key generate --type $t --out $t.pem
	openssl pkey -in $t.pem -pubout -out $t.want || fail "openssl pkey -pubout"
	expect_exit 0 tg key public $t.pem
	expect_out $t.want
	[ -s "$ERR" ] && fail "unexpected stderr"
	cp "$OUT" $t.pub
	expect_exit 0 openssl pkey -pubin -in $t.pub -noout
	expect_exit 0 tg key public --format pem $t.pem
	expect_out $t.want
	expect_exit 0 tg key public - <$t.pem
	expect_out $t.want
	expect_exit 0 tg key public $t.pub
	expect_out $t.want
	# nothing of the private key leaks: the output is one PUBLIC KEY block
	grep -q PRIVATE "$OUT" && fail "private key material in the output"
done
true
