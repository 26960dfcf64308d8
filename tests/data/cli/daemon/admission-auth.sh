# SPDX-License-Identifier: Apache-2.0
# tollgated as a Kubernetes webhook: the server's X509-SVID carries the
# configured DNS names next to its SPIFFE ID (openssl x509 -text, openssl
# s_client -verify_hostname, curl with host name checks), "localhost" by
# default with --dev; bad names stop the daemon naming the key. With
# admission_client_ca, /v1/admission answers only a client certificate of
# that CA (made here by openssl) with an allowed name: none is 401, another
# CN is 403, another CA fails the handshake, a valid X509-SVID is 401 there,
# and the admission certificate is no identity on other routes (401). An
# open /v1/admission on a non-loopback address refuses to start unless
# admission_allow_unauthenticated says so.
. "$DATA/setup.inc"
need curl
SVC=tollgate.tollgate-system.svc

# ---- the API server's side, made by openssl: two CAs, three client certs
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$1.key" -out "$1.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
		>/dev/null 2>&1 || fail "openssl: CA $1"
}
mkleaf() { # NAME CA CN [SAN]
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$3" \
		-keyout "$1.key" -out "$1.csr" >/dev/null 2>&1 || fail "openssl: CSR $1"
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n%s' \
		"${4:+subjectAltName=$4
}" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 1 \
		-extfile "$1.ext" -out "$1.pem" >/dev/null 2>&1 || fail "openssl: cert $1"
}
mkca apica
mkca rogueca
mkleaf apiserver apica kube-apiserver
mkleaf bysan apica someone-else DNS:webhook-client.kube-system
mkleaf othercn apica someone-else
mkleaf rogue rogueca kube-apiserver

# ---- the default DNS name of --dev, and bad names
start_server
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile srv/ca.pem 2>/dev/null |
	openssl x509 -noout -ext subjectAltName >san.txt || fail "s_client"
grep -q 'URI:spiffe://tollgate.test/tollgated, DNS:localhost$' san.txt ||
	fail "dev SANs: $(cat san.txt)"
finish
for bad in '"*.svc"' '"Tollgate.svc"' '"10.0.0.1"' '"a..b"' '"-a.b"' '"a-.b"' '"a_b.svc"' \
	"\"$(printf 'a%.0s' $(seq 64)).svc\"" '7' '"x", "x"'; do
	printf '{"server_dns_names": [%s]}\n' "$bad" >srv/config.json
	expect_exit 2 "$TGD" --dev srv --listen 127.0.0.1:0
	expect_err_match "'server_dns_names(\[[0-9]\])?' "
done

# ---- configuration errors
printf '{"admission_client_names": ["kube-apiserver"]}\n' >srv/config.json
expect_exit 2 "$TGD" --dev srv --listen 127.0.0.1:0
expect_err_match "'admission_client_names' needs 'admission_client_ca'"
printf '{"admission_client_ca": "%s/apica.pem", "admission_allow_unauthenticated": true}\n' \
	"$WORK" >srv/config.json
expect_exit 2 "$TGD" --dev srv --listen 127.0.0.1:0
expect_err_match "contradicts"
printf '{"admission_client_ca": "%s/apiserver.pem"}\n' "$WORK" >srv/config.json
expect_exit 3 "$TGD" --dev srv --listen 127.0.0.1:0
expect_err_match "apiserver.pem' is not a CA certificate"
printf '{"admission_client_ca": "%s/issuer.jwks"}\n' "$WORK" >srv/config.json
expect_exit 3 "$TGD" --dev srv --listen 127.0.0.1:0
expect_err_match "holds no PEM certificate"
# an open webhook off loopback: refused, unless said so
rm srv/config.json
expect_exit 3 "$TGD" --dev srv --listen 0.0.0.0:0
expect_err_match "/v1/admission would be open to anyone who reaches '0.0.0.0'"
printf '{"admission_allow_unauthenticated": true}\n' >srv/config.json
"$TGD" --dev srv --listen 0.0.0.0:0 >open.out 2>open.err &
OPEN_PID=$!
i=0
until grep -q '^listening on ' open.out 2>/dev/null; do
	kill -0 "$OPEN_PID" 2>/dev/null || { cat open.err >&2; fail "open tollgated exited"; }
	i=$((i + 1))
	[ "$i" -lt 600 ] || fail "open tollgated did not start"
	sleep 0.1
done
kill "$OPEN_PID"
wait "$OPEN_PID"

# ---- the webhook with client-certificate authentication
start_server "\"server_dns_names\": [\"$SVC\", \"tollgate.tollgate-system.svc.cluster.local\"],
 \"admission_client_ca\": \"$WORK/apica.pem\",
 \"admission_client_names\": [\"kube-apiserver\", \"webhook-client.kube-system\"]"
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile srv/ca.pem -verify_hostname "$SVC" \
	-verify_return_error >sclient.out 2>&1 || fail "s_client -verify_hostname $SVC: $(tail -5 sclient.out)"
grep -q "Verified peername: $SVC" sclient.out || fail "no verified peer name"
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile srv/ca.pem \
	-verify_hostname evil.example -verify_return_error >sclient.out 2>&1 &&
	fail "s_client accepted the name evil.example"
