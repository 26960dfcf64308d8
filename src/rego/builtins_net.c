/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_net.c - Rego's net.cidr_* built-ins with Go's net package
 * semantics (ParseIP, ParseCIDR, IPNet.Contains, IP.String), and the two
 * built-ins that reach the network: net.lookup_ip_addr and http.send.
 */

/*
 * Addresses are kept as 16 bytes (IPv4 in the IPv4-mapped range, as Go's
 * net.IP does) with a family: 4 when Go's To4() succeeds, else 6. Nothing
 * here touches the network unless the evaluation carries TG_REGO_CAP_NET:
 * net.lookup_ip_addr answers IP literals and localhost names itself (no
 * lookup is needed for them) and resolves other names only for hosts the
 * options allow (rego_http.h); http.send lives in builtins_http.c.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "core/limits.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"
#include "rego/rego_http.h"

#define UNUSED_NARGS (void)nargs

typedef unsigned __int128 u128;

/* an address or a network */
struct ipnet {
	uint8_t b[16];  /* the address (a network's address is masked) */
	int bits;       /* prefix length in the mask's own width, -1 for an address */
	int maskw;      /* 32 or 128: the width of the mask as Go stores it */
};

static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is4(const uint8_t *b)
{
	return memcmp(b, v4prefix, 12) == 0;
}

static u128 to_u128(const uint8_t *b)
{
	u128 v = 0;
	for (int i = 0; i < 16; i++)
		v = (v << 8) | b[i];
	return v;
}

static void from_u128(u128 v, uint8_t *b)
{
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Go's netip.ParseAddr for IPv4: four decimal fields, no leading zeros. */
static bool parse_v4(const char *s, size_t n, uint8_t *out)
{
	size_t i = 0;
	for (int f = 0; f < 4; f++) {
		unsigned v = 0, digits = 0;
		if (f > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && v == 0)
				return false; /* leading zero */
			v = v * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
			if (v > 255)
				return false;
		}
		if (digits == 0)
			return false;
		out[f] = (uint8_t)v;
	}
	return i == n;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Go's netip.ParseAddr for IPv6 (no zone). */
static bool parse_v6(const char *s, size_t n, uint8_t *out)
{
	uint8_t ip[16] = {0};
	int ellipsis = -1, i = 0;
	size_t p = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		ellipsis = 0;
		p = 2;
		if (p == n) {
			memset(out, 0, 16);
			return true;
		}
	}
	while (i < 16) {
		unsigned v = 0;
		size_t start = p;
		while (p < n && hexval(s[p]) >= 0 && p - start < 5) {
			v = (v << 4) | (unsigned)hexval(s[p]);
			p++;
		}
		if (p == start || p - start > 4)
			return false;
		if (p < n && s[p] == '.') {
			/* embedded IPv4 in the last 32 bits */
			if (ellipsis < 0 && i != 12)
				return false;
			if (i + 4 > 16)
				return false;
			if (!parse_v4(s + start, n - start, ip + i))
				return false;
			p = n;
			i += 4;
			break;
		}
		ip[i] = (uint8_t)(v >> 8);
		ip[i + 1] = (uint8_t)v;
		i += 2;
		if (p == n)
			break;
		if (s[p] != ':')
			return false;
		p++;
		if (p < n && s[p] == ':') {
			if (ellipsis >= 0)
				return false;
			ellipsis = i;
			p++;
			if (p == n)
				break;
		} else if (p == n) {
			return false;
		}
	}
	if (p != n)
		return false;
	if (i < 16) {
		int nn;
		if (ellipsis < 0)
			return false;
		nn = 16 - i;
		for (int j = i - 1; j >= ellipsis; j--)
			ip[j + nn] = ip[j];
		memset(ip + ellipsis, 0, (size_t)nn);
	} else if (ellipsis >= 0) {
		return false; /* "::" must stand for at least one group */
	}
	memcpy(out, ip, 16);
	return true;
}

/* net.ParseIP: fills the 16-byte form; *v4 when it was an IPv4 literal. */
static bool parse_ip(const char *s, size_t n, uint8_t *out, bool *v4)
{
	uint8_t t[4];
	if (memchr(s, ':', n)) {
		*v4 = false;
		return parse_v6(s, n, out);
	}
	if (!parse_v4(s, n, t))
		return false;
	memcpy(out, v4prefix, 12);
	memcpy(out + 12, t, 4);
	*v4 = true;
	return true;
}

