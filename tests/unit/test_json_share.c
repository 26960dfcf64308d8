/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json_share.c - data documents parsed with sharing (tg_json_parse_data)
 * and from files (tg_json_parse_fd) must be the same values, with the same
 * errors, as the plain parser gives; repeated values must really be shared.
 */
#include "tg_test.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"

static struct tg_arena A;

/* Test documents are built in memory: running out is a broken test. */
#define ADD(x)                                                                                     \
	do {                                                                                       \
		if ((x) != TG_OK)                                                                  \
			abort();                                                                   \
	} while (0)

static uint64_t rng_state = 0x3c6ef372fe94f82bu;
static uint64_t rng(void) /* splitmix64: deterministic, no libc PRNG */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static const char *const WORDS[] = {"MIT",
                                    "Apache-2.0",
                                    "HIGH",
                                    "LOW",
                                    "name",
                                    "a\\\"b",
                                    "caf\xc3\xa9",
                                    "\\u00e9",
                                    "",
                                    "x\\ny",
                                    "kube-system",
                                    "a-rather-long-string-that-is-longer-than-sixty-four-bytes-"
                                    "so-it-is-never-shared"};
static const char *const NUMS[] = {"0",    "1",  "-1",  "1.5", "1e3",
                                   "10.0", "80", "443", "3.4", "123456789012345678901234567890"};

/* Appends a random JSON value drawn from a small vocabulary, so that keys,
 * strings, numbers and small containers repeat. */
static void gen(struct tg_buf *b, unsigned depth)
{
	unsigned k = (unsigned)(rng() % (depth ? 10 : 3));
	size_t i, n;
	if (depth == 0 || k >= 3) {
		switch (rng() % 5) {
		case 0:
			ADD(tg_buf_addf(b, "\"%s\"",
			                WORDS[rng() % (sizeof(WORDS) / sizeof(*WORDS))]));
			return;
		case 1:
			ADD(tg_buf_adds(b, NUMS[rng() % (sizeof(NUMS) / sizeof(*NUMS))]));
			return;
		case 2:
			ADD(tg_buf_adds(b, rng() % 2 ? "true" : "null"));
			return;
		default:
			if (depth == 0) {
				ADD(tg_buf_adds(b, "false"));
				return;
			}
			k = (unsigned)(rng() % 2) + 1;
		}
	}
	n = rng() % 6;
	if (rng() % 16 == 0)
		n += 10; /* beyond the sharing size */
	ADD(tg_buf_adds(b, k == 1 ? "[" : "{"));
	for (i = 0; i < n; i++) {
		if (i)
			ADD(tg_buf_adds(b, rng() % 2 ? "," : " ,\n "));
		if (k != 1)
			/* keys repeat (duplicates too: the last one wins) */
			ADD(tg_buf_addf(b, "\"%s\": ", WORDS[rng() % 6]));
		gen(b, depth - 1);
	}
	ADD(tg_buf_adds(b, k == 1 ? "]" : "}"));
}

static void emit(const struct tg_json *v, struct tg_buf *out)
{
	tg_buf_reset(out);
	CHECK_OK(tg_json_emit(out, v, 0));
}

TEST(data_equals_plain)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	struct tg_buf text = TG_BUF_INIT(64 * TG_MIB), e1 = TG_BUF_INIT(64 * TG_MIB),
	              e2 = TG_BUF_INIT(64 * TG_MIB);
	int round;
	for (round = 0; round < 300; round++) {
		const struct tg_json *plain = NULL, *shared = NULL;
		struct tg_diag d;
		tg_buf_reset(&text);
		ADD(tg_buf_adds(&text, "["));
		gen(&text, 5);
		ADD(tg_buf_adds(&text, ","));
		gen(&text, 5);
		ADD(tg_buf_adds(&text, "]"));
		tg_diag_init(&d);
		CHECK_OK(tg_json_parse(&A, text.data, text.len, &o, &plain, NULL, &d));
		CHECK_OK(tg_json_parse_data(&A, text.data, text.len, &o, &shared, &d));
		if (!plain || !shared)
			break;
		CHECK(tg_json_cmp(plain, shared) == 0);
		emit(plain, &e1);
		emit(shared, &e2);
		CHECK(e1.len == e2.len && memcmp(e1.data, e2.data, e1.len) == 0);
	}
	tg_buf_release(&text);
	tg_buf_release(&e1);
	tg_buf_release(&e2);
}

