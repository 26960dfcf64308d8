# SPDX-License-Identifier: Apache-2.0
# help NOUN, NOUN --help and NOUN VERB --help print the usage of that
# command on stdout and exit 0; the forms agree with each other.
expect_exit 0 tg help json canon
expect_out_match '^usage: tollgate json canon '
cp "$OUT" canon.txt
expect_exit 0 tg json canon --help
expect_out canon.txt
expect_exit 0 tg json canon -h
expect_out canon.txt
expect_exit 0 tg help json
expect_out canon.txt

expect_exit 0 tg help digest
expect_out_match '^usage: tollgate digest '
cp "$OUT" digest.txt
expect_exit 0 tg digest --help
expect_out digest.txt

# a noun with several verbs: the usage of each
expect_exit 0 tg key --help
expect_out_match '^usage: tollgate key generate '
expect_out_match '^usage: tollgate key public '
cp "$OUT" key.txt
expect_exit 0 tg help key
expect_out key.txt
expect_exit 0 tg key generate --help
expect_out_match '^usage: tollgate key generate '
expect_exit 0 tg key public --help
expect_out_match '^usage: tollgate key public '
# --help wins over other arguments
expect_exit 0 tg digest --alg sha384 --help
expect_out digest.txt
expect_exit 0 tg help jwt
expect_out_match '^usage: tollgate jwt sign '
expect_out_match '^usage: tollgate jwt verify '
expect_exit 0 tg jwt verify --help
expect_out_match '^usage: tollgate jwt verify '
