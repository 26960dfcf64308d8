/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_workload_pb.c - the protobuf wire format of the SPIFFE
 * Workload API messages: byte-exact vectors from protobufjs, the strict
 * decoder's rejections, gRPC framing, grpc-timeout and grpc-message.
 */

/*
 * The hex vectors were produced by protobufjs 7.6 (the encoder behind
 * @grpc/proto-loader) from workload.proto of the SPIFFE standards, e.g.
 *   root.lookupType('JWTSVIDRequest').encode({audience: ['a', 'bc'],
 *     spiffe_id: 'spiffe://example.org/w'}).finish()
 * and are compared byte for byte with what our encoder writes.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/codec.h"
#include "identity/workload_pb.h"
#include "tg_test.h"

static struct tg_buf hex(const char *h)
{
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	if (tg_hex_decode(&b, h, strlen(h)) != TG_OK) {
		fprintf(stderr, "bad hex in test\n");
		exit(2);
	}
	return b;
}

static struct tg_wlpb_bytes S(const char *s)
{
	struct tg_wlpb_bytes b = {(const uint8_t *)s, strlen(s)};
	return b;
}

static bool is(const struct tg_wlpb_bytes *b, const char *s)
{
	return b->n == strlen(s) && memcmp(b->p, s, b->n) == 0;
}

#define CHECK_BUF(buf, hexstr)                                                              \
	do {                                                                                \
		struct tg_buf w_ = hex(hexstr);                                             \
		tg_test_checks++;                                                           \
		if ((buf).len != w_.len || memcmp((buf).data, w_.data, w_.len) != 0) {      \
			struct tg_buf g_ = TG_BUF_INIT(1 << 22);                            \
			if (tg_hex_encode(&g_, (buf).data, (buf).len) != TG_OK)              \
				exit(2);                                                    \
			fprintf(stderr, "%s:%d: encoding differs\n  got  %s\n  want %s\n",  \
				__FILE__, __LINE__, tg_buf_str(&g_), hexstr);               \
			tg_buf_release(&g_);                                                \
			tg_test_failures++;                                                 \
		}                                                                           \
		tg_buf_release(&w_);                                                        \
	} while (0)

#define V_JWTREQ "0a01610a02626312167370696666653a2f2f6578616d706c652e6f72672f77"
#define V_VALREQ "0a036175641205782e792e7a"
#define V_X509RESP                                                                  \
	"0a1e0a0d7370696666653a2f2f74642f6112030102031a0204052201062a01681201071a140a0e7370" \
	"696666653a2f2f6f7468657212020809"
#define V_X509BUND "12110a0b7370696666653a2f2f746412023000"
#define V_JWTRESP "0a160a0d7370696666653a2f2f74642f611205652e662e67"
#define V_JWTBUND "0a1a0a0b7370696666653a2f2f7464120b7b226b657973223a5b5d7d"
#define V_VALRESP                                                                   \
	"0a0d7370696666653a2f2f74642f6112640a160a03617564120f320d0a031a01780a0220010a0208" \
	"000a100a0365787012091100000040fc54d9410a0e0a016e120911000000000000f83f0a100a016f" \
	"120b2a090a070a016b120220000a160a03737562120f1a0d7370696666653a2f2f74642f61"
#define CLAIMS_JSON                                                                 \
	"{\"aud\":[\"x\",true,null],\"exp\":1700000000,\"n\":1.5,\"o\":{\"k\":false}," \
	"\"sub\":\"spiffe://td/a\"}"

TEST(test_jwt_svid_request)
{
	struct tg_buf v = hex(V_JWTREQ), out = TG_BUF_INIT(1 << 20);
	struct tg_arena a;
	struct tg_wlpb_jwt_svid_request m;
	struct tg_wlpb_bytes aud[2] = {S("a"), S("bc")};
	struct tg_wlpb_jwt_svid_request enc = {aud, 2, S("spiffe://example.org/w")};
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_wlpb_jwt_svid_request_decode(v.data, v.len, &a, &m, NULL));
	CHECK(m.naudience == 2);
	CHECK(m.naudience == 2 && is(&m.audience[0], "a") && is(&m.audience[1], "bc"));
	CHECK(is(&m.spiffe_id, "spiffe://example.org/w"));
	CHECK_OK(tg_wlpb_jwt_svid_request_encode(&enc, &out));
	CHECK_BUF(out, V_JWTREQ);
	/* an empty message: no audience (the agent refuses it, not the decoder) */
	CHECK_OK(tg_wlpb_jwt_svid_request_decode(NULL, 0, &a, &m, NULL));
	CHECK(m.naudience == 0 && m.spiffe_id.n == 0);
	tg_buf_release(&v);
	tg_buf_release(&out);
	tg_arena_release(&a);
}

