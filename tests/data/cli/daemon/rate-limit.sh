# SPDX-License-Identifier: Apache-2.0
# Per-identity rate limit: with rate_per_minute 5, the sixth quick request
# of one client is refused with 429 and a JSON error; keep-alive carries
# several requests on one connection.
. "$DATA/setup.inc"
start_server '"rate_per_minute": 5'
expect_exit 0 http many 7 /healthz
expect_out_line "200 200 200 200 200 429 429"
expect_exit 0 http req GET /healthz
[ "$(status_of "$OUT")" = 429 ] || fail "want 429, got $(cat "$OUT")"
grep -q '"code":"rate_limited"' "$OUT" || fail "429 body"
finish
