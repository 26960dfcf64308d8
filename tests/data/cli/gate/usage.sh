# SPDX-License-Identifier: Apache-2.0
# gate check and admission review: help, usage errors (exit 2), --server
# (refused without --ca-file and with local options), unreadable inputs and policies with a clear message.
expect_exit 0 tg gate check --help
expect_out_match '^usage: tollgate gate check ARTIFACT'
expect_exit 0 tg admission review --help
expect_out_match '^usage: tollgate admission review REVIEW.json'
expect_exit 0 tg help gate check
expect_exit 2 tg gate check
expect_err_match '^tollgate gate check: --trusted-root, --bundle or --evidence, and one ARTIFACT are required$'
expect_exit 2 tg gate check x --trusted-root r.json --bundle b.json --server https://gate.example
expect_err_match '--server and --ca-file go together'
expect_exit 2 tg gate check x --trusted-root r.json --bundle b.json --server https://gate.example --ca-file ca.pem
expect_err_match '--server takes --ca-file, --json and one ARTIFACT'
expect_exit 2 tg admission review r.json --trusted-root r.json --evidence ev --server https://gate.example --ca-file ca.pem
expect_err_match '--server takes --ca-file, --cert, --key and one REVIEW'
expect_exit 2 tg admission review r.json --server https://gate.example
expect_err_match '--server and --ca-file go together'
expect_exit 2 tg admission review r.json --server https://gate.example --ca-file ca.pem --cert c.pem
expect_err_match '--cert and --key go together, with --server'
expect_exit 2 tg gate check x --server https://gate.example --ca-file ca.pem --cert c.pem --key k.pem
expect_err_match '--server takes --ca-file, --json and one ARTIFACT'
expect_exit 2 tg gate check sha256:12 --trusted-root r.json --bundle b.json
expect_err_match "'sha256:12' is neither a file nor sha256:<64 hex digits>"
expect_exit 2 tg gate check --bogus
expect_err_match "unknown option '--bogus'"
expect_exit 2 tg admission review r.json --trusted-root r.json --evidence ev --mode strict
expect_err_match "--mode is enforce, warn or audit, not 'strict'"
expect_exit 2 tg admission review r.json --trusted-root r.json --evidence ev --namespace-mode prod
expect_err_match "--namespace-mode wants NS=VALUE, not 'prod'"
printf 'x\n' >a.txt
expect_exit 2 tg gate check a.txt --trusted-root missing.json --bundle missing.json
expect_err_match "cannot open 'missing.json'"
mkdir ev
expect_exit 2 tg gate check a.txt --trusted-root missing.json --evidence nodir
expect_err_match "cannot read the evidence directory 'nodir'"
printf 'package x\n\ndeny contains msg if {\n' >broken.rego
printf '{}' >root.json
expect_exit 2 tg gate check a.txt --trusted-root root.json --evidence ev --policy broken.rego
expect_err_match "cannot (load|read)"
