# SPDX-License-Identifier: Apache-2.0
# tollgated's gate keys (docs/config.md): wrong modes and shapes name the
# key (exit 2); a gate_data file that does not exist, or a policy that does
# not compile, stops the daemon at start with the reason (exit 3).
. "$DATA/setup.inc"
base='"ca_dir": "x", "signer_dir": "y", "state_dir": "z"'
printf '{%s, "admission_mode": "block"}' "$base" >bad1.json
expect_exit 2 "$TGD" --config bad1.json
expect_err_match "'admission_mode' must be \"enforce\", \"warn\" or \"audit\""
printf '{%s, "admission_namespaces": {"dev": "maybe"}}' "$base" >bad2.json
expect_exit 2 "$TGD" --config bad2.json
expect_err_match "'admission_namespaces' must be"
printf '{%s, "admission_namespaces": ["dev"]}' "$base" >bad3.json
expect_exit 2 "$TGD" --config bad3.json
expect_err_match "'admission_namespaces' must be an object"
printf '{%s, "gate_policy": []}' "$base" >bad4.json
expect_exit 2 "$TGD" --config bad4.json
expect_err_match "'gate_policy' takes 1 to 4 paths"
printf '{%s, "gate_policy": 7}' "$base" >bad5.json
expect_exit 2 "$TGD" --config bad5.json
expect_err_match "'gate_policy' must be a path or an array of paths"
printf '{%s, "gate_data": ""}' "$base" >bad6.json
expect_exit 2 "$TGD" --config bad6.json
expect_err_match "'gate_data' must be a non-empty string"

# a missing data file: the api worker cannot load the policy, the daemon stops
mkdir -p srv
printf '{"gate_data": "%s/missing.json"}\n' "$WORK" >srv/config.json
expect_exit 3 "$TGD" --dev srv --listen 127.0.0.1:0
expect_err_match "cannot load the gate policy"
# a policy that does not compile
printf 'package tollgate.gate\n\nallow if {\n' >broken.rego
printf '{"gate_policy": "%s/broken.rego"}\n' "$WORK" >srv/config.json
expect_exit 3 "$TGD" --dev srv --listen 127.0.0.1:0
expect_err_match "cannot load the gate policy.*broken.rego"
finish
