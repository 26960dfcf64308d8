# SPDX-License-Identifier: Apache-2.0
# The deployment gate in tollgated: `tollgate sign --server` stores its
# bundle (POST /v1/attestations, verified first; 422 for what does not
# verify), GET /v1/attestations/sha256:HEX gives it back, `tollgate gate
# check --server` (POST /v1/verify) allows the artifact signed by the
# configured workflow and denies a tampered artifact, a signer that is not
# configured, an unsigned digest and an unstored (--no-store) signature;
# the store survives a restart; POST /v1/admission allows a Pod pinned by
# digest and denies a Deployment with an image by tag (enforce), and only
# annotates in an audit namespace; malformed bodies are 400. Every
# decision is logged: its inclusion proof verifies with `tollgate log verify`.
# The server's policy is the built-in default with require_provenance
# false: this case checks signatures; dsse.sh covers provenance.
. "$DATA/setup.inc"
cat >gate.json <<JSON
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$GH_SAN", "issuer": "$GH_ISS"}],
  "builders": [], "sources": [],
  "require_signature": true, "require_provenance": false, "max_age_seconds": 0}}}}
JSON
CFG='"gate_data": "'$WORK/gate.json'", "admission_mode": "enforce",
 "admission_namespaces": {"sandbox": "audit"}'
start_server "$CFG"
S="--server $URL --ca-file srv/ca.pem"
hex_of() { sha256sum "$1" | cut -c1-64; }

# sign via the server: the bundle is stored
printf 'release artifact\n' >app.tar
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t1 --bundle app.json
expect_err_match "stored the bundle on $URL"
H=$(hex_of app.tar)
expect_exit 0 http req GET "/v1/attestations/sha256:$H"
[ "$(status_of "$OUT")" = 200 ] || fail "GET attestations: $(cat "$OUT")"
tail -n +2 "$OUT" | python3 -c '
import json, sys
got = json.load(sys.stdin); want = json.load(open("app.json"))
assert got["digest"] == "sha256:" + sys.argv[1], got["digest"]
assert got["bundles"] == [want], "the stored bundle differs from app.json"
' "$H" || fail "stored bundle"
# storing it again is not a second copy (200, stored false)
expect_exit 0 http req POST /v1/attestations app.json application/json
[ "$(status_of "$OUT")" = 200 ] || fail "re-store: $(cat "$OUT")"
grep -q '"stored":false' "$OUT" || fail "re-store says stored"

# allowed
# shellcheck disable=SC2086
expect_exit 0 tg gate check app.tar $S
expect_out_match "^allowed: app.tar\$"
expect_out_match "^  decision logged at index [0-9][0-9]*\$"
# shellcheck disable=SC2086
expect_exit 0 tg gate check "sha256:$H" $S --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["allow"] is True and d["deny"] == [], d
assert d["artifact"] == "sha256:" + sys.argv[2], d["artifact"]
assert [e["identity"] for e in d["evidence"]] == [sys.argv[3]], d["evidence"]
' "$OUT" "$H" "$GH_SAN" || fail "decision document"
# the decision is in the log: an entry over the SHA-256 of the canonical
# decision (RFC 8785, here by python) without decision_log_index
python3 -c '
import base64, hashlib, json, sys
d = json.load(open(sys.argv[1])); n = d.pop("decision_log_index")
assert isinstance(n, int) and n >= 1, n
c = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
e = {"apiVersion": "0.0.1", "kind": "tollgate-gate-decision", "spec": {"allow": True,
     "artifact": d["artifact"], "decision": {"algorithm": "SHA2_256",
     "digest": base64.b64encode(hashlib.sha256(c).digest()).decode()}}}
open("decision.entry", "wb").write(json.dumps(e, sort_keys=True, separators=(",", ":")).encode())
print(n)
' "$OUT" >decision.index || fail "decision log entry"

# a tampered artifact: no evidence for its digest
printf 'release artifacT\n' >bad.tar
# shellcheck disable=SC2086
expect_exit 1 tg gate check bad.tar $S
expect_out_match '^denied: bad.tar'
expect_out_match 'no verified signature over the artifact'

# signed by another workflow of the same repository: verifies, is stored,
# but is not a configured signer
printf 'other artifact\n' >other.tar
gh_token t2 '"job_workflow_ref": "acme/app/.github/workflows/evil.yml@refs/heads/main"'
# shellcheck disable=SC2086
expect_exit 0 tg sign other.tar $S --oidc-token t2 --bundle other.json
# shellcheck disable=SC2086
expect_exit 1 tg gate check other.tar $S
expect_out_match 'evil\.yml@refs/heads/main .*is not an allowed identity'

# an unsigned digest
# shellcheck disable=SC2086
expect_exit 1 tg gate check "sha256:$(printf '%064d' 0)" $S
expect_out_match 'no verified signature over the artifact'

# --no-store: signed, but the gate does not know it
printf 'quiet artifact\n' >quiet.tar
gh_token t3
# shellcheck disable=SC2086
expect_exit 0 tg sign quiet.tar $S --oidc-token t3 --bundle quiet.json --no-store
expect_exit 0 tg verify quiet.tar --bundle quiet.json --trusted-root srv/trusted_root.json \
	--identity "$GH_SAN" --issuer "$GH_ISS"
