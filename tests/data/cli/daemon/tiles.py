# SPDX-License-Identifier: Apache-2.0
# tiles.py - an independent tlog-tiles reader for the daemon cases (not a
# case), written from c2sp.org/tlog-tiles, c2sp.org/tlog-checkpoint,
# c2sp.org/signed-note and RFC 6962 2.1, sharing no code with tollgate:
# fetches the checkpoint over HTTPS and verifies its Ed25519 signature with
# the log's verifier key (openssl), fetches every entry bundle and every
# hash tile the checkpoint's size calls for, checks each tile hash against
# the entries, recomputes the root and compares it with the checkpoint's.
#   tiles.py PORT CA VKEYFILE [ENTRIES-OUT]
# ENTRIES-OUT gets one line per entry: "<index> <base64 of the entry>".
# Prints "size <n> root <base64>" and exits 0 when everything matches.
import base64, hashlib, os, ssl, subprocess, sys, tempfile

# http.py next to this file would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import http.client  # noqa: E402

port, ca, vkey_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out_file = sys.argv[4] if len(sys.argv) > 4 else None

ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the server is named by its SPIFFE ID, not a DNS name
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)


def die(msg):
    print("tiles.py: " + msg, file=sys.stderr)
    sys.exit(1)


def get(path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


# ---- the checkpoint (signed note) ----
vkey = open(vkey_file).read().strip()
name, key_hash, key_b64 = vkey.split("+", 2)
key = base64.b64decode(key_b64)
if key[0] != 1 or len(key) != 33:
    die("the verifier key is not Ed25519")
key_id = bytes.fromhex(key_hash)
# signed-note: key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]
if hashlib.sha256(name.encode() + b"\n" + key).digest()[:4] != key_id:
    die("the verifier key's ID does not match it")

st, hd, cp = get("/v1/log/checkpoint")
if st != 200:
    die("checkpoint: status %d" % st)
if hd.get("content-type") != "text/plain; charset=utf-8":
    die("checkpoint content type %r" % hd.get("content-type"))
text, sep, sigs = cp.decode().partition("\n\n")
if not sep:
    die("the checkpoint has no signature block")
text += "\n"
lines = text.split("\n")
origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
if origin != name or str(size) != lines[1] or len(root) != 32:
    die("malformed checkpoint body %r" % text)
good = False
for line in sigs.splitlines():
    if not line.startswith("\u2014 "):
        die("malformed signature line %r" % line)
    who, blob = line[2:].rsplit(" ", 1)
    raw = base64.b64decode(blob)
    if who != name or raw[:4] != key_id:
        continue
    with tempfile.TemporaryDirectory() as tmp:
        spki = bytes.fromhex("302a300506032b6570032100") + key[1:]
        for fn, data in (("k.der", spki), ("m", text.encode()), ("s", raw[4:])):
            open(os.path.join(tmp, fn), "wb").write(data)
        v = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
                            "-inkey", os.path.join(tmp, "k.der"), "-rawin",
                            "-in", os.path.join(tmp, "m"), "-sigfile", os.path.join(tmp, "s")],
                           capture_output=True)
    if v.returncode != 0:
        die("the log's signature on the checkpoint does not verify")
    good = True
if not good:
    die("the checkpoint carries no signature by the log key")


# ---- tiles ----
def tile_path(level, n, width):
    # tlog-tiles: N in zero-padded 3-digit groups, all but the last prefixed 'x'
    groups = []
    while True:
        groups.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    p = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    p = "/v1/log/tile/%s/%s" % ("entries" if level < 0 else str(level), p)
    return p + (".p/%d" % width if width < 256 else "")


def fetch_tile(level, n, width):
    path = tile_path(level, n, width)
    st, hd, body = get(path)
    if st != 200:
        die("%s: status %d %r" % (path, st, body[:200]))
    if hd.get("content-type") != "application/octet-stream":
        die("%s: content type %r" % (path, hd.get("content-type")))
    cc = hd.get("cache-control", "")
    if width == 256 and cc != "public, max-age=31536000, immutable":
        die("%s: a full tile with Cache-Control %r" % (path, cc))
    if width < 256:
        ages = [int(x.split("=")[1]) for x in cc.replace(" ", "").split(",") if x.startswith("max-age=")]
        if "immutable" in cc or not ages or ages[0] > 60:
            die("%s: a partial tile cached long (%r)" % (path, cc))
    return body


def leaf(e):
    return hashlib.sha256(b"\x00" + e).digest()


def node(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def mth(h):  # RFC 6962 2.1 over leaf hashes
    if len(h) == 0:
        return hashlib.sha256(b"").digest()
    if len(h) == 1:
        return h[0]
    k = 1
    while k * 2 < len(h):
        k *= 2
    return node(mth(h[:k]), mth(h[k:]))


entries = []
for n in range((size + 255) // 256):
    width = min(256, size - n * 256)
    b = fetch_tile(-1, n, width)
    off = 0
    while off < len(b):
        if len(b) - off < 2:
            die("entry bundle %d is truncated" % n)
        ln = int.from_bytes(b[off:off + 2], "big")
        if len(b) - off - 2 < ln:
            die("entry bundle %d is truncated" % n)
        entries.append(b[off + 2:off + 2 + ln])
        off += 2 + ln
    if len(entries) != n * 256 + width:
        die("entry bundle %d holds %d entries, want %d" % (n, len(entries) - n * 256, width))
leaves = [leaf(e) for e in entries]

tiles = 0
level, span = 0, 1  # span: leaves under one hash of this level
while size // span > 0:
    count = size // span
    for n in range((count + 255) // 256):
        width = min(256, count - n * 256)
        b = fetch_tile(level, n, width)
        if len(b) != 32 * width:
            die("tile %d/%d has %d bytes, want %d" % (level, n, len(b), 32 * width))
        for i in range(width):
            first = (n * 256 + i) * span
            if b[32 * i:32 * i + 32] != mth(leaves[first:first + span]):
                die("tile %d/%d hash %d does not match the entries" % (level, n, i))
        tiles += 1
    level, span = level + 1, span * 256

if mth(leaves) != root:
    die("the entries do not reproduce the checkpoint's root")
if out_file:
    with open(out_file, "w") as f:
        for i, e in enumerate(entries):
            f.write("%d %s\n" % (i, base64.b64encode(e).decode()))
print("size %d root %s tiles %d" % (size, base64.b64encode(root).decode(), tiles))
