# SPDX-License-Identifier: Apache-2.0
# A missing file is reported on stderr and skipped; the other files are
# still digested, and the exit code is 2.
need sha256sum
printf 'one' >one
printf 'two' >two
expect_exit 2 tg digest one nope two
sha256sum one two | sed 's/^/sha256:/' >want
expect_out want
expect_err_line "tollgate: cannot open 'nope': No such file or directory"
# only missing files
expect_exit 2 tg digest nope
expect_out /dev/null
# a directory cannot be read
mkdir dir
expect_exit 2 tg digest dir one
expect_err_match "^tollgate: cannot read 'dir': .*Is a directory"
expect_out_match "^sha256:[0-9a-f]{64}  one$"
