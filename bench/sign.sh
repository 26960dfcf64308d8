#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sign.sh BUILD_DIR - keyless signing and bundle verification figures:
# `tollgate sign` bundles per second (each one a fresh key, certificate,
# RFC 3161 timestamp and durable log append), and `tollgate verify` per
# second against sigstore-js (@sigstore/verify from tests/sigstore-js) on
# the same bundle: as a loop inside one process (bench_sign.c and a Node
# loop over @sigstore/verify), and as one process per verification.
set -eu
build=$(cd "${1:?usage: sign.sh BUILD_DIR}" && pwd)
secs=${BENCH_SECONDS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/tollgate
out="$top/bench/out"
mkdir -p "$out"
work=$(mktemp -d "$out/sign.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== keyless signing and verification (tollgate $("$bin" --version | cut -d' ' -f2))"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
now_ns() { date +%s%N; }
# rate N START_NS: operations per second
rate() { awk -v n="$1" -v t0="$2" -v t1="$(now_ns)" 'BEGIN { printf "%.1f", n / ((t1 - t0) / 1e9) }'; }

ISS=https://token.actions.githubusercontent.com
SAN="https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
RE='https://github\.com/acme/app/\.github/workflows/release\.yml@refs/heads/main'
"$bin" signer init --dir s --name sign.example.test >/dev/null
"$bin" trust-root export --signer-dir s >root.json
"$bin" key generate --type ecdsa-p256 --out idp.key
"$bin" key public --format jwk idp.key >idp.jwk
{ printf '{"keys":['; cat idp.jwk; printf ']}\n'; } >jwks.json
now=$(date +%s)
cat >claims.json <<JSON
{"iss":"$ISS","aud":"sigstore","sub":"repo:acme/app:ref:refs/heads/main","iat":$now,"nbf":$now,
"exp":$((now + 600)),"job_workflow_ref":"acme/app/.github/workflows/release.yml@refs/heads/main",
"job_workflow_sha":"0123456789abcdef0123456789abcdef01234567","repository":"acme/app",
"repository_owner":"acme","repository_id":"123","repository_owner_id":"456","run_id":"789",
"run_attempt":"1","workflow_ref":"acme/app/.github/workflows/release.yml@refs/heads/main",
"workflow_sha":"0123456789abcdef0123456789abcdef01234567",
"sha":"0123456789abcdef0123456789abcdef01234567","ref":"refs/heads/main","event_name":"push",
"runner_environment":"github-hosted","repository_visibility":"public"}
JSON
"$bin" jwt sign --key idp.key --claims claims.json >gh.jwt
printf 'release artifact\n' >app.tar

SIGN="--signer-dir s --oidc-token gh.jwt --jwks jwks.json --issuer $ISS --audience sigstore"
# shellcheck disable=SC2086
"$bin" sign app.tar --bundle app.json $SIGN 2>/dev/null ||
	{ "$bin" sign app.tar --bundle app.json $SIGN; exit 1; }

# signing: one process per bundle, until secs have passed
n=0
t0=$(now_ns)
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	# shellcheck disable=SC2086
	"$bin" sign app.tar --bundle "b$n.json" $SIGN 2>/dev/null
	n=$((n + 1))
done
sign_rate=$(rate "$n" "$t0")

# verification by tollgate, one process each
n=0
t0=$(now_ns)
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	"$bin" verify app.tar --bundle app.json --trusted-root root.json --identity "$SAN" \
		--issuer "$ISS" >/dev/null
	n=$((n + 1))
done
tg_rate=$(rate "$n" "$t0")

printf "%-50s %10s\n" "measure" "per second"
printf "%-50s %10s\n" "tollgate sign (bundle: key, cert, timestamp, log)" "$sign_rate"

SJ="$top/tests/sigstore-js"
if ! command -v node >/dev/null 2>&1 || [ ! -f "$SJ/node_modules/@sigstore/verify/package.json" ]; then
	printf "%-50s %10s\n" "tollgate verify (one process each)" "$tg_rate"
	echo "(sigstore-js not installed: run 'npm ci --prefix tests/sigstore-js' for the comparison)"
	exit 0
fi
node "$SJ/verify.mjs" root.json app.json app.tar "$RE" "$ISS" >/dev/null ||
	{ echo "bench: sigstore-js does not verify the bundle" >&2; exit 1; }
n=0
t0=$(now_ns)
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	node "$SJ/verify.mjs" root.json app.json app.tar "$RE" "$ISS" >/dev/null
	n=$((n + 1))
done
sj_rate=$(rate "$n" "$t0")
# sigstore-js in one process: the same verification in a loop
cat >loop.cjs <<'JS'
const { createRequire } = require('node:module');
const { readFileSync } = require('node:fs');
const [sj, rootPath, bundlePath, artifactPath, sanRegex, issuer, secs] = process.argv.slice(2);
const req = createRequire(sj + '/package.json');
const { bundleFromJSON } = req('@sigstore/bundle');
const { TrustedRoot } = req('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = req('@sigstore/verify');
const rootJSON = readFileSync(rootPath, 'utf8'), bundleJSON = readFileSync(bundlePath, 'utf8');
const artifact = readFileSync(artifactPath);
const policy = { subjectAlternativeName: new RegExp('^(?:' + sanRegex + ')$'), extensions: { issuer } };
let n = 0;
const t0 = process.hrtime.bigint(), end = t0 + BigInt(Math.round(secs * 1e9));
// warm: the trust material and the verifier are made once, as a verifying
// service holds them; each iteration parses the bundle JSON and verifies it
const root = TrustedRoot.fromJSON(JSON.parse(rootJSON));
const v = new Verifier(toTrustMaterial(root), { ctlogThreshold: 0, tlogThreshold: 1, timestampThreshold: 1 });
while (process.hrtime.bigint() < end) {
	const bundle = bundleFromJSON(JSON.parse(bundleJSON));
	v.verify(toSignedEntity(bundle, artifact), policy);
	n++;
}
console.log((n / (Number(process.hrtime.bigint() - t0) / 1e9)).toFixed(1));
JS
sj_loop=$(node loop.cjs "$SJ" root.json app.json app.tar "$RE" "$ISS" "$secs")
# tollgate in one process: the same loop over tg_sign_verify (bench_sign.c)
tg_loop=$("$build/bench/bench_sign" root.json app.json app.tar "$RE" "$ISS" "$secs" |
	sed -n 's/.*rate=//p')
echo
printf "%-46s %10s %11s %7s\n" "verify/s (same bundle)" "tollgate" "sigstore-js" "ratio"
printf "%-46s %10s %11s %7s\n" "in-process warm loop (parse bundle, verify)" "$tg_loop" "$sj_loop" "$(ratio "$tg_loop" "$sj_loop")"
printf "%-46s %10s %11s %7s\n" "one process per verification" "$tg_rate" "$sj_rate" "$(ratio "$tg_rate" "$sj_rate")"
echo "(ratio > 1: tollgate is faster; goal for the in-process loop: 20x)"