static void mask_net(struct ipnet *x)
{
	int keep = x->maskw == 32 ? 96 + x->bits : x->bits;
	for (int i = 0; i < 16; i++) {
		int lo = i * 8;
		if (keep <= lo)
			x->b[i] = 0;
		else if (keep < lo + 8)
			x->b[i] &= (uint8_t)(0xFF << (lo + 8 - keep));
	}
}

/* net.ParseCIDR */
static bool parse_cidr(const char *s, size_t n, struct ipnet *out)
{
	const char *slash = memchr(s, '/', n);
	bool v4;
	long bits = 0;
	size_t i;
	if (!slash || !parse_ip(s, (size_t)(slash - s), out->b, &v4))
		return false;
	i = (size_t)(slash - s) + 1;
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		bits = bits * 10 + (s[i] - '0');
		if (bits >= 0xFFFFFF)
			return false;
	}
	out->maskw = v4 ? 32 : 128;
	if (bits > out->maskw)
		return false;
	out->bits = (int)bits;
	mask_net(out);
	return true;
}

/* Go's IPNet.Contains */
static bool net_contains(const struct ipnet *net, const uint8_t *ip)
{
	int eff;
	bool net4 = is4(net->b), ip4 = is4(ip);
	if (net4 != ip4)
		return false;
	if (net4) {
		eff = net->maskw == 32 ? net->bits : net->bits - 96;
		if (eff < 0)
			eff = 0;
		eff += 96;
	} else {
		eff = net->bits;
	}
	{
		u128 a = to_u128(net->b), b = to_u128(ip);
		u128 m = eff == 0 ? 0 : eff >= 128 ? ~(u128)0 : ~(((u128)1 << (128 - eff)) - 1);
		return (a & m) == (b & m);
	}
}

/* The last address of a network (as Go's getLastIP does in its width). */
static void net_last(const struct ipnet *net, uint8_t *out)
{
	int host = net->maskw - net->bits;
	u128 a = to_u128(net->b);
	if (host > 0)
		a |= host >= 128 ? ~(u128)0 : (((u128)1 << host) - 1);
	from_u128(a, out);
}

