/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_workload_pb.c - the SPIFFE Workload API protobuf decoder, gRPC
 * framing and grpc-timeout. The first byte picks the message; what decodes
 * must encode back to bytes that decode to the same message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/workload_pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct tg_wlpb_bytes *a, const struct tg_wlpb_bytes *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static void check_maps(const struct tg_wlpb_map_entry *a, size_t na,
		       const struct tg_wlpb_map_entry *b, size_t nb)
{
	size_t i;
	if (na != nb)
		abort();
	for (i = 0; i < na; i++)
		if (!same(&a[i].key, &b[i].key) || !same(&a[i].value, &b[i].value))
			abort();
}

static void fuzz_message(unsigned kind, const uint8_t *p, size_t n)
{
	struct tg_arena a;
	struct tg_buf out = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	size_t i;
	tg_arena_init(&a, 64u << 20);
	switch (kind) {
	case 0:
		(void)tg_wlpb_empty_decode(p, n, NULL);
		break;
	case 1: {
		struct tg_wlpb_jwt_svid_request m, m2;
		if (tg_wlpb_jwt_svid_request_decode(p, n, &a, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_jwt_svid_request_encode(&m, &out) != TG_OK ||
		    tg_wlpb_jwt_svid_request_decode(out.data, out.len, &a, &m2, NULL) != TG_OK ||
		    m.naudience != m2.naudience || !same(&m.spiffe_id, &m2.spiffe_id))
			abort();
		for (i = 0; i < m.naudience; i++)
			if (!same(&m.audience[i], &m2.audience[i]))
				abort();
		break;
	}
	case 2: {
		struct tg_wlpb_validate_request m, m2;
		if (tg_wlpb_validate_request_decode(p, n, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_validate_request_encode(&m, &out) != TG_OK ||
		    tg_wlpb_validate_request_decode(out.data, out.len, &m2, NULL) != TG_OK ||
		    !same(&m.audience, &m2.audience) || !same(&m.svid, &m2.svid))
			abort();
		break;
	}
	case 3: {
		struct tg_wlpb_x509_svid_response m, m2;
		if (tg_wlpb_x509_svid_response_decode(p, n, &a, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_x509_svid_response_encode(&m, &out) != TG_OK ||
		    tg_wlpb_x509_svid_response_decode(out.data, out.len, &a, &m2, NULL) != TG_OK ||
		    m.nsvids != m2.nsvids || m.ncrl != m2.ncrl)
			abort();
		for (i = 0; i < m.nsvids; i++)
			if (!same(&m.svids[i].spiffe_id, &m2.svids[i].spiffe_id) ||
			    !same(&m.svids[i].x509_svid, &m2.svids[i].x509_svid) ||
			    !same(&m.svids[i].x509_svid_key, &m2.svids[i].x509_svid_key) ||
			    !same(&m.svids[i].bundle, &m2.svids[i].bundle) ||
			    !same(&m.svids[i].hint, &m2.svids[i].hint))
				abort();
		for (i = 0; i < m.ncrl; i++)
			if (!same(&m.crl[i], &m2.crl[i]))
				abort();
		check_maps(m.federated_bundles, m.nfederated_bundles, m2.federated_bundles,
			   m2.nfederated_bundles);
		break;
	}
	case 4: {
		struct tg_wlpb_x509_bundles_response m, m2;
		if (tg_wlpb_x509_bundles_response_decode(p, n, &a, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_x509_bundles_response_encode(&m, &out) != TG_OK ||
		    tg_wlpb_x509_bundles_response_decode(out.data, out.len, &a, &m2, NULL) != TG_OK ||
		    m.ncrl != m2.ncrl)
			abort();
		check_maps(m.bundles, m.nbundles, m2.bundles, m2.nbundles);
		break;
	}
	case 5: {
		struct tg_wlpb_jwt_svid_response m, m2;
		if (tg_wlpb_jwt_svid_response_decode(p, n, &a, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_jwt_svid_response_encode(&m, &out) != TG_OK ||
		    tg_wlpb_jwt_svid_response_decode(out.data, out.len, &a, &m2, NULL) != TG_OK ||
		    m.nsvids != m2.nsvids)
			abort();
		for (i = 0; i < m.nsvids; i++)
			if (!same(&m.svids[i].spiffe_id, &m2.svids[i].spiffe_id) ||
			    !same(&m.svids[i].svid, &m2.svids[i].svid) ||
			    !same(&m.svids[i].hint, &m2.svids[i].hint))
				abort();
		break;
	}
	case 6: {
		struct tg_wlpb_jwt_bundles_response m, m2;
		if (tg_wlpb_jwt_bundles_response_decode(p, n, &a, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_jwt_bundles_response_encode(&m, &out) != TG_OK ||
		    tg_wlpb_jwt_bundles_response_decode(out.data, out.len, &a, &m2, NULL) != TG_OK)
			abort();
		check_maps(m.bundles, m.nbundles, m2.bundles, m2.nbundles);
		break;
	}
	case 7: {
		struct tg_wlpb_validate_response m, m2;
		if (tg_wlpb_validate_response_decode(p, n, &a, &m, NULL) != TG_OK)
			break;
		if (tg_wlpb_validate_response_encode(&m, &out) != TG_OK ||
		    tg_wlpb_validate_response_decode(out.data, out.len, &a, &m2, NULL) != TG_OK ||
		    !same(&m.spiffe_id, &m2.spiffe_id) || (m.claims == NULL) != (m2.claims == NULL) ||
		    (m.claims && !tg_json_eq(m.claims, m2.claims)))
			abort();
		break;
	}
	default: {
		const uint8_t *msg;
		size_t mlen, used;
		bool comp;
		int64_t ms;
		tg_err e = tg_grpc_frame_next(p, n, 1u << 20, &msg, &mlen, &comp, &used);
		if (e == TG_OK && (used > n || msg + mlen != p + used))
			abort();
		if (tg_grpc_timeout_parse((const char *)p, n, &ms) == TG_OK && ms < 0)
			abort();
		if (tg_grpc_message_encode(&out, (const char *)p, n) == TG_OK && out.len < n)
			abort();
	}
	}
	tg_buf_release(&out);
	tg_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_message(data[0] % 9u, data + 1, size - 1);
	return 0;
}
