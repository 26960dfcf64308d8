/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_core_buf.c - the capped byte buffer (core/buf.h) checked against its
 * contract: the cap is a hard limit on len, a refused append leaves the
 * contents (bytes, length and terminating NUL) as they were, and detach hands over the bytes.
 */
#include "tg_test.h"

#include <stdint.h>

#include "core/buf.h"

/* The contract says the contents are always NUL-terminated. */
static int buf_terminated(const struct tg_buf *b)
{
	return b->data == NULL ? b->len == 0 : b->data[b->len] == '\0';
}

TEST(buf_empty)
{
	struct tg_buf b = TG_BUF_INIT(16);
	struct tg_buf c;
	CHECK(b.data == NULL && b.len == 0 && b.max == 16);
	CHECK_STR(tg_buf_str(&b), "");
	tg_buf_init(&c, 5);
	CHECK(c.data == NULL && c.len == 0 && c.cap == 0 && c.max == 5);
	CHECK_STR(tg_buf_str(&c), "");
	tg_buf_release(&b);
	tg_buf_release(&c);
	tg_buf_release(NULL);
	tg_buf_release_wipe(NULL);
	CHECK(b.max == 16); /* release keeps the cap */
}

TEST(buf_append)
{
	struct tg_buf b = TG_BUF_INIT(1024);
	CHECK_OK(tg_buf_add(&b, "ab", 2));
	CHECK_OK(tg_buf_adds(&b, "cd"));
	CHECK_OK(tg_buf_addc(&b, 'e'));
	CHECK_OK(tg_buf_add(&b, "", 0));
	CHECK_OK(tg_buf_adds(&b, ""));
	CHECK(b.len == 5);
	CHECK_STR(tg_buf_str(&b), "abcde");
	CHECK(buf_terminated(&b));
	/* Embedded NUL: the length is authoritative. */
	CHECK_OK(tg_buf_add(&b, "x\0y", 3));
	CHECK(b.len == 8);
	CHECK_MEM(b.data, "abcdex\0y", 9);
	CHECK(buf_terminated(&b));
	tg_buf_release(&b);
	CHECK(b.data == NULL && b.len == 0);
	CHECK_STR(tg_buf_str(&b), "");
}

/* Appending exactly up to the cap works; one byte more is TG_E_TOOBIG and
 * changes nothing, for every kind of append. */
TEST(buf_cap)
{
	struct tg_buf b = TG_BUF_INIT(8);
	CHECK_OK(tg_buf_add(&b, "12345", 5));
	CHECK_ERR(tg_buf_add(&b, "6789", 4), TG_E_TOOBIG);
	CHECK(b.len == 5);
	CHECK_STR(tg_buf_str(&b), "12345");
	CHECK_ERR(tg_buf_adds(&b, "abcd"), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "12345");
	CHECK_OK(tg_buf_add(&b, "678", 3));
	CHECK(b.len == 8);
	CHECK_STR(tg_buf_str(&b), "12345678");
	CHECK_ERR(tg_buf_addc(&b, '9'), TG_E_TOOBIG);
	CHECK_ERR(tg_buf_add(&b, "9", 1), TG_E_TOOBIG);
	CHECK_ERR(tg_buf_addf(&b, "%d", 9), TG_E_TOOBIG);
	CHECK(tg_buf_reserve(&b, 1) == NULL);
	CHECK_OK(tg_buf_add(&b, "", 0)); /* nothing more is still fine */
	CHECK_OK(tg_buf_addf(&b, "%s", ""));
	CHECK(b.len == 8);
	CHECK_STR(tg_buf_str(&b), "12345678");
	CHECK(buf_terminated(&b));
	tg_buf_release(&b);

	/* A zero cap admits only empty appends. */
	tg_buf_init(&b, 0);
	CHECK_ERR(tg_buf_addc(&b, 'x'), TG_E_TOOBIG);
	CHECK_OK(tg_buf_add(&b, "", 0));
	CHECK(b.len == 0);
	CHECK_STR(tg_buf_str(&b), "");
	tg_buf_release(&b);

	/* Sizes near SIZE_MAX must not wrap the cap check. */
	tg_buf_init(&b, 100);
	CHECK_OK(tg_buf_adds(&b, "abc"));
	CHECK_ERR(tg_buf_add(&b, "x", SIZE_MAX), TG_E_TOOBIG);
	CHECK_ERR(tg_buf_add(&b, "x", SIZE_MAX - 1), TG_E_TOOBIG);
	CHECK(tg_buf_reserve(&b, SIZE_MAX) == NULL);
	CHECK(tg_buf_reserve(&b, SIZE_MAX - 2) == NULL);
	CHECK_STR(tg_buf_str(&b), "abc");
	tg_buf_release(&b);
}

