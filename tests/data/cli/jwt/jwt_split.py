# SPDX-License-Identifier: Apache-2.0
# jwt_split.py TOKEN_FILE [NAME=VALUE...] - splits a compact JWS into files
# an independent verifier (openssl) can use: input (the signing input "h.p"),
# header.json, payload.json, sig.raw, sig.der (ECDSA r||s re-encoded as DER),
# and checks that the header has each member NAME equal to the string VALUE.
import base64
import json
import sys


def b64u(s):
    if "=" in s or len(s) % 4 == 1:
        sys.exit("jwt_split: not unpadded base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + bytes([len(b)]) + b


tok = open(sys.argv[1]).read().strip()
parts = tok.split(".")
if len(parts) != 3:
    sys.exit("jwt_split: %d parts" % len(parts))
open("input", "w").write(parts[0] + "." + parts[1])
open("header.json", "wb").write(b64u(parts[0]))
open("payload.json", "wb").write(b64u(parts[1]))
sig = b64u(parts[2])
open("sig.raw", "wb").write(sig)
if len(sig) in (64, 96, 132):  # ECDSA P-256, P-384, P-521 r||s (RFC 7518 3.4)
    half = len(sig) // 2
    body = der_int(sig[:half]) + der_int(sig[half:])
    if len(body) < 128:
        der = b"\x30" + bytes([len(body)]) + body
    else:
        der = b"\x30\x81" + bytes([len(body)]) + body
    open("sig.der", "wb").write(der)

header = json.loads(open("header.json", "rb").read())
bad = False
for check in sys.argv[2:]:
    name, _, want = check.partition("=")
    if header.get(name) != want:
        print("jwt_split: header %s is %r, want %r" % (name, header.get(name), want),
              file=sys.stderr)
        bad = True
sys.exit(1 if bad else 0)
