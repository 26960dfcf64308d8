# SPDX-License-Identifier: Apache-2.0
# attest --profile maps the claims of GitLab CI, Kubernetes service account
# and any other issuer's tokens to their selectors (gitlab:, k8s:, oidc:),
# which entries match; a Kubernetes token past its warnafter is accepted
# with a warning; a token lacking what its profile requires exits 1.
need python3
. "$DATA/setup.inc"
ca_init
issuer_key issuer ecdsa-p256
mk() { # FILE ISS JSON-MEMBERS: a signed token with aud tollgate, valid 10 minutes
	python3 - "$1.claims" "$2" "$3" "$NOW" <<'PY' || fail "claims $1"
import json, sys
path, iss, extra, now = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = {"iss": iss, "aud": ["tollgate"], "exp": now + 600, "iat": now, "nbf": now,
     "jti": path}
c.update(json.loads("{" + extra + "}"))
json.dump(c, open(path, "w"))
PY
	tg jwt sign --key issuer.pem --claims "$1.claims" >"$1" || fail "jwt sign $1"
}
at() { # TOKEN ISS PROFILE ARGS...
	t=$1 iss=$2 p=$3
	shift 3
	tg attest --dir ca --oidc-token "$t" --jwks issuer.jwks --issuer "$iss" \
		--audience tollgate --profile "$p" --verbose "$@"
}
tg entry create --dir ca --spiffe-id spiffe://example.org/gitlab/app \
	--selector gitlab:project_id:4242 --selector gitlab:ref_protected:true >/dev/null
tg entry create --dir ca --spiffe-id spiffe://example.org/k8s/ci/builder \
	--selector k8s:ns:ci --selector k8s:sa:builder \
	--selector k8s:iss:https://kubernetes.default.svc >/dev/null
tg entry create --dir ca --spiffe-id spiffe://example.org/other/prod \
	--selector oidc:iss:https://ci.example --selector oidc:env:prod >/dev/null
mk gl https://gitlab.com '"sub": "project_path:acme/app:ref_type:branch:ref:main",
	"project_id": "4242", "project_path": "acme/app", "namespace_id": "7",
	"namespace_path": "acme", "ref": "main", "ref_type": "branch",
	"ref_protected": "true", "pipeline_id": "99", "job_id": "1001"'
expect_exit 0 at gl https://gitlab.com gitlab
expect_out_line "spiffe://example.org/gitlab/app"
expect_err_match '^  gitlab:project_path:acme/app$'
expect_err_match '^  gitlab:iss:https://gitlab\.com$'
mk k8s https://kubernetes.default.svc "\"sub\": \"system:serviceaccount:ci:builder\",
	\"kubernetes.io\": {\"namespace\": \"ci\",
	\"serviceaccount\": {\"name\": \"builder\", \"uid\": \"5b6c\"},
	\"pod\": {\"name\": \"builder-7d9\", \"uid\": \"77aa\"}, \"warnafter\": $((NOW - 5))}"
expect_exit 0 at k8s https://kubernetes.default.svc kubernetes
expect_out_line "spiffe://example.org/k8s/ci/builder"
expect_err_match '^  k8s:pod-name:builder-7d9$'
expect_err_match '^tollgate: warning: .*warnafter'
mk gen https://ci.example '"sub": "pipeline-1", "env": "prod", "team": "payments"'
expect_exit 0 at gen https://ci.example generic
expect_out_line "spiffe://example.org/other/prod"
expect_err_match '^  oidc:team:payments$'
# a Kubernetes token under the github profile lacks repository_id
mk k8s2 https://kubernetes.default.svc "\"sub\": \"system:serviceaccount:ci:builder\",
	\"kubernetes.io\": {\"namespace\": \"ci\", \"serviceaccount\": {\"name\": \"builder\", \"uid\": \"5b6c\"}}"
expect_exit 1 at k8s2 https://kubernetes.default.svc github
expect_err_match '^tollgate: attestation failed: .*repository_id'
# a sub that contradicts the kubernetes.io claims
mk k8s3 https://kubernetes.default.svc "\"sub\": \"system:serviceaccount:kube-system:admin\",
	\"kubernetes.io\": {\"namespace\": \"ci\", \"serviceaccount\": {\"name\": \"builder\", \"uid\": \"5b6c\"}}"
expect_exit 1 at k8s3 https://kubernetes.default.svc kubernetes
expect_err_match "^tollgate: attestation failed: .*sub"
