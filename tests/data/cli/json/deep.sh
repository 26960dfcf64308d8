# SPDX-License-Identifier: Apache-2.0
# Nesting is bounded (TG_LIMIT_JSON_DEPTH = 512): 512 levels are fine,
# 513 are rejected with exit 2 and a position, never a crash.
awk 'BEGIN { for (i = 0; i < 512; i++) printf "["; for (i = 0; i < 512; i++) printf "]" }' >ok.json
expect_exit 0 tg json canon ok.json
{ cat ok.json; echo; } >ok.want
expect_out ok.want
awk 'BEGIN { for (i = 0; i < 513; i++) printf "["; for (i = 0; i < 513; i++) printf "]" }' >deep.json
expect_exit 2 tg json canon deep.json
expect_out /dev/null
expect_err_match '^deep\.json:1:[0-9]+: '
