# SPDX-License-Identifier: Apache-2.0
# key public reads keys that OpenSSL made, in each PEM form it accepts:
# PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" / "RSA PUBLIC KEY".
need openssl
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null || fail "openssl genpkey ed25519"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem 2>/dev/null ||
	fail "openssl genpkey P-256"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem 2>/dev/null ||
	fail "openssl genpkey P-384"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null ||
	fail "openssl genpkey RSA"
openssl ec -in p256.pem -out sec1.pem 2>/dev/null || fail "openssl ec"
grep -q 'BEGIN EC PRIVATE KEY' sec1.pem || fail "openssl did not write SEC1"
openssl pkey -in rsa.pem -traditional -out pkcs1.pem 2>/dev/null || fail "openssl -traditional"
grep -q 'BEGIN RSA PRIVATE KEY' pkcs1.pem || fail "openssl did not write PKCS#1"
openssl rsa -in rsa.pem -RSAPublicKey_out -out pkcs1-pub.pem 2>/dev/null || fail "RSAPublicKey_out"
for k in ed p256 p384 rsa sec1 pkcs1 pkcs1-pub; do
	case $k in
	pkcs1-pub) openssl rsa -RSAPublicKey_in -in $k.pem -pubout -out $k.want 2>/dev/null ;;
	*) openssl pkey -in $k.pem -pubout -out $k.want ;;
	esac
	expect_exit 0 tg key public $k.pem
	expect_out $k.want
done
