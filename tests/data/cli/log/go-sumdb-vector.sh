# SPDX-License-Identifier: Apache-2.0
# A log created with the signer key of golang.org/x/mod/sumdb/note's tests
# prints exactly the verifier key of those tests.
printf 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n' >go.skey
expect_exit 0 tg log init --dir L --origin PeterNeumann --key go.skey
expect_out_line 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
expect_exit 0 tg log vkey --key go.skey
expect_out_line 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
expect_exit 2 tg log init --dir M --origin SomeoneElse --key go.skey
expect_err_match "not 'SomeoneElse'"
