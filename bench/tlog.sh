#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tlog.sh BUILD_DIR - transparency log figures next to their limits:
# durable append rate vs the raw SHA-256 rate of `openssl speed` for
# 256-byte inputs (every entry costs at least one leaf hash), and the
# checkpoint signing rate vs `openssl speed ed25519`.
set -eu
build=${1:?usage: tlog.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/bench/out"
mkdir -p "$out"
dir=$(mktemp -d "$out/tlog.XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "== transparency log (tollgate $("$build/tollgate" --version | cut -d' ' -f2))"
res=$("$build/bench/bench_tlog" "$dir/log")
echo "$res"

sha=$(openssl speed -seconds 3 -bytes 256 sha256 2>/dev/null | awk '/^sha256/ {print $2}' | tr -d 'k')
# openssl prints thousands of bytes per second for the block size
sha_rate=$(awk -v k="$sha" 'BEGIN { printf "%.0f", k * 1000 / 256 }')
ed=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/ Ed25519/ && $1 ~ /^[0-9]/ {print $(NF-1)}' | tail -1)

get() { echo "$res" | tr ' ' '\n' | awk -F= -v k="$1" -v line="$2" 'BEGIN{} {print}' >/dev/null; echo "$res" | grep "^$2 " | tr ' ' '\n' | awk -F= -v k="$1" '$1==k {print $2}'; }
batch=$(get rate append_batch)
conc=$(get rate append_concurrent)
sign=$(get rate checkpoint_sign)

echo
printf "%-44s %12s %12s %8s\n" "measure" "tollgate" "limit" "ratio"
printf "%-44s %12s %12s %8s\n" "durable appends/s, batches of 4096 x 256 B" "$batch" "$sha_rate" \
	"$(awk -v a="$batch" -v b="$sha_rate" 'BEGIN { printf "%.3f", a / b }')"
printf "%-44s %12s %12s %8s\n" "durable appends/s, 64 concurrent submitters" "$conc" "$sha_rate" \
	"$(awk -v a="$conc" -v b="$sha_rate" 'BEGIN { printf "%.3f", a / b }')"
if [ -n "$ed" ]; then
	printf "%-44s %12s %12s %8s\n" "checkpoint signatures/s (Ed25519)" "$sign" "$ed" \
		"$(awk -v a="$sign" -v b="$ed" 'BEGIN { printf "%.3f", a / b }')"
fi
echo "(limit: openssl speed sha256 at 256-byte blocks, hashes/s; openssl speed ed25519 signs/s)"
echo "(published peer: Tessera POSIX 1,600-3,000 writes/s)"
