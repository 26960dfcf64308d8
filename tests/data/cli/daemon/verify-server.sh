# SPDX-License-Identifier: Apache-2.0
# `tollgate verify --server`: the bundles tollgated stores for an artifact
# (found by its digest) verified against the server's trust root, or a
# root pinned with --trusted-root; a wrong signer, a tampered artifact, an
# artifact with no stored bundle and a root of another deployment fail.
. "$DATA/setup.inc"
start_server
S="--server $URL --ca-file srv/ca.pem"
printf 'release artifact\n' >app.tar
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t1 --bundle app.json
gh_token t2
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t2 --provenance --bundle prov.json

# both stored bundles, by file and by digest, against the server's root
# shellcheck disable=SC2086
expect_exit 0 tg verify app.tar $S --identity "$GH_SAN" --issuer "$GH_ISS"
[ "$(grep -c "^verified: app.tar signed by $GH_SAN" "$OUT")" -eq 2 ] ||
	fail "want two verified bundles: $(cat "$OUT")"
grep -q "predicate https://slsa.dev/provenance/v1" "$OUT" || fail "the provenance bundle"
dg=sha256:$(sha256sum app.tar | cut -d' ' -f1)
# shellcheck disable=SC2086
expect_exit 0 tg verify "$dg" $S --identity "$GH_SAN" --issuer "$GH_ISS"
# a root pinned by the caller, and one bundle from a file with the server's root
# shellcheck disable=SC2086
expect_exit 0 tg verify app.tar $S --trusted-root srv/trusted_root.json \
	--identity "$GH_SAN" --issuer "$GH_ISS"
# shellcheck disable=SC2086
expect_exit 0 tg verify app.tar $S --bundle app.json --identity "$GH_SAN" --issuer "$GH_ISS"
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "one bundle given, one line"

# another signer: none of the stored bundles passes
# shellcheck disable=SC2086
expect_exit 1 tg verify app.tar $S --identity "https://github.com/evil/app/x.yml@refs/heads/main" \
	--issuer "$GH_ISS"
expect_err_match "none of the 2 bundles .* stores for $dg verifies"
# a tampered artifact has another digest: nothing stored for it
printf 'tampered\n' >bad.tar
# shellcheck disable=SC2086
expect_exit 1 tg verify bad.tar $S --identity "$GH_SAN" --issuer "$GH_ISS"
expect_err_match "stores no bundle for sha256:"
# ... and with the genuine bundle given, the signature does not match it
# shellcheck disable=SC2086
expect_exit 1 tg verify bad.tar $S --bundle app.json --identity "$GH_SAN" --issuer "$GH_ISS"
# a root pinned from another deployment refuses the server's bundles
tg signer init --dir other --name other.example.test >/dev/null || fail "signer init"
tg trust-root export --signer-dir other >other-root.json || fail "export"
# shellcheck disable=SC2086
expect_exit 1 tg verify app.tar $S --trusted-root other-root.json --identity "$GH_SAN" \
	--issuer "$GH_ISS"
# usage: --server needs --ca-file; the server must be authenticated by it
expect_exit 2 tg verify app.tar --server "$URL" --identity "$GH_SAN" --issuer "$GH_ISS"
expect_exit 2 tg verify app.tar --server "$URL" --ca-file other-root.json \
	--identity "$GH_SAN" --issuer "$GH_ISS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=x \
	-keyout x.key -out x.pem 2>/dev/null || fail "openssl req"
expect_exit 3 tg verify app.tar --server "$URL" --ca-file x.pem \
	--identity "$GH_SAN" --issuer "$GH_ISS"
finish
