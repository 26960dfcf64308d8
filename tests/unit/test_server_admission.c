/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_server_admission.c - the signer's check of admission decision
 * records (tg_server_admission_entry): the entry for a known record, byte
 * for byte as docs/gate.md writes it, and every kind of record it refuses.
 */
#include <string.h>

#include "core/codec.h"
#include "crypto/crypto.h"
#include "server/server.h"
#include "tg_test.h"

#define DG "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static tg_err entry(const char *rec, struct tg_buf *out)
{
	tg_buf_reset(out);
	return tg_server_admission_entry((const uint8_t *)rec, strlen(rec), out, NULL);
}

TEST(known_entry)
{
	/* the record digest: python3 -c 'import hashlib,base64,sys;
	 * print(base64.b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode())' REC */
	static const char rec[] =
		"{\"allowed\":false,\"dry_run\":false,\"images\":[{\"allow\":true,\"container\":\"web\","
		"\"digest\":\"" DG "\",\"field\":\"containers\",\"image\":\"x@" DG "\"},"
		"{\"allow\":false,\"container\":\"proxy\",\"field\":\"containers\",\"image\":\"p:1\"}],"
		"\"kind\":\"Deployment\",\"mode\":\"enforce\",\"name\":\"w\\\"eb\",\"namespace\":\"prod\","
		"\"operation\":\"CREATE\",\"uid\":\"u-1\"}";
	static const char want[] =
		"{\"apiVersion\":\"0.0.1\",\"kind\":\"tollgate-admission-decision\",\"spec\":{"
		"\"allowed\":false,\"images\":[{\"allow\":true,\"digest\":\"" DG "\"},{\"allow\":false}],"
		"\"mode\":\"enforce\",\"namespace\":\"prod\",\"object\":{\"kind\":\"Deployment\","
		"\"name\":\"w\\\"eb\"},\"operation\":\"CREATE\",\"record\":{\"algorithm\":\"SHA2_256\","
		"\"digest\":\"@@\"},\"uid\":\"u-1\"}}";
	struct tg_buf e = TG_BUF_INIT(1 << 20), w = TG_BUF_INIT(4096);
	uint8_t h[32];
	const char *at = strstr(want, "@@");
	CHECK_OK(tg_hash(TG_SHA256, (const uint8_t *)rec, strlen(rec), h));
	CHECK_OK(tg_buf_add(&w, want, (size_t)(at - want)));
	CHECK_OK(tg_b64_encode(&w, h, 32, TG_B64_STD));
	CHECK_OK(tg_buf_adds(&w, at + 2));
	CHECK_OK(entry(rec, &e));
	CHECK(e.len == w.len);
	CHECK_MEM(e.data, w.data, w.len);
	tg_buf_release(&e);
	tg_buf_release(&w);
}

TEST(refused)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"allowed\":true}",
		/* not canonical: member order, white space */
		"{\"dry_run\":false,\"allowed\":true,\"images\":[],\"kind\":\"Pod\",\"mode\":\"warn\","
		"\"operation\":\"CREATE\",\"uid\":\"x\"}",
		"{\"allowed\":true, \"dry_run\":false,\"images\":[],\"kind\":\"Pod\",\"mode\":\"warn\","
		"\"operation\":\"CREATE\",\"uid\":\"x\"}",
		/* a dry run is never logged */
		"{\"allowed\":true,\"dry_run\":true,\"images\":[],\"kind\":\"Pod\",\"mode\":\"warn\","
		"\"operation\":\"CREATE\",\"uid\":\"x\"}",
		/* unknown member, unknown mode, unknown operation, empty uid */
		"{\"allowed\":true,\"dry_run\":false,\"evil\":1,\"images\":[],\"kind\":\"Pod\","
		"\"mode\":\"warn\",\"operation\":\"CREATE\",\"uid\":\"x\"}",
		"{\"allowed\":true,\"dry_run\":false,\"images\":[],\"kind\":\"Pod\",\"mode\":\"lax\","
		"\"operation\":\"CREATE\",\"uid\":\"x\"}",
		"{\"allowed\":true,\"dry_run\":false,\"images\":[],\"kind\":\"Pod\",\"mode\":\"warn\","
		"\"operation\":\"PATCH\",\"uid\":\"x\"}",
		"{\"allowed\":true,\"dry_run\":false,\"images\":[],\"kind\":\"Pod\",\"mode\":\"warn\","
		"\"operation\":\"CREATE\",\"uid\":\"\"}",
		/* an unpinned image that is allowed; a short digest; upper-case hex */
		"{\"allowed\":true,\"dry_run\":false,\"images\":[{\"allow\":true,\"container\":\"a\","
		"\"field\":\"containers\",\"image\":\"a:1\"}],\"kind\":\"Pod\",\"mode\":\"warn\","
		"\"operation\":\"CREATE\",\"uid\":\"x\"}",
		"{\"allowed\":true,\"dry_run\":false,\"images\":[{\"allow\":true,\"digest\":\"sha256:00\"}],"
		"\"kind\":\"Pod\",\"mode\":\"warn\",\"operation\":\"CREATE\",\"uid\":\"x\"}",
		"{\"allowed\":true,\"dry_run\":false,\"images\":[{\"allow\":true,\"digest\":\"sha256:"
		"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}],"
		"\"kind\":\"Pod\",\"mode\":\"warn\",\"operation\":\"CREATE\",\"uid\":\"x\"}",
		/* an image member the entry does not know */
		"{\"allowed\":true,\"dry_run\":false,\"images\":[{\"allow\":false,\"x\":1}],"
		"\"kind\":\"Pod\",\"mode\":\"warn\",\"operation\":\"CREATE\",\"uid\":\"x\"}",
	};
	struct tg_buf e = TG_BUF_INIT(1 << 20);
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tg_err r = entry(bad[i], &e);
		CHECK(r != TG_OK);
	}
	/* and the minimal record that is fine */
	CHECK_OK(entry("{\"allowed\":true,\"dry_run\":false,\"images\":[],\"kind\":\"Pod\","
		       "\"mode\":\"warn\",\"operation\":\"DELETE\",\"uid\":\"x\"}",
		       &e));
	tg_buf_release(&e);
}

int main(void)
{
	RUN(known_entry);
	RUN(refused);
	return tg_test_done();
}
