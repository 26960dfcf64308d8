# SPDX-License-Identifier: Apache-2.0
# svid verify: one trust source (--bundle or --dir), one SVID (--x509 or
# --jwt with --aud), a valid --time and --trust-domain are required (exit
# 2); an unreadable bundle is exit 2, not a verdict.
. "$DATA/setup.inc"
ca_init
tg bundle export --dir ca >b.json
printf 'x\n' >c.pem
v() { tg svid verify "$@"; }
expect_exit 2 v --x509 c.pem
expect_err_match "give --bundle FILE or --dir D"
expect_exit 2 v --bundle b.json --dir ca --x509 c.pem
expect_err_match "give --bundle FILE or --dir D"
expect_exit 2 v --bundle b.json
expect_err_match "give --x509 CERTS or --jwt TOKEN"
expect_exit 2 v --bundle b.json --x509 c.pem --jwt a.b.c --aud x
expect_exit 2 v --bundle b.json --jwt a.b.c
expect_err_match "--jwt needs --aud AUD"
expect_exit 2 v --bundle b.json --x509 c.pem --aud x
expect_err_match "--aud goes with --jwt"
expect_exit 2 v --bundle b.json --x509 c.pem --time yesterday
expect_err_match "--time 'yesterday' is not an RFC 3339 date-time"
expect_exit 2 v --bundle b.json --x509 c.pem --trust-domain 'A B'
expect_err_match "invalid trust domain"
expect_exit 2 v --bundle - --x509 -
expect_err_match "cannot both be '-'"
expect_exit 2 v --bundle nosuch.json --x509 c.pem
expect_err_match "nosuch\.json"
printf '{"keys":' >broken.json
expect_exit 2 v --bundle broken.json --jwt a.b.c --aud x
expect_err_match "^tollgate: cannot read bundle 'broken\.json'"
expect_exit 2 v --bundle b.json --x509 nosuch.pem
expect_err_match "nosuch\.pem"
expect_exit 2 v --dir nowhere --jwt a.b.c --aud x
expect_err_match "cannot open the CA in 'nowhere'"
expect_exit 2 v --bundle b.json --x509 c.pem extra
expect_err_match "unexpected argument 'extra'"
expect_exit 0 v --help
expect_out_match '^usage: tollgate svid verify'
