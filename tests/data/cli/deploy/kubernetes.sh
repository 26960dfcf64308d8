# SPDX-License-Identifier: Apache-2.0
# deploy/kubernetes without a cluster: every manifest render.sh makes (three
# ways: client certificates with and without names, none) validates against
# the Kubernetes schemas (kubernetes-models, an independent validator that
# is shown to reject a broken manifest) with no unknown field (the models of
# @kubernetes/client-node); render.sh refuses unsafe values.
# End to end: the rendered Deployment's init commands create the state,
# tollgated starts with the rendered config.json (paths moved into the work
# directory), and the rendered ValidatingWebhookConfiguration matches it:
# its caBundle verifies the server's certificate for the Service's DNS name
# (openssl verify -verify_hostname), the Service's port 443 leads to the
# container port of the config's listen address, and an AdmissionReview
# posted by curl to https://<service>.<namespace>.svc<path> with an API
# server client certificate gets the AdmissionReview answer.
. "$DATA/../daemon/setup.inc"
need curl
. "$DATA/npm.inc"
K8S="$TG_SOURCE_DIR/deploy/kubernetes"
IMG="registry.example/tollgate/tollgate@sha256:$(printf '%064d' 7)"

# ---- render.sh refuses what would not be safe to paste into YAML or JSON
expect_exit 2 sh "$K8S/render.sh"
expect_err_match 'image is required'
expect_exit 2 sh "$K8S/render.sh" --image "$IMG" --namespace 'a b'
expect_exit 2 sh "$K8S/render.sh" --image 'x"; rm -rf /'
expect_exit 2 sh "$K8S/render.sh" --image "$IMG" --client-name 'a"b'
expect_exit 2 sh "$K8S/render.sh" --image "$IMG" --client-auth none --client-name x
expect_exit 2 sh "$K8S/render.sh" --image "$IMG" --ca-file "$K8S/webhook.yaml"
expect_exit 0 sh "$K8S/render.sh" --help
expect_out_match '^usage: render.sh'

# ---- the state a first start makes: the init container's own commands
python3 - "$K8S/deployment.yaml" >init.sh <<'PY' || fail "init script"
import re, sys
y = open(sys.argv[1]).read()
m = re.search(r"            - \|\n((?:              .*\n)+)", y)
print("\n".join(l[14:] for l in m.group(1).splitlines()))
PY
sed -i "s|/var/lib/tollgate|$WORK/state|g; s|tollgate |\"\$TG_BIN\" |g" init.sh
mkdir -p state
TRUST_DOMAIN=tollgate.internal sh -e init.sh >init.out 2>&1 || fail "init: $(cat init.out)"
TRUST_DOMAIN=tollgate.internal sh -e init.sh >init.out 2>&1 || fail "init again: $(cat init.out)"

# ---- the rendered configuration, for a real tollgated
expect_exit 0 sh "$K8S/render.sh" --image "$IMG" --client-name kube-apiserver \
	--client-name apiserver.example --out r-first
