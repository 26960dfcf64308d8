/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_core_codec.c - the encodings of core: base64 and hex (RFC 4648),
 * PEM (RFC 7468), RFC 3339 timestamps and UTF-8 (RFC 3629), checked
 * against the RFCs' own vectors and against independent implementations.
 */
#include "tg_test.h"

#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/pem.h"
#include "core/time.h"
#include "core/utf8.h"

static uint64_t rng_state = 0x243f6a8885a308d3u;
static uint64_t rng(void) /* splitmix64: deterministic, no libc PRNG */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* ======================= base64 ======================= */

/* Encodes with variant v into a fresh buffer; returns a static string. */
static const char *b64enc(const void *p, size_t n, enum tg_b64 v)
{
	static char out[1024];
	struct tg_buf b = TG_BUF_INIT(4096);
	if (tg_b64_encode(&b, p, n, v) != TG_OK) {
		tg_buf_release(&b);
		return "(error)";
	}
	snprintf(out, sizeof(out), "%s", tg_buf_str(&b));
	if (strlen(out) != b.len || b.len != tg_b64_encoded_len(n, v))
		snprintf(out, sizeof(out), "(length mismatch)");
	tg_buf_release(&b);
	return out;
}

/* Decodes s; returns the code and (on success) the bytes in *out. */
static tg_err b64dec(const char *s, enum tg_b64 v, struct tg_buf *out)
{
	tg_buf_init(out, 4096);
	return tg_b64_decode(out, s, strlen(s), v, NULL);
}

static int b64dec_is(const char *s, enum tg_b64 v, const void *want, size_t n)
{
	struct tg_buf b;
	int ok = b64dec(s, v, &b) == TG_OK && b.len == n && memcmp(b.data, want, n) == 0;
	tg_buf_release(&b);
	return ok;
}

static tg_err b64dec_err(const char *s, enum tg_b64 v)
{
	struct tg_buf b;
	tg_err r = b64dec(s, v, &b);
	tg_buf_release(&b);
	return r;
}

