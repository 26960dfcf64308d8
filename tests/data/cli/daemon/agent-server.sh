# SPDX-License-Identifier: Apache-2.0
# agent-server.sh - `tollgate agent --server`: an agent without the CA key.
# The node attests to tollgated with a join token (`tollgate attest
# --server`), and its SVID is the agent's identity; a workload entry whose
# parent is the agent is served on the Workload API socket (fetched by an
# independent gRPC client, tests/interop/workload_fetch.js), the X509-SVID
# checked by openssl against srv/ca.pem and the JWT-SVID by `svid verify`.
# A second agent cannot read or obtain the first one's entries (403 through
# the routes, by curl with its own certificate); /v1/attest never matches
# an entry with a parent. A JWT-SVID revoked at the server (`svid revoke`)
# is refused by the agent's ValidateJWTSVID after its next poll, and the
# agent stops handing it out. The agent renews its own 30 s SVID and keeps
# serving, and serves its cached SVIDs after tollgated is gone.
. "$DATA/setup.inc"
need curl
. "$DATA/../agent/grpc.inc"

start_server
TD=tollgate.test
S="--server $URL --ca-file srv/ca.pem"
AG1=spiffe://$TD/agent/node-1
AG2=spiffe://$TD/agent/node-2
WL=spiffe://$TD/app/web
UIDSEL="unix:uid:$(id -u)"

join_node "$AG1" agent1
join_node "$AG2" agent2

# the workload's entry: attested by agent 1 from the caller's credentials
wl_entry=$(tg entry create --dir srv/ca --spiffe-id "$WL" --parent "$AG1" --selector "$UIDSEL") ||
	fail "entry create $WL"
expect_exit 0 tg entry list --dir srv/ca --json
python3 - "$OUT" "$wl_entry" "$AG1" <<'PY' || fail "entry list shows the parent"
import json, sys
es = {e["id"]: e for e in json.load(open(sys.argv[1]))["entries"]}
assert es[sys.argv[2]]["parent_id"] == sys.argv[3], es[sys.argv[2]]
PY
# agent 2's own entry, with the same selectors: never agent 1's
tg entry create --dir srv/ca --spiffe-id "spiffe://$TD/app/two" --parent "$AG2" \
	--selector "$UIDSEL" >/dev/null || fail "entry create (agent 2)"
# an entry with a parent is never matched by /v1/attest
tok=$(tg jointoken create --dir srv/ca --ttl 5m 2>jt.err) || fail "jointoken"
jid=$(sed -n 's/.*join:token:\([0-9a-f]*\).*/\1/p' jt.err)
tg entry create --dir srv/ca --spiffe-id "spiffe://$TD/app/delegated" --parent "$AG1" \
	--selector "join:token:$jid" >/dev/null || fail "entry create (delegated)"
# shellcheck disable=SC2086
expect_exit 1 tg attest $S --join-token "$tok" --x509-out nope
expect_err_match 'no registration entry matches'

# the routes, by curl with an agent's certificate
api() { # AGENT-DIR METHOD PATH [BODY-FILE]
	curl -sS --resolve "localhost:$PORT:127.0.0.1" --cacert srv/ca.pem \
		--cert "$1/svid.pem" --key "$1/svid.key" -o body -w '%{http_code}' -X "$2" \
		${4:+-H 'Content-Type: application/json' --data-binary @"$4"} \
		"https://localhost:$PORT$3"
}
[ "$(api agent1 GET /v1/agent/entries)" = 200 ] || fail "entries of agent 1: $(cat body)"
python3 - body "$wl_entry" "$AG1" <<'PY' || fail "agent 1's entries"
import json, sys
d = json.load(open(sys.argv[1]))
ids = [e["id"] for e in d["entries"]]
assert d["spiffe_id"] == sys.argv[3] and sys.argv[2] in ids, d
assert all(e["parent_id"] == sys.argv[3] for e in d["entries"]), d
assert "tollgate.test" in d["bundles"] and len(d["revision"]) == 64, d
PY
[ "$(api agent2 GET /v1/agent/entries)" = 200 ] || fail "entries of agent 2: $(cat body)"
grep -q "$wl_entry" body && fail "agent 2 sees agent 1's entry"
openssl ecparam -name prime256v1 -genkey -noout -out k.pem 2>/dev/null || fail "openssl key"
openssl req -new -key k.pem -subj /CN=x -out k.csr 2>/dev/null || fail "openssl req"
python3 - "$wl_entry" <<'PY' || fail "bodies"
import json, sys
csr = open("k.csr").read()
json.dump({"entry_id": sys.argv[1], "csr": csr}, open("x509.json", "w"))
json.dump({"entry_id": sys.argv[1], "audience": ["db"]}, open("jwt.json", "w"))
json.dump({"csr": csr}, open("renew.json", "w"))
PY
[ "$(api agent2 POST /v1/agent/svid/x509 x509.json)" = 403 ] ||
	fail "agent 2 got agent 1's X509-SVID: $(cat body)"
