# SPDX-License-Identifier: Apache-2.0
# DSSE through tollgated: `tollgate sign --server --provenance` (the SLSA
# v1 predicate built by the client from the identity in the signing
# certificate the server issued for the verified token) and `--in-toto
# STATEMENT` (ARTIFACT or sha256:HEX); both v0.3 bundles with a
# dsseEnvelope and a hashedrekord 0.0.2 entry over the PAE digest, as the
# local signer writes them; verified by `tollgate verify` against the
# server's trusted root (and by sigstore-js when tests/sigstore-js is
# installed); a statement that does not name the artifact is refused
# (exit 2, nothing written); the stored provenance is what `tollgate gate
# check --server` decides on (require_provenance, builder and source).
. "$DATA/setup.inc"
cat >gate.json <<JSON
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$GH_SAN", "issuer": "$GH_ISS"}],
  "builders": [{"id": "$GH_SAN"}],
  "sources": [{"repository": "https://github.com/acme/app"}],
  "require_signature": true, "require_provenance": true, "max_age_seconds": 0}}}}
JSON
start_server '"gate_data": "'$WORK/gate.json'"'
S="--server $URL --ca-file srv/ca.pem"
V="--trusted-root srv/trusted_root.json --identity $GH_SAN --issuer $GH_ISS"
printf 'release artifact\n' >app.tar
H=$(sha256sum app.tar | cut -c1-64)

# provenance: signed and stored; verifies; the predicate is the token's
gh_token t1 '"sha": "0123456789abcdef0123456789abcdef01234567", "run_id": "789"'
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t1 --provenance --bundle prov.json
expect_err_match "stored the bundle on $URL"
# shellcheck disable=SC2086
expect_exit 0 tg verify app.tar --bundle prov.json $V
expect_out_match "^verified: app.tar signed by $GH_SAN.*, predicate https://slsa.dev/provenance/v1$"
printf 'tampered\n' >bad.tar
# shellcheck disable=SC2086
expect_exit 1 tg verify bad.tar --bundle prov.json $V
# shellcheck disable=SC2086
expect_exit 1 tg verify app.tar --bundle prov.json --trusted-root srv/trusted_root.json \
	--identity "https://github.com/evil/app/.github/workflows/ci.yml@refs/heads/main" --issuer "$GH_ISS"
