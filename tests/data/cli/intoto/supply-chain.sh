# SPDX-License-Identifier: Apache-2.0
# A layout with two steps (write-code: threshold 2, by alice with tollgate
# and bob with in-toto-run; package: by carol with tollgate), MATCH, CREATE,
# ALLOW and DISALLOW rules and an inspection (untar) passes in-toto-verify and
# `tollgate intoto verify`; each tampering is refused by both, and
# tollgate's reason is checked.
. "$DATA/setup.inc"
tg_key owner ed25519
tg_key alice ed25519
tg_key bob ecdsa-p256
tg_key carol rsa-2048
tg_key mallory ed25519
short() { printf %.8s "$(cat "$1.keyid")"; }

# the evidence
mkdir work && cd work || fail "cd work"
CODE="printf 'print(42)\\n' >foo.py"
expect_exit 0 tg intoto run --step write-code --key ../alice.key -p foo.py -- sh -c "$CODE"
# shellcheck disable=SC2046
expect_exit 0 in-toto-run -n write-code $(ito_key ../bob) -p foo.py -- sh -c "$CODE"
expect_exit 0 tg intoto run --step package --key ../carol.key -m foo.py -p foo.tar.gz -p foo.py \
	-- tar czf foo.tar.gz foo.py
cd .. || fail "cd .."

cat >spec.py <<'PY'
import os
v = os.environ.get("VARIANT", "")
code = Step(name="write-code")
code.pubkeys = [key("alice")["keyid"], key("bob")["keyid"]]
code.threshold = 2
code.expected_command = ["sh", "-c", "printf 'print(42)\\n' >foo.py"]
code.expected_products = [["CREATE", "foo.py"], ["DISALLOW", "*"]]
pkg = Step(name="package")
pkg.pubkeys = [key("carol")["keyid"]]
pkg.expected_command = ["tar", "czf", "foo.tar.gz", "foo.py"]
pkg.expected_materials = [["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"],
                          ["DISALLOW", "*"]]
pkg.expected_products = [["CREATE", "foo.tar.gz"], ["ALLOW", "foo.py"], ["DISALLOW", "*"]]
if v == "other-command":
    code.expected_command = ["make", "code"]
if v == "broken-rule":
    pkg.expected_products = [["CREATE", "foo.tar.gz"], ["DISALLOW", "*"]]
insp = Inspection(name="untar")
insp.run = ["tar", "xzf", "foo.tar.gz"]
if v == "failing-inspection":
    insp.run = ["sh", "-c", "exit 4"]
insp.expected_materials = [["MATCH", "foo.tar.gz", "WITH", "PRODUCTS", "FROM", "package"],
                           ["ALLOW", "root.layout"], ["DISALLOW", "*"]]
insp.expected_products = [["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"],
                          ["ALLOW", "foo.tar.gz"], ["ALLOW", "root.layout"], ["DISALLOW", "*"]]
layout.steps = [code, pkg]
layout.inspect = [insp]
for n in ("alice", "bob", "carol"):
    layout.add_functionary_key(key(n))
if v == "expired":
    layout.expires = "2020-01-01T00:00:00Z"
PY

# final [VARIANT]: a fresh final-product directory with the signed layout
# (of VARIANT), the links and the package
final() {
	rm -rf final && mkdir final || fail "mkdir final"
	VARIANT=${1:-} make_layout final/root.layout spec.py
	sign_layout final/root.layout owner
	cp work/*.link work/foo.tar.gz final/ || fail "copy evidence"
}
# both WANT [REGEX] [LAYOUT-KEY]: runs both verifiers in final/ (with a
# clean slate for the inspection), expects exit WANT from each, and REGEX
# in tollgate's stderr
both() {
	key=${3:-owner}
	cd final || fail "cd final"
	rm -f foo.py untar.link
	expect_exit "$1" in-toto-verify --layout root.layout --layout-keys "$(ito_pub "../$key")" \
		--key-types "$(cat "../$key.type")"
	rm -f foo.py untar.link
	expect_exit "$1" tg intoto verify --layout root.layout --layout-key "../$key.pub"
	[ -n "${2:-}" ] && expect_err_match "$2"
	cd .. || fail "cd .."
}

final
both 0
cd final || fail "cd"
rm -f foo.py
expect_exit 0 tg intoto verify --layout root.layout --layout-key ../owner.pub
expect_out_line "verified: layout root.layout (2 steps, 1 inspection, 3 links)"
grep -q warning "$ERR" && fail "a warning for aligned commands"
cd .. || fail "cd"

# a recorded command other than the expected one is a warning, as in in-toto
final other-command
both 0 "^tollgate: warning: step 'write-code': command 'sh -c printf 'print\(42\).n' >foo.py' in 'write-code\.[0-9a-f]{8}\.link' differs from the expected 'make code'$"

# modified product
final
mkdir evil && printf 'print("pwned")\n' >evil/foo.py && tar czf final/foo.tar.gz -C evil foo.py
both 1 "^tollgate: in-toto verification failed: inspection 'untar': material rule 3 'DISALLOW \*' matched disallowed artifacts 'foo.tar.gz'$"

# missing link
final
rm "final/write-code.$(short bob).link"
both 1 "step 'write-code' requires 2 link file\(s\), found 1"

# wrong layout key
final
both 1 "layout signature: no signature by key $(cat mallory.keyid)" mallory

# a link signed by a key the layout does not authorise for it
final
mkdir m && cd m || fail "cd m"
cp ../work/foo.py ../work/foo.tar.gz .
expect_exit 0 tg intoto run --step package --key ../mallory.key -m foo.py -p foo.tar.gz -p foo.py \
	-- tar czf foo.tar.gz foo.py
cd .. || fail "cd .."
mv "m/package.$(short mallory).link" "final/package.$(short carol).link"
both 1 "step 'package' requires 1 link\(s\) validly signed by different authorized functionaries, found 0: 'package.$(short carol).link': no signature by key $(cat carol.keyid)"

# expired layout
final expired
both 1 "layout expired at 2020-01-01T00:00:00Z"

# a rule the evidence breaks
final broken-rule
both 1 "step 'package': product rule 2 'DISALLOW \*' matched disallowed artifacts 'foo.py'"

# a bad signature (one hex digit of bob's signature changed)
final
"$ITO_PY" -c '
import json, sys
p = sys.argv[1]; d = json.load(open(p))
s = d["signatures"][0]["sig"]
d["signatures"][0]["sig"] = s[:20] + ("0" if s[20] != "0" else "1") + s[21:]
json.dump(d, open(p, "w"))' "final/write-code.$(short bob).link" || fail "tamper sig"
both 1 "step 'write-code' requires 2 link\(s\) validly signed by different authorized functionaries, found 1: 'write-code.$(short bob).link': invalid signature by key $(cat bob.keyid)"

# functionaries that disagree on the artifacts
final
mkdir b2 && cd b2 || fail "cd b2"
# shellcheck disable=SC2046
expect_exit 0 in-toto-run -n write-code $(ito_key ../bob) -p foo.py -- sh -c "printf 'print(43)\\n' >foo.py"
cd .. || fail "cd .."
cp "b2/write-code.$(short bob).link" final/
both 1 "step 'write-code': links 'write-code\.[0-9a-f]{8}\.link' and 'write-code\.[0-9a-f]{8}\.link' have different artifacts"

# an inspection that fails
final failing-inspection
both 1 "inspection 'untar': command 'sh -c exit 4' returned 4"
