#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# gate.sh BUILD_DIR - deployment gate figures: decision latency p50/p99
# cold (full verification of a signature and a SLSA provenance bundle,
# then the default policy) and warm (verification cached), each next to
# its floor (tg_sign_verify of the two bundles alone), and AdmissionReviews
# per second for a Deployment with three containers (three artifacts).
set -eu
build=${1:?usage: gate.sh BUILD_DIR}
secs=${BENCH_SECONDS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/bench/out"
mkdir -p "$out"
work=$(mktemp -d "$out/gate.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== deployment gate (tollgate $("$build/tollgate" --version | cut -d' ' -f2))"
res=$("$build/bench/bench_gate" "$work/signer" "$secs")
echo "$res"
get() { echo "$res" | awk -v m="$1" -v k="$2" '$1 == m { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { sub(/^[^=]*=/, "", $i); print $i } }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
printf "%-44s %10s %10s %8s\n" "measure" "p50 (us)" "p99 (us)" "/floor"
fl=$(get verify_only p50_us)
printf "%-44s %10s %10s %8s\n" "floor: tg_sign_verify of the 2 bundles" "$fl" "$(get verify_only p99_us)" "1.00"
printf "%-44s %10s %10s %8s\n" "decision, cold (verify 2 bundles + policy)" "$(get decide_cold p50_us)" \
	"$(get decide_cold p99_us)" "$(ratio "$(get decide_cold p50_us)" "$fl")"
printf "%-44s %10s %10s %8s\n" "decision, warm (cached verification)" "$(get decide_warm p50_us)" \
	"$(get decide_warm p99_us)" "$(ratio "$(get decide_warm p50_us)" "$fl")"
echo
printf "%-44s %10s\n" "AdmissionReviews/s, 3-container Deployment" ""
printf "%-44s %10s\n" "  cold (no cache: 6 bundles verified each)" "$(get admission_cold rate)"
printf "%-44s %10s\n" "  warm (cached)" "$(get admission_warm rate)"
echo "(one thread; the floor is what the verification alone costs, so"
echo " cold/floor is the gate's overhead on top of Sigstore verification)"
