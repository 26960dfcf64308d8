/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x509.c - X.509 certificates (RFC 5280): strict DER parsing, field getters,
 * a builder that signs only what it assembled from validated template fields,
 * and chain verification at an explicit time against explicit roots.
 */
#include "crypto/crypto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/pem.h"
#include "core/utf8.h"
#include "crypto/crypto_internal.h"

/* RFC 4514 output, but UTF-8 kept as UTF-8 instead of \XX escapes. */
#define TG_X509_NAME_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)
#define TG_X509_SERIAL_MAX 20               /* RFC 5280 4.1.2.2: octets of a serial */
#define TG_X509_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define TG_X509_KU_ALL 0x1ffu
#define TG_X509_EKU_ALL 0x3fu

/* ------------------------------------------------------------------ */
/* Objects                                                             */
/* ------------------------------------------------------------------ */

struct tg_x509 *tg_x509_ref(struct tg_x509 *c)
{
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void tg_x509_free(struct tg_x509 *c)
{
	if (!c)
		return;
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	X509_free(c->x);
	free(c);
}

void tg_x509_list_release(struct tg_x509_list *l)
{
	size_t i;
	if (!l)
		return;
	for (i = 0; i < l->count; i++)
		tg_x509_free(l->certs[i]);
	free(l->certs);
	l->certs = NULL;
	l->count = 0;
}

/* Wraps x (the reference passes to the new object). */
static struct tg_x509 *wrap(X509 *x)
{
	struct tg_x509 *c = tg_xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->x = x;
	return c;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* Appends the RFC 4514 form of a name. */
static tg_err name_append(const X509_NAME *nm, struct tg_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long len;
	tg_err r = TG_E_PARSE;

	if (!b) {
		r = TG_E_CRYPTO;
		goto out;
	}
	if (X509_NAME_print_ex(b, nm, 0, TG_X509_NAME_FLAGS) < 0)
		goto out;
	len = BIO_get_mem_data(b, &p);
	if (len < 0)
		goto out;
	if (len > 0 && memchr(p, '\0', (size_t)len))
		goto out; /* never hand out a string that a C API would cut short */
	r = tg_buf_add(out, p, (size_t)len);
out:
	ERR_clear_error();
	BIO_free(b);
	return r;
}

/* Subject of a certificate for a diagnostic ("?" when it cannot be shown). */
static void name_for_diag(const X509 *x, char *dst, size_t n)
{
	struct tg_buf b = TG_BUF_INIT(TG_DIAG_MSG_MAX);
	if (!x || name_append(X509_get_subject_name(x), &b) != TG_OK)
		snprintf(dst, n, "?");
	else
		snprintf(dst, n, "%s", tg_buf_str(&b));
	tg_buf_release(&b);
}

/* Appends the dotted form of an OID. */
static tg_err oid_append(const ASN1_OBJECT *o, struct tg_buf *out)
{
	char small[128];
	char *big = NULL;
	int n = OBJ_obj2txt(small, sizeof(small), o, 1);
	tg_err r;

	if (n <= 0) {
		ERR_clear_error();
		return TG_E_PARSE;
	}
	if ((size_t)n < sizeof(small))
		return tg_buf_add(out, small, (size_t)n);
	big = tg_xmalloc((size_t)n + 1);
	if (OBJ_obj2txt(big, n + 1, o, 1) != n) {
		ERR_clear_error();
		r = TG_E_PARSE;
	} else {
		r = tg_buf_add(out, big, (size_t)n);
	}
	free(big);
	return r;
}

/* Parses a dotted OID strictly: the text must be exactly OpenSSL's own
 * dotted rendering of the OID it stands for (no names, no leading zeros). */
static ASN1_OBJECT *oid_parse(const char *s)
{
	struct tg_buf b = TG_BUF_INIT(4096);
	ASN1_OBJECT *o;
	size_t i, n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n == 0 || n > 1024)
		return NULL;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return NULL;
	o = OBJ_txt2obj(s, 1);
	if (!o) {
		ERR_clear_error();
		return NULL;
	}
	if (oid_append(o, &b) != TG_OK || b.len != n || memcmp(b.data, s, n) != 0) {
		ASN1_OBJECT_free(o);
		o = NULL;
	}
	tg_buf_release(&b);
	return o;
}

/* Decodes the extension nid. TG_E_NOTFOUND when absent, TG_E_PARSE when
 * malformed or repeated. */
static tg_err ext_get(const X509 *x, int nid, void **out, bool *critical)
{
	int crit = -1;
	void *v = X509_get_ext_d2i(x, nid, &crit, NULL);
	if (!v) {
		ERR_clear_error();
		return crit == -1 ? TG_E_NOTFOUND : TG_E_PARSE;
	}
	*out = v;
	if (critical)
		*critical = crit == 1;
	return TG_OK;
}

/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ
 * (DER: seconds present, no fraction, always Z). */
static bool time_format_ok(const ASN1_TIME *t)
{
	const unsigned char *p = ASN1_STRING_get0_data(t);
	int len = ASN1_STRING_length(t), want, i;
	switch (ASN1_STRING_type(t)) {
	case V_ASN1_UTCTIME:
		want = 13;
		break;
	case V_ASN1_GENERALIZEDTIME:
		want = 15;
		break;
	default:
		return false;
	}
	if (len != want || !p || p[len - 1] != 'Z')
		return false;
	for (i = 0; i < len - 1; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static tg_err time_get(const ASN1_TIME *t, struct tg_time *out)
{
	struct tm tm;
	int64_t days;
	if (!t || !time_format_ok(t))
		return TG_E_PARSE;
	memset(&tm, 0, sizeof(tm));
	if (!ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return TG_E_PARSE;
	}
	days = tg_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
				  (unsigned)tm.tm_mday);
	out->sec = days * 86400 + (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 +
		   (int64_t)tm.tm_sec;
	out->nsec = 0;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* OpenSSL re-emits the bytes it read for a name, so the DER check of the
 * whole certificate does not reach inside names: rebuild each name from its
 * entries and compare. */
static bool name_is_der(const X509_NAME *nm)
{
	X509_NAME *copy = X509_NAME_new();
	const unsigned char *orig = NULL;
	unsigned char *re = NULL;
	size_t origlen = 0;
	int i, n, relen, prev = -1;
	bool ok = false;

	if (!copy || !X509_NAME_get0_der(nm, &orig, &origlen))
		goto out;
	n = X509_NAME_entry_count(nm);
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int set = X509_NAME_ENTRY_set(e);
		if (!X509_NAME_add_entry(copy, e, -1, i > 0 && set == prev ? -1 : 0))
			goto out;
		prev = set;
	}
	relen = i2d_X509_NAME(copy, &re);
	ok = relen > 0 && (size_t)relen == origlen && memcmp(re, orig, origlen) == 0;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	X509_NAME_free(copy);
	return ok;
}

static int obj_ptr_cmp(const void *a, const void *b)
{
	return OBJ_cmp(*(const ASN1_OBJECT *const *)a, *(const ASN1_OBJECT *const *)b);
}

/* RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a
 * particular extension." */
static bool ext_unique(const X509 *x)
{
	int n = X509_get_ext_count(x), i;
	const ASN1_OBJECT **objs;
	bool ok = true;
	if (n < 2)
		return true;
	objs = tg_xcalloc((size_t)n, sizeof(*objs));
	for (i = 0; i < n; i++)
		objs[i] = X509_EXTENSION_get_object(X509_get_ext(x, i));
	qsort(objs, (size_t)n, sizeof(*objs), obj_ptr_cmp);
	for (i = 1; i < n && ok; i++)
		ok = OBJ_cmp(objs[i - 1], objs[i]) != 0;
	free(objs);
	return ok;
}

/* Re-encodes a decoded BIT STRING from its bits alone: DER for a named bit
 * list has no trailing zero bits and zero unused bits (X.690 11.2.2). The
 * highest bit goes first so that the string is allocated once (set_bit
 * grows it a byte at a time: quadratic on a long input otherwise). */
static ASN1_BIT_STRING *bits_canonical(const ASN1_BIT_STRING *b)
{
	ASN1_BIT_STRING *c = ASN1_BIT_STRING_new();
	int i, n = ASN1_STRING_length(b) * 8;
	if (!c)
		return NULL;
	for (i = n - 1; i >= 0; i--) {
		if (ASN1_BIT_STRING_get_bit(b, i) && !ASN1_BIT_STRING_set_bit(c, i, 1)) {
			ASN1_BIT_STRING_free(c);
			return NULL;
		}
	}
	return c;
}

/* A DER element header at p: one tag byte, a definite length in minimal
 * form (at most 4 octets). false for anything else. */
static bool der_header(const uint8_t *p, size_t n, uint8_t *tag, size_t *hlen, size_t *len)
{
	size_t i, k, l;
	if (n < 2 || (p[0] & 0x1f) == 0x1f)
		return false;
	*tag = p[0];
	if (p[1] < 0x80) {
		*hlen = 2;
		*len = p[1];
	} else {
		k = p[1] & 0x7fu;
		if (k == 0 || k > 4 || n < 2 + k || p[2] == 0)
			return false;
		for (l = 0, i = 0; i < k; i++)
			l = l << 8 | p[2 + i];
		if (l < 0x80 || (k > 1 && l < (size_t)1 << (8 * (k - 1))))
			return false;
		*hlen = 2 + k;
		*len = l;
	}
	return *len <= n - *hlen;
}

/*
 * OpenSSL keeps extension values as opaque bytes and writes BOOLEANs and
 * BIT STRINGs back as it read them, so the whole-certificate DER check
 * misses them: check the critical flag (0xFF in DER) and, for the
 * extensions OpenSSL can decode, re-encode the decoded value.
 */
static bool ext_is_der(X509_EXTENSION *e)
{
	const X509V3_EXT_METHOD *m = X509V3_EXT_get(e);
	const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(e);
	unsigned char *a = NULL, *b = NULL;
	const ASN1_ITEM *it;
	void *v = NULL, *canon = NULL;
	int alen, blen, nid;
	bool ok = false;

	/* A non-critical extension's BOOLEAN is absent (an explicit FALSE
	 * fails the whole certificate's DER check); a critical one's is
	 * written back as read, and DER has TRUE as 0xFF only. Its encoding
	 * (fresh but for that byte) is SEQUENCE { OID, BOOLEAN, OCTET STRING }. */
	if (X509_EXTENSION_get_critical(e)) {
		size_t hl, len, off;
		uint8_t tag;
		alen = i2d_X509_EXTENSION(e, &a);
		if (alen <= 0 || !der_header(a, (size_t)alen, &tag, &hl, &len) || tag != 0x30)
			goto out;
		off = hl;
		if (!der_header(a + off, (size_t)alen - off, &tag, &hl, &len) || tag != 0x06)
			goto out;
		off += hl + len;
		if ((size_t)alen - off < 3 || a[off] != 0x01 || a[off + 1] != 0x01 ||
		    a[off + 2] != 0xff)
			goto out;
	}
	ok = true;
	if (!m || !m->it)
		goto out; /* not one OpenSSL interprets: opaque to us too */
	ok = false;
	it = ASN1_ITEM_ptr(m->it);
	v = X509V3_EXT_d2i(e);
	if (!v)
		goto out;
	nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
	if (nid == NID_basic_constraints) {
		BASIC_CONSTRAINTS *bc = v;
		bc->ca = bc->ca ? 0xff : 0;
	} else if (nid == NID_key_usage) {
		canon = bits_canonical(v);
		if (!canon)
			goto out;
	}
	OPENSSL_free(b);
	b = NULL;
	blen = ASN1_item_i2d(canon ? canon : v, &b, it);
	ok = blen > 0 && blen == ASN1_STRING_length(data) &&
	     memcmp(b, ASN1_STRING_get0_data(data), (size_t)blen) == 0;
out:
	ERR_clear_error();
	ASN1_BIT_STRING_free(canon);
	if (v)
		ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
	OPENSSL_free(a);
	OPENSSL_free(b);
	return ok;
}

/* The rules a parsed certificate meets beyond being DER. */
static tg_err cert_check(X509 *x, struct tg_diag *d)
{
	long v = X509_get_version(x);
	int i;
	if (v < X509_VERSION_1 || v > X509_VERSION_3) {
		tg_diag_set(d, "unknown certificate version %ld", v + 1);
		return TG_E_PARSE;
	}
	if (v != X509_VERSION_3 && X509_get_ext_count(x) > 0) {
		tg_diag_set(d, "extensions in a version %ld certificate", v + 1);
		return TG_E_PARSE;
	}
	if (!name_is_der(X509_get_subject_name(x)) || !name_is_der(X509_get_issuer_name(x))) {
		tg_diag_set(d, "certificate name is not DER");
		return TG_E_PARSE;
	}
	if (!time_format_ok(X509_get0_notBefore(x)) || !time_format_ok(X509_get0_notAfter(x))) {
		tg_diag_set(d, "certificate validity is not a UTCTime/GeneralizedTime in Z form");
		return TG_E_PARSE;
	}
	if (!ext_unique(x)) {
		tg_diag_set(d, "certificate repeats an extension");
		return TG_E_PARSE;
	}
	for (i = 0; i < X509_get_ext_count(x); i++) {
		if (!ext_is_der(X509_get_ext(x, i))) {
			tg_diag_set(d, "certificate extension %d is malformed or not DER", i + 1);
			return TG_E_PARSE;
		}
	}
	/* Decodes and caches the extensions OpenSSL knows, once, so that later
	 * readers of this shared object only read. */
	(void)X509_check_purpose(x, -1, 0);
	ERR_clear_error();
	if (X509_get_extension_flags(x) & EXFLAG_INVALID) {
		tg_diag_set(d, "certificate has a malformed extension");
		return TG_E_PARSE;
	}
	return TG_OK;
}

/*
 * The strict DER check. OpenSSL writes a decoded certificate back from the
 * bytes it cached when it read it, so a fresh encoding has to be forced.
 * i2d_re_X509_tbs does that, but it also marks the cached TBSCertificate
 * stale for good: every later i2d_X509, X509_digest and signature check of
 * that certificate (its chain verification) then encodes it again. Instead,
 * the decoded fields are borrowed into these templates of RFC 5280 4.1
 * (Certificate, TBSCertificate, Validity: OpenSSL's own field types, so the
 * encoding is the one i2d_re_X509_tbs would give) and encoded once.
 */
typedef struct {
	ASN1_TIME *not_before;
	ASN1_TIME *not_after;
} TG_X509_DER_VALIDITY;

ASN1_SEQUENCE(TG_X509_DER_VALIDITY) = {
	ASN1_SIMPLE(TG_X509_DER_VALIDITY, not_before, ASN1_TIME),
	ASN1_SIMPLE(TG_X509_DER_VALIDITY, not_after, ASN1_TIME),
} static_ASN1_SEQUENCE_END(TG_X509_DER_VALIDITY)

typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *serial;
	X509_ALGOR *sig_alg;
	X509_NAME *issuer;
	TG_X509_DER_VALIDITY *validity;
	X509_NAME *subject;
	X509_PUBKEY *key;
	ASN1_BIT_STRING *issuer_uid;
	ASN1_BIT_STRING *subject_uid;
	STACK_OF(X509_EXTENSION) *exts;
} TG_X509_DER_TBS;

ASN1_SEQUENCE(TG_X509_DER_TBS) = {
	ASN1_EXP_OPT(TG_X509_DER_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(TG_X509_DER_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(TG_X509_DER_TBS, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(TG_X509_DER_TBS, issuer, X509_NAME),
	ASN1_SIMPLE(TG_X509_DER_TBS, validity, TG_X509_DER_VALIDITY),
	ASN1_SIMPLE(TG_X509_DER_TBS, subject, X509_NAME),
	ASN1_SIMPLE(TG_X509_DER_TBS, key, X509_PUBKEY),
	ASN1_IMP_OPT(TG_X509_DER_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(TG_X509_DER_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(TG_X509_DER_TBS, exts, X509_EXTENSION, 3),
} static_ASN1_SEQUENCE_END(TG_X509_DER_TBS)

typedef struct {
	TG_X509_DER_TBS *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *sig;
} TG_X509_DER_CERT;

ASN1_SEQUENCE(TG_X509_DER_CERT) = {
	ASN1_SIMPLE(TG_X509_DER_CERT, tbs, TG_X509_DER_TBS),
	ASN1_SIMPLE(TG_X509_DER_CERT, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(TG_X509_DER_CERT, sig, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(TG_X509_DER_CERT)

/* 1 when a fresh encoding of x's fields is exactly der, 0 when it differs,
 * -1 when this cannot tell (an unusual version field, a header this does
 * not read): the caller then asks i2d_re_X509_tbs. */
static int der_fresh_equal(const X509 *x, const uint8_t *der, size_t n)
{
	TG_X509_DER_VALIDITY val;
	TG_X509_DER_TBS tbs;
	TG_X509_DER_CERT cert;
	const ASN1_BIT_STRING *iuid = NULL, *suid = NULL, *sig = NULL;
	const X509_ALGOR *alg = NULL;
	unsigned char *re = NULL;
	size_t hl, len, off;
	uint8_t tag;
	long v = X509_get_version(x);
	int relen, ok = -1;

	/* Certificate and TBSCertificate headers: whether the version field
	 * is present ([0] EXPLICIT, DEFAULT v1) is not in the decoded object */
	if (!der_header(der, n, &tag, &hl, &len) || tag != 0x30)
		return -1;
	off = hl;
	if (!der_header(der + off, n - off, &tag, &hl, &len) || tag != 0x30 || len < 1)
		return -1;
	off += hl;
	if (v < X509_VERSION_1 || v > X509_VERSION_3)
		return -1;
	memset(&tbs, 0, sizeof(tbs));
	if (der[off] == 0xa0) {
		tbs.version = ASN1_INTEGER_new();
		if (!tbs.version || !ASN1_INTEGER_set(tbs.version, v))
			goto out;
	}
	val.not_before = (ASN1_TIME *)X509_get0_notBefore(x);
	val.not_after = (ASN1_TIME *)X509_get0_notAfter(x);
	X509_get0_uids(x, &iuid, &suid);
	tbs.serial = (ASN1_INTEGER *)X509_get0_serialNumber(x);
	tbs.sig_alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
	tbs.issuer = X509_get_issuer_name(x);
	tbs.validity = &val;
	tbs.subject = X509_get_subject_name(x);
	tbs.key = X509_get_X509_PUBKEY(x);
	tbs.issuer_uid = (ASN1_BIT_STRING *)iuid;
	tbs.subject_uid = (ASN1_BIT_STRING *)suid;
	tbs.exts = (STACK_OF(X509_EXTENSION) *)X509_get0_extensions(x);
	X509_get0_signature(&sig, &alg, x);
	cert.tbs = &tbs;
	cert.sig_alg = (X509_ALGOR *)alg;
	cert.sig = (ASN1_BIT_STRING *)sig;
	if (!cert.tbs->serial || !cert.sig_alg || !cert.sig || !tbs.sig_alg || !tbs.key ||
	    !val.not_before || !val.not_after)
		goto out;
	relen = ASN1_item_i2d((ASN1_VALUE *)&cert, &re, ASN1_ITEM_rptr(TG_X509_DER_CERT));
	if (relen <= 0)
		goto out;
	ok = (size_t)relen == n && memcmp(re, der, n) == 0;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	ASN1_INTEGER_free(tbs.version);
	return ok;
}

tg_err tg_x509_from_der(const uint8_t *der, size_t n, struct tg_x509 **out, struct tg_diag *d)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	X509 *x = NULL;
	int relen;
	tg_err r = TG_E_PARSE;

	if (n == 0 || !der) {
		tg_diag_set(d, "empty certificate");
		return TG_E_PARSE;
	}
	if (n > TG_LIMIT_DER) {
		tg_diag_set(d, "certificate of %zu bytes exceeds the limit of %zu", n,
			    (size_t)TG_LIMIT_DER);
		return TG_E_TOOBIG;
	}
	x = d2i_X509(NULL, &p, (long)n);
	if (!x) {
		ERR_clear_error();
		tg_diag_set(d, "malformed certificate");
		goto out;
	}
	if ((size_t)(p - der) != n) {
		tg_diag_set(d, "%zu trailing bytes after the certificate", n - (size_t)(p - der));
		goto out;
	}
	/* A BER input re-encodes differently. */
	switch (der_fresh_equal(x, der, n)) {
	case 1:
		break;
	case 0:
		goto bad_der;
	default:
		/* Force a fresh encoding of tbsCertificate (OpenSSL would
		 * otherwise re-emit the bytes it read). */
		if (i2d_re_X509_tbs(x, NULL) <= 0)
			goto bad_der;
		relen = i2d_X509(x, &re);
		if (relen <= 0 || (size_t)relen != n || memcmp(re, der, n) != 0)
			goto bad_der;
	}
	r = cert_check(x, d);
	if (r != TG_OK)
		goto out;
	*out = wrap(x);
	x = NULL;
	r = TG_OK;
	goto out;
bad_der:
	tg_diag_set(d, "certificate is not DER (it re-encodes differently)");
	r = TG_E_PARSE;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	X509_free(x);
	return r;
}

tg_err tg_x509_list_from_pem(const char *pem, size_t n, struct tg_x509_list *out,
			     struct tg_diag *d)
{
	struct tg_pem_list l = {NULL, 0};
	struct tg_x509_list res = {NULL, 0};
	size_t i;
	tg_err r;

	r = tg_pem_decode(pem, n, &l, d);
	if (r != TG_OK)
		return r;
	res.certs = tg_xcalloc(l.count, sizeof(*res.certs));
	for (i = 0; i < l.count; i++) {
		if (strcmp(l.blocks[i].label, "CERTIFICATE") != 0) {
			tg_diag_set(d, "PEM block %zu is \"%s\", not a CERTIFICATE", i + 1,
				    l.blocks[i].label);
			r = TG_E_PARSE;
			goto out;
		}
		r = tg_x509_from_der(l.blocks[i].der, l.blocks[i].len, &res.certs[res.count], d);
		if (r != TG_OK) {
			tg_diag_prefix(d, "certificate %zu", i + 1);
			goto out;
		}
		res.count++;
	}
	*out = res;
	res.certs = NULL;
	res.count = 0;
	r = TG_OK;
out:
	tg_x509_list_release(&res);
	tg_pem_list_release(&l);
	return r;
}

tg_err tg_x509_to_der(const struct tg_x509 *c, struct tg_buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_X509(c->x, &der);
	tg_err r;
	if (len <= 0) {
		ERR_clear_error();
		return TG_E_CRYPTO;
	}
	r = tg_buf_add(out, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}

tg_err tg_x509_to_pem(const struct tg_x509 *c, struct tg_buf *out)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	tg_err r = tg_x509_to_der(c, &der);
	if (r == TG_OK)
		r = tg_pem_encode(out, "CERTIFICATE", der.data, der.len);
	tg_buf_release(&der);
	return r;
}

/* ------------------------------------------------------------------ */
/* Getters                                                             */
/* ------------------------------------------------------------------ */

tg_err tg_x509_serial_hex(const struct tg_x509 *c, struct tg_buf *out)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(c->x);
	const unsigned char *p = ASN1_STRING_get0_data(s);
	size_t len = (size_t)ASN1_STRING_length(s), before = out->len;
	static const uint8_t zero = 0;
	tg_err r = TG_OK;

	/* OpenSSL keeps the magnitude and the sign in the type. */
	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER)
		r = tg_buf_addc(out, '-');
	if (r == TG_OK)
		r = len ? tg_hex_encode(out, p, len) : tg_hex_encode(out, &zero, 1);
	if (r != TG_OK)
		tg_buf_truncate(out, before);
	return r;
}

tg_err tg_x509_subject(const struct tg_x509 *c, struct tg_buf *out)
{
	return name_append(X509_get_subject_name(c->x), out);
}

tg_err tg_x509_issuer(const struct tg_x509 *c, struct tg_buf *out)
{
	return name_append(X509_get_issuer_name(c->x), out);
}

tg_err tg_x509_validity(const struct tg_x509 *c, struct tg_time *not_before,
			struct tg_time *not_after)
{
	struct tg_time nb, na;
	tg_err r = time_get(X509_get0_notBefore(c->x), &nb);
	if (r == TG_OK)
		r = time_get(X509_get0_notAfter(c->x), &na);
	if (r != TG_OK)
		return r;
	if (not_before)
		*not_before = nb;
	if (not_after)
		*not_after = na;
	return TG_OK;
}

tg_err tg_x509_public_key(const struct tg_x509 *c, struct tg_key **out)
{
	EVP_PKEY *pkey = X509_get0_pubkey(c->x);
	struct tg_key *k = NULL;
	tg_err r;

	if (!pkey) {
		ERR_clear_error();
		return TG_E_KEY;
	}
	if (!EVP_PKEY_up_ref(pkey))
		return TG_E_CRYPTO;
	r = tg_key_wrap(pkey, false, &k);
	if (r != TG_OK) {
		EVP_PKEY_free(pkey);
		return r;
	}
	/* A key from a certificate meets the same rules as any other key. */
	r = tg_key_validate(k, NULL);
	if (r != TG_OK) {
		tg_key_free(k);
		return r;
	}
	*out = k;
	return TG_OK;
}

tg_err tg_x509_basic_constraints(const struct tg_x509 *c, struct tg_x509_basic *out)
{
	BASIC_CONSTRAINTS *bc = NULL;
	struct tg_x509_basic res = {false, false, false, -1};
	int64_t pl;
	tg_err r = ext_get(c->x, NID_basic_constraints, (void **)&bc, &res.critical);

	if (r == TG_E_NOTFOUND) {
		*out = res;
		return TG_OK;
	}
	if (r != TG_OK)
		return r;
	res.present = true;
	res.ca = bc->ca != 0;
	if (bc->pathlen) {
		if (!ASN1_INTEGER_get_int64(&pl, bc->pathlen) || pl < 0 || pl > INT32_MAX) {
			ERR_clear_error();
			r = TG_E_PARSE;
			goto out;
		}
		res.path_len = (int)pl;
	}
	*out = res;
	r = TG_OK;
out:
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

tg_err tg_x509_key_usage(const struct tg_x509 *c, bool *present, bool *critical, unsigned *bits)
{
	ASN1_BIT_STRING *ku = NULL;
	bool crit = false;
	unsigned b = 0;
	int i;
	tg_err r = ext_get(c->x, NID_key_usage, (void **)&ku, &crit);

	if (r == TG_E_NOTFOUND) {
		*present = false;
		*critical = false;
		*bits = 0;
		return TG_OK;
	}
	if (r != TG_OK)
		return r;
	/* RFC 5280 4.2.1.3: bit i of the BIT STRING is TG_KU_* 1 << i */
	for (i = 0; i <= 8; i++)
		if (ASN1_BIT_STRING_get_bit(ku, i))
			b |= 1u << i;
	ASN1_BIT_STRING_free(ku);
	*present = true;
	*critical = crit;
	*bits = b;
	return TG_OK;
}

static unsigned eku_bit(int nid)
{
	switch (nid) {
	case NID_server_auth:
		return TG_EKU_SERVER_AUTH;
	case NID_client_auth:
		return TG_EKU_CLIENT_AUTH;
	case NID_code_sign:
		return TG_EKU_CODE_SIGNING;
	case NID_email_protect:
		return TG_EKU_EMAIL_PROTECTION;
	case NID_time_stamp:
		return TG_EKU_TIME_STAMPING;
	case NID_OCSP_sign:
		return TG_EKU_OCSP_SIGNING;
	default:
		return 0;
	}
}

/* Reads the EKU bits; *any tells whether anyExtendedKeyUsage is listed. */
static tg_err eku_read(const X509 *x, bool *present, bool *critical, unsigned *bits, bool *any,
		       struct tg_buf *oids)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	size_t before = oids ? oids->len : 0;
	bool crit = false, has_any = false;
	unsigned b = 0;
	int i;
	tg_err r = ext_get(x, NID_ext_key_usage, (void **)&eku, &crit);

	if (r == TG_E_NOTFOUND) {
		*present = false;
		*critical = false;
		*bits = 0;
		if (any)
			*any = false;
		return TG_OK;
	}
	if (r != TG_OK)
		return r;
	if (sk_ASN1_OBJECT_num(eku) < 1) {
		r = TG_E_PARSE; /* RFC 5280 4.2.1.12: SIZE (1..MAX) */
		goto out;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);
		b |= eku_bit(nid);
		if (nid == NID_anyExtendedKeyUsage)
			has_any = true;
		if (oids) {
			r = oid_append(o, oids);
			if (r == TG_OK)
				r = tg_buf_addc(oids, '\n');
			if (r != TG_OK)
				goto out;
		}
	}
	*present = true;
	*critical = crit;
	*bits = b;
	if (any)
		*any = has_any;
	r = TG_OK;
out:
	if (r != TG_OK && oids)
		tg_buf_truncate(oids, before);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return r;
}

tg_err tg_x509_ext_key_usage(const struct tg_x509 *c, bool *present, bool *critical,
			     unsigned *bits, struct tg_buf *oids)
{
	return eku_read(c->x, present, critical, bits, NULL, oids);
}

/* An IA5String SAN value: non-empty printable ASCII; in particular no NUL,
 * which would let "a.example\0.evil" pass as two different names. */
static tg_err ia5_dup(const ASN1_IA5STRING *s, struct tg_arena *a, const char **out,
		      size_t *len)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s), i;
	char *v;
	if (n <= 0 || !p)
		return TG_E_PARSE;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return TG_E_PARSE;
	v = tg_arena_strndup(a, (const char *)p, (size_t)n);
	if (!v)
		return TG_E_TOOBIG;
	*out = v;
	*len = (size_t)n;
	return TG_OK;
}

static tg_err ip_text(const ASN1_OCTET_STRING *s, struct tg_arena *a, const char **out,
		      size_t *len)
{
	char txt[INET6_ADDRSTRLEN];
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	size_t tl;
	char *v;
	if (n == 4) {
		if (!inet_ntop(AF_INET, p, txt, sizeof(txt)))
			return TG_E_PARSE;
	} else if (n == 16) {
		if (!inet_ntop(AF_INET6, p, txt, sizeof(txt)))
			return TG_E_PARSE;
	} else {
		return TG_E_PARSE; /* RFC 5280 4.2.1.6: 4 or 16 octets in a SAN */
	}
	tl = strlen(txt);
	v = tg_arena_strndup(a, txt, tl);
	if (!v)
		return TG_E_TOOBIG;
	*out = v;
	*len = tl;
	return TG_OK;
}

static tg_err oid_text(const ASN1_OBJECT *o, struct tg_arena *a, const char **out, size_t *len)
{
	struct tg_buf b = TG_BUF_INIT(4096);
	char *v;
	tg_err r = oid_append(o, &b);
	if (r == TG_OK) {
		v = tg_arena_strndup(a, tg_buf_str(&b), b.len);
		if (!v) {
			r = TG_E_TOOBIG;
		} else {
			*out = v;
			*len = b.len;
		}
	}
	tg_buf_release(&b);
	return r;
}

tg_err tg_x509_sans(const struct tg_x509 *c, struct tg_arena *a, const struct tg_san **out,
		    size_t *count, bool *critical)
{
	GENERAL_NAMES *gens = NULL;
	struct tg_san *sans = NULL;
	bool crit = false;
	size_t n = 0;
	int i, total;
	tg_err r = ext_get(c->x, NID_subject_alt_name, (void **)&gens, &crit);

	if (r == TG_E_NOTFOUND) {
		*out = NULL;
		*count = 0;
		*critical = false;
		return TG_OK;
	}
	if (r != TG_OK)
		return r;
	total = sk_GENERAL_NAME_num(gens);
	if (total < 1) {
		r = TG_E_PARSE; /* GeneralNames ::= SEQUENCE SIZE (1..MAX) */
		goto out;
	}
	if (total > TG_LIMIT_SAN) {
		r = TG_E_TOOBIG;
		goto out;
	}
	sans = tg_arena_alloc_array(a, (size_t)total, sizeof(*sans));
	if (!sans) {
		r = TG_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < total; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		struct tg_san *s = &sans[n];
		switch (g->type) {
		case GEN_DNS:
			s->type = TG_SAN_DNS;
			r = ia5_dup(g->d.dNSName, a, &s->value, &s->len);
			break;
		case GEN_URI:
			s->type = TG_SAN_URI;
			r = ia5_dup(g->d.uniformResourceIdentifier, a, &s->value, &s->len);
			break;
		case GEN_EMAIL:
			s->type = TG_SAN_EMAIL;
			r = ia5_dup(g->d.rfc822Name, a, &s->value, &s->len);
			break;
		case GEN_IPADD:
			s->type = TG_SAN_IP;
			r = ip_text(g->d.iPAddress, a, &s->value, &s->len);
			break;
		case GEN_OTHERNAME:
			s->type = TG_SAN_OTHER;
			r = oid_text(g->d.otherName->type_id, a, &s->value, &s->len);
			break;
		default:
			/* x400Address, directoryName, ediPartyName, registeredID:
			 * not represented by struct tg_san, so not returned */
			continue;
		}
		if (r != TG_OK)
			goto out;
		n++;
	}
	*out = n ? sans : NULL;
	*count = n;
	*critical = crit;
	r = TG_OK;
out:
	GENERAL_NAMES_free(gens);
	return r;
}

tg_err tg_x509_ext(const struct tg_x509 *c, const char *oid, bool *critical, struct tg_buf *value)
{
	ASN1_OBJECT *o = oid_parse(oid);
	int i, n;
	tg_err r = TG_E_NOTFOUND;

	if (!o)
		return TG_E_INVAL;
	n = X509_get_ext_count(c->x);
	for (i = 0; i < n; i++) {
		X509_EXTENSION *e = X509_get_ext(c->x, i);
		const ASN1_OCTET_STRING *v;
		if (OBJ_cmp(X509_EXTENSION_get_object(e), o) != 0)
			continue;
		v = X509_EXTENSION_get_data(e);
		r = tg_buf_add(value, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
		if (r == TG_OK && critical)
			*critical = X509_EXTENSION_get_critical(e) != 0;
		break; /* extensions are unique (checked when parsed) */
	}
	ASN1_OBJECT_free(o);
	return r;
}

tg_err tg_x509_tbs_without_ext(const struct tg_x509 *c, const char *oid, struct tg_buf *out)
{
	ASN1_OBJECT *o = oid_parse(oid);
	X509 *dup = NULL;
	unsigned char *der = NULL;
	int i, len;
	tg_err r = TG_E_NOTFOUND;

	if (!o)
		return TG_E_INVAL;
	dup = X509_dup(c->x);
	if (!dup) {
		r = TG_E_CRYPTO;
		goto out;
	}
	i = X509_get_ext_by_OBJ(dup, o, -1);
	if (i < 0)
		goto out;
	X509_EXTENSION_free(X509_delete_ext(dup, i));
	/* i2d_re_X509_tbs re-encodes the modified TBSCertificate (RFC 6962
	 * 3.2: the precertificate TBS the log signed) */
	len = i2d_re_X509_tbs(dup, &der);
	if (len <= 0) {
		r = TG_E_CRYPTO;
		goto out;
	}
	r = tg_buf_add(out, der, (size_t)len);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_free(dup);
	ASN1_OBJECT_free(o);
	return r;
}

/* ------------------------------------------------------------------ */
/* Builder                                                             */
/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int nid;
} name_attrs[] = {
	{"CN", NID_commonName},          {"O", NID_organizationName},
	{"OU", NID_organizationalUnitName}, {"C", NID_countryName},
	{"L", NID_localityName},         {"ST", NID_stateOrProvinceName},
	{"DC", NID_domainComponent},
};

/*
 * Parses the small RFC 4514 subset "CN=a,O=b": attributes from name_attrs
 * (exact case), no spaces around separators, one attribute per RDN, and
 * backslash escapes for ',' '+' '=' '\' only. The string lists RDNs from
 * the last to the first (RFC 4514 2.1), so each one is inserted in front.
 */
static tg_err subject_parse(const char *s, X509_NAME **out, struct tg_diag *d)
{
	X509_NAME *nm = X509_NAME_new();
	struct tg_buf val = TG_BUF_INIT(TG_LIMIT_LINE);
	size_t n = s ? strlen(s) : 0, pos = 0, start, i;
	tg_err r = TG_E_INVAL;

	if (!nm) {
		r = TG_E_CRYPTO;
		goto out;
	}
	if (n > TG_LIMIT_LINE) {
		tg_diag_set(d, "subject is longer than %zu bytes", (size_t)TG_LIMIT_LINE);
		r = TG_E_TOOBIG;
		goto out;
	}
	while (pos < n) {
		int nid = NID_undef;
		start = pos;
		while (pos < n && s[pos] != '=' && s[pos] != ',')
			pos++;
		for (i = 0; i < TG_ARRAY_LEN(name_attrs); i++)
			if (strlen(name_attrs[i].name) == pos - start &&
			    memcmp(name_attrs[i].name, s + start, pos - start) == 0)
				nid = name_attrs[i].nid;
		if (pos == n || s[pos] != '=') {
			tg_diag_at(d, 1, (uint32_t)pos + 1, pos, "expected '=' after the attribute");
			goto out;
		}
		if (nid == NID_undef) {
			tg_diag_at(d, 1, (uint32_t)start + 1, start,
				   "unknown attribute '%.*s' (CN, O, OU, C, L, ST, DC)",
				   (int)(pos - start), s + start);
			goto out;
		}
		pos++;
		tg_buf_reset(&val);
		start = pos;
		while (pos < n && s[pos] != ',') {
			unsigned char ch = (unsigned char)s[pos];
			if (ch == '\\') {
				if (pos + 1 == n || !strchr(",+=\\", s[pos + 1])) {
					tg_diag_at(d, 1, (uint32_t)pos + 1, pos,
						   "bad escape (only \\, \\+ \\= \\\\)");
					goto out;
				}
				ch = (unsigned char)s[pos + 1];
				pos += 2;
			} else if (ch == '+' || ch == '=' || ch == '"' || ch == ';' || ch == '<' ||
				   ch == '>' || ch < 0x20 || ch == 0x7f) {
				tg_diag_at(d, 1, (uint32_t)pos + 1, pos,
					   ch == '+' ? "multi-valued RDNs are not supported "
						       "(escape a literal '+' as '\\+')"
						     : "character not allowed here");
				goto out;
			} else {
				pos++;
			}
			r = tg_buf_addc(&val, ch);
			if (r != TG_OK)
				goto out;
			r = TG_E_INVAL;
		}
		if (val.len == 0 || val.data[0] == ' ' || val.data[val.len - 1] == ' ' ||
		    val.data[0] == '#') {
			tg_diag_at(d, 1, (uint32_t)start + 1, start,
				   "empty value, or a value that starts with '#' or starts or ends "
				   "with a space");
			goto out;
		}
		if (!tg_utf8_valid(val.data, val.len, NULL)) {
			tg_diag_at(d, 1, (uint32_t)start + 1, start, "value is not UTF-8");
			goto out;
		}
		/* OpenSSL's string table picks the type (PrintableString for C,
		 * IA5String for DC, UTF8String otherwise) and enforces the upper
		 * bounds of RFC 5280 appendix A. */
		if (!X509_NAME_add_entry_by_NID(nm, nid, MBSTRING_UTF8, val.data, (int)val.len, 0,
						0)) {
			ERR_clear_error();
			tg_diag_at(d, 1, (uint32_t)start + 1, start,
				   "value is too long or not allowed for this attribute");
			goto out;
		}
		if (pos < n) {
			pos++; /* ',' */
			if (pos == n) {
				tg_diag_at(d, 1, (uint32_t)pos, pos - 1, "trailing ','");
				goto out;
			}
		}
	}
	*out = nm;
	nm = NULL;
	r = TG_OK;
out:
	tg_buf_release(&val);
	X509_NAME_free(nm);
	return r;
}

/* RFC 1034 3.5 preferred name syntax, with "*" allowed as the first label
 * when wildcard is set. */
static bool dns_ok(const char *s, size_t n, bool wildcard)
{
	size_t i = 0, lab;
	if (n == 0 || n > 253)
		return false;
	if (wildcard && n > 2 && s[0] == '*' && s[1] == '.')
		i = 2;
	while (i < n) {
		lab = 0;
		while (i < n && s[i] != '.') {
			char ch = s[i];
			bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				     (ch >= '0' && ch <= '9');
			if (!alnum && !(ch == '-' && lab > 0 && i + 1 < n && s[i + 1] != '.'))
				return false;
			lab++;
			i++;
		}
		if (lab == 0 || lab > 63)
			return false;
		if (i < n) {
			i++;
			if (i == n)
				return false; /* trailing dot */
		}
	}
	return true;
}

/* RFC 5280 4.2.1.6: an absolute URI (a scheme) in printable ASCII. */
static bool uri_ok(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || n > TG_LIMIT_LINE)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; i < n && s[i] != ':'; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))
			return false;
	}
	return i < n && i + 1 < n; /* a scheme, a ':' and something after it */
}