[ -e r-first/webhook.yaml ] && fail "a webhook without caBundle"
expect_exit 0 $V json r-first/*.yaml
cp "$OUT" first.json
python3 - first.json "$WORK" <<'PY' || fail "rendered configuration"
import json, sys
docs, work = json.load(open(sys.argv[1])), sys.argv[2]
by = {d["kind"]: d for d in docs}
cfg = json.loads(by["ConfigMap"]["data"]["config.json"])
gate = json.loads(by["ConfigMap"]["data"]["gate.json"])
ctr = by["Deployment"]["spec"]["template"]["spec"]["containers"][0]
assert cfg["admission_client_names"] == ["kube-apiserver", "apiserver.example"], cfg
mounts = {m["name"]: m["mountPath"] for m in ctr["volumeMounts"]}
def local(p):
    p = p.replace(mounts["state"], work + "/state")
    p = p.replace(mounts["admission-client-ca"] + "/ca.pem", work + "/apica.pem")
    return p.replace(mounts["config"] + "/gate.json", work + "/gate.json")
for k in ("ca_dir", "signer_dir", "state_dir", "admission_client_ca", "gate_data"):
    cfg[k] = local(cfg[k])
json.dump(cfg, open(work + "/config.json", "w"))
json.dump(gate, open(work + "/gate.json", "w"))
PY
# ---- the API server's client certificate, from its own CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=apica \
	-keyout apica.key -out apica.pem -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign >/dev/null 2>&1 || fail "openssl CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=kube-apiserver \
	-keyout api.key -out api.csr >/dev/null 2>&1 || fail "openssl CSR"
printf 'extendedKeyUsage=clientAuth\n' >api.ext
openssl x509 -req -in api.csr -CA apica.pem -CAkey apica.key -CAcreateserial -days 1 \
	-extfile api.ext -out api.pem >/dev/null 2>&1 || fail "openssl client cert"

# ---- tollgated with the rendered configuration
"$TGD" --config config.json --listen 127.0.0.1:0 >srv.out 2>srv.err &
SRV_PID=$!
i=0
until grep -q '^listening on ' srv.out 2>/dev/null; do
	kill -0 "$SRV_PID" 2>/dev/null || { cat srv.err >&2; fail "tollgated exited"; }
	i=$((i + 1))
	[ "$i" -lt 600 ] || fail "tollgated did not start"
	sleep 0.1
done
PORT=$(sed -n 's/^listening on https:\/\/127\.0\.0\.1://p' srv.out)
# ---- render three ways, all against the schemas
for how in plain names none; do
	case $how in
	plain) set -- ;;
	names) set -- --client-name kube-apiserver --client-name apiserver.example ;;
	none) set -- --client-auth none ;;
	esac
	expect_exit 0 sh "$K8S/render.sh" --image "$IMG" "$@"
	expect_err_match 'no --ca-file'
	grep -q ValidatingWebhookConfiguration "$OUT" && fail "a webhook without caBundle"
	expect_exit 0 sh "$K8S/render.sh" --image "$IMG" --ca-file state/ca.pem --out "r-$how" "$@"
	[ "$(ls "r-$how" | wc -l)" -eq 7 ] || fail "render $how: $(ls "r-$how")"
	expect_exit 0 $V k8s "r-$how"/*.yaml
	[ "$(grep -c '^ok ' "$OUT")" -eq 7 ] || fail "validated: $(cat "$OUT")"
done
expect_exit 0 sh "$K8S/render.sh" --image "$IMG" --ca-file state/ca.pem --namespace gate \
	--service webhook --trust-domain example.org
cp "$OUT" all.yaml
expect_exit 0 $V k8s all.yaml
grep -q 'webhook.gate.svc' all.yaml || fail "names not rendered"
grep -q '__' all.yaml && fail "a placeholder is left: $(grep __ all.yaml)"
# the validator is not a rubber stamp
sed 's/replicas: 1/replicas: one/' r-plain/deployment.yaml >bad1.yaml
sed 's/failurePolicy: Fail/failurePolicy: Sometimes/' r-plain/webhook.yaml >bad2.yaml
sed 's/caBundle: .*/caBundle: "not base64!"/' r-plain/webhook.yaml >bad3.yaml
# unknown fields (as kubectl --validate=strict refuses them): a misspelt
# member of a container, of the webhook, and of the Service's spec
sed 's/^\( *\)image: \(.*\)$/\1image: \2\n\1imagePullPolcy: Always/' \
	r-plain/deployment.yaml >bad4.yaml
sed 's/failurePolicy: Fail/failurePolicy: Fail\n    timeoutSecond: 5/' r-plain/webhook.yaml >bad5.yaml
sed 's/^spec:$/spec:\n  sessionAfinity: None/' r-plain/service.yaml >bad6.yaml
for f in bad1 bad2 bad3 bad4 bad5 bad6; do
	expect_exit 1 $V k8s $f.yaml
done
expect_err_match 'unknown fields .spec.sessionAfinity'

