# SPDX-License-Identifier: Apache-2.0
# tollgate's own Rego cases (tests/data/rego/cases/*.json, the conformance
# format): compile errors, limits, v0/v1 differences, with, print, ...
# Every case must pass.
expect_exit 0 tg policy conformance "$TG_SOURCE_DIR/tests/data/rego/cases"
expect_out_match '^[0-9]+ passed, 0 failed$'
