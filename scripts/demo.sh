#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo.sh BINARY - what tollgate can do today, end to end, in a temporary
# directory: keys and JWKs, an artifact digest, a canonical in-toto
# statement, a JWT bound to it (tampering rejected), and both recorded in a
# transparency log with proofs and a witness. Exits non-zero on any misstep.
set -u

bin=${1:?usage: demo.sh BINARY}
[ -x "$bin" ] || { echo "demo: '$bin' is not an executable" >&2; exit 2; }
TG=$(realpath "$bin")
for prog in openssl sha256sum; do
	command -v "$prog" >/dev/null 2>&1 || {
		echo "demo: needs '$prog' (scripts/deps.sh demo installs it)" >&2
		exit 2
	}
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2

steps=0
step() {
	steps=$((steps + 1))
	printf '\n[%d] %s\n' "$steps" "$1"
}
say() { printf '    %s\n' "$*"; }
die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	exit 1
}
# run EXPECTED-EXIT CMD...: runs CMD with stdout in out.txt, stderr in err.txt
run() {
	want=$1
	shift
	"$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" -ne "$want" ]; then
		cat err.txt >&2
		die "'$*' exited $got, expected $want"
	fi
}
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
b64url_decode() {
	_b=$(printf '%s' "$1" | tr -- '-_' '+/')
	case $((${#_b} % 4)) in
	2) _b="$_b==" ;;
	3) _b="$_b=" ;;
	esac
	printf '%s' "$_b" | openssl base64 -d -A
}
# rejected LABEL REGEX: the last command's stderr must give a reason matching REGEX
rejected() {
	grep -Eq "$2" err.txt || die "$1: unexpected reason: $(cat err.txt)"
	say "$(printf '%-20s' "$1"): $(sed 's/^tollgate: token rejected: //' err.txt)"
}
short() { # abbreviates long base64url members of a JWK for display
	sed -E 's/"(n|x|y)":"([A-Za-z0-9_-]{12})[A-Za-z0-9_-]{12,}"/"\1":"\2..."/g'
}

"$TG" --version >version.txt || die "tollgate --version failed"
printf '%s - the zero-trust CI/CD control plane, what works today\n' "$(cat version.txt)"
printf 'work directory %s (removed at the end)\n' "$WORK"

# ---------------------------------------------------------------------
step "signing keys: generate, check with openssl, publish as JWKs (RFC 7517, kid = RFC 7638 thumbprint)"
for t in ed25519 ecdsa-p256 rsa-3072; do
	run 0 "$TG" key generate --type $t --out $t.pem
	[ "$(stat -c %a $t.pem)" = 600 ] || die "$t.pem is not mode 0600"
	run 0 openssl pkey -in $t.pem -check -noout
	run 0 "$TG" key public --format jwk $t.pem
	cp out.txt $t.jwk
	run 0 "$TG" key public $t.pem
	openssl pkey -in $t.pem -pubout | cmp -s - out.txt || die "$t: public PEM differs from openssl's"
	say "$(printf '%-11s' $t) $(short <$t.jwk)"
done
say "all three: PKCS#8, mode 0600, 'openssl pkey -check' valid, SPKI PEM equal to openssl's"
printf '{"keys":[%s,%s,%s]}\n' "$(cat ed25519.jwk)" "$(cat ecdsa-p256.jwk)" \
	"$(cat rsa-3072.jwk)" >jwks.json
run 2 "$TG" key generate --type ed25519 --out ed25519.pem
say "overwrite refused: $(cat err.txt)"

# ---------------------------------------------------------------------
step "artifact digest: tollgate vs sha256sum"
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "build output line %06d\n", i }' >app.bin
run 0 "$TG" digest app.bin
tg_line=$(cat out.txt)
want="sha256:$(sha256sum app.bin | cut -d' ' -f1)  app.bin"
[ "$tg_line" = "$want" ] || die "digest differs: '$tg_line' vs '$want'"
digest=$(printf '%s' "$tg_line" | sed 's/^sha256:\([0-9a-f]*\) .*/\1/')
say "tollgate  : $tg_line"
say "sha256sum : $(sha256sum app.bin)"
say "equal ($(wc -c <app.bin) bytes)"

