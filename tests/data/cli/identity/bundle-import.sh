# SPDX-License-Identifier: Apache-2.0
# Federation: the bundle of trust domain partner.org, imported into the CA
# of example.org (SPIFFE JSON or PEM, from a file or stdin), makes `svid
# verify --dir` accept partner.org's SVIDs, and `bundle export
# --trust-domain` prints it. A newer bundle replaces it, an older one (lower
# spiffe_sequence) is refused, as are the own trust domain and an empty or
# broken file; a bundle stored under another name vouches for nothing.
need python3
. "$DATA/setup.inc"
ca_init ca example.org
ca_init partner partner.org
tg entry create --dir partner --spiffe-id spiffe://partner.org/deployer \
	--selector join:label:d >/dev/null || fail "entry create"
jt=$(tg jointoken create --dir partner --label d 2>/dev/null) || fail "jointoken"
tg attest --dir partner --join-token "$jt" --x509-out svid --jwt-aud example >p.jwt ||
	fail "attest at partner"
# before federation: no bundle for partner.org
expect_exit 1 tg svid verify --dir ca --x509 svid/svid.pem
expect_err_match "partner\.org"
tg bundle export --dir partner >partner.json
expect_exit 0 tg bundle import --dir ca --trust-domain partner.org partner.json
expect_out_line "partner.org: 1 X.509 authorities, 1 JWT authorities"
expect_exit 0 tg svid verify --dir ca --x509 svid/svid.pem
expect_out_line "spiffe://partner.org/deployer"
expect_exit 0 tg svid verify --dir ca --jwt "$(cat p.jwt)" --aud example
expect_out_line "spiffe://partner.org/deployer"
expect_exit 0 tg bundle export --dir ca --trust-domain partner.org
python3 "$DATA/check_bundle.py" "$OUT" partner/root.pem 1 >/dev/null || fail "re-export"
# the own bundle is unchanged by the import
expect_exit 0 tg bundle export --dir ca
python3 "$DATA/check_bundle.py" "$OUT" ca/root.pem 1 >/dev/null || fail "own bundle"
# PEM from stdin, into another CA: X.509 authorities only, so partner.org's
# X509-SVIDs verify there and its JWT-SVIDs do not
ca_init ca2 example.net
tg bundle export --dir partner --format pem >partner.pem
expect_exit 0 sh -c "'$TG_BIN' bundle import --dir ca2 --trust-domain partner.org - <partner.pem"
expect_out_line "partner.org: 1 X.509 authorities, 0 JWT authorities"
expect_exit 0 tg svid verify --dir ca2 --x509 svid/svid.pem
expect_exit 1 tg svid verify --dir ca2 --jwt "$(cat p.jwt)" --aud example
# a newer bundle of partner.org (after its rotation) replaces the stored
# one; the older one cannot come back (SPIFFE bundle 4.1.1 sequence)
tg ca rotate --dir partner >/dev/null || fail "ca rotate"
tg bundle export --dir partner >partner-new.json
expect_exit 0 tg bundle import --dir ca --trust-domain partner.org partner-new.json
expect_out_line "partner.org: 1 X.509 authorities, 2 JWT authorities"
expect_exit 2 tg bundle import --dir ca --trust-domain partner.org partner.json
expect_err_match "sequence"
expect_exit 2 tg bundle import --dir ca --trust-domain partner.org partner.pem
expect_exit 0 tg svid verify --dir ca --jwt "$(cat p.jwt)" --aud example
# refusals
expect_exit 2 tg bundle import --dir ca --trust-domain example.org partner.json
expect_err_match "own trust domain"
: >empty
expect_exit 2 tg bundle import --dir ca --trust-domain x.org empty
expect_err_match "^tollgate: cannot read bundle 'empty'"
printf '{"keys":[{"kty":"EC","use":"x509-svid"' >broken.json
expect_exit 2 tg bundle import --dir ca --trust-domain x.org broken.json
expect_err_match "^tollgate: cannot read bundle 'broken\.json'"
expect_exit 2 tg bundle import --dir ca --trust-domain 'Bad_TD!' partner.json
expect_err_match "invalid trust domain"
expect_exit 2 tg bundle import --dir ca --trust-domain x.org
expect_err_match "missing FILE"
expect_exit 2 tg bundle import --dir ca partner.json
expect_err_match "missing --trust-domain TD"
expect_exit 2 tg bundle import --dir ca --trust-domain x.org nosuch.json
expect_err_match "nosuch\.json"
# a bundle imported for the wrong name does not vouch for partner.org
ca_init third third.org
tg bundle export --dir partner >p2.json
expect_exit 0 tg bundle import --dir third --trust-domain elsewhere.org p2.json
expect_exit 1 tg svid verify --dir third --x509 svid/svid.pem