/* Go's IP.String */
static tg_err ip_string(struct tg_buf *b, const uint8_t *ip)
{
	char t[64];
	int best = -1, bestlen = 0;
	size_t k = 0;
	if (is4(ip)) {
		snprintf(t, sizeof(t), "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
		return tg_buf_adds(b, t);
	}
	/* the longest run of two or more zero groups becomes "::" */
	for (int i = 0; i < 16;) {
		int j = i;
		while (j < 16 && ip[j] == 0 && ip[j + 1] == 0)
			j += 2;
		if (j - i > bestlen && j - i >= 4) {
			best = i;
			bestlen = j - i;
		}
		i = j == i ? i + 2 : j;
	}
	for (int i = 0; i < 16; i += 2) {
		if (i == best) {
			t[k++] = ':';
			t[k++] = ':';
			i += bestlen - 2;
			continue;
		}
		if (k > 0 && t[k - 1] != ':')
			t[k++] = ':';
		k += (size_t)snprintf(t + k, sizeof(t) - k, "%x", (unsigned)(ip[i] << 8 | ip[i + 1]));
	}
	return tg_buf_add(b, t, k);
}

/* IPNet.String of an address and prefix as Go stores it. */
static tg_err net_string(struct tg_buf *b, const uint8_t *ip, int bits, int maskw)
{
	char t[16];
	tg_err r = ip_string(b, ip);
	if (r == TG_OK && is4(ip) && maskw == 128)
		bits -= 96; /* Go prints a mapped address with a 4-byte mask */
	if (bits < 0)
		bits = 0;
	snprintf(t, sizeof(t), "/%d", bits);
	if (r == TG_OK)
		r = tg_buf_adds(b, t);
	return r;
}

static tg_err cidr_operand(struct tg_rego_bctx *c, const struct tg_json *v, struct ipnet *out)
{
	if (v->type != TG_JSON_STRING)
		return tg_rego_type_error(c, 1, "string", v); /* OPA says operand 1 for both */
	if (!parse_cidr(v->u.s.p, v->u.s.len, out))
		return tg_rego_bi_fail(c, "invalid CIDR address: %.*s",
				       (int)(v->u.s.len > 200 ? 200 : v->u.s.len), v->u.s.p);
	return TG_OK;
}

static tg_err bi_cidr_intersects(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	struct ipnet a, b;
	tg_err r;
	UNUSED_NARGS;
	if ((r = cidr_operand(c, args[0], &a)) != TG_OK || (r = cidr_operand(c, args[1], &b)) != TG_OK)
		return r;
	*out = tg_json_bool(net_contains(&a, b.b) || net_contains(&b, a.b));
	return TG_OK;
}

static tg_err cidr_contains(struct tg_rego_bctx *c, const struct tg_json *av,
			    const struct tg_json *bv, bool *res)
{
	struct ipnet a, b;
	bool v4;
	uint8_t ip[16];
	tg_err r;
	if ((r = cidr_operand(c, av, &a)) != TG_OK)
		return r;
	if (bv->type != TG_JSON_STRING)
		return tg_rego_type_error(c, 1, "string", bv);
	if (parse_ip(bv->u.s.p, bv->u.s.len, ip, &v4)) {
		*res = net_contains(&a, ip);
		return TG_OK;
	}
	if (!parse_cidr(bv->u.s.p, bv->u.s.len, &b))
		return tg_rego_bi_fail(
			c, "not a valid textual representation of an IP address or CIDR: %.*s",
			(int)(bv->u.s.len > 200 ? 200 : bv->u.s.len), bv->u.s.p);
	*res = false;
	if (net_contains(&a, b.b)) {
		uint8_t last[16];
		net_last(&b, last);
		*res = net_contains(&a, last);
	}
	return TG_OK;
}

static tg_err bi_cidr_contains(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	bool res = false;
	tg_err r;
	UNUSED_NARGS;
	if ((r = cidr_contains(c, args[0], args[1], &res)) != TG_OK)
		return r;
	*out = tg_json_bool(res);
	return TG_OK;
}

/* net.cidr_contains_matches: each operand is a string, or an array, set
 * or object of strings or non-empty arrays (whose first element is the
 * CIDR); matches are [index1, index2] pairs. */
struct cm_item {
	const struct tg_json *cidr, *index;
};

static tg_err cm_elem(struct tg_rego_bctx *c, size_t operand, const struct tg_json *e,
		      const struct tg_json **cidr)
{
	if (e->type == TG_JSON_STRING) {
		*cidr = e;
		return TG_OK;
	}
	if (e->type == TG_JSON_ARRAY && e->u.a.len > 0) {
		*cidr = e->u.a.items[0];
		return TG_OK;
	}
	return tg_rego_bi_fail(c, "operand %zu: element must be string or non-empty array", operand);
}

static tg_err cm_items(struct tg_rego_bctx *c, size_t operand, const struct tg_json *v,
		       struct cm_item **items, size_t *n)
{
	size_t cnt = 0;
	tg_err r;
	*n = 0;
	switch (v->type) {
	case TG_JSON_STRING:
		*items = tg_arena_alloc(c->a, sizeof(**items));
		if (!*items)
			return TG_E_TOOBIG;
		(*items)[0].cidr = v;
		(*items)[0].index = v;
		*n = 1;
		return TG_OK;
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		cnt = v->u.a.len;
		break;
	case TG_JSON_OBJECT:
		cnt = v->u.o.len;
		break;
	default:
		return TG_OK; /* OPA yields no matches */
	}
	*items = tg_arena_alloc_array(c->a, cnt + 1, sizeof(**items));
	if (!*items)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < cnt; i++) {
		struct cm_item *it = &(*items)[i];
		if (v->type == TG_JSON_OBJECT) {
			it->index = v->u.o.items[i].key;
			r = cm_elem(c, operand, v->u.o.items[i].val, &it->cidr);
		} else {
			r = TG_OK;
			if (v->type == TG_JSON_ARRAY)
				r = tg_json_new_int(c->a, (int64_t)i, &it->index);
			else
				it->index = v->u.a.items[i];
			if (r == TG_OK)
				r = cm_elem(c, operand, v->u.a.items[i], &it->cidr);
		}
		if (r != TG_OK)
			return r;
	}
	*n = cnt;
	return TG_OK;
}

