#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# identity.sh BUILD_DIR - workload identity figures next to their limit:
# JWT-SVID issue and verify, X509-SVID issue (given key; fresh P-256 key)
# and verify per second, each as a ratio to the raw ECDSA sign or verify
# rate `openssl speed` measures for the CA's key type in the same run.
set -eu
build=${1:?usage: identity.sh BUILD_DIR}
secs=${BENCH_SECONDS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/bench/out"
mkdir -p "$out"
work=$(mktemp -d "$out/identity.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== workload identity (tollgate $("$build/tollgate" --version | cut -d' ' -f2))"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
get() { echo "$1" | awk -v m="$2" '$1 == m { for (i = 2; i <= NF; i++) if ($i ~ /^rate=/) { sub(/^rate=/, "", $i); print $i } }'; }
for kt in ecdsa-p256 ecdsa-p384; do
	case $kt in
	ecdsa-p256) sp=ecdsap256 curve=nistp256 alg=ES256 ;;
	ecdsa-p384) sp=ecdsap384 curve=nistp384 alg=ES384 ;;
	esac
	res=$("$build/bench/bench_identity" "$work/$kt" $kt "$secs")
	echo "$res"
	line=$(openssl speed -seconds "$secs" $sp 2>/dev/null | grep "($curve)" | tail -1)
	sign=$(echo "$line" | awk '{printf "%.0f", $(NF-1)}')
	verify=$(echo "$line" | awk '{printf "%.0f", $NF}')
	chain=$(awk -v v="$verify" 'BEGIN { printf "%.0f", v / 2 }')
	echo
	printf "%-46s %10s %10s %7s\n" "measure ($kt CA)" "tollgate" "limit" "ratio"
	for m in "jwt_issue:JWT-SVID issues/s ($alg):$sign" \
		"jwt_verify:JWT-SVID verifications/s:$verify" \
		"x509_issue:X509-SVID issues/s (key given):$sign" \
		"x509_issue_keygen:X509-SVID issues/s (fresh P-256 key):$sign" \
		"x509_verify:X509-SVID verifications/s (2 sigs):$chain"; do
		key=${m%%:*}
		rest=${m#*:}
		label=${rest%:*}
		limit=${rest##*:}
		v=$(get "$res" "$key")
		printf "%-46s %10s %10s %7s\n" "$label" "$v" "$limit" "$(ratio "$v" "$limit")"
	done
	echo "(limit: openssl speed $sp, signs/s or verifies/s; a chain verification is two)"
	fs=$(get "$res" fdatasync)
	printf "%-46s %10s %10s %7s\n" "X509-SVID issues/s vs the disk's fdatasync/s" \
		"$(get "$res" x509_issue)" "$fs" "$(ratio "$(get "$res" x509_issue)" "$fs")"
	printf "%-46s %10s %10s %7s\n" "JWT-SVID issues/s vs the disk's fdatasync/s" \
		"$(get "$res" jwt_issue)" "$fs" "$(ratio "$(get "$res" jwt_issue)" "$fs")"
	echo "(every issue commits an audit row to the CA's SQLite database, WAL,"
	echo " synchronous=FULL: the second limit is one fdatasync per SVID)"
	echo
done
