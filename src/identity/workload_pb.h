/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workload_pb.h - a hand-written protobuf wire-format encoder and strict
 * decoder for exactly the messages of the SPIFFE Workload API, and the
 * gRPC length-prefixed message framing around them. Internal to
 * src/identity (agent.c, its tests and its fuzz target).
 */
#ifndef TG_IDENTITY_WORKLOAD_PB_H
#define TG_IDENTITY_WORKLOAD_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

/*
 * Decoding rules (protobuf "Encoding" guide, proto3):
 *  - a tag is a varint of at most 5 bytes; field number 0 or above
 *    2^29-1 and wire types 6 and 7 are errors;
 *  - varints are at most 10 bytes, the tenth no larger than 1;
 *  - a known field with the wrong wire type is an error;
 *  - unknown fields are skipped by wire type (groups too, matched by field
 *    number, nesting bounded by TG_WLPB_MAX_DEPTH);
 *  - a singular scalar, string or bytes field seen twice: the last wins;
 *    a map key seen twice: the last entry wins (both as protobuf says);
 *  - a singular message field seen twice (claims, a Value's struct_value
 *    or list_value) is rejected: protobuf would merge the two, no encoder
 *    we know of splits a message, and merging is not worth the code;
 *  - string fields must be valid UTF-8 (proto3 requires it);
 *  - repeated fields and maps hold at most TG_WLPB_MAX_REPEATED elements.
 * Decoded strings and bytes point into the input (they are not copied and
 * strings are not NUL-terminated); arrays are allocated in the arena.
 */
#define TG_WLPB_MAX_MESSAGE (4 * 1024 * 1024) /* bytes of one message (gRPC's default cap) */
#define TG_WLPB_MAX_REPEATED 256              /* elements of one repeated field or map */
#define TG_WLPB_MAX_DEPTH 64                  /* nesting of Struct/ListValue and groups */

/* Field numbers, from workload.proto of the SPIFFE Workload API (message
 * and field named in each comment) and google/protobuf/struct.proto. */
#define TG_WLPB_X509SVIDRESPONSE_SVIDS 1             /* X509SVIDResponse.svids (repeated X509SVID) */
#define TG_WLPB_X509SVIDRESPONSE_CRL 2               /* X509SVIDResponse.crl (repeated bytes) */
#define TG_WLPB_X509SVIDRESPONSE_FEDERATED_BUNDLES 3 /* X509SVIDResponse.federated_bundles (map<string, bytes>) */
#define TG_WLPB_X509SVID_SPIFFE_ID 1                 /* X509SVID.spiffe_id (string) */
#define TG_WLPB_X509SVID_X509_SVID 2                 /* X509SVID.x509_svid (bytes: DER chain, leaf first) */
#define TG_WLPB_X509SVID_X509_SVID_KEY 3             /* X509SVID.x509_svid_key (bytes: PKCS#8 DER) */
#define TG_WLPB_X509SVID_BUNDLE 4                    /* X509SVID.bundle (bytes: DER certificates) */
#define TG_WLPB_X509SVID_HINT 5                      /* X509SVID.hint (string) */
#define TG_WLPB_X509BUNDLESRESPONSE_CRL 1            /* X509BundlesResponse.crl (repeated bytes) */
#define TG_WLPB_X509BUNDLESRESPONSE_BUNDLES 2        /* X509BundlesResponse.bundles (map<string, bytes>) */
#define TG_WLPB_JWTSVIDREQUEST_AUDIENCE 1            /* JWTSVIDRequest.audience (repeated string) */
#define TG_WLPB_JWTSVIDREQUEST_SPIFFE_ID 2           /* JWTSVIDRequest.spiffe_id (string) */
#define TG_WLPB_JWTSVIDRESPONSE_SVIDS 1              /* JWTSVIDResponse.svids (repeated JWTSVID) */
#define TG_WLPB_JWTSVID_SPIFFE_ID 1                  /* JWTSVID.spiffe_id (string) */
#define TG_WLPB_JWTSVID_SVID 2                       /* JWTSVID.svid (string: compact JWS) */
#define TG_WLPB_JWTSVID_HINT 3                       /* JWTSVID.hint (string) */
#define TG_WLPB_JWTBUNDLESRESPONSE_BUNDLES 1         /* JWTBundlesResponse.bundles (map<string, bytes>) */
#define TG_WLPB_VALIDATEJWTSVIDREQUEST_AUDIENCE 1    /* ValidateJWTSVIDRequest.audience (string) */
#define TG_WLPB_VALIDATEJWTSVIDREQUEST_SVID 2        /* ValidateJWTSVIDRequest.svid (string) */
#define TG_WLPB_VALIDATEJWTSVIDRESPONSE_SPIFFE_ID 1  /* ValidateJWTSVIDResponse.spiffe_id (string) */
#define TG_WLPB_VALIDATEJWTSVIDRESPONSE_CLAIMS 2     /* ValidateJWTSVIDResponse.claims (google.protobuf.Struct) */
#define TG_WLPB_MAPENTRY_KEY 1                       /* the key of a map<K, V> entry message */
#define TG_WLPB_MAPENTRY_VALUE 2                     /* the value of a map<K, V> entry message */
#define TG_WLPB_STRUCT_FIELDS 1                      /* google.protobuf.Struct.fields (map<string, Value>) */
#define TG_WLPB_VALUE_NULL 1                         /* google.protobuf.Value.null_value (enum NullValue) */
#define TG_WLPB_VALUE_NUMBER 2                       /* google.protobuf.Value.number_value (double) */
#define TG_WLPB_VALUE_STRING 3                       /* google.protobuf.Value.string_value (string) */
#define TG_WLPB_VALUE_BOOL 4                         /* google.protobuf.Value.bool_value (bool) */
#define TG_WLPB_VALUE_STRUCT 5                       /* google.protobuf.Value.struct_value (Struct) */
#define TG_WLPB_VALUE_LIST 6                         /* google.protobuf.Value.list_value (ListValue) */
#define TG_WLPB_LISTVALUE_VALUES 1                   /* google.protobuf.ListValue.values (repeated Value) */

