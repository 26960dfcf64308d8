# SPDX-License-Identifier: Apache-2.0
# admission review: real AdmissionReview v1 requests (tests/data/gate) for
# a Pod, a Deployment with three containers and a CronJob, allowed when
# their image digest has good evidence and denied when it has none; an
# image by tag is denied; warn and audit modes allow with warnings and
# audit annotations; per-namespace modes; a malformed review gets 400.
. "$DATA/setup.inc"
gate_init
REV="$DATA/../../gate"
printf 'never signed\n' >unsigned.tar
UDG=$(sha256sum unsigned.tar | cut -d' ' -f1)
for k in pod deployment cronjob deployment-tag; do
	sed "s/__DIGEST__/$DG/g" "$REV/$k.json" >$k.json
	sed "s/__DIGEST__/$UDG/g" "$REV/$k.json" >$k-unsigned.json
done
ADM="--trusted-root root.json --evidence ev --data config.json"
# check_resp FILE ALLOWED CODE UID: the response envelope
check_resp() {
	python3 - "$@" <<'PY' || fail "response $*"
import json, sys
f, allowed, code, uid = sys.argv[1:5]
raw = open(f).read()
d = json.loads(raw)
assert d["apiVersion"] == "admission.k8s.io/v1" and d["kind"] == "AdmissionReview", d
r = d["response"]
assert r["uid"] == uid, r
assert r["allowed"] is (allowed == "true"), r
assert r["status"]["code"] == int(code), r
PY
}

# allowed: Pod (container + init container), Deployment (3 containers), CronJob
# shellcheck disable=SC2086
expect_exit 0 tg admission review pod.json $ADM
check_resp "$OUT" true 200 0df28fbd-5f5f-11e8-bc74-36e6bb280816
# shellcheck disable=SC2086
expect_exit 0 tg admission review deployment.json $ADM
check_resp "$OUT" true 200 705ab4f5-6393-11e8-b7cc-42010a800002
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["response"]["auditAnnotations"]; assert a["decision"]=="allow" and a["images"]=="3", a' "$OUT" ||
	fail "annotations"
# shellcheck disable=SC2086
expect_exit 0 tg admission review cronjob.json $ADM
check_resp "$OUT" true 200 c4a8e3f1-7b2d-4e6a-9f0c-5d1b2a3c4e5f

# denied: the same objects with an unsigned image
for k in pod deployment cronjob; do
	# shellcheck disable=SC2086
	expect_exit 1 tg admission review $k-unsigned.json $ADM
	uid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["request"]["uid"])' $k.json)
	check_resp "$OUT" false 403 "$uid"
	expect_out_match "no verified signature over the artifact"
	expect_out_match "ghcr.io/acme/app@sha256:$UDG"
done

# an image by tag: denied in enforce mode, with the container named
# shellcheck disable=SC2086
expect_exit 1 tg admission review deployment-tag.json $ADM
check_resp "$OUT" false 403 705ab4f5-6393-11e8-b7cc-42010a800002
expect_out_match "tollgate: 1 of 3 images denied \(mode enforce\): container 'proxy' image 'ghcr.io/acme/proxy:1.25': not pinned by digest"

# warn: allowed, the reason as a warning
# shellcheck disable=SC2086
expect_exit 0 tg admission review deployment-tag.json $ADM --mode warn
check_resp "$OUT" true 200 705ab4f5-6393-11e8-b7cc-42010a800002
python3 - "$OUT" <<'PY' || fail "warnings"
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert len(r["warnings"]) == 1 and "not pinned by digest" in r["warnings"][0], r
assert r["auditAnnotations"]["decision"] == "deny" and r["auditAnnotations"]["mode"] == "warn", r
PY

# audit: allowed, the reasons in auditAnnotations only
# shellcheck disable=SC2086
expect_exit 0 tg admission review deployment-unsigned.json $ADM --mode audit
python3 - "$OUT" <<'PY' || fail "audit"
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["allowed"] is True and "warnings" not in r, r
a = r["auditAnnotations"]
assert a["decision"] == "deny" and a["mode"] == "audit", a
assert a["reasons"].count("no verified signature over the artifact") == 3, a
PY

# per namespace: audit in batch, warn in prod, enforce elsewhere
# shellcheck disable=SC2086
expect_exit 0 tg admission review cronjob-unsigned.json $ADM --namespace-mode batch=audit
expect_out_match '"mode":"audit"'
# shellcheck disable=SC2086
expect_exit 1 tg admission review cronjob-unsigned.json $ADM --namespace-mode prod=warn
# a namespace policy that allows what is pinned
cat >lax.rego <<'REGO'
package tollgate.gate

allow := true
deny := set()
REGO
# shellcheck disable=SC2086
expect_exit 0 tg admission review cronjob-unsigned.json $ADM --namespace-policy batch=lax.rego
# shellcheck disable=SC2086
expect_exit 1 tg admission review pod-unsigned.json $ADM --namespace-policy batch=lax.rego

# malformed reviews: a 400 answer, never allowed, exit 2
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bad-1","operation":"CREATE","kind":{"kind":"Pod"},"object":{"spec":{"containers":"nope"}}}}' >bad.json
# shellcheck disable=SC2086
expect_exit 2 tg admission review bad.json $ADM
check_resp "$OUT" false 400 bad-1
expect_out_match 'malformed AdmissionReview: request.object: spec.containers is a string, not an array'
printf '{"apiVersion":"admission.k8s.io/v1",' >trunc.json
# shellcheck disable=SC2086
expect_exit 2 tg admission review trunc.json $ADM
check_resp "$OUT" false 400 ""
# standard input
# shellcheck disable=SC2086
tg admission review - $ADM <pod.json >stdin.out || fail "stdin review"
check_resp stdin.out true 200 0df28fbd-5f5f-11e8-bc74-36e6bb280816
