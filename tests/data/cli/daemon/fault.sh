# SPDX-License-Identifier: Apache-2.0
# The kill -9 fault test: tollgated runs in its own process group while
# three clients sign through it in a loop (`tollgate sign --server`, which
# logs each signature and stores the bundle with POST /v1/attestations);
# at a random moment the whole group gets SIGKILL, then tollgated restarts
# on the same directory (stale locks, SQLite WAL recovery, the log's crash
# repair). After each restart nothing acknowledged may be missing: every
# log entry a client got back is at its index (read over the tile API by
# tiles.py, an independent reader that also checks the checkpoint and
# every tile), every checkpoint it was acknowledged under is a prefix of
# the log, every bundle verifies with the trusted root, and every stored
# attestation is returned by GET /v1/attestations. A fourth client asks
# the gate (`tollgate gate check --server`): every decision answered is
# the entry at its decision_log_index (sequenced in the log's journal,
# integrated after the restart). Four kills.
. "$DATA/setup.inc"
need setsid od
ROUNDS=4
WORKERS=3
start_server # creates the dev deployment and srv/config.json
finish
LOGDIR=$(dirname "$(find srv -name log.vkey | head -n1)")
[ -d "$LOGDIR" ] || fail "no log directory in srv"

# tollgated as the leader of its own process group (setsid execs it in
# place: a background job of a non-interactive shell leads no group)
start_group() {
	: >srv.out
	setsid "$TGD" --dev srv --listen 127.0.0.1:0 >srv.out 2>>srv.err &
	SRV_PID=$!
	i=0
	until grep -q '^listening on ' srv.out 2>/dev/null; do
		kill -0 "$SRV_PID" 2>/dev/null || { tail -n 20 srv.err >&2; fail "tollgated exited"; }
		i=$((i + 1))
		[ "$i" -lt 600 ] || { tail -n 20 srv.err >&2; fail "tollgated did not restart in 60 s"; }
		sleep 0.1
	done
	URL=$(sed -n 's/^listening on //p' srv.out)
	PORT=${URL##*:}
}
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' \n'; }

# one signing client: until the round is over, sign a fresh artifact with a
# fresh token; a bundle on disk means the server answered with its log
# entry (log.list); exit 0 means the attestation was stored too (att.list)
worker() {
	trap - EXIT # the case's cleanup is not for a client to run
	k=0
	while [ ! -f "down.$1" ]; do
		k=$((k + 1))
		n="r$2w$1k$k"
		printf 'artifact %s %s\n' "$n" "$NOW" >"art/$n"
		t=$(date +%s) # fresh times: the case may outlast one token's life
		gh_token "tok/$n" "\"jti\": \"jti-$n-$NOW\", \"iat\": $t, \"nbf\": $t, \"exp\": $((t + 600))"
		if tg sign "art/$n" --server "$URL" --ca-file srv/ca.pem --oidc-token "tok/$n" \
			--bundle "b/$n.json" >"log/$n.out" 2>&1; then
			echo "art/$n b/$n.json" >>"att-w.$1"
		fi
		[ -f "b/$n.json" ] && echo "b/$n.json" >>"log-w.$1"
	done
	exit 0
}

# the deciding client: gate decisions on the artifacts signed so far (and
# on unknown digests); an answer on disk is an acknowledged decision
decider() {
	trap - EXIT
	k=0
	while [ ! -f "down.d" ]; do
		k=$((k + 1))
		a=$(cut -d' ' -f1 att-w.1 2>/dev/null | tail -n 1)
		[ $((k % 3)) -ne 0 ] && [ -n "$a" ] || a="art/none-$1-$k"
		[ -f "$a" ] || printf 'never signed %s %s\n' "$1" "$k" >"$a"
		if tg gate check "$a" --server "$URL" --ca-file srv/ca.pem --json \
			>"dec/$1-$k.tmp" 2>/dev/null; [ $? -le 1 ]; then
			mv "dec/$1-$k.tmp" "dec/$1-$k.json"
			echo "dec/$1-$k.json" >>dec.list
		fi
	done
	exit 0
}

check_all() {
	cat log-w.* 2>/dev/null | sort -u >log.list
	cat att-w.* 2>/dev/null | sort -u >att.list
	expect_exit 0 python3 "$DATA/tiles.py" "$PORT" srv/ca.pem "$LOGDIR/log.vkey" entries.txt
	expect_exit 0 python3 "$DATA/fault_check.py" "$PORT" srv/ca.pem entries.txt log.list att.list \
		dec.list
	echo "after round $1: $(cat "$OUT")" >&2
	while read -r art f; do
		[ -f "$f.verified" ] && continue
		expect_exit 0 tg verify "$art" --bundle "$f" --trusted-root srv/trusted_root.json \
			--identity "$GH_SAN" --issuer "$GH_ISS"
		: >"$f.verified"
	done <att.list
}

mkdir art tok b log dec
: >log-w.0
: >att-w.0
: >dec.list
start_group
r=1
while [ "$r" -le "$ROUNDS" ]; do
	pids=
	w=1
	while [ "$w" -le "$WORKERS" ]; do
		rm -f "down.$w"
		worker "$w" "$r" &
		pids="$pids $!"
		w=$((w + 1))
	done
	rm -f down.d
	decider "$r" &
	pids="$pids $!"
	# in the middle: after this round's first acknowledged signature, a
	# random 0-3 s later, while the clients are at it
	before=$(cat att-w.* | wc -l)
	i=0
	until [ "$(cat att-w.* | wc -l)" -gt "$before" ]; do
		i=$((i + 1))
		[ "$i" -lt 1200 ] || { tail -n 20 srv.err >&2; fail "round $r: no signature in 120 s"; }
		sleep 0.1
	done
	ms=$(($(rnd) % 3000))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "-$SRV_PID" || fail "kill -9 the process group"
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
	w=1
	while [ "$w" -le "$WORKERS" ]; do
		: >"down.$w"
		w=$((w + 1))
	done
	: >down.d
	for p in $pids; do
		wait "$p" || fail "round $r: a client loop failed"
	done
	# the group is gone: no process of it may hold on
	sleep 0.2
	start_group
	check_all "$r"
	r=$((r + 1))
done
# what was lost in flight is allowed; what was acknowledged is all there
[ "$(wc -l <att.list)" -ge "$ROUNDS" ] || fail "too few signatures to judge"
[ "$(wc -l <dec.list)" -ge "$ROUNDS" ] || fail "too few decisions to judge"
# a clean stop works after all that, and reports no sanitizer errors
finish
