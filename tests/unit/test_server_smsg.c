/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_server_smsg.c - the codec of signer requests: round trips, the
 * byte layout (checked by hand against the documented format), the
 * per-type schemas, truncation at every offset, trailing bytes, caps,
 * and the length-prefixed transport over a socketpair.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"
#include "tg_test.h"

TEST(layout)
{
	/* type 6, one field "ab": 00000006 00000001 00000002 'a' 'b' */
	static const uint8_t want[] = {0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 2, 'a', 'b'};
	struct tg_smsg m, back;
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	memset(&m, 0, sizeof(m));
	m.type = TG_SMSG_TIMESTAMP;
	m.n = 1;
	m.f[0].p = (const uint8_t *)"ab";
	m.f[0].len = 2;
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK(b.len == sizeof(want));
	CHECK_MEM(b.data, want, sizeof(want));
	CHECK_OK(tg_smsg_decode(b.data, b.len, &back, NULL));
	CHECK(back.type == TG_SMSG_TIMESTAMP && back.n == 1 && back.f[0].len == 2);
	CHECK_MEM(back.f[0].p, "ab", 2);
	tg_buf_release(&b);
}

TEST(schemas)
{
	struct tg_smsg m, back;
	struct tg_buf b = TG_BUF_INIT(4 << 20);
	static uint8_t big[70000];
	size_t off;

	memset(&m, 0, sizeof(m));
	/* ATTEST wants 5 fields */
	m.type = TG_SMSG_ATTEST;
	m.n = 4;
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_ERR(tg_smsg_decode(b.data, b.len, &back, NULL), TG_E_PARSE);
	m.n = 5;
	tg_buf_reset(&b);
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_OK(tg_smsg_decode(b.data, b.len, &back, NULL));
	/* a log entry over 65535 bytes is too big for its field */
	m.type = TG_SMSG_LOG_APPEND;
	m.n = 1;
	m.f[0].p = big;
	m.f[0].len = 65536;
	tg_buf_reset(&b);
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_ERR(tg_smsg_decode(b.data, b.len, &back, NULL), TG_E_TOOBIG);
	m.f[0].len = 65535;
	tg_buf_reset(&b);
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_OK(tg_smsg_decode(b.data, b.len, &back, NULL));
	/* every truncation fails, and so does a trailing byte */
	for (off = 0; off < 20; off++)
		CHECK(tg_smsg_decode(b.data, off, &back, NULL) != TG_OK);
	CHECK(tg_smsg_decode(b.data, b.len - 1, &back, NULL) != TG_OK);
	CHECK_OK(tg_buf_addc(&b, 0));
	CHECK_ERR(tg_smsg_decode(b.data, b.len, &back, NULL), TG_E_PARSE);
	/* unknown request types, and responses with too many fields */
	{
		uint8_t x[8] = {0, 0, 0, 99, 0, 0, 0, 0};
		uint8_t y[8] = {0, 0, 1, 0, 0, 0, 0, 9};
		uint8_t z[8] = {0, 0, 1, 0, 0, 0, 0, 0};
		uint8_t w[8] = {0, 0, 3, 0, 0, 0, 0, 0};
		CHECK_ERR(tg_smsg_decode(x, 8, &back, NULL), TG_E_PARSE);
		CHECK_ERR(tg_smsg_decode(y, 8, &back, NULL), TG_E_PARSE);
		CHECK_OK(tg_smsg_decode(z, 8, &back, NULL));
		CHECK(back.type == TG_SMSG_RESPONSE && back.n == 0);
		CHECK_ERR(tg_smsg_decode(w, 8, &back, NULL), TG_E_PARSE);
	}
	/* a field length that points past the end */
	{
		uint8_t x[12] = {0, 0, 0, 6, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff};
		CHECK_ERR(tg_smsg_decode(x, 12, &back, NULL), TG_E_PARSE);
	}
	tg_buf_release(&b);
}

TEST(transport)
{
	int sv[2];
	struct tg_smsg m, back;
	struct tg_buf b = TG_BUF_INIT(TG_SMSG_MAX);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(&m, 0, sizeof(m));
	m.type = TG_SMSG_JWT_SVID;
	m.n = 2;
	m.f[0].p = (const uint8_t *)"chain";
	m.f[0].len = 5;
	m.f[1].p = (const uint8_t *)"aud";
	m.f[1].len = 3;
	CHECK_OK(tg_smsg_send(sv[0], &m));
	CHECK_OK(tg_smsg_recv(sv[1], &b, &back, NULL));
	CHECK(back.n == 2 && back.f[1].len == 3);
	CHECK_MEM(back.f[1].p, "aud", 3);
	/* a declared length over the cap is refused before reading it */
	{
		uint8_t hdr[4] = {0x7f, 0xff, 0xff, 0xff};
		CHECK(write(sv[0], hdr, 4) == 4);
		CHECK_ERR(tg_smsg_recv(sv[1], &b, &back, NULL), TG_E_TOOBIG);
	}
	close(sv[0]);
	CHECK_ERR(tg_smsg_recv(sv[1], &b, &back, NULL), TG_E_IO);
	close(sv[1]);
	tg_buf_release(&b);
}

int main(void)
{
	RUN(layout);
	RUN(schemas);
	RUN(transport);
	return tg_test_done();
}
