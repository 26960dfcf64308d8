# SPDX-License-Identifier: Apache-2.0
# grpc-interop.sh - an independent gRPC client (@grpc/grpc-js and
# @grpc/proto-loader with the SPIFFE workload.proto read from $TG_TESTDATA,
# tests/interop/workload_grpc.js) against `tollgate agent` on its Unix
# socket: X509- and JWT-SVIDs (checked with node's crypto), both bundle
# streams, ValidateJWTSVID, and refusals without the security header.
# Two entries match the client: by uid, and by uid plus node's executable
# path; the older is the default identity. Skipped, loudly, without node,
# npm or the test data; `npm ci` runs when node_modules lacks grpc-js.
. "$DATA/grpc.inc"

node=$(command -v node)
node_exe=$(readlink -f "$node")
tg ca init --dir ca --trust-domain example.org >/dev/null || fail "ca init"
tg entry create --dir ca --spiffe-id spiffe://example.org/interop/node \
	--selector "unix:uid:$(id -u)" >/dev/null || fail "entry create (uid)"
sleep 1 # entries are ordered by their creation second
tg entry create --dir ca --spiffe-id spiffe://example.org/interop/by-path \
	--selector "unix:uid:$(id -u)" --selector "unix:path:$node_exe" >/dev/null ||
	fail "entry create (path)"
# an entry for someone else: never served to this client
tg entry create --dir ca --spiffe-id spiffe://example.org/not-mine \
	--selector "unix:uid:$(($(id -u) + 4242))" >/dev/null || fail "entry create (other)"

"$TG_BIN" agent --dir ca --socket "$PWD/agent.sock" 2>agent.err &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$WORK"' EXIT
i=0
while [ ! -S agent.sock ] && [ $i -lt 100 ]; do
	kill -0 $pid 2>/dev/null || fail "agent exited: $(cat agent.err)"
	sleep 0.1
	i=$((i + 1))
done
[ -S agent.sock ] || fail "no socket after 10 s: $(cat agent.err)"
# any local process may connect; attestation decides what it gets
[ "$(stat -c %a agent.sock)" = 666 ] || fail "socket mode $(stat -c %a agent.sock), want 666"

expect_exit 0 node "$IOP/workload_grpc.js" "$PWD/agent.sock" example.org \
	spiffe://example.org/interop/node spiffe://example.org/interop/by-path
cat "$OUT"
kill -TERM $pid
wait $pid || fail "agent exited $? after SIGTERM: $(cat agent.err)"
[ -S agent.sock ] && fail "the socket is left behind"
true
