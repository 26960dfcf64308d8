# SPDX-License-Identifier: Apache-2.0
# The X509-SVIDs of `attest --x509-out` pass two independent checks: the
# SPIFFE leaf and signing-certificate rules and the chain's signatures and
# validity by @peculiar/x509 (tests/interop/x509-check.mjs, also matching
# svid.key to the leaf), and `openssl verify` of leaf + intermediate against
# bundle.pem for TLS client and server use; for P-256 and P-384 CAs and
# across `ca rotate`.
need openssl
. "$DATA/setup.inc"
check() { # DIR ID
	expect_exit 0 x509check "$1/svid.pem" "$1/bundle.pem" --id "$2" --key "$1/svid.key"
	expect_out_match "^ok $2 \(path of 3\)$"
	awk '/BEGIN/{n++} n==1' "$1/svid.pem" >"$1/leaf.pem"
	awk '/BEGIN/{n++} n>=2' "$1/svid.pem" >"$1/inter.pem"
	for purpose in sslclient sslserver; do
		expect_exit 0 openssl verify -purpose $purpose -x509_strict -CAfile "$1/bundle.pem" \
			-untrusted "$1/inter.pem" "$1/leaf.pem"
		expect_out_match ': OK$'
	done
	# without the intermediate there is no path
	expect_exit 2 openssl verify -CAfile "$1/bundle.pem" "$1/leaf.pem"
}
for kt in ecdsa-p256 ecdsa-p384; do
	rm -rf ca
	ca_init ca example.org $kt
	tg entry create --dir ca --spiffe-id spiffe://example.org/ns/ci/sa/build \
		--selector join:label:b >/dev/null || fail "entry create"
	jt=$(tg jointoken create --dir ca --label b 2>/dev/null)
	tg attest --dir ca --join-token "$jt" --x509-out $kt >/dev/null || fail "attest $kt"
	check $kt spiffe://example.org/ns/ci/sa/build
done
tg ca rotate --dir ca >/dev/null || fail "ca rotate"
jt=$(tg jointoken create --dir ca --label b 2>/dev/null)
tg attest --dir ca --join-token "$jt" --x509-out rotated >/dev/null || fail "attest rotated"
check rotated spiffe://example.org/ns/ci/sa/build
cmp -s rotated/inter.pem ecdsa-p384/inter.pem && fail "rotation kept the old intermediate"
# the checker itself fails a chain that is not an SVID: the root as leaf
expect_exit 1 x509check ca/root.pem ca/root.pem
expect_out_match '^fail: '
true
