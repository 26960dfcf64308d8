# SPDX-License-Identifier: Apache-2.0
# svid verify prints the SPIFFE ID of a valid X509-SVID or JWT-SVID, with a
# SPIFFE bundle, PEM roots or the CA directory as trust; it exits 1 with the
# reason for another trust domain's CA, a wrong audience, a pinned trust
# domain the SVID is not in, an expired SVID (--time), a leaf without its
# intermediate, a tampered token and input that is not an SVID.
need python3
. "$DATA/setup.inc"
ca_init
ca_init other example.org
tg entry create --dir ca --spiffe-id spiffe://example.org/svc --selector join:label:s >/dev/null
jt=$(tg jointoken create --dir ca --label s 2>/dev/null)
tg attest --dir ca --join-token "$jt" --x509-out s --jwt-aud api >s.jwt || fail "attest"
tok=$(cat s.jwt)
tg bundle export --dir ca >bundle.json
tg bundle export --dir ca --format pem >roots.pem
tg bundle export --dir other >other.json
for b in bundle.json roots.pem; do
	expect_exit 0 tg svid verify --bundle $b --x509 s/svid.pem
	expect_out_line "spiffe://example.org/svc"
done
expect_exit 0 tg svid verify --dir ca --x509 s/svid.pem
expect_out_line "spiffe://example.org/svc"
expect_exit 0 sh -c "'$TG_BIN' svid verify --bundle bundle.json --x509 - <s/svid.pem"
expect_out_line "spiffe://example.org/svc"
expect_exit 0 tg svid verify --bundle bundle.json --jwt "$tok" --aud api
expect_out_line "spiffe://example.org/svc"
expect_exit 0 tg svid verify --dir ca --jwt "$tok" --aud api
expect_exit 0 sh -c "'$TG_BIN' svid verify --bundle bundle.json --jwt - --aud api <s.jwt"
expect_exit 0 tg svid verify --bundle bundle.json --trust-domain example.org --jwt "$tok" --aud api
# rejections, each with its reason
expect_exit 1 tg svid verify --bundle other.json --x509 s/svid.pem
expect_err_match "^tollgate: X509-SVID rejected: .*does not chain to the bundle of 'example\.org'"
expect_out /dev/null
expect_exit 1 tg svid verify --bundle other.json --jwt "$tok" --aud api
expect_err_match '^tollgate: JWT-SVID rejected: .*is not a JWT authority'
expect_exit 1 tg svid verify --bundle bundle.json --jwt "$tok" --aud other
expect_err_match "^tollgate: JWT-SVID rejected: .*audience 'other' is not"
expect_exit 1 tg svid verify --bundle bundle.json --trust-domain example.com --x509 s/svid.pem
expect_err_match "rejected: no trust bundle for trust domain 'example\.org'"
expect_exit 1 tg svid verify --bundle bundle.json --x509 s/svid.pem --time 2099-01-01T00:00:00Z
expect_err_match 'rejected: .*certificate has expired'
expect_exit 1 tg svid verify --bundle bundle.json --jwt "$tok" --aud api --time 2099-01-01T00:00:00Z
expect_err_match 'rejected: .*token expired'
awk '/BEGIN/{n++} n==1' s/svid.pem >leaf.pem
expect_exit 1 tg svid verify --bundle bundle.json --x509 leaf.pem
expect_err_match 'rejected: .*unable to get local issuer certificate'
# another audience written into the claims breaks the signature
bad=$(python3 - "$tok" <<'PY'
import base64, json, sys
h, p, s = sys.argv[1].split(".")
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
c["aud"] = "other"
print(h + "." + base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("=") + "." + s)
PY
)
expect_exit 1 tg svid verify --bundle bundle.json --jwt "$bad" --aud other
expect_err_match '^tollgate: JWT-SVID rejected: .*signature'
expect_exit 1 tg svid verify --bundle bundle.json --jwt not.a.token --aud api
expect_err_match '^tollgate: JWT-SVID rejected: '
printf 'not a certificate\n' >junk.pem
expect_exit 1 tg svid verify --bundle bundle.json --x509 junk.pem
expect_err_match '^tollgate: X509-SVID rejected: no PEM block'
# the CA's root itself is no SVID
expect_exit 1 tg svid verify --bundle bundle.json --x509 ca/root.pem
expect_err_match 'rejected: .*has no path'
