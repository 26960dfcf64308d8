# SPDX-License-Identifier: Apache-2.0
# `tollgate log prove --server`: inclusion and consistency proofs built
# from tollgated's C2SP tiles over HTTPS equal the ones `log prove --dir`
# builds from the log directory itself (602 entries: full and partial
# tiles at level 0, a partial tile at level 1), and verify with `log
# verify`; a tile changed on the server's disk is caught (the tiles no
# longer hash to the signed checkpoint). `log checkpoint --server` shows a
# gate decision covered as soon as it is answered.
. "$DATA/setup.inc"
start_server
LOGDIR=$(dirname "$(find srv -name log.vkey | head -n1)")
[ -d "$LOGDIR" ] || fail "no log directory in srv"
finish
i=0
while [ $i -lt 601 ]; do
	echo "offline entry $i"
	i=$((i + 1))
done >lines.txt
expect_exit 0 tg log add --dir "$LOGDIR" --lines lines.txt
start_server
S="--server $URL --ca-file srv/ca.pem"
printf 'an artifact\n' >a.tar
gh_token t1
# shellcheck disable=SC2086
expect_exit 0 tg sign a.tar $S --oidc-token t1 --bundle a.json
for n in 0 1 255 256 300 511 512 600; do
	# shellcheck disable=SC2086
	expect_exit 0 tg log prove $S --index $n
	cp "$OUT" remote.$n
	expect_exit 0 tg log prove --dir "$LOGDIR" --index $n
	cmp -s "$OUT" remote.$n || fail "proof of $n differs from the directory's"
	sed -n "$((n + 1))p" lines.txt | tr -d '\n' >entry.$n
	expect_exit 0 tg log verify --vkey "$(cat "$LOGDIR/log.vkey")" --proof remote.$n entry.$n
	expect_exit 1 tg log verify --vkey "$(cat "$LOGDIR/log.vkey")" --proof remote.$n lines.txt
done
# the signed entry (the last one) proves too
# shellcheck disable=SC2086
expect_exit 0 tg log prove $S --index 601
# shellcheck disable=SC2086
expect_exit 0 tg log prove $S --from 300 --to 602
cp "$OUT" cons.remote
expect_exit 0 tg log prove --dir "$LOGDIR" --from 300 --to 602
cmp -s "$OUT" cons.remote || fail "consistency proof differs"
# shellcheck disable=SC2086
expect_exit 0 tg log prove $S --from 10 --to 300
cp "$OUT" cons2.remote
expect_exit 0 tg log prove --dir "$LOGDIR" --from 10 --to 300
cmp -s "$OUT" cons2.remote || fail "consistency proof 10..300 differs"
# shellcheck disable=SC2086
expect_exit 2 tg log prove $S --index 602
# shellcheck disable=SC2086
expect_exit 2 tg log prove $S --index 1 --size 5
expect_exit 2 tg log prove --server "$URL" --index 1
# a gate decision is answered once sequenced in the journal; the API's
# checkpoint covers it at once (`log checkpoint --server`, signature
# checked with --vkey), and its inclusion proves straight away
# shellcheck disable=SC2086
expect_exit 1 tg gate check a.tar $S --json
dix=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decision_log_index"])' "$OUT") ||
	fail "decision index: $(cat "$OUT")"
[ "$dix" -eq 602 ] || fail "decision index $dix"
# shellcheck disable=SC2086
expect_exit 0 tg log checkpoint $S --vkey "$(cat "$LOGDIR/log.vkey")"
[ "$(sed -n 2p "$OUT")" = 603 ] || fail "checkpoint size: $(cat "$OUT")"
cp "$OUT" cp.txt
# shellcheck disable=SC2086
expect_exit 0 tg log prove $S --index 602
# another key of the same name does not verify it
expect_exit 0 tg key generate --type ed25519 --out other.key
expect_exit 0 tg log vkey --key other.key --name "$(head -n1 cp.txt)"
other=$(cat "$OUT")
# shellcheck disable=SC2086
expect_exit 1 tg log checkpoint $S --vkey "$other"
# shellcheck disable=SC2086
expect_exit 2 tg log checkpoint --dir "$LOGDIR" $S
# a full level-0 tile altered on disk: the proof is refused
tile="$LOGDIR/tile/0/000"
[ -f "$tile" ] || fail "no tile $tile"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[5]^=1; open(p,"wb").write(b)' "$tile"
# shellcheck disable=SC2086
expect_exit 1 tg log prove $S --index 3
expect_err_match "do not hash to its checkpoint's root"
finish
