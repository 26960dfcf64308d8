# SPDX-License-Identifier: Apache-2.0
# The issuer's JWK set over HTTPS: tollgated discovers it from the issuer's
# /.well-known/openid-configuration (served by idp.py with a test CA),
# stores it, and accepts tokens it signs; when the issuer rotates its key
# the new key is fetched within jwks_refresh and the old one refused; a
# broken JWK set keeps the last good one; a configuration naming another
# issuer, and an HTTPS server whose certificate does not chain to the
# configured roots, give no keys at all (503, and the reason in the log).
. "$DATA/setup.inc"

# the issuer's TLS certificate (localhost) under a test CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=idp-ca -keyout idp-ca.key -out idp-ca.pem 2>/dev/null || fail "idp ca"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-keyout idp.key -out idp.csr 2>/dev/null || fail "idp csr"
printf 'subjectAltName=DNS:localhost\n' >idp.ext
openssl x509 -req -in idp.csr -CA idp-ca.pem -CAkey idp-ca.key -CAcreateserial -days 2 \
	-extfile idp.ext -out idp.pem 2>/dev/null || fail "idp cert"

tg key generate --type ecdsa-p256 --out a.pem || fail "key a"
tg key generate --type ecdsa-p256 --out b.pem || fail "key b"
jwks() { printf '{"keys":[%s]}\n' "$(tg key public --format jwk "$1")"; }
mkdir -p idp/.well-known idp/other/.well-known
jwks a.pem >idp/keys
# -P: http.py next to it would shadow the standard library's http
python3 -P "$DATA/idp.py" idp idp.pem idp.key >idp.port 2>idp.err &
IDP_PID=$!
trap 'kill $IDP_PID 2>/dev/null; stop_server; rm -rf "$WORK"' EXIT
i=0
until [ -s idp.port ]; do
	i=$((i + 1)); [ "$i" -lt 100 ] || fail "idp.py did not start"; sleep 0.1
done
ISS="https://localhost:$(cat idp.port)"
printf '{"issuer":"%s","jwks_uri":"%s/keys"}\n' "$ISS" "$ISS" >idp/.well-known/openid-configuration
printf '{"issuer":"https://evil.example","jwks_uri":"%s/keys"}\n' "$ISS" \
	>idp/other/.well-known/openid-configuration

OIDC_ISSUERS='[{"issuer": "'$ISS'", "audience": "tollgate", "discovery": true,
   "ca_file": "'$WORK'/idp-ca.pem", "profile": "github"},
 {"issuer": "'$ISS'/other", "audience": "tollgate", "discovery": true,
   "ca_file": "'$WORK'/idp-ca.pem", "profile": "github"},
 {"issuer": "https://untrusted.example", "audience": "tollgate",
   "jwks_uri": "'$ISS'/keys", "profile": "github"}]'
start_server '"jwks_refresh": 1'
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 >/dev/null || fail "entry create"
S="--server $URL --ca-file srv/ca.pem"

# token ISSUER KEY NAME: GitHub-shaped claims from that issuer, signed by KEY
token() {
	gh_token "$3" '"iss": "'"$1"'"'
	tg jwt sign --key "$2" --claims "$3.claims" >"$3" || fail "jwt sign $3"
}
# wait_log PATTERN: until tollgated's log has it (10 s)
wait_log() {
	i=0
	until grep -q "$1" srv.err; do
		i=$((i + 1)); [ "$i" -lt 100 ] || { cat srv.err >&2; fail "no '$1' in the log"; }
		sleep 0.1
	done
}

wait_log "jwks: $ISS: 1 keys"
token "$ISS" a.pem t1
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t1 --x509-out out1
expect_out_line "spiffe://tollgate.test/ci/acme/app"
token "$ISS" b.pem t2
# shellcheck disable=SC2086
expect_exit 1 tg attest $S --oidc-token t2 --x509-out out2
expect_err_match 'server answered 401'

# rotation: the issuer now publishes B only
jwks b.pem >idp/keys.new && mv idp/keys.new idp/keys
n=$(grep -c "jwks: $ISS: 1 keys" srv.err)
i=0
until [ "$(grep -c "jwks: $ISS: 1 keys" srv.err)" -gt "$n" ]; do
	i=$((i + 1)); [ "$i" -lt 100 ] || { cat srv.err >&2; fail "rotation not fetched"; }
	sleep 0.1
done
token "$ISS" b.pem t3
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t3 --x509-out out3
token "$ISS" a.pem t4
# shellcheck disable=SC2086
expect_exit 1 tg attest $S --oidc-token t4 --x509-out out4
expect_err_match 'server answered 401'

# a broken set is refused by the fetcher; the last good one (B) stays
printf '{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA"}]}\n' >idp/keys.new && mv idp/keys.new idp/keys
wait_log "jwks: $ISS: the JWK set at $ISS/keys"
token "$ISS" b.pem t5
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t5 --x509-out out5

# discovery names another issuer: no keys, the reason in the log
wait_log "jwks: $ISS/other: the OpenID configuration at $ISS/other/.well-known/openid-configuration names another issuer"
token "$ISS/other" b.pem t6
# shellcheck disable=SC2086
expect_exit 3 tg attest $S --oidc-token t6 --x509-out out6
expect_err_match 'server answered 503.*has not been fetched yet'

# the system roots do not know the test CA: the certificate is refused
wait_log "jwks: https://untrusted.example: TLS handshake with localhost failed: certificate"
token "https://untrusted.example" b.pem t7
# shellcheck disable=SC2086
expect_exit 3 tg attest $S --oidc-token t7 --x509-out out7
expect_err_match 'server answered 503'
[ "$(find srv/jwks -name '*.json' | wc -l)" -eq 1 ] || fail "want one stored JWK set"
finish
