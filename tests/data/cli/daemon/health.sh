# SPDX-License-Identifier: Apache-2.0
# tollgated --dev: one "listening on" line, TLS 1.3 only with an
# X509-SVID for spiffe://tollgate.test/tollgated chained to DIR/ca.pem
# (checked by openssl), /healthz, /readyz, /metrics as Prometheus text
# (parsed), the trust root and bundle, JSON errors for unknown routes and
# methods, keep-alive; SIGTERM stops every process with status 0.
. "$DATA/setup.inc"
start_server
[ -s srv/trusted_root.json ] && [ -s srv/ca.pem ] || fail "dev files missing"

# the server certificate, by openssl: TLS 1.3, verified, the SPIFFE ID
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile srv/ca.pem -showcerts \
	>sclient.out 2>&1 || { cat sclient.out >&2; fail "s_client"; }
grep -q 'Protocol *: TLSv1.3' sclient.out || grep -q 'New, TLSv1.3' sclient.out ||
	fail "not TLS 1.3"
grep -q 'Verify return code: 0 (ok)' sclient.out || fail "server chain does not verify"
openssl s_client -connect "127.0.0.1:$PORT" -showcerts </dev/null 2>/dev/null |
	openssl x509 -noout -text >leaf.txt || fail "leaf"
grep -q 'URI:spiffe://tollgate.test/tollgated' leaf.txt || fail "server SPIFFE ID"
if echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -CAfile srv/ca.pem \
	>tls12.out 2>&1; then
	fail "TLS 1.2 accepted"
fi

expect_exit 0 http req GET /healthz
[ "$(status_of "$OUT")" = 200 ] || fail "healthz $(cat "$OUT")"
grep -q '"status":"ok"' "$OUT" || fail "healthz body"
expect_exit 0 http req GET /readyz
[ "$(status_of "$OUT")" = 200 ] || fail "readyz"
expect_exit 0 http req GET /v1/nope
[ "$(status_of "$OUT")" = 404 ] || fail "404"
tail -n +2 "$OUT" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]=="not_found" and e["message"], e' ||
	fail "404 body"
expect_exit 0 http req POST /healthz /dev/null
[ "$(status_of "$OUT")" = 405 ] || fail "405"
expect_exit 0 http req GET /v1/trust-root
tail -n +2 "$OUT" >tr.json
cmp -s tr.json srv/trusted_root.json || fail "trust-root differs from DIR/trusted_root.json"
expect_exit 0 http req GET /v1/bundle
tail -n +2 "$OUT" | python3 -c 'import json,sys; b=json.load(sys.stdin); assert any(k["use"]=="x509-svid" for k in b["keys"]) and any(k["use"]=="jwt-svid" for k in b["keys"])' ||
	fail "bundle"
expect_exit 0 http req GET /v1/log/checkpoint
sed -n 2p "$OUT" | grep -qx 'tollgate.test' || fail "checkpoint origin"
sed -n 3p "$OUT" | grep -qx '0' || fail "checkpoint size"
expect_exit 0 http many 5 /healthz
expect_out_line "200 200 200 200 200"

# /metrics: every line is a comment or a sample of a declared family;
# histogram buckets are cumulative and end at the count
expect_exit 0 http req GET /metrics
[ "$(status_of "$OUT")" = 200 ] || fail "metrics"
tail -n +2 "$OUT" >metrics.txt
python3 - metrics.txt <<'PY' || fail "metrics do not parse as Prometheus text"
import re, sys
types, samples = {}, []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        _, _, name, t = line.split(" ", 3)
        assert t in ("counter", "gauge", "histogram"), line
        types[name] = t
        continue
    if line.startswith("# HELP ") or not line:
        continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)\})? ([0-9.e+-]+|\+Inf)', line)
    assert m, "bad sample line: " + line
    name = m.group(1)
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    assert name in types or base in types, "undeclared family: " + name
    samples.append((name, m.group(3) or "", float(m.group(5))))
def get(n, lab=""):
    return [v for (a, l, v) in samples if a == n and lab in l]
b = get("tollgated_http_request_duration_seconds_bucket")
assert b == sorted(b) and b[-1] == get("tollgated_http_request_duration_seconds_count")[0]
assert get("tollgated_http_requests_total", 'route="/healthz",code="200"')[0] >= 6
assert get("tollgated_http_requests_total", 'code="404"')[0] == 1
assert get("tollgated_svids_issued_total", 'type="x509"') == [0]
assert get("tollgated_log_entries") == [0]
PY

# SIGTERM: the parent stops its children and exits 0
kids=$(pgrep -P "$SRV_PID")
[ "$(echo "$kids" | wc -w)" -eq 4 ] || fail "want 4 child processes (signer, store, 2 api workers), got '$kids'"
kill -TERM "$SRV_PID"
wait "$SRV_PID"
st=$?
SRV_PID=
[ "$st" -eq 0 ] || fail "tollgated exited $st on SIGTERM"
for k in $kids; do
	kill -0 "$k" 2>/dev/null && fail "child $k survived SIGTERM"
done
# a second start reuses the dev directory
start_server
expect_exit 0 http req GET /healthz
[ "$(status_of "$OUT")" = 200 ] || fail "healthz after restart"
finish
