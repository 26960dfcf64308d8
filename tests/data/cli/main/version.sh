# SPDX-License-Identifier: Apache-2.0
# tollgate --version prints "tollgate <version>", the version CMake's
# project() declares.
expect_exit 0 tg --version
want=$(sed -n 's/^project(tollgate VERSION \([0-9.]*\).*/\1/p' "$TG_SOURCE_DIR/CMakeLists.txt")
[ -n "$want" ] || fail "cannot find the project version in CMakeLists.txt"
expect_out_line "tollgate $want"