# ---- the rendered objects, as data
expect_exit 0 $V json r-names/*.yaml
cp "$OUT" docs.json
python3 - docs.json "$WORK" <<'PY' || fail "rendered objects"
import json, sys
docs, work = json.load(open(sys.argv[1])), sys.argv[2]
by = {d["kind"]: d for d in docs}
cfg = json.loads(by["ConfigMap"]["data"]["config.json"])
gate = json.loads(by["ConfigMap"]["data"]["gate.json"])
wh = by["ValidatingWebhookConfiguration"]["webhooks"][0]
svc = by["Service"]
pod = by["Deployment"]["spec"]["template"]["spec"]
ctr = pod["containers"][0]
# the webhook calls the Service the config names, on its path
s = wh["clientConfig"]["service"]
assert s["path"] == "/v1/admission", s
assert s["name"] == svc["metadata"]["name"] and s["namespace"] == svc["metadata"]["namespace"], s
name = "%s.%s.svc" % (s["name"], s["namespace"])
assert name in cfg["server_dns_names"], cfg["server_dns_names"]
# port 443 -> the named container port -> the config's listen port
p = [x for x in svc["spec"]["ports"] if x["port"] == s["port"]][0]
cp = [x for x in ctr["ports"] if x["name"] == p["targetPort"]][0]
assert str(cp["containerPort"]) == cfg["listen"].rsplit(":", 1)[1], (cp, cfg["listen"])
assert ctr["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert ctr["readinessProbe"]["httpGet"]["path"] == "/readyz"
# the webhook's rules
assert wh["admissionReviewVersions"] == ["v1"] and wh["failurePolicy"] == "Fail", wh
assert wh["sideEffects"] == "NoneOnDryRun", wh
ex = wh["namespaceSelector"]["matchExpressions"][0]
assert ex["operator"] == "NotIn" and set(ex["values"]) == {s["namespace"], "kube-system"}, ex
res = {r for rule in wh["rules"] for r in rule["resources"]}
assert {"pods", "deployments", "statefulsets", "daemonsets", "replicasets",
        "replicationcontrollers", "jobs", "cronjobs", "podtemplates"} <= res, res
# hardening
sc, psc = ctr["securityContext"], pod["securityContext"]
assert psc["runAsNonRoot"] and psc["seccompProfile"]["type"] == "RuntimeDefault", psc
assert sc["readOnlyRootFilesystem"] and sc["capabilities"]["drop"] == ["ALL"], sc
assert sc["allowPrivilegeEscalation"] is False, sc
assert cfg["admission_client_names"] == ["kube-apiserver", "apiserver.example"], cfg
open(work + "/svc.txt", "w").write("%s %s\n" % (name, s["path"]))
open(work + "/cabundle.b64", "w").write(wh["clientConfig"]["caBundle"])
PY
read -r SVCNAME WHPATH <svc.txt

base64 -d cabundle.b64 >cabundle.pem || fail "caBundle is not base64"
cmp -s cabundle.pem state/ca.pem || fail "caBundle is not the deployment's ca.pem"
echo | openssl s_client -connect "127.0.0.1:$PORT" -showcerts 2>/dev/null |
	awk '/BEGIN CERT/{n++} n>0{print > ("chain" n ".pem")} /END CERT/{n+=0}' || fail "s_client"
expect_exit 0 openssl verify -CAfile cabundle.pem -untrusted chain2.pem -verify_hostname "$SVCNAME" \
	chain1.pem
expect_exit 2 openssl verify -CAfile cabundle.pem -untrusted chain2.pem \
	-verify_hostname tollgate.elsewhere.svc chain1.pem
sed "s/__DIGEST__/$(printf '%064d' 0)/g" "$DATA/../../gate/pod.json" >pod.json
st=$(curl -s -o answer.json -w '%{http_code}' --cacert cabundle.pem --cert api.pem --key api.key \
	--resolve "$SVCNAME:$PORT:127.0.0.1" -H 'Content-Type: application/json' \
	--data-binary @pod.json "https://$SVCNAME:$PORT$WHPATH") || fail "curl $SVCNAME"
[ "$st" = 200 ] || fail "the webhook path answered $st: $(cat answer.json)"
python3 -c '
import json
a = json.load(open("answer.json"))
assert a["kind"] == "AdmissionReview" and a["response"]["allowed"] is False, a
assert a["response"]["uid"] == json.load(open("pod.json"))["request"]["uid"]
' || fail "answer: $(cat answer.json)"
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert cabundle.pem \
	--resolve "$SVCNAME:$PORT:127.0.0.1" --data-binary @pod.json "https://$SVCNAME:$PORT$WHPATH")
[ "$st" = 401 ] || fail "without the client certificate: $st"
finish