# ---------------------------------------------------------------------
step "in-toto statement about the artifact, canonicalised (RFC 8785)"
cat >statement.json <<EOF
{
  "predicateType": "https://slsa.dev/provenance/v1",
  "subject": [ { "digest": { "sha256": "$digest" }, "name": "app.bin" } ],
  "_type": "https://in-toto.io/Statement/v1",
  "predicate": {
    "runDetails": { "builder": { "id": "https://ci.example/runner/\u00e9t\u00e9" },
                    "metadata": { "startedOn": "2024-05-01T12:00:00Z", "attempt": 1.0E0 } },
    "buildDefinition": { "buildType": "https://ci.example/make@v1",
                         "externalParameters": { "target": "demo", "jobs": 2 } }
  }
}
EOF
run 0 "$TG" json canon --strict statement.json
cp out.txt statement.canon
say "input: $(wc -c <statement.json) bytes, keys out of order, \\u escapes, 1.0E0"
say "canonical ($(($(wc -c <statement.canon) - 1)) bytes):"
say "  $(cat statement.canon)"
head -c -1 statement.canon >statement.jcs
run 0 "$TG" json canon statement.jcs
cmp -s out.txt statement.canon || die "the canonical form is not a fixed point"
say "canonicalising the canonical form changes nothing; --strict found no duplicate keys"
sed 's/"_type"/"subject": [],\n  "_type"/' statement.json >dup.json
run 2 "$TG" json canon --strict dup.json
say "a statement with a repeated key is refused by --strict: $(cat err.txt)"
run 0 "$TG" digest statement.jcs
stmt_digest=$(sed 's/^sha256:\([0-9a-f]*\) .*/\1/' out.txt)
say "statement digest: sha256:$stmt_digest"

# ---------------------------------------------------------------------
step "a JWT bound to the statement: sign (EdDSA), verify against the JWK set"
now=$(date +%s)
printf '{"iss":"https://ci.example","sub":"repo:acme/app:ref:refs/heads/main","aud":"tollgate","iat":%d,"exp":%d,"statement_sha256":"%s"}' \
	"$now" $((now + 600)) "$stmt_digest" >claims.json
run 0 "$TG" jwt sign --key ed25519.pem --claims claims.json
jwt=$(cat out.txt)
h=${jwt%%.*}
rest=${jwt#*.}
p=${rest%%.*}
s=${rest#*.}
say "token  : $(printf '%s' "$jwt" | cut -c1-60)... ($(printf '%s' "$jwt" | wc -c) bytes)"
say "header : $(b64url_decode "$h")"
run 0 "$TG" jwt verify --jwks jwks.json --iss https://ci.example --aud tollgate "$jwt"
say "verify : ok, claims $(cat out.txt)"
grep -q "\"statement_sha256\":\"$stmt_digest\"" out.txt || die "claims lost the statement digest"
# an independent check of the signature: openssl over the JWS signing input
printf '%s.%s' "$h" "$p" >input
b64url_decode "$s" >sig.raw
openssl pkey -in ed25519.pem -pubout -out ed25519.pub
run 0 openssl pkeyutl -verify -pubin -inkey ed25519.pub -rawin -in input -sigfile sig.raw
say "openssl: $(cat out.txt)"
run 0 "$TG" jwt sign --key ecdsa-p256.pem --claims claims.json
cp out.txt es256.jwt
run 0 "$TG" jwt verify --jwks jwks.json - <es256.jwt
say "the same claims signed with P-256 (ES256) verify too"
run 0 "$TG" jwt sign --key rsa-3072.pem --claims claims.json
cp out.txt ps256.jwt
run 0 "$TG" jwt verify --jwks jwks.json - <ps256.jwt
say "and with RSA-3072 (PS256)"

# ---------------------------------------------------------------------
step "tampered and invalid tokens are rejected (exit 1, with the reason)"
evil=$(printf '{"iss":"https://ci.example","sub":"repo:mallory/app","aud":"tollgate","iat":%d,"exp":%d,"statement_sha256":"%s"}' \
	"$now" $((now + 600)) "$stmt_digest" | b64url)
run 1 "$TG" jwt verify --jwks jwks.json "$h.$evil.$s"
rejected 'payload swapped' 'signature does not verify'
case $s in
A*) s2="B${s#A}" ;;
*) s2="A${s#?}" ;;
esac
run 1 "$TG" jwt verify --jwks jwks.json "$h.$p.$s2"
rejected 'signature changed' 'signature does not verify'
none=$(printf '{"alg":"none","typ":"JWT"}' | b64url)
run 1 "$TG" jwt verify --jwks jwks.json "$none.$p."
rejected 'alg none' "'none'"
run 1 "$TG" jwt verify --jwks jwks.json --aud deploy-gate "$jwt"
rejected 'wrong audience' 'audience'
printf '{"iss":"https://ci.example","aud":"tollgate","exp":%d}' $((now - 3600)) >old.json
run 0 "$TG" jwt sign --key ed25519.pem --claims old.json
run 1 "$TG" jwt verify --jwks jwks.json "$(cat out.txt)"
rejected 'expired an hour ago' 'expired'
openssl genpkey -algorithm ed25519 -out stranger.pem 2>/dev/null || die "openssl genpkey"
run 0 "$TG" jwt sign --key stranger.pem --claims claims.json
run 1 "$TG" jwt verify --jwks jwks.json "$(cat out.txt)"
rejected 'unknown signer' 'no key|does not verify'

