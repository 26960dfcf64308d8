# SPDX-License-Identifier: Apache-2.0
# policy test (like opa test), policy check, policy fmt and policy bench.
cat >p.rego <<'REGO'
package app

allow if input.user == "alice"
REGO
cat >p_test.rego <<'REGO'
package app_test

import data.app

test_alice if app.allow with input as {"user": "alice"}

test_bob if not app.allow with input as {"user": "bob"}

test_wrong if app.allow with input as {"user": "eve"}
REGO
expect_exit 1 tg policy test p.rego p_test.rego
expect_out_match '^data.app_test.test_wrong: FAIL'
expect_out_match '^PASS: 2/3$'
expect_out_match '^FAIL: 1/3$'
rm p_test.rego
printf 'package app_test\n\nimport data.app\n\ntest_alice if app.allow with input as {"user": "alice"}\n' >ok_test.rego
expect_exit 0 tg policy test -v p.rego ok_test.rego
expect_out_match '^data.app_test.test_alice: PASS'
expect_out_match '^PASS: 1/1$'
# check
expect_exit 0 tg policy check p.rego
printf 'package x\n\np if q\n\nq if p\n' >rec.rego
expect_exit 2 tg policy check rec.rego
expect_err_match 'rec.rego:3: rego_recursion_error: rule data.x.p is recursive'
expect_exit 2 tg policy check --format json rec.rego
expect_out_match '"code": "rego_recursion_error"'
# fmt
printf 'package  x\np   if   {   true   }\n' >ugly.rego
expect_exit 0 tg policy fmt ugly.rego
expect_out_match '^package x$'
expect_out_match '^p if true$|^p if \{$'
# bench
expect_exit 0 tg policy bench -d p.rego --count 20 'data.app.allow'
expect_out_match '^samples +20$'
expect_out_match '^ns/op +[0-9]+$'
expect_out_match '^p99 \(ns\) +[0-9]+$'
expect_out_match '^B/op +[0-9]+$'
