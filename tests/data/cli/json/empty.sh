# SPDX-License-Identifier: Apache-2.0
# An empty document, or one of only whitespace, is not JSON: exit 2 at the
# position where a value was expected.
: >empty.json
expect_exit 2 tg json canon empty.json
expect_out /dev/null
expect_err_match '^empty\.json:1:1: '
expect_exit 2 tg json canon </dev/null
expect_err_match '^-:1:1: '
printf '  \n ' >blank.json
expect_exit 2 tg json canon blank.json
expect_err_match '^blank\.json:2:2: '