/* RFC 5280 4.2.1.6 rfc822Name: local-part@domain, printable ASCII. */
static bool email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i, local;
	if (!at || n > 320)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || memchr(at + 1, '@', n - local - 1))
		return false;
	for (i = 0; i < local; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return dns_ok(at + 1, n - local - 1, false);
}

static tg_err san_add(GENERAL_NAMES *gens, int type, const char *v, size_t n)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	if (!s || !g || !ASN1_STRING_set(s, v, (int)n))
		goto fail;
	GENERAL_NAME_set0_value(g, type, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(gens, g))
		goto fail;
	return TG_OK;
fail:
	ERR_clear_error();
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(g);
	return TG_E_CRYPTO;
}

/* Builds the SAN list from the template's lists, validating each name. */
static tg_err sans_build(const struct tg_x509_tmpl *t, GENERAL_NAMES **out, struct tg_diag *d)
{
	static const char *const kinds[] = {"URI", "DNS", "email"};
	const char *const *lists[3];
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	size_t total = 0, k, i;
	tg_err r = TG_E_INVAL;

	lists[0] = t->san_uri;
	lists[1] = t->san_dns;
	lists[2] = t->san_email;
	if (!gens) {
		r = TG_E_CRYPTO;
		goto out;
	}
	for (k = 0; k < 3; k++) {
		for (i = 0; lists[k] && lists[k][i]; i++) {
			const char *v = lists[k][i];
			size_t n = strlen(v);
			bool ok = k == 0 ? uri_ok(v, n) : k == 1 ? dns_ok(v, n, true) : email_ok(v, n);
			int type = k == 0 ? GEN_URI : k == 1 ? GEN_DNS : GEN_EMAIL;
			if (!ok) {
				tg_diag_set(d, "invalid %s subject alternative name '%.100s'", kinds[k],
					    v);
				r = TG_E_INVAL;
				goto out;
			}
			if (++total > TG_LIMIT_SAN) {
				tg_diag_set(d, "more than %d subject alternative names", TG_LIMIT_SAN);
				r = TG_E_TOOBIG;
				goto out;
			}
			r = san_add(gens, type, v, n);
			if (r != TG_OK)
				goto out;
		}
	}
	*out = gens;
	gens = NULL;
	r = TG_OK;
out:
	GENERAL_NAMES_free(gens);
	return r;
}

