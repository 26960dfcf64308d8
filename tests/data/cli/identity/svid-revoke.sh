# SPDX-License-Identifier: Apache-2.0
# svid revoke puts a serial (written as openssl prints it: upper case, and
# with colons) or a jti on the CA's deny list: `svid verify --dir` rejects
# that SVID (exit 1, "revoked") and still accepts others; a bundle alone
# knows no deny list. Malformed serials are usage errors.
need openssl python3
. "$DATA/setup.inc"
ca_init
tg entry create --dir ca --spiffe-id spiffe://example.org/w --selector join:label:w >/dev/null
for n in 1 2; do
	jt=$(tg jointoken create --dir ca --label w 2>/dev/null)
	tg attest --dir ca --join-token "$jt" --x509-out s$n --jwt-aud api >s$n.jwt || fail "attest $n"
done
tg bundle export --dir ca >bundle.json
serial=$(awk '/BEGIN/{n++} n==1' s1/svid.pem | openssl x509 -noout -serial | cut -d= -f2)
expect_exit 0 tg svid verify --dir ca --x509 s1/svid.pem
expect_exit 0 tg svid revoke --dir ca --serial "$serial"
expect_out /dev/null
expect_exit 1 tg svid verify --dir ca --x509 s1/svid.pem
expect_err_match '^tollgate: X509-SVID rejected: .*revoked'
expect_exit 0 tg svid verify --dir ca --x509 s2/svid.pem
expect_exit 0 tg svid verify --bundle bundle.json --x509 s1/svid.pem
# the colon form of the other serial
serial2=$(awk '/BEGIN/{n++} n==1' s2/svid.pem | openssl x509 -noout -serial | cut -d= -f2 |
	tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')
expect_exit 0 tg svid revoke --dir ca --serial "$serial2"
expect_exit 1 tg svid verify --dir ca --x509 s2/svid.pem
expect_err_match 'revoked'
jti=$(python3 -c "import sys,json,base64; p=sys.argv[1].split('.')[1]; \
print(json.loads(base64.urlsafe_b64decode(p+'='*(-len(p)%4)))['jti'])" "$(cat s1.jwt)")
expect_exit 0 tg svid verify --dir ca --jwt "$(cat s1.jwt)" --aud api
expect_exit 0 tg svid revoke --dir ca --jti "$jti"
expect_exit 1 tg svid verify --dir ca --jwt "$(cat s1.jwt)" --aud api
expect_err_match '^tollgate: JWT-SVID rejected: .*revoked'
expect_exit 0 tg svid verify --dir ca --jwt "$(cat s2.jwt)" --aud api
expect_exit 0 tg svid verify --bundle bundle.json --jwt "$(cat s1.jwt)" --aud api
# usage
expect_exit 2 tg svid revoke --dir ca
expect_err_match "give --serial HEX or --jti JTI"
expect_exit 2 tg svid revoke --dir ca --serial 01 --jti x
expect_exit 2 tg svid revoke --dir ca --serial 'xyz'
expect_err_match "--serial 'xyz' is not a hex serial number"
expect_exit 2 tg svid revoke --dir ca --serial ''
expect_exit 2 tg svid revoke --dir ca --jti ''
expect_exit 2 tg svid revoke --serial 01
expect_err_match "missing --dir D"
