# SPDX-License-Identifier: Apache-2.0
# Repeated keys: by default the last one wins (ECMAScript JSON.parse);
# --strict rejects them with FILE:LINE:COL of the second occurrence.
printf '{"a":1,"b":{"x":true,"x":false},"a":[2]}' >dup1.json
expect_exit 0 tg json canon dup1.json
expect_out_line '{"a":[2],"b":{"x":false}}'

cp "$DATA/dup.json" dup.json
# dup.json line 4 is '  "id": 2,': the repeated key starts at column 3
expect_exit 2 tg json canon --strict dup.json
expect_out /dev/null
expect_err_line 'dup.json:4:3: duplicate object key "id"'
# the same from standard input names the file '-'
expect_exit 2 tg json canon --strict - <dup.json
expect_err_line '-:4:3: duplicate object key "id"'
# without --strict the document is accepted
expect_exit 0 tg json canon dup.json
expect_out_line '{"id":2,"name":"x","tags":["a","b"]}'