grep -q 'hostname mismatch' sclient.out || fail "evil.example: $(tail -3 sclient.out)"
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile srv/ca.pem 2>/dev/null |
	openssl x509 -noout -text >srvcert.txt || fail "server certificate"
grep -q "URI:spiffe://tollgate.test/tollgated, DNS:$SVC, DNS:tollgate.tollgate-system.svc.cluster.local" \
	srvcert.txt || fail "SANs: $(grep -A1 'Alternative' srvcert.txt)"

sed "s/__DIGEST__/$(printf '%064d' 0)/g" "$DATA/../../gate/pod.json" >pod.json
# curl checks the server's DNS name against the SVID, as the API server does
post() { # OUTFILE CURL-ARGS... ; prints the HTTP status
	o=$1
	shift
	curl -s -o "$o" -w '%{http_code}' --cacert srv/ca.pem --resolve "$SVC:$PORT:127.0.0.1" \
		-H 'Content-Type: application/json' "$@"
}
st=$(post right.out --cert apiserver.pem --key apiserver.key --data-binary @pod.json \
	"https://$SVC:$PORT/v1/admission") || fail "curl right CA"
[ "$st" = 200 ] || fail "right CA: $st $(cat right.out)"
python3 -c '
import json, sys
r = json.load(open("right.out"))["response"]
assert r["uid"] == json.load(open("pod.json"))["request"]["uid"], r
assert r["allowed"] is False and r["status"]["code"] == 403, r
assert r["auditAnnotations"]["log_index"].isdigit(), r
' || fail "right CA answer: $(cat right.out)"
st=$(post bysan.out --cert bysan.pem --key bysan.key --data-binary @pod.json \
	"https://$SVC:$PORT/v1/admission") || fail "curl DNS SAN name"
[ "$st" = 200 ] || fail "allowed DNS SAN: $st $(cat bysan.out)"
st=$(post none.out --data-binary @pod.json "https://$SVC:$PORT/v1/admission")
[ "$st" = 401 ] || fail "no client certificate: $st $(cat none.out)"
grep -q "client certificate (admission_client_ca)" none.out || fail "401 message: $(cat none.out)"
st=$(post othercn.out --cert othercn.pem --key othercn.key --data-binary @pod.json \
	"https://$SVC:$PORT/v1/admission")
[ "$st" = 403 ] || fail "another CN: $st $(cat othercn.out)"
if post rogue.out --cert rogue.pem --key rogue.key --data-binary @pod.json \
	"https://$SVC:$PORT/v1/admission" >rogue.st 2>&1; then
	fail "a certificate of another CA got an answer: $(cat rogue.st) $(cat rogue.out)"
fi
[ -s rogue.out ] && fail "a certificate of another CA got a body"
# a valid X509-SVID of the trust domain is not the API server
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 >/dev/null || fail "entry create"
gh_token t1
expect_exit 0 tg attest --server "$URL" --ca-file srv/ca.pem --oidc-token t1 --x509-out svid
st=$(post svid.out --cert svid/svid.pem --key svid/svid.key --data-binary @pod.json \
	"https://$SVC:$PORT/v1/admission")
[ "$st" = 401 ] || fail "an X509-SVID on /v1/admission: $st $(cat svid.out)"
# ... but it still is an identity elsewhere
printf '{"audience":"db"}' >aud.json
st=$(post svidjwt.out --cert svid/svid.pem --key svid/svid.key --data-binary @aud.json \
	"https://$SVC:$PORT/v1/svid/jwt")
[ "$st" = 200 ] || fail "the X509-SVID on /v1/svid/jwt: $st $(cat svidjwt.out)"
# the admission certificate is no identity on another route
st=$(post admjwt.out --cert apiserver.pem --key apiserver.key --data-binary @aud.json \
	"https://$SVC:$PORT/v1/svid/jwt")
[ "$st" = 401 ] || fail "the admission certificate on /v1/svid/jwt: $st $(cat admjwt.out)"
st=$(post admsc.out --cert apiserver.pem --key apiserver.key \
	--data-binary '{"csr":"x"}' "https://$SVC:$PORT/v1/signing-cert")
[ "$st" = 400 ] || [ "$st" = 401 ] || fail "the admission certificate on /v1/signing-cert: $st"
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert srv/ca.pem --resolve "$SVC:$PORT:127.0.0.1" \
	--cert apiserver.pem --key apiserver.key "https://$SVC:$PORT/healthz")
[ "$st" = 200 ] || fail "healthz with the admission certificate: $st"
# the CLI with a client certificate
expect_exit 1 tg admission review pod.json --server "$URL" --ca-file srv/ca.pem
expect_err_match 'answered 401'
expect_exit 1 tg admission review pod.json --server "$URL" --ca-file srv/ca.pem \
	--cert apiserver.pem --key apiserver.key
expect_out_match '"log_index":"[0-9]+"'
expect_exit 2 tg admission review pod.json --server "$URL" --ca-file srv/ca.pem --cert apiserver.pem
finish