/* Protobuf wire types. */
#define TG_WLPB_WT_VARINT 0
#define TG_WLPB_WT_I64 1
#define TG_WLPB_WT_LEN 2
#define TG_WLPB_WT_SGROUP 3
#define TG_WLPB_WT_EGROUP 4
#define TG_WLPB_WT_I32 5

/* A span of bytes (string or bytes field). p may be NULL when n is 0. */
struct tg_wlpb_bytes {
	const uint8_t *p;
	size_t n;
};

/* One entry of a map<string, bytes>. */
struct tg_wlpb_map_entry {
	struct tg_wlpb_bytes key;
	struct tg_wlpb_bytes value;
};

struct tg_wlpb_x509_svid {
	struct tg_wlpb_bytes spiffe_id;
	struct tg_wlpb_bytes x509_svid;     /* DER certificates, leaf first */
	struct tg_wlpb_bytes x509_svid_key; /* PKCS#8 DER: a secret */
	struct tg_wlpb_bytes bundle;        /* DER certificates of the trust domain */
	struct tg_wlpb_bytes hint;
};

struct tg_wlpb_x509_svid_response {
	struct tg_wlpb_x509_svid *svids;
	size_t nsvids;
	struct tg_wlpb_bytes *crl;
	size_t ncrl;
	struct tg_wlpb_map_entry *federated_bundles; /* "spiffe://td" -> DER certificates */
	size_t nfederated_bundles;
};

struct tg_wlpb_x509_bundles_response {
	struct tg_wlpb_bytes *crl;
	size_t ncrl;
	struct tg_wlpb_map_entry *bundles; /* "spiffe://td" -> DER certificates */
	size_t nbundles;
};

struct tg_wlpb_jwt_svid_request {
	struct tg_wlpb_bytes *audience;
	size_t naudience;
	struct tg_wlpb_bytes spiffe_id; /* empty: every identity */
};

struct tg_wlpb_jwt_svid {
	struct tg_wlpb_bytes spiffe_id;
	struct tg_wlpb_bytes svid;
	struct tg_wlpb_bytes hint;
};

struct tg_wlpb_jwt_svid_response {
	struct tg_wlpb_jwt_svid *svids;
	size_t nsvids;
};

struct tg_wlpb_jwt_bundles_response {
	struct tg_wlpb_map_entry *bundles; /* "spiffe://td" -> JWKS JSON */
	size_t nbundles;
};

struct tg_wlpb_validate_request {
	struct tg_wlpb_bytes audience;
	struct tg_wlpb_bytes svid;
};

struct tg_wlpb_validate_response {
	struct tg_wlpb_bytes spiffe_id;
	const struct tg_json *claims; /* an object; NULL when the field is absent */
};

