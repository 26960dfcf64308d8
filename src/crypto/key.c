/* SPDX-License-Identifier: Apache-2.0 */
/*
 * key.c - key objects: generation, PEM/DER import and export, the rules
 * every key must meet, and saving private keys safely (0600, no overwrite).
 */
#include "crypto/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/pem.h"
#include "crypto/crypto_internal.h"

struct tg_key *tg_key_ref(struct tg_key *k)
{
	if (k)
		__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

void tg_key_free(struct tg_key *k)
{
	if (!k)
		return;
	if (__atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	EVP_PKEY_free(k->pkey);
	tg_secret_free(k->secret);
	free(k->kid);
	free(k);
}

enum tg_key_type tg_key_type(const struct tg_key *k)
{
	return k->type;
}

bool tg_key_is_private(const struct tg_key *k)
{
	return k->is_private;
}

unsigned tg_key_bits(const struct tg_key *k)
{
	return k->bits;
}

const char *tg_key_kid(const struct tg_key *k)
{
	return k->kid;
}

const char *tg_key_type_name(enum tg_key_type t)
{
	switch (t) {
	case TG_KEY_ED25519:
		return "ed25519";
	case TG_KEY_EC_P256:
		return "ecdsa-p256";
	case TG_KEY_EC_P384:
		return "ecdsa-p384";
	case TG_KEY_EC_P521:
		return "ecdsa-p521";
	case TG_KEY_RSA:
		return "rsa";
	case TG_KEY_HMAC:
		return "hmac";
	default:
		return "none";
	}
}

tg_err tg_key_type_from_name(const char *s, enum tg_key_type *t, unsigned *bits)
{
	static const struct {
		const char *name;
		enum tg_key_type type;
		unsigned bits;
	} names[] = {
		{"ed25519", TG_KEY_ED25519, 0},  {"ecdsa-p256", TG_KEY_EC_P256, 0},
		{"ecdsa-p384", TG_KEY_EC_P384, 0}, {"rsa-2048", TG_KEY_RSA, 2048},
		{"rsa-3072", TG_KEY_RSA, 3072},  {"rsa-4096", TG_KEY_RSA, 4096},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(names); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*t = names[i].type;
			*bits = names[i].bits;
			return TG_OK;
		}
	}
	return TG_E_UNSUPPORTED;
}

/* Maps an EC group name to our type. */
static enum tg_key_type ec_type(EVP_PKEY *pkey)
{
	char group[64];
	size_t len = 0;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    &len))
		return TG_KEY_NONE;
	if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
		return TG_KEY_EC_P256;
	if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
		return TG_KEY_EC_P384;
	if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
		return TG_KEY_EC_P521;
	return TG_KEY_NONE;
}

tg_err tg_key_wrap(EVP_PKEY *pkey, bool is_private, struct tg_key **out)
{
	struct tg_key *k;
	enum tg_key_type t = TG_KEY_NONE;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		t = TG_KEY_ED25519;
		break;
	case EVP_PKEY_EC:
		t = ec_type(pkey);
		break;
	case EVP_PKEY_RSA:
		t = TG_KEY_RSA;
		break;
	default:
		t = TG_KEY_NONE;
	}
	if (t == TG_KEY_NONE)
		return TG_E_KEY;
	k = tg_xcalloc(1, sizeof(*k));
	k->refs = 1;
	k->type = t;
	k->is_private = is_private;
	k->bits = (unsigned)EVP_PKEY_get_bits(pkey);
	k->pkey = pkey;
	*out = k;
	return TG_OK;
}

/*
 * ROCA (CVE-2017-15361; Nemec et al., "The Return of Coppersmith's Attack",
 * CCS 2017): Infineon's generator made primes k*M + (65537^a mod M) with M
 * the product of the first primes, so for each small prime p of M, n mod p
 * lies in the subgroup of (Z/pZ)* that 65537 generates. Every M of every
 * key size has the primes up to 167 as factors; a sound modulus passes all
 * of these tests with negligible probability.
 */
