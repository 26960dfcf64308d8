/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.c - SHA-2 one-shot, streaming and file digests, and HMAC, over
 * OpenSSL EVP with pre-fetched algorithm objects.
 */
#include "crypto/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto_internal.h"

#define FILE_CHUNK (1024 * 1024) /* large reads keep the hash, not syscalls, the bottleneck */

struct tg_hash_ctx {
	EVP_MD_CTX *md;
	enum tg_hash_alg alg;
};

static const char *md_name(enum tg_hash_alg alg)
{
	switch (alg) {
	case TG_SHA256:
		return "SHA256";
	case TG_SHA384:
		return "SHA384";
	case TG_SHA512:
		return "SHA512";
	default:
		return NULL;
	}
}

/* Fetching an EVP_MD is costly; do it once per algorithm per process.
 * The objects are never freed (process lifetime). */
static const EVP_MD *md_get(enum tg_hash_alg alg)
{
	static EVP_MD *cache[4];
	EVP_MD *m;
	const char *name = md_name(alg);
	if (!name)
		return NULL;
	m = __atomic_load_n(&cache[alg], __ATOMIC_ACQUIRE);
	if (m)
		return m;
	m = EVP_MD_fetch(NULL, name, NULL);
	if (!m)
		return NULL;
	{
		EVP_MD *expected = NULL;
		if (!__atomic_compare_exchange_n(&cache[alg], &expected, m, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			EVP_MD_free(m);
			m = expected;
		}
	}
	return m;
}

const EVP_MD *tg_hash_md(enum tg_hash_alg alg)
{
	return md_get(alg);
}

size_t tg_hash_len(enum tg_hash_alg alg)
{
	switch (alg) {
	case TG_SHA256:
		return 32;
	case TG_SHA384:
		return 48;
	case TG_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *tg_hash_name(enum tg_hash_alg alg)
{
	switch (alg) {
	case TG_SHA256:
		return "sha256";
	case TG_SHA384:
		return "sha384";
	case TG_SHA512:
		return "sha512";
	default:
		return "none";
	}
}

tg_err tg_hash_from_name(const char *s, enum tg_hash_alg *out)
{
	if (!strcasecmp(s, "sha256") || !strcasecmp(s, "sha-256"))
		*out = TG_SHA256;
	else if (!strcasecmp(s, "sha384") || !strcasecmp(s, "sha-384"))
		*out = TG_SHA384;
	else if (!strcasecmp(s, "sha512") || !strcasecmp(s, "sha-512"))
		*out = TG_SHA512;
	else
		return TG_E_UNSUPPORTED;
	return TG_OK;
}

tg_err tg_hash(enum tg_hash_alg alg, const void *p, size_t n, uint8_t *out)
{
	const EVP_MD *md = md_get(alg);
	unsigned int len = 0;
	if (!md)
		return TG_E_UNSUPPORTED;
	if (!EVP_Digest(p, n, out, &len, md, NULL))
		return TG_E_CRYPTO;
	return TG_OK;
}

tg_err tg_hash_new(enum tg_hash_alg alg, struct tg_hash_ctx **out)
{
	const EVP_MD *md = md_get(alg);
	struct tg_hash_ctx *c;
	if (!md)
		return TG_E_UNSUPPORTED;
	c = tg_xmalloc(sizeof(*c));
	c->alg = alg;
	c->md = EVP_MD_CTX_new();
	if (!c->md || !EVP_DigestInit_ex(c->md, md, NULL)) {
		EVP_MD_CTX_free(c->md);
		free(c);
		return TG_E_CRYPTO;
	}
	*out = c;
	return TG_OK;
}

tg_err tg_hash_update(struct tg_hash_ctx *c, const void *p, size_t n)
{
	if (!EVP_DigestUpdate(c->md, p, n))
		return TG_E_CRYPTO;
	return TG_OK;
}

tg_err tg_hash_final(struct tg_hash_ctx *c, uint8_t *out)
{
	unsigned int len = 0;
	if (!EVP_DigestFinal_ex(c->md, out, &len))
		return TG_E_CRYPTO;
	return TG_OK;
}

void tg_hash_free(struct tg_hash_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

tg_err tg_hash_fd(enum tg_hash_alg alg, int fd, uint8_t *out, struct tg_diag *d)
{
	struct tg_hash_ctx *c = NULL;
	uint8_t *chunk = NULL;
	tg_err r;

	r = tg_hash_new(alg, &c);
	if (r != TG_OK)
		return r;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	chunk = tg_xmalloc(FILE_CHUNK);
	for (;;) {
		ssize_t got = read(fd, chunk, FILE_CHUNK);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			tg_diag_set(d, "read failed: %s", strerror(errno));
			r = TG_E_IO;
			goto out;
		}
		if (got == 0)
			break;
		r = tg_hash_update(c, chunk, (size_t)got);
		if (r != TG_OK)
			goto out;
	}
	r = tg_hash_final(c, out);
out:
	free(chunk);
	tg_hash_free(c);
	return r;
}

tg_err tg_hash_file(enum tg_hash_alg alg, const char *path, uint8_t *out, struct tg_diag *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	tg_err r;
	if (fd < 0) {
		tg_diag_set(d, "cannot open '%s': %s", path, strerror(errno));
		return TG_E_IO;
	}
	r = tg_hash_fd(alg, fd, out, d);
	if (r == TG_E_IO)
		tg_diag_prefix(d, "cannot read '%s'", path);
	close(fd);
	return r;
}

tg_err tg_hmac(enum tg_hash_alg alg, const void *key, size_t keylen, const void *p, size_t n,
	       uint8_t *out)
{
	static const unsigned char empty_key[1];
	const char *name = md_name(alg);
	size_t outlen = 0;
	if (!name)
		return TG_E_UNSUPPORTED;
	/* EVP_Q_mac rejects a NULL key; HMAC with an empty key is defined. */
	if (!EVP_Q_mac(NULL, "HMAC", NULL, name, NULL, keylen ? key : empty_key, keylen, p, n,
		       out, tg_hash_len(alg), &outlen))
		return TG_E_CRYPTO;
	return outlen == tg_hash_len(alg) ? TG_OK : TG_E_CRYPTO;
}
