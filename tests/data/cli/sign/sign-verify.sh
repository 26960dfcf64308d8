# SPDX-License-Identifier: Apache-2.0
# tollgate sign -> tollgate verify, round trip and refusals: message
# signatures and DSSE (provenance, in-toto) bundles from GitHub, GitLab and
# SVID identities; the Fulcio-profile certificate and RFC 3161 timestamp
# checked with openssl; tampered artifacts, bundles and tokens rejected.
. "$DATA/setup.inc"
need openssl
signer_init
printf 'release artifact\n' >app.tar
gh_token gh.jwt
SIGN="--signer-dir s --oidc-token gh.jwt --jwks jwks.json --issuer $GH_ISS --audience sigstore"

# message signature
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar --bundle app.json $SIGN
expect_err_match "^signed app.tar as $GH_SAN \(issuer $GH_ISS\) into app.json$"
expect_exit 0 tg verify app.tar --bundle app.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
expect_out_match "^verified: app.tar signed by $GH_SAN \(issuer $GH_ISS\) at .*, log index 0 \(https://sign.example.test\)$"
dg=$(sha256sum app.tar | cut -d' ' -f1)
expect_exit 0 tg verify "sha256:$dg" --bundle app.json --trusted-root root.json \
	--identity-regex 'https://github\.com/acme/app/.*' --issuer "$GH_ISS"
python3 -c 'import json,sys; b=json.load(open("app.json")); assert b["mediaType"]=="application/vnd.dev.sigstore.bundle.v0.3+json"; e=b["verificationMaterial"]["tlogEntries"][0]; assert e["kindVersion"]=={"kind":"hashedrekord","version":"0.0.2"}, e["kindVersion"]' ||
	fail "bundle shape"

