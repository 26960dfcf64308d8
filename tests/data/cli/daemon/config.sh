# SPDX-License-Identifier: Apache-2.0
# tollgated --config FILE: a CA and signer made with the CLI, the state
# directory filled at start (trusted_root.json, ca.pem), the listen
# address from the file; configuration errors name the key (exit 2);
# usage errors exit 2.
. "$DATA/setup.inc"
tg ca init --dir ca --trust-domain cfg.test >/dev/null || fail "ca init"
tg signer init --dir signer --name sign.cfg.test >/dev/null || fail "signer init"
mkdir state
cat >tollgated.json <<JSON
{"listen": "127.0.0.1:0", "ca_dir": "$WORK/ca", "signer_dir": "$WORK/signer",
 "state_dir": "$WORK/state", "rate_per_minute": 100, "sandbox": true}
JSON
"$TGD" --config tollgated.json >cfg.out 2>cfg.err &
SRV_PID=$!
i=0
until grep -q '^listening on ' cfg.out 2>/dev/null; do
	kill -0 "$SRV_PID" 2>/dev/null || { cat cfg.err >&2; fail "tollgated exited"; }
	i=$((i + 1))
	[ "$i" -lt 600 ] || fail "tollgated did not start"
	sleep 0.1
done
PORT=$(sed -n 's/^listening on https:\/\/127\.0\.0\.1://p' cfg.out)
tg trust-root export --signer-dir signer >want.json || fail "trust-root export"
cmp -s want.json state/trusted_root.json || fail "state/trusted_root.json"
cmp -s ca/root.pem state/ca.pem || fail "state/ca.pem"
python3 "$DATA/http.py" "$PORT" state/ca.pem req GET /readyz >ready.out || fail "readyz"
[ "$(head -n1 ready.out)" = 200 ] || fail "readyz: $(cat ready.out)"
echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile state/ca.pem 2>/dev/null |
	openssl x509 -noout -text | grep -q 'URI:spiffe://cfg.test/tollgated' || fail "server ID"
stop_server

printf '{"ca_dir": "x", "signer_dir": "y", "state_dir": "z", "listn": "1:2"}' >bad1.json
expect_exit 2 "$TGD" --config bad1.json
expect_err_match "unknown key 'listn'"
printf '{"ca_dir": "x", "signer_dir": "y", "state_dir": "z", "body_max": 5}' >bad2.json
expect_exit 2 "$TGD" --config bad2.json
expect_err_match "'body_max' must be an integer in 1024\.\."
printf '{"ca_dir": "x", "signer_dir": "y", "state_dir": "z", "oidc_issuers": [{"issuer": "i"}]}' >bad3.json
expect_exit 2 "$TGD" --config bad3.json
expect_err_match "needs issuer, audience and one of jwks_file, jwks_uri"
printf '{"ca_dir": "x"' >bad4.json
expect_exit 2 "$TGD" --config bad4.json
expect_err_match "configuration 'bad4.json'"
expect_exit 2 "$TGD"
expect_exit 2 "$TGD" --dev a --config b
expect_exit 2 "$TGD" --dev a --listen nowhere
[ -e a ] && fail "--dev made a directory despite a usage error"
expect_exit 0 "$TGD" --help
expect_out_match '^usage: tollgated --dev DIR'
finish