TEST(data_shares)
{
	/* a value is filed for sharing when it is met the second time, and
	 * shared from the third on; a container only when its items are */
	static const char doc[] =
	        "{\"p\": [{\"name\": \"a\", \"lic\": [\"MIT\"], \"v\": {\"sev\": \"HIGH\", \"n\": "
	        "1.5}},"
	        " {\"name\": \"a\", \"lic\": [\"MIT\"], \"v\": {\"sev\": \"HIGH\", \"n\": 1.5}},"
	        " {\"name\": \"a\", \"lic\": [\"MIT\"], \"v\": {\"sev\": \"HIGH\", \"n\": 1.5}},"
	        " {\"name\": \"a\", \"lic\": [\"MIT\"], \"v\": {\"sev\": \"HIGH\", \"n\": 1.5}},"
	        " {\"name\": \"a\", \"lic\": [\"MIT\"], \"v\": {\"sev\": \"HIGH\", \"n\": 1.5}},"
	        " {\"lic\": [\"MIT\"], \"v\": {\"n\": 1.5, \"sev\": \"HIGH\"}, \"name\": \"a\"},"
	        " {\"name\": \"MIT\", \"lic\": [\"MIT\", \"x\"], \"v\": {\"sev\": \"LOW\", \"n\": "
	        "1.50}}]}";
	const struct tg_json *v = NULL, *p, *a, *b, *c;
	struct tg_diag d;
	size_t before = tg_arena_used(&A), shared_bytes, plain_bytes;
	tg_diag_init(&d);
	CHECK_OK(tg_json_parse_data(&A, doc, sizeof(doc) - 1, NULL, &v, &d));
	shared_bytes = tg_arena_used(&A) - before;
	p = tg_json_get(v, "p");
	CHECK(p && p->type == TG_JSON_ARRAY && p->u.a.len == 7);
	if (!p || p->u.a.len != 7)
		return;
	a = p->u.a.items[2];
	b = p->u.a.items[3];
	c = p->u.a.items[6];
	/* keys and strings */
	CHECK(a->u.o.items[0].key == b->u.o.items[0].key);
	CHECK(a->u.o.items[0].key == c->u.o.items[0].key);
	CHECK(tg_json_get(a, "name") == tg_json_get(b, "name"));
	/* a key and an equal string value are one node */
	CHECK(tg_json_get(c, "name") == tg_json_get(c, "lic")->u.a.items[0]);
	/* equal arrays and objects (members in any order), bottom up */
	CHECK(tg_json_get(p->u.a.items[3], "lic") == tg_json_get(p->u.a.items[4], "lic"));
	CHECK(tg_json_get(p->u.a.items[4], "v") == tg_json_get(p->u.a.items[5], "v"));
	CHECK(tg_json_cmp(p->u.a.items[0], p->u.a.items[5]) == 0);
	/* 1.5 and 1.50 are equal numbers with different literals: not merged */
	CHECK(tg_json_get(tg_json_get(a, "v"), "n") != tg_json_get(tg_json_get(c, "v"), "n"));
	CHECK_STR(tg_json_get(tg_json_get(c, "v"), "n")->u.s.p, "1.50");
	CHECK(tg_json_get(a, "v") != tg_json_get(c, "v"));

	before = tg_arena_used(&A);
	CHECK_OK(tg_json_parse(&A, doc, sizeof(doc) - 1, NULL, &v, NULL, &d));
	plain_bytes = tg_arena_used(&A) - before;
	CHECK(shared_bytes < plain_bytes);
}

TEST(data_errors_match)
{
	static const char *const bad[] = {
	        "{\"a\": 1,}", "[1, 2", "{\"a\" 1}",           "[\"\\x\"]",       "[01]",
	        "[1] x",       "",      "{\"a\": [\"\xff\"]}", "[1e99999999999]",
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const struct tg_json *v = NULL;
		struct tg_diag d1, d2;
		tg_err r1, r2;
		tg_diag_init(&d1);
		tg_diag_init(&d2);
		r1 = tg_json_parse(&A, bad[i], strlen(bad[i]), NULL, &v, NULL, &d1);
		r2 = tg_json_parse_data(&A, bad[i], strlen(bad[i]), NULL, &v, &d2);
		CHECK(r1 != TG_OK);
		CHECK(r1 == r2);
		CHECK(d1.line == d2.line && d1.col == d2.col);
		CHECK_STR(d2.msg, d1.msg);
	}
}