static bool rsa_roca_fingerprint(const BIGNUM *n)
{
	static const uint8_t primes[] = {
		3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
		47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
		107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(primes); i++) {
		BN_ULONG p = primes[i];
		BN_ULONG rem = BN_mod_word(n, p);
		BN_ULONG g = 65537 % p, x = 1;
		bool in = false;
		if (rem == (BN_ULONG)-1 || rem == 0)
			return false;
		do { /* walk the cyclic subgroup <g> */
			if (x == rem) {
				in = true;
				break;
			}
			x = (x * g) % p;
		} while (x != 1);
		if (!in)
			return false;
	}
	return true;
}

tg_err tg_key_validate(const struct tg_key *k, struct tg_diag *d)
{
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *e = NULL, *n = NULL;
	int explicit_params = 0;
	tg_err r = TG_E_KEY;

	switch (k->type) {
	case TG_KEY_RSA:
		if (k->bits < TG_LIMIT_RSA_MIN_BITS || k->bits > TG_LIMIT_RSA_MAX_BITS) {
			tg_diag_set(d, "RSA modulus of %u bits is outside %d..%d", k->bits,
				    TG_LIMIT_RSA_MIN_BITS, TG_LIMIT_RSA_MAX_BITS);
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
			tg_diag_set(d, "RSA key without a public exponent");
			goto out;
		}
		/* e must be odd, >= 3 and small enough to be a sane exponent */
		if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 256) {
			tg_diag_set(d, "RSA public exponent is not acceptable");
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) || !BN_is_odd(n) ||
		    BN_cmp(e, n) >= 0) {
			tg_diag_set(d, "RSA modulus is not acceptable");
			goto out;
		}
		if (rsa_roca_fingerprint(n)) {
			tg_diag_set(d, "RSA modulus has the ROCA fingerprint (CVE-2017-15361)");
			goto out;
		}
		break;
	case TG_KEY_EC_P256:
	case TG_KEY_EC_P384:
	case TG_KEY_EC_P521:
		/* explicit curve parameters that merely match a named curve are
		 * refused: they are how forged curves get in (CVE-2020-0601) */
		if (EVP_PKEY_get_int_param(k->pkey, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
					   &explicit_params) &&
		    explicit_params) {
			tg_diag_set(d, "EC key with explicit curve parameters (use a named curve)");
			goto out;
		}
		/* P-256, P-384 and P-521 have cofactor 1: every point on the
		 * curve other than infinity has the prime order n, so the quick
		 * check (coordinates in range, on the curve, not infinity) is
		 * the full check without its n*Q == infinity scalar
		 * multiplication, which cannot fail after it (SP 800-56A
		 * 5.6.2.3.4, partial validation for prime-order curves) */
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (!ctx || EVP_PKEY_public_check_quick(ctx) != 1) {
			ERR_clear_error();
			tg_diag_set(d, "EC public key is not a valid point on its curve");
			goto out;
		}
		break;
	case TG_KEY_ED25519:
		break;
	case TG_KEY_HMAC:
		if (!k->secret || k->secret->len == 0) {
			tg_diag_set(d, "empty HMAC key");
			goto out;
		}
		break;
	default:
		tg_diag_set(d, "unsupported key type");
		goto out;
	}
	/* a private key must be the private half of its own public key: a
	 * corrupted or spliced file would otherwise sign under another key */
	if (k->is_private && k->pkey) {
		EVP_PKEY_CTX_free(ctx);
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (!ctx || EVP_PKEY_private_check(ctx) != 1 || EVP_PKEY_pairwise_check(ctx) != 1) {
			tg_diag_set(d, "private key does not match its public key");
			goto out;
		}
	}
	r = TG_OK;
out:
	ERR_clear_error();
	BN_free(e);
	BN_free(n);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

