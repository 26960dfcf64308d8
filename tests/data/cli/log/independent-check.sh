# SPDX-License-Identifier: Apache-2.0
# The log directory read by code that shares nothing with tollgate: a
# Python RFC 9162 root over the tlog-tiles entry bundles matches the
# checkpoint, the level-0 tiles hold the leaf hashes, and OpenSSL verifies
# the checkpoint's Ed25519 note signature with the key from log.vkey.
need python3 openssl
expect_exit 0 tg log init --dir L --origin interop.example/log
i=0
while [ $i -lt 700 ]; do
	echo "entry number $i"
	i=$((i + 1))
done >entries.txt
expect_exit 0 tg log add --dir L --lines entries.txt
expect_exit 0 python3 "$DATA/tlog_check.py" root L
want=$(cat "$OUT")
root=$(sed -n 3p L/checkpoint)
[ "$want" = "700 $root" ] || fail "python root '$want' vs checkpoint '700 $root'"
[ -f L/tile/0/000 ] && [ -f L/tile/0/001 ] && [ -f L/tile/0/002.p/188 ] || fail "level-0 tiles"
[ -f L/tile/1/000.p/2 ] || fail "level-1 partial tile"
[ -f L/tile/entries/002.p/188 ] || fail "partial entry bundle"
[ ! -e L/tile/0/000.p ] || [ -z "$(ls L/tile/0/000.p)" ] || fail "stale partials of a full tile"
expect_exit 0 python3 "$DATA/tlog_check.py" note L cp
expect_exit 0 openssl pkeyutl -verify -pubin -inkey cp.pub -rawin -in cp.msg -sigfile cp.sig
expect_out_match 'Signature Verified Successfully'
