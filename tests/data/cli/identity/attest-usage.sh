# SPDX-License-Identifier: Apache-2.0
# attest: option combinations that cannot work are usage errors (exit 2)
# before any token is consumed; unreadable token or JWK set files are exit 2.
. "$DATA/setup.inc"
ca_init
issuer_key issuer ecdsa-p256
gh_token issuer t
a() { tg attest --dir ca "$@"; }
expect_exit 2 a
expect_err_match "missing --oidc-token FILE or --join-token TOKEN"
expect_exit 2 tg attest --oidc-token t
expect_err_match "missing --dir D"
expect_exit 2 a --oidc-token t --issuer "$GH_ISS" --audience tollgate
expect_err_match "needs --jwks FILE"
expect_exit 2 a --oidc-token t --jwks issuer.jwks --audience tollgate
expect_err_match "needs --issuer URL"
expect_exit 2 a --oidc-token t --jwks issuer.jwks --issuer "$GH_ISS"
expect_err_match "needs --audience AUD"
expect_exit 2 a --oidc-token t --join-token abc
expect_err_match "not both"
expect_exit 2 a --join-token abc --jwks issuer.jwks
expect_err_match "go with --oidc-token"
expect_exit 2 a --oidc-token t --jwks issuer.jwks --issuer "$GH_ISS" --audience tollgate --profile circleci
expect_err_match "unknown profile 'circleci'"
expect_exit 2 a --oidc-token t --jwks issuer.jwks --issuer "$GH_ISS" --audience tollgate --skew 61
expect_err_match "--skew '61'"
expect_exit 2 a --oidc-token - --jwks - --issuer "$GH_ISS" --audience tollgate
expect_err_match "cannot both be '-'"
expect_exit 2 a --oidc-token nosuch --jwks issuer.jwks --issuer "$GH_ISS" --audience tollgate
expect_err_match "nosuch"
expect_exit 2 a --oidc-token t --jwks nosuch.jwks --issuer "$GH_ISS" --audience tollgate
expect_err_match "nosuch\.jwks"
printf '{"keys":[' >broken.jwks
expect_exit 2 a --oidc-token t --jwks broken.jwks --issuer "$GH_ISS" --audience tollgate
expect_err_match "broken\.jwks"
expect_exit 2 a --oidc-token t --jwks issuer.jwks --issuer "$GH_ISS" --audience tollgate --jwt-aud ''
expect_err_match "--jwt-aud must not be empty"
expect_exit 2 a --oidc-token t --jwks issuer.jwks --issuer "$GH_ISS" --audience tollgate extra
expect_err_match "unexpected argument 'extra'"
expect_exit 2 tg attest --dir nowhere --join-token abc
expect_err_match "cannot open the CA in 'nowhere'"
expect_exit 0 tg attest --help
expect_out_match '^usage: tollgate attest'
# none of the above consumed the token
tg entry create --dir ca --spiffe-id spiffe://example.org/a --selector github:repository_id:123456789 \
	>/dev/null || fail "entry create"
expect_exit 0 attest_gh t
expect_out_line "spiffe://example.org/a"
