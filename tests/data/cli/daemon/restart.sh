# SPDX-License-Identifier: Apache-2.0
# The process table: two api workers share the listener; a worker killed
# with SIGKILL is restarted and the service answers throughout (HTTPS,
# attestation through the signer, attestations from the store), with the
# metrics of the dead worker kept; a worker that keeps dying at once stops
# the service (exit 3), and so does the death of the signer.
. "$DATA/setup.inc"
start_server '"api_workers": 2'
procs() { python3 "$DATA/procs.py" "$SRV_PID" "$PORT"; }
workers() { procs | awk '$1 == "worker" { print $2 }' | sort; }
# wait_workers N: until N workers hold the listener (10 s)
wait_workers() {
	i=0
	until [ "$(workers | wc -l)" -eq "$1" ]; do
		i=$((i + 1)); [ "$i" -lt 100 ] || fail "want $1 workers, have: $(procs | tr '\n' ' ')"
		sleep 0.1
	done
}
wait_workers 2
procs >p0
grep -q '^signer ' p0 && grep -q '^store ' p0 || fail "signer and store: $(cat p0)"
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 >/dev/null || fail "entry create"
S="--server $URL --ca-file srv/ca.pem"

expect_exit 0 http many 20 /healthz
before=$(http req GET /metrics | sed -n 's/^tollgated_http_requests_total{route="\/healthz",code="200"} //p')
[ "${before:-0}" -ge 20 ] || fail "healthz count before: '$before'"

# kill -9 one worker: it comes back, the other went on serving
old=$(workers | head -n1)
kill -9 "$old"
i=0
until grep -q "api worker [0-9] ended (killed by signal 9); restarting it" srv.err; do
	i=$((i + 1)); [ "$i" -lt 100 ] || { cat srv.err >&2; fail "no restart in the log"; }
	sleep 0.1
done
wait_workers 2
workers | grep -qx "$old" && fail "the killed worker $old is still listed"
for n in 1 2 3 4 5 6; do
	expect_exit 0 http req GET /healthz
	[ "$(status_of "$OUT")" = 200 ] || fail "healthz $n after the restart: $(cat "$OUT")"
done
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg attest $S --oidc-token t1 --x509-out out1
expect_out_line "spiffe://tollgate.test/ci/acme/app"
after=$(http req GET /metrics | sed -n 's/^tollgated_http_requests_total{route="\/healthz",code="200"} //p')
[ "$after" -ge $((before + 6)) ] || fail "metrics lost with the worker: $before then $after"

# a worker that keeps dying (11 times in a minute) stops the service
n=0
while kill -0 "$SRV_PID" 2>/dev/null && [ "$n" -lt 40 ]; do
	for w in $(workers); do kill -9 "$w" 2>/dev/null; done
	n=$((n + 1))
	sleep 0.2
done
kill -0 "$SRV_PID" 2>/dev/null && fail "tollgated still runs after $n rounds of killed workers"
wait "$SRV_PID"
st=$?
SRV_PID=
[ "$st" -eq 3 ] || { cat srv.err >&2; fail "tollgated exited $st, want 3"; }
grep -q "it ended 11 times within 60 s; stopping" srv.err || fail "no give-up line"

# the signer's death stops the service: it holds the keys and the log
rm -f srv.out
start_server '"api_workers": 2'
wait_workers 2
kill -9 "$(procs | awk '$1 == "signer" { print $2 }')"
wait "$SRV_PID"
st=$?
SRV_PID=
[ "$st" -eq 3 ] || fail "tollgated exited $st after the signer died, want 3"
grep -q "the signer process ended (killed by signal 9); stopping" srv.err || fail "signer line"
finish
