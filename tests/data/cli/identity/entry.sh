# SPDX-License-Identifier: Apache-2.0
# entry create prints a UUID; entry list shows entries as text and JSON
# (selectors, TTLs, 0 = the CA's default); entry delete removes one, and an
# unknown id is an error (exit 2).
need python3
. "$DATA/setup.inc"
ca_init
expect_exit 0 tg entry create --dir ca --spiffe-id spiffe://example.org/ci/app \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main
expect_out_match '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
id1=$(cat "$OUT")
expect_exit 0 tg entry create --dir ca --spiffe-id spiffe://example.org/deploy \
	--selector 'oidc:sub:repo:acme/app:environment:prod' --x509-ttl 10m --jwt-ttl 90s
id2=$(cat "$OUT")
[ "$id1" != "$id2" ] || fail "two entries with one id"
expect_exit 0 tg entry list --dir ca
expect_out_match "^$id1 spiffe://example\.org/ci/app x509-ttl=default jwt-ttl=default$"
expect_out_match "^  github:repository_id:123456789$"
expect_out_match "^  github:ref:refs/heads/main$"
expect_out_match "^$id2 spiffe://example\.org/deploy x509-ttl=10m jwt-ttl=1m30s$"
expect_out_match "^  oidc:sub:repo:acme/app:environment:prod$"
[ "$(wc -l <"$OUT")" -eq 5 ] || fail "entry list: not 5 lines"
expect_exit 0 tg entry list --dir ca --json
python3 - "$OUT" "$id1" "$id2" <<'PY' || fail "entry list --json"
import json, sys
d = json.load(open(sys.argv[1]))
e = {x["id"]: x for x in d["entries"]}
a, b = e[sys.argv[2]], e[sys.argv[3]]
assert a["spiffe_id"] == "spiffe://example.org/ci/app"
assert sorted(a["selectors"]) == ["github:ref:refs/heads/main", "github:repository_id:123456789"]
assert a["x509_ttl"] == 0 and a["jwt_ttl"] == 0
assert b["x509_ttl"] == 600 and b["jwt_ttl"] == 90
assert b["selectors"] == ["oidc:sub:repo:acme/app:environment:prod"]
assert a["created"].endswith("Z") and len(d["entries"]) == 2
PY
expect_exit 0 tg entry delete --dir ca "$id1"
expect_out /dev/null
expect_exit 0 tg entry list --dir ca
expect_out_match "^$id2 "
grep -q "$id1" "$OUT" && fail "deleted entry still listed"
expect_exit 2 tg entry delete --dir ca "$id1"
expect_err_match "^tollgate: cannot delete entry '$id1': no such entry$"
expect_exit 0 tg entry delete --dir ca "$id2"
expect_exit 0 tg entry list --dir ca
expect_out /dev/null
expect_exit 0 tg entry list --dir ca --json
expect_out_line '{"entries":[]}'
