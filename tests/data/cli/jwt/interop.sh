# SPDX-License-Identifier: Apache-2.0
# What jwt sign emits verifies with OpenSSL over the JWS signing input
# (RFC 7515 5.1): EdDSA, ES256/ES384 (r||s converted to DER), PS256 (salt =
# hash length, RFC 7518 3.5) and RS256.
need openssl python3
. "$DATA/setup.inc"
claims claims.json
check() { # TYPE ALG OPENSSL-ARGS...
	type=$1 alg=$2
	shift 2
	case $type in
	p256) kt=ecdsa-p256 ;;
	p384) kt=ecdsa-p384 ;;
	rsa) kt=rsa-2048 ;;
	*) kt=$type ;;
	esac
	[ -f $type.pem ] || make_key $type $kt
	tg jwt sign --key $type.pem --alg $alg --claims claims.json >t.jwt || fail "$alg: sign"
	python3 "$DATA/jwt_split.py" t.jwt alg=$alg || fail "$alg: header"
	expect_exit 0 "$@"
	expect_out_match 'Verified OK|Signature Verified Successfully'
}
check ed25519 EdDSA openssl pkeyutl -verify -pubin -inkey ed25519.pub -rawin -in input -sigfile sig.raw
check p256 ES256 openssl dgst -sha256 -verify p256.pub -signature sig.der input
check p384 ES384 openssl dgst -sha384 -verify p384.pub -signature sig.der input
check rsa PS256 openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
	-verify rsa.pub -signature sig.raw input
check rsa RS256 openssl dgst -sha256 -verify rsa.pub -signature sig.raw input