tg_err tg_key_generate(enum tg_key_type t, unsigned bits, struct tg_key **out)
{
	EVP_PKEY *pkey = NULL;
	tg_err r;

	switch (t) {
	case TG_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case TG_KEY_EC_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case TG_KEY_EC_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case TG_KEY_EC_P521:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
		break;
	case TG_KEY_RSA:
		if (bits == 0)
			bits = 3072;
		if (bits < TG_LIMIT_RSA_MIN_BITS || bits > TG_LIMIT_RSA_MAX_BITS)
			return TG_E_RANGE;
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	default:
		return TG_E_UNSUPPORTED;
	}
	if (!pkey) {
		ERR_clear_error();
		return TG_E_CRYPTO;
	}
	r = tg_key_wrap(pkey, true, out);
	if (r != TG_OK)
		EVP_PKEY_free(pkey);
	return r;
}

/* Decodes DER with OpenSSL's decoder, requiring that it consume all bytes. */
static tg_err decode_der(const uint8_t *der, size_t n, const char *structure,
			 const char *keytype, int selection, bool is_private, struct tg_key **out,
			 struct tg_diag *d)
{
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = der;
	size_t left = n;
	struct tg_key *k = NULL;
	tg_err r = TG_E_PARSE;

	if (n == 0 || n > TG_LIMIT_DER) {
		tg_diag_set(d, "key DER of %zu bytes is empty or too large", n);
		return n ? TG_E_TOOBIG : TG_E_PARSE;
	}
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure, keytype, selection, NULL,
					     NULL);
	if (!dctx) {
		r = tg_ossl_err(d, "cannot set up key decoder");
		goto out;
	}
	if (!OSSL_DECODER_from_data(dctx, &p, &left) || !pkey) {
		ERR_clear_error();
		tg_diag_set(d, "malformed or unsupported %s key", is_private ? "private" : "public");
		goto out;
	}
	if (left != 0) {
		tg_diag_set(d, "%zu trailing bytes after the key", left);
		goto out;
	}
	r = tg_key_wrap(pkey, is_private, &k);
	if (r != TG_OK) {
		tg_diag_set(d, "unsupported key type or curve");
		goto out;
	}
	pkey = NULL;
	r = tg_key_validate(k, d);
	if (r != TG_OK)
		goto out;
	*out = k;
	k = NULL;
	r = TG_OK;
out:
	tg_key_free(k);
	EVP_PKEY_free(pkey);
	OSSL_DECODER_CTX_free(dctx);
	return r;
}

tg_err tg_key_from_der(const uint8_t *der, size_t n, bool is_private, struct tg_key **out,
		       struct tg_diag *d)
{
	if (is_private)
		return decode_der(der, n, "PrivateKeyInfo", NULL, OSSL_KEYMGMT_SELECT_KEYPAIR, true,
				  out, d);
	return decode_der(der, n, "SubjectPublicKeyInfo", NULL, OSSL_KEYMGMT_SELECT_PUBLIC_KEY,
			  false, out, d);
}

tg_err tg_key_from_pem(const char *pem, size_t n, struct tg_key **out, struct tg_diag *d)
{
	struct tg_pem_list l = {NULL, 0};
	const struct tg_pem_block *b = NULL;
	size_t i;
	tg_err r;

	r = tg_pem_decode(pem, n, &l, d);
	if (r != TG_OK)
		return r;
	for (i = 0; i < l.count && !b; i++) {
		const char *lab = l.blocks[i].label;
		if (!strcmp(lab, "PRIVATE KEY") || !strcmp(lab, "PUBLIC KEY") ||
		    !strcmp(lab, "EC PRIVATE KEY") || !strcmp(lab, "RSA PRIVATE KEY") ||
		    !strcmp(lab, "RSA PUBLIC KEY") || !strcmp(lab, "ENCRYPTED PRIVATE KEY"))
			b = &l.blocks[i];
	}
	if (!b) {
		tg_diag_set(d, "no key in PEM input");
		r = TG_E_NOTFOUND;
	} else if (!strcmp(b->label, "PRIVATE KEY")) {
		r = decode_der(b->der, b->len, "PrivateKeyInfo", NULL, OSSL_KEYMGMT_SELECT_KEYPAIR,
			       true, out, d);
	} else if (!strcmp(b->label, "PUBLIC KEY")) {
		r = decode_der(b->der, b->len, "SubjectPublicKeyInfo", NULL,
			       OSSL_KEYMGMT_SELECT_PUBLIC_KEY, false, out, d);
	} else if (!strcmp(b->label, "EC PRIVATE KEY")) {
		r = decode_der(b->der, b->len, "type-specific", "EC", OSSL_KEYMGMT_SELECT_KEYPAIR,
			       true, out, d);
	} else if (!strcmp(b->label, "RSA PRIVATE KEY")) {
		r = decode_der(b->der, b->len, "type-specific", "RSA", OSSL_KEYMGMT_SELECT_KEYPAIR,
			       true, out, d);
	} else if (!strcmp(b->label, "RSA PUBLIC KEY")) {
		r = decode_der(b->der, b->len, "type-specific", "RSA",
			       OSSL_KEYMGMT_SELECT_PUBLIC_KEY, false, out, d);
	} else {
		tg_diag_set(d, "encrypted private keys are not supported");
		r = TG_E_UNSUPPORTED;
	}
	for (i = 0; i < l.count; i++)
		tg_wipe(l.blocks[i].der, l.blocks[i].len);
	tg_pem_list_release(&l);
	return r;
}

