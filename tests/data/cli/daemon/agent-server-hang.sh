# SPDX-License-Identifier: Apache-2.0
# agent-server-hang.sh - `tollgate agent --server` against a server that
# accepts connections and never answers, and after a crash in the middle
# of its own SVID's renewal. The agent reaches tollgated through a TCP
# relay (python, here) that can be switched to swallow connections: the
# agent's poll then fails within its 10 s bound (not the client's 60 s),
# says so, and the agent keeps serving its cached SVIDs. At start, a
# --svid that is not for --svid-key is refused naming both files, and a
# renewal cut short between its renames (key renamed, CERT.pending left)
# is finished.
. "$DATA/setup.inc"
need curl
. "$DATA/../agent/grpc.inc"

start_server
TD=tollgate.test
AG=spiffe://$TD/agent/node-1
WL=spiffe://$TD/app/web

join_node "$AG" agent
tg entry create --dir srv/ca --spiffe-id "$WL" --parent "$AG" --selector "unix:uid:$(id -u)" \
	>/dev/null || fail "entry create $WL"

# the relay: forwards to tollgated, or (while ./hang exists) accepts and
# holds every connection without a byte either way
cat >relay.py <<'PY'
import os, socket, sys, threading
up = ("127.0.0.1", int(sys.argv[1]))
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print(ls.getsockname()[1], flush=True)
held = []
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    if os.path.exists("hang"):
        held.append(c)
        continue
    try:
        u = socket.create_connection(up)
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
python3 relay.py "$PORT" >relay.out 2>relay.err &
RPID=$!
APID=
trap 'kill $APID $RPID 2>/dev/null; stop_server; rm -rf "$WORK"' EXIT
i=0
until [ -s relay.out ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the relay did not start: $(cat relay.err)"
	sleep 0.1
done
RURL="https://127.0.0.1:$(cat relay.out)"

start_agent() {
	rm -f agent.sock
	"$TG_BIN" agent --server "$RURL" --ca-file srv/ca.pem --svid agent/svid.pem \
		--svid-key agent/svid.key --socket "$PWD/agent.sock" 2>>agent.err &
	APID=$!
	i=0
	while [ ! -S agent.sock ] && [ $i -lt 100 ]; do
		kill -0 $APID 2>/dev/null || fail "agent exited: $(cat agent.err)"
		sleep 0.1
		i=$((i + 1))
	done
	[ -S agent.sock ] || fail "no socket after 10 s: $(cat agent.err)"
}
fetch() { # DIR
	expect_exit 0 node "$IOP/workload_fetch.js" "$PWD/agent.sock" "$1" db
	expect_out_line "$WL"
	awk '/BEGIN/{n++} n==1' "$1/svid.pem" >"$1/leaf.pem"
}
serial() { openssl x509 -in "$1" -noout -serial; }

start_agent
fetch w1

# the server hangs: the next poll fails within 5 s (the poll) + 10 s
touch hang
t0=$(date +%s)
i=0
until grep -q 'polling the entries at .* timed out' agent.err; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "no timed-out poll 20 s after the server hung: $(cat agent.err)"
	sleep 0.1
done
el=$(($(date +%s) - t0))
[ $el -le 17 ] || fail "the poll took ${el}s to fail"
grep -q 'no answer within 10000 ms' agent.err || fail "the timeout is not named: $(cat agent.err)"
# callers get the cached SVIDs, without a wait for the server
t0=$(date +%s)
fetch w2
[ $(($(date +%s) - t0)) -le 12 ] || fail "serving from the cache took too long"
[ "$(serial w2/leaf.pem)" = "$(serial w1/leaf.pem)" ] || fail "not the cached X509-SVID"
cmp -s w1/jwt w2/jwt || fail "not the cached JWT-SVID"
kill -0 $APID 2>/dev/null || fail "agent exited: $(cat agent.err)"
# the server answers again
rm -f hang
i=0
until grep -q 'answers again' agent.err; do
	i=$((i + 1))
	[ $i -lt 700 ] || fail "the agent did not notice the server is back: $(cat agent.err)"
	sleep 0.1
done
kill -TERM $APID
wait $APID || fail "agent exited $? after SIGTERM: $(cat agent.err)"
APID=

# own SVID files: a second pair for the agent (what a renewal makes)
openssl ecparam -name prime256v1 -genkey -noout -out k.ec 2>/dev/null || fail "openssl key"
openssl pkcs8 -topk8 -nocrypt -in k.ec -out k.pem || fail "openssl pkcs8"
openssl req -new -key k.pem -subj /CN=x -out k.csr 2>/dev/null || fail "openssl req"
python3 -c 'import json; json.dump({"csr": open("k.csr").read()}, open("renew.json", "w"))'
code=$(curl -sS --resolve "localhost:$PORT:127.0.0.1" --cacert srv/ca.pem \
	--cert agent/svid.pem --key agent/svid.key -o body -w '%{http_code}' \
	-H 'Content-Type: application/json' --data-binary @renew.json \
	"https://localhost:$PORT/v1/agent/renew")
[ "$code" = 200 ] || fail "renew: $code $(cat body)"
python3 -c 'import json; print(json.load(open("body"))["x509_svid"], end="")' >renewed.pem
cp agent/svid.key old.key

# a mismatched pair, nothing pending: refused, naming both files
cp k.pem agent/svid.key
expect_exit 2 "$TG_BIN" agent --server "$RURL" --ca-file srv/ca.pem --svid agent/svid.pem \
	--svid-key agent/svid.key --socket "$PWD/agent.sock"
expect_err_match "X509-SVID 'agent/svid.pem' is not for its key 'agent/svid.key'"
[ ! -S agent.sock ] || fail "a socket despite the refusal"

# cut short between the renames: the key is the new one, the SVID pending
cp renewed.pem agent/svid.pem.pending
start_agent
grep -q 'finished a renewal cut short' agent.err || fail "no report of the recovery: $(cat agent.err)"
[ ! -e agent/svid.pem.pending ] || fail "the pending SVID is still there"
cmp -s agent/svid.pem renewed.pem || fail "the pending SVID was not put in place"
fetch w3
kill -TERM $APID
wait $APID || fail "agent exited $? after SIGTERM: $(cat agent.err)"
APID=
grep -q 'PRIVATE KEY' agent.err && fail "a key in the agent's log"
if grep -q 'Sanitizer\|runtime error' agent.err; then
	head -c 4000 agent.err >&2
	fail "the agent reported a sanitizer error"
fi
finish
true
