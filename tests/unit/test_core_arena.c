/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_core_arena.c - the bump allocator (core/arena.h): alignment of each
 * kind of allocation, the hard cap on bytes handed out (padding included),
 * large allocations, overflow checks and release/reuse.
 */
#include "tg_test.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/mem.h"

/* splitmix64: a deterministic generator for the random sequences (the libc PRNG
 * is banned, and the tests must be reproducible). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

TEST(arena_basic)
{
	struct tg_arena a;
	char *p, *q;
	tg_arena_init(&a, 1024);
	CHECK(tg_arena_used(&a) == 0);
	p = tg_arena_alloc(&a, 10);
	CHECK(p != NULL);
	q = tg_arena_alloc(&a, 10);
	CHECK(q != NULL);
	CHECK(p != q);
	if (p && q) {
		memset(p, 'a', 10);
		memset(q, 'b', 10);
		CHECK(p[9] == 'a' && q[0] == 'b');
		CHECK(q >= p + 10 || p >= q + 10); /* no overlap */
	}
	CHECK(tg_arena_used(&a) >= 20);
	tg_arena_release(&a);
	CHECK(tg_arena_used(&a) == 0);
	/* reusable after release */
	p = tg_arena_alloc(&a, 100);
	CHECK(p != NULL);
	if (p)
		memset(p, 0, 100);
	tg_arena_release(&a);
	tg_arena_release(&a); /* twice is fine */
	tg_arena_release(NULL);
}

TEST(arena_alignment)
{
	struct tg_arena a;
	size_t i;
	int ok_max = 1, ok_ptr = 1;
	tg_arena_init(&a, TG_MIB);
	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)(rng() % 50);
		void *p;
		switch (rng() % 3) {
		case 0:
			p = tg_arena_alloc_bytes(&a, n + 1);
			break;
		case 1:
			p = tg_arena_alloc_ptrs(&a, n);
			if (p && !aligned(p, alignof(void *)))
				ok_ptr = 0;
			break;
		default:
			p = tg_arena_alloc(&a, n);
			if (p && !aligned(p, alignof(max_align_t)))
				ok_max = 0;
			break;
		}
		CHECK(p != NULL);
	}
	CHECK(ok_max);
	CHECK(ok_ptr);
	/* after an odd-sized byte allocation, both kinds realign */
	CHECK(tg_arena_alloc_bytes(&a, 1) != NULL);
	CHECK(aligned(tg_arena_alloc(&a, 8), alignof(max_align_t)));
	CHECK(tg_arena_alloc_bytes(&a, 3) != NULL);
	CHECK(aligned(tg_arena_alloc_ptrs(&a, 8), alignof(void *)));
	CHECK(aligned(tg_arena_alloc_array(&a, 3, 7), alignof(max_align_t)));
	tg_arena_release(&a);
}

/* Byte allocations are dense: no padding between them. */
TEST(arena_bytes_dense)
{
	struct tg_arena a;
	char *p, *q;
	tg_arena_init(&a, 1024);
	p = tg_arena_alloc_bytes(&a, 3);
	q = tg_arena_alloc_bytes(&a, 3);
	CHECK(p && q);
	CHECK(tg_arena_used(&a) == 6);
	tg_arena_release(&a);
}

TEST(arena_cap)
{
	struct tg_arena a;
	char *p;
	tg_arena_init(&a, 100);
	p = tg_arena_alloc_bytes(&a, 60);
	CHECK(p != NULL);
	CHECK(tg_arena_alloc_bytes(&a, 41) == NULL);
	CHECK(tg_arena_used(&a) == 60); /* a refusal hands out nothing */
	p = tg_arena_alloc_bytes(&a, 40);
	CHECK(p != NULL);
	CHECK(tg_arena_used(&a) == 100);
	CHECK(tg_arena_alloc_bytes(&a, 1) == NULL);
	CHECK(tg_arena_alloc(&a, 1) == NULL);
	CHECK(tg_arena_strndup(&a, "", 0) == NULL); /* needs one byte for the NUL */
	CHECK(tg_arena_used(&a) == 100);
	tg_arena_release(&a);

	/* one allocation bigger than the whole cap */
	tg_arena_init(&a, 100);
	CHECK(tg_arena_alloc(&a, 101) == NULL);
	CHECK(tg_arena_alloc_bytes(&a, 1000000) == NULL);
	CHECK(tg_arena_used(&a) == 0);
	CHECK(tg_arena_alloc_bytes(&a, 100) != NULL);
	tg_arena_release(&a);

	/* Alignment padding counts against the cap: after 1 byte, an aligned
	 * allocation must either fit under the cap with its padding or be
	 * refused, but never push used past max. */
	tg_arena_init(&a, 20);
	CHECK(tg_arena_alloc_bytes(&a, 1) != NULL);
	p = tg_arena_alloc(&a, 10);
	CHECK(tg_arena_used(&a) <= 20);
	if (p)
		memset(p, 1, 10);
	tg_arena_release(&a);
}

