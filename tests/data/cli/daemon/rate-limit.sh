# SPDX-License-Identifier: Apache-2.0
# Per-identity rate limit: with rate_per_minute 5, the sixth quick request
# of one client is refused with 429 and a JSON error; keep-alive carries
# several requests on one connection. AdmissionReviews have a budget of
# their own (admission_rate_per_minute).
. "$DATA/setup.inc"
start_server '"rate_per_minute": 5'
expect_exit 0 http many 7 /healthz
expect_out_line "200 200 200 200 200 429 429"
expect_exit 0 http req GET /healthz
[ "$(status_of "$OUT")" = 429 ] || fail "want 429, got $(cat "$OUT")"
grep -q '"code":"rate_limited"' "$OUT" || fail "429 body"
finish

# AdmissionReviews have their own budget per address
# (admission_rate_per_minute): every review of a cluster comes from the
# API server, which the address's ordinary budget would throttle
# (budgets of 1 and 2 a minute: a token comes back only after 60 and 30 s,
# longer than these requests take even on a loaded machine)
start_server '"rate_per_minute": 1, "admission_rate_per_minute": 2'
expect_exit 0 http many 2 /healthz
expect_out_line "200 429"
cat >review.json <<'JSON'
{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
 "uid": "7c8e1b2a-0000-4000-8000-000000000001", "operation": "CREATE", "namespace": "default",
 "kind": {"group": "", "version": "v1", "kind": "Pod"},
 "resource": {"group": "", "version": "v1", "resource": "pods"},
 "userInfo": {"username": "system:serviceaccount:ci:deployer"}, "dryRun": true,
 "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
  "spec": {"containers": [{"name": "web", "image": "registry.example/web:1.0"}]}}}}
JSON
statuses=
for n in 1 2 3; do
	expect_exit 0 http req POST /v1/admission review.json
	statuses="$statuses $(status_of "$OUT")"
done
[ "$statuses" = " 200 200 429" ] || fail "admission statuses:$statuses"
# the ordinary budget is still spent
expect_exit 0 http req GET /healthz
[ "$(status_of "$OUT")" = 429 ] || fail "healthz after admission: $(cat "$OUT")"
finish
