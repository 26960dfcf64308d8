# SPDX-License-Identifier: Apache-2.0
# The default gate policy's unit tests (policies/gate/default_test.rego)
# pass under `tollgate policy test`, and the policy is formatted.
src=${TG_SOURCE_DIR:?}
expect_exit 0 tg policy test -v "$src/policies/gate"
expect_out_match '^PASS: [0-9]+/[0-9]+$'
if grep -q '^FAIL' "$OUT"; then fail "a policy test failed"; fi
n=$(grep -c ': PASS' "$OUT")
[ "$n" -ge 12 ] || fail "only $n policy tests ran"
expect_exit 0 tg policy check "$src/policies/gate"
