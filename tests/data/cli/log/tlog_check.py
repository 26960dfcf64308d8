# SPDX-License-Identifier: Apache-2.0
# An independent reading of a tollgate log directory, written from the
# specs (RFC 9162 2.1.1, c2sp.org/tlog-tiles, tlog-checkpoint, signed-note)
# and sharing no code with tollgate. Usage:
#   tlog_check.py root DIR      print size and base64 root from entry bundles
#   tlog_check.py note DIR OUT  split the checkpoint: OUT.msg, OUT.sig, OUT.pub
#                               (from DIR/log.vkey) for `openssl pkeyutl`
import base64, hashlib, os, sys


def tile_path(n):
    parts = []
    while True:
        parts.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    parts.reverse()
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


def entries(d, size):
    out = []
    for t in range((size + 255) // 256):
        w = min(256, size - t * 256)
        p = os.path.join(d, "tile", "entries", tile_path(t))
        if w < 256:
            p += ".p/%d" % w
        if w == 256 and not os.path.exists(p):
            sys.exit("missing bundle " + p)
        data = open(p, "rb").read()
        i = 0
        while i < len(data):
            n = data[i] << 8 | data[i + 1]
            out.append(data[i + 2:i + 2 + n])
            i += 2 + n
    return out


def mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    cp = open(os.path.join(d, "checkpoint"), "rb").read().decode()
    text, sigs = cp.rsplit("\n\n", 1)
    lines = text.split("\n")
    size = int(lines[1])
    if cmd == "root":
        es = entries(d, size)
        assert len(es) == size, "bundle count"
        leaves = [hashlib.sha256(b"\x00" + e).digest() for e in es]
        root = mth(leaves) if leaves else hashlib.sha256(b"").digest()
        print(size, base64.b64encode(root).decode())
        # the level-0 tiles hold the same leaf hashes
        for t in range((size + 255) // 256):
            w = min(256, size - t * 256)
            p = os.path.join(d, "tile", "0", tile_path(t)) + ("" if w == 256 else ".p/%d" % w)
            assert open(p, "rb").read() == b"".join(leaves[t * 256:t * 256 + w]), p
    elif cmd == "note":
        out = sys.argv[3]
        name, keyid, key = open(os.path.join(d, "log.vkey")).read().strip().split("+", 2)
        raw = base64.b64decode(key)
        assert raw[0] == 1 and len(raw) == 33
        want_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex()
        assert want_id == keyid, "key id"
        line = sigs.strip("\n").split("\n")[0]
        assert line.startswith("\u2014 " + name + " ")
        sig = base64.b64decode(line.split(" ")[2])
        assert sig[:4].hex() == keyid
        open(out + ".msg", "wb").write((text + "\n").encode())
        open(out + ".sig", "wb").write(sig[4:])
        # SPKI DER of an Ed25519 key: fixed prefix (RFC 8410) + 32 bytes
        spki = bytes.fromhex("302a300506032b6570032100") + raw[1:]
        pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n"
        open(out + ".pub", "w").write(pem)


main()
