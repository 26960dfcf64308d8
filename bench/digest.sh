#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# digest.sh [TOLLGATE] - SHA-256 throughput of `tollgate digest` against
# sha256sum and `openssl dgst -sha256` on a 1 GiB file (made once under
# bench/out/, deterministic AES-CTR bytes), best of 3, from the page cache.
set -eu

# best_of N OUTFILE CMD... - runs CMD N times (stdout to OUTFILE) and prints
# the fastest wall-clock time in seconds; fails when CMD fails.
best_of() {
	_n=$1 _out=$2 _best=""
	shift 2
	while [ "$_n" -gt 0 ]; do
		_t0=$(date +%s%N)
		"$@" >"$_out"
		_dt=$(($(date +%s%N) - _t0))
		if [ -z "$_best" ] || [ "$_dt" -lt "$_best" ]; then _best=$_dt; fi
		_n=$((_n - 1))
	done
	awk -v ns="$_best" 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

# mbps BYTES SECONDS - throughput in MB/s (10^6 bytes); ratio A B - A / B.
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 1e-9; printf "%.1f\n", b / 1e6 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.2f\n", a / b }'; }
file_size() { wc -c <"$1" | tr -d ' '; }
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/release/tollgate}
runs=${BENCH_RUNS:-3}
out="$here/out"
file="$out/digest-1GiB.bin"
size=1073741824

for tool in sha256sum openssl awk; do
	command -v "$tool" >/dev/null || { echo "digest: needs $tool" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "digest: no tollgate binary at $bin" >&2; exit 2; }
mkdir -p "$out"
if [ ! -f "$file" ] || [ "$(file_size "$file")" -ne "$size" ]; then
	echo "digest: creating $file (1 GiB, once)" >&2
	head -c "$size" /dev/zero |
		openssl enc -aes-128-ctr -nosalt -K 746f6c6c67617465206265636e636821 \
			-iv 00000000000000000000000000000000 2>/dev/null |
		head -c "$size" >"$file.tmp"
	mv "$file.tmp" "$file"
fi
cat "$file" >/dev/null # warm the page cache: measure hashing, not the disk

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

t_tg=$(best_of "$runs" "$tmp/tg" "$bin" digest "$file")
t_sum=$(best_of "$runs" "$tmp/sum" sha256sum "$file")
t_ossl=$(best_of "$runs" "$tmp/ossl" openssl dgst -sha256 -r "$file")

# all three must agree on the digest
h_tg=$(sed -n 's/^sha256:\([0-9a-f]*\) .*/\1/p' "$tmp/tg")
h_sum=$(cut -d' ' -f1 "$tmp/sum")
h_ossl=$(cut -d' ' -f1 "$tmp/ossl")
if [ -z "$h_tg" ] || [ "$h_tg" != "$h_sum" ] || [ "$h_tg" != "$h_ossl" ]; then
	echo "digest: the tools disagree: tollgate '$h_tg' sha256sum '$h_sum' openssl '$h_ossl'" >&2
	exit 1
fi

m_tg=$(mbps "$size" "$t_tg")
m_sum=$(mbps "$size" "$t_sum")
m_ossl=$(mbps "$size" "$t_ossl")
echo "digest: SHA-256 of 1 GiB, best of $runs (MB = 10^6 bytes)"
printf '  %-22s %8s s %9s MB/s\n' "tollgate digest" "$t_tg" "$m_tg"
printf '  %-22s %8s s %9s MB/s\n' "sha256sum" "$t_sum" "$m_sum"
printf '  %-22s %8s s %9s MB/s\n' "openssl dgst -sha256" "$t_ossl" "$m_ossl"
echo "  ratio tollgate/sha256sum: $(ratio "$m_tg" "$m_sum")x   tollgate/openssl: $(ratio "$m_tg" "$m_ossl")x"
