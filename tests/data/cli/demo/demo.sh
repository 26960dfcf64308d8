# SPDX-License-Identifier: Apache-2.0
# make demo's scenario (scripts/demo.sh) with the built tollgate and
# tollgated: every step has the outcome the scenario expects (the last line
# says 0 unexpected), each attack is refused for its own reason, and the
# script stops tollgated and removes its directory; without tollgated it
# refuses to start.
need openssl python3
[ -x "$(dirname "$TG_BIN")/tollgated" ] || fail "tollgated is not built next to $TG_BIN"
DEMO="$DATA/../../../../scripts/demo.sh"
mkdir tmp
expect_exit 0 env TMPDIR="$WORK/tmp" sh "$DEMO" "$TG_BIN"
tail -n1 "$OUT" | grep -Eqx 'demo: [0-9]+ allowed, [0-9]+ denied, 0 unexpected' ||
	fail "last line: $(tail -n1 "$OUT")"
allowed=$(tail -n1 "$OUT" | sed 's/^demo: \([0-9]*\) allowed.*/\1/')
denied=$(tail -n1 "$OUT" | sed 's/.* \([0-9]*\) denied.*/\1/')
if [ "$allowed" -lt 4 ] || [ "$denied" -lt 5 ]; then fail "want at least 4 allowed and 5 denied"; fi
[ "$(grep -c '(as expected)$' "$OUT")" -eq $((allowed + denied)) ] || fail "outcome lines"
grep -q 'UNEXPECTED' "$OUT" && fail "an unexpected outcome"
# each attack is refused for its own reason
expect_out_match "why: +no verified (signature over the artifact|SLSA provenance v1 attestation for the artifact)$"
expect_out_match 'logged: +no evidence for sha256:[0-9a-f]{64} \(nothing signed it\)$'
expect_out_match 'why: +attestation failed: server answered 403: no registration entry matches'
expect_out_match 'rogue\.yml@refs/heads/main \(issuer https://token\.actions\.githubusercontent\.com\) is not an allowed identity$'
expect_out_match 'why: +attestation failed: server answered 403: .*replayed'
expect_out_match "image 'ghcr.io/acme/app:latest': not pinned by digest"
expect_out_match 'logged: +log index 0 of tollgated'
expect_out_match 'logged: +(.*; )?evidence/app\.sig\.json at log index [0-9]+(;|$)'
expect_out_match 'builder https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main is not a trusted builder$'
expect_out_match 'auditAnnotations: decision=allow images=1 mode=enforce$'
expect_out_match 'auditAnnotations: decision=deny images=1 mode=enforce$'
# tollgated said nothing on stderr (no sanitizer report) and is gone, and
# the work directory was removed
grep -q 'Sanitizer\|runtime error' "$ERR" && { head -c 4000 "$ERR" >&2; fail "sanitizer report"; }
pid=$(sed -n 's/^ *https:[^ ]* (pid \([0-9]*\)).*/\1/p' "$OUT")
[ -n "$pid" ] || fail "no tollgated pid in the report"
kill -0 "$pid" 2>/dev/null && fail "tollgated ($pid) still runs"
[ -z "$(ls tmp)" ] || fail "left behind: $(ls tmp)"

# without tollgated next to the binary it does not start
mkdir lone
cp "$TG_BIN" lone/tollgate
expect_exit 2 sh "$DEMO" lone/tollgate
expect_err_match 'tollgated is not built next to'
