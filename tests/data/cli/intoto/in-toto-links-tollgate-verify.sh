# SPDX-License-Identifier: Apache-2.0
# Links written by in-toto-run (Ed25519 and ECDSA keys in securesystemslib
# JSON form, RSA in PEM) are accepted by `tollgate intoto verify` under a
# layout signed by in-toto-sign (and by in-toto-verify, as a control);
# a link whose materials were edited is refused by both.
. "$DATA/setup.inc"
mkdir src
printf 'print("hello")\n' >src/app.py
printf 'x\n' >src/data.bin

for t in ed25519 ecdsa-p256 rsa-2048; do
	rm -rf w && mkdir w && cp -r src w/src && cd w || fail "cd w"
	tg_key owner rsa-2048
	tg_key fn "$t"
	kid=$(cat fn.keyid)
	# shellcheck disable=SC2046
	expect_exit 0 in-toto-run -n package $(ito_key fn) -m src -p app.tar -- \
		tar --mtime=@0 --owner=0 --group=0 -cf app.tar src/app.py src/data.bin
	link="package.$(printf %.8s "$kid").link"
	[ -f "$link" ] || fail "$t: in-toto-run did not write $link"
	cat >spec.py <<'PY'
step = Step(name="package")
step.pubkeys = [key("fn")["keyid"]]
step.expected_command = ["tar", "--mtime=@0", "--owner=0", "--group=0", "-cf", "app.tar",
                         "src/app.py", "src/data.bin"]
step.expected_materials = [["ALLOW", "src/*.py"], ["ALLOW", "src/data.bin"], ["DISALLOW", "*"]]
step.expected_products = [["CREATE", "app.tar"], ["DISALLOW", "*"]]
layout.steps = [step]
layout.add_functionary_key(key("fn"))
PY
	make_layout root.layout spec.py
	sign_layout root.layout owner
	expect_exit 0 tg intoto verify --layout root.layout --layout-key owner.pub --link-dir .
	expect_out_line "verified: layout root.layout (1 step, 0 inspections, 1 link)"
	expect_exit 0 in-toto-verify --layout root.layout --layout-keys owner.pub
	# the layout must be signed by every given key
	expect_exit 1 tg intoto verify --layout root.layout --layout-key owner.pub \
		--layout-key fn.pub
	expect_err_match "layout signature: no signature by key $kid"
	# edited evidence
	"$ITO_PY" -c '
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["signed"]["materials"]["src/evil.sh"] = {"sha256": "00" * 32}
json.dump(d, open(p, "w"), indent=1)' "$link" || fail "tamper"
	expect_exit 1 in-toto-verify --layout root.layout --layout-keys owner.pub
	expect_exit 1 tg intoto verify --layout root.layout --layout-key owner.pub
	expect_err_match "step 'package' requires 1 link\(s\) validly signed .* invalid signature by key $kid"
	cd .. || fail "cd .."
done