/* RFC 4648 section 10 test vectors. */
TEST(b64_rfc4648_vectors)
{
	static const struct {
		const char *in, *std, *nopad;
	} t[] = {
		{"", "", ""},
		{"f", "Zg==", "Zg"},
		{"fo", "Zm8=", "Zm8"},
		{"foo", "Zm9v", "Zm9v"},
		{"foob", "Zm9vYg==", "Zm9vYg"},
		{"fooba", "Zm9vYmE=", "Zm9vYmE"},
		{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		size_t n = strlen(t[i].in);
		CHECK_STR(b64enc(t[i].in, n, TG_B64_STD), t[i].std);
		CHECK_STR(b64enc(t[i].in, n, TG_B64_URL_PAD), t[i].std);
		CHECK_STR(b64enc(t[i].in, n, TG_B64_URL), t[i].nopad);
		CHECK_STR(b64enc(t[i].in, n, TG_B64_STD_NOPAD), t[i].nopad);
		CHECK(b64dec_is(t[i].std, TG_B64_STD, t[i].in, n));
		CHECK(b64dec_is(t[i].std, TG_B64_URL_PAD, t[i].in, n));
		CHECK(b64dec_is(t[i].nopad, TG_B64_URL, t[i].in, n));
		CHECK(b64dec_is(t[i].nopad, TG_B64_STD_NOPAD, t[i].in, n));
	}
	/* RFC 4648 section 9 examples */
	CHECK_STR(b64enc("\x14\xfb\x9c\x03\xd9\x7e", 6, TG_B64_STD), "FPucA9l+");
	CHECK_STR(b64enc("\x14\xfb\x9c\x03\xd9", 5, TG_B64_STD), "FPucA9k=");
	CHECK_STR(b64enc("\x14\xfb\x9c\x03", 4, TG_B64_STD), "FPucAw==");
	CHECK(b64dec_is("FPucA9l+", TG_B64_STD, "\x14\xfb\x9c\x03\xd9\x7e", 6));
	CHECK(b64dec_is("FPucA9l-", TG_B64_URL, "\x14\xfb\x9c\x03\xd9\x7e", 6));
}

/* The two alphabets differ only in 62 and 63 (RFC 4648 4 and 5); expected
 * values from python3 base64.b64encode / urlsafe_b64encode. */
TEST(b64_alphabets)
{
	CHECK_STR(b64enc("\xfb\xff", 2, TG_B64_STD), "+/8=");
	CHECK_STR(b64enc("\xfb\xff", 2, TG_B64_STD_NOPAD), "+/8");
	CHECK_STR(b64enc("\xfb\xff", 2, TG_B64_URL), "-_8");
	CHECK_STR(b64enc("\xfb\xff", 2, TG_B64_URL_PAD), "-_8=");
	CHECK(b64dec_is("+/8=", TG_B64_STD, "\xfb\xff", 2));
	CHECK(b64dec_is("-_8", TG_B64_URL, "\xfb\xff", 2));
	CHECK(b64dec_is("-_8=", TG_B64_URL_PAD, "\xfb\xff", 2));
	CHECK(b64dec_is("+/8", TG_B64_STD_NOPAD, "\xfb\xff", 2));
	/* each alphabet rejects the other's two characters */
	CHECK_ERR(b64dec_err("-_8=", TG_B64_STD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("+/8", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("+/8=", TG_B64_URL_PAD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("-_8", TG_B64_STD_NOPAD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("ab+_", TG_B64_STD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("ab-/", TG_B64_URL), TG_E_ENCODING);
}

TEST(b64_encoded_len)
{
	CHECK(tg_b64_encoded_len(0, TG_B64_STD) == 0);
	CHECK(tg_b64_encoded_len(1, TG_B64_STD) == 4);
	CHECK(tg_b64_encoded_len(2, TG_B64_URL_PAD) == 4);
	CHECK(tg_b64_encoded_len(3, TG_B64_STD) == 4);
	CHECK(tg_b64_encoded_len(4, TG_B64_STD) == 8);
	CHECK(tg_b64_encoded_len(1, TG_B64_URL) == 2);
	CHECK(tg_b64_encoded_len(2, TG_B64_STD_NOPAD) == 3);
	CHECK(tg_b64_encoded_len(3, TG_B64_URL) == 4);
	CHECK(tg_b64_encoded_len(4, TG_B64_URL) == 6);
	CHECK(tg_b64_encoded_len(SIZE_MAX, TG_B64_STD) == SIZE_MAX);
	CHECK(tg_b64_encoded_len(SIZE_MAX, TG_B64_URL) == SIZE_MAX);
	CHECK(tg_b64_encoded_len(SIZE_MAX / 4 * 3, TG_B64_STD) == SIZE_MAX);
}

/* Strict decoding: every rule of RFC 4648 3.1-3.5 that tollgate enforces. */
TEST(b64_strict_rejects)
{
	static const char *const std_bad[] = {
		"Zg",        /* padding missing */
		"Zg=",       /* padding short */
		"Zg===",     /* padding long */
		"Zm8",       /* padding missing */
		"Zm8==",     /* extra '=' */
		"Zm9v=",     /* '=' after a full quantum */
		"Zm9v====",  /* a quantum of padding alone */
		"====",      /* nothing but padding */
		"=",         "==",       "A===", /* impossible: 1 character of data */
		"Z",         "Zm9vY",    /* impossible lengths */
		"Zg==Zg==",  /* '=' in the middle */
		"Zm=v",      /* '=' inside a quantum */
		"Z=g=",      /* '=' inside a quantum */
		"Zm9v\n",    /* whitespace */
		"Zm9v ",     "Zm 9v",    " Zm9v", "Zm9v\r\n", "Zm\t9v",
		"Zm9v!",     "Zm9v*AAA", "Zm9v.A==", /* stray characters */
		"Zm9\x80",   "\xff\xff\xff\xff",
		"Zh==",      /* non-zero unused bits: 'h' = 33 = 100001b */
		"QR==",      /* 'R' = 17 = 010001b, low four bits non-zero */
		"QUJ=",      /* 'J' = 9 = 001001b, low two bits non-zero */
		"Zm9=",      /* '9' = 61 = 111101b, low two bits non-zero */
		"AB==",      "AAB=", "//==", "///=",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(std_bad); i++) {
		tg_err r = b64dec_err(std_bad[i], TG_B64_STD);
		if (r != TG_E_ENCODING)
			fprintf(stderr, "  accepted or wrong code for \"%s\": %s\n", std_bad[i],
				tg_errname(r));
		CHECK(r == TG_E_ENCODING);
	}
	/* the canonical forms of the same data decode */
	CHECK(b64dec_is("QQ==", TG_B64_STD, "A", 1));
	CHECK(b64dec_is("QUI=", TG_B64_STD, "AB", 2));
	CHECK(b64dec_is("Zm8=", TG_B64_STD, "fo", 2));
	CHECK(b64dec_is("AA==", TG_B64_STD, "\0", 1));
	CHECK(b64dec_is("//8=", TG_B64_STD, "\xff\xff", 2));
	/* an embedded NUL is a stray character, not an end */
	{
		struct tg_buf b = TG_BUF_INIT(64);
		CHECK_ERR(tg_b64_decode(&b, "Zm9v\0AAA", 8, TG_B64_STD, NULL), TG_E_ENCODING);
		CHECK_ERR(tg_b64_decode(&b, "Zg=\0", 4, TG_B64_STD, NULL), TG_E_ENCODING);
		tg_buf_release(&b);
	}

	/* unpadded variants forbid '=' and keep the unused-bits rule */
	CHECK_ERR(b64dec_err("Zg==", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Zm8=", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Zg==", TG_B64_STD_NOPAD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Zg=", TG_B64_STD_NOPAD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Z", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Zm9vY", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("QR", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("QUJ", TG_B64_URL), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Zm9v\n", TG_B64_URL), TG_E_ENCODING);
	CHECK(b64dec_is("QQ", TG_B64_URL, "A", 1));
	/* the padded URL variant requires its padding */
	CHECK_ERR(b64dec_err("Zg", TG_B64_URL_PAD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("Zm8", TG_B64_URL_PAD), TG_E_ENCODING);
	CHECK_ERR(b64dec_err("QR==", TG_B64_URL_PAD), TG_E_ENCODING);
}

/* A failed decode leaves the output buffer as it was: same length, same
 * bytes, still NUL-terminated (buf.h: contents are always a C string). */
TEST(b64_error_leaves_output)
{
	static const char *const bad[] = {"QUJDREVG!A==", "QUJDREVGQR==", "QUJDREVGQUJ=",
					  "QUJDREVG====", "QUJDREVGQQ=", "QUJDREVGQ"};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		struct tg_buf b = TG_BUF_INIT(100);
		struct tg_buf e = TG_BUF_INIT(100);
		CHECK_OK(tg_buf_adds(&b, "prefix"));
		CHECK_ERR(tg_b64_decode(&b, bad[i], strlen(bad[i]), TG_B64_STD, NULL),
			  TG_E_ENCODING);
		CHECK(b.len == 6);
		CHECK_STR(tg_buf_str(&b), "prefix");
		/* an empty buffer stays "" */
		CHECK_ERR(tg_b64_decode(&e, bad[i], strlen(bad[i]), TG_B64_STD, NULL),
			  TG_E_ENCODING);
		CHECK(e.len == 0);
		CHECK_STR(tg_buf_str(&e), "");
		tg_buf_release(&b);
		tg_buf_release(&e);
	}
	/* a cap too small for the decoded bytes: TOOBIG, unchanged */
	{
		struct tg_buf b = TG_BUF_INIT(8);
		CHECK_OK(tg_buf_adds(&b, "1234567"));
		CHECK_ERR(tg_b64_decode(&b, "Zm9v", 4, TG_B64_STD, NULL), TG_E_TOOBIG);
		CHECK_STR(tg_buf_str(&b), "1234567");
		CHECK_OK(tg_b64_decode(&b, "QQ==", 4, TG_B64_STD, NULL));
		CHECK_STR(tg_buf_str(&b), "1234567A");
		CHECK_ERR(tg_b64_encode(&b, "A", 1, TG_B64_STD), TG_E_TOOBIG);
		CHECK_STR(tg_buf_str(&b), "1234567A");
		tg_buf_release(&b);
	}
	/* encoding into exactly the room left */
	{
		struct tg_buf b = TG_BUF_INIT(8);
		CHECK_OK(tg_b64_encode(&b, "foobar", 6, TG_B64_STD));
		CHECK_STR(tg_buf_str(&b), "Zm9vYmFy");
		tg_buf_release(&b);
	}
}

TEST(b64_diag_offset)
{
	struct tg_buf b = TG_BUF_INIT(100);
	struct tg_diag d;
	tg_diag_init(&d);
	CHECK_ERR(tg_b64_decode(&b, "Zm9v!AAA", 8, TG_B64_STD, &d), TG_E_ENCODING);
	CHECK(d.offset == 4);
	CHECK(d.msg[0] != '\0');
	tg_diag_init(&d);
	CHECK_ERR(tg_b64_decode(&b, "QUJD\tQUJ", 8, TG_B64_URL, &d), TG_E_ENCODING);
	CHECK(d.offset == 4);
	tg_diag_init(&d);
	CHECK_ERR(tg_b64_decode(&b, "QR==", 4, TG_B64_STD, &d), TG_E_ENCODING);
	CHECK(d.offset == 1); /* 'R' carries the non-zero bits */
	tg_buf_release(&b);
}

/* Every last quantum of two or three characters: accepted exactly when
 * the unused bits are zero, and then equal to the bytes they encode
 * (computed here from the 6-bit values). */
TEST(b64_last_quantum_exhaustive)
{
	static const char A[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i, j, k, ok = 1;
	char s[5];
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 64; j++) {
			uint8_t want = (uint8_t)(i << 2 | j >> 4);
			struct tg_buf b;
			tg_err r;
			s[0] = A[i];
			s[1] = A[j];
			s[2] = '=';
			s[3] = '=';
			s[4] = '\0';
			r = b64dec(s, TG_B64_STD, &b);
			if ((j & 15) == 0) {
				if (r != TG_OK || b.len != 1 || b.data[0] != want)
					ok = 0;
			} else if (r != TG_E_ENCODING) {
				ok = 0;
			}
			tg_buf_release(&b);
			for (k = 0; k < 64; k++) {
				uint8_t w0 = (uint8_t)(i << 2 | j >> 4);
				uint8_t w1 = (uint8_t)((j & 15) << 4 | k >> 2);
				s[2] = A[k];
				s[3] = '=';
				r = b64dec(s, TG_B64_STD, &b);
				if ((k & 3) == 0) {
					if (r != TG_OK || b.len != 2 || b.data[0] != w0 ||
					    b.data[1] != w1)
						ok = 0;
				} else if (r != TG_E_ENCODING) {
					ok = 0;
				}
				tg_buf_release(&b);
			}
		}
	}
	CHECK(ok);
}

/* OpenSSL's EVP_EncodeBlock is an independent standard-base64 encoder. */
TEST(b64_against_openssl)
{
	static uint8_t in[300];
	static unsigned char ref[500];
	size_t n, i;
	int ok = 1;
	for (n = 0; n < sizeof(in); n++) {
		struct tg_buf b = TG_BUF_INIT(1000), d = TG_BUF_INIT(1000);
		int rl;
		for (i = 0; i < n; i++)
			in[i] = (uint8_t)rng();
		rl = EVP_EncodeBlock(ref, in, (int)n);
		if (tg_b64_encode(&b, in, n, TG_B64_STD) != TG_OK || (size_t)rl != b.len ||
		    memcmp(b.data ? b.data : (const uint8_t *)"", ref, (size_t)rl) != 0)
			ok = 0;
		if (tg_b64_decode(&d, (const char *)ref, (size_t)rl, TG_B64_STD, NULL) != TG_OK ||
		    d.len != n || (n && memcmp(d.data, in, n) != 0))
			ok = 0;
		tg_buf_release(&b);
		tg_buf_release(&d);
	}
	CHECK(ok);
}

/* One accepted encoding per byte string: mutate valid encodings one byte
 * at a time; whatever still decodes must re-encode to exactly the input. */
TEST(b64_canonical_property)
{
	static const enum tg_b64 vs[] = {TG_B64_STD, TG_B64_URL, TG_B64_URL_PAD,
					 TG_B64_STD_NOPAD};
	int iter, ok = 1, roundtrip = 1;
	for (iter = 0; iter < 20000; iter++) {
		enum tg_b64 v = vs[iter % 4];
		uint8_t raw[40];
		size_t n = (size_t)(rng() % sizeof(raw)), i;
		struct tg_buf e = TG_BUF_INIT(200), d = TG_BUF_INIT(200), r2 = TG_BUF_INIT(200);
		for (i = 0; i < n; i++)
			raw[i] = (uint8_t)rng();
		if (tg_b64_encode(&e, raw, n, v) != TG_OK)
			ok = 0;
		if (tg_b64_decode(&d, (const char *)tg_buf_str(&e), e.len, v, NULL) != TG_OK ||
		    d.len != n || (n && memcmp(d.data, raw, n) != 0))
			roundtrip = 0;
		if (e.len) {
			size_t at = (size_t)(rng() % e.len);
			e.data[at] = (uint8_t)rng();
			tg_buf_reset(&d);
			if (tg_b64_decode(&d, (const char *)e.data, e.len, v, NULL) == TG_OK) {
				if (tg_b64_encode(&r2, d.data, d.len, v) != TG_OK ||
				    r2.len != e.len || memcmp(r2.data, e.data, e.len) != 0)
					ok = 0;
			}
		}
		tg_buf_release(&e);
		tg_buf_release(&d);
		tg_buf_release(&r2);
	}
	CHECK(roundtrip);
	CHECK(ok);
}

/* ======================= hex ======================= */

TEST(hex_vectors)
{
	struct tg_buf b = TG_BUF_INIT(100);
	char dst[13];
	uint8_t out[6];
	/* RFC 4648 10, base16 (upper case there; tollgate writes lower case) */
	CHECK_OK(tg_hex_encode(&b, "foobar", 6));
	CHECK_STR(tg_buf_str(&b), "666f6f626172");
	tg_buf_reset(&b);
	CHECK_OK(tg_hex_encode(&b, "", 0));
	CHECK_STR(tg_buf_str(&b), "");
	CHECK_OK(tg_hex_encode(&b, "\x00\x01\x7f\x80\xfe\xff", 6));
	CHECK_STR(tg_buf_str(&b), "00017f80feff");
	tg_hex_encode_to(dst, "foobar", 6);
	CHECK_STR(dst, "666f6f626172");
	tg_hex_encode_to(dst, "", 0);
	CHECK_STR(dst, "");
	tg_buf_reset(&b);
	CHECK_OK(tg_hex_decode(&b, "666F6F626172", 12));
	CHECK(b.len == 6 && memcmp(b.data, "foobar", 6) == 0);
	tg_buf_reset(&b);
	CHECK_OK(tg_hex_decode(&b, "666f6F", 6)); /* either case, even mixed */
	CHECK_STR(tg_buf_str(&b), "foo");
	tg_buf_reset(&b);
	CHECK_OK(tg_hex_decode(&b, "", 0));
	CHECK(b.len == 0);
	CHECK_OK(tg_hex_decode_to(out, 6, "00017F80FEFF", 12));
	CHECK_MEM(out, "\x00\x01\x7f\x80\xfe\xff", 6);
	tg_buf_release(&b);
}

TEST(hex_rejects)
{
	static const char *const bad[] = {"6", "666", "6g", "g6", " 66", "66 ", "6 6", "0x66",
					  "+6", "\xc3\xa9", "6:"};
	struct tg_buf b = TG_BUF_INIT(100);
	uint8_t out[4] = {1, 2, 3, 4};
	size_t i;
	CHECK_OK(tg_buf_adds(&b, "keep"));
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		CHECK_ERR(tg_hex_decode(&b, bad[i], strlen(bad[i])), TG_E_ENCODING);
		CHECK(b.len == 4);
		CHECK_STR(tg_buf_str(&b), "keep");
	}
	CHECK_ERR(tg_hex_decode(&b, "6\0", 2), TG_E_ENCODING);
	CHECK_ERR(tg_hex_decode(&b, "abcdef0g", 8), TG_E_ENCODING);
	CHECK_STR(tg_buf_str(&b), "keep");
	/* decode_to: exactly 2 * outlen characters */
	CHECK_ERR(tg_hex_decode_to(out, 4, "010203", 6), TG_E_ENCODING);
	CHECK_ERR(tg_hex_decode_to(out, 2, "010203", 6), TG_E_ENCODING);
	CHECK_ERR(tg_hex_decode_to(out, 2, "010", 3), TG_E_ENCODING);
	CHECK_ERR(tg_hex_decode_to(out, 2, "01x2", 4), TG_E_ENCODING);
	CHECK_OK(tg_hex_decode_to(out, 2, "a0B1", 4));
	CHECK(out[0] == 0xa0 && out[1] == 0xb1);
	tg_buf_release(&b);
}

/* The hex of n bytes is 2n characters: a buffer capped at exactly 2n must
 * take it (a SHA-256 digest into a 64-byte buffer). */
TEST(hex_cap)
{
	uint8_t digest[32];
	struct tg_buf b = TG_BUF_INIT(64);
	struct tg_buf c = TG_BUF_INIT(63);
	size_t i;
	for (i = 0; i < 32; i++)
		digest[i] = (uint8_t)(i * 9);
	CHECK_OK(tg_hex_encode(&b, digest, 32));
	CHECK(b.len == 64);
	CHECK(memcmp(b.data, "0009121b242d363f", 16) == 0);
	CHECK(b.data[64] == '\0');
	CHECK_ERR(tg_hex_encode(&b, digest, 1), TG_E_TOOBIG);
	CHECK(b.len == 64);
	CHECK_ERR(tg_hex_encode(&c, digest, 32), TG_E_TOOBIG);
	CHECK(c.len == 0);
	CHECK_STR(tg_buf_str(&c), "");
	tg_buf_release(&b);
	tg_buf_release(&c);
	/* decoding into exactly the room left */
	tg_buf_init(&b, 3);
	CHECK_OK(tg_hex_decode(&b, "616263", 6));
	CHECK_STR(tg_buf_str(&b), "abc");
	CHECK_ERR(tg_hex_decode(&b, "64", 2), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "abc");
	tg_buf_release(&b);
}

TEST(hex_roundtrip_exhaustive_bytes)
{
	int i, ok = 1;
	for (i = 0; i < 256; i++) {
		uint8_t x = (uint8_t)i, y = 0;
		char h[3], u[3];
		static const char dig[] = "0123456789abcdef", DIG[] = "0123456789ABCDEF";
		tg_hex_encode_to(h, &x, 1);
		if (h[0] != dig[i >> 4] || h[1] != dig[i & 15] || h[2] != '\0')
			ok = 0;
		u[0] = DIG[i >> 4];
		u[1] = DIG[i & 15];
		if (tg_hex_decode_to(&y, 1, u, 2) != TG_OK || y != x)
			ok = 0;
	}
	CHECK(ok);
}

/* ======================= PEM ======================= */

/* A P-256 public key made with `openssl genpkey -algorithm EC -pkeyopt
 * ec_paramgen_curve:P-256 | openssl pkey -pubout`, and its DER from
 * `openssl pkey -pubin -outform DER | xxd -p`. */
static const char pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa5GgRbrWEbzGFAFxofanbxFZb8w/\n"
	"koA14sLSelqfmL4FWT7vUmYgCa8i8GBSsRw5tG/6M53j7KD52I9P/UMXrw==\n"
	"-----END PUBLIC KEY-----\n";
static const char pub_der_hex[] =
	"3059301306072a8648ce3d020106082a8648ce3d030107034200046b91a045bad611"
	"bcc6140171a1f6a76f11596fcc3f928035e2c2d27a5a9f98be05593eef52662009af"
	"22f06052b11c39b46ffa339de3eca0f9d88f4ffd4317af";

static tg_err pem_dec(const char *text, struct tg_pem_list *l, struct tg_diag *d)
{
	tg_diag_init(d);
	l->blocks = NULL;
	l->count = 0;
	return tg_pem_decode(text, strlen(text), l, d);
}

TEST(pem_openssl_vector)
{
	struct tg_pem_list l;
	struct tg_diag d;
	uint8_t der[91];
	struct tg_buf b = TG_BUF_INIT(4096);
	CHECK_OK(tg_hex_decode_to(der, sizeof(der), pub_der_hex, strlen(pub_der_hex)));
	CHECK_OK(pem_dec(pub_pem, &l, &d));
	CHECK(l.count == 1);
	if (l.count == 1) {
		CHECK_STR(l.blocks[0].label, "PUBLIC KEY");
		CHECK(l.blocks[0].len == sizeof(der));
		CHECK(l.blocks[0].len == sizeof(der) && memcmp(l.blocks[0].der, der, sizeof(der)) == 0);
	}
	tg_pem_list_release(&l);
	CHECK(l.blocks == NULL && l.count == 0);
	tg_pem_list_release(&l);
	tg_pem_list_release(NULL);
	/* Our encoder writes exactly what OpenSSL wrote (RFC 7468 2: 64-char lines). */
	CHECK_OK(tg_pem_encode(&b, "PUBLIC KEY", der, sizeof(der)));
	CHECK_STR(tg_buf_str(&b), pub_pem);
	tg_buf_release(&b);
}

TEST(pem_encode_layout)
{
	struct tg_buf b = TG_BUF_INIT(4096);
	uint8_t data[96];
	size_t i;
	CHECK_OK(tg_pem_encode(&b, "TEST", "foobar", 6));
	CHECK_STR(tg_buf_str(&b), "-----BEGIN TEST-----\nZm9vYmFy\n-----END TEST-----\n");
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	/* 48 bytes = exactly one 64-character line; 49 bytes = 64 + 4 */
	tg_buf_reset(&b);
	CHECK_OK(tg_pem_encode(&b, "X", data, 48));
	CHECK(b.len == strlen("-----BEGIN X-----\n") + 65 + strlen("-----END X-----\n"));
	CHECK(b.data[strlen("-----BEGIN X-----\n") + 64] == '\n');
	tg_buf_reset(&b);
	CHECK_OK(tg_pem_encode(&b, "X", data, 49));
	CHECK(b.len == strlen("-----BEGIN X-----\n") + 65 + 5 + strlen("-----END X-----\n"));
	/* appends, and on a cap failure leaves the buffer as it was */
	tg_buf_release(&b);
	tg_buf_init(&b, 60);
	CHECK_OK(tg_buf_adds(&b, "head\n"));
	CHECK_ERR(tg_pem_encode(&b, "CERTIFICATE", data, 96), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "head\n");
	tg_buf_release(&b);
}

/* encode then decode, many sizes, several blocks in one text */
TEST(pem_roundtrip)
{
	static uint8_t blob[5][400];
	static const char *const labels[] = {"CERTIFICATE", "PRIVATE KEY", "X509 CRL",
					     "A", "ENCRYPTED PRIVATE KEY"};
	size_t sizes[5], n, i, k;
	int ok = 1;
	for (n = 1; n < 200; n += 7) {
		struct tg_buf b = TG_BUF_INIT(1 << 16);
		struct tg_pem_list l;
		struct tg_diag d;
		CHECK_OK(tg_buf_adds(&b, "Subject: CN=example: explanatory text\n\n"));
		for (k = 0; k < 5; k++) {
			sizes[k] = n + k * 37;
			for (i = 0; i < sizes[k]; i++)
				blob[k][i] = (uint8_t)rng();
			CHECK_OK(tg_pem_encode(&b, labels[k], blob[k], sizes[k]));
			CHECK_OK(tg_buf_adds(&b, k % 2 ? "text between: blocks\n" : ""));
		}
		if (pem_dec(tg_buf_str(&b), &l, &d) != TG_OK || l.count != 5) {
			fprintf(stderr, "  pem_roundtrip n=%zu: %s\n", n, d.msg);
			ok = 0;
		} else {
			for (k = 0; k < 5; k++)
				if (strcmp(l.blocks[k].label, labels[k]) != 0 ||
				    l.blocks[k].len != sizes[k] ||
				    memcmp(l.blocks[k].der, blob[k], sizes[k]) != 0)
					ok = 0;
		}
		tg_pem_list_release(&l);
		tg_buf_release(&b);
	}
	CHECK(ok);
}

/* Accepted variations: CRLF line ends, text around blocks, short lines,
 * no final newline, trailing blanks (RFC 7468 2 and 3 "lax" tolerances). */
TEST(pem_accepts)
{
	struct tg_pem_list l;
	struct tg_diag d;
	char crlf[512];
	size_t i, j = 0;
	/* the OpenSSL vector with CRLF line ends */
	for (i = 0; pub_pem[i]; i++) {
		if (pub_pem[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = pub_pem[i];
	}
	crlf[j] = '\0';
	CHECK_OK(pem_dec(crlf, &l, &d));
	CHECK(l.count == 1 && l.blocks[0].len == 91);
	tg_pem_list_release(&l);

	CHECK_OK(pem_dec("junk before\n-----BEGIN A-----\nZm9v\nYmFy\n-----END A-----\n"
			 "middle\n-----BEGIN B-----\nQQ==\n-----END B-----\ntrailing junk",
			 &l, &d));
	CHECK(l.count == 2);
	if (l.count == 2) {
		CHECK_STR(l.blocks[0].label, "A");
		CHECK(l.blocks[0].len == 6 && memcmp(l.blocks[0].der, "foobar", 6) == 0);
		CHECK_STR(l.blocks[1].label, "B");
		CHECK(l.blocks[1].len == 1 && l.blocks[1].der[0] == 'A');
	}
	tg_pem_list_release(&l);

	/* no newline after the END line */
	CHECK_OK(pem_dec("-----BEGIN A-----\nZm9vYmFy\n-----END A-----", &l, &d));
	CHECK(l.count == 1);
	tg_pem_list_release(&l);

	/* trailing blanks after boundaries and data (RFC 7468 3, WSP) */
	CHECK_OK(pem_dec("-----BEGIN A----- \nZm9vYmFy\t\n-----END A-----  \n", &l, &d));
	CHECK(l.count == 1);
	tg_pem_list_release(&l);
}

TEST(pem_rejects)
{
	static const struct {
		const char *name, *text;
		unsigned line; /* the line d must point at; 0: any */
	} t[] = {
		{"label mismatch", "-----BEGIN A-----\nZm9v\n-----END B-----\n", 3},
		{"label case", "-----BEGIN CERTIFICATE-----\nZm9v\n-----END Certificate-----\n", 3},
		{"missing END", "-----BEGIN A-----\nZm9v\n", 0},
		{"missing END, next BEGIN",
		 "-----BEGIN A-----\nZm9v\n-----BEGIN A-----\nZm9v\n-----END A-----\n", 3},
		{"headers", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
			    "DEK-Info: AES-128-CBC,00\n\nZm9v\n-----END RSA PRIVATE KEY-----\n", 2},
		{"bad base64 char", "-----BEGIN A-----\nZm9v!mFy\n-----END A-----\n", 0},
		{"space in base64", "-----BEGIN A-----\nZm9v YmFy\n-----END A-----\n", 0},
		{"bad padding", "-----BEGIN A-----\nZm9vYg=\n-----END A-----\n", 0},
		{"missing padding", "-----BEGIN A-----\nZm9vYg\n-----END A-----\n", 0},
		{"unused bits", "-----BEGIN A-----\nQR==\n-----END A-----\n", 0},
		{"empty block", "-----BEGIN A-----\n-----END A-----\n", 0},
		{"data after padding", "-----BEGIN A-----\nZg==\nZm9v\n-----END A-----\n", 3},
		{"padding mid-line", "-----BEGIN A-----\nZg==Zm9v\n-----END A-----\n", 0},
		{"bad END line", "-----BEGIN A-----\nZm9v\n-----END A----\n", 3},
		{"second block bad",
		 "-----BEGIN A-----\nZm9v\n-----END A-----\n-----BEGIN B-----\nZm9\n-----END B-----\n",
		 0},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		struct tg_pem_list l;
		struct tg_diag d;
		tg_err r = pem_dec(t[i].text, &l, &d);
		if (r == TG_OK || r == TG_E_NOTFOUND)
			fprintf(stderr, "  pem %s: got %s\n", t[i].name, tg_errname(r));
		CHECK(r != TG_OK && r != TG_E_NOTFOUND);
		CHECK(l.blocks == NULL && l.count == 0); /* nothing written on error */
		CHECK(d.msg[0] != '\0');
		if (t[i].line && d.line != t[i].line)
			fprintf(stderr, "  pem %s: diagnostic at line %u, want %u (%s)\n", t[i].name,
				d.line, t[i].line, d.msg);
		CHECK(!t[i].line || d.line == t[i].line);
		tg_pem_list_release(&l);
	}
}

TEST(pem_notfound_and_limits)
{
	struct tg_pem_list l;
	struct tg_diag d;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_PEM_FILE + 100);
	size_t i;
	CHECK_ERR(pem_dec("", &l, &d), TG_E_NOTFOUND);
	CHECK_ERR(pem_dec("just some text\nand more\n", &l, &d), TG_E_NOTFOUND);
	CHECK_ERR(pem_dec("----BEGIN A-----\nZm9v\n----END A-----\n", &l, &d), TG_E_NOTFOUND);
	/* TG_LIMIT_PEM_BLOCKS blocks are fine, one more is TOOBIG */
	for (i = 0; i < TG_LIMIT_PEM_BLOCKS; i++)
		CHECK_OK(tg_pem_encode(&b, "CERTIFICATE", "abc", 3));
	CHECK_OK(pem_dec(tg_buf_str(&b), &l, &d));
	CHECK(l.count == TG_LIMIT_PEM_BLOCKS);
	tg_pem_list_release(&l);
	CHECK_OK(tg_pem_encode(&b, "CERTIFICATE", "abc", 3));
	CHECK_ERR(pem_dec(tg_buf_str(&b), &l, &d), TG_E_TOOBIG);
	CHECK(l.count == 0);
	/* input larger than TG_LIMIT_PEM_FILE */
	tg_buf_reset(&b);
	CHECK_OK(tg_pem_encode(&b, "A", "abc", 3));
	while (b.len <= TG_LIMIT_PEM_FILE)
		CHECK_OK(tg_buf_adds(&b, "padding text padding text padding text\n"));
	CHECK_ERR(tg_pem_decode((const char *)b.data, b.len, &l, &d), TG_E_TOOBIG);
	tg_buf_release(&b);
}

/* ======================= RFC 3339 time ======================= */

/* Expected seconds from python3: datetime.fromisoformat(s).timestamp(). */
TEST(time_parse_valid)
{
	static const struct {
		const char *s;
		int64_t sec;
		int32_t nsec;
	} t[] = {
		{"1970-01-01T00:00:00Z", 0, 0},
		{"1970-01-01t00:00:00z", 0, 0}, /* RFC 3339 5.6 NOTE: lower case */
		{"1985-04-12T23:20:50.52Z", 482196050, 520000000},   /* RFC 3339 5.8 */
		{"1996-12-19T16:39:57-08:00", 851042397, 0},          /* RFC 3339 5.8 */
		{"1937-01-01T12:00:27.87+00:20", -1041337173, 870000000}, /* RFC 3339 5.8 */
		{"2000-01-01T00:00:00+01:00", 946681200, 0},
		{"2000-02-29T12:00:00Z", 951825600, 0},  /* 2000 is a leap year (div. by 400) */
		{"2024-02-29T00:00:00Z", 1709164800, 0},
		{"1969-12-31T23:59:59Z", -1, 0},
		{"1969-12-31T23:59:59.999999999Z", -1, 999999999},
		{"2038-01-19T03:14:08Z", 2147483648, 0},
		{"2017-03-04T05:06:07+05:30", 1488584167, 0},
		{"2017-03-04T05:06:07-00:00", 1488603967, 0}, /* RFC 3339 4.3 */
		{"2017-03-04T05:06:07.000000001Z", 1488603967, 1},
		{"2017-03-04T05:06:07.1Z", 1488603967, 100000000},
		{"2017-03-04T05:06:07.000Z", 1488603967, 0},
		{"2017-03-04T05:06:07.5-23:59", 1488603967 + 23 * 3600 + 59 * 60, 500000000},
		{"0000-01-01T00:00:00Z", -62167219200, 0},   /* year 0 (proleptic, leap) */
		{"0000-02-29T00:00:00Z", -62167219200 + 59 * 86400, 0},
		{"9999-12-31T23:59:59Z", 253402300799, 0},
		{"2009-02-13T23:31:30Z", 1234567890, 0},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		struct tg_time tm = {123, 456};
		struct tg_diag d;
		tg_diag_init(&d);
		tg_err r = tg_time_parse(t[i].s, strlen(t[i].s), &tm, &d);
		if (r != TG_OK || tm.sec != t[i].sec || tm.nsec != t[i].nsec)
			fprintf(stderr, "  %s: %s %lld.%09d (%s)\n", t[i].s, tg_errname(r),
				(long long)tm.sec, (int)tm.nsec, d.msg);
		CHECK(r == TG_OK && tm.sec == t[i].sec && tm.nsec == t[i].nsec);
	}
}

TEST(time_parse_rejects)
{
	static const char *const bad[] = {
		"",
		"1970",
		"1970-01-01",
		"1970-01-01T00:00",
		"1970-01-01T00:00:00",          /* no zone */
		"1970-01-01T00:00:00.5",        /* no zone */
		"1990-12-31T23:59:60Z",         /* RFC 3339 5.8 leap second: not representable */
		"1970-01-01T00:00:60Z",
		"1900-02-29T00:00:00Z",         /* 1900 is not a leap year */
		"2100-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z",
		"2000-02-30T00:00:00Z",
		"2023-04-31T00:00:00Z",
		"2023-06-31T00:00:00Z",
		"2023-09-31T00:00:00Z",
		"2023-11-31T00:00:00Z",
		"2023-01-32T00:00:00Z",
		"2023-00-10T00:00:00Z",
		"2023-13-10T00:00:00Z",
		"2023-01-00T00:00:00Z",
		"2023-01-01T24:00:00Z",
		"2023-01-01T23:60:00Z",
		"2023-01-01T23:00:99Z",
		"2023-01-01 00:00:00Z",         /* space separator: not accepted */
		"2023-01-01X00:00:00Z",
		"2023-1-01T00:00:00Z",
		"23-01-01T00:00:00Z",
		"+2023-01-01T00:00:00Z",
		"20230-01-01T00:00:00Z",
		"2O23-01-01T00:00:00Z",
		"2023/01/01T00:00:00Z",
		"2023-01-01T00.00.00Z",
		"2023-01-01T00:00:00ZZ",        /* trailing garbage */
		"2023-01-01T00:00:00Z ",
		"2023-01-01T00:00:00Zx",
		"2023-01-01T00:00:00Z\n",
		"2023-01-01T00:00:00+00:00Z",
		"2023-01-01T00:00:00.Z",        /* empty fraction */
		"2023-01-01T00:00:00,5Z",       /* comma fraction */
		"2023-01-01T00:00:00.1234567890Z", /* 10 fraction digits */
		"2023-01-01T00:00:00+0000",
		"2023-01-01T00:00:00+00",
		"2023-01-01T00:00:00+00:0",
		"2023-01-01T00:00:00+0:00",
		"2023-01-01T00:00:00+24:00",
		"2023-01-01T00:00:00+00:60",
		"2023-01-01T00:00:00+",
		"2023-01-01T00:00:00 +00:00",
		"2023-01-01T00:00:00UTC",
		"2023-01-01T-1:00:00Z",
		"2023-01-01T00:00:00.-1Z",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		struct tg_time tm = {77, 7};
		struct tg_diag d;
		tg_err r;
		tg_diag_init(&d);
		r = tg_time_parse(bad[i], strlen(bad[i]), &tm, &d);
		if (r != TG_E_PARSE)
			fprintf(stderr, "  accepted \"%s\" (%s)\n", bad[i], tg_errname(r));
		CHECK(r == TG_E_PARSE);
		CHECK(tm.sec == 77 && tm.nsec == 7); /* untouched */
		CHECK(d.msg[0] != '\0');
	}
}

/* The length bounds the parse, not a NUL: a valid prefix is not enough and
 * bytes after n are not read (ASan would see an over-read of the copy). */
TEST(time_parse_length)
{
	const char *s = "2023-01-01T00:00:00Z";
	size_t n = strlen(s), k;
	struct tg_time tm;
	for (k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, s, k);
		CHECK_ERR(tg_time_parse(copy, k, &tm, NULL), TG_E_PARSE);
		free(copy);
	}
	CHECK_OK(tg_time_parse("2023-01-01T00:00:00Zjunk", n, &tm, NULL));
	CHECK(tm.sec == 1672531200);
}

TEST(time_format)
{
	static const struct {
		int64_t sec;
		int32_t nsec;
		const char *want;
	} t[] = {
		{0, 0, "1970-01-01T00:00:00Z"},
		{482196050, 520000000, "1985-04-12T23:20:50.52Z"},
		{1234567890, 1, "2009-02-13T23:31:30.000000001Z"},
		{1234567890, 100000000, "2009-02-13T23:31:30.1Z"},
		{1234567890, 999999999, "2009-02-13T23:31:30.999999999Z"},
		{1234567890, 123456000, "2009-02-13T23:31:30.123456Z"},
		{-1, 0, "1969-12-31T23:59:59Z"},
		{-86400, 0, "1969-12-31T00:00:00Z"},
		{-86401, 0, "1969-12-30T23:59:59Z"},
		{951782400, 0, "2000-02-29T00:00:00Z"},
		{-62167219200, 0, "0000-01-01T00:00:00Z"},
		{253402300799, 999999999, "9999-12-31T23:59:59.999999999Z"},
	};
	char buf[TG_TIME_STR_MAX];
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		struct tg_time tm = {t[i].sec, t[i].nsec};
		memset(buf, 0, sizeof(buf));
		CHECK_OK(tg_time_format(tm, buf, sizeof(buf)));
		CHECK_STR(buf, t[i].want);
	}
	/* outside 0000..9999 or a bad nsec: RANGE */
	{
		struct tg_time a = {253402300800, 0}, b = {-62167219201, 0}, c = {0, 1000000000},
			       e = {0, -1}, f = {INT64_MAX, 0}, g = {INT64_MIN, 0};
		CHECK_ERR(tg_time_format(a, buf, sizeof(buf)), TG_E_RANGE);
		CHECK_ERR(tg_time_format(b, buf, sizeof(buf)), TG_E_RANGE);
		CHECK_ERR(tg_time_format(c, buf, sizeof(buf)), TG_E_RANGE);
		CHECK_ERR(tg_time_format(e, buf, sizeof(buf)), TG_E_RANGE);
		CHECK_ERR(tg_time_format(f, buf, sizeof(buf)), TG_E_RANGE);
		CHECK_ERR(tg_time_format(g, buf, sizeof(buf)), TG_E_RANGE);
	}
	/* dstlen: exactly enough works, one less is TOOBIG */
	{
		struct tg_time a = {0, 0}, b = {482196050, 520000000};
		char small[24];
		CHECK_OK(tg_time_format(a, small, 21));
		CHECK_STR(small, "1970-01-01T00:00:00Z");
		CHECK_ERR(tg_time_format(a, small, 20), TG_E_TOOBIG);
		CHECK_ERR(tg_time_format(a, small, 0), TG_E_TOOBIG);
		CHECK_OK(tg_time_format(b, small, 24));
		CHECK_STR(small, "1985-04-12T23:20:50.52Z");
		CHECK_ERR(tg_time_format(b, small, 23), TG_E_TOOBIG);
		CHECK_ERR(tg_time_format(b, small, 22), TG_E_TOOBIG);
	}
}

TEST(time_roundtrip)
{
	int i, ok = 1;
	char buf[TG_TIME_STR_MAX];
	for (i = 0; i < 20000; i++) {
		struct tg_time t, u;
		/* anywhere in 0000..9999 */
		t.sec = -62167219200 + (int64_t)(rng() % (uint64_t)(253402300799 + 62167219200 + 1));
		t.nsec = (i & 1) ? (int32_t)(rng() % 1000000000) : 0;
		if (tg_time_format(t, buf, sizeof(buf)) != TG_OK ||
		    tg_time_parse(buf, strlen(buf), &u, NULL) != TG_OK || u.sec != t.sec ||
		    u.nsec != t.nsec) {
			if (ok)
				fprintf(stderr, "  round trip of %lld.%09d failed: %s\n",
					(long long)t.sec, (int)t.nsec, buf);
			ok = 0;
		}
	}
	CHECK(ok);
}

TEST(time_days_from_civil)
{
	/* python3: (date(y, m, d) - date(1970, 1, 1)).days */
	CHECK(tg_days_from_civil(1970, 1, 1) == 0);
	CHECK(tg_days_from_civil(2000, 3, 1) == 11017);
	CHECK(tg_days_from_civil(1600, 2, 29) == -135081);
	CHECK(tg_days_from_civil(1969, 12, 31) == -1);
	CHECK(tg_days_from_civil(0, 1, 1) == -719528);
}

TEST(time_now)
{
	struct tg_time t = tg_time_now();
	CHECK(t.sec > 1700000000); /* after Nov 2023 */
	CHECK(t.nsec >= 0 && t.nsec <= 999999999);
}

/* ======================= UTF-8 ======================= */

/* An independent reading of RFC 3629: take the sequence apart by its
 * bit pattern, then require the shortest form, no surrogate, <= U+10FFFF. */
static size_t ref_utf8(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;
	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000))
		return 0; /* overlong */
	if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

TEST(utf8_vectors)
{
	static const struct {
		const char *s;
		size_t len;
		uint32_t cp;
	} good[] = {
		{"A", 1, 0x41},
		{"\x7f", 1, 0x7f},
		{"\xc2\x80", 2, 0x80},
		{"\xc2\xa9", 2, 0xa9},
		{"\xdf\xbf", 2, 0x7ff},
		{"\xe0\xa0\x80", 3, 0x800},
		{"\xe2\x82\xac", 3, 0x20ac},
		{"\xed\x9f\xbf", 3, 0xd7ff},
		{"\xee\x80\x80", 3, 0xe000},
		{"\xef\xbf\xbf", 3, 0xffff},
		{"\xf0\x90\x80\x80", 4, 0x10000},
		{"\xf0\x9f\x98\x80", 4, 0x1f600},
		{"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
	};
	static const struct {
		const char *name, *s;
		size_t n;
	} bad[] = {
		{"overlong NUL", "\xc0\x80", 2},
		{"overlong 2", "\xc1\xbf", 2},
		{"overlong 3", "\xe0\x80\x80", 3},
		{"overlong 3 max", "\xe0\x9f\xbf", 3},
		{"overlong 4", "\xf0\x80\x80\x80", 4},
		{"overlong 4 max", "\xf0\x8f\xbf\xbf", 4},
		{"surrogate D800", "\xed\xa0\x80", 3},
		{"surrogate DBFF", "\xed\xaf\xbf", 3},
		{"surrogate DC00", "\xed\xb0\x80", 3},
		{"surrogate DFFF", "\xed\xbf\xbf", 3},
		{"CESU pair", "\xed\xa0\xbd\xed\xb8\x80", 6},
		{"U+110000", "\xf4\x90\x80\x80", 4},
		{"F5 lead", "\xf5\x80\x80\x80", 4},
		{"F8 lead", "\xf8\x88\x80\x80\x80", 5},
		{"FF", "\xff", 1},
		{"FE", "\xfe", 1},
		{"lone continuation", "\x80", 1},
		{"lone continuation BF", "\xbf", 1},
		{"truncated 2", "\xc2", 1},
		{"truncated 3a", "\xe2", 1},
		{"truncated 3b", "\xe2\x82", 2},
		{"truncated 4", "\xf0\x9f\x98", 3},
		{"bad continuation", "\xc2\x41", 2},
		{"bad continuation 3", "\xe2\x82\x41", 3},
		{"bad continuation 4", "\xf0\x9f\x98\xc0", 4},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(good); i++) {
		uint32_t cp = 0;
		uint8_t enc[4];
		CHECK(tg_utf8_decode((const uint8_t *)good[i].s, good[i].len, &cp) == good[i].len);
		CHECK(cp == good[i].cp);
		CHECK(tg_utf8_valid((const uint8_t *)good[i].s, good[i].len, NULL));
		CHECK(tg_utf8_encode(good[i].cp, enc) == good[i].len);
		CHECK_MEM(enc, good[i].s, good[i].len);
	}
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		uint32_t cp = 0;
		size_t at = 99;
		int dec = tg_utf8_decode((const uint8_t *)bad[i].s, bad[i].n, &cp) == 0;
		int inval = !tg_utf8_valid((const uint8_t *)bad[i].s, bad[i].n, &at);
		if (!dec || !inval)
			fprintf(stderr, "  accepted %s\n", bad[i].name);
		CHECK(dec && inval);
		CHECK(at == 0);
	}
	/* encode refuses surrogates and values above U+10FFFF */
	{
		uint8_t enc[4];
		CHECK(tg_utf8_encode(0xd800, enc) == 0);
		CHECK(tg_utf8_encode(0xdfff, enc) == 0);
		CHECK(tg_utf8_encode(0x110000, enc) == 0);
		CHECK(tg_utf8_encode(0xffffffff, enc) == 0);
		CHECK(tg_utf8_encode(0, enc) == 1 && enc[0] == 0);
	}
}

TEST(utf8_valid_offsets)
{
	size_t bad = 99;
	CHECK(tg_utf8_valid((const uint8_t *)"", 0, &bad));
	CHECK(tg_utf8_valid((const uint8_t *)"a\0b", 3, &bad)); /* NUL is valid UTF-8 */
	CHECK(!tg_utf8_valid((const uint8_t *)"abc\xc3\xa9\xff", 6, &bad));
	CHECK(bad == 5);
	CHECK(!tg_utf8_valid((const uint8_t *)"ab\xe2\x82", 4, &bad)); /* truncated at end */
	CHECK(bad == 2);
	CHECK(!tg_utf8_valid((const uint8_t *)"\xc3\xa9\xed\xa0\x80", 5, NULL));
	/* the length bounds the check: bytes beyond n are not looked at */
	CHECK(tg_utf8_valid((const uint8_t *)"ok\xff", 2, NULL));
	CHECK(!tg_utf8_valid((const uint8_t *)"\xe2\x82\xac", 2, &bad));
	CHECK(bad == 0);
}

/* All 1-, 2- and 3-byte inputs, and a large sample of 4-byte ones, against
 * the reference reading above. */
TEST(utf8_exhaustive)
{
	static const uint8_t tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90,
					0x9f, 0xa0, 0xbf, 0xc0, 0xf4, 0xff};
	uint32_t a, b, c;
	int ok = 1;
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			for (c = 0; c < 256; c++) {
				uint8_t p[3] = {(uint8_t)a, (uint8_t)b, (uint8_t)c};
				uint32_t x = 0, y = 0;
				size_t k = tg_utf8_decode(p, 3, &x), r = ref_utf8(p, 3, &y);
				if (k != r || (k && x != y))
					ok = 0;
				if (c == 0) {
					/* the same with only 2 and 1 bytes available */
					k = tg_utf8_decode(p, 2, &x);
					r = ref_utf8(p, 2, &y);
					if (k != r || (k && x != y))
						ok = 0;
					k = tg_utf8_decode(p, 1, &x);
					r = ref_utf8(p, 1, &y);
					if (k != r || (k && x != y))
						ok = 0;
				}
			}
		}
	}
	CHECK(ok);
	for (a = 0xf0; a < 0x100; a++)
		for (b = 0; b < 256; b++)
			for (c = 0; c < TG_ARRAY_LEN(tails) * TG_ARRAY_LEN(tails); c++) {
				uint8_t p[4] = {(uint8_t)a, (uint8_t)b,
						tails[c % TG_ARRAY_LEN(tails)],
						tails[c / TG_ARRAY_LEN(tails)]};
				uint32_t x = 0, y = 0;
				size_t k = tg_utf8_decode(p, 4, &x), r = ref_utf8(p, 4, &y);
				if (k != r || (k && x != y))
					ok = 0;
			}
	CHECK(ok);
	CHECK(tg_utf8_decode((const uint8_t *)"x", 0, &a) == 0);
}

