# SPDX-License-Identifier: Apache-2.0
# http.send and net.lookup_ip_addr: refused (an eval_builtin_error naming
# the built-in and --allow-net) without --allow-net or for a host not on
# the list; with it, against a loopback python3 http.server: OPA's response
# shape (status, status_code, body, raw_body, headers as lower-case name ->
# [values]), JSON decoding, POST bodies and headers, error statuses,
# redirects (not followed unless enable_redirect), chunked bodies,
# timeouts with raise_error false, one request per query for the same
# request; HTTPS with tls_ca_cert, an unknown CA, tls_insecure_skip_verify.
need python3 openssl
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=test -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem \
	2>/dev/null || fail "openssl req"
python3 "$DATA/http-send-server.py" port &
SRV=$!
python3 "$DATA/http-send-server.py" tlsport cert.pem key.pem &
TLS=$!
trap 'kill "$SRV" "$TLS" 2>/dev/null; rm -rf "$WORK"' EXIT
i=0
while { [ ! -s port ] || [ ! -s tlsport ]; } && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s port ] && [ -s tlsport ] || fail "the test servers did not start"
PORT=$(cat port)
U="http://127.0.0.1:$PORT"
T="https://127.0.0.1:$(cat tlsport)"
CA=$(python3 -c 'import json; print(json.dumps(open("cert.pem").read()))')

cat >p.rego <<REGO
package t

json := http.send({"method": "get", "url": "$U/json"})

echo := http.send({"method": "post", "url": "$U/echo?q=1", "body": {"k": [1, "<"]},
	"headers": {"x-trace-me": "yes"}}).body

raw := http.send({"method": "PUT", "url": "$U/echo", "raw_body": "abc"}).body

fail := http.send({"method": "get", "url": "$U/fail"})

redirect := http.send({"method": "get", "url": "$U/redirect"}).status_code

followed := http.send({"method": "get", "url": "$U/redirect", "enable_redirect": true}).body

chunked := http.send({"method": "get", "url": "$U/chunked"}).body

forced := http.send({"method": "get", "url": "$U/text", "force_json_decode": true})

slow := http.send({"method": "get", "url": "$U/slow", "timeout": "300ms", "raise_error": false})

refused := http.send({"method": "get", "url": "http://127.0.0.1:1/", "raise_error": false}).error.code

same := [a, b] if {
	a := http.send({"method": "get", "url": "$U/count"}).raw_body
	b := http.send({"method": "get", "url": "$U/count"}).raw_body
}

lookup := net.lookup_ip_addr("tollgate-test.invalid")

tls := http.send({"method": "get", "url": "$T/json", "tls_ca_cert": $CA}).body

tls_unknown := http.send({"method": "get", "url": "$T/json", "raise_error": false}).error

tls_insecure := http.send({"method": "get", "url": "$T/text", "tls_insecure_skip_verify": true}).raw_body
REGO

# no --allow-net: the policy stops with the refusal, whatever strict says
expect_exit 2 tg policy eval -d p.rego data.t.json
expect_out_match '"code": "eval_builtin_error"'
expect_out_match "http.send: network access to '127.0.0.1' is not allowed: allow it with \`tollgate policy eval --allow-net 127.0.0.1\`"
expect_exit 2 tg policy eval -d p.rego data.t.lookup
expect_out_match "net.lookup_ip_addr: network access to 'tollgate-test.invalid' is not allowed"
# a host not on the list
expect_exit 2 tg policy eval --allow-net example.com,localhost -d p.rego data.t.json
expect_out_match 'http.send: unallowed host: 127.0.0.1'
expect_exit 2 tg policy eval --allow-net 'a,,b' -d p.rego data.t.json
expect_err_match 'allow-net wants host names'

ev() {
	expect_exit 0 tg policy eval --allow-net localhost,127.0.0.1 -d p.rego "data.t.$1"
	cp "$OUT" "v_$1.json"
}
for v in json echo raw fail redirect followed chunked forced slow refused same tls tls_unknown \
	tls_insecure; do
	ev $v
done
# one python3 for all the checks (it starts slowly on a busy machine)
python3 - <<'PY' || fail "http.send results"
import json
def v(name):
    return json.load(open("v_%s.json" % name))["result"][0]["expressions"][0]["value"]
checks = [
    ("json status", lambda: v("json")["status"] == "200 OK" and v("json")["status_code"] == 200),
    ("json body", lambda: v("json")["body"] == {"a": [1, 2]} and v("json")["raw_body"] == '{"a": [1, 2]}'),
    ("json headers", lambda: v("json")["headers"]["set-cookie"] == ["a=1", "b=2"]
        and v("json")["headers"]["content-type"] == ["application/json"]),
    ("response keys", lambda: sorted(v("json")) == ["body", "headers", "raw_body", "status", "status_code"]),
    ("echo request line", lambda: v("echo")["method"] == "POST" and v("echo")["path"] == "/echo?q=1"),
    # Go's json.Marshal: compact, keys sorted, < escaped
    ("echo body", lambda: v("echo")["body"] == '{"k":[1,"\\u003c"]}'),
    ("echo headers", lambda: v("echo")["headers"]["x-trace-me"] == "yes"
        and v("echo")["headers"]["content-length"] == "18"),
    ("raw_body", lambda: v("raw")["method"] == "PUT" and v("raw")["body"] == "abc"),
    ("500 response", lambda: v("fail")["status_code"] == 500 and v("fail")["status"] == "500 Internal Server Error"
        and v("fail")["body"] is None and v("fail")["raw_body"] == "boom"),
    ("redirect not followed by default", lambda: v("redirect") == 302),
    ("redirect followed", lambda: v("followed") == {"a": [1, 2]}),
    ("chunked body", lambda: v("chunked") == {"chunked": True}),
    ("force_json_decode on non-JSON", lambda: v("forced")["body"] is None and v("forced")["raw_body"] == "hello"),
    ("timeout", lambda: v("slow")["status_code"] == 0
        and v("slow")["error"]["code"] == "eval_http_send_network_error"
        and "Client.Timeout" in v("slow")["error"]["message"]),
    ("connection refused", lambda: v("refused") == "eval_http_send_network_error"),
    ("one request per query", lambda: v("same") == ["1", "1"]),
    ("https with tls_ca_cert", lambda: v("tls") == {"a": [1, 2]}),
    ("https with an unknown CA", lambda: v("tls_unknown")["code"] == "eval_http_send_network_error"
        and "certificate" in v("tls_unknown")["message"]),
    ("https with tls_insecure_skip_verify", lambda: v("tls_insecure") == "hello"),
]
bad = [name for name, f in checks if not f()]
assert not bad, bad
PY
# the timeout as an error
expect_exit 2 tg policy eval --strict-builtin-errors --allow-net 127.0.0.1 -d p.rego \
	'http.send({"method": "get", "url": "'"$U"'/slow", "timeout": "200ms"})'
expect_out_match "http.send: Get $U/slow: request timed out"
