# SPDX-License-Identifier: Apache-2.0
# The log's C2SP tlog-tiles read API, served by tollgated's store process:
# a log of 602 entries (one signed through the server, 600 added offline
# with `tollgate log add` in one batch, one more signed) is read by
# tiles.py, an independent reader written from the spec, which verifies the
# checkpoint's signature, every entry bundle and hash tile (full and
# partial, with their Content-Type and Cache-Control) and recomputes the
# root; the signed entries are where their bundles say. Partial widths below
# the edge are prefixes; tiles beyond the checkpoint are 404; malformed
# paths are 400 with the reason; the database is SQLite in WAL mode.
. "$DATA/setup.inc"
start_server
S="--server $URL --ca-file srv/ca.pem"
LOGDIR=$(dirname "$(find srv -name log.vkey | head -n1)")
[ -d "$LOGDIR" ] || fail "no log directory in srv"
printf 'first artifact\n' >a1.tar
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg sign a1.tar $S --oidc-token t1 --bundle a1.json
finish

# 600 entries in one batch: full tiles at level 0, a partial level 1 tile
i=0
while [ $i -lt 600 ]; do
	echo "offline entry $i"
	i=$((i + 1))
done >lines.txt
expect_exit 0 tg log add --dir "$LOGDIR" --lines lines.txt
start_server
S="--server $URL --ca-file srv/ca.pem"
printf 'second artifact\n' >a2.tar
gh_token t2
# shellcheck disable=SC2086
expect_exit 0 tg sign a2.tar $S --oidc-token t2 --bundle a2.json
expect_exit 0 tg verify a2.tar --bundle a2.json --trusted-root srv/trusted_root.json \
	--identity "$GH_SAN" --issuer "$GH_ISS"

# the independent reader: signature, tiles, entries, root
expect_exit 0 python3 "$DATA/tiles.py" "$PORT" srv/ca.pem "$LOGDIR/log.vkey" entries.txt
expect_out_match '^size 602 root [A-Za-z0-9+/]{43}= tiles 4$'
cp "$OUT" tiles.out
# the same root as the log directory's checkpoint, read by tollgate itself
expect_exit 0 tg log checkpoint --dir "$LOGDIR"
grep -qF "root $(sed -n 3p "$OUT") " tiles.out || fail "the served root is not the log's"
python3 - a1.json a2.json entries.txt lines.txt <<'PY' || fail "entries in the tiles"
import base64, json, sys
ents = dict(l.split() for l in open(sys.argv[3]))
for i, f in enumerate(sys.argv[1:3]):
    e = json.load(open(f))["verificationMaterial"]["tlogEntries"][0]
    assert ents[e["logIndex"]] == e["canonicalizedBody"], f
    assert e["logIndex"] == ("0", "601")[i], e["logIndex"]
lines = open(sys.argv[4], "rb").read().split(b"\n")[:-1]
for i, l in enumerate(lines):
    assert base64.b64decode(ents[str(i + 1)]) == l, i
PY

# partial widths are prefixes of what the checkpoint covers
body() { tail -c +"$(($(head -n1 "$1" | wc -c) + 1))" "$1"; }
get_ok() {
	expect_exit 0 http req GET "/v1/log/tile/$1"
	[ "$(status_of "$OUT")" = 200 ] || fail "GET $1: $(head -c 300 "$OUT")"
	body "$OUT" >"$2"
}
get_ok 0/000 t0.full
get_ok 0/000.p/5 t0.p5
[ "$(wc -c <t0.full)" = 8192 ] || fail "a full tile is not 8192 bytes"
head -c 160 t0.full | cmp -s - t0.p5 || fail "0/000.p/5 is not the prefix of 0/000"
get_ok 0/002.p/90 t2.p90
get_ok 0/002.p/7 t2.p7
[ "$(wc -c <t2.p90)" = 2880 ] || fail "0/002.p/90 is not 90 hashes"
head -c 224 t2.p90 | cmp -s - t2.p7 || fail "0/002.p/7 is not the prefix of 0/002.p/90"
get_ok 1/000.p/2 t1.p2
get_ok entries/002.p/1 e2.p1
python3 - e2.p1 a1.json <<'PY' || fail "entries/002.p/1"
import sys
b = open(sys.argv[1], "rb").read()
n = int.from_bytes(b[:2], "big")
assert len(b) == 2 + n and b[2:] == b"offline entry 511", b[:40]
PY
get_ok entries/000.p/2 e0.p2

# beyond the checkpoint: 404
for p in 0/003 0/002 0/002.p/91 1/000 1/000.p/3 2/000.p/1 8/000 63/000 entries/002 \
	entries/003.p/1 0/x018/x446/x744/x073/x709/x551/615; do
	expect_exit 0 http req GET "/v1/log/tile/$p"
	[ "$(status_of "$OUT")" = 404 ] || fail "GET $p: $(head -c 300 "$OUT")"
	grep -q 'beyond the log' "$OUT" || fail "GET $p reason: $(cat "$OUT")"
done
# malformed: 400 with what is wrong
bad() {
	expect_exit 0 http req GET "/v1/log/tile/$1"
	[ "$(status_of "$OUT")" = 400 ] || fail "GET '$1': $(head -c 300 "$OUT")"
	grep -q "malformed tile path: .*$2" "$OUT" || fail "GET '$1' reason: $(cat "$OUT")"
}
bad 64/000 'above 63'
bad 00/000 'level'
bad 0/1 'three digits'
bad 0/0001 'unexpected byte'
bad 0/x000/001 "leading 'x000'"
bad 0/x001 "followed by '/'"
bad 0/000.p/0 'outside 1-255'
bad 0/000.p/256 'outside 1-255'
bad 0/000.p/012 'width'
bad 0/000.p/ 'width'
bad 0/000/ 'unexpected byte'
bad entries/ 'three digits'
bad data/000 'level'
bad '' 'level'
bad 0/x018/x446/x744/x073/x709/x551/616 'above 2\^64-1'
expect_exit 0 http req POST /v1/log/tile/0/000 a1.tar application/octet-stream
[ "$(status_of "$OUT")" = 405 ] || fail "POST a tile: $(cat "$OUT")"

# the store's database: SQLite in WAL mode, with a schema version
[ -f srv/tollgate.db ] || fail "no srv/tollgate.db"
[ ! -d srv/signer/attestations ] || fail "the signer still keeps attestation files"
finish
python3 - srv/tollgate.db <<'PY' || fail "tollgate.db"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
n = db.execute("SELECT count(*) FROM att_bundles").fetchone()[0]
assert n == 2, n  # a1.json and a2.json, stored by `tollgate sign --server`
db.execute("UPDATE schema_version SET version = 2")
db.commit()
PY
# a database of a newer schema: a clear error, no start
"$TGD" --dev srv --listen 127.0.0.1:0 >srv2.out 2>srv2.err
[ $? -eq 3 ] || fail "tollgated started on a newer schema"
grep -q "schema version 2, newer than this tollgated's 1" srv2.err ||
	fail "no clear error for a newer schema: $(cat srv2.err)"
