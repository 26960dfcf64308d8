# SPDX-License-Identifier: Apache-2.0
# idp.py - an OIDC issuer's HTTPS endpoints for the daemon cases (not a
# case): serves the files under DIR (paths as they are, JSON), with the
# certificate CERT/KEY, on 127.0.0.1; prints the port, then serves until
# killed. The files can be replaced while it runs (key rotation).
#   idp.py DIR CERT KEY
import http.server, os, ssl, sys

root, cert, key = sys.argv[1:4]

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        p = os.path.normpath(os.path.join(root, self.path.lstrip("/").split("?")[0]))
        if not p.startswith(os.path.abspath(root)) or not os.path.isfile(p):
            self.send_error(404)
            return
        body = open(p, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

root = os.path.abspath(root)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