TEST(data_duplicate_key)
{
	/* strict mode still rejects; the position is the object's, since a
	 * shared key remembers only where it first appeared */
	static const char doc[] = "[{\"a\": 1}, {\"b\": 2,\n \"a\": 3, \"a\": 4}]";
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	CHECK_ERR(tg_json_parse_data(&A, doc, sizeof(doc) - 1, NULL, &v, &d), TG_E_DUPKEY);
	CHECK(d.line == 1 && d.col == 12);
	CHECK(strstr(d.msg, "\"a\"") != NULL);
}

/* Writes n bytes to a new temporary file; returns an fd open on it. */
static int temp_file(const void *p, size_t n)
{
	char path[] = "/tmp/tg-json-share-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A document of more than two release steps (4 MiB each). */
static void big_doc(struct tg_buf *b, const char *tail)
{
	size_t i;
	ADD(tg_buf_adds(b, "{\"items\": [\n"));
	for (i = 0; i < 200000; i++)
		ADD(tg_buf_addf(b,
		                "%s{\"id\": \"item-%zu\", \"tags\": [\"a\", \"b\"], \"n\": %zu, "
		                "\"s\": \"%s\"}\n",
		                i ? "," : "", i, i % 7, i % 3 ? "x" : "y\\u00e9"));
	ADD(tg_buf_adds(b, tail));
}

TEST(fd_equals_plain)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	struct tg_buf text = TG_BUF_INIT(256 * TG_MIB);
	const struct tg_json *plain = NULL, *mapped = NULL;
	struct tg_diag d;
	int fd;
	big_doc(&text, "]}");
	CHECK(text.len > 9 * 1024 * 1024);
	tg_diag_init(&d);
	CHECK_OK(tg_json_parse(&A, text.data, text.len, &o, &plain, NULL, &d));
	fd = temp_file(text.data, text.len);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_OK(tg_json_parse_fd(&A, fd, TG_LIMIT_JSON_DOC, &o, &mapped, &d));
		CHECK(plain && mapped && tg_json_cmp(plain, mapped) == 0);
		/* over the size limit */
		CHECK_ERR(tg_json_parse_fd(&A, fd, text.len - 1, &o, &mapped, &d), TG_E_TOOBIG);
		close(fd);
	}
	tg_buf_release(&text);
}

TEST(fd_error_after_release)
{
	/* an error past the released pages still gets its line and column */
	struct tg_buf text = TG_BUF_INIT(256 * TG_MIB);
	const struct tg_json *v = NULL;
	struct tg_diag d1, d2;
	tg_err r1;
	int fd;
	big_doc(&text, ",\n  {\"id\": tru}]}");
	tg_diag_init(&d1);
	tg_diag_init(&d2);
	r1 = tg_json_parse(&A, text.data, text.len, NULL, &v, NULL, &d1);
	CHECK(r1 == TG_E_PARSE);
	CHECK(d1.line == 200003);
	fd = temp_file(text.data, text.len);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_ERR(tg_json_parse_fd(&A, fd, TG_LIMIT_JSON_DOC, NULL, &v, &d2), r1);
		CHECK(d1.line == d2.line && d1.col == d2.col);
		CHECK_STR(d2.msg, d1.msg);
		close(fd);
	}
	tg_buf_release(&text);
}

TEST(fd_pipe)
{
	static const char doc[] = "{\"a\": [1, \"x\", \"x\", {\"b\": null}], \"c\": \"x\"}";
	const struct tg_json *v = NULL;
	struct tg_diag d;
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], doc, sizeof(doc) - 1) == (ssize_t)(sizeof(doc) - 1));
	close(p[1]);
	tg_diag_init(&d);
	CHECK_OK(tg_json_parse_fd(&A, p[0], TG_LIMIT_JSON_DOC, NULL, &v, &d));
	close(p[0]);
	CHECK(v && tg_json_str_eq(tg_json_get(v, "c"), "x"));
	CHECK(v && tg_json_get(v, "c") == tg_json_get(v, "a")->u.a.items[2]);

	/* a pipe longer than the limit */
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], doc, sizeof(doc) - 1) == (ssize_t)(sizeof(doc) - 1));
	close(p[1]);
	CHECK_ERR(tg_json_parse_fd(&A, p[0], 10, NULL, &v, &d), TG_E_TOOBIG);
	close(p[0]);
}

int main(void)
{
	tg_arena_init(&A, 1024 * TG_MIB);
	RUN(data_equals_plain);
	RUN(data_shares);
	RUN(data_errors_match);
	RUN(data_duplicate_key);
	RUN(fd_equals_plain);
	RUN(fd_error_after_release);
	RUN(fd_pipe);
	tg_arena_release(&A);
	return tg_test_done();
}
