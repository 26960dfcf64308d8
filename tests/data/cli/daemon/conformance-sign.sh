# SPDX-License-Identifier: Apache-2.0
# The sign-bundle half of tools/sigstore-conformance-client (the
# sigstore-conformance CLI protocol) against tollgated: the bundle it writes
# verifies through the client's own verify-bundle with the server's trusted
# root, and the identity and issuer are those of the token; a wrong identity,
# a changed artifact and a forged token are refused; --in-toto and a
# missing server are clear usage errors.
. "$DATA/setup.inc"
start_server
client="$TG_SOURCE_DIR/tools/sigstore-conformance-client"
export TOLLGATE="$TG_BIN"
printf 'release artifact\n' >a.bin
gh_token tok
expect_exit 2 "$client" sign-bundle --identity-token "$(cat tok)" --bundle b.json a.bin
expect_err_match 'needs TOLLGATE_SERVER and TOLLGATE_CA_FILE'
export TOLLGATE_SERVER="$URL" TOLLGATE_CA_FILE="$WORK/srv/ca.pem"
expect_exit 0 "$client" sign-bundle --identity-token "$(cat tok)" --bundle b.json a.bin
python3 -c 'import json,sys; b=json.load(open("b.json")); sys.exit(b["mediaType"] != "application/vnd.dev.sigstore.bundle.v0.3+json")' ||
	fail "not a v0.3 bundle"
V="verify-bundle --trusted-root srv/trusted_root.json --bundle b.json"
# shellcheck disable=SC2086
expect_exit 0 "$client" $V --certificate-identity "$GH_SAN" --certificate-oidc-issuer "$GH_ISS" a.bin
# shellcheck disable=SC2086
expect_exit 0 "$client" $V --certificate-identity "$GH_SAN" --certificate-oidc-issuer "$GH_ISS" \
	"sha256:$(sha256sum a.bin | cut -d' ' -f1)"
# shellcheck disable=SC2086
expect_exit 1 "$client" $V --certificate-identity "https://github.com/evil/app/.github/workflows/ci.yml@refs/heads/main" \
	--certificate-oidc-issuer "$GH_ISS" a.bin
printf 'tampered\n' >>a.bin
# shellcheck disable=SC2086
expect_exit 1 "$client" $V --certificate-identity "$GH_SAN" --certificate-oidc-issuer "$GH_ISS" a.bin
# a token signed by another key: refused, nothing written
tg key generate --type ecdsa-p256 --out other.pem || fail "key generate"
tg jwt sign --key other.pem --claims tok.claims >forged || fail "jwt sign"
expect_exit 1 "$client" sign-bundle --identity-token "$(cat forged)" --bundle b2.json a.bin
[ -e b2.json ] && fail "bundle written for a forged token"
# --in-toto: FILE is the statement; signed for its subject's digest
printf 'release artifact\n' >a.bin
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.bin","digest":{"sha256":"%s"}}],"predicateType":"https://example.com/test/v1","predicate":{"ok":true}}\n' \
	"$(sha256sum a.bin | cut -d' ' -f1)" >st.json
gh_token tok3
expect_exit 0 "$client" sign-bundle --in-toto --identity-token "$(cat tok3)" --bundle b3.json st.json
expect_exit 0 "$client" verify-bundle --trusted-root srv/trusted_root.json --bundle b3.json \
	--certificate-identity "$GH_SAN" --certificate-oidc-issuer "$GH_ISS" a.bin
expect_out_match 'predicate https://example.com/test/v1$'
finish