static tg_err bi_cidr_contains_matches(struct tg_rego_bctx *c, const struct tg_json *const *args,
				       size_t nargs, const struct tg_json **out)
{
	struct cm_item *a = NULL, *b = NULL;
	size_t na, nb;
	struct tg_rego_bi_list l;
	tg_err r;
	UNUSED_NARGS;
	if ((r = cm_items(c, 1, args[0], &a, &na)) != TG_OK ||
	    (r = cm_items(c, 2, args[1], &b, &nb)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, (uint64_t)na * nb)) != TG_OK)
		return r;
	tg_rego_bi_list_init(&l, c->a);
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			bool m = false;
			if ((r = cidr_contains(c, a[i].cidr, b[j].cidr, &m)) != TG_OK)
				return r;
			if (m) {
				const struct tg_json *pair[2] = {a[i].index, b[j].index}, *v;
				if ((r = tg_json_new_array(c->a, pair, 2, &v)) != TG_OK ||
				    (r = tg_rego_bi_list_add(&l, v)) != TG_OK)
					return r;
			}
		}
	return tg_rego_bi_list_set(&l, out);
}

static tg_err bi_cidr_expand(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	struct ipnet net;
	struct tg_rego_bi_list l;
	int host;
	u128 first, count;
	tg_err r;
	UNUSED_NARGS;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_type_error(c, 1, "string", args[0]);
	if (!parse_cidr(args[0]->u.s.p, args[0]->u.s.len, &net))
		return tg_rego_bi_fail(c, "invalid CIDR address: %.*s",
				       (int)(args[0]->u.s.len > 200 ? 200 : args[0]->u.s.len),
				       args[0]->u.s.p);
	host = net.maskw - net.bits;
	if (host >= 63 || ((uint64_t)1 << host) > TG_LIMIT_CIDR_EXPAND)
		return tg_rego_bi_fail(c, "CIDR %.*s has more than %d addresses; tollgate expands at most that many",
				       (int)(args[0]->u.s.len > 100 ? 100 : args[0]->u.s.len),
				       args[0]->u.s.p, TG_LIMIT_CIDR_EXPAND);
	count = (u128)1 << host;
	if ((r = tg_rego_bi_charge(c, (uint64_t)count)) != TG_OK)
		return r;
	first = to_u128(net.b);
	tg_rego_bi_list_init(&l, c->a);
	for (u128 i = 0; i < count; i++) {
		uint8_t ip[16];
		struct tg_buf b = TG_BUF_INIT(64);
		const struct tg_json *v;
		from_u128(first + i, ip);
		r = ip_string(&b, ip);
		if (r == TG_OK)
			r = tg_rego_bi_buf_str(c, &b, &v);
		tg_buf_release(&b);
		if (r != TG_OK || (r = tg_rego_bi_list_add(&l, v)) != TG_OK)
			return r;
	}
	return tg_rego_bi_list_set(&l, out);
}

static tg_err bi_cidr_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	struct ipnet net;
	UNUSED_NARGS;
	(void)c;
	*out = tg_json_bool(args[0]->type == TG_JSON_STRING &&
			    parse_cidr(args[0]->u.s.p, args[0]->u.s.len, &net));
	return TG_OK;
}

/* net.cidr_merge (OPA's port of netaddr/cilium's merge) */
struct mrange {
	u128 first, last;
	bool orig;        /* not merged: print the input network as Go kept it */
	uint8_t ip[16];   /* the input network's address (unmasked for bare IPv4) */
	int bits, maskw;
};

static int mrange_cmp(const void *x, const void *y)
{
	const struct mrange *a = x, *b = y;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return 0;
}

static tg_err merge_elem(struct tg_rego_bctx *c, const struct tg_json *e, struct mrange *m)
{
	bool v4;
	struct ipnet net;
	uint8_t last[16];
	if (e->type != TG_JSON_STRING)
		return tg_rego_bi_fail(c, "element must be string");
	if (parse_ip(e->u.s.p, e->u.s.len, net.b, &v4)) {
		if (!v4 && !is4(net.b))
			return tg_rego_bi_fail(c, "IPv6 invalid: needs prefix length");
		/* Go's DefaultMask, the address itself unmasked */
		memcpy(m->ip, net.b, 16);
		m->bits = net.b[12] < 0x80 ? 8 : net.b[12] < 0xC0 ? 16 : 24;
		m->maskw = 32;
		net.bits = m->bits;
		net.maskw = 32;
		mask_net(&net);
	} else {
		if (!parse_cidr(e->u.s.p, e->u.s.len, &net))
			return tg_rego_bi_fail(c, "invalid CIDR address: %.*s",
					       (int)(e->u.s.len > 200 ? 200 : e->u.s.len), e->u.s.p);
		memcpy(m->ip, net.b, 16);
		m->bits = net.bits;
		m->maskw = net.maskw;
	}
	net_last(&net, last);
	m->first = to_u128(net.b);
	m->last = to_u128(last);
	m->orig = true;
	return TG_OK;
}

