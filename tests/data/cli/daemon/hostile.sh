# SPDX-License-Identifier: Apache-2.0
# Hostile clients get clean JSON errors and the server lives on: an
# oversized body (413), malformed JSON (400), a malformed head (400), a
# chunked body (501), POST without a length (411), a slow client dropped
# by the header deadline, a client certificate from another trust domain
# refused in the handshake, routes that need an identity without one
# (401), a forged bearer token (401); then a valid mTLS client gets a
# JWT-SVID and the server still answers.
. "$DATA/setup.inc"
start_server '"header_timeout_ms": 2000, "body_max": 65536'

err_is() { # STATUS CODE: the last http output is that status with that error code
	[ "$(status_of "$OUT")" = "$1" ] || fail "want $1, got $(head -c 300 "$OUT")"
	tail -n +2 "$OUT" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]==sys.argv[1] and e["message"], e' "$2" ||
		fail "error body is not {\"error\":{\"code\":\"$2\",\"message\"}}"
}
head -c 70000 /dev/zero >big.bin
expect_exit 0 http req POST /v1/attest big.bin
err_is 413 too_large
printf '{"oidc_token": "x",' >bad.json
expect_exit 0 http req POST /v1/attest bad.json
err_is 400 invalid_request
printf '[1,2]' >arr.json
expect_exit 0 http req POST /v1/attest arr.json
err_is 400 invalid_request
printf '{"oidc_token": "a.b.c", "join_token": "x"}' >both.json
expect_exit 0 http req POST /v1/attest both.json
err_is 400 invalid_request
printf '{"oidc_token": "not-a-jwt"}' >nojwt.json
expect_exit 0 http req POST /v1/attest nojwt.json
[ "$(status_of "$OUT")" -ge 400 ] && [ "$(status_of "$OUT")" -lt 500 ] || fail "garbage token"
printf '{"join_token": "bm90LWEtdG9rZW4"}' >join.json
expect_exit 0 http req POST /v1/attest join.json
[ "$(status_of "$OUT")" -ge 400 ] && [ "$(status_of "$OUT")" -lt 500 ] || fail "unknown join token"
printf 'GET /\001 HTTP/1.1\r\n\r\n' >raw1
expect_exit 0 http raw raw1
err_is 400 bad_request
printf 'POST /v1/attest HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >raw2
expect_exit 0 http raw raw2
err_is 501 bad_request
printf 'POST /v1/attest HTTP/1.1\r\nHost: x\r\n\r\n' >raw3
expect_exit 0 http raw raw3
err_is 411 length_required
python3 -c 'import sys; sys.stdout.write("GET /" + "a" * 3000 + " HTTP/1.1\r\n\r\n")' >raw4
expect_exit 0 http raw raw4
err_is 414 bad_request
# a log entry whose signature does not verify
printf '{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{}}' >e.json
expect_exit 0 http req POST /v1/log/entries e.json
err_is 400 invalid_request
# a timestamp request that is not DER
printf 'garbage' >q.tsq
expect_exit 0 http req POST /v1/timestamp q.tsq application/timestamp-query
err_is 400 invalid_request

# slow client: dropped by the 2 s header deadline
expect_exit 0 http slow 8
expect_out_match '^dropped after [0-5] s$'

# routes that need an identity
printf '{"audience": "db"}' >aud.json
expect_exit 0 http req POST /v1/svid/jwt aud.json
err_is 401 unauthenticated
expect_exit 0 http req POST /v1/svid/jwt aud.json --bearer a.b.c
err_is 401 unauthenticated

# a client certificate from another trust domain: refused in the handshake
tg ca init --dir other --trust-domain other.test >/dev/null || fail "other ca"
tok=$(tg jointoken create --dir other --ttl 5m 2>jt.err) || fail "jointoken"
id=$(sed -n 's/.*join:token:\([0-9a-f]*\).*/\1/p' jt.err)
tg entry create --dir other --spiffe-id spiffe://other.test/w --selector "join:token:$id" \
	>/dev/null || fail "other entry"
tg attest --dir other --join-token "$tok" --x509-out oth >/dev/null || fail "other attest"
if http req POST /v1/svid/jwt aud.json --cert oth/svid.pem --key oth/svid.key >oth.out 2>&1; then
	fail "a certificate of other.test was accepted: $(cat oth.out)"
fi
grep -qi 'ssl\|alert\|certificate\|reset\|closed\|EOF' oth.out || fail "not a TLS refusal: $(cat oth.out)"

# the same route with an X509-SVID of the trust domain
tok=$(tg jointoken create --dir srv/ca --ttl 5m 2>jt.err) || fail "jointoken"
id=$(sed -n 's/.*join:token:\([0-9a-f]*\).*/\1/p' jt.err)
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/w --selector "join:token:$id" \
	>/dev/null || fail "entry"
expect_exit 0 tg attest --server "$URL" --ca-file srv/ca.pem --join-token "$tok" --x509-out w
expect_out_line "spiffe://tollgate.test/w"
expect_exit 1 tg attest --server "$URL" --ca-file srv/ca.pem --join-token "$tok"
expect_exit 0 http req POST /v1/svid/jwt aud.json --cert w/svid.pem --key w/svid.key
[ "$(status_of "$OUT")" = 200 ] || fail "svid/jwt with mTLS: $(cat "$OUT")"
tail -n +2 "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >w.jwt ||
	fail "svid/jwt body"
expect_exit 0 tg svid verify --dir srv/ca --jwt "$(cat w.jwt)" --aud db
expect_out_line "spiffe://tollgate.test/w"

# a JWT-SVID for the server's own ID works as a bearer credential
printf '{"audience": "spiffe://tollgate.test/tollgated"}' >self.json
expect_exit 0 http req POST /v1/svid/jwt self.json --cert w/svid.pem --key w/svid.key
tail -n +2 "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >b.jwt ||
	fail "svid/jwt body"
expect_exit 0 http req POST /v1/svid/jwt aud.json --bearer "$(cat b.jwt)"
[ "$(status_of "$OUT")" = 200 ] || fail "bearer JWT-SVID refused: $(cat "$OUT")"
grep -q '"spiffe_id":"spiffe://tollgate.test/w"' "$OUT" || fail "bearer identity"
# a JWT-SVID for another audience is not a credential here
expect_exit 0 http req POST /v1/svid/jwt aud.json --bearer "$(cat w.jwt)"
err_is 401 unauthenticated

# still alive, and it counted the drop
kill -0 "$SRV_PID" || fail "tollgated died"
expect_exit 0 http req GET /metrics
grep -q '^tollgated_connections_dropped_total [1-9]' "$OUT" || fail "drop not counted"
grep -q 'code="413"} 1$' "$OUT" || fail "413 not counted"
finish