static tg_err serial_make(const struct tg_x509_tmpl *t, ASN1_INTEGER **out, struct tg_diag *d)
{
	uint8_t rnd[TG_X509_SERIAL_MAX];
	const uint8_t *p;
	size_t n, i;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	tg_err r = TG_E_INVAL;

	if (t->serial) {
		p = t->serial;
		n = t->serial_len;
		while (n && p[0] == 0) {
			p++;
			n--;
		}
		if (n == 0) {
			tg_diag_set(d, "serial number must be positive");
			goto out;
		}
		/* a set top bit costs a leading zero octet in the encoding */
		if (n > TG_X509_SERIAL_MAX || (n == TG_X509_SERIAL_MAX && (p[0] & 0x80))) {
			tg_diag_set(d, "serial number is longer than %d octets", TG_X509_SERIAL_MAX);
			goto out;
		}
	} else {
		bool zero;
		do {
			r = tg_rand_bytes(rnd, sizeof(rnd));
			if (r != TG_OK)
				goto out;
			rnd[0] &= 0x7f;
			zero = true;
			for (i = 0; i < sizeof(rnd); i++)
				zero = zero && rnd[i] == 0;
		} while (zero);
		p = rnd;
		n = sizeof(rnd);
	}
	r = TG_E_CRYPTO;
	bn = BN_bin2bn(p, (int)n, NULL);
	if (!bn || !(ai = BN_to_ASN1_INTEGER(bn, NULL)))
		goto out;
	*out = ai;
	r = TG_OK;
out:
	ERR_clear_error();
	BN_free(bn);
	return r;
}

/* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. */
static tg_err key_id(const X509_PUBKEY *pk, ASN1_OCTET_STRING **out)
{
	const unsigned char *bits = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	int blen = 0;
	ASN1_OCTET_STRING *os = NULL;

	if (!X509_PUBKEY_get0_param(NULL, &bits, &blen, NULL, pk) || blen <= 0 ||
	    !EVP_Q_digest(NULL, "SHA1", NULL, bits, (size_t)blen, md, &mdlen) ||
	    !(os = ASN1_OCTET_STRING_new()) || !ASN1_OCTET_STRING_set(os, md, (int)mdlen)) {
		ERR_clear_error();
		ASN1_OCTET_STRING_free(os);
		return TG_E_CRYPTO;
	}
	*out = os;
	return TG_OK;
}

/* Key usage bits that make sense for the subject key (RFC 8410 5,
 * RFC 5480 3, RFC 3279 2.3.1) and together (RFC 5280 4.2.1.3, 4.2.1.9). */
static tg_err ku_check(const struct tg_x509_tmpl *t, enum tg_key_type kt, struct tg_diag *d)
{
	unsigned ku = t->key_usage, bad = 0;
	if (ku & ~TG_X509_KU_ALL) {
		tg_diag_set(d, "unknown key usage bits 0x%x", ku & ~TG_X509_KU_ALL);
		return TG_E_INVAL;
	}
	if (t->is_ca && !(ku & TG_KU_KEY_CERT_SIGN)) {
		tg_diag_set(d, "a CA certificate needs the keyCertSign key usage");
		return TG_E_INVAL;
	}
	if (!t->is_ca && (ku & TG_KU_KEY_CERT_SIGN)) {
		tg_diag_set(d, "keyCertSign key usage needs a CA certificate");
		return TG_E_INVAL;
	}
	if ((ku & (TG_KU_ENCIPHER_ONLY | TG_KU_DECIPHER_ONLY)) && !(ku & TG_KU_KEY_AGREEMENT)) {
		tg_diag_set(d, "encipherOnly/decipherOnly need keyAgreement");
		return TG_E_INVAL;
	}
	switch (kt) {
	case TG_KEY_ED25519:
		bad = TG_KU_KEY_ENCIPHERMENT | TG_KU_DATA_ENCIPHERMENT | TG_KU_KEY_AGREEMENT |
		      TG_KU_ENCIPHER_ONLY | TG_KU_DECIPHER_ONLY;
		break;
	case TG_KEY_EC_P256:
	case TG_KEY_EC_P384:
	case TG_KEY_EC_P521:
		bad = TG_KU_KEY_ENCIPHERMENT | TG_KU_DATA_ENCIPHERMENT;
		break;
	case TG_KEY_RSA:
		bad = TG_KU_KEY_AGREEMENT | TG_KU_ENCIPHER_ONLY | TG_KU_DECIPHER_ONLY;
		break;
	default:
		break;
	}
	if (ku & bad) {
		tg_diag_set(d, "key usage 0x%x does not fit a %s key", ku & bad,
			    tg_key_type_name(kt));
		return TG_E_INVAL;
	}
	return TG_OK;
}