/* Reads a whole small file; the bytes are wiped by the caller. Room for
 * 64 KiB is reserved first, so any real key file lands in one allocation
 * and growth leaves no stray copy of it in freed memory. */
static tg_err read_small_file(const char *path, struct tg_buf *out, struct tg_diag *d)
{
	if (!tg_buf_reserve(out, 64 * 1024) && out->max >= 64 * 1024)
		return TG_E_TOOBIG;
	return tg_fs_read(path, out, d);
}

tg_err tg_key_load_file(const char *path, struct tg_key **out, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_SMALL_FILE);
	tg_err r = read_small_file(path, &b, d);
	if (r == TG_OK) {
		r = tg_key_from_pem((const char *)b.data, b.len, out, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "cannot load key '%s'", path);
	}
	tg_buf_release_wipe(&b);
	return r;
}

/* Encodes the key with OpenSSL's encoder to DER in the given structure. */
static tg_err encode_der(const struct tg_key *k, int selection, const char *structure,
			 struct tg_buf *out)
{
	OSSL_ENCODER_CTX *ectx;
	unsigned char *data = NULL;
	size_t len = 0;
	tg_err r = TG_E_CRYPTO;

	ectx = OSSL_ENCODER_CTX_new_for_pkey(k->pkey, selection, "DER", structure, NULL);
	if (!ectx || OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0)
		goto out;
	if (!OSSL_ENCODER_to_data(ectx, &data, &len))
		goto out;
	r = tg_buf_add(out, data, len);
out:
	ERR_clear_error();
	if (data)
		OPENSSL_clear_free(data, len);
	OSSL_ENCODER_CTX_free(ectx);
	return r;
}

tg_err tg_key_to_spki_der(const struct tg_key *k, struct tg_buf *out)
{
	unsigned char *der = NULL;
	int len;
	tg_err r;
	if (!k->pkey)
		return TG_E_KEY;
	len = i2d_PUBKEY(k->pkey, &der);
	if (len <= 0)
		return TG_E_CRYPTO;
	r = tg_buf_add(out, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}

tg_err tg_key_to_pem(const struct tg_key *k, bool private_part, struct tg_buf *out)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	tg_err r;

	if (!k->pkey)
		return TG_E_KEY;
	if (private_part) {
		if (!k->is_private)
			return TG_E_KEY;
		r = encode_der(k, OSSL_KEYMGMT_SELECT_KEYPAIR, "PrivateKeyInfo", &der);
		if (r == TG_OK)
			r = tg_pem_encode(out, "PRIVATE KEY", der.data, der.len);
	} else {
		r = tg_key_to_spki_der(k, &der);
		if (r == TG_OK)
			r = tg_pem_encode(out, "PUBLIC KEY", der.data, der.len);
	}
	tg_buf_release_wipe(&der);
	return r;
}