TEST(test_validate_request)
{
	struct tg_buf v = hex(V_VALREQ), out = TG_BUF_INIT(1 << 20);
	struct tg_wlpb_validate_request m, enc = {S("aud"), S("x.y.z")};
	CHECK_OK(tg_wlpb_validate_request_decode(v.data, v.len, &m, NULL));
	CHECK(is(&m.audience, "aud") && is(&m.svid, "x.y.z"));
	CHECK_OK(tg_wlpb_validate_request_encode(&enc, &out));
	CHECK_BUF(out, V_VALREQ);
	tg_buf_release(&v);
	tg_buf_release(&out);
}

TEST(test_x509_svid_response)
{
	static const uint8_t chain[] = {1, 2, 3}, key[] = {4, 5}, bundle[] = {6}, crl[] = {7},
			     fed[] = {8, 9};
	struct tg_wlpb_x509_svid sv = {S("spiffe://td/a"), {chain, 3}, {key, 2}, {bundle, 1}, S("h")};
	struct tg_wlpb_bytes crls[1] = {{crl, 1}};
	struct tg_wlpb_map_entry fe[1] = {{S("spiffe://other"), {fed, 2}}};
	struct tg_wlpb_x509_svid_response enc = {&sv, 1, crls, 1, fe, 1}, m;
	struct tg_buf v = hex(V_X509RESP), out = TG_BUF_INIT(1 << 20);
	struct tg_arena a;
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_wlpb_x509_svid_response_encode(&enc, &out));
	CHECK_BUF(out, V_X509RESP);
	CHECK_OK(tg_wlpb_x509_svid_response_decode(v.data, v.len, &a, &m, NULL));
	CHECK(m.nsvids == 1 && m.ncrl == 1 && m.nfederated_bundles == 1);
	if (m.nsvids == 1) {
		CHECK(is(&m.svids[0].spiffe_id, "spiffe://td/a"));
		CHECK(m.svids[0].x509_svid.n == 3 && m.svids[0].x509_svid.p[2] == 3);
		CHECK(m.svids[0].x509_svid_key.n == 2 && m.svids[0].bundle.n == 1);
		CHECK(is(&m.svids[0].hint, "h"));
	}
	if (m.nfederated_bundles == 1)
		CHECK(is(&m.federated_bundles[0].key, "spiffe://other") &&
		      m.federated_bundles[0].value.n == 2);
	tg_buf_release(&v);
	tg_buf_release(&out);
	tg_arena_release(&a);
}

TEST(test_bundles_and_jwt_responses)
{
	static const uint8_t der[] = {0x30, 0x00};
	struct tg_wlpb_map_entry xb[1] = {{S("spiffe://td"), {der, 2}}};
	struct tg_wlpb_map_entry jb[1] = {{S("spiffe://td"), S("{\"keys\":[]}")}};
	struct tg_wlpb_jwt_svid js = {S("spiffe://td/a"), S("e.f.g"), {NULL, 0}};
	struct tg_wlpb_x509_bundles_response xm = {NULL, 0, xb, 1}, xd;
	struct tg_wlpb_jwt_bundles_response jm = {jb, 1}, jd;
	struct tg_wlpb_jwt_svid_response sm = {&js, 1}, sd;
	struct tg_buf out = TG_BUF_INIT(1 << 20), v;
	struct tg_arena a;
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_wlpb_x509_bundles_response_encode(&xm, &out));
	CHECK_BUF(out, V_X509BUND);
	CHECK_OK(tg_wlpb_x509_bundles_response_decode(out.data, out.len, &a, &xd, NULL));
	CHECK(xd.nbundles == 1 && is(&xd.bundles[0].key, "spiffe://td") && xd.bundles[0].value.n == 2);
	tg_buf_reset(&out);
	CHECK_OK(tg_wlpb_jwt_bundles_response_encode(&jm, &out));
	CHECK_BUF(out, V_JWTBUND);
	CHECK_OK(tg_wlpb_jwt_bundles_response_decode(out.data, out.len, &a, &jd, NULL));
	CHECK(jd.nbundles == 1 && is(&jd.bundles[0].value, "{\"keys\":[]}"));
	tg_buf_reset(&out);
	CHECK_OK(tg_wlpb_jwt_svid_response_encode(&sm, &out));
	CHECK_BUF(out, V_JWTRESP);
	v = hex(V_JWTRESP);
	CHECK_OK(tg_wlpb_jwt_svid_response_decode(v.data, v.len, &a, &sd, NULL));
	CHECK(sd.nsvids == 1 && is(&sd.svids[0].svid, "e.f.g") && sd.svids[0].hint.n == 0);
	tg_buf_release(&v);
	tg_buf_release(&out);
	tg_arena_release(&a);
}