static tg_err time_set(X509 *x, bool before, struct tg_time t)
{
	ASN1_TIME *at;
	int ok;
	if (t.sec < 0 || t.sec > TG_X509_TIME_MAX)
		return TG_E_RANGE;
	/* ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime from
	 * 2050 on, as RFC 5280 4.1.2.5 requires. */
	at = ASN1_TIME_set(NULL, (time_t)t.sec);
	if (!at)
		return TG_E_CRYPTO;
	ok = before ? X509_set1_notBefore(x, at) : X509_set1_notAfter(x, at);
	ASN1_TIME_free(at);
	return ok ? TG_OK : TG_E_CRYPTO;
}

/* The extensions the builder writes itself; extra ones must not repeat them. */
static bool ext_owned(int nid)
{
	return nid == NID_basic_constraints || nid == NID_key_usage || nid == NID_ext_key_usage ||
	       nid == NID_subject_alt_name || nid == NID_subject_key_identifier ||
	       nid == NID_authority_key_identifier;
}

/* One extra extension: a dotted OID and exactly one definite-length DER
 * element as its value. */
static tg_err ext_extra_add(X509 *x, const struct tg_x509_ext_tmpl *e, struct tg_diag *d)
{
	ASN1_OBJECT *o = oid_parse(e->oid);
	ASN1_TYPE *any = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;
	const unsigned char *p = e->der;
	unsigned char *re = NULL;
	int relen;
	tg_err r = TG_E_INVAL;

	if (!o) {
		tg_diag_set(d, "extension OID '%.64s' is not a dotted OID", e->oid ? e->oid : "");
		goto out;
	}
	if (ext_owned(OBJ_obj2nid(o))) {
		tg_diag_set(d, "extension %s is written by the builder itself", e->oid);
		goto out;
	}
	if (X509_get_ext_by_OBJ(x, o, -1) >= 0) {
		tg_diag_set(d, "extension %s given twice", e->oid);
		goto out;
	}
	if (!e->der || e->len == 0 || e->len > TG_LIMIT_DER) {
		tg_diag_set(d, "extension %s has an empty or oversized value", e->oid);
		goto out;
	}
	any = d2i_ASN1_TYPE(NULL, &p, (long)e->len);
	relen = any ? i2d_ASN1_TYPE(any, &re) : -1;
	if (!any || (size_t)(p - e->der) != e->len || relen <= 0 || (size_t)relen != e->len ||
	    memcmp(re, e->der, e->len) != 0) {
		tg_diag_set(d, "extension %s value is not one DER element", e->oid);
		goto out;
	}
	r = TG_E_CRYPTO;
	os = ASN1_OCTET_STRING_new();
	if (!os || !ASN1_OCTET_STRING_set(os, e->der, (int)e->len))
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, o, e->critical ? 1 : 0, os);
	if (!ext || !X509_add_ext(x, ext, -1))
		goto out;
	r = TG_OK;
