# SPDX-License-Identifier: Apache-2.0
# Load (issue 7): 64 concurrent clients for 60 s of mixed calls against a
# --dev tollgated - attest with a fresh CI token each (X509-SVID and
# JWT-SVID verified against the trust bundle), keyless signing through
# the server (chain, timestamp and log inclusion verified, then stored),
# gate decisions allowed and denied, checkpoint, trust root and health
# reads - with every answer checked by bench/tg_load: zero errors, and the
# RSS of every tollgated process flat after a 10 s warm-up (growth at most
# max(10%, 8 MiB) per process). TG_LOAD_CLIENTS and TG_LOAD_SECONDS
# shorten the run while developing; the test's numbers are 64 and 60.
. "$DATA/setup.inc"
LOAD="$(dirname "$TG_BIN")/bench/tg_load"
[ -x "$LOAD" ] || fail "bench/tg_load is not built next to $TG_BIN"
clients=${TG_LOAD_CLIENTS:-64}
seconds=${TG_LOAD_SECONDS:-60}
cat >gate.json <<JSON
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$GH_SAN", "issuer": "$GH_ISS"}],
  "builders": [], "sources": [],
  "require_signature": true, "require_provenance": false, "max_age_seconds": 0}}}}
JSON
# AddressSanitizer builds hold freed memory in a quarantine (256 MiB by
# default) and never hand it back: RSS would measure the quarantine, not
# the server. A small one keeps the memory verdict about tollgated; leaks
# are LeakSanitizer's (finish fails on its reports).
if ldd "$TGD" 2>/dev/null | grep -q libasan; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
	export ASAN_OPTIONS
fi
# every client comes from 127.0.0.1: one rate-limit bucket for all of them
start_server '"rate_per_minute": 1000000, "gate_data": "'"$WORK/gate.json"'"'
tg entry create --dir srv/ca --spiffe-id spiffe://tollgate.test/ci/acme/app \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main \
	>/dev/null || fail "entry create"

# the checks of tg_load must be able to fail: a wrong trust root, a wrong
# expected identity and a wrong issuer key each make it exit 1
L="--url $URL --ca-file srv/ca.pem --issuer-key issuer.pem"
tg key generate --type ecdsa-p256 --out rogue.pem || fail "rogue key"
# shellcheck disable=SC2086
expect_exit 1 "$LOAD" $L --trusted-root srv/trusted_root.json --clients 2 --seconds 1 \
	--mix attest=1 --spiffe-id spiffe://tollgate.test/ci/acme/other
expect_out_match '^error attest: attest: the answer does not name spiffe://tollgate.test/ci/acme/other'
# shellcheck disable=SC2086
expect_exit 1 "$LOAD" $L --trusted-root srv/trusted_root.json --clients 2 --seconds 1 \
	--mix sign=1 --identity https://github.com/acme/app/.github/workflows/evil.yml@refs/heads/main
expect_out_match '^error sign: sign: the bundle does not verify'
# shellcheck disable=SC2086
expect_exit 1 "$LOAD" --url "$URL" --ca-file srv/ca.pem --issuer-key rogue.pem \
	--trusted-root srv/trusted_root.json --clients 2 --seconds 1 --mix attest=1
expect_out_match '^error attest: attest: status 401'
# shellcheck disable=SC2086
expect_exit 1 "$LOAD" $L --trusted-root srv/trusted_root.json --clients 1 --seconds 1 \
	--mix verify=1 --digests /dev/null --once
expect_out_match '^tg_load: no call was made'
# a trust root whose log key is another Ed25519 key: the checkpoint fails
openssl genpkey -algorithm ed25519 -out other-log.pem 2>/dev/null || fail "openssl genpkey"
openssl pkey -in other-log.pem -pubout -outform DER 2>/dev/null | base64 -w0 >other-log.b64 ||
	fail "openssl pkey"
python3 - srv/trusted_root.json other-log.b64 <<'PY' >other-root.json || fail "other root"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["tlogs"][0]["publicKey"]["keyDetails"] == "PKIX_ED25519", r["tlogs"][0]["publicKey"]
r["tlogs"][0]["publicKey"]["rawBytes"] = open(sys.argv[2]).read().strip()
json.dump(r, sys.stdout)
PY
# shellcheck disable=SC2086
expect_exit 1 "$LOAD" $L --trusted-root other-root.json --clients 1 --seconds 1 --mix checkpoint=1
expect_out_match '^error checkpoint: checkpoint'

# the load itself
# shellcheck disable=SC2086
"$LOAD" $L --trusted-root srv/trusted_root.json --clients "$clients" --seconds "$seconds" \
	--mix attest=4,sign=2,verify=3,deny=1,checkpoint=1,trustroot=1,healthz=1 \
	--pid "$SRV_PID" --sample 5 --warmup 10 --rss-pct 10 --rss-mib 8 >load.out 2>load.err
st=$?
cat load.out
cat load.err >&2
[ "$st" -eq 0 ] || fail "tg_load exited $st: errors or memory growth under load"
for k in attest sign verify deny; do
	grep -Eq "^$k +calls=[1-9][0-9]* errors=0 " load.out || fail "no successful $k calls"
done
if [ "$seconds" -ge 20 ]; then
	grep -q '^memory: flat' load.out || fail "no memory verdict"
fi
# the server is still healthy and counted what it did
expect_exit 0 http req GET /healthz
[ "$(status_of "$OUT")" = 200 ] || fail "healthz after the load: $(cat "$OUT")"
expect_exit 0 http req GET /metrics
grep -q '^tollgated_http_requests_total{route="/v1/attest",code="200"} [1-9]' "$OUT" ||
	fail "metrics: no attests"
if grep -Eq '^tollgated_http_requests_total\{route="[^"]*",code="5[0-9][0-9]"\}' "$OUT"; then
	grep '^tollgated_http_requests_total' "$OUT" >&2
	fail "the server answered 5xx under load"
fi
finish
