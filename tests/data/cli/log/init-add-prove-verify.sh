# SPDX-License-Identifier: Apache-2.0
# A log from creation to offline verification: init prints the vkey, add
# prints "<index> sha256:<hex>" in input order, prove prints a tlog-proof
# that verify accepts; a changed entry or another log's key is refused.
need sha256sum
expect_exit 0 tg log init --dir L --origin test.example/log
expect_out_match '^test\.example/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$'
vkey=$(cat "$OUT")
[ "$(cat L/log.vkey)" = "$vkey" ] || fail "log.vkey differs from the printed vkey"
[ "$(stat -c %a L/.tollgate)" = 700 ] || fail "private directory is not 0700"
[ "$(stat -c %a L/.tollgate/key)" = 600 ] || fail "key is not 0600"

printf 'first entry' >a.txt
printf 'second\nentry\n' >b.txt
expect_exit 0 tg log add --dir L a.txt b.txt
want="0 sha256:$(sha256sum <a.txt | cut -d' ' -f1)
1 sha256:$(sha256sum <b.txt | cut -d' ' -f1)"
[ "$(cat "$OUT")" = "$want" ] || fail "add output: $(cat "$OUT")"

printf 'line one\n\nline three' | tg log add --dir L --lines - >lines.out || fail "add --lines"
[ "$(wc -l <lines.out)" = 3 ] || fail "three lines, three entries"
[ "$(sed -n 2p lines.out)" = "3 sha256:$(printf '' | sha256sum | cut -d' ' -f1)" ] ||
	fail "the empty line is entry 3"

expect_exit 0 tg log checkpoint --dir L
sed -n 1p "$OUT" | grep -qx test.example/log || fail "origin line"
sed -n 2p "$OUT" | grep -qx 5 || fail "size line"

expect_exit 0 tg log prove --dir L --index 1
cp "$OUT" b.proof
head -n1 b.proof | grep -qx 'c2sp.org/tlog-proof@v1' || fail "proof header"
grep -qx 'index 1' b.proof || fail "index line"
expect_exit 0 tg log verify --vkey "$vkey" --proof b.proof b.txt
expect_out_match '^verified: entry 1 in test\.example/log at size 5$'

# a different entry, a proof for another index, another log's key
expect_exit 1 tg log verify --vkey "$vkey" --proof b.proof a.txt
expect_err_match 'not included'
expect_exit 0 tg log init --dir M --origin test.example/log
other=$(cat "$OUT")
expect_exit 1 tg log verify --vkey "$other" --proof b.proof b.txt
expect_err_match 'verification failed'

# proofs against an older checkpoint
expect_exit 0 tg log prove --dir L --index 0 --size 2
cp "$OUT" a2.proof
expect_exit 0 tg log verify --vkey "$vkey" --proof a2.proof a.txt
expect_out_match 'at size 2$'
expect_exit 2 tg log prove --dir L --index 0 --size 3
expect_err_match 'never published a checkpoint of size 3'
expect_exit 2 tg log prove --dir L --index 5

# consistency between two published checkpoints
cp L/.tollgate/checkpoints/2 old.ckpt
tg log checkpoint --dir L >new.ckpt
expect_exit 0 tg log prove --dir L --from 2 --to 5
cp "$OUT" c.proof
expect_exit 0 tg log verify-consistency --vkey "$vkey" --old old.ckpt --new new.ckpt --proof c.proof
expect_out_match '^consistent: test\.example/log size 5 extends size 2$'
expect_exit 1 tg log verify-consistency --vkey "$vkey" --old new.ckpt --new old.ckpt --proof c.proof
sed '1s/^./A/' c.proof >bad.proof
expect_exit 1 tg log verify-consistency --vkey "$vkey" --old old.ckpt --new new.ckpt --proof bad.proof

# errors: a log exists already, an entry too large, bad usage
expect_exit 2 tg log init --dir L --origin test.example/log
expect_err_match 'already holds a log'
head -c 65536 /dev/zero >big.bin
expect_exit 2 tg log add --dir L big.bin
expect_err_match 'larger than an entry may be'
expect_exit 2 tg log add --dir L
expect_exit 2 tg log prove --dir L --index 1 --from 0 --to 1
