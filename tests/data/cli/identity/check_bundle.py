# SPDX-License-Identifier: Apache-2.0
# check_bundle.py SPIFFE.json ROOT.pem [N_JWT] - checks a SPIFFE bundle
# against the SPIFFE Trust Domain and Bundle spec 4 (written from the spec,
# not from tollgate): a JWK set whose X.509 authorities have "use"
# "x509-svid" and an x5c of exactly one certificate (here: ROOT.pem, by its
# DER), and whose JWT authorities have "use" "jwt-svid" and a kid.
import base64, json, sys

doc = json.load(open(sys.argv[1]))
root_pem = open(sys.argv[2]).read()
want_jwt = int(sys.argv[3]) if len(sys.argv) > 3 else None
b64 = "".join(l for l in root_pem.splitlines() if l and not l.startswith("-----"))
root_der = base64.b64decode(b64)
keys = doc.get("keys")
assert isinstance(keys, list), "no keys array"
x509 = [k for k in keys if k.get("use") == "x509-svid"]
jwt = [k for k in keys if k.get("use") == "jwt-svid"]
assert len(x509) + len(jwt) == len(keys), "a key with another use"
assert len(x509) >= 1, "no X.509 authority"
for k in x509:
    assert len(k["x5c"]) == 1, "x5c must hold one certificate"
    assert k["kty"] in ("EC", "RSA"), k["kty"]
assert any(base64.b64decode(k["x5c"][0]) == root_der for k in x509), "root not in x5c"
for k in jwt:
    assert k.get("kid"), "JWT authority without kid"
    assert k["kty"] in ("EC", "RSA", "OKP"), k["kty"]
    assert "d" not in k, "private member in a bundle"
if want_jwt is not None:
    assert len(jwt) == want_jwt, "%d JWT authorities, want %d" % (len(jwt), want_jwt)
seq = doc.get("spiffe_sequence")
assert seq is None or isinstance(seq, int), "spiffe_sequence not an integer"
print("ok")
