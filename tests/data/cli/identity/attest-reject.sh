# SPDX-License-Identifier: Apache-2.0
# attest exits 1 with the reason when the token does not attest: wrong
# issuer or audience, expired, signed by a key not in the JWK set, replayed,
# not a JWT at all, a claim the profile requires missing, or selectors no
# entry matches (the reason lists them). Nothing is written or printed.
. "$DATA/setup.inc"
ca_init
issuer_key issuer ecdsa-p256
issuer_key other ecdsa-p256
tg entry create --dir ca --spiffe-id spiffe://example.org/app \
	--selector github:repository_id:123456789 >/dev/null
reject() { # REGEX TOKEN [ARGS]
	re=$1
	shift
	expect_exit 1 attest_gh "$@" --x509-out out --jwt-aud x
	expect_err_match "^tollgate: attestation failed: .*($re)"
	expect_out /dev/null
	[ -e out ] && fail "a rejected token wrote out/"
	true
}
gh_token issuer t '"iss": "https://evil.example"'
reject 'iss|issuer' t
gh_token issuer t '"aud": "someone-else"'
reject 'aud|audience' t
gh_token issuer t "\"exp\": $((NOW - 120)), \"iat\": $((NOW - 720)), \"nbf\": $((NOW - 720))"
reject 'expired' t
gh_token other t
reject 'key|signature|kid|verif' t
gh_token issuer t '"repository_id": null'
reject 'repository_id' t
printf 'not-a-jwt\n' >t
reject 'malformed|parts|JWS|JWT|base64|compact' t
gh_token issuer t '"repository_id": "999"'
reject 'no registration entry matches' t
expect_err_match 'github:repository_id:999'
gh_token issuer good
expect_exit 0 attest_gh good
expect_out_line "spiffe://example.org/app"
reject 'replay' good