static int ctz128(u128 v)
{
	int k = 0;
	if (v == 0)
		return 128;
	while (!(v & 1)) {
		v >>= 1;
		k++;
	}
	return k;
}

/* floor(log2(span + 1)), 128 when span + 1 overflows */
static int span_bits(u128 span)
{
	int k = 0;
	if (span == ~(u128)0)
		return 128;
	span += 1;
	while (span > 1) {
		span >>= 1;
		k++;
	}
	return k;
}

/* Appends the minimal CIDRs covering [first, last] (the largest aligned
 * block at each step), in IPv4 form within the IPv4-mapped range. */
static tg_err range_cidrs(struct tg_rego_bctx *c, u128 first, u128 last, struct tg_rego_bi_list *l)
{
	const u128 v4lo = (u128)0xffff << 32, v4hi = v4lo | 0xffffffffu;
	bool v4 = first >= v4lo && last <= v4hi;
	tg_err r;
	for (;;) {
		int k = ctz128(first), sb = span_bits(last - first);
		uint8_t ip[16];
		struct tg_buf b = TG_BUF_INIT(80);
		const struct tg_json *v;
		if (sb < k)
			k = sb;
		if (v4 && k > 32)
			k = 32;
		from_u128(first, ip);
		r = v4 ? net_string(&b, ip, 32 - k, 32) : net_string(&b, ip, 128 - k, 128);
		if (r == TG_OK)
			r = tg_rego_bi_buf_str(c, &b, &v);
		tg_buf_release(&b);
		if (r != TG_OK || (r = tg_rego_bi_list_add(l, v)) != TG_OK)
			return r;
		if ((r = tg_rego_bi_charge(c, 1)) != TG_OK)
			return r;
		if (k == 128 || first + (((u128)1 << k) - 1) >= last)
			break;
		first += (u128)1 << k;
	}
	return TG_OK;
}

static tg_err bi_cidr_merge(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	struct mrange *m;
	size_t n;
	struct tg_rego_bi_list l;
	tg_err r;
	UNUSED_NARGS;
	if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_SET)
		return tg_rego_bi_fail(c, "operand must be an array");
	n = v->u.a.len;
	if ((r = tg_rego_bi_charge(c, n)) != TG_OK)
		return r;
	m = tg_arena_alloc_array(c->a, n + 1, sizeof(*m));
	if (!m)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < n; i++)
		if ((r = merge_elem(c, v->u.a.items[i], &m[i])) != TG_OK)
			return r;
	qsort(m, n, sizeof(*m), mrange_cmp);
	/* merge from the end: a range that touches or overlaps the one
	 * before it is folded into it */
	for (size_t i = n; i > 1; i--) {
		struct mrange *cur = &m[i - 1], *prev = &m[i - 2];
		u128 before = cur->first == 0 ? 0 : cur->first - 1;
		/* Go's GetPreviousIP cannot go below zero or below 0.0.0.0 */
		if (cur->first == ((u128)0xffff << 32))
			before = cur->first;
		if (before <= prev->last) {
			prev->first = prev->first < cur->first ? prev->first : cur->first;
			prev->last = cur->last;
			prev->orig = false;
			memmove(cur, cur + 1, (n - i) * sizeof(*m));
			n--;
		}
	}
	tg_rego_bi_list_init(&l, c->a);
	for (size_t i = 0; i < n; i++) {
		if (m[i].orig) {
			struct tg_buf b = TG_BUF_INIT(80);
			const struct tg_json *s;
			r = net_string(&b, m[i].ip, m[i].bits, m[i].maskw);
			if (r == TG_OK)
				r = tg_rego_bi_buf_str(c, &b, &s);
			tg_buf_release(&b);
			if (r != TG_OK || (r = tg_rego_bi_list_add(&l, s)) != TG_OK)
				return r;
		} else if ((r = range_cidrs(c, m[i].first, m[i].last, &l)) != TG_OK) {
			return r;
		}
	}
	return tg_rego_bi_list_set(&l, out);
}

/* ------------------------------------------------------------------ */
/* the network                                                         */
/* ------------------------------------------------------------------ */

