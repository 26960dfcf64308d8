# SPDX-License-Identifier: Apache-2.0
# go-spiffe's X509-SVID leaf cases (../shared/testdata/spiffe, from
# go-spiffe v2 svid/x509svid/testdata): svid verify rejects every
# wrong-leaf-* with its reason and accepts good-leaf-only. go-spiffe uses
# them with x509svid.Parse, which checks the leaf rules without a chain;
# they are self-signed (all by one RSA key, issuer = subject) and expired
# since 2025, so the chain is checked against good-leaf-only.pem itself as
# the trust anchor, at a time when they were valid (--time 2021-01-01).
# @peculiar/x509 (x509-check.mjs --leaf-only) must agree on each verdict.
SPIFFE_DATA="${TG_TESTDATA:-}/spiffe"
if [ ! -f "$SPIFFE_DATA/good-leaf-only.pem" ]; then
	echo "SKIPPED: go-spiffe-leaves.sh needs $SPIFFE_DATA (../shared/testdata)" >&2
	exit 77
fi
. "$DATA/setup.inc"
at=2021-01-01T00:00:00Z
cp "$SPIFFE_DATA/good-leaf-only.pem" anchor.pem
v() { tg svid verify --bundle anchor.pem --time $at --x509 "$SPIFFE_DATA/$1"; }
expect_exit 0 v good-leaf-only.pem
expect_out_line "spiffe://example.org/workload-1"
expect_exit 0 x509check --leaf-only "$SPIFFE_DATA/good-leaf-only.pem"
reject() { # FILE REASON-REGEX
	expect_exit 1 v "$1"
	expect_err_match "^tollgate: X509-SVID rejected: .*($2)"
	expect_exit 1 x509check --leaf-only "$SPIFFE_DATA/$1"
}
reject wrong-leaf-ca-true.pem 'leaf is a CA'
reject wrong-leaf-cert-sign.pem 'leaf key usage has keyCertSign'
reject wrong-leaf-crl-sign.pem 'leaf key usage has cRLSign'
reject wrong-leaf-empty-id.pem 'leaf has no URI SAN'
reject wrong-leaf-no-digital-signature.pem 'leaf key usage lacks digitalSignature'
# every wrong-leaf file is covered
for f in "$SPIFFE_DATA"/wrong-leaf-*.pem; do
	case $(basename "$f") in
	wrong-leaf-ca-true.pem | wrong-leaf-cert-sign.pem | wrong-leaf-crl-sign.pem | \
		wrong-leaf-empty-id.pem | wrong-leaf-no-digital-signature.pem) ;;
	*) fail "no expectation for $(basename "$f")" ;;
	esac
done
# today they are expired: the good leaf is refused without --time
expect_exit 1 tg svid verify --bundle anchor.pem --x509 "$SPIFFE_DATA/good-leaf-only.pem"
expect_err_match 'rejected: .*certificate has expired'