/* A buffer whose cap is SIZE_MAX ("no cap") must still refuse a request
 * that no allocation can satisfy instead of wrapping len + n + 1 around
 * and handing out a pointer into a too-small allocation. */
TEST(buf_cap_size_max)
{
	struct tg_buf b = TG_BUF_INIT(SIZE_MAX);
	CHECK_OK(tg_buf_adds(&b, "abc"));
	CHECK(tg_buf_reserve(&b, SIZE_MAX) == NULL);
	CHECK(tg_buf_reserve(&b, SIZE_MAX - 3) == NULL);
	CHECK_ERR(tg_buf_add(&b, "x", SIZE_MAX - 3), TG_E_TOOBIG);
	CHECK(b.len == 3);
	CHECK_STR(tg_buf_str(&b), "abc");
	tg_buf_release(&b);
}

TEST(buf_addf)
{
	struct tg_buf b = TG_BUF_INIT(64);
	CHECK_OK(tg_buf_addf(&b, "%s=%d;", "n", 42));
	CHECK_OK(tg_buf_addf(&b, "%05.1f|%x|%c", 3.5, 255u, 'z'));
	CHECK_STR(tg_buf_str(&b), "n=42;003.5|ff|z");
	CHECK(b.len == strlen("n=42;003.5|ff|z"));
	/* Formatted text that would pass the cap: refused, nothing written,
	 * not even a partial prefix. */
	CHECK_ERR(tg_buf_addf(&b, "%060d", 7), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "n=42;003.5|ff|z");
	CHECK(buf_terminated(&b));
	/* Exactly filling the cap works. */
	CHECK_OK(tg_buf_addf(&b, "%0*d", (int)(64 - b.len), 1));
	CHECK(b.len == 64);
	CHECK(b.data[63] == '1' && b.data[64] == '\0');
	tg_buf_release(&b);

	/* Growth across many formatted appends. */
	tg_buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		CHECK_OK(tg_buf_addf(&b, "%d,", i % 10));
	CHECK(b.len == 20000);
	CHECK(memcmp(b.data, "0,1,2,3,4,5,6,7,8,9,0,", 22) == 0);
	CHECK(memcmp(b.data + 19980, "0,1,2,3,4,5,6,7,8,9,", 20) == 0);
	CHECK(buf_terminated(&b));
	tg_buf_release(&b);
}

TEST(buf_reserve_commit)
{
	struct tg_buf b = TG_BUF_INIT(32);
	uint8_t *p;
	CHECK_OK(tg_buf_adds(&b, "ab"));
	p = tg_buf_reserve(&b, 10);
	CHECK(p != NULL);
	if (p) {
		CHECK(p == b.data + 2);
		CHECK(b.len == 2); /* reserving does not change the contents */
		memcpy(p, "0123456789", 10);
		tg_buf_commit(&b, 4); /* commit less than reserved */
	}
	CHECK(b.len == 6);
	CHECK_STR(tg_buf_str(&b), "ab0123");
	CHECK(buf_terminated(&b));
	tg_buf_commit(&b, 0);
	CHECK(b.len == 6);
	/* Reserve to exactly the cap, then past it. */
	p = tg_buf_reserve(&b, 26);
	CHECK(p != NULL);
	if (p) {
		memset(p, 'x', 26);
		tg_buf_commit(&b, 26);
	}
	CHECK(b.len == 32);
	CHECK(buf_terminated(&b));
	CHECK(tg_buf_reserve(&b, 1) == NULL);
	CHECK(b.len == 32);
	tg_buf_release(&b);

	/* Reserve on a fresh buffer allocates, and the contents still read
	 * as "" until something is committed (a reserve followed by commit(0),
	 * as an encoder of empty input does, must leave a C string). */
	tg_buf_init(&b, 4);
	p = tg_buf_reserve(&b, 4);
	CHECK(p != NULL);
	CHECK(b.len == 0 && buf_terminated(&b));
	CHECK_STR(tg_buf_str(&b), "");
	tg_buf_commit(&b, 0);
	CHECK_STR(tg_buf_str(&b), "");
	CHECK(tg_buf_reserve(&b, 5) == NULL);
	if (p) {
		memcpy(p, "wxyz", 4);
		tg_buf_commit(&b, 4);
	}
	CHECK_STR(tg_buf_str(&b), "wxyz");
	tg_buf_release(&b);
}