/* Every scalar value encodes to its RFC 3629 length and decodes back. */
TEST(utf8_all_scalars)
{
	uint32_t cp;
	int ok = 1;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		uint8_t enc[4];
		uint32_t back = 0;
		size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		size_t n = tg_utf8_encode(cp, enc);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			if (n != 0)
				ok = 0;
			continue;
		}
		if (n != want || tg_utf8_decode(enc, n, &back) != n || back != cp ||
		    ref_utf8(enc, n, &back) != n || back != cp)
			ok = 0;
	}
	CHECK(ok);
}

int main(void)
{
	RUN(b64_rfc4648_vectors);
	RUN(b64_alphabets);
	RUN(b64_encoded_len);
	RUN(b64_strict_rejects);
	RUN(b64_error_leaves_output);
	RUN(b64_diag_offset);
	RUN(b64_last_quantum_exhaustive);
	RUN(b64_against_openssl);
	RUN(b64_canonical_property);
	RUN(hex_vectors);
	RUN(hex_rejects);
	RUN(hex_cap);
	RUN(hex_roundtrip_exhaustive_bytes);
	RUN(pem_openssl_vector);
	RUN(pem_encode_layout);
	RUN(pem_roundtrip);
	RUN(pem_accepts);
	RUN(pem_rejects);
	RUN(pem_notfound_and_limits);
	RUN(time_parse_valid);
	RUN(time_parse_rejects);
	RUN(time_parse_length);
	RUN(time_format);
	RUN(time_roundtrip);
	RUN(time_days_from_civil);
	RUN(time_now);
	RUN(utf8_vectors);
	RUN(utf8_valid_offsets);
	RUN(utf8_exhaustive);
	RUN(utf8_all_scalars);
	return tg_test_done();
}
