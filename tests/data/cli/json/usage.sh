# SPDX-License-Identifier: Apache-2.0
# json canon: unreadable files and wrong arguments exit 2 with git-style
# messages that quote the subject.
expect_exit 2 tg json canon nope.json
expect_out /dev/null
expect_err_line "tollgate: cannot open 'nope.json': No such file or directory"
mkdir dir
expect_exit 2 tg json canon dir
expect_err_line "tollgate: cannot read 'dir': Is a directory"
printf '[1]' >a.json
expect_exit 2 tg json canon a.json a.json
expect_err_match "^tollgate json canon: too many arguments"
expect_err_match "run 'tollgate json canon --help'"
expect_exit 2 tg json canon --strict=yes a.json
expect_err_match "^tollgate json canon: "
