# SPDX-License-Identifier: Apache-2.0
# jointoken create prints a token (base64url of 32 bytes) and names its
# selectors on stderr; attest --join-token (argument or stdin) consumes it
# once: a second use, an unknown token and an expired one exit 1.
. "$DATA/setup.inc"
ca_init
expect_exit 0 tg jointoken create --dir ca --label builder-7
expect_out_match '^[A-Za-z0-9_-]{43}$'
expect_err_match '^tollgate: the token attests as join:token:[0-9a-f]{32} join:label:builder-7$'
t1=$(cat "$OUT")
sel=$(sed -n 's/.* \(join:token:[0-9a-f]*\) .*/\1/p' "$ERR")
tg entry create --dir ca --spiffe-id spiffe://example.org/host/builder \
	--selector join:label:builder-7 >/dev/null || fail "entry create"
expect_exit 0 tg attest --dir ca --join-token "$t1" --x509-out out
expect_out_line "spiffe://example.org/host/builder"
expect_exit 0 tg svid verify --bundle out/bundle.pem --x509 out/svid.pem
expect_exit 1 tg attest --dir ca --join-token "$t1"
expect_err_match '^tollgate: attestation failed: '
# an entry for exactly one token, redeemed from standard input
expect_exit 0 tg jointoken create --dir ca
t2=$(cat "$OUT")
sel2=$(sed -n 's/.* \(join:token:[0-9a-f]*\)$/\1/p' "$ERR")
[ -n "$sel2" ] || fail "no join:token selector named"
[ "$sel2" != "$sel" ] || fail "two tokens with one selector"
tg entry create --dir ca --spiffe-id spiffe://example.org/host/one --selector "$sel2" >/dev/null
expect_exit 0 sh -c "echo '$t2' | '$TG_BIN' attest --dir ca --join-token - --jwt-aud x"
expect_out_match '^eyJ'
expect_exit 1 tg attest --dir ca --join-token AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
expect_err_match '^tollgate: attestation failed: '
expect_exit 0 tg jointoken create --dir ca --ttl 1s --label short
t3=$(cat "$OUT")
sleep 2
expect_exit 1 tg attest --dir ca --join-token "$t3"
expect_err_match 'expired'
expect_exit 2 tg jointoken create --dir ca --ttl 2d
expect_err_match "longer than the limit of 1d"
expect_exit 2 tg jointoken create --dir ca --label ''
expect_exit 2 tg jointoken create
expect_err_match "missing --dir D"
