# SPDX-License-Identifier: Apache-2.0
# A pipeline with only the tollgate binary and tollgated: attest with a CI
# OIDC token (X509-SVID files checked by openssl, JWT-SVIDs), replayed and
# expired tokens refused, keyless signing via --server with the OIDC token
# and with the X509-SVID over mTLS, each bundle verified offline by
# `tollgate verify` against DIR/trusted_root.json and its timestamp by
# `openssl ts -verify`; the metrics count what was issued.
. "$DATA/setup.inc"
start_server
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main \
	>/dev/null || fail "entry create"
S="--server $URL --ca-file srv/ca.pem"

# attest: X509-SVID
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t1 --x509-out out
expect_out_line "spiffe://tollgate.test/ci/acme/app"
[ "$(stat -c %a out/svid.key)" = 600 ] || fail "svid.key mode"
awk '/BEGIN/{n++} n==1' out/svid.pem >leaf.pem
awk '/BEGIN/{n++} n>=2' out/svid.pem >inter.pem
expect_exit 0 openssl verify -CAfile srv/ca.pem -untrusted inter.pem leaf.pem
openssl x509 -in leaf.pem -noout -text | grep -q 'URI:spiffe://tollgate.test/ci/acme/app' ||
	fail "leaf SPIFFE ID"
[ "$(openssl pkey -in out/svid.key -pubout)" = "$(openssl x509 -in leaf.pem -noout -pubkey)" ] ||
	fail "svid.key does not match the leaf"
cmp -s out/bundle.pem srv/ca.pem || fail "bundle.pem is not the root"
expect_exit 0 tg svid verify --dir srv/ca --x509 out/svid.pem
expect_out_line "spiffe://tollgate.test/ci/acme/app"
# the same token again: replayed
# shellcheck disable=SC2086
expect_exit 1 tg attest $S --oidc-token t1 --x509-out out2
expect_err_match 'replay'
# expired
gh_token t2 '"exp": '$((NOW - 120))', "iat": '$((NOW - 700))', "nbf": '$((NOW - 700))
# shellcheck disable=SC2086
expect_exit 1 tg attest $S --oidc-token t2 --x509-out out2
expect_err_match 'server answered 401'
[ -e out2 ] && fail "files written for a refused token"
# signed by another key
tg key generate --type ecdsa-p256 --out rogue.pem || fail "rogue key"
gh_token t3
tg jwt sign --key rogue.pem --claims t3.claims >t3 || fail "rogue sign"
# shellcheck disable=SC2086
expect_exit 1 tg attest $S --oidc-token t3
# JWT-SVIDs for two audiences
gh_token t4
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t4 --jwt-aud db --jwt-aud vault
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "want two JWT-SVIDs"
head -n1 "$OUT" >jwt-db
expect_exit 0 tg svid verify --dir srv/ca --jwt "$(cat jwt-db)" --aud db
expect_out_line "spiffe://tollgate.test/ci/acme/app"
expect_exit 1 tg svid verify --dir srv/ca --jwt "$(cat jwt-db)" --aud vault
python3 - jwt-db <<'PY' || fail "JWT-SVID claims"
import base64, json, sys
t = open(sys.argv[1]).read().strip().split(".")
c = json.loads(base64.urlsafe_b64decode(t[1] + "=" * (-len(t[1]) % 4)))
assert c["sub"] == "spiffe://tollgate.test/ci/acme/app" and c["aud"] == "db", c
PY

# sign via the server with the OIDC token; verify offline
printf 'release artifact\n' >app.tar
gh_token t5
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t5 --bundle app.json
expect_exit 0 tg verify app.tar --bundle app.json --trusted-root srv/trusted_root.json \
	--identity "$GH_SAN" --issuer "$GH_ISS"
expect_out_match "^verified: app.tar signed by $GH_SAN"
printf 'tampered\n' >bad.tar
expect_exit 1 tg verify bad.tar --bundle app.json --trusted-root srv/trusted_root.json \
	--identity "$GH_SAN" --issuer "$GH_ISS"
# the timestamp, by openssl, over the signature bytes
python3 -c '
import base64, json
b = json.load(open("app.json")); r = json.load(open("srv/trusted_root.json"))
tsa = r["timestampAuthorities"][0]["certChain"]["certificates"]
open("tsa-chain.pem", "w").write("".join("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % c["rawBytes"] for c in tsa))
open("ts.der", "wb").write(base64.b64decode(b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"]))
open("sig.bin", "wb").write(base64.b64decode(b["messageSignature"]["signature"]))
' || fail "extract"
openssl ts -verify -data sig.bin -in ts.der -CAfile tsa-chain.pem -partial_chain >ts.out 2>&1 ||
	{ cat ts.out >&2; fail "openssl ts -verify"; }

# sign with the X509-SVID (mTLS): the SAN is the SPIFFE ID
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --svid out/svid.pem --svid-key out/svid.key --bundle svid.json
expect_exit 0 tg verify app.tar --bundle svid.json --trusted-root srv/trusted_root.json \
	--identity spiffe://tollgate.test/ci/acme/app --issuer spiffe://tollgate.test
# without any identity the server refuses (401)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -subj / \
	-out csr.pem 2>/dev/null || fail "openssl req"
python3 -c 'import json; print(json.dumps({"csr": open("csr.pem").read()}))' >sc.json
expect_exit 0 http req POST /v1/signing-cert sc.json
[ "$(status_of "$OUT")" = 401 ] || fail "signing-cert without identity: $(cat "$OUT")"

# a raw RFC 3161 request made by openssl
printf 'hello' >h.txt
openssl ts -query -data h.txt -sha256 -cert -out q.tsq 2>/dev/null || fail "ts -query"
expect_exit 0 http req POST /v1/timestamp q.tsq application/timestamp-query
[ "$(status_of "$OUT")" = 200 ] || fail "timestamp: $(cat "$OUT")"
tail -c +5 "$OUT" >r.tsr
openssl ts -verify -queryfile q.tsq -in r.tsr -CAfile tsa-chain.pem -partial_chain >ts2.out 2>&1 ||
	{ cat ts2.out >&2; fail "openssl ts -verify of a raw reply"; }
expect_exit 0 http req POST /v1/timestamp q.tsq application/json
[ "$(status_of "$OUT")" = 415 ] || fail "timestamp media type"

# what the metrics say
expect_exit 0 http req GET /metrics
grep -q '^tollgated_svids_issued_total{type="x509"} 1$' "$OUT" || fail "x509 count"
grep -q '^tollgated_svids_issued_total{type="jwt"} 2$' "$OUT" || fail "jwt count"
grep -q '^tollgated_log_entries 2$' "$OUT" || fail "log size"
grep -q '^tollgated_signing_certificates_total 2$' "$OUT" || fail "signing cert count"
finish
