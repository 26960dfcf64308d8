# SPDX-License-Identifier: Apache-2.0
# Tokens that must not verify exit 1 with the reason on stderr and print
# nothing: a changed signature, payload or header, another key, alg none,
# expired, not yet valid, wrong issuer or audience, garbage.
need openssl
. "$DATA/setup.inc"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
make_key k ed25519
make_key other ed25519
claims claims.json
tok=$(tg jwt sign --key k.pem --claims claims.json) || fail "sign"
rejected() { # REASON-REGEX TOKEN [FLAGS...]
	reason=$1 token=$2
	shift 2
	expect_exit 1 tg jwt verify --jwks k.jwk "$@" "$token"
	expect_out /dev/null
	expect_err_match "^tollgate: token rejected: "
	expect_err_match "$reason"
}
h=${tok%%.*}
rest=${tok#*.}
p=${rest%%.*}
s=${rest#*.}
# flip the first character of the signature (still valid base64url)
case $s in
A*) s2="B${s#A}" ;;
*) s2="A${s#?}" ;;
esac
rejected 'signature|verif' "$h.$p.$s2"
# another payload under the same signature
p2=$(printf '{"aud":"tollgate","exp":%d,"iss":"https://evil.example"}' $((NOW + 600)) | b64url)
rejected 'signature|verif' "$h.$p2.$s"
# alg none, with and without a signature
hn=$(printf '{"alg":"none","typ":"JWT"}' | b64url)
rejected 'none' "$hn.$p."
rejected 'none' "$hn.$p.$s"
# the right token against a key that did not sign it
expect_exit 1 tg jwt verify --jwks other.jwk "$tok"
expect_err_match "^tollgate: token rejected: .*(kid|key)"
# claims
claims old.json
sed "s/\"exp\":[0-9]*/\"exp\":$((NOW - 3600))/" old.json >expired.json
rejected 'expired' "$(tg jwt sign --key k.pem --claims expired.json)"
claims nbf.json "\"nbf\":$((NOW + 3600))"
rejected 'not valid before' "$(tg jwt sign --key k.pem --claims nbf.json)"
rejected "issuer" "$tok" --iss https://other.example
rejected "audience" "$tok" --aud someone-else
printf '{"exp":%d}' $((NOW + 600)) >noaud.json
rejected "aud" "$(tg jwt sign --key k.pem --claims noaud.json)" --aud tollgate
printf '{"iss":"x"}' >noexp.json
rejected "exp" "$(tg jwt sign --key k.pem --claims noexp.json)"
# not a JWS at all
rejected '3 parts|part' 'not-a-token'
rejected '.' 'a.b.c'
true