TEST(buf_truncate_reset)
{
	struct tg_buf b = TG_BUF_INIT(100);
	const uint8_t *data;
	size_t cap;
	CHECK_OK(tg_buf_adds(&b, "hello world"));
	tg_buf_truncate(&b, 5);
	CHECK(b.len == 5);
	CHECK_STR(tg_buf_str(&b), "hello");
	tg_buf_truncate(&b, 5);
	CHECK_STR(tg_buf_str(&b), "hello");
	data = b.data;
	cap = b.cap;
	tg_buf_reset(&b);
	CHECK(b.len == 0);
	CHECK_STR(tg_buf_str(&b), "");
	CHECK(b.data == data && b.cap == cap); /* reset keeps the allocation */
	CHECK_OK(tg_buf_adds(&b, "again"));
	CHECK_STR(tg_buf_str(&b), "again");
	tg_buf_truncate(&b, 0);
	CHECK_STR(tg_buf_str(&b), "");
	tg_buf_release_wipe(&b);
	CHECK(b.data == NULL && b.len == 0);
	/* reset of a never-used buffer */
	tg_buf_reset(&b);
	CHECK_STR(tg_buf_str(&b), "");
}

TEST(buf_detach)
{
	struct tg_buf b = TG_BUF_INIT(100);
	uint8_t *p = NULL;
	size_t n = 99;

	/* An empty buffer yields an allocated "". */
	tg_buf_detach(&b, &p, &n);
	CHECK(p != NULL);
	CHECK(n == 0);
	if (p)
		CHECK(p[0] == '\0');
	free(p);

	CHECK_OK(tg_buf_add(&b, "a\0bc", 4));
	tg_buf_detach(&b, &p, &n);
	CHECK(n == 4);
	CHECK_MEM(p, "a\0bc", 5); /* NUL-terminated too */
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	CHECK(b.max == 100);
	CHECK_STR(tg_buf_str(&b), "");
	free(p);

	/* The buffer is usable again, and outlen may be NULL. */
	CHECK_OK(tg_buf_adds(&b, "next"));
	tg_buf_detach(&b, &p, NULL);
	CHECK_STR((const char *)p, "next");
	free(p);
	tg_buf_release(&b);
}

/* Growth by single bytes and big blocks keeps every byte. */
TEST(buf_growth)
{
	struct tg_buf b = TG_BUF_INIT(3u << 20);
	static uint8_t block[100000];
	size_t i;
	int ok = 1;
	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < (1u << 20); i++)
		if (tg_buf_addc(&b, (uint8_t)i) != TG_OK)
			ok = 0;
	CHECK(ok);
	CHECK(b.len == (1u << 20));
	for (i = 0; i < b.len; i++)
		if (b.data[i] != (uint8_t)i)
			ok = 0;
	CHECK(ok);
	CHECK_OK(tg_buf_add(&b, block, sizeof(block)));
	CHECK_MEM(b.data + (1u << 20), block, sizeof(block));
	CHECK(buf_terminated(&b));
	CHECK(b.cap >= b.len + 1);
	/* fill to the cap exactly */
	while (b.len + sizeof(block) <= b.max)
		CHECK_OK(tg_buf_add(&b, block, sizeof(block)));
	CHECK_ERR(tg_buf_add(&b, block, sizeof(block)), TG_E_TOOBIG);
	CHECK_OK(tg_buf_add(&b, block, b.max - b.len));
	CHECK(b.len == b.max);
	CHECK_ERR(tg_buf_addc(&b, 0), TG_E_TOOBIG);
	CHECK(buf_terminated(&b));
	tg_buf_release(&b);
}

static tg_err call_vaddf(struct tg_buf *b, const char *fmt, ...) TG_PRINTF(2, 3);
static tg_err call_vaddf(struct tg_buf *b, const char *fmt, ...)
{
	va_list ap;
	tg_err r;
	va_start(ap, fmt);
	r = tg_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

TEST(buf_vaddf)
{
	struct tg_buf b = TG_BUF_INIT(10);
	CHECK_OK(call_vaddf(&b, "%s-%u", "ab", 12u));
	CHECK_STR(tg_buf_str(&b), "ab-12");
	CHECK_ERR(call_vaddf(&b, "%s", "123456"), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "ab-12");
	CHECK_OK(call_vaddf(&b, "%s", "12345"));
	CHECK_STR(tg_buf_str(&b), "ab-1212345");
	tg_buf_release(&b);
}

int main(void)
{
	RUN(buf_empty);
	RUN(buf_append);
	RUN(buf_cap);
	RUN(buf_cap_size_max);
	RUN(buf_addf);
	RUN(buf_reserve_commit);
	RUN(buf_truncate_reset);
	RUN(buf_detach);
	RUN(buf_growth);
	RUN(buf_vaddf);
	return tg_test_done();
}
