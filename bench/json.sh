#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# json.sh [TOLLGATE] - JSON canonicalisation throughput of `tollgate json
# canon` against `jq -c .` and python3 json.loads + sorted json.dumps, on a
# deterministic ~50 MB document (bench/gen_json.py, made once), best of 3.
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
file="$out/bench-50MB.json"

for tool in jq python3 awk; do
	command -v "$tool" >/dev/null || { echo "json: needs $tool" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "json: no tollgate binary at $bin" >&2; exit 2; }
mkdir -p "$out"
if [ ! -f "$file" ] || [ -n "$(find "$here/gen_json.py" -newer "$file")" ]; then
	echo "json: generating $file (once)" >&2
	python3 "$here/gen_json.py" "$file.tmp" 50
	mv "$file.tmp" "$file"
fi
size=$(file_size "$file")
cat "$file" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

py='import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    d = json.loads(f.read())
sys.stdout.write(json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False))'

t_tg=$(best_of "$runs" "$tmp/tg" "$bin" json canon "$file")
t_jq=$(best_of "$runs" "$tmp/jq" jq -c . "$file")
t_py=$(best_of "$runs" "$tmp/py" python3 -c "$py" "$file")

# sanity: tollgate's output is the same document for python (numbers
# compared as doubles: JCS writes 5.1e20 as 512118928379546800000)
if ! python3 - "$tmp/tg" "$file" <<'PY'
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"), parse_int=float)
b = json.load(open(sys.argv[2], encoding="utf-8"), parse_int=float)
sys.exit(0 if a == b else 1)
PY
then
	echo "json: tollgate's canonical output does not parse back to the input document" >&2
	exit 1
fi

m_tg=$(mbps "$size" "$t_tg")
m_jq=$(mbps "$size" "$t_jq")
m_py=$(mbps "$size" "$t_py")
echo "json: canonicalise $(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }') MB of JSON, best of $runs (MB/s of input)"
printf '  %-22s %8s s %9s MB/s\n' "tollgate json canon" "$t_tg" "$m_tg"
printf '  %-22s %8s s %9s MB/s\n' "jq -c ." "$t_jq" "$m_jq"
printf '  %-22s %8s s %9s MB/s\n' "python3 json sorted" "$t_py" "$m_py"
echo "  ratio tollgate/jq: $(ratio "$m_tg" "$m_jq")x   tollgate/python3: $(ratio "$m_tg" "$m_py")x"