tg_err tg_key_save_private(const struct tg_key *k, const char *path, struct tg_diag *d)
{
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	size_t off = 0;
	int fd = -1;
	tg_err r;

	r = tg_key_to_pem(k, true, &pem);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot encode the private key");
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = errno == EEXIST ? TG_E_EXISTS : TG_E_IO;
		tg_diag_set(d, "cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	/* The umask may have cleared bits, never added: still make it exact. */
	if (fchmod(fd, 0600) != 0)
		goto io_error;
	while (off < pem.len) {
		ssize_t w = write(fd, pem.data + off, pem.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto io_error;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto io_error;
	if (close(fd) != 0) {
		fd = -1;
		goto io_error;
	}
	fd = -1;
	r = TG_OK;
	goto out;
io_error:
	tg_diag_set(d, "cannot write '%s': %s", path, strerror(errno));
	r = TG_E_IO;
	if (fd >= 0)
		close(fd);
	fd = -1;
	(void)unlink(path); /* never leave a partial key behind */
out:
	tg_buf_release_wipe(&pem);
	return r;
}

tg_err tg_key_public(const struct tg_key *k, struct tg_key **out)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	const unsigned char *p;
	EVP_PKEY *pkey = NULL;
	struct tg_key *pub = NULL;
	tg_err r;

	if (!k->pkey)
		return TG_E_KEY; /* HMAC keys have no public half */
	r = tg_key_to_spki_der(k, &der);
	if (r != TG_OK)
		goto out;
	p = der.data;
	pkey = d2i_PUBKEY_ex(NULL, &p, (long)der.len, NULL, NULL);
	if (!pkey) {
		ERR_clear_error();
		r = TG_E_CRYPTO;
		goto out;
	}
	r = tg_key_wrap(pkey, false, &pub);
	if (r != TG_OK)
		goto out;
	pkey = NULL;
	pub->pinned = k->pinned;
	pub->flags = k->flags;
	pub->kid = k->kid ? tg_xstrdup(k->kid) : NULL;
	*out = pub;
out:
	EVP_PKEY_free(pkey);
	tg_buf_release(&der);
	return r;
}

tg_err tg_key_from_ed25519_raw(const uint8_t raw[32], bool is_private, struct tg_key **out)
{
	EVP_PKEY *pkey = is_private
				 ? EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, raw, 32)
				 : EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, raw, 32);
	tg_err r;
	if (!pkey) {
		ERR_clear_error();
		return TG_E_KEY;
	}
	r = tg_key_wrap(pkey, is_private, out);
	if (r != TG_OK)
		EVP_PKEY_free(pkey);
	return r;
}

tg_err tg_key_ed25519_raw(const struct tg_key *k, bool private_part, uint8_t out[32])
{
	size_t len = 32;
	int ok;
	if (k->type != TG_KEY_ED25519 || (private_part && !k->is_private))
		return TG_E_KEY;
	ok = private_part ? EVP_PKEY_get_raw_private_key(k->pkey, out, &len)
			  : EVP_PKEY_get_raw_public_key(k->pkey, out, &len);
	if (!ok || len != 32) {
		ERR_clear_error();
		tg_wipe(out, 32);
		return TG_E_CRYPTO;
	}
	return TG_OK;
}

bool tg_key_equal_public(const struct tg_key *a, const struct tg_key *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == TG_KEY_HMAC)
		return a->secret && b->secret && a->secret->len == b->secret->len &&
		       tg_ct_eq(a->secret->p, b->secret->p, a->secret->len);
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

tg_err tg_key_with_kid(const struct tg_key *k, const char *kid, struct tg_key **out)
{
	struct tg_key *c = tg_xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->type = k->type;
	c->is_private = k->is_private;
	c->bits = k->bits;
	if (k->pkey) {
		c->pkey = k->pkey;
		if (!EVP_PKEY_up_ref(c->pkey)) {
			free(c);
			return TG_E_CRYPTO;
		}
	}
	if (k->secret)
		c->secret = tg_secret_from(k->secret->p, k->secret->len);
	c->pinned = k->pinned;
	c->flags = k->flags;
	c->kid = kid ? tg_xstrdup(kid) : NULL;
	*out = c;
	return TG_OK;
}