/* Random mixed allocations under a small cap: used never passes max,
 * every returned block is writable and no two blocks overlap. */
TEST(arena_cap_random)
{
	enum { ROUNDS = 200, ALLOCS = 300 };
	static struct {
		unsigned char *p;
		size_t n;
		unsigned char fill;
	} blk[ALLOCS];
	int round, i, ok_cap = 1, ok_fill = 1, refused = 0;

	for (round = 0; round < ROUNDS; round++) {
		struct tg_arena a;
		size_t max = 16 + (size_t)(rng() % 5000);
		int nb = 0;
		tg_arena_init(&a, max);
		for (i = 0; i < ALLOCS; i++) {
			size_t n = (size_t)(rng() % 200);
			unsigned char *p;
			switch (rng() % 4) {
			case 0:
				p = tg_arena_alloc_bytes(&a, n);
				break;
			case 1:
				p = tg_arena_alloc_ptrs(&a, n);
				break;
			case 2:
				p = tg_arena_alloc(&a, n);
				break;
			default:
				n = n / 4;
				p = tg_arena_alloc_array(&a, n, 4);
				n *= 4;
				break;
			}
			if (tg_arena_used(&a) > max)
				ok_cap = 0;
			if (!p) {
				refused++;
				continue;
			}
			blk[nb].p = p;
			blk[nb].n = n;
			blk[nb].fill = (unsigned char)(i + 1);
			memset(p, blk[nb].fill, n);
			nb++;
		}
		for (i = 0; i < nb; i++)
			for (size_t k = 0; k < blk[i].n; k++)
				if (blk[i].p[k] != blk[i].fill)
					ok_fill = 0;
		tg_arena_release(&a);
	}
	CHECK(ok_cap);
	CHECK(ok_fill);
	CHECK(refused > 0); /* the caps were actually reached */
}

TEST(arena_zero)
{
	struct tg_arena a;
	void *p, *q;
	tg_arena_init(&a, 1024);
	p = tg_arena_alloc(&a, 0);
	q = tg_arena_alloc(&a, 0);
	CHECK(p != NULL && q != NULL);
	CHECK(p != q);
	p = tg_arena_alloc_bytes(&a, 0);
	q = tg_arena_alloc_bytes(&a, 0);
	CHECK(p != NULL && q != NULL && p != q);
	tg_arena_release(&a);
}

TEST(arena_large)
{
	struct tg_arena a;
	unsigned char *small1, *big, *small2, *big2;
	size_t bign = 8 * TG_MIB, i;
	int ok = 1;
	tg_arena_init(&a, 64 * TG_MIB);
	small1 = tg_arena_alloc(&a, 16);
	big = tg_arena_alloc(&a, bign);
	small2 = tg_arena_alloc(&a, 16);
	big2 = tg_arena_alloc_bytes(&a, 3 * TG_MIB + 1);
	CHECK(small1 && big && small2 && big2);
	if (small1 && big && small2 && big2) {
		CHECK(aligned(big, alignof(max_align_t)));
		memset(small1, 0x11, 16);
		memset(big, 0x22, bign);
		memset(small2, 0x33, 16);
		memset(big2, 0x44, 3 * TG_MIB + 1);
		for (i = 0; i < 16; i++)
			if (small1[i] != 0x11 || small2[i] != 0x33)
				ok = 0;
		for (i = 0; i < bign; i += 4096)
			if (big[i] != 0x22)
				ok = 0;
		CHECK(big[bign - 1] == 0x22);
		CHECK(big2[3 * TG_MIB] == 0x44);
	}
	CHECK(ok);
	CHECK(tg_arena_used(&a) >= bign + 3 * TG_MIB + 1 + 32);
	CHECK(tg_arena_used(&a) <= 64 * TG_MIB);
	/* many small allocations after the big ones */
	for (i = 0; i < 100000; i++)
		if (!tg_arena_alloc_ptrs(&a, 24))
			ok = 0;
	CHECK(ok);
	tg_arena_release(&a);
}