[ "$(api agent2 POST /v1/agent/svid/jwt jwt.json)" = 403 ] ||
	fail "agent 2 got agent 1's JWT-SVID: $(cat body)"
[ "$(api agent1 POST /v1/agent/svid/jwt jwt.json)" = 200 ] || fail "agent 1 JWT: $(cat body)"
# without a client certificate: 401
code=$(curl -sS --resolve "localhost:$PORT:127.0.0.1" --cacert srv/ca.pem -o body \
	-w '%{http_code}' "https://localhost:$PORT/v1/agent/entries")
[ "$code" = 401 ] || fail "entries without a certificate: $code"
# renew: agent 2's own SPIFFE ID, for the CSR's key
[ "$(api agent2 POST /v1/agent/renew renew.json)" = 200 ] || fail "renew: $(cat body)"
python3 -c 'import json; print(json.load(open("body"))["x509_svid"], end="")' >renewed.pem
awk '/BEGIN/{n++} n==1' renewed.pem >r-leaf.pem
awk '/BEGIN/{n++} n>=2' renewed.pem >r-inter.pem
expect_exit 0 openssl verify -CAfile srv/ca.pem -untrusted r-inter.pem r-leaf.pem
openssl x509 -in r-leaf.pem -noout -ext subjectAltName | grep -q "URI:$AG2\$" ||
	fail "renewed SVID is not $AG2"
[ "$(openssl x509 -in r-leaf.pem -noout -pubkey)" = "$(openssl pkey -in k.pem -pubout)" ] ||
	fail "renewed SVID is not for the CSR's key"

# the agent, with a fresh 30 s SVID (a second join entry for the same
# SPIFFE ID, so renewals get 30 s too), taken just before it starts: the
# steps above may take longer than 30 s on a loaded machine
join_node "$AG1" agent1 --x509-ttl 30s
serial() { openssl x509 -in "$1" -noout -serial; }
s0=$(serial agent1/svid.pem)
"$TG_BIN" agent $S --svid agent1/svid.pem --svid-key agent1/svid.key \
	--socket "$PWD/agent.sock" 2>agent.err &
APID=$!
trap 'kill $APID 2>/dev/null; stop_server; rm -rf "$WORK"' EXIT
i=0
while [ ! -S agent.sock ] && [ $i -lt 100 ]; do
	kill -0 $APID 2>/dev/null || fail "agent exited: $(cat agent.err)"
	sleep 0.1
	i=$((i + 1))
done
[ -S agent.sock ] || fail "no socket after 10 s: $(cat agent.err)"

# check_fetch DIR: the workload's SVIDs from the socket, checked
check_fetch() {
	expect_exit 0 node "$IOP/workload_fetch.js" "$PWD/agent.sock" "$1" db
	expect_out_line "$WL"
	awk '/BEGIN/{n++} n==1' "$1/svid.pem" >"$1/leaf.pem"
	awk '/BEGIN/{n++} n>=2' "$1/svid.pem" >"$1/inter.pem"
	expect_exit 0 openssl verify -CAfile srv/ca.pem -untrusted "$1/inter.pem" "$1/leaf.pem"
	openssl x509 -in "$1/leaf.pem" -noout -ext subjectAltName | grep -q "URI:$WL\$" ||
		fail "$1: the X509-SVID is not $WL"
	[ "$(openssl x509 -in "$1/leaf.pem" -noout -pubkey)" = \
		"$(openssl pkey -in "$1/svid.key" -pubout)" ] || fail "$1: key and SVID differ"
	cmp -s "$1/bundle.pem" srv/ca.pem || fail "$1: the bundle is not srv/ca.pem"
	expect_exit 0 tg svid verify --dir srv/ca --jwt "$(cat "$1/jwt")" --aud db
	expect_out_line "$WL"
}
check_fetch w1