out:
	ERR_clear_error();
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	OPENSSL_free(re);
	ASN1_TYPE_free(any);
	ASN1_OBJECT_free(o);
	return r;
}

/* Adds the extensions, in a fixed order. */
static tg_err exts_add(X509 *x, const struct tg_x509_tmpl *t, bool empty_subject,
		       const struct tg_x509 *issuer, struct tg_diag *d)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	GENERAL_NAMES *gens = NULL;
	ASN1_OCTET_STRING *ski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	size_t i;
	int bit;
	tg_err r = TG_E_CRYPTO;

	/* RFC 5280 4.2.1.9: critical; CA:FALSE is written too (an empty
	 * SEQUENCE) so that no verifier has to guess. */
	if (!bc)
		goto out;
	bc->ca = t->is_ca ? 0xff : 0;
	if (t->is_ca && t->path_len >= 0) {
		bc->pathlen = ASN1_INTEGER_new();
		if (!bc->pathlen || !ASN1_INTEGER_set(bc->pathlen, t->path_len))
			goto out;
	}
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) != 1)
		goto out;

	if (t->key_usage) {
		ku = ASN1_BIT_STRING_new();
		if (!ku)
			goto out;
		for (bit = 0; bit <= 8; bit++)
			if ((t->key_usage & (1u << bit)) && !ASN1_BIT_STRING_set_bit(ku, bit, 1))
				goto out;
		if (X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) != 1)
			goto out;
	}

	if (t->ext_key_usage) {
		static const int nids[] = {NID_server_auth, NID_client_auth, NID_code_sign,
					   NID_email_protect, NID_time_stamp, NID_OCSP_sign};
		eku = sk_ASN1_OBJECT_new_null();
		if (!eku)
			goto out;
		for (i = 0; i < TG_ARRAY_LEN(nids); i++) {
			ASN1_OBJECT *o;
			if (!(t->ext_key_usage & eku_bit(nids[i])))
				continue;
			o = OBJ_nid2obj(nids[i]);
			if (!o || !sk_ASN1_OBJECT_push(eku, o))
				goto out;
		}
		if (X509_add1_ext_i2d(x, NID_ext_key_usage, eku, t->eku_critical ? 1 : 0,
				      X509V3_ADD_DEFAULT) != 1)
			goto out;
	}

	r = sans_build(t, &gens, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_CRYPTO;
	if (sk_GENERAL_NAME_num(gens) > 0) {
		/* RFC 5280 4.2.1.6: with an empty subject the SAN is critical */
		int crit = t->san_critical || empty_subject;
		if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, crit, X509V3_ADD_DEFAULT) != 1)
			goto out;
	} else if (empty_subject) {
		tg_diag_set(d, "a certificate with an empty subject needs a subject alternative name");
		r = TG_E_INVAL;
		goto out;
	}

	r = key_id(X509_get_X509_PUBKEY(x), &ski);
	if (r != TG_OK)
		goto out;
	r = TG_E_CRYPTO;
	if (X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;

	if (issuer) {
		/* RFC 5280 4.2.1.1: the issuer's subjectKeyIdentifier */
		const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuer->x);
		aki = AUTHORITY_KEYID_new();
		if (!aki)
			goto out;
		if (iski) {
			aki->keyid = ASN1_OCTET_STRING_dup(iski);
			if (!aki->keyid)
				goto out;
		} else {
			r = key_id(X509_get_X509_PUBKEY(issuer->x), &aki->keyid);
			if (r != TG_OK)
				goto out;
			r = TG_E_CRYPTO;
		}
		if (X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0,
				      X509V3_ADD_DEFAULT) != 1)
			goto out;
	}

	for (i = 0; i < t->n_ext; i++) {
		r = ext_extra_add(x, &t->ext[i], d);
		if (r != TG_OK)
			goto out;
	}
	r = TG_OK;