TEST(arena_overflow)
{
	struct tg_arena a;
	tg_arena_init(&a, 1024);
	CHECK(tg_arena_alloc_array(&a, SIZE_MAX / 2 + 1, 2) == NULL);
	CHECK(tg_arena_alloc_array(&a, 2, SIZE_MAX / 2 + 1) == NULL);
	CHECK(tg_arena_alloc_array(&a, SIZE_MAX, SIZE_MAX) == NULL);
	CHECK(tg_arena_alloc(&a, SIZE_MAX) == NULL);
	CHECK(tg_arena_alloc_bytes(&a, SIZE_MAX) == NULL);
	CHECK(tg_arena_strndup(&a, "x", SIZE_MAX) == NULL);
	CHECK(tg_arena_used(&a) == 0);
	CHECK(tg_arena_alloc_array(&a, 0, 8) != NULL);
	CHECK(tg_arena_alloc_array(&a, 3, 5) != NULL);
	tg_arena_release(&a);

	tg_arena_init(&a, SIZE_MAX);
	CHECK(tg_arena_alloc(&a, SIZE_MAX) == NULL);
	CHECK(tg_arena_alloc_bytes(&a, SIZE_MAX) == NULL);
	tg_arena_release(&a);
}

/* Under ASan, an impossible malloc() returns NULL (so tg_xmalloc aborts
 * with SIGABRT) instead of being reported like a memory error (exit 1). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* With no cap at all (max = SIZE_MAX), a request near SIZE_MAX must be
 * refused (NULL) or abort as out of memory; returning a pointer would mean
 * the chunk size computation wrapped around. Run in a child, since the
 * contract allows an abort. */
TEST(arena_uncapped_huge)
{
	static const size_t sizes[] = {SIZE_MAX - 1,  SIZE_MAX - 16, SIZE_MAX - 17,
				       SIZE_MAX - 40, SIZE_MAX - 64, SIZE_MAX / 2};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(sizes); i++) {
		pid_t pid;
		int st = 0;
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			struct tg_arena a;
			void *p;
			if (!freopen("/dev/null", "w", stderr))
				_exit(4);
			tg_arena_init(&a, SIZE_MAX);
			p = tg_arena_alloc_bytes(&a, sizes[i]);
			_exit(p == NULL ? 0 : 3);
		}
		CHECK(pid > 0);
		if (pid <= 0)
			continue;
		CHECK(waitpid(pid, &st, 0) == pid);
		/* exit 0 = refused; SIGABRT = out of memory; any other exit
		 * (3: a pointer came back, 1: ASan saw an overflow) = bug */
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			fprintf(stderr, "arena handed out SIZE_MAX-%zu bytes\n", SIZE_MAX - sizes[i]);
		CHECK(!WIFEXITED(st) || WEXITSTATUS(st) == 0);
	}
}

TEST(arena_strndup_memdup)
{
	struct tg_arena a;
	char *s;
	unsigned char *m;
	tg_arena_init(&a, 64);
	s = tg_arena_strndup(&a, "hello", 3);
	CHECK_STR(s, "hel");
	s = tg_arena_strndup(&a, "a\0b", 3);
	CHECK(s && memcmp(s, "a\0b\0", 4) == 0);
	s = tg_arena_strndup(&a, NULL, 0);
	CHECK_STR(s, "");
	m = tg_arena_memdup(&a, "\x01\x02\x03", 3);
	CHECK(m && m[0] == 1 && m[2] == 3);
	CHECK(tg_arena_used(&a) == 4 + 4 + 1 + 3); /* byte aligned, dense */
	/* over the cap */
	CHECK(tg_arena_memdup(&a, "0123456789012345678901234567890123456789012345678901234567890123",
			      64) == NULL);
	CHECK(tg_arena_strndup(&a, "0123456789012345678901234567890123456789012345678901",
			       52) == NULL);
	s = tg_arena_strndup(&a, "0123456789012345678901234567890123456789012345678901",
			     51);
	CHECK(s != NULL && strlen(s) == 51);
	CHECK(tg_arena_used(&a) == 64);
	tg_arena_release(&a);
}

int main(void)
{
	RUN(arena_basic);
	RUN(arena_alignment);
	RUN(arena_bytes_dense);
	RUN(arena_cap);
	RUN(arena_cap_random);
	RUN(arena_zero);
	RUN(arena_large);
	RUN(arena_overflow);
	RUN(arena_uncapped_huge);
	RUN(arena_strndup_memdup);
	return tg_test_done();
}