# ---------------------------------------------------------------------
step "transparency log: record the statement and the token, prove, witness, catch tampering"
run 0 "$TG" log init --dir log --origin demo.tollgate.example/log
vkey=$(cat out.txt)
say "log created, verifier key: $vkey"
printf '%s' "$jwt" >token.jwt
run 0 "$TG" log add --dir log statement.jcs token.jwt
sed 's/^/    added: /' out.txt
[ "$(sed -n 1p out.txt)" = "0 sha256:$stmt_digest" ] || die "log add printed '$(sed -n 1p out.txt)'"
run 0 "$TG" log checkpoint --dir log
cp out.txt c2
say "signed checkpoint: $(sed -n 1p c2) / size $(sed -n 2p c2) / root $(sed -n 3p c2)"
run 0 "$TG" log prove --dir log --index 0
cp out.txt statement.tlog-proof
run 0 "$TG" log verify --vkey "$vkey" --proof statement.tlog-proof statement.jcs
say "inclusion: $(cat out.txt)"
printf '{"tampered":true}' >forged.json
run 1 "$TG" log verify --vkey "$vkey" --proof statement.tlog-proof forged.json
say "a different statement with the same proof: $(sed 's/^tollgate: //' err.txt)"
run 0 "$TG" key generate --type ed25519 --out witness.pem
run 0 "$TG" log vkey --key witness.pem --name witness.demo.example --cosignature
wvkey=$(cat out.txt)
: >none.proof
run 0 "$TG" log witness --state wstate --key witness.pem --name witness.demo.example \
	--log-vkey "$vkey" --checkpoint c2 --proof none.proof
cat out.txt >>c2
printf 'later build output' >later.bin
run 0 "$TG" log add --dir log later.bin
run 0 "$TG" log checkpoint --dir log
cp out.txt c3
run 0 "$TG" log prove --dir log --from 2 --to 3
cp out.txt p23
run 0 "$TG" log witness --state wstate --key witness.pem --name witness.demo.example \
	--log-vkey "$vkey" --checkpoint c3 --proof p23
cat out.txt >>c3
say "witness cosigned size 2, then size 3 after checking the consistency proof"
run 1 "$TG" log witness --state wstate --key witness.pem --name witness.demo.example \
	--log-vkey "$vkey" --checkpoint c2 --proof none.proof
say "rollback to size 2: $(sed "s/^tollgate: //" err.txt)"
run 0 "$TG" log prove --dir log --index 2
cat out.txt >later.tlog-proof
tail -n 1 c3 >>later.tlog-proof
run 0 "$TG" log verify --vkey "$vkey" --proof later.tlog-proof --witness "$wvkey" \
	--min-witnesses 1 later.bin
say "with a required witness cosignature: $(cat out.txt)"
# an operator rewrites history: one byte of a stored leaf hash
printf 'X' | dd of=log/tile/0/000.p/3 bs=1 seek=40 conv=notrunc 2>/dev/null
run 0 "$TG" log prove --dir log --index 0
cp out.txt rewritten.proof
run 1 "$TG" log verify --vkey "$vkey" --proof rewritten.proof statement.jcs
say "a leaf hash rewritten on disk: proofs no longer verify ($(sed 's/^tollgate: //' err.txt))"
printf 'more' >more.bin
run 2 "$TG" log add --dir log more.bin
say "and the log refuses to grow: $(sed 's/^tollgate: //' err.txt)"
[ -d log/tile ] && say "files a static web server can serve: $(cd log && find checkpoint tile -type f | sort | tr '\n' ' ')"

printf '\ndemo: all %d steps ok\n' "$steps"
exit 0
