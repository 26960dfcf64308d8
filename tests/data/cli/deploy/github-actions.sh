# SPDX-License-Identifier: Apache-2.0
# examples/github-actions/tollgate.yml cannot rot: it validates against the
# workflow schema (@action-validator/core, shown to reject a broken copy),
# and its `run:` steps run (run-workflow.py, as the runner would; only the
# install step is replaced by the binary under test) in a git workspace
# against a --dev tollgated, with a stand-in for the Actions token endpoint
# (actions-token.py: ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN answering
# {"value": JWT} signed by the test issuer whose JWK set tollgated trusts).
# The job attests, signs, signs provenance and passes the gate; each token
# was asked for with the configured audience; the bundles verify offline.
# The same job run as another workflow (not an allowed signer or builder)
# fails at its Gate step.
. "$DATA/../daemon/setup.inc"
need curl jq git
. "$DATA/npm.inc"
WF="$TG_SOURCE_DIR/examples/github-actions/tollgate.yml"
REF=acme/app/.github/workflows/tollgate.yml@refs/heads/main
SAN="https://github.com/$REF"

# ---- the workflow schema
expect_exit 0 $V workflow "$WF"
expect_out_line "ok workflow $WF"
sed 's/^    runs-on: .*$/    runs-on: [/' "$WF" >broken1.yml
sed 's/id-token: write/id-token: sometimes/' "$WF" >broken2.yml
for f in broken1 broken2; do
	expect_exit 1 $V workflow $f.yml
done
expect_exit 0 $V json "$WF"
cp "$OUT" wf.json
python3 -c '
import json, sys
w = json.load(open("wf.json"))[0]
assert w["permissions"]["id-token"] == "write", w["permissions"]
runs = "\n".join(s.get("run", "") for s in w["jobs"]["release"]["steps"])
for want in ("tollgate attest --server", "tollgate sign", "--provenance",
             "tollgate gate check", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
    assert want in runs, want
' || fail "the example lacks a step"

# ---- tollgated trusting the test issuer, with a gate for this workflow
cat >gate.json <<JSON
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$SAN", "issuer": "$GH_ISS"}],
  "builders": [{"id": "$SAN"}],
  "sources": [{"repository": "https://github.com/acme/app"}],
  "require_signature": true, "require_provenance": true, "max_age_seconds": 0}}}}
JSON
start_server '"gate_data": "'$WORK/gate.json'"'
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main \
	>/dev/null || fail "entry create"

# ---- the token endpoint stand-in
printf '%s\n' "$REF" >workflow.ref
python3 "$DATA/actions-token.py" "$TG_BIN" issuer.pem s3cret workflow.ref tokens.log \
	>tok.out 2>tok.err &
TOK_PID=$!
trap 'kill "$TOK_PID" 2>/dev/null; stop_server; rm -rf "$WORK"' EXIT
i=0
until grep -q '^port ' tok.out 2>/dev/null; do
	kill -0 "$TOK_PID" 2>/dev/null || fail "actions-token.py: $(cat tok.err)"
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "actions-token.py did not start"
	sleep 0.1
done
TOKURL="http://127.0.0.1:$(sed -n 's/^port //p' tok.out)/token?api-version=2.0"
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: bearer wrong' "$TOKURL&audience=x")
[ "$st" = 401 ] || fail "the stand-in took a wrong request token: $st"

# ---- a repository checkout
mkdir ws
git -C ws init -q -b main || fail "git init"
printf 'hello\n' >ws/README
mkdir ws/.github
cp srv/ca.pem ws/.github/tollgate-ca.pem
git -C ws add -A && git -C ws -c user.name=ci -c user.email=ci@example.com commit -qm one ||
	fail "git commit"

run_job() {
	python3 "$DATA/run-workflow.py" wf.json release "$WORK/ws" install-tollgate \
		"TOLLGATE_URL=$URL" "ACTIONS_ID_TOKEN_REQUEST_URL=$TOKURL" \
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=s3cret" "PATH=$(dirname "$TG_BIN"):$PATH"
}
expect_exit 0 run_job
expect_out_match '^skipped: Install tollgate$'
expect_out_match '^skipped: actions/upload-artifact@'
expect_out_match '^run: Gate$'
expect_out_match '^allowed: dist/app.tar$'
expect_out_match '^spiffe://tollgate.test/ci/acme/app$'
expect_out_line_last() { [ "$(tail -n1 "$OUT")" = "$1" ] || fail "last line: $(tail -n1 "$OUT")"; }
expect_out_line_last "job succeeded"
[ "$(wc -l <tokens.log)" -eq 3 ] || fail "tokens asked for: $(cat tokens.log)"
[ "$(cut -d' ' -f1 tokens.log | sort -u)" = tollgate ] || fail "audiences: $(cat tokens.log)"
for b in sigstore provenance; do
	[ -s "ws/dist/app.tar.$b.json" ] || fail "no $b bundle"
	expect_exit 0 tg verify ws/dist/app.tar --bundle "ws/dist/app.tar.$b.json" \
		--trusted-root srv/trusted_root.json --identity "$SAN" --issuer "$GH_ISS"
done
expect_out_match 'predicate https://slsa.dev/provenance/v1'

# ---- the same job as another workflow: signed, but the gate says no
printf 'again\n' >>ws/README
git -C ws -c user.name=ci -c user.email=ci@example.com commit -qam two || fail "git commit"
printf '%s\n' acme/app/.github/workflows/evil.yml@refs/heads/main >workflow.ref
expect_exit 1 run_job
expect_out_match '^run: SLSA provenance$'
expect_out_match '^denied: dist/app.tar$'
expect_out_line_last "step failed: Gate (exit 1)"
finish
