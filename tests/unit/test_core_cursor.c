/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_core_cursor.c - the length-checked reader (core/cursor.h): every
 * reader at every offset of short inputs, no movement and no output on
 * failure, until() with its cap, and line:column reporting.
 */
#include "tg_test.h"

#include <stdint.h>

#include "core/cursor.h"

static const uint8_t seq[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xfe};

TEST(cursor_inline)
{
	struct tg_cursor c;
	tg_cursor_init(&c, seq, 2);
	CHECK(c.off == 0 && c.len == 2);
	CHECK(tg_cursor_left(&c) == 2);
	CHECK(!tg_cursor_eof(&c));
	CHECK(tg_cursor_peek(&c) == 0x01);
	CHECK(c.off == 0); /* peek does not consume */
	CHECK_OK(tg_cursor_skip(&c, 2));
	CHECK(tg_cursor_eof(&c));
	CHECK(tg_cursor_left(&c) == 0);
	CHECK(tg_cursor_peek(&c) == -1);
	/* a byte >= 0x80 peeks as a positive value, not as -1 */
	tg_cursor_init(&c, seq + 9, 1);
	CHECK(tg_cursor_peek(&c) == 0xfe);
	/* an empty input */
	tg_cursor_init(&c, NULL, 0);
	CHECK(tg_cursor_eof(&c));
	CHECK(tg_cursor_peek(&c) == -1);
}

/* Big-endian values, expected values written out by hand from seq. */
TEST(cursor_values)
{
	struct tg_cursor c;
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	tg_cursor_init(&c, seq, sizeof(seq));
	CHECK_OK(tg_cursor_u8(&c, &u8));
	CHECK(u8 == 0x01);
	CHECK_OK(tg_cursor_u16be(&c, &u16));
	CHECK(u16 == 0x0203);
	CHECK_OK(tg_cursor_u32be(&c, &u32));
	CHECK(u32 == 0x04050607u);
	CHECK(c.off == 7);
	tg_cursor_init(&c, seq + 2, 8);
	CHECK_OK(tg_cursor_u64be(&c, &u64));
	CHECK(u64 == 0x03040506070809feull);
	CHECK(tg_cursor_eof(&c));
	tg_cursor_init(&c, seq + 8, 2);
	CHECK_OK(tg_cursor_u16be(&c, &u16));
	CHECK(u16 == 0x09fe);
}

/* Every reader, every start offset, every input length up to 10: it
 * succeeds exactly when enough bytes remain; on failure neither the
 * cursor nor the output moves. */
TEST(cursor_bounds_everywhere)
{
	size_t len, off, n;
	int ok = 1;
	for (len = 0; len <= sizeof(seq); len++) {
		for (off = 0; off <= len; off++) {
			struct tg_cursor c;
			size_t left = len - off;
			uint8_t u8 = 0xaa;
			uint16_t u16 = 0xaaaa;
			uint32_t u32 = 0xaaaaaaaa;
			uint64_t u64 = 0xaaaaaaaaaaaaaaaa;
			const uint8_t *bp = (const uint8_t *)"sentinel";
			tg_err r;

#define AT()                                                                \
	do {                                                                \
		tg_cursor_init(&c, seq, len);                               \
		c.off = off;                                                \
	} while (0)
#define EXPECT(need, call, outok)                                           \
	do {                                                                \
		AT();                                                       \
		r = (call);                                                 \
		if (left >= (need)) {                                       \
			if (r != TG_OK || c.off != off + (need) || !(outok)) \
				ok = 0;                                     \
		} else if (r != TG_E_PARSE || c.off != off) {               \
			ok = 0;                                             \
		}                                                           \
	} while (0)

			EXPECT(1, tg_cursor_u8(&c, &u8), u8 == seq[off]);
			if (left < 1 && u8 != 0xaa)
				ok = 0;
			EXPECT(2, tg_cursor_u16be(&c, &u16),
			       u16 == (uint16_t)(seq[off] << 8 | seq[off + 1]));
			if (left < 2 && u16 != 0xaaaa)
				ok = 0;
			EXPECT(4, tg_cursor_u32be(&c, &u32), u32 >> 24 == seq[off] &&
							       (u32 & 0xff) == seq[off + 3]);
			if (left < 4 && u32 != 0xaaaaaaaa)
				ok = 0;
			EXPECT(8, tg_cursor_u64be(&c, &u64), u64 >> 56 == seq[off] &&
							       (u64 & 0xff) == seq[off + 7]);
			if (left < 8 && u64 != 0xaaaaaaaaaaaaaaaa)
				ok = 0;
			for (n = 0; n <= sizeof(seq) + 1; n++) {
				EXPECT(n, tg_cursor_bytes(&c, n, &bp), bp == seq + off);
				EXPECT(n, tg_cursor_skip(&c, n), 1);
				AT();
				if (tg_cursor_accept(&c, (const char *)seq + off, n) !=
				    (n <= left) || c.off != (n <= left ? off + n : off))
					ok = 0;
			}
			/* sizes that would wrap off + n */
			AT();
			if (tg_cursor_bytes(&c, SIZE_MAX, &bp) != TG_E_PARSE || c.off != off)
				ok = 0;
			AT();
			if (tg_cursor_skip(&c, SIZE_MAX) != TG_E_PARSE || c.off != off)
				ok = 0;
			AT();
			if (tg_cursor_skip(&c, SIZE_MAX - off) != TG_E_PARSE || c.off != off)
				ok = 0;
			AT();
			if (tg_cursor_accept(&c, "x", SIZE_MAX) || c.off != off)
				ok = 0;
#undef EXPECT
#undef AT
		}
	}
	CHECK(ok);
}

