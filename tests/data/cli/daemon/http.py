# SPDX-License-Identifier: Apache-2.0
# http.py - raw HTTPS for the daemon cases (not a case): TLS 1.3 to
# tollgated, trusting CA; prints the status on the first line, then the body.
#   http.py PORT CA req METHOD PATH [BODYFILE [CTYPE]] [--cert C --key K] [--bearer T]
#   http.py PORT CA raw FILE          send FILE's bytes as they are
#   http.py PORT CA slow SECONDS      dribble a head; print when dropped
#   http.py PORT CA many N PATH       N keep-alive GETs on one connection, statuses
import socket, ssl, sys, time

port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
args = sys.argv[4:]
cert = key = bearer = None
if "--cert" in args:
    i = args.index("--cert"); cert = args[i + 1]; del args[i:i + 2]
if "--key" in args:
    i = args.index("--key"); key = args[i + 1]; del args[i:i + 2]
if "--bearer" in args:
    i = args.index("--bearer"); bearer = args[i + 1]; del args[i:i + 2]

ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the server is named by its SPIFFE ID, not a DNS name
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
if cert:
    ctx.load_cert_chain(cert, key)

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(s)

def read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    cl = [int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")]
    n = cl[0] if cl else 0
    while len(body) < n:
        d = s.recv(65536)
        if not d:
            break
        body += d
    return status, body[:n]

if mode == "req":
    method, path = args[0], args[1]
    body = open(args[2], "rb").read() if len(args) > 2 else None
    ctype = args[3] if len(args) > 3 else "application/json"
    h = "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" % (method, path)
    if bearer:
        h += "Authorization: Bearer %s\r\n" % bearer
    if body is not None:
        h += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(body))
    s = connect()
    try:
        s.sendall(h.encode() + b"\r\n" + (body or b""))
    except OSError:
        pass  # the server may answer (413) and stop reading before the body is sent
    st, b = read_response(s)
    sys.stdout.buffer.write(b"%d\n" % st + b)
elif mode == "raw":
    s = connect()
    s.sendall(open(args[0], "rb").read())
    st, b = read_response(s)
    sys.stdout.buffer.write(b"%s\n" % (str(st).encode()) + b)
elif mode == "slow":
    s = connect()
    s.settimeout(float(args[0]))
    t0 = time.time()
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    try:
        for _ in range(int(args[0]) * 2):
            s.sendall(b"X: y\r\n")  # one header line every half second, never the end
            time.sleep(0.5)
        print("not dropped")
    except (OSError, ssl.SSLError):
        print("dropped after %.0f s" % (time.time() - t0))
        sys.exit(0)
    sys.exit(0)
elif mode == "many":
    n, path = int(args[0]), args[1]
    s = connect()
    out = []
    for _ in range(n):
        s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())
        st, _ = read_response(s)
        out.append(str(st))
    print(" ".join(out))
