# SPDX-License-Identifier: Apache-2.0
# gate check: an artifact signed by an allowed workflow with SLSA
# provenance from a trusted builder is allowed, by file and by digest,
# with bundles given one by one or found in an evidence directory; the
# decision and input documents carry the verified facts.
. "$DATA/setup.inc"
gate_init
expect_exit 0 tg gate check app.tar --trusted-root root.json --evidence ev --data config.json
expect_out_match '^allowed: app.tar$'
expect_out_match "^  verified signature app.sig.json: $GH_SAN \(issuer $GH_ISS\), log index 0$"
expect_out_match "^  verified attestation app.prov.json: $GH_SAN \(issuer $GH_ISS\), log index 1, predicate https://slsa.dev/provenance/v1$"
expect_exit 0 tg gate check "sha256:$DG" --trusted-root root.json --bundle ev/app.sig.json \
	--bundle ev/app.prov.json --data config.json --json
python3 - "$OUT" "$DG" <<'PY' || fail "decision document"
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw)
# canonical: sorted keys, no whitespace
assert raw == json.dumps(d, sort_keys=True, separators=(",", ":")).encode() + b"\n", raw
assert d["allow"] is True and d["deny"] == [] and d["rejected"] == [], d
assert d["artifact"] == "sha256:" + sys.argv[2]
ev = sorted(d["evidence"], key=lambda e: e["log_index"])
assert [e["kind"] for e in ev] == ["signature", "attestation"], ev
assert [e["log_index"] for e in ev] == [0, 1]
for e, f in zip(ev, ["ev/app.sig.json", "ev/app.prov.json"]):
    assert e["bundle"] == "sha256:" + hashlib.sha256(open(f, "rb").read()).hexdigest(), e
assert ev[1]["predicate_type"] == "https://slsa.dev/provenance/v1"
PY
# the policy input: only verified facts, provenance as the bundle says
expect_exit 0 tg gate check app.tar --trusted-root root.json --evidence ev --input
python3 - "$OUT" <<'PY' || fail "input document"
import base64, json, sys
d = json.load(open(sys.argv[1]))
prov = [e for e in d["evidence"] if e["kind"] == "attestation"][0]
b = json.load(open("ev/app.prov.json"))
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
p = st["predicate"]
dep = p["buildDefinition"]["resolvedDependencies"][0]
assert prov["provenance"]["builder_id"] == p["runDetails"]["builder"]["id"]
assert prov["provenance"]["build_type"] == p["buildDefinition"]["buildType"]
assert prov["provenance"]["source"]["uri"] == dep["uri"]
assert prov["provenance"]["source"]["digest"] == dep["digest"]
assert prov["provenance"]["source"]["repository"] == "https://github.com/acme/app"
assert prov["provenance"]["source"]["ref"] == "refs/heads/main"
assert prov["signer"]["identity"] == "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
assert prov["predicate_type"] == st["predicateType"]
assert abs(prov["signed_at_unix"] - d["context"]["time_unix"]) < 600
PY
# a policy directory with its own package and data
mkdir pol
cat >pol/p.rego <<'REGO'
package acme.deploy

deny contains "unsigned" if count([e | some e in input.evidence; e.kind == "signature"]) == 0

allow if input.artifact.digest == data.acme.expected
REGO
printf '{"acme":{"expected":"sha256:%s"}}\n' "$DG" >pol/data.json
expect_exit 0 tg gate check app.tar --trusted-root root.json --evidence ev --policy pol \
	--package acme.deploy
expect_exit 1 tg gate check app.tar --trusted-root root.json --policy pol --package acme.deploy \
	--bundle ev/app.prov.json
expect_out_match '^  - unsigned$'