TEST(cursor_accept)
{
	struct tg_cursor c;
	tg_cursor_init(&c, "BEGIN xyz", 9);
	CHECK(!tg_cursor_accept(&c, "BEGUN", 5));
	CHECK(c.off == 0);
	CHECK(tg_cursor_accept(&c, "BEGIN", 5));
	CHECK(c.off == 5);
	CHECK(tg_cursor_accept(&c, "", 0));
	CHECK(c.off == 5);
	CHECK(!tg_cursor_accept(&c, " xyzw", 5)); /* runs past the end */
	CHECK(c.off == 5);
	CHECK(tg_cursor_accept(&c, " xyz", 4));
	CHECK(tg_cursor_eof(&c));
	/* a literal with a NUL in it: lengths, not terminators */
	tg_cursor_init(&c, "a\0b", 3);
	CHECK(tg_cursor_accept(&c, "a\0b", 3));
	tg_cursor_init(&c, "a\0c", 3);
	CHECK(!tg_cursor_accept(&c, "a\0b", 3));
}

TEST(cursor_until)
{
	struct tg_cursor c;
	const uint8_t *s = NULL;
	size_t n = 99;

	tg_cursor_init(&c, "key=value=x", 11);
	CHECK_OK(tg_cursor_until(&c, '=', 100, &s, &n));
	CHECK(n == 3 && memcmp(s, "key", 3) == 0);
	CHECK(c.off == 4); /* the delimiter is consumed */
	CHECK_OK(tg_cursor_until(&c, '=', 5, &s, &n)); /* span exactly max */
	CHECK(n == 5 && memcmp(s, "value", 5) == 0);
	CHECK(c.off == 10);
	/* missing delimiter: PARSE, nothing moves, outputs untouched */
	s = NULL;
	n = 99;
	CHECK_ERR(tg_cursor_until(&c, '=', 100, &s, &n), TG_E_PARSE);
	CHECK(c.off == 10 && s == NULL && n == 99);

	/* span longer than max: TOOBIG, nothing moves */
	tg_cursor_init(&c, "abcdef=", 7);
	CHECK_ERR(tg_cursor_until(&c, '=', 5, &s, &n), TG_E_TOOBIG);
	CHECK(c.off == 0 && s == NULL && n == 99);
	CHECK_ERR(tg_cursor_until(&c, '=', 0, &s, &n), TG_E_TOOBIG);
	CHECK_OK(tg_cursor_until(&c, '=', 6, &s, &n));
	CHECK(n == 6);
	CHECK(tg_cursor_eof(&c));
	/* at the end there is no delimiter */
	CHECK_ERR(tg_cursor_until(&c, '=', 6, &s, &n), TG_E_PARSE);

	/* empty span, max 0 */
	tg_cursor_init(&c, "=x", 2);
	CHECK_OK(tg_cursor_until(&c, '=', 0, &s, &n));
	CHECK(n == 0 && c.off == 1);

	/* NUL bytes are ordinary bytes, and NUL can be the delimiter */
	tg_cursor_init(&c, "a\0b=c\0", 6);
	CHECK_OK(tg_cursor_until(&c, '=', 10, &s, &n));
	CHECK(n == 3 && memcmp(s, "a\0b", 3) == 0);
	CHECK_OK(tg_cursor_until(&c, '\0', 10, &s, &n));
	CHECK(n == 1 && s[0] == 'c' && tg_cursor_eof(&c));

	/* a missing delimiter after more than max bytes is an error either
	 * way; the span is too long and the delimiter is absent */
	tg_cursor_init(&c, "abcdefgh", 8);
	{
		tg_err r = tg_cursor_until(&c, '=', 3, &s, &n);
		CHECK(r == TG_E_TOOBIG || r == TG_E_PARSE);
		CHECK(c.off == 0);
	}
	/* no cap at all */
	tg_cursor_init(&c, "abc\n", 4);
	CHECK_OK(tg_cursor_until(&c, '\n', SIZE_MAX, &s, &n));
	CHECK(n == 3);
	tg_cursor_init(&c, "abc", 3);
	CHECK_ERR(tg_cursor_until(&c, '\n', SIZE_MAX, &s, &n), TG_E_PARSE);
	/* the delimiter must not be found beyond the input's length */
	tg_cursor_init(&c, "abc=", 3);
	CHECK_ERR(tg_cursor_until(&c, '=', 100, &s, &n), TG_E_PARSE);
	CHECK(c.off == 0);
}

