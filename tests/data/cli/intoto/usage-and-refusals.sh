# SPDX-License-Identifier: Apache-2.0
# `tollgate intoto run|verify`: usage errors exit 2, a command that cannot
# start exits 2 without writing a link, a failing command is recorded and
# exits 0, malformed layouts exit 2 with the place; sublayouts verify.
. "$DATA/setup.inc"
tg_key owner ed25519
tg_key alice ecdsa-p384

expect_exit 2 tg intoto run --key alice.key -- true
expect_err_match "--step and --key are required"
expect_exit 2 tg intoto run --step a/b --key alice.key -- true
expect_err_match "holds '/'"
expect_exit 2 tg intoto run --step s --key alice.key -- /nonexistent/cmd
expect_err_match "cannot run '/nonexistent/cmd'"
ls ./*.link >/dev/null 2>&1 && fail "a link was written for a command that did not start"
expect_exit 0 tg intoto run --step s --key alice.key -- sh -c 'kill -TERM $$'
expect_err_match "return value -15"
"$ITO_PY" -c '
import json, glob
d = json.load(open(glob.glob("s.*.link")[0]))
assert d["signed"]["byproducts"]["return-value"] == -15, d' || fail "signal as return value"
expect_exit 0 tg intoto run --step nocmd --key alice.key
"$ITO_PY" -c '
import json, glob
d = json.load(open(glob.glob("nocmd.*.link")[0]))["signed"]
assert d["command"] == [] and d["byproducts"] == {}, d' || fail "link without a command"
expect_exit 2 tg intoto verify --layout x.layout
expect_err_match "at least one --layout-key"
expect_exit 2 tg intoto verify --layout missing.layout --layout-key owner.pub
printf '{"signed":{"_type":"layout","expires":"2030-01-01T00:00:00Z","steps":[{"name":"a","bogus":1}]}}' >bad.layout
expect_exit 2 tg intoto verify --layout bad.layout --layout-key owner.pub
expect_err_match "cannot read layout 'bad.layout': step has unknown member 'bogus'"
printf '{"signed":{"_type":"layout",' >trunc.layout
expect_exit 2 tg intoto verify --layout trunc.layout --layout-key owner.pub
expect_err_match "cannot read layout 'trunc.layout': .* at 1:"

# a step whose link is itself a layout signed by the functionary (a
# sublayout): verified with the links in sub.<keyid[:8]>/, both tools agree
tg_key carl ed25519
tg_key bob ecdsa-p256
cat >spec.py <<'PY'
step = Step(name="sub")
step.pubkeys = [key("carl")["keyid"]]
step.expected_products = [["CREATE", "x.txt"], ["DISALLOW", "*"]]
layout.steps = [step]
layout.add_functionary_key(key("carl"))
PY
make_layout root.layout spec.py
sign_layout root.layout owner
cat >sub.py <<'PY'
inner = Step(name="inner")
inner.pubkeys = [key("bob")["keyid"]]
inner.expected_products = [["CREATE", "x.txt"], ["DISALLOW", "*"]]
layout.steps = [inner]
layout.add_functionary_key(key("bob"))
PY
sub="sub.$(printf %.8s "$(cat carl.keyid)")"
make_layout "$sub.link" sub.py
sign_layout "$sub.link" carl
mkdir "$sub" && cd "$sub" || fail "cd $sub"
expect_exit 0 tg intoto run --step inner --key ../bob.key -p x.txt -- sh -c 'echo x >x.txt'
cd .. || fail "cd .."
rm -f ./s.*.link ./nocmd.*.link
expect_exit 0 in-toto-verify --layout root.layout --layout-keys owner.pub.json --key-types ed25519
expect_exit 0 tg intoto verify --layout root.layout --layout-key owner.pub
expect_out_line "verified: layout root.layout (1 step, 0 inspections, 1 link)"
# the sublayout's own rules hold: an extra product of the inner step fails
cd "$sub" && rm ./*.link || fail "cd $sub"
expect_exit 0 tg intoto run --step inner --key ../bob.key -p x.txt -p y.txt -- \
	sh -c 'echo x >x.txt; echo y >y.txt'
cd .. || fail "cd .."
expect_exit 1 in-toto-verify --layout root.layout --layout-keys owner.pub.json --key-types ed25519
expect_exit 1 tg intoto verify --layout root.layout --layout-key owner.pub
expect_err_match "^tollgate: in-toto verification failed: sublayout '$sub\.link' of step 'sub': step 'inner': product rule 2 'DISALLOW \*' matched disallowed artifacts 'y.txt'$"
# a missing inner link
rm "$sub"/*.link
expect_exit 1 in-toto-verify --layout root.layout --layout-keys owner.pub.json --key-types ed25519
expect_exit 1 tg intoto verify --layout root.layout --layout-key owner.pub
expect_err_match "sublayout '$sub\.link' of step 'sub': step 'inner' requires 1 link file\(s\), found 0"