# shellcheck disable=SC2086
expect_exit 1 tg gate check quiet.tar $S
# and posting it afterwards lets it through
expect_exit 0 http req POST /v1/attestations quiet.json application/json
[ "$(status_of "$OUT")" = 201 ] || fail "store quiet.json: $(cat "$OUT")"
# shellcheck disable=SC2086
expect_exit 0 tg gate check quiet.tar $S

# a bundle that does not verify is refused with the reason (422)
python3 -c '
import base64, json
b = json.load(open("app.json"))
s = bytearray(base64.b64decode(b["messageSignature"]["signature"])); s[-1] ^= 1
b["messageSignature"]["signature"] = base64.b64encode(bytes(s)).decode()
json.dump(b, open("forged.json", "w"))
b = json.load(open("app.json")); b["messageSignature"]["messageDigest"]["digest"] = \
    base64.b64encode(bytes(32)).decode()
json.dump(b, open("moved.json", "w"))
' || fail "forge"
for f in forged.json moved.json; do
	expect_exit 0 http req POST /v1/attestations $f application/json
	[ "$(status_of "$OUT")" = 422 ] || fail "$f: $(cat "$OUT")"
	grep -q 'does not verify against this server' "$OUT" || fail "$f reason: $(cat "$OUT")"
done
expect_exit 0 http req GET "/v1/attestations/sha256:$(printf '%064d' 0)"
grep -q '"bundles":\[\]' "$OUT" || fail "the moved bundle was stored: $(cat "$OUT")"

# admission: a Pod pinned by digest is allowed; a tag is denied
sed "s/__DIGEST__/$H/g" "$DATA/../../gate/pod.json" >pod.json
sed "s/__DIGEST__/$H/g" "$DATA/../../gate/deployment-tag.json" >tag.json
sed 's/"namespace": "prod"/"namespace": "sandbox"/g' tag.json >tag-sandbox.json
review() {
	expect_exit 0 http req POST /v1/admission "$1" application/json
	[ "$(status_of "$OUT")" = "$2" ] || fail "admission $1: $(cat "$OUT")"
	tail -n +2 "$OUT" >review.out
	python3 -c '
import json, sys
r = json.load(open("review.out"))
want_uid = json.load(open(sys.argv[1]))["request"]["uid"]
assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview", r
assert r["response"]["uid"] == want_uid, r["response"]
assert r["response"]["allowed"] is (sys.argv[2] == "true"), r["response"]
' "$1" "$3" || fail "admission $1: $(cat review.out)"
}
review pod.json 200 true
review tag.json 200 false
grep -q 'ghcr.io/acme/proxy:1.25' review.out || fail "the denial does not name the image"
review tag-sandbox.json 200 true
grep -q 'auditAnnotations' review.out || fail "audit mode did not annotate"

# malformed bodies
printf '{"digest":' >trunc.json
printf '{"digest":"sha256:%s"}' "$(printf '%063d' 0)" >short.json
printf '{"digest":"sha256:%s","extra":1}' "$H" >extra.json
printf '{"digest":"sha256:%s","policy":"nope"}' "$H" >nopolicy.json
for f in trunc.json short.json extra.json nopolicy.json; do
	expect_exit 0 http req POST /v1/verify $f application/json
	[ "$(status_of "$OUT")" = 400 ] || fail "verify $f: $(cat "$OUT")"
done
printf 'not json' >junk.txt
expect_exit 0 http req POST /v1/attestations junk.txt application/json
[ "$(status_of "$OUT")" = 400 ] || fail "attestations junk: $(cat "$OUT")"
expect_exit 0 http req POST /v1/attestations gate.json application/json
[ "$(status_of "$OUT")" = 400 ] || fail "attestations non-bundle: $(cat "$OUT")"
expect_exit 0 http req POST /v1/admission junk.txt application/json
[ "$(status_of "$OUT")" = 400 ] || fail "admission junk: $(cat "$OUT")"
expect_exit 0 http req GET /v1/attestations/sha256:XYZ
[ "$(status_of "$OUT")" = 400 ] || fail "GET bad digest: $(cat "$OUT")"
expect_exit 0 http req GET /v1/verify
[ "$(status_of "$OUT")" = 405 ] || fail "GET /v1/verify: $(cat "$OUT")"
# shellcheck disable=SC2086
expect_exit 2 tg gate check app.tar --server "$URL"
# shellcheck disable=SC2086
expect_exit 2 tg gate check app.tar $S --trusted-root srv/trusted_root.json

# the store survives a restart; the decision's inclusion proof verifies
finish
LOGDIR=$(dirname "$(find srv -name log.vkey | head -n1)")
[ -d "$LOGDIR" ] || fail "no log directory in srv"
expect_exit 0 tg log prove --dir "$LOGDIR" --index "$(cat decision.index)"
cp "$OUT" decision.proof
expect_exit 0 tg log verify --vkey "$(cat "$LOGDIR/log.vkey")" --proof decision.proof decision.entry
printf 'x' >>decision.entry
expect_exit 1 tg log verify --vkey "$(cat "$LOGDIR/log.vkey")" --proof decision.proof decision.entry
start_server "$CFG"
S="--server $URL --ca-file srv/ca.pem"
# shellcheck disable=SC2086
expect_exit 0 tg gate check app.tar $S
expect_out_match "^allowed: app.tar\$"
expect_out_match "^  decision logged at index [0-9][0-9]*\$"
# shellcheck disable=SC2086
expect_exit 1 tg gate check other.tar $S
finish