TEST(cursor_until_exhaustive)
{
	/* For every placement of the delimiter and every cap, compare with
	 * the definition: OK iff the delimiter occurs and the span <= max. */
	char in[8];
	size_t len, pos, max;
	int ok = 1;
	for (len = 0; len <= 7; len++) {
		for (pos = 0; pos <= len; pos++) { /* pos == len: no delimiter */
			memset(in, 'a', sizeof(in));
			if (pos < len)
				in[pos] = ';';
			for (max = 0; max <= 8; max++) {
				struct tg_cursor c;
				const uint8_t *s = NULL;
				size_t n = 0;
				tg_err r;
				tg_cursor_init(&c, in, len);
				r = tg_cursor_until(&c, ';', max, &s, &n);
				if (pos < len && pos <= max) {
					if (r != TG_OK || n != pos || s != (const uint8_t *)in ||
					    c.off != pos + 1)
						ok = 0;
				} else if (pos < len) {
					if (r != TG_E_TOOBIG || c.off != 0)
						ok = 0;
				} else {
					if ((r != TG_E_PARSE && r != TG_E_TOOBIG) || c.off != 0)
						ok = 0;
					if (len <= max && r != TG_E_PARSE)
						ok = 0;
				}
			}
		}
	}
	CHECK(ok);
}

TEST(cursor_linecol)
{
	static const char text[] = "ab\ncd\n\nef";
	struct tg_cursor c;
	uint32_t line = 0, col = 0;
	tg_cursor_init(&c, text, 9);
	tg_cursor_linecol(&c, 0, &line, &col);
	CHECK(line == 1 && col == 1);
	tg_cursor_linecol(&c, 1, &line, &col);
	CHECK(line == 1 && col == 2);
	tg_cursor_linecol(&c, 2, &line, &col); /* the newline itself */
	CHECK(line == 1 && col == 3);
	tg_cursor_linecol(&c, 3, &line, &col);
	CHECK(line == 2 && col == 1);
	tg_cursor_linecol(&c, 6, &line, &col); /* the empty third line */
	CHECK(line == 3 && col == 1);
	tg_cursor_linecol(&c, 7, &line, &col);
	CHECK(line == 4 && col == 1);
	tg_cursor_linecol(&c, 9, &line, &col); /* end of input */
	CHECK(line == 4 && col == 3);

	/* columns are bytes: "é" is two */
	tg_text_linecol((const uint8_t *)"\xc3\xa9x", 3, 2, &line, &col);
	CHECK(line == 1 && col == 3);
	/* CR is an ordinary column byte; LF ends the line */
	tg_text_linecol((const uint8_t *)"a\r\nb", 4, 3, &line, &col);
	CHECK(line == 2 && col == 1);
	tg_text_linecol((const uint8_t *)"a\r\nb", 4, 2, &line, &col);
	CHECK(line == 1 && col == 3);
	/* empty input */
	tg_text_linecol((const uint8_t *)"", 0, 0, &line, &col);
	CHECK(line == 1 && col == 1);
	/* the scan stops at len even when the bytes go on */
	tg_text_linecol((const uint8_t *)"ab\n\n\n", 2, 2, &line, &col);
	CHECK(line == 1 && col == 3);
}

int main(void)
{
	RUN(cursor_inline);
	RUN(cursor_values);
	RUN(cursor_bounds_everywhere);
	RUN(cursor_accept);
	RUN(cursor_until);
	RUN(cursor_until_exhaustive);
	RUN(cursor_linecol);
	return tg_test_done();
}
