# SPDX-License-Identifier: Apache-2.0
# sigstore-js (@sigstore/verify 4.x, ctlogThreshold 0, anchored identity)
# verifies tollgate's message-signature and DSSE bundles with tollgate's
# trusted_root.json; each single-point tampering is rejected by both
# sigstore-js and tollgate verify.
. "$DATA/setup.inc"
need node npm
SJ="$TG_SOURCE_DIR/tests/sigstore-js"
if [ ! -f "$SJ/node_modules/@sigstore/verify/package.json" ]; then
	flock "${TMPDIR:-/tmp}/tollgate-sigstore-js-npm.lock" sh -c '
		[ -f "$1/node_modules/@sigstore/verify/package.json" ] && exit 0
		npm ci --prefix "$1" --no-audit --no-fund' sh "$SJ" >npm.log 2>&1 ||
		fail "npm ci --prefix $SJ: $(tail -5 npm.log)"
fi
sjs() { node "$SJ/verify.mjs" "$@"; }
signer_init
printf 'release artifact\n' >app.tar
printf 'other\n' >other.tar
gh_token gh.jwt
SIGN="--signer-dir s --oidc-token gh.jwt --jwks jwks.json --issuer $GH_ISS --audience sigstore"
RE='https://github\.com/acme/app/\.github/workflows/release\.yml@refs/heads/main'
# a first entry, so that app.json's inclusion proof has a hash to tamper
# shellcheck disable=SC2086
tg sign other.tar --bundle first.json $SIGN 2>/dev/null || fail "sign"
# shellcheck disable=SC2086
tg sign app.tar --bundle app.json $SIGN 2>/dev/null || fail "sign"
# shellcheck disable=SC2086
tg sign app.tar --bundle prov.json --provenance $SIGN 2>/dev/null || fail "sign --provenance"
for b in app prov; do
	expect_exit 0 sjs root.json $b.json app.tar "$RE" "$GH_ISS"
	expect_out_line "sigstore-js: verified $GH_SAN"
done
# the policy is enforced on the other side too
expect_exit 1 sjs root.json app.json app.tar 'https://github\.com/acme/ap' "$GH_ISS"
expect_exit 1 sjs root.json app.json app.tar "$RE" https://gitlab.com
expect_exit 1 sjs root.json app.json other.tar "$RE" "$GH_ISS"
tg signer init --dir s2 --name other.example.test >/dev/null || fail "signer init s2"
tg trust-root export --signer-dir s2 >root2.json || fail "export s2"
expect_exit 1 sjs root2.json app.json app.tar "$RE" "$GH_ISS"
# single-point tampering: both verifiers reject
for what in sig digest cert body proof checkpoint timestamp; do
	tamper app.json t-$what.json $what
	expect_exit 1 sjs root.json t-$what.json app.tar "$RE" "$GH_ISS"
	expect_exit 1 tg verify app.tar --bundle t-$what.json --trusted-root root.json \
		--identity "$GH_SAN" --issuer "$GH_ISS"
done
# sigstore-js checks the proof against the checkpoint's root and ignores
# the rootHash field; tollgate requires the two to agree
tamper app.json t-root.json root
expect_exit 1 tg verify app.tar --bundle t-root.json --trusted-root root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
expect_err_match "inclusion proof"
for what in payload dsse-sig cert body timestamp; do
	tamper prov.json tp-$what.json $what
	expect_exit 1 sjs root.json tp-$what.json app.tar "$RE" "$GH_ISS"
	expect_exit 1 tg verify app.tar --bundle tp-$what.json --trusted-root root.json \
		--identity "$GH_SAN" --issuer "$GH_ISS"
done