/*
 * Decoders. Each returns TG_OK and fills *out (which points into p and
 * a) or TG_E_PARSE / TG_E_ENCODING (string not UTF-8) / TG_E_TOOBIG
 * (n above TG_WLPB_MAX_MESSAGE, too many elements, the arena's cap) /
 * TG_E_DEPTH with the reason and byte offset in d. The empty requests
 * (X509SVIDRequest, X509BundlesRequest, JWTBundlesRequest) have no known
 * field: tg_wlpb_empty_decode only checks that p is well formed.
 */
tg_err tg_wlpb_empty_decode(const uint8_t *p, size_t n, struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_wlpb_jwt_svid_request_decode(const uint8_t *p, size_t n, struct tg_arena *a,
				       struct tg_wlpb_jwt_svid_request *out,
				       struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_wlpb_validate_request_decode(const uint8_t *p, size_t n,
				       struct tg_wlpb_validate_request *out,
				       struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_wlpb_x509_svid_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					 struct tg_wlpb_x509_svid_response *out,
					 struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_wlpb_x509_bundles_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					    struct tg_wlpb_x509_bundles_response *out,
					    struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_wlpb_jwt_svid_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					struct tg_wlpb_jwt_svid_response *out,
					struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_wlpb_jwt_bundles_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					   struct tg_wlpb_jwt_bundles_response *out,
					   struct tg_diag *d) TG_MUST_CHECK;
/* Struct values become JSON: NullValue null, number_value a number (its
 * shortest ECMAScript form; NaN and infinities are rejected), Struct an
 * object (a repeated key: the last wins), ListValue an array. A Value with
 * no member set is rejected. */
tg_err tg_wlpb_validate_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					struct tg_wlpb_validate_response *out,
					struct tg_diag *d) TG_MUST_CHECK;

/*
 * Encoders append the message to out (fields in field-number order,
 * default values left out as proto3 does). On error out keeps its previous
 * length. TG_E_TOOBIG past out's cap or TG_WLPB_MAX_MESSAGE;
 * tg_wlpb_validate_response_encode gives TG_E_TYPE for claims that are not
 * an object, hold a set, or a number outside the double range.
 */
tg_err tg_wlpb_x509_svid_response_encode(const struct tg_wlpb_x509_svid_response *m,
					 struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_wlpb_x509_bundles_response_encode(const struct tg_wlpb_x509_bundles_response *m,
					    struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_wlpb_jwt_svid_request_encode(const struct tg_wlpb_jwt_svid_request *m,
				       struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_wlpb_jwt_svid_response_encode(const struct tg_wlpb_jwt_svid_response *m,
					struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_wlpb_jwt_bundles_response_encode(const struct tg_wlpb_jwt_bundles_response *m,
					   struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_wlpb_validate_request_encode(const struct tg_wlpb_validate_request *m,
				       struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_wlpb_validate_response_encode(const struct tg_wlpb_validate_response *m,
					struct tg_buf *out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md)                       */
/* ------------------------------------------------------------------ */

#define TG_GRPC_FRAME_HDR 5 /* Compressed-Flag (1 byte), Message-Length (4, big-endian) */

/* Appends one length-prefixed, uncompressed message. */
tg_err tg_grpc_frame_add(struct tg_buf *out, const void *msg, size_t n) TG_MUST_CHECK;

/*
 * Reads one length-prefixed message from p (n bytes): TG_OK with *msg,
 * *msglen, *compressed and *used (bytes consumed, header included);
 * TG_E_AGAIN when p holds only part of it; TG_E_TOOBIG when the declared
 * length exceeds max (already known from the header); TG_E_PARSE for a
 * flag byte other than 0 or 1.
 */
tg_err tg_grpc_frame_next(const uint8_t *p, size_t n, size_t max, const uint8_t **msg,
			  size_t *msglen, bool *compressed, size_t *used) TG_MUST_CHECK;

/* Parses a grpc-timeout value (1-8 ASCII digits and one of H M S m u n)
 * into milliseconds, rounded up. TG_E_PARSE otherwise. */
tg_err tg_grpc_timeout_parse(const char *s, size_t n, int64_t *ms) TG_MUST_CHECK;

/* Appends the grpc-message form of a text: bytes outside 0x20-0x7e and
 * '%' become %XX. */
tg_err tg_grpc_message_encode(struct tg_buf *out, const char *s, size_t n) TG_MUST_CHECK;

#endif
