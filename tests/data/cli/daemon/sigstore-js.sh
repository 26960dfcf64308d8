# SPDX-License-Identifier: Apache-2.0
# Interop: a bundle made with `tollgate sign --server` (tollgated's
# signing certificate, timestamp and log entry) is verified by sigstore-js
# (@sigstore/verify) with the server's /v1/trust-root; another artifact
# and another identity are rejected by it.
. "$DATA/setup.inc"
need node npm
SJ="$TG_SOURCE_DIR/tests/sigstore-js"
if [ ! -f "$SJ/node_modules/@sigstore/verify/package.json" ]; then
	flock "${TMPDIR:-/tmp}/tollgate-sigstore-js-npm.lock" sh -c '
		[ -f "$1/node_modules/@sigstore/verify/package.json" ] && exit 0
		npm ci --prefix "$1" --no-audit --no-fund' sh "$SJ" >npm.log 2>&1 ||
		fail "npm ci --prefix $SJ: $(tail -5 npm.log)"
fi
start_server
printf 'release artifact\n' >app.tar
printf 'other\n' >other.tar
gh_token t1
expect_exit 0 tg sign other.tar --server "$URL" --ca-file srv/ca.pem --oidc-token t1 \
	--bundle first.json
gh_token t2
expect_exit 0 tg sign app.tar --server "$URL" --ca-file srv/ca.pem --oidc-token t2 --bundle app.json
expect_exit 0 http req GET /v1/trust-root
tail -n +2 "$OUT" >root.json
RE='https://github\.com/acme/app/\.github/workflows/ci\.yml@refs/heads/main'
expect_exit 0 node "$SJ/verify.mjs" root.json app.json app.tar "$RE" "$GH_ISS"
expect_out_line "sigstore-js: verified $GH_SAN"
expect_exit 1 node "$SJ/verify.mjs" root.json app.json other.tar "$RE" "$GH_ISS"
expect_exit 1 node "$SJ/verify.mjs" root.json app.json app.tar 'https://github\.com/evil/.*' "$GH_ISS"
finish
