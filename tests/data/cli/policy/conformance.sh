# SPDX-License-Identifier: Apache-2.0
# OPA's conformance suite (../shared/testdata/rego/opa-conformance, v0 and
# v1) with the ratchet: every case listed in tests/data/rego/conformance.ratchet
# must still pass. Skipped, loudly, when the suite is absent.
suite="${TG_TESTDATA:-}/rego/opa-conformance"
if [ ! -d "$suite/v1" ]; then
	echo "SKIPPED: OPA conformance suite not found at '$suite'" >&2
	exit 77
fi
ratchet="$TG_SOURCE_DIR/tests/data/rego/conformance.ratchet"
expect_exit 0 tg policy conformance --ratchet "$ratchet" "$suite/v0" "$suite/v1"
expect_out_match '^[0-9]+ passed, [0-9]+ failed$'
grep -q 'no longer passes' "$OUT" && fail "ratchet cases regressed"
passed=$(tail -n 1 "$OUT" | cut -d' ' -f1)
listed=$(grep -vc '^#' "$ratchet")
[ "$passed" -ge "$listed" ] || fail "$passed passed, fewer than the $listed in the ratchet"
