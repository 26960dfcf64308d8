# SPDX-License-Identifier: Apache-2.0
# The sigstore-conformance bundle-verify suite through
# tools/sigstore-conformance-client: every case with the artifact path and
# with sha256:<hex>; a case whose name ends in _fail must be rejected, every
# other case accepted (140 verifications).
suite="${TG_TESTDATA:-}/sigstore-conformance"
if [ ! -d "$suite/bundle-verify" ]; then
	echo "SKIPPED: $suite/bundle-verify not found; sigstore conformance not run" >&2
	exit 77
fi
need sha256sum
client="$TG_SOURCE_DIR/tools/sigstore-conformance-client"
export TOLLGATE="$TG_BIN" TOLLGATE_DEFAULT_TRUSTED_ROOT="$suite/trusted_root.public-good.json"
default_identity="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
default_issuer="https://token.actions.githubusercontent.com"
pass=0
wrong=0
for dir in "$suite"/bundle-verify/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	artifact="$dir/artifact"
	[ -f "$artifact" ] || artifact="$suite/bundle-verify/a.txt"
	[ -f "$artifact" ] || artifact="$suite/a.txt"
	root=
	[ -f "$dir/trusted_root.json" ] && root="$dir/trusted_root.json"
	digest="sha256:$(sha256sum <"$artifact" | cut -d' ' -f1)"
	for input in "$artifact" "$digest"; do
		set -- verify-bundle --bundle "$dir/bundle.sigstore.json"
		if [ -f "$dir/key.pub" ]; then
			set -- "$@" --key "$dir/key.pub"
		else
			identity=$default_identity
			issuer=$default_issuer
			[ -f "$dir/identity" ] && identity=$(cat "$dir/identity")
			[ -f "$dir/issuer" ] && issuer=$(cat "$dir/issuer")
			set -- "$@" --certificate-identity "$identity" --certificate-oidc-issuer "$issuer"
		fi
		[ -n "$root" ] && set -- "$@" --trusted-root "$root"
		"$client" "$@" "$input" >"$WORK/.out" 2>"$WORK/.err"
		rc=$?
		case $name in
		*_fail) ok=$([ $rc -ne 0 ] && echo 1 || echo 0) ;;
		*) ok=$([ $rc -eq 0 ] && echo 1 || echo 0) ;;
		esac
		if [ "$ok" = 1 ]; then
			pass=$((pass + 1))
		else
			wrong=$((wrong + 1))
			echo "WRONG: $name ($input): exit $rc: $(cat "$WORK/.err")" >&2
		fi
	done
done
echo "sigstore-conformance bundle-verify: $pass passed, $wrong wrong"
[ $wrong -eq 0 ] || fail "$wrong conformance verifications gave the wrong answer"
[ $pass -ge 140 ] || fail "only $pass verifications ran"
