# SPDX-License-Identifier: Apache-2.0
# server-usage.sh - `tollgate agent --server`: its options (exclusive with
# --dir, each needed, none without --server) are usage errors (exit 2), the
# help names them, an agent whose server does not answer does not start
# (exit 3), nor one whose SVID file is unusable (exit 2); entries with a
# parent are never matched by `attest`.
tg ca init --dir ca --trust-domain example.org >/dev/null || fail "ca init"
tok=$(tg jointoken create --dir ca --ttl 5m 2>jt.err) || fail "jointoken"
jid=$(sed -n 's/.*join:token:\([0-9a-f]*\).*/\1/p' jt.err)
tg entry create --dir ca --spiffe-id spiffe://example.org/agent/a --selector "join:token:$jid" \
	>/dev/null || fail "entry create"
tg attest --dir ca --join-token "$tok" --x509-out ag >/dev/null || fail "attest"
expect_exit 0 tg agent --help
expect_out_match '--server URL --svid CERT --svid-key KEY --ca-file PEM'
expect_out_match 'half'
A="--svid ag/svid.pem --svid-key ag/svid.key --ca-file ca/root.pem"
# shellcheck disable=SC2086
expect_exit 2 tg agent --dir ca --server https://127.0.0.1:1 $A --socket x.sock
expect_err_match '--dir and --server exclude each other'
expect_exit 2 tg agent --server https://127.0.0.1:1 --svid-key ag/svid.key --ca-file ca/root.pem \
	--socket x.sock
expect_err_match 'missing --svid CERT'
expect_exit 2 tg agent --server https://127.0.0.1:1 --svid ag/svid.pem --ca-file ca/root.pem \
	--socket x.sock
expect_err_match 'missing --svid-key KEY'
expect_exit 2 tg agent --server https://127.0.0.1:1 --svid ag/svid.pem --svid-key ag/svid.key \
	--socket x.sock
expect_err_match 'missing --ca-file PEM'
expect_exit 2 tg agent --svid ag/svid.pem --socket x.sock
expect_err_match 'need --server'
# shellcheck disable=SC2086
expect_exit 2 tg agent --server https://127.0.0.1:1 $A
expect_err_match 'missing --socket PATH'
# shellcheck disable=SC2086
expect_exit 2 tg agent --server http://127.0.0.1:1 $A --socket x.sock
expect_err_match 'must start with https://'
# nobody listens on port 1: the agent needs its server at start
# shellcheck disable=SC2086
expect_exit 3 tg agent --server https://127.0.0.1:1 $A --socket x.sock
expect_err_match 'cannot get the agent.s entries from https://127.0.0.1:1.*cannot connect'
[ -e x.sock ] && fail "a socket without a server"
printf 'not a certificate\n' >bad.pem
expect_exit 2 tg agent --server https://127.0.0.1:1 --svid bad.pem --svid-key ag/svid.key \
	--ca-file ca/root.pem --socket x.sock
expect_err_match "cannot read the agent's X509-SVID 'bad.pem'"
grep -q 'PRIVATE KEY' "$ERR" && fail "a key in the error"
# an entry with a parent is its agent's: `attest` never matches it
tok=$(tg jointoken create --dir ca --ttl 5m 2>jt.err) || fail "jointoken"
jid=$(sed -n 's/.*join:token:\([0-9a-f]*\).*/\1/p' jt.err)
tg entry create --dir ca --spiffe-id spiffe://example.org/w --parent spiffe://example.org/agent/a \
	--selector "join:token:$jid" >/dev/null || fail "entry create --parent"
expect_exit 1 tg attest --dir ca --join-token "$tok"
expect_err_match 'no registration entry matches'
expect_exit 2 tg entry create --dir ca --spiffe-id spiffe://example.org/w \
	--parent spiffe://other.org/agent --selector unix:uid:1
expect_err_match "parent ID 'spiffe://other.org/agent' must be another workload path"
true