TEST(test_validate_response_struct)
{
	struct tg_arena a;
	const struct tg_json *claims = NULL;
	struct tg_wlpb_validate_response m, d;
	struct tg_buf out = TG_BUF_INIT(1 << 20), js = TG_BUF_INIT(1 << 20), v = hex(V_VALRESP);
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_json_parse(&a, CLAIMS_JSON, strlen(CLAIMS_JSON), NULL, &claims, NULL, NULL));
	m.spiffe_id = S("spiffe://td/a");
	m.claims = claims;
	CHECK_OK(tg_wlpb_validate_response_encode(&m, &out));
	CHECK_BUF(out, V_VALRESP);
	CHECK_OK(tg_wlpb_validate_response_decode(v.data, v.len, &a, &d, NULL));
	CHECK(is(&d.spiffe_id, "spiffe://td/a"));
	CHECK(d.claims != NULL);
	if (d.claims) {
		CHECK_OK(tg_json_emit(&js, d.claims, 0));
		CHECK_STR(tg_buf_str(&js), CLAIMS_JSON);
	}
	/* no claims field at all */
	CHECK_OK(tg_wlpb_validate_response_decode(v.data, 15, &a, &d, NULL));
	CHECK(d.claims == NULL && is(&d.spiffe_id, "spiffe://td/a"));
	tg_buf_release(&v);
	tg_buf_release(&js);
	tg_buf_release(&out);
	tg_arena_release(&a);
}

static tg_err dec_jwtreq(const char *h)
{
	struct tg_buf v = hex(h);
	struct tg_arena a;
	struct tg_wlpb_jwt_svid_request m;
	tg_err e;
	tg_arena_init(&a, 1 << 20);
	e = tg_wlpb_jwt_svid_request_decode(v.data, v.len, &a, &m, NULL);
	tg_arena_release(&a);
	tg_buf_release(&v);
	return e;
}

static tg_err dec_valresp(const char *h)
{
	struct tg_buf v = hex(h);
	struct tg_arena a;
	struct tg_wlpb_validate_response m;
	tg_err e;
	tg_arena_init(&a, 1 << 20);
	e = tg_wlpb_validate_response_decode(v.data, v.len, &a, &m, NULL);
	tg_arena_release(&a);
	tg_buf_release(&v);
	return e;
}

