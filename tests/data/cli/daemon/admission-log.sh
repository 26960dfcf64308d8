# SPDX-License-Identifier: Apache-2.0
# Admission decisions in the transparency log: every AdmissionReview that
# tollgated decides (allowed, denied, audit) is one log entry, named in the
# answer (auditAnnotations.log_index and status.message); python rebuilds
# each entry from the review and the answer alone, by the format of
# docs/gate.md (decision record, RFC 8785 via sort_keys), and `tollgate log
# verify` proves it is in the log. Dry runs (sideEffects NoneOnDryRun) are
# answered but not logged; malformed reviews are 400 and not logged.
# `tollgate admission review --server` prints the answer with the offline
# command's exit codes.
. "$DATA/setup.inc"
cat >gate.json <<JSON
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$GH_SAN", "issuer": "$GH_ISS"}],
  "builders": [], "sources": [],
  "require_signature": true, "require_provenance": false, "max_age_seconds": 0}}}}
JSON
CFG='"gate_data": "'$WORK/gate.json'", "admission_namespaces": {"sandbox": "audit"}'
start_server "$CFG"
S="--server $URL --ca-file srv/ca.pem"
printf 'release artifact\n' >app.tar
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg sign app.tar $S --oidc-token t1 --bundle app.json
H=$(sha256sum app.tar | cut -c1-64)
sed "s/__DIGEST__/$H/g" "$DATA/../../gate/pod.json" >pod.json
sed "s/__DIGEST__/$H/g" "$DATA/../../gate/deployment-tag.json" >tag.json
sed 's/"namespace": "prod"/"namespace": "sandbox"/g' tag.json >tag-sandbox.json
python3 -c '
import json
r = json.load(open("pod.json")); r["request"]["dryRun"] = True
json.dump(r, open("dry.json", "w"))
'
log_size() {
	expect_exit 0 http req GET /metrics
	sed -n 's/^tollgated_log_entries //p' "$OUT"
}

# one entry per decided review; the CLI's exit codes follow the decision
n0=$(log_size)
# shellcheck disable=SC2086
expect_exit 0 tg admission review pod.json $S
cp "$OUT" pod.answer
# shellcheck disable=SC2086
expect_exit 1 tg admission review tag.json $S
cp "$OUT" tag.answer
# shellcheck disable=SC2086
expect_exit 0 tg admission review tag-sandbox.json $S
cp "$OUT" sandbox.answer
n1=$(log_size)
[ "$n1" -eq $((n0 + 3)) ] || fail "three reviews made $((n1 - n0)) log entries"
# a dry run is answered, not logged
# shellcheck disable=SC2086
expect_exit 0 tg admission review dry.json $S
grep -q log_index "$OUT" && fail "a dry run was logged: $(cat "$OUT")"
# malformed: 400, exit 2, not logged
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}' >bad.json
# shellcheck disable=SC2086
expect_exit 2 tg admission review bad.json $S
expect_out_match '"code":400'
[ "$(log_size)" -eq "$n1" ] || fail "a dry run or a malformed review was logged"
# shellcheck disable=SC2086
expect_exit 2 tg admission review pod.json $S --mode warn

# each entry, rebuilt from the review and its answer only
for c in pod:true tag:false tag-sandbox:true; do
	f=${c%%:*}
	a=$f.answer
	[ "$f" = tag-sandbox ] && a=sandbox.answer
	python3 - "$f.json" "$a" "${c##*:}" "$f.entry" >"$f.index" <<'PY' || fail "entry of $f"
import base64, hashlib, json, sys
review = json.load(open(sys.argv[1]))["request"]
answer = json.load(open(sys.argv[2]))["response"]
assert answer["uid"] == review["uid"] and answer["allowed"] is (sys.argv[3] == "true"), answer
idx = answer["auditAnnotations"]["log_index"]
assert answer["status"]["message"].endswith(" (log index %s)" % idx), answer["status"]
mode = answer["auditAnnotations"]["mode"]
obj, kind = review["object"], review["kind"]["kind"]
spec = obj["spec"] if kind == "Pod" else obj["spec"]["template"]["spec"]
images = []
for field in ("containers", "initContainers", "ephemeralContainers"):
    for c in spec.get(field) or []:
        img = c["image"]
        pinned = "@sha256:" in img
        im = {"allow": False, "container": c.get("name", ""), "field": field, "image": img}
        if pinned:
            im["digest"] = "sha256:" + img.split("@sha256:")[1]
            # the answer names every denied image; the others were allowed
            im["allow"] = ("container '%s' image '%s':" % (im["container"], img)) not in \
                answer["auditAnnotations"].get("reasons", "")
        images.append(im)
record = {"allowed": answer["allowed"], "dry_run": False, "images": images, "kind": kind,
          "mode": mode, "operation": review["operation"], "uid": review["uid"]}
name = review.get("name") or obj.get("metadata", {}).get("name")
if name:
    record["name"] = name
if review.get("namespace"):
    record["namespace"] = review["namespace"]
canon = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
spec = {"allowed": record["allowed"], "images": [
            {k: v for k, v in i.items() if k in ("allow", "digest")} for i in images],
        "mode": mode, "object": {"kind": kind}, "operation": record["operation"],
        "record": {"algorithm": "SHA2_256",
                   "digest": base64.b64encode(hashlib.sha256(canon(record)).digest()).decode()},
        "uid": record["uid"]}
if name:
    spec["object"]["name"] = name
if "namespace" in record:
    spec["namespace"] = record["namespace"]
entry = {"apiVersion": "0.0.1", "kind": "tollgate-admission-decision", "spec": spec}
open(sys.argv[4], "wb").write(canon(entry))
print(idx)
PY
done
[ "$(sort -u pod.index tag.index tag-sandbox.index | wc -l)" -eq 3 ] || fail "log indexes repeat"
finish
LOGDIR=$(dirname "$(find srv -name log.vkey | head -n1)")
for f in pod tag tag-sandbox; do
	expect_exit 0 tg log prove --dir "$LOGDIR" --index "$(cat $f.index)"
	cp "$OUT" $f.proof
	expect_exit 0 tg log verify --vkey "$(cat "$LOGDIR/log.vkey")" --proof $f.proof $f.entry
done
# a changed decision is not what was logged
sed 's/"allowed":true/"allowed":false/' pod.entry >forged.entry
cmp -s pod.entry forged.entry && fail "the pod entry did not say allowed"
expect_exit 1 tg log verify --vkey "$(cat "$LOGDIR/log.vkey")" --proof pod.proof forged.entry
