# SPDX-License-Identifier: Apache-2.0
# entry create/list/delete: missing options, invalid SPIFFE IDs and
# selectors, IDs of another trust domain, bad or too long TTLs are errors
# (exit 2) that name the problem; none of them creates an entry.
. "$DATA/setup.inc"
ca_init
c() { tg entry create --dir ca "$@"; }
expect_exit 2 c --selector unix:uid:0
expect_err_match "missing --spiffe-id ID"
expect_exit 2 c --spiffe-id spiffe://example.org/a
expect_err_match "missing --selector TYPE:KEY:VALUE"
for bad in 'spiffe://example.org/a/' 'spiffe://example.org/../a' 'http://example.org/a' \
	'spiffe://EXAMPLE.org/a' 'spiffe://example.org/a?q' 'spiffe://example.org/%41' \
	'spiffe:///a'; do
	expect_exit 2 c --spiffe-id "$bad" --selector unix:uid:0
	expect_err_match "invalid SPIFFE ID"
done
expect_exit 2 c --spiffe-id spiffe://other.org/a --selector unix:uid:0
expect_err_match "not in the trust domain 'example\.org'"
for bad in 'unix' 'unix:uid' 'unix:uid:' ':uid:0' 'Unix:uid:0' "unix:uid:$(printf 'a\tb')"; do
	expect_exit 2 c --spiffe-id spiffe://example.org/a --selector "$bad"
	expect_err_match "invalid selector"
done
expect_exit 2 c --spiffe-id spiffe://example.org/a --selector unix:uid:0 --x509-ttl 2d
expect_err_match "'2d' is longer than the limit of 1d"
expect_exit 2 c --spiffe-id spiffe://example.org/a --selector unix:uid:0 --jwt-ttl 5x
expect_err_match "--jwt-ttl '5x' is not a duration"
expect_exit 2 c --spiffe-id spiffe://example.org/a --selector unix:uid:0 --x509-ttl 0s
expect_exit 2 tg entry create --spiffe-id spiffe://example.org/a --selector unix:uid:0
expect_err_match "missing --dir D"
expect_exit 0 tg entry list --dir ca
expect_out /dev/null
expect_exit 2 tg entry list --dir ca extra
expect_exit 2 tg entry delete --dir ca
expect_err_match "missing the entry ID"
expect_exit 2 tg entry delete --dir ca a b
expect_err_match "too many arguments"
expect_exit 0 tg entry --help
expect_out_match '^usage: tollgate entry create'
expect_out_match '^usage: tollgate entry delete'
