#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# deps.sh - installs the Debian 12 packages a make target needs, and only
# those that are missing. Usage: scripts/deps.sh build|check|demo|fuzz|bench
set -eu

build="gcc g++ make cmake pkg-config libssl-dev libsqlite3-dev libnghttp2-dev libyaml-dev libre2-dev libseccomp-dev"
check="$build openssl python3 in-toto"
demo="$build openssl python3"
fuzz="$build clang libclang-rt-14-dev"
bench="$build openssl jq python3 coreutils"

case "${1:-build}" in
build) want=$build ;;
check) want=$check ;;
demo) want=$demo ;;
fuzz) want=$fuzz ;;
bench) want=$bench ;;
*) echo "usage: $0 build|check|demo|fuzz|bench" >&2; exit 2 ;;
esac
# The interop cases (tests/data/cli/interop) run npm packages on Node:
# Debian's nodejs (18 on Debian 12) and npm, unless they are already there.
if [ "${1:-build}" = check ]; then
	command -v node >/dev/null 2>&1 || want="$want nodejs"
	command -v npm >/dev/null 2>&1 || want="$want npm"
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "tollgate: missing Debian packages:$missing" >&2
	echo "tollgate: run as root, or install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "tollgate: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