out:
	ERR_clear_error();
	AUTHORITY_KEYID_free(aki);
	ASN1_OCTET_STRING_free(ski);
	GENERAL_NAMES_free(gens);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_BIT_STRING_free(ku);
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

/* Signs with the algorithm the issuer key decides. */
static tg_err cert_sign(X509 *x, const struct tg_key *k, struct tg_diag *d)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const char *md = NULL;
	bool pss = false;
	tg_err r = TG_E_KEY;

	switch (k->type) {
	case TG_KEY_EC_P256:
		md = "SHA256";
		break;
	case TG_KEY_EC_P384:
		md = "SHA384";
		break;
	case TG_KEY_EC_P521:
		md = "SHA512";
		break;
	case TG_KEY_ED25519:
		md = NULL; /* pure Ed25519: no pre-hash */
		break;
	case TG_KEY_RSA:
		md = "SHA256";
		pss = true;
		break;
	default:
		tg_diag_set(d, "issuer key cannot sign certificates");
		goto out;
	}
	r = TG_E_CRYPTO;
	if (!mctx || EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, k->pkey, NULL) != 1)
		goto fail;
	/* RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt (RFC 4055 3.1) */
	if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) <= 0))
		goto fail;
	if (X509_sign_ctx(x, mctx) <= 0)
		goto fail;
	r = TG_OK;
	goto out;
fail:
	r = tg_ossl_err(d, "cannot sign the certificate");
out:
	EVP_MD_CTX_free(mctx);
	return r;
}

tg_err tg_x509_build(const struct tg_x509_tmpl *t, const struct tg_key *subject_key,
		     const struct tg_x509 *issuer, const struct tg_key *issuer_key,
		     struct tg_x509 **out, struct tg_diag *d)
{
	X509 *x = NULL;
	X509_NAME *subj = NULL;
	ASN1_INTEGER *serial = NULL;
	EVP_PKEY *ipub;
	unsigned char *der = NULL;
	struct tg_x509 *res = NULL;
	bool empty_subject;
	int len;
	tg_err r = TG_E_KEY;

	if (!t || !subject_key || !issuer_key || !out)
		return TG_E_INVAL;
	if (!subject_key->pkey) {
		tg_diag_set(d, "subject key has no public key");
		goto out;
	}
	if (!issuer_key->pkey || !issuer_key->is_private) {
		tg_diag_set(d, "issuer key is not a private key");
		goto out;
	}
	if (issuer) {
		struct tg_x509_basic bc;
		bool present, critical;
		unsigned ku;
		if (tg_x509_basic_constraints(issuer, &bc) != TG_OK || !bc.present || !bc.ca) {
			tg_diag_set(d, "issuer certificate is not a CA");
			r = TG_E_INVAL;
			goto out;
		}
		if (tg_x509_key_usage(issuer, &present, &critical, &ku) != TG_OK || !present ||
		    !(ku & TG_KU_KEY_CERT_SIGN)) {
			tg_diag_set(d, "issuer certificate lacks the keyCertSign key usage");
			r = TG_E_INVAL;
			goto out;
		}
		if (X509_NAME_entry_count(X509_get_subject_name(issuer->x)) == 0) {
			tg_diag_set(d, "issuer certificate has an empty subject");
			r = TG_E_INVAL;
			goto out;
		}
		ipub = X509_get0_pubkey(issuer->x);
		if (!ipub || EVP_PKEY_eq(ipub, issuer_key->pkey) != 1) {
			ERR_clear_error();
			tg_diag_set(d, "issuer key does not match the issuer certificate");
			goto out;
		}
	} else if (EVP_PKEY_eq(subject_key->pkey, issuer_key->pkey) != 1) {
		ERR_clear_error();
		tg_diag_set(d, "a self-signed certificate needs the subject's own private key");
		goto out;
	}
	r = TG_E_INVAL;
	if (t->path_len < -1 || (t->path_len >= 0 && !t->is_ca)) {
		tg_diag_set(d, "path length %d is invalid (only CAs have one)", t->path_len);
		goto out;
	}
	if (t->ext_key_usage & ~TG_X509_EKU_ALL) {
		tg_diag_set(d, "unknown extended key usage bits 0x%x",
			    t->ext_key_usage & ~TG_X509_EKU_ALL);
		goto out;
	}
	r = ku_check(t, subject_key->type, d);
	if (r != TG_OK)
		goto out;
	if (t->not_before.sec >= t->not_after.sec) {
		tg_diag_set(d, "notBefore is not before notAfter");
		r = TG_E_RANGE;
		goto out;
	}
	r = subject_parse(t->subject, &subj, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "invalid subject '%.64s'", t->subject ? t->subject : "");
		goto out;
	}
	empty_subject = X509_NAME_entry_count(subj) == 0;
	if (empty_subject && t->is_ca) {
		tg_diag_set(d, "a CA certificate needs a non-empty subject");
		r = TG_E_INVAL;
		goto out;
	}
	r = serial_make(t, &serial, d);
	if (r != TG_OK)
		goto out;

	r = TG_E_CRYPTO;
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, serial) ||
	    !X509_set_subject_name(x, subj) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x) : subj) ||
	    !X509_set_pubkey(x, subject_key->pkey))
		goto fail;
	r = time_set(x, true, t->not_before);
	if (r == TG_OK)
		r = time_set(x, false, t->not_after);
	if (r != TG_OK) {
		tg_diag_set(d, "validity outside 1970..9999");
		goto out;
	}
	r = exts_add(x, t, empty_subject, issuer, d);
	if (r != TG_OK)
		goto out;
	r = cert_sign(x, issuer_key, d);
	if (r != TG_OK)
		goto out;
	/* Check our own work: the signature verifies (a faulty signer must
	 * not get a certificate out) and the result passes our parser. */
	if (X509_verify(x, issuer ? X509_get0_pubkey(issuer->x) : subject_key->pkey) != 1) {
		r = tg_ossl_err(d, "the new certificate does not verify");
		goto out;
	}
	len = i2d_X509(x, &der);
	if (len <= 0)
		goto fail;
	r = tg_x509_from_der(der, (size_t)len, &res, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "built certificate does not parse back");
		r = TG_E_INTERNAL;
		goto out;
	}
	*out = res;
	r = TG_OK;
	goto out;
