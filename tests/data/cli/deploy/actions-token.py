# SPDX-License-Identifier: Apache-2.0
# actions-token.py - a stand-in for GitHub Actions' OIDC token endpoint
# (not a case): GET <path>?api-version=2.0&audience=AUD with
# "Authorization: bearer REQUEST_TOKEN" answers {"count":1,"value":JWT}, the
# JWT signed by `tollgate jwt sign --key KEY` with GitHub's claims for the
# workflow in the file WORKFLOW_REF_FILE (read at each request) and a fresh
# jti. Anything else is 401 or 400. Prints "port N" once it listens; appends
# one line per token to LOG.
#   actions-token.py TG_BIN KEY REQUEST_TOKEN WORKFLOW_REF_FILE LOG
import http.server, json, subprocess, sys, tempfile, time, urllib.parse

tg, key, secret, ref_file, log = sys.argv[1:6]
seq = 0


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, code, body):
        b = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        global seq
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        if self.headers.get("Authorization") != "bearer " + secret:
            return self.answer(401, {"message": "bad request token"})
        if u.path != "/token" or q.get("api-version") != ["2.0"] or len(q.get("audience", [])) != 1:
            return self.answer(400, {"message": "want /token?api-version=2.0&audience=AUD"})
        wf = open(ref_file).read().strip()  # acme/app/.github/workflows/x.yml@refs/heads/main
        now, seq = int(time.time()), seq + 1
        claims = {"iss": "https://token.actions.githubusercontent.com", "aud": q["audience"][0],
                  "exp": now + 300, "iat": now, "nbf": now, "jti": "stand-in-%d-%d" % (now, seq),
                  "sub": "repo:acme/app:ref:refs/heads/main", "repository": "acme/app",
                  "repository_id": "123456789", "repository_owner": "acme",
                  "repository_owner_id": "42", "repository_visibility": "private",
                  "ref": "refs/heads/main", "ref_type": "branch",
                  "sha": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
                  "workflow_ref": wf, "job_workflow_ref": wf, "event_name": "push",
                  "run_id": "7001", "run_attempt": "1", "actor": "octocat", "actor_id": "1",
                  "runner_environment": "github-hosted"}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(claims, f)
            f.flush()
            jwt = subprocess.run([tg, "jwt", "sign", "--key", key, "--claims", f.name],
                                 capture_output=True, text=True, check=True).stdout.strip()
        with open(log, "a") as f:
            f.write("%s %s\n" % (q["audience"][0], wf))
        self.answer(200, {"count": 1, "value": jwt})


s = http.server.HTTPServer(("127.0.0.1", 0), H)
print("port %d" % s.server_address[1], flush=True)
s.serve_forever()
