# SPDX-License-Identifier: Apache-2.0
# jwt sign and jwt verify: missing or wrong arguments, unusable keys and
# claims that are not an object are usage or input errors (exit 2).
. "$DATA/setup.inc"
make_key k ed25519
make_key r rsa-2048
claims c.json
expect_exit 2 tg jwt sign --claims c.json
expect_err_match "missing --key"
expect_exit 2 tg jwt sign --key k.pub --claims c.json
expect_err_match "^tollgate: cannot sign with 'k\.pub': it holds a public key$"
expect_exit 2 tg jwt sign --key k.pem --alg ES256 --claims c.json
expect_err_match "algorithm 'ES256' does not fit"
expect_exit 2 tg jwt sign --key k.pem --alg none --claims c.json
expect_err_match "unknown algorithm 'none'"
expect_exit 2 tg jwt sign --key r.pem --alg HS256 --claims c.json
expect_exit 2 tg jwt sign --key nope.pem --claims c.json
expect_err_match "^tollgate: cannot open 'nope\.pem'"
printf '[1]' >arr.json
expect_exit 2 tg jwt sign --key k.pem --claims arr.json
expect_err_match "^tollgate: claims 'arr\.json' is a JSON array, not an object$"
printf '{"a":1,\n "a":2}' >dup.json
expect_exit 2 tg jwt sign --key k.pem --claims dup.json
expect_err_line 'dup.json:2:2: duplicate object key "a"'
printf '{"exp":"tomorrow"}' >str.json
expect_exit 2 tg jwt sign --key k.pem --claims str.json
expect_err_match "wrong type"
expect_exit 2 tg jwt sign --key - --claims - <k.pem
expect_out /dev/null
# claims from standard input by default
expect_exit 0 tg jwt sign --key k.pem <c.json
expect_out_match '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'

tok=$(tg jwt sign --key k.pem --claims c.json) || fail "sign"
expect_exit 2 tg jwt verify "$tok"
expect_err_match "missing --jwks"
expect_exit 2 tg jwt verify --jwks k.jwk
expect_err_match "missing TOKEN"
expect_exit 2 tg jwt verify --jwks k.jwk "$tok" "$tok"
expect_exit 2 tg jwt verify --jwks nope.json "$tok"
expect_err_match "^tollgate: cannot open 'nope\.json'"
printf '{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}' >bad.json
expect_exit 2 tg jwt verify --jwks bad.json "$tok"
expect_err_match "^tollgate: cannot load JWK set 'bad\.json': "
expect_exit 2 tg jwt verify --jwks k.pem "$tok"
expect_err_match "^k\.pem:1:2: "
expect_exit 2 tg jwt verify --jwks - - <k.jwk
expect_exit 2 tg jwt verify --jwks k.jwk --frob "$tok"
expect_err_match "unknown option '--frob'"
