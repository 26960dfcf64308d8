# SPDX-License-Identifier: Apache-2.0
# attest with a GitHub-shaped OIDC token (signed by `jwt sign`, ES256) and
# --x509-out: DIR (new, 0700) gets svid.pem (leaf, then the intermediate),
# svid.key (a fresh P-256 key, 0600, matching the leaf) and bundle.pem (the
# root). openssl accepts the chain and sees the SPIFFE ID and the leaf
# rules (independent check); a second attest replaces the files.
need openssl
. "$DATA/setup.inc"
ca_init
issuer_key issuer ecdsa-p256
tg entry create --dir ca --spiffe-id spiffe://example.org/ci/acme/app \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main \
	--x509-ttl 30m >/dev/null || fail "entry create"
gh_token issuer t1
before=$(date +%s)
expect_exit 0 attest_gh t1 --x509-out out
after=$(date +%s)
expect_out_line "spiffe://example.org/ci/acme/app"
[ "$(stat -c %a out)" = 700 ] || fail "out/ mode $(stat -c %a out)"
[ "$(stat -c %a out/svid.key)" = 600 ] || fail "svid.key mode $(stat -c %a out/svid.key)"
[ "$(pem_count out/svid.pem)" -eq 2 ] || fail "svid.pem: not leaf + intermediate"
[ "$(pem_count out/bundle.pem)" -eq 1 ] || fail "bundle.pem: not one root"
cmp -s out/bundle.pem ca/root.pem ||
	[ "$(openssl x509 -in out/bundle.pem -outform DER | sha256sum)" = \
		"$(openssl x509 -in ca/root.pem -outform DER | sha256sum)" ] || fail "bundle.pem is not the root"
awk '/BEGIN/{n++} n==1' out/svid.pem >leaf.pem
awk '/BEGIN/{n++} n>=2' out/svid.pem >inter.pem
expect_exit 0 openssl verify -CAfile out/bundle.pem -untrusted inter.pem leaf.pem
expect_out_match ': OK$'
openssl x509 -in leaf.pem -noout -text >leaf.txt
grep -q 'URI:spiffe://example.org/ci/acme/app' leaf.txt || fail "no URI SAN"
grep -q 'CA:FALSE' leaf.txt || fail "leaf not CA:FALSE"
grep -A1 'Key Usage: critical' leaf.txt | grep -q 'Digital Signature' || fail "leaf KU"
grep -q 'Certificate Sign' leaf.txt && fail "leaf has keyCertSign"
grep -q 'TLS Web Server Authentication, TLS Web Client Authentication' leaf.txt || fail "leaf EKU"
openssl pkey -in out/svid.key -noout -text | grep -q 'NIST CURVE: P-256' || fail "key not P-256"
[ "$(openssl pkey -in out/svid.key -pubout)" = "$(openssl x509 -in leaf.pem -noout -pubkey)" ] ||
	fail "svid.key does not match the leaf"
# lifetime: the entry's 30m (+ at most a minute of backdating)
nb=$(date -d "$(openssl x509 -in leaf.pem -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)" +%s)
[ $((na - nb)) -ge 1800 ] && [ $((na - nb)) -le 1860 ] || fail "lifetime $((na - nb))s, want 30m"
[ "$na" -ge $((before + 1800 - 1)) ] && [ "$na" -le $((after + 1800 + 1)) ] ||
	fail "expires at $na, not 30m after the attest ($before..$after)"
expect_exit 0 tg svid verify --bundle out/bundle.pem --x509 out/svid.pem
expect_out_line "spiffe://example.org/ci/acme/app"
# again: the files are replaced, the key is new
cp out/svid.key old.key
gh_token issuer t2
expect_exit 0 attest_gh t2 --x509-out out
cmp -s out/svid.key old.key && fail "the second attest kept the old key"
[ "$(stat -c %a out/svid.key)" = 600 ] || fail "replaced svid.key mode"