fail:
	r = tg_ossl_err(d, "cannot assemble the certificate");
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(subj);
	return r;
}

/* ------------------------------------------------------------------ */
/* Verification                                                        */
/* ------------------------------------------------------------------ */

/* The caller's object for x, or a new wrapper. */
static struct tg_x509 *find_wrapper(X509 *x, const struct tg_x509 *leaf,
				    const struct tg_x509 *const *inter, size_t n_inter,
				    const struct tg_x509 *const *roots, size_t n_roots)
{
	size_t i;
	if (leaf->x == x)
		return tg_x509_ref((struct tg_x509 *)leaf);
	for (i = 0; i < n_inter; i++)
		if (inter[i]->x == x)
			return tg_x509_ref((struct tg_x509 *)inter[i]);
	for (i = 0; i < n_roots; i++)
		if (roots[i]->x == x)
			return tg_x509_ref((struct tg_x509 *)roots[i]);
	if (!X509_up_ref(x))
		return NULL;
	return wrap(x);
}

/* The leaf must list every requested purpose; an intermediate that lists
 * purposes at all must allow them too (or anyExtendedKeyUsage). */
static tg_err eku_check(STACK_OF(X509) *chain, unsigned eku, struct tg_diag *d)
{
	char who[128];
	int i, n = sk_X509_num(chain);
	/* the root (last) is a trust anchor: not constrained */
	for (i = 0; i == 0 || i < n - 1; i++) {
		X509 *x = sk_X509_value(chain, i);
		bool present, critical, any;
		unsigned bits;
		tg_err r = eku_read(x, &present, &critical, &bits, &any, NULL);
		if (r != TG_OK)
			return TG_E_VERIFY;
		if (i == 0 ? (present && (bits & eku) == eku)
			   : (!present || any || (bits & eku) == eku))
			continue;
		name_for_diag(x, who, sizeof(who));
		tg_diag_set(d, "certificate at depth %d ('%s'): %s", i, who,
			    i == 0 ? "required extended key usage missing"
				   : "extended key usage does not allow the required purpose");
		return TG_E_VERIFY;
	}
	return TG_OK;
}

/* RFC 5280 4.1.2.5: the validity period includes notAfter itself, while
 * OpenSSL calls a certificate expired at that very second: forgive exactly
 * that one second and nothing else. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	struct tg_time na;
	if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_CERT_HAS_EXPIRED || !x)
		return ok;
	if (time_get(X509_get0_notAfter(x), &na) == TG_OK &&
	    na.sec == (int64_t)X509_VERIFY_PARAM_get_time(X509_STORE_CTX_get0_param(ctx)))
		return 1;
	return ok;
}

tg_err tg_x509_verify(const struct tg_x509 *leaf, const struct tg_x509 *const *intermediates,
		      size_t n_inter, const struct tg_x509 *const *roots, size_t n_roots,
		      struct tg_time at, unsigned eku, struct tg_x509_list *chain,
		      struct tg_diag *d)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL, *path;
	X509_VERIFY_PARAM *param;
	struct tg_x509_list res = {NULL, 0};
	char who[128];
	size_t i;
	int n;
	tg_err r = TG_E_INVAL;

	if (!leaf || n_roots == 0 || !roots || (n_inter && !intermediates)) {
		tg_diag_set(d, "no certificate or no trusted root to verify against");
		return TG_E_INVAL;
	}
	if (eku & ~TG_X509_EKU_ALL) {
		tg_diag_set(d, "unknown extended key usage bits 0x%x", eku & ~TG_X509_EKU_ALL);
		return TG_E_INVAL;
	}
	if (n_inter > TG_LIMIT_CHAIN) {
		tg_diag_set(d, "more than %d intermediate certificates", TG_LIMIT_CHAIN);
		return TG_E_TOOBIG;
	}
	r = TG_E_CRYPTO;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (!store || !ctx || !untrusted)
		goto out;
	/* Only the roots are trust anchors; nothing is loaded from disk. */
	for (i = 0; i < n_roots; i++)
		if (!X509_STORE_add_cert(store, roots[i]->x))
			goto out;
	for (i = 0; i < n_inter; i++)
		if (!sk_X509_push(untrusted, intermediates[i]->x))
			goto out;
	if (!X509_STORE_CTX_init(ctx, store, leaf->x, untrusted))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	/* The time is the caller's, never the clock. X509_V_FLAG_PARTIAL_CHAIN
	 * stays off: the path must end at one of the roots. Security level 2
	 * refuses keys and signatures below 112 bits (RSA < 2048, SHA-1). */
	X509_VERIFY_PARAM_set_time(param, (time_t)at.sec);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
	X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_depth(param, TG_LIMIT_CHAIN - 2);
	X509_VERIFY_PARAM_set_auth_level(param, 2);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);

	if (X509_verify_cert(ctx) != 1) {
		int err = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		name_for_diag(X509_STORE_CTX_get_current_cert(ctx), who, sizeof(who));
		tg_diag_set(d, "certificate at depth %d ('%s'): %s", depth, who,
			    X509_verify_cert_error_string(err));
		r = TG_E_VERIFY;
		goto out;
	}
	path = X509_STORE_CTX_get0_chain(ctx);
	n = sk_X509_num(path);
	if (n < 1 || n > TG_LIMIT_CHAIN) {
		tg_diag_set(d, "validated path has %d certificates", n);
		r = TG_E_VERIFY;
		goto out;
	}
	/* Belt and braces: the path ends at a certificate the caller trusts. */
	for (i = 0; i < n_roots; i++)
		if (X509_cmp(sk_X509_value(path, n - 1), roots[i]->x) == 0)
			break;
	if (i == n_roots) {
		tg_diag_set(d, "validated path does not end at a given root");
		r = TG_E_VERIFY;
		goto out;
	}
	if (eku) {
		r = eku_check(path, eku, d);
		if (r != TG_OK)
			goto out;
	}
	if (chain) {
		res.certs = tg_xcalloc((size_t)n, sizeof(*res.certs));
		for (i = 0; i < (size_t)n; i++) {
			res.certs[i] = find_wrapper(sk_X509_value(path, (int)i), leaf,
						    intermediates, n_inter, roots, n_roots);
			if (!res.certs[i]) {
				r = TG_E_CRYPTO;
				goto out;
			}
			res.count++;
		}
		*chain = res;
		res.certs = NULL;
		res.count = 0;
	}
	r = TG_OK;
out:
	ERR_clear_error();
	tg_x509_list_release(&res);
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}