# ValidateJWTSVID on the agent (@grpc/grpc-js, as workload_fetch.js)
cat >validate.cjs <<'JS'
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const [sock, aud, tok] = process.argv.slice(2);
const def = protoLoader.loadSync(`${process.env.TG_TESTDATA}/spiffe/workload.proto`,
  { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const Svc = grpc.loadPackageDefinition(def).SpiffeWorkloadAPI;
const c = new Svc(`unix://${sock}`, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
md.set('workload.spiffe.io', 'true');
c.ValidateJWTSVID({ audience: aud, svid: tok }, md, (err, resp) => {
  if (err) {
    console.error(`gRPC status ${err.code}: ${err.details}`);
    process.exit(1);
  }
  console.log(resp.spiffe_id);
  process.exit(0);
});
JS
validate() { NODE_PATH="$IOP/node_modules" node validate.cjs "$PWD/agent.sock" db "$1"; }
expect_exit 0 validate "$(cat w1/jwt)"
expect_out_line "$WL"
jti=$(python3 -c '
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["jti"])' w1/jwt) ||
	fail "no jti in the JWT-SVID"
expect_exit 0 tg svid revoke --dir srv/ca --jti "$jti"
# the deny list reaches the agent with its next poll (every 5 s)
t0=$(date +%s)
while validate "$(cat w1/jwt)" >val.out 2>val.err; do
	[ $(($(date +%s) - t0)) -lt 30 ] ||
		fail "the agent still accepts the revoked JWT-SVID after 30 s: $(tail -5 agent.err)"
	sleep 0.2
done
grep -q 'revoked' val.err ||
	fail "ValidateJWTSVID refused for another reason: $(cat val.err) $(tail -5 agent.err)"
# and the revoked token is no longer handed out (check_fetch w2 below
# verifies the next one against the deny list)

# the agent renews its own 30 s SVID (at about 15 s) and keeps serving
i=0
while [ "$(serial agent1/svid.pem)" = "$s0" ] && [ $i -lt 300 ]; do
	kill -0 $APID 2>/dev/null || fail "agent exited: $(cat agent.err)"
	sleep 0.1
	i=$((i + 1))
done
[ "$(serial agent1/svid.pem)" != "$s0" ] || fail "the agent did not renew its SVID in 30 s"
[ "$(stat -c %a agent1/svid.key)" = 600 ] || fail "the renewed key's mode"
awk '/BEGIN/{n++} n==1' agent1/svid.pem >a-leaf.pem
awk '/BEGIN/{n++} n>=2' agent1/svid.pem >a-inter.pem
expect_exit 0 openssl verify -CAfile srv/ca.pem -untrusted a-inter.pem a-leaf.pem
openssl x509 -in a-leaf.pem -noout -ext subjectAltName | grep -q "URI:$AG1\$" ||
	fail "the renewed agent SVID is not $AG1"
# the server accepts the new one (the agent's next poll, and curl)
[ "$(api agent1 GET /v1/agent/entries)" = 200 ] || fail "renewed SVID refused: $(cat body)"
check_fetch w2

# tollgated gone: the agent serves what it holds, and says so
finish
check_fetch w3
[ "$(serial w3/leaf.pem)" = "$(serial w1/leaf.pem)" ] || fail "not the cached X509-SVID"
i=0
until grep -q 'retrying in' agent.err; do
	i=$((i + 1))
	[ $i -lt 150 ] || fail "no report of the unreachable server: $(cat agent.err)"
	sleep 0.1
done
kill -0 $APID 2>/dev/null || fail "agent exited: $(cat agent.err)"
grep -q 'PRIVATE KEY' agent.err && fail "a key in the agent's log"
kill -TERM $APID
wait $APID || fail "agent exited $? after SIGTERM: $(cat agent.err)"
if grep -q 'Sanitizer\|runtime error' agent.err; then
	head -c 4000 agent.err >&2
	fail "the agent reported a sanitizer error"
fi
true
