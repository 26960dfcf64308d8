# SPDX-License-Identifier: Apache-2.0
# A loopback HTTP/1.1 server for the http.send CLI cases (python3's
# http.server; over TLS when argv[2] and argv[3] name a certificate and its
# key): writes its port to the file named by argv[1], then serves
#   GET  /json      200, application/json {"a": [1, 2]}, two Set-Cookie headers
#   GET  /text      200, text/plain "hello"
#   POST /echo      200, echoes method, path, body and request headers as JSON
#   PUT  /echo      the same
#   GET  /fail      500, text "boom"
#   GET  /redirect  302 to /json
#   GET  /chunked   200, chunked application/json {"chunked": true}
#   GET  /slow      sleeps 3 s, then 200
#   GET  /count     200, the number of requests this path has seen
# Any other path is a 404. It exits after 60 s of idleness.
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/json":
            self.send(200, "application/json", b'{"a": [1, 2]}',
                      [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        elif self.path == "/text":
            self.send(200, "text/plain", b"hello")
        elif self.path == "/fail":
            self.send(500, "text/plain", b"boom")
        elif self.path == "/redirect":
            self.send(302, "text/plain", b"", [("Location", "/json")])
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b'{"chunked"', b": true}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/slow":
            time.sleep(3)
            self.send(200, "text/plain", b"late")
        elif self.path == "/count":
            COUNT["n"] += 1
            self.send(200, "text/plain", str(COUNT["n"]).encode())
        else:
            self.send(404, "text/plain", b"not found")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        out = {"method": self.command, "path": self.path, "body": body,
               "headers": {k.lower(): v for k, v in self.headers.items()}}
        self.send(200, "application/json", json.dumps(out).encode())

    do_PUT = do_POST


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_timeout(self):
        sys.exit(0)

    def handle_error(self, request, client_address):
        pass  # a client that timed out and left: expected here


srv = Server(("127.0.0.1", 0), Handler)
srv.timeout = 60
if len(sys.argv) > 3:
    # TLS with the certificate and key files named by argv[2] and argv[3]
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    srv.handle_request()
