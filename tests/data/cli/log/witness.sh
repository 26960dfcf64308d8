# SPDX-License-Identifier: Apache-2.0
# A witness cosigns a checkpoint only when a consistency proof links it to
# what it saw before; it refuses a rollback and a split view; verifiers can
# require witness cosignatures.
expect_exit 0 tg log init --dir L --origin wit.example/log
vkey=$(cat "$OUT")
expect_exit 0 tg key generate --type ed25519 --out w.pem
expect_exit 0 tg log vkey --key w.pem --name witness.example/w1 --cosignature
wvkey=$(cat "$OUT")
echo "$wvkey" | grep -Eq '^witness\.example/w1\+[0-9a-f]{8}\+' || fail "witness vkey"

printf 'a\nb\nc\n' | tg log add --dir L --lines - >/dev/null || fail add
tg log checkpoint --dir L >c3
: >empty.proof
expect_exit 0 tg log witness --state W --key w.pem --name witness.example/w1 --log-vkey "$vkey" \
	--checkpoint c3 --proof empty.proof
grep -q '^— witness\.example/w1 ' "$OUT" || fail "cosignature line"

printf 'd\ne\n' | tg log add --dir L --lines - >/dev/null || fail add
tg log checkpoint --dir L >c5
# no proof: refused; with the proof from 3 to 5: cosigned
expect_exit 1 tg log witness --state W --key w.pem --name witness.example/w1 --log-vkey "$vkey" \
	--checkpoint c5 --proof empty.proof
expect_err_match 'no valid consistency proof from size 3 to 5'
tg log prove --dir L --from 3 --to 5 >p35
expect_exit 0 tg log witness --state W --key w.pem --name witness.example/w1 --log-vkey "$vkey" \
	--checkpoint c5 --proof p35
cp "$OUT" cosig5
# "old N" must match what the witness holds (tlog-witness 409 semantics)
{ echo "old 3"; cat p35; } >old3.proof
expect_exit 1 tg log witness --state W --key w.pem --name witness.example/w1 --log-vkey "$vkey" \
	--checkpoint c5 --proof old3.proof
expect_err_match 'old size 3 does not match the witnessed size 5'
# rollback to 3: refused
expect_exit 1 tg log witness --state W --key w.pem --name witness.example/w1 --log-vkey "$vkey" \
	--checkpoint c3 --proof empty.proof
expect_err_match 'older than the witnessed size'

# split view: the same origin signed by another key that the witness was
# told is the log's; a second log with the same origin and size 5 but
# other entries, given to the same witness state
expect_exit 0 tg log init --dir F --origin wit.example/log --key L/.tollgate/key
printf 'x\ny\nz\nu\nv\n' | tg log add --dir F --lines - >/dev/null || fail add
tg log checkpoint --dir F >f5
expect_exit 1 tg log witness --state W --key w.pem --name witness.example/w1 --log-vkey "$vkey" \
	--checkpoint f5 --proof empty.proof
expect_err_match 'split view'

# verification with a required witness
tg log prove --dir L --index 4 >e.proof
printf 'e' >e.txt
cat e.proof cosig5 >e-cosigned.proof
expect_exit 0 tg log verify --vkey "$vkey" --proof e-cosigned.proof --witness "$wvkey" \
	--min-witnesses 1 e.txt
expect_exit 1 tg log verify --vkey "$vkey" --proof e.proof --witness "$wvkey" --min-witnesses 1 e.txt
expect_err_match '0 valid witness cosignatures, 1 required'