static tg_err bi_lookup_ip_addr(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t n;
	uint8_t ip[16];
	bool v4;
	struct tg_rego_bi_list l;
	struct tg_buf b = TG_BUF_INIT(80);
	const struct tg_json *v;
	char host[256];
	struct addrinfo hints, *res = NULL;
	int rc;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	tg_rego_bi_list_init(&l, c->a);
	/* an IP literal is its own answer (Go's resolver does not ask) */
	if (parse_ip(s, n, ip, &v4)) {
		r = ip_string(&b, ip);
		if (r == TG_OK)
			r = tg_rego_bi_buf_str(c, &b, &v);
		tg_buf_release(&b);
		if (r != TG_OK || (r = tg_rego_bi_list_add(&l, v)) != TG_OK)
			return r;
		return tg_rego_bi_list_set(&l, out);
	}
	/* RFC 6761 6.3: localhost names are the loopback addresses, known
	 * without asking anyone */
	{
		size_t k = n && s[n - 1] == '.' ? n - 1 : n;
		if ((k == 9 && strncasecmp(s, "localhost", 9) == 0) ||
		    (k > 10 && strncasecmp(s + k - 10, ".localhost", 10) == 0)) {
			const struct tg_json *v6;
			if ((r = tg_json_new_string(c->a, "127.0.0.1", 9, &v)) != TG_OK ||
			    (r = tg_json_new_string(c->a, "::1", 3, &v6)) != TG_OK ||
			    (r = tg_rego_bi_list_add(&l, v)) != TG_OK ||
			    (r = tg_rego_bi_list_add(&l, v6)) != TG_OK)
				return r;
			return tg_rego_bi_list_set(&l, out);
		}
	}
	/* OPA's verifyHost: names go to the resolver only when allowed */
	if (!tg_rego_net_allowed(c, s, n))
		return tg_rego_net_refuse(c, s, n);
	if (n == 0 || n >= sizeof(host) || memchr(s, '\0', n))
		return tg_rego_bi_fail(c, "lookup %.*s: no such host", (int)(n > 100 ? 100 : n), s);
	memcpy(host, s, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return tg_rego_bi_fail(c, "lookup %s: %s", host,
				       rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sa = (const void *)ai->ai_addr;
			memcpy(ip, v4prefix, 12);
			memcpy(ip + 12, &sa->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sa = (const void *)ai->ai_addr;
			memcpy(ip, &sa->sin6_addr, 16);
		} else {
			continue;
		}
		tg_buf_reset(&b);
		r = ip_string(&b, ip);
		if (r == TG_OK)
			r = tg_rego_bi_buf_str(c, &b, &v);
		if (r == TG_OK)
			r = tg_rego_bi_list_add(&l, v);
		if (r != TG_OK)
			break;
	}
	freeaddrinfo(res);
	tg_buf_release(&b);
	if (r != TG_OK)
		return r;
	return tg_rego_bi_list_set(&l, out);
}

#define CMM_T "any<array[any<array[any], string>], object[string: any<array[any], string>], set[any<array[any], string>], string>"

const struct tg_rego_builtin tg_rego_builtins_net[] = {
	{"net.cidr_contains", NULL, 2, "(string, string) => boolean", bi_cidr_contains, 0},
	{"net.cidr_intersects", NULL, 2, "(string, string) => boolean", bi_cidr_intersects, 0},
	{"net.cidr_overlap", NULL, 2, "(string, string) => boolean", bi_cidr_contains,
	 TG_RB_DEPRECATED},
	{"net.cidr_contains_matches", NULL, 2, "(" CMM_T ", " CMM_T ") => set[array<any, any>]",
	 bi_cidr_contains_matches, 0},
	{"net.cidr_expand", NULL, 1, "(string) => set[string]", bi_cidr_expand, 0},
	{"net.cidr_is_valid", NULL, 1, "(string) => boolean", bi_cidr_is_valid, 0},
	{"net.cidr_merge", NULL, 1, "(any<array[any<string>], set[string]>) => set[string]",
	 bi_cidr_merge, 0},
	{"net.lookup_ip_addr", NULL, 1, "(string) => set[string]", bi_lookup_ip_addr,
	 TG_RB_NET | TG_RB_NONDET},
	/* http.send keeps its own per-query cache (OPA's: cacheable statuses
	 * and errors), so it is not TG_RB_NONDET */
	{"http.send", NULL, 1, "(object[string: any]) => object[any: any]", tg_rego_bi_http_send,
	 TG_RB_NET},
	{NULL, NULL, 0, NULL, NULL, 0},
};
