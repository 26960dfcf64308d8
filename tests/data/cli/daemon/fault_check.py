# SPDX-License-Identifier: Apache-2.0
# fault_check.py - checks for fault.sh (not a case) that nothing tollgated
# acknowledged was lost: ENTRIES is the log as tiles.py read it from the
# tiles ("<index> <base64>" lines).
#   fault_check.py PORT CA ENTRIES LOGLIST ATTLIST [DECLIST]
# LOGLIST: bundle files the server answered with a log entry: each entry
# must be at its logIndex, and the tree of every checkpoint the server
# signed for it must be a prefix of today's log (RFC 6962 2.1 roots
# recomputed from the entries). ATTLIST: "<artifact> <bundle>" lines whose
# POST /v1/attestations was acknowledged: GET /v1/attestations/sha256:<hex
# of the artifact> must return that bundle. DECLIST: `tollgate gate check
# --json` answers: the entry at each decision_log_index must be the
# tollgate-gate-decision entry of that decision (docs/api.md).
import base64, hashlib, json, os, ssl, sys

sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import http.client  # noqa: E402

port, ca, entries_file, log_list, att_list = sys.argv[1:6]
dec_list = sys.argv[6] if len(sys.argv) > 6 else None


def die(msg):
    print("fault_check.py: " + msg, file=sys.stderr)
    sys.exit(1)


entries = {}
for line in open(entries_file):
    i, b = line.split()
    entries[int(i)] = base64.b64decode(b)
leaves = [hashlib.sha256(b"\x00" + entries[i]).digest() for i in range(len(entries))]


def mth(h):
    if len(h) == 1:
        return h[0]
    k = 1
    while k * 2 < len(h):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(h[:k]) + mth(h[k:])).digest()


nlog = 0
for f in open(log_list).read().split():
    e = json.load(open(f))["verificationMaterial"]["tlogEntries"][0]
    i = int(e["logIndex"])
    if entries.get(i) != base64.b64decode(e["canonicalizedBody"]):
        die("%s: log entry %d is lost or different" % (f, i))
    p = e["inclusionProof"]
    n = int(p["treeSize"])
    if n > len(leaves) or mth(leaves[:n]) != base64.b64decode(p["rootHash"]):
        die("%s: the tree of size %d it was acknowledged in is not a prefix of the log" % (f, n))
    nlog += 1

ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the server is named by its SPIFFE ID, not a DNS name
conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=60)
natt = 0
for line in open(att_list):
    art, f = line.split()
    h = hashlib.sha256(open(art, "rb").read()).hexdigest()
    conn.request("GET", "/v1/attestations/sha256:" + h)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        die("%s: GET attestations: %d %r" % (art, r.status, body[:200]))
    if json.load(open(f)) not in json.loads(body)["bundles"]:
        die("%s: the acknowledged attestation %s is lost" % (art, f))
    natt += 1
ndec = 0
for f in open(dec_list).read().split() if dec_list else []:
    d = json.load(open(f))
    i = d.pop("decision_log_index")
    c = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    e = {"apiVersion": "0.0.1", "kind": "tollgate-gate-decision", "spec": {"allow": d["allow"],
         "artifact": d["artifact"], "decision": {"algorithm": "SHA2_256",
         "digest": base64.b64encode(hashlib.sha256(c).digest()).decode()}}}
    if entries.get(i) != json.dumps(e, sort_keys=True, separators=(",", ":")).encode():
        die("%s: decision %d is lost or different" % (f, i))
    ndec += 1
print("log %d attestations %d decisions %d entries %d" % (nlog, natt, ndec, len(entries)))