TEST(test_strict_decoding)
{
	/* unknown fields of every wire type are skipped */
	CHECK_OK(dec_jwtreq("1801" "210102030405060708" "2a0161" "2d01020304" "0a0161"));
	CHECK_OK(dec_jwtreq("1b" "0801" "1b" "0801" "1c" "1c")); /* nested groups of field 3 */
	CHECK_OK(tg_wlpb_empty_decode((const uint8_t *)"\x08\x96\x01", 3, NULL));
	/* a known field with another wire type */
	CHECK_ERR(dec_jwtreq("0801"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("1501020304"), TG_E_PARSE);
	/* wire types 6 and 7, field number 0, end-group alone or mismatched */
	CHECK_ERR(dec_jwtreq("1e"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("1f"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("0001"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("1c"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("1b24"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("1b0801"), TG_E_PARSE); /* group never closed */
	/* field numbers above 2^29-1: tag 0x100000000 (5 bytes) */
	CHECK_ERR(dec_jwtreq("808080801001"), TG_E_PARSE);
	/* varints: truncated, 11 bytes, a 10th byte above 1 */
	CHECK_ERR(dec_jwtreq("1880"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("18ffffffffffffffffffff01"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("18ffffffffffffffffff02"), TG_E_PARSE);
	CHECK_OK(dec_jwtreq("18ffffffffffffffffff01" "0a0161"));
	/* lengths past the end, truncated fixed fields */
	CHECK_ERR(dec_jwtreq("0a0261"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("0affffffffffffffff7f"), TG_E_PARSE);
	CHECK_ERR(dec_jwtreq("2101"), TG_E_PARSE);
	/* strings must be UTF-8; bytes need not be */
	CHECK_ERR(dec_jwtreq("0a01ff"), TG_E_ENCODING);
	CHECK_ERR(dec_jwtreq("1202c0af"), TG_E_ENCODING);
	CHECK_OK(dec_jwtreq("0a02c3a9"));
	{
		struct tg_buf v = hex("0a030a01ff");
		struct tg_arena a;
		struct tg_wlpb_jwt_bundles_response jb;
		struct tg_wlpb_x509_bundles_response xb;
		tg_arena_init(&a, 1 << 20);
		/* map key is a string */
		CHECK_ERR(tg_wlpb_jwt_bundles_response_decode(v.data, v.len, &a, &jb, NULL),
			  TG_E_ENCODING);
		tg_buf_release(&v);
		v = hex("12060a0161120180");
		CHECK_OK(tg_wlpb_x509_bundles_response_decode(v.data, v.len, &a, &xb, NULL));
		tg_buf_release(&v);
		/* a repeated map key: the last value wins, one entry */
		v = hex("12060a016112013112060a0162120132120a0a01611205" "3333333333");
		CHECK_OK(tg_wlpb_x509_bundles_response_decode(v.data, v.len, &a, &xb, NULL));
		CHECK(xb.nbundles == 2);
		if (xb.nbundles == 2)
			CHECK(is(&xb.bundles[0].key, "a") && is(&xb.bundles[0].value, "33333"));
		tg_buf_release(&v);
		tg_arena_release(&a);
	}
	/* a repeated singular string: the last wins */
	{
		struct tg_buf v = hex("0a01611201781201790a0162");
		struct tg_arena a;
		struct tg_wlpb_jwt_svid_request m;
		tg_arena_init(&a, 1 << 20);
		CHECK_OK(tg_wlpb_jwt_svid_request_decode(v.data, v.len, &a, &m, NULL));
		CHECK(is(&m.spiffe_id, "y") && m.naudience == 2);
		tg_buf_release(&v);
		tg_arena_release(&a);
	}
}

TEST(test_struct_rules)
{
	/* claims twice; a Value with nothing set; a map entry without value */
	CHECK_ERR(dec_valresp("12001200"), TG_E_PARSE);
	CHECK_ERR(dec_valresp("12050a030a0161"), TG_E_PARSE);
	CHECK_ERR(dec_valresp("12070a050a0161" "1200"), TG_E_PARSE);
	/* struct_value twice inside one Value; a oneof switch is fine */
	CHECK_ERR(dec_valresp("120b0a090a01611204" "2a002a00"), TG_E_PARSE);
	CHECK_OK(dec_valresp("120b0a090a01611204" "2a002001"));
	/* number_value: NaN and infinity are not JSON */
	CHECK_ERR(dec_valresp("12100a0e0a0161120911000000000000f87f"), TG_E_PARSE);
	CHECK_ERR(dec_valresp("12100a0e0a0161120911000000000000f07f"), TG_E_PARSE);
	CHECK_OK(dec_valresp("12100a0e0a0161120911000000000000f03f"));
	/* wrong wire type inside Value */
	CHECK_ERR(dec_valresp("12090a070a016112021001"), TG_E_PARSE);
	/* nesting: list_value inside list_value 100 deep */
	{
		struct tg_buf b = TG_BUF_INIT(1 << 20);
		struct tg_arena a;
		struct tg_wlpb_validate_response m;
		size_t i;
		/* build inside-out: Value{list_value: ListValue{values: [inner]}} */
		CHECK_OK(tg_buf_add(&b, "\x08\x00", 2)); /* innermost Value: null */
		for (i = 0; i < 100; i++) {
			struct tg_buf t = TG_BUF_INIT(1 << 20);
			uint8_t h[4];
			/* ListValue{values: b}; lengths as 2-byte varints (a
			 * non-minimal varint is still a varint) */
			h[0] = 0x0a;
			h[1] = (uint8_t)(b.len | 0x80);
			h[2] = (uint8_t)(b.len >> 7);
			CHECK_OK(tg_buf_add(&t, h, 3));
			CHECK_OK(tg_buf_add(&t, b.data, b.len));
			/* Value{list_value: t} */
			tg_buf_reset(&b);
			h[0] = 0x32;
			h[1] = (uint8_t)(t.len | 0x80);
			h[2] = (uint8_t)(t.len >> 7);
			CHECK_OK(tg_buf_add(&b, h, 3));
			CHECK_OK(tg_buf_add(&b, t.data, t.len));
			tg_buf_release(&t);
		}
		{
			/* ValidateJWTSVIDResponse{claims: Struct{fields: {"a": b}}} */
			struct tg_buf ent = TG_BUF_INIT(1 << 20), st = TG_BUF_INIT(1 << 20),
				      msg = TG_BUF_INIT(1 << 20);
			uint8_t h[3];
			CHECK_OK(tg_buf_add(&ent, "\x0a\x01" "a", 3));
			h[0] = 0x12;
			h[1] = (uint8_t)(b.len | 0x80);
			h[2] = (uint8_t)(b.len >> 7);
			CHECK_OK(tg_buf_add(&ent, h, 3));
			CHECK_OK(tg_buf_add(&ent, b.data, b.len));
			h[0] = 0x0a;
			h[1] = (uint8_t)(ent.len | 0x80);
			h[2] = (uint8_t)(ent.len >> 7);
			CHECK_OK(tg_buf_add(&st, h, 3));
			CHECK_OK(tg_buf_add(&st, ent.data, ent.len));
			h[0] = 0x12;
			h[1] = (uint8_t)(st.len | 0x80);
			h[2] = (uint8_t)(st.len >> 7);
			CHECK_OK(tg_buf_add(&msg, h, 3));
			CHECK_OK(tg_buf_add(&msg, st.data, st.len));
			tg_arena_init(&a, 1 << 22);
			CHECK_ERR(tg_wlpb_validate_response_decode(msg.data, msg.len, &a, &m, NULL),
				  TG_E_DEPTH);
			tg_arena_release(&a);
			tg_buf_release(&ent);
			tg_buf_release(&st);
			tg_buf_release(&msg);
		}
		tg_buf_release(&b);
	}
}

TEST(test_limits)
{
	struct tg_buf b = TG_BUF_INIT(8 << 20);
	struct tg_arena a;
	struct tg_wlpb_jwt_svid_request m;
	size_t i;
	tg_arena_init(&a, 1 << 22);
	for (i = 0; i < TG_WLPB_MAX_REPEATED; i++)
		CHECK_OK(tg_buf_add(&b, "\x0a\x01x", 3));
	CHECK_OK(tg_wlpb_jwt_svid_request_decode(b.data, b.len, &a, &m, NULL));
	CHECK(m.naudience == TG_WLPB_MAX_REPEATED);
	CHECK_OK(tg_buf_add(&b, "\x0a\x01x", 3));
	CHECK_ERR(tg_wlpb_jwt_svid_request_decode(b.data, b.len, &a, &m, NULL), TG_E_TOOBIG);
	tg_buf_reset(&b);
	CHECK(tg_buf_reserve(&b, TG_WLPB_MAX_MESSAGE + 1) != NULL);
	tg_buf_commit(&b, TG_WLPB_MAX_MESSAGE + 1);
	memset(b.data, 0, b.len);
	CHECK_ERR(tg_wlpb_empty_decode(b.data, b.len, NULL), TG_E_TOOBIG);
	tg_buf_release(&b);
	tg_arena_release(&a);
}

TEST(test_grpc_framing)
{
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	const uint8_t *msg;
	size_t n, used;
	bool comp;
	CHECK_OK(tg_grpc_frame_add(&b, "abc", 3));
	CHECK(b.len == 8 && memcmp(b.data, "\x00\x00\x00\x00\x03" "abc", 8) == 0);
	CHECK_OK(tg_grpc_frame_next(b.data, b.len, 100, &msg, &n, &comp, &used));
	CHECK(n == 3 && !comp && used == 8 && memcmp(msg, "abc", 3) == 0);
	CHECK_ERR(tg_grpc_frame_next(b.data, 7, 100, &msg, &n, &comp, &used), TG_E_AGAIN);
	CHECK_ERR(tg_grpc_frame_next(b.data, 4, 100, &msg, &n, &comp, &used), TG_E_AGAIN);
	CHECK_ERR(tg_grpc_frame_next(b.data, b.len, 2, &msg, &n, &comp, &used), TG_E_TOOBIG);
	/* the declared length decides, before the body arrives */
	CHECK_ERR(tg_grpc_frame_next((const uint8_t *)"\x00\x7f\xff\xff\xff", 5, 100, &msg, &n,
				     &comp, &used),
		  TG_E_TOOBIG);
	CHECK_OK(tg_grpc_frame_next((const uint8_t *)"\x01\x00\x00\x00\x00", 5, 100, &msg, &n, &comp,
				    &used));
	CHECK(comp && n == 0 && used == 5);
	CHECK_ERR(tg_grpc_frame_next((const uint8_t *)"\x02\x00\x00\x00\x00", 5, 100, &msg, &n,
				     &comp, &used),
		  TG_E_PARSE);
	tg_buf_release(&b);
}

TEST(test_grpc_timeout_and_message)
{
	int64_t ms = -1;
	struct tg_buf b = TG_BUF_INIT(1024);
	/* grpc/doc/PROTOCOL-HTTP2.md: TimeoutValue is at most 8 digits */
	CHECK_OK(tg_grpc_timeout_parse("1S", 2, &ms));
	CHECK(ms == 1000);
	CHECK_OK(tg_grpc_timeout_parse("2H", 2, &ms));
	CHECK(ms == 7200000);
	CHECK_OK(tg_grpc_timeout_parse("3M", 2, &ms));
	CHECK(ms == 180000);
	CHECK_OK(tg_grpc_timeout_parse("100m", 4, &ms));
	CHECK(ms == 100);
	CHECK_OK(tg_grpc_timeout_parse("1500u", 5, &ms));
	CHECK(ms == 2);
	CHECK_OK(tg_grpc_timeout_parse("1n", 2, &ms));
	CHECK(ms == 1);
	CHECK_OK(tg_grpc_timeout_parse("0m", 2, &ms));
	CHECK(ms == 0);
	CHECK_OK(tg_grpc_timeout_parse("99999999H", 9, &ms));
	CHECK(ms == 99999999LL * 3600000);
	CHECK_ERR(tg_grpc_timeout_parse("123456789S", 10, &ms), TG_E_PARSE);
	CHECK_ERR(tg_grpc_timeout_parse("S", 1, &ms), TG_E_PARSE);
	CHECK_ERR(tg_grpc_timeout_parse("", 0, &ms), TG_E_PARSE);
	CHECK_ERR(tg_grpc_timeout_parse("1x", 2, &ms), TG_E_PARSE);
	CHECK_ERR(tg_grpc_timeout_parse("-1S", 3, &ms), TG_E_PARSE);
	CHECK_ERR(tg_grpc_timeout_parse("1 S", 3, &ms), TG_E_PARSE);
	/* grpc-message: percent-encoding of everything outside 0x20-0x7e and '%' */
	CHECK_OK(tg_grpc_message_encode(&b, "a%b\n\xc3\xa9 ~", 8));
	CHECK_STR(tg_buf_str(&b), "a%25b%0A%C3%A9 ~");
	tg_buf_release(&b);
}

int main(void)
{
	RUN(test_jwt_svid_request);
	RUN(test_validate_request);
	RUN(test_x509_svid_response);
	RUN(test_bundles_and_jwt_responses);
	RUN(test_validate_response_struct);
	RUN(test_strict_decoding);
	RUN(test_struct_rules);
	RUN(test_limits);
	RUN(test_grpc_framing);
	RUN(test_grpc_timeout_and_message);
	return tg_test_done();
}
