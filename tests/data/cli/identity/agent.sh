# SPDX-License-Identifier: Apache-2.0
# agent serves on the socket until SIGTERM (then exits 0 and stops
# listening), and SIGINT stops it the same way; missing options are usage
# errors. (The Workload API itself is checked by an independent gRPC client
# in tests/interop.)
. "$DATA/setup.inc"
ca_init
start() {
	"$TG_BIN" agent --dir ca --socket "$PWD/agent.sock" 2>agent.err &
	pid=$!
	i=0
	while [ ! -S agent.sock ] && [ $i -lt 100 ]; do
		kill -0 $pid 2>/dev/null || fail "agent exited: $(cat agent.err)"
		sleep 0.1
		i=$((i + 1))
	done
	[ -S agent.sock ] || { kill $pid; fail "no socket after 10 s"; }
}
stop() { # SIGNAL
	kill -"$1" $pid
	wait $pid
	rc=$?
	[ $rc -eq 0 ] || fail "agent exited $rc after SIG$1: $(cat agent.err)"
}
start
stop TERM
[ -S agent.sock ] && fail "the socket is left behind"
start
stop INT
expect_exit 2 tg agent --dir ca
expect_err_match "missing --socket PATH"
expect_exit 2 tg agent --socket x.sock
expect_err_match "missing --dir D"
expect_exit 2 tg agent --dir ca --socket x.sock --max-clients 0
expect_err_match "--max-clients '0'"
expect_exit 2 tg agent --dir ca --socket x.sock --rotate-before forever
expect_exit 2 tg agent --dir nowhere --socket x.sock
expect_err_match "cannot open the CA in 'nowhere'"
true
