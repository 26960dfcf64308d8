# SPDX-License-Identifier: Apache-2.0
# check_jwk.py JWK_FILE SPKI_DER TYPE - checks a public JWK printed by
# 'tollgate key public --format jwk' against the DER SubjectPublicKeyInfo
# that OpenSSL wrote for the same key, and recomputes the RFC 7638 kid.
import base64
import hashlib
import json
import sys


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def fail(msg):
    print("check_jwk: " + msg, file=sys.stderr)
    sys.exit(1)


def der_read(d, i):
    """Returns (tag, value, next index) of the DER element at i."""
    tag = d[i]
    n = d[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[i:i + k], "big")
        i += k
    return tag, d[i:i + n], i + n


def rsa_n_e(spki):
    _, seq, _ = der_read(spki, 0)
    _, _, i = der_read(seq, 0)  # AlgorithmIdentifier
    tag, bits, _ = der_read(seq, i)
    if tag != 0x03 or bits[0] != 0:
        fail("bad BIT STRING")
    _, rsa, _ = der_read(bits[1:], 0)
    _, n, i = der_read(rsa, 0)
    _, e, _ = der_read(rsa, i)
    return n.lstrip(b"\x00"), e.lstrip(b"\x00")


text = open(sys.argv[1], "rb").read()
spki = open(sys.argv[2], "rb").read()
kind = sys.argv[3]
if not text.endswith(b"\n") or text.count(b"\n") != 1:
    fail("the JWK is not exactly one line")
jwk = json.loads(text)
for private in ("d", "p", "q", "dp", "dq", "qi", "oth", "k"):
    if private in jwk:
        fail("private member %r in a public JWK" % private)

if kind == "ed25519":
    want = {"kty": "OKP", "crv": "Ed25519", "x": b64u(spki[-32:])}
    req = ("crv", "kty", "x")  # RFC 8037 2
elif kind in ("ecdsa-p256", "ecdsa-p384"):
    size = 32 if kind == "ecdsa-p256" else 48
    point = spki[-(2 * size + 1):]
    if point[0] != 4:
        fail("SPKI point is not uncompressed")
    want = {"kty": "EC", "crv": "P-256" if size == 32 else "P-384",
            "x": b64u(point[1:1 + size]), "y": b64u(point[1 + size:])}
    req = ("crv", "kty", "x", "y")  # RFC 7638 3.2
elif kind.startswith("rsa"):
    n, e = rsa_n_e(spki)
    want = {"kty": "RSA", "n": b64u(n), "e": b64u(e)}
    req = ("e", "kty", "n")
else:
    fail("unknown type " + kind)

for k, v in want.items():
    if jwk.get(k) != v:
        fail("%s is %r, want %r" % (k, jwk.get(k), v))

# RFC 7638 3: SHA-256 over the required members, sorted, no whitespace
canon = json.dumps({k: jwk[k] for k in req}, sort_keys=True, separators=(",", ":"))
kid = b64u(hashlib.sha256(canon.encode()).digest())
if jwk.get("kid") != kid:
    fail("kid is %r, want the RFC 7638 thumbprint %r" % (jwk.get("kid"), kid))
print("ok: %s %s kid=%s" % (kind, jwk["kty"], kid))
