# SPDX-License-Identifier: Apache-2.0
# gate check denials, each with the reason: a tampered artifact (nothing
# verifies; every bundle rejected), a signature by an unregistered
# workflow identity, provenance from an untrusted builder, an unsigned
# artifact, a tampered bundle, the built-in configuration (nothing
# configured), and stale evidence.
. "$DATA/setup.inc"
gate_init
GATE="--trusted-root root.json --data config.json"

# tampered artifact: the bundles no longer cover it
cp app.tar evil.tar
printf 'backdoor\n' >>evil.tar
# shellcheck disable=SC2086
expect_exit 1 tg gate check evil.tar $GATE --bundle ev/app.sig.json --bundle ev/app.prov.json
expect_out_match '^denied: evil.tar$'
expect_out_match '^  - no verified signature over the artifact$'
expect_out_match '^  - no verified SLSA provenance v1 attestation for the artifact$'
expect_out_match "^  rejected ev/app.sig.json: the artifact's digest is not the bundle's message digest$"
expect_out_match "^  rejected ev/app.prov.json: no subject of the in-toto statement has the artifact's digest$"

# a signature by a workflow of another repository
gh_token evil.jwt job_workflow_ref=acme/evil/.github/workflows/release.yml@refs/heads/main
tg sign app.tar --bundle evil.sig.json --signer-dir s --oidc-token evil.jwt --jwks jwks.json \
	--issuer "$GH_ISS" --audience sigstore 2>/dev/null || fail "sign as acme/evil"
# shellcheck disable=SC2086
expect_exit 1 tg gate check app.tar $GATE --bundle evil.sig.json --bundle ev/app.prov.json
expect_out_match '^  - signature evil.sig.json: signer https://github.com/acme/evil/.github/workflows/release.yml@refs/heads/main \(issuer https://token.actions.githubusercontent.com\) is not an allowed identity$'
# ... and alongside a good signature it does not matter
# shellcheck disable=SC2086
expect_exit 0 tg gate check app.tar $GATE --bundle evil.sig.json --evidence ev

# provenance from a workflow that may sign but is not a trusted builder
sign_as app.tar build.prov.json build.yml --provenance
# shellcheck disable=SC2086
expect_exit 1 tg gate check app.tar $GATE --bundle ev/app.sig.json --bundle build.prov.json
expect_out_match '^  - provenance build.prov.json: builder https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main is not a trusted builder$'

# provenance of a source repository that is not allowed
gh_token fork.jwt repository=acme/fork
tg sign app.tar --bundle fork.prov.json --provenance --signer-dir s --oidc-token fork.jwt \
	--jwks jwks.json --issuer "$GH_ISS" --audience sigstore 2>/dev/null || fail "sign fork"
# shellcheck disable=SC2086
expect_exit 1 tg gate check app.tar $GATE --bundle ev/app.sig.json --bundle fork.prov.json
expect_out_match '^  - provenance fork.prov.json: source repository https://github.com/acme/fork is not allowed$'

# unsigned: no evidence at all
printf 'never signed\n' >unsigned.tar
# shellcheck disable=SC2086
expect_exit 1 tg gate check unsigned.tar $GATE --evidence ev
expect_out_match '^  - no verified signature over the artifact$'
expect_out_match '^  - no verified SLSA provenance v1 attestation for the artifact$'

# a tampered bundle is rejected with its reason and never reaches the policy
tamper ev/app.sig.json bad.sig.json sig
# shellcheck disable=SC2086
expect_exit 1 tg gate check app.tar $GATE --bundle bad.sig.json --bundle ev/app.prov.json --json
python3 - "$OUT" <<'PY' || fail "rejected bundle"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["allow"] is False
assert [r["name"] for r in d["rejected"]] == ["bad.sig.json"], d
assert "signature" in d["rejected"][0]["reason"], d
assert [e["kind"] for e in d["evidence"]] == ["attestation"], d
assert "no verified signature over the artifact" in d["deny"], d
PY

# the built-in configuration allows nothing until it is configured
expect_exit 1 tg gate check app.tar --trusted-root root.json --evidence ev
expect_out_match '^  - no signer identities are configured \(data.tollgate.gate.config.signers is empty\)$'
expect_out_match '^  - no trusted builders are configured'

# stale evidence: max_age_seconds 1
sed 's/"max_age_seconds": 86400/"max_age_seconds": 1/' config.json >old.json
sleep 2
expect_exit 1 tg gate check app.tar --trusted-root root.json --evidence ev --data old.json
expect_out_match '^  - signature app.sig.json: signed at .*, more than 1 seconds ago$'

# evidence verified against another deployment's root is rejected
tg signer init --dir s2 --name other.example.test >/dev/null || fail "signer s2"
tg trust-root export --signer-dir s2 >root2.json || fail "root2"
expect_exit 1 tg gate check app.tar --trusted-root root2.json --evidence ev --data config.json
expect_out_match '^  rejected app.sig.json: '
