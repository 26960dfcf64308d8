# SPDX-License-Identifier: Apache-2.0
# ca rotate adds an intermediate and a JWT key that sign from then on; it
# prints both. SVIDs issued before the rotation still verify (the old
# intermediate stays in chains, the old JWT key in the bundle), and new
# X509-SVIDs are signed by the new intermediate (openssl names its serial).
need openssl python3
. "$DATA/setup.inc"
ca_init
jt1=$(tg jointoken create --dir ca --label old 2>/dev/null) || fail "jointoken create"
jt2=$(tg jointoken create --dir ca --label new 2>/dev/null) || fail "jointoken create"
tg entry create --dir ca --spiffe-id spiffe://example.org/old --selector join:label:old >/dev/null
tg entry create --dir ca --spiffe-id spiffe://example.org/new --selector join:label:new >/dev/null
tg attest --dir ca --join-token "$jt1" --x509-out old --jwt-aud svc >old.jwt || fail "attest before"
expect_exit 0 tg ca rotate --dir ca
expect_out_match '^intermediate [0-9a-f]+$'
expect_out_match '^jwt [A-Za-z0-9_-]+$'
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "rotate printed more than two lines"
inter=$(sed -n 's/^intermediate //p' "$OUT")
kid=$(sed -n 's/^jwt //p' "$OUT")
[ -f "ca/intermediates/$inter.pem" ] || fail "no ca/intermediates/$inter.pem"
tg attest --dir ca --join-token "$jt2" --x509-out new --jwt-aud svc >new.jwt || fail "attest after"
# the new SVID names the new intermediate as its issuer
sed -n '/BEGIN/,/END/p' new/svid.pem | awk '/BEGIN/{n++} n==2' >new-issuer.pem
serial=$(openssl x509 -in new-issuer.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
[ "$serial" = "$(echo "$inter" | sed 's/^0*//')" ] || fail "new SVID issued by $serial, not $inter"
python3 -c "import sys,json,base64; h=sys.argv[1].split('.')[0]; h+='='*(-len(h)%4); \
assert json.loads(base64.urlsafe_b64decode(h))['kid']==sys.argv[2]" "$(cat new.jwt)" "$kid" ||
	fail "new JWT-SVID not signed with the new key $kid"
tg bundle export --dir ca >bundle.json
for s in old new; do
	expect_exit 0 tg svid verify --bundle bundle.json --x509 $s/svid.pem
	expect_out_line "spiffe://example.org/$s"
	expect_exit 0 tg svid verify --bundle bundle.json --jwt "$(cat $s.jwt)" --aud svc
	expect_out_line "spiffe://example.org/$s"
	expect_exit 0 tg svid verify --dir ca --x509 $s/svid.pem
done