python3 - prov.json "$H" <<'PY' || fail "provenance bundle"
import base64, hashlib, json, sys
b = json.load(open(sys.argv[1]))
assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
assert set(b) == {"mediaType", "verificationMaterial", "dsseEnvelope"}, b.keys()
e = b["dsseEnvelope"]
assert e["payloadType"] == "application/vnd.in-toto+json" and len(e["signatures"]) == 1
payload = base64.b64decode(e["payload"])
s = json.loads(payload)
assert s["_type"] == "https://in-toto.io/Statement/v1"
assert s["subject"] == [{"name": "app.tar", "digest": {"sha256": sys.argv[2]}}], s["subject"]
assert s["predicateType"] == "https://slsa.dev/provenance/v1"
p = s["predicate"]
# from the token claims of t1 (setup.inc gh_token + the members above)
san = "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main"
assert p["runDetails"]["builder"]["id"] == san, p["runDetails"]
assert p["buildDefinition"]["resolvedDependencies"] == [{"uri": "git+https://github.com/acme/app@refs/heads/main", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}], p
assert p["runDetails"]["metadata"]["invocationId"] == "https://github.com/acme/app/actions/runs/789/attempts/1"
assert p["buildDefinition"]["internalParameters"]["github"] == {"event_name": "push", "runner_environment": "github-hosted", "repository_id": "123456789", "repository_owner_id": "42"}, p
# the log entry: hashedrekord 0.0.2 over SHA-256 of the DSSE PAE
t = e["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
body = json.loads(base64.b64decode(b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]))
assert body["kind"] == "hashedrekord" and body["apiVersion"] == "0.0.2"
d = body["spec"]["hashedRekordV002"]
assert base64.b64decode(d["data"]["digest"]) == hashlib.sha256(pae).digest(), "entry digest"
assert d["signature"]["content"] == e["signatures"][0]["sig"]
PY
# the signature over the PAE, by openssl, with the certificate's key
python3 - prov.json <<'PY' || fail "extract"
import base64, json
b = json.load(open("prov.json")); e = b["dsseEnvelope"]
payload = base64.b64decode(e["payload"]); t = e["payloadType"].encode()
open("pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload))
open("pae.sig", "wb").write(base64.b64decode(e["signatures"][0]["sig"]))
open("leaf.der", "wb").write(base64.b64decode(b["verificationMaterial"]["certificate"]["rawBytes"]))
PY
openssl x509 -inform DER -in leaf.der -pubkey -noout >leaf.pub || fail "leaf key"
expect_exit 0 openssl dgst -sha256 -verify leaf.pub -signature pae.sig pae.bin

# the gate decides on the stored provenance: with it alone the policy
# still wants a signature over the artifact; with both it allows
# shellcheck disable=SC2086
expect_exit 1 tg gate check app.tar $S --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["allow"] is False and d["deny"] == ["no verified signature over the artifact"], d
assert [(e["kind"], e["predicate_type"]) for e in d["evidence"]] == [("attestation", "https://slsa.dev/provenance/v1")], d["evidence"]
' "$OUT" || fail "gate decision on the provenance alone"
gh_token t0
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t0 --bundle app.json
# shellcheck disable=SC2086
expect_exit 0 tg gate check app.tar $S --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["allow"] is True and d["deny"] == [], d
assert "https://slsa.dev/provenance/v1" in [e.get("predicate_type") for e in d["evidence"]], d["evidence"]
' "$OUT" || fail "gate decision on the provenance"

# a given in-toto statement, for the file and for sha256:HEX
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar","digest":{"sha256":"%s"}}],"predicateType":"https://example.com/test/v1","predicate":{"ok":true}}\n' "$H" >st.json
gh_token t2
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t2 --in-toto st.json --bundle st.b.json --no-store
expect_err_match "signed app.tar via"
grep -q 'stored the bundle' "$ERR" && fail "--no-store stored"
# shellcheck disable=SC2086
expect_exit 0 tg verify app.tar --bundle st.b.json $V
expect_out_match "predicate https://example.com/test/v1$"
python3 -c '
import base64, json, sys
b = json.load(open("st.b.json"))
assert base64.b64decode(b["dsseEnvelope"]["payload"]) == open("st.json", "rb").read()
' || fail "the envelope does not carry the statement as given"
gh_token t3
# shellcheck disable=SC2086
expect_exit 0 tg sign "sha256:$H" $S --oidc-token t3 --in-toto st.json --bundle st2.json --no-store
# shellcheck disable=SC2086
expect_exit 0 tg verify app.tar --bundle st2.json $V
# a statement whose subjects do not name the artifact: refused, nothing written
printf 'other\n' >other.tar
gh_token t4
# shellcheck disable=SC2086
expect_exit 2 tg sign other.tar $S --oidc-token t4 --in-toto st.json --bundle x.json
expect_err_match "subjects do not include other.tar"
# shellcheck disable=SC2086
expect_exit 2 tg sign "sha256:$(sha256sum other.tar | cut -c1-64)" $S --oidc-token t4 \
	--in-toto st.json --bundle x.json
# shellcheck disable=SC2086
expect_exit 2 tg sign sha256:abc $S --oidc-token t4 --in-toto st.json --bundle x.json
[ -e x.json ] && fail "bundle written for a refused statement"
# shellcheck disable=SC2086
expect_exit 2 tg sign app.tar $S --oidc-token t4 --in-toto st.json --provenance --bundle x.json
# with the X509-SVID over mTLS: provenance names the SPIFFE ID as builder
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 >/dev/null || fail "entry create"
gh_token t5
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t5 --x509-out svid
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --svid svid/svid.pem --svid-key svid/svid.key --provenance \
	--bundle sp.json --no-store
expect_exit 0 tg verify app.tar --bundle sp.json --trusted-root srv/trusted_root.json \
	--identity spiffe://tollgate.test/ci/acme/app --issuer spiffe://tollgate.test
python3 -c '
import base64, json
s = json.loads(base64.b64decode(json.load(open("sp.json"))["dsseEnvelope"]["payload"]))
p = s["predicate"]
assert p["runDetails"]["builder"]["id"] == "spiffe://tollgate.test/ci/acme/app", p
assert p["buildDefinition"]["internalParameters"]["issuer"] == "spiffe://tollgate.test", p
' || fail "SVID provenance"

# sigstore-js, when installed for the other interop cases
SJ="$TG_SOURCE_DIR/tests/sigstore-js"
if command -v node >/dev/null && [ -f "$SJ/node_modules/@sigstore/verify/package.json" ]; then
	RE='https://github\.com/acme/app/\.github/workflows/ci\.yml@refs/heads/main'
	expect_exit 0 node "$SJ/verify.mjs" srv/trusted_root.json prov.json app.tar "$RE" "$GH_ISS"
	expect_out_line "sigstore-js: verified $GH_SAN"
	expect_exit 0 node "$SJ/verify.mjs" srv/trusted_root.json st.b.json app.tar "$RE" "$GH_ISS"
	expect_exit 1 node "$SJ/verify.mjs" srv/trusted_root.json prov.json app.tar 'https://github\.com/evil/.*' "$GH_ISS"
else
	echo "dsse: sigstore-js is not installed in $SJ: its checks are skipped (daemon/sigstore-js installs it)" >&2
fi
finish