# the certificate: Fulcio profile, chained to the exported root
python3 -c '
import base64, json
b = json.load(open("app.json")); r = json.load(open("root.json"))
open("leaf.der", "wb").write(base64.b64decode(b["verificationMaterial"]["certificate"]["rawBytes"]))
ca = r["certificateAuthorities"][0]["certChain"]["certificates"]
open("chain.pem", "w").write("".join("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % c["rawBytes"] for c in ca))
tsa = r["timestampAuthorities"][0]["certChain"]["certificates"]
open("tsa-chain.pem", "w").write("".join("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % c["rawBytes"] for c in tsa))
open("ts.der", "wb").write(base64.b64decode(b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"]))
open("sig.bin", "wb").write(base64.b64decode(b["messageSignature"]["signature"]))
' || fail "extract"
openssl x509 -inform DER -in leaf.der -out leaf.pem || fail "leaf DER"
openssl x509 -in leaf.pem -noout -text >leaf.txt || fail "leaf text"
grep -q "X509v3 Subject Alternative Name: critical" leaf.txt || fail "SAN not critical"
grep -q "URI:$GH_SAN" leaf.txt || fail "SAN"
grep -q "Code Signing" leaf.txt || fail "EKU"
grep -q "Digital Signature" leaf.txt || fail "KU"
grep -q "1.3.6.1.4.1.57264.1.8:" leaf.txt || fail "issuer OID"
grep -q "1.3.6.1.4.1.57264.1.12:" leaf.txt || fail "source repo OID"
[ "$(openssl x509 -in leaf.pem -noout -subject)" = "subject=" ] || fail "subject not empty"
nb=$(date -d "$(openssl x509 -in leaf.pem -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)" +%s)
[ $((na - nb)) -eq 600 ] || fail "validity $((na - nb)) s, want 600"
openssl verify -partial_chain -purpose any -CAfile chain.pem leaf.pem >/dev/null || fail "openssl verify"
# the timestamp, by openssl ts: over the signature bytes, by the TSA chain
openssl ts -verify -data sig.bin -in ts.der -CAfile tsa-chain.pem -partial_chain >ts.out 2>&1 ||
	{ cat ts.out >&2; fail "openssl ts -verify"; }

# provenance (DSSE, SLSA v1) and a given in-toto statement
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar --bundle prov.json --provenance $SIGN
expect_exit 0 tg verify app.tar --bundle prov.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
expect_out_match "log index 1 .*, predicate https://slsa.dev/provenance/v1$"
python3 -c '
import base64, json
b = json.load(open("prov.json"))
assert b["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json"
s = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
p = s["predicate"]
assert s["_type"] == "https://in-toto.io/Statement/v1" and s["subject"][0]["name"] == "app.tar"
assert p["runDetails"]["builder"]["id"] == "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
assert p["buildDefinition"]["resolvedDependencies"][0] == {"uri": "git+https://github.com/acme/app@refs/heads/main", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}, p
assert p["runDetails"]["metadata"]["invocationId"] == "https://github.com/acme/app/actions/runs/789/attempts/1"
' || fail "provenance content"
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar","digest":{"sha256":"%s"}}],"predicateType":"https://example.com/test/v1","predicate":{"ok":true}}\n' "$dg" >st.json
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar --bundle st.b.json --in-toto st.json $SIGN
expect_exit 0 tg verify app.tar --bundle st.b.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
printf 'other\n' >other.tar
# shellcheck disable=SC2086
expect_exit 2 tg sign other.tar --bundle x.json --in-toto st.json $SIGN
expect_err_match "subjects do not include other.tar"
expect_exit 1 tg verify other.tar --bundle st.b.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"

# refusals: wrong artifact, identity, issuer, root
expect_exit 1 tg verify other.tar --bundle app.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
expect_exit 1 tg verify app.tar --bundle app.json --trusted-root root.json \
	--identity "https://github.com/acme/evil/.github/workflows/release.yml@refs/heads/main" \
	--issuer "$GH_ISS"
expect_exit 1 tg verify app.tar --bundle app.json --trusted-root root.json \
	--identity-regex 'https://github\.com/acme/ap' --issuer "$GH_ISS"
expect_exit 1 tg verify app.tar --bundle app.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer https://gitlab.com
tg signer init --dir s2 --name other.example.test >/dev/null || fail "signer init s2"
tg trust-root export --signer-dir s2 >root2.json || fail "export s2"
expect_exit 1 tg verify app.tar --bundle app.json --trusted-root root2.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
for what in sig digest cert body proof root index checkpoint timestamp media-type; do
	tamper app.json t-$what.json $what
	expect_exit 1 tg verify app.tar --bundle t-$what.json --trusted-root root.json \
		--identity "$GH_SAN" --issuer "$GH_ISS"
done
for what in payload dsse-sig; do
	tamper prov.json t-$what.json $what
	expect_exit 1 tg verify app.tar --bundle t-$what.json --trusted-root root.json \
		--identity "$GH_SAN" --issuer "$GH_ISS"
done

# tokens that must not sign: wrong audience, expired, other key, forged
gh_token aud.jwt aud=other
gh_token exp.jwt exp=-600 iat=-900 nbf=-900
for t in aud exp; do
	expect_exit 1 tg sign app.tar --bundle no.json --signer-dir s --oidc-token $t.jwt \
		--jwks jwks.json --issuer "$GH_ISS" --audience sigstore
	expect_err_match "^tollgate: signing refused: "
done
tg key generate --type ecdsa-p256 --out evil.key || fail "evil key"
tg jwt sign --key evil.key --claims gh.jwt.claims >evil.jwt || fail "evil token"
expect_exit 1 tg sign app.tar --bundle no.json --signer-dir s --oidc-token evil.jwt \
	--jwks jwks.json --issuer "$GH_ISS" --audience sigstore
gh_token nojwr.jwt job_workflow_ref=
expect_exit 1 tg sign app.tar --bundle no.json --signer-dir s --oidc-token nojwr.jwt \
	--jwks jwks.json --issuer "$GH_ISS" --audience sigstore
expect_err_match "job_workflow_ref"
[ ! -e no.json ] || fail "a refused signing wrote a bundle"

# GitLab CI: SAN https://<ci_config_ref_uri>
gl_token gl.jwt
expect_exit 0 tg sign app.tar --bundle gl.json --signer-dir s --oidc-token gl.jwt \
	--jwks jwks.json --issuer "$GL_ISS" --audience sigstore
expect_exit 0 tg verify app.tar --bundle gl.json --trusted-root root.json \
	--identity "https://gitlab.example.com/grp/app//.gitlab-ci.yml@refs/heads/main" \
	--issuer "$GL_ISS"

# an X.509-SVID: SAN = the SPIFFE ID, issuer spiffe://<trust domain>
cat >svid.py <<'PY'
import subprocess, sys
def run(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", "td.key", "-out", "td.pem", "-days", "1", "-subj", "/O=example.org/CN=td root",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-addext", "subjectAltName=URI:spiffe://example.org")
run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", "svid.key", "-out", "svid.csr", "-subj", "/O=example.org")
open("ext.cnf", "w").write("subjectAltName=URI:spiffe://example.org/ci/builder\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n")
run("openssl", "x509", "-req", "-in", "svid.csr", "-CA", "td.pem", "-CAkey", "td.key",
    "-CAcreateserial", "-out", "svid.pem", "-days", "1", "-extfile", "ext.cnf")
PY
python3 svid.py || fail "make SVID"
expect_exit 0 tg sign app.tar --bundle sv.json --signer-dir s --svid svid.pem --svid-key svid.key \
	--svid-bundle td.pem
expect_exit 0 tg verify app.tar --bundle sv.json --trusted-root root.json \
	--identity spiffe://example.org/ci/builder --issuer spiffe://example.org
expect_exit 1 tg sign app.tar --bundle no.json --signer-dir s --svid svid.pem --svid-key idp.key \
	--svid-bundle td.pem
expect_err_match "not the key of the SVID certificate"
expect_exit 1 tg sign app.tar --bundle no.json --signer-dir s --svid svid.pem --svid-key svid.key \
	--svid-bundle chain.pem
expect_err_match "does not chain"
