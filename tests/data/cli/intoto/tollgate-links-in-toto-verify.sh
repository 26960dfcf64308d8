# SPDX-License-Identifier: Apache-2.0
# Links written by `tollgate intoto run` with each key type (Ed25519,
# ECDSA P-256 and P-384, RSA) are accepted by in-toto-verify (and by
# tollgate) under a layout signed by in-toto-sign; the link file name
# carries the key id securesystemslib computes for the key.
. "$DATA/setup.inc"
tg_key owner ed25519
mkdir src
printf 'int main(void) { return 0; }\n' >src/main.c
printf 'docs\n' >src/README

for t in ed25519 ecdsa-p256 ecdsa-p384 rsa-2048; do
	rm -rf w && mkdir w && cp -r src w/src && cd w || fail "cd w"
	tg_key fn "$t"
	kid=$(cat fn.keyid)
	kf=fn.key # PKCS#8; RSA also from the traditional form securesystemslib writes
	[ "$t" = rsa-2048 ] && kf=fn.rsa.pem
	expect_exit 0 tg intoto run --step build --key $kf -m src -p src -p out.txt -- \
		sh -c 'cat src/main.c src/README >out.txt; echo built; echo warn >&2; exit 3'
	expect_out_line built
	link="build.$(printf %.8s "$kid").link"
	[ -f "$link" ] || fail "$t: no $link (key id by securesystemslib: $kid)"
	"$ITO_PY" - "$link" "$kid" <<'PY' || fail "$t: link content"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["signed"]
assert d["signatures"][0]["keyid"] == sys.argv[2], d["signatures"]
assert s["_type"] == "link" and s["name"] == "build"
assert s["command"] == ["sh", "-c", "cat src/main.c src/README >out.txt; echo built; echo warn >&2; exit 3"]
assert s["byproducts"] == {"stdout": "built\n", "stderr": "warn\n", "return-value": 3}, s["byproducts"]
assert sorted(s["materials"]) == ["src/README", "src/main.c"], s["materials"]
assert sorted(s["products"]) == ["out.txt", "src/README", "src/main.c"], s["products"]
import hashlib
assert s["products"]["out.txt"]["sha256"] == hashlib.sha256(open("out.txt", "rb").read()).hexdigest()
PY
	cp ../owner.* .
	cat >spec.py <<'PY'
step = Step(name="build")
step.pubkeys = [key("fn")["keyid"]]
step.expected_command = ["sh", "-c", "cat src/main.c src/README >out.txt; echo built; echo warn >&2; exit 3"]
step.expected_materials = [["ALLOW", "src/*"], ["DISALLOW", "*"]]
step.expected_products = [["MATCH", "src/*", "WITH", "MATERIALS", "FROM", "build"],
                          ["CREATE", "out.txt"], ["DISALLOW", "*"]]
layout.steps = [step]
layout.add_functionary_key(key("fn"))
PY
	make_layout root.layout spec.py
	sign_layout root.layout owner
	expect_exit 0 in-toto-verify --layout root.layout --layout-keys "$(ito_pub owner)" \
		--key-types "$(cat owner.type)"
	expect_exit 0 tg intoto verify --layout root.layout --layout-key owner.pub
	expect_out_line "verified: layout root.layout (1 step, 0 inspections, 1 link)"
	# a product changed after the fact: the signature no longer covers it
	printf 'tampered\n' >out.txt
	"$ITO_PY" -c '
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["signed"]["products"]["out.txt"]["sha256"] = "00" * 32
json.dump(d, open(p, "w"))' "$link" || fail "tamper"
	expect_exit 1 in-toto-verify --layout root.layout --layout-keys "$(ito_pub owner)" \
		--key-types "$(cat owner.type)"
	expect_exit 1 tg intoto verify --layout root.layout --layout-key owner.pub
	expect_err_match "step 'build' requires 1 link\(s\) validly signed by different authorized functionaries, found 0: '$link': invalid signature by key $kid"
	cd .. || fail "cd .."
done
