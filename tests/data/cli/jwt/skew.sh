# SPDX-License-Identifier: Apache-2.0
# --skew SECONDS tolerates clock skew on exp (0..300); out of range or not
# a number is a usage error.
. "$DATA/setup.inc"
make_key k ecdsa-p256
printf '{"exp":%d}' $((NOW - 60)) >c.json
tok=$(tg jwt sign --key k.pem --claims c.json) || fail "sign"
expect_exit 1 tg jwt verify --jwks k.jwk "$tok"
expect_err_match 'expired'
expect_exit 0 tg jwt verify --jwks k.jwk --skew 300 "$tok"
expect_out_line "{\"exp\":$((NOW - 60))}"
expect_exit 1 tg jwt verify --jwks k.jwk --skew 5 "$tok"
expect_exit 2 tg jwt verify --jwks k.jwk --skew 301 "$tok"
expect_err_match "^tollgate jwt verify: --skew '301' "
expect_exit 2 tg jwt verify --jwks k.jwk --skew ten "$tok"
expect_exit 2 tg jwt verify --jwks k.jwk --skew -1 "$tok"
