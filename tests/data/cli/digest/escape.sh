# SPDX-License-Identifier: Apache-2.0
# A name holding a backslash or a newline is escaped as sha256sum escapes
# it: the line starts with a backslash, '\' becomes '\\', newline '\n'.
need sha256sum
printf 'x' >'back\slash'
expect_exit 0 tg digest 'back\slash'
want=$(sha256sum 'back\slash' | sed 's/^\\/\\sha256:/')
expect_out_line "$want"
nl='new
line'
printf 'y' >"$nl"
expect_exit 0 tg digest "$nl"
want=$(sha256sum "$nl" | sed 's/^\\/\\sha256:/')
expect_out_line "$want"
