/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity.h - workload identity: SPIFFE IDs, the trust domain CA, X509-
 * and JWT-SVIDs, trust bundles and federation, registration entries,
 * attestation (CI OIDC tokens, join tokens, Unix peers) and revocation.
 */
#ifndef TG_IDENTITY_IDENTITY_H
#define TG_IDENTITY_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/time.h"
#include "crypto/crypto.h"

/*
 * State directory of a trust domain (tollgate ca init --dir D):
 *   D/ca.json           trust domain, key type, TTL defaults (public)
 *   D/root.pem          root certificate (public)      D/root.key (0600)
 *   D/intermediates/    <serial>.pem + <serial>.key (0600): the current one
 *                       signs; older ones stay until they expire (rotation)
 *   D/jwt/              <kid>.key (0600) JWT-SVID signing keys, same rotation;
 *                       <kid>.json (public) their validity period
 *   D/bundles/<td>.json federated trust bundles (SPIFFE bundle format)
 *   D/identity.db       SQLite (WAL): entries, join tokens, replay cache,
 *                       revocations, issued serials
 * Every file is written atomically; keys are never overwritten.
 */

/* ------------------------------------------------------------------ */
/* SPIFFE IDs (SPIFFE-ID spec 2)                                      */
/* ------------------------------------------------------------------ */

#define TG_SPIFFE_TD_MAX 255   /* trust domain name, bytes */
#define TG_SPIFFE_ID_MAX 2048  /* whole URI, bytes (SPIFFE-ID 2.3) */

struct tg_spiffe_id {
	char uri[TG_SPIFFE_ID_MAX + 1]; /* "spiffe://td/path", NUL-terminated */
	size_t td_len;                  /* bytes of the trust domain name */
	size_t path_off;                /* offset of the path ("" or "/...") in uri */
};

/* Parses and validates a SPIFFE ID exactly per the spec: scheme
 * "spiffe" (lower case), trust domain [a-z0-9.-_] non-empty, path
 * segments of [A-Za-z0-9.-_] that are not empty, "." or "..", no trailing
 * slash, no query or fragment, no percent-encoding, length limits.
 * TG_E_PARSE with the reason (and offset) in d. */
tg_err tg_spiffe_id_parse(const char *s, size_t n, struct tg_spiffe_id *out,
			  struct tg_diag *d) TG_MUST_CHECK;
/* Validates a bare trust domain name ("example.org") into out (256 bytes). */
tg_err tg_spiffe_td_parse(const char *s, size_t n, char *out, struct tg_diag *d) TG_MUST_CHECK;
/* Builds "spiffe://td" + path and validates it. */
tg_err tg_spiffe_id_from(const char *td, const char *path, struct tg_spiffe_id *out,
			 struct tg_diag *d) TG_MUST_CHECK;
/* Copies the trust domain name into out (256 bytes). */
void tg_spiffe_id_td(const struct tg_spiffe_id *id, char *out);
bool tg_spiffe_id_in_td(const struct tg_spiffe_id *id, const char *td);

/* ------------------------------------------------------------------ */
/* Trust bundles (SPIFFE Trust Domain and Bundle spec 4)              */
/* ------------------------------------------------------------------ */

struct tg_bundle {
	char td[TG_SPIFFE_TD_MAX + 1];
	struct tg_x509_list x509;   /* X.509 authorities ("use": "x509-svid") */
	struct tg_jwks jwt;         /* JWT authorities ("use": "jwt-svid") */
	int64_t refresh_hint;       /* seconds, 0 when absent */
	uint64_t sequence;          /* spiffe_sequence, 0 when absent */
};

void tg_bundle_release(struct tg_bundle *b);
/* Parses a SPIFFE bundle (a JWKS whose keys carry "use" x509-svid with an
 * "x5c" of one certificate, or jwt-svid with a "kid"); keys with another
 * "use" are ignored as the spec requires. td names the trust domain the
 * bundle belongs to. x509-svid keys without an "x5c" (or with an empty
 * one) are ignored and only the first certificate of a longer one is
 * used (X509-SVID 6.2); the key members must match that certificate.
 * jwt-svid keys need a kid no other key has. TG_E_PARSE / TG_E_KEY with
 * the key's index in d. */
tg_err tg_bundle_parse(const char *td, const char *json, size_t n, struct tg_bundle *out,
		       struct tg_diag *d) TG_MUST_CHECK;
/* Appends the bundle as SPIFFE bundle JSON, as PEM (X.509 authorities), or
 * as a JWKS (JWT authorities). */
tg_err tg_bundle_to_spiffe(const struct tg_bundle *b, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_bundle_to_pem(const struct tg_bundle *b, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_bundle_to_jwks(const struct tg_bundle *b, struct tg_buf *out) TG_MUST_CHECK;

/* A set of bundles keyed by trust domain (own + federated). */
struct tg_bundle_set {
	struct tg_bundle *b;
	size_t n;
};
void tg_bundle_set_release(struct tg_bundle_set *s);
const struct tg_bundle *tg_bundle_set_find(const struct tg_bundle_set *s, const char *td);

/* ------------------------------------------------------------------ */
/* SVID verification (no CA needed: what every relying party does)    */
/* ------------------------------------------------------------------ */

/* Deny list consulted by verification (serials as lower-case hex, JWT
 * IDs); may be NULL. */
struct tg_revocations {
	bool (*is_revoked_serial)(void *ctx, const char *serial_hex);
	bool (*is_revoked_jti)(void *ctx, const char *jti);
	void *ctx;
};

/*
 * Verifies an X509-SVID (SPIFFE X509-SVID spec 4 and 5): the leaf has
 * exactly one URI SAN holding a valid SPIFFE ID, CA:FALSE, a critical key
 * usage with digitalSignature and without keyCertSign or cRLSign; it
 * chains through intermediates to an X.509 authority of the bundle of the
 * ID's trust domain at time now. On success *id gets the SPIFFE ID.
 * TG_E_VERIFY with the precise reason in d ("leaf is a CA", ...).
 * The leaf rules are checked before any chain is built; no extended key
 * usage is required (a SHOULD of issuers, X509-SVID 4.4); a signing
 * certificate with a SPIFFE ID must have no path (3.2); rev is asked
 * about every certificate of the validated path, so revoking an
 * intermediate revokes what it signed.
 */
tg_err tg_x509_svid_verify(const struct tg_x509 *leaf, const struct tg_x509 *const *inter,
			   size_t n_inter, const struct tg_bundle_set *bundles, struct tg_time now,
			   const struct tg_revocations *rev, struct tg_spiffe_id *id,
			   struct tg_diag *d) TG_MUST_CHECK;

/*
 * Verifies a JWT-SVID (JWT-SVID spec 3 and 4): a JWS signed by a JWT
 * authority of the bundle of the trust domain of its "sub" (chosen by
 * "kid"; alg from the key: RS256/384/512, PS256/384/512, ES256/384/512),
 * sub a valid SPIFFE ID, aud containing audience, exp in the future (30 s
 * skew at most), typ "JWT" or "JOSE" if present. *id gets the SPIFFE ID,
 * *claims (may be NULL) the claims object in a.
 * The header may hold only alg, kid and typ (JWT-SVID 2) and must have a
 * kid: the key is chosen by it. Errors: TG_E_PARSE (not a JWT-SVID),
 * TG_E_ALG, TG_E_CLAIM (sub, aud, typ, iat), TG_E_EXPIRED, TG_E_VERIFY (no
 * bundle, unknown kid, bad signature, revoked jti).
 */
tg_err tg_jwt_svid_verify(const char *token, size_t n, const struct tg_bundle_set *bundles,
			  const char *audience, struct tg_time now, const struct tg_revocations *rev,
			  struct tg_arena *a, struct tg_spiffe_id *id, const struct tg_json **claims,
			  struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* The trust domain CA                                                 */
/* ------------------------------------------------------------------ */

struct tg_ca;

#define TG_SVID_X509_TTL_DEFAULT 3600 /* seconds: X509-SVIDs live an hour */
#define TG_SVID_JWT_TTL_DEFAULT 300   /* seconds: JWT-SVIDs live five minutes */
#define TG_SVID_TTL_MAX (24 * 3600)   /* no SVID outlives a day */

/* Creates the CA directory: a root (10 years) and an intermediate (1 year)
 * of key type kt (TG_KEY_EC_P256 or TG_KEY_EC_P384), and a JWT signing key
 * of the same type. TG_E_EXISTS when dir already holds a CA. */
tg_err tg_ca_init(const char *dir, const char *trust_domain, enum tg_key_type kt,
		  struct tg_time now, struct tg_diag *d) TG_MUST_CHECK;
/* Opens the CA of dir. Intermediates and JWT keys past their expiry (by
 * the clock) are not loaded; key files must have mode 0600 (TG_E_PERM). */
tg_err tg_ca_open(const char *dir, struct tg_ca **out, struct tg_diag *d) TG_MUST_CHECK;
void tg_ca_close(struct tg_ca *ca);
const char *tg_ca_trust_domain(const struct tg_ca *ca);

/* Adds a new intermediate and JWT key that sign from now on; the previous
 * ones stay in the bundle/chain until they expire. Reads root.key for the
 * duration of the call. Not to be run concurrently with other calls on
 * the same struct tg_ca. */
tg_err tg_ca_rotate(struct tg_ca *ca, struct tg_time now, struct tg_diag *d) TG_MUST_CHECK;

/* The trust domain's own bundle (roots; current and previous JWT keys). */
tg_err tg_ca_bundle(const struct tg_ca *ca, struct tg_bundle *out) TG_MUST_CHECK;
/* Own bundle plus every imported federated bundle. */
tg_err tg_ca_bundles(const struct tg_ca *ca, struct tg_bundle_set *out) TG_MUST_CHECK;
/* Stores a federated trust domain's bundle (replacing an older one; a
 * bundle for the CA's own trust domain is refused). */
tg_err tg_ca_import_bundle(struct tg_ca *ca, const struct tg_bundle *b,
			   struct tg_diag *d) TG_MUST_CHECK;

/*
 * Issues an X509-SVID for id (which must be in the CA's trust domain) over
 * the public half of key, valid from now-60s for ttl seconds (<=
 * TG_SVID_TTL_MAX, and never beyond the intermediate's expiry): one URI
 * SAN, critical KU digitalSignature (+keyEncipherment for RSA keys), EKU
 * serverAuth+clientAuth, CA:FALSE, random serial. *chain gets the leaf
 * followed by the signing intermediate. Records the serial (for
 * revocation and audit). ttl 0 means the CA's default (ca.json).
 */
tg_err tg_ca_issue_x509(struct tg_ca *ca, const struct tg_spiffe_id *id, const struct tg_key *key,
			int64_t ttl, struct tg_time now, struct tg_x509_list *chain,
			struct tg_diag *d) TG_MUST_CHECK;
/* The same with DNS SANs next to the SPIFFE ID (a server SVID that clients
 * check by host name, e.g. a Kubernetes webhook): dns is a NULL-terminated
 * list of names the caller has validated (LDH, no wildcards), or NULL. */
tg_err tg_ca_issue_x509_dns(struct tg_ca *ca, const struct tg_spiffe_id *id,
			    const struct tg_key *key, const char *const *dns, int64_t ttl,
			    struct tg_time now, struct tg_x509_list *chain,
			    struct tg_diag *d) TG_MUST_CHECK;

/* Issues a JWT-SVID: header {alg, kid, typ:"JWT"}, claims {sub, aud (a
 * string when one audience, else an array), exp, iat, jti (random)}; alg
 * TG_SIG_NONE means the default for the JWT key (ES256 / ES384).
 * naud >= 1. ttl 0 means the CA's default; exp never passes the JWT
 * key's own expiry. */
tg_err tg_ca_issue_jwt(struct tg_ca *ca, const struct tg_spiffe_id *id, const char *const *aud,
		       size_t naud, int64_t ttl, struct tg_time now, enum tg_sig_alg alg,
		       struct tg_buf *token, struct tg_diag *d) TG_MUST_CHECK;

/* Revocation (deny list in the database). */
tg_err tg_ca_revoke_serial(struct tg_ca *ca, const char *serial_hex, struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_ca_revoke_jti(struct tg_ca *ca, const char *jti, struct tg_time exp,
			struct tg_diag *d) TG_MUST_CHECK;
/* A deny-list view of the CA's database for the verifiers above. */
struct tg_revocations tg_ca_revocations(struct tg_ca *ca);
/* The deny list as two lists (strings in a), each sorted by bytes
 * (shorter first on a common prefix) and unique: revoked serials
 * (normalized lower-case hex) except those of leaves known to have
 * expired by now, and JWT IDs whose token has not expired by now minus
 * TG_LIMIT_JWT_SKEW_MAX. TG_E_TOOBIG with d past max of either. */
struct tg_revoked_list {
	const char **serials;
	size_t nserials;
	const char **jtis;
	size_t njtis;
};
tg_err tg_ca_revoked_list(struct tg_ca *ca, struct tg_time now, size_t max, struct tg_arena *a,
			  struct tg_revoked_list *out, struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Selectors and registration entries                                  */
/* ------------------------------------------------------------------ */

#define TG_SELECTOR_MAX 1024 /* bytes of "type:key:value" */

/* "TYPE:KEY:VALUE": type and key are [a-z0-9_-]+ (github, gitlab, k8s,
 * unix, join, oidc), the value is the rest and may contain ':'.
 * Keys may also hold [A-Z./] (claim names of the generic OIDC profile,
 * flattened with '.'). The value is non-empty UTF-8 without control
 * characters or line separators; the whole is at most TG_SELECTOR_MAX. */
struct tg_selector {
	char *type;
	char *key;
	char *value;
};
tg_err tg_selector_parse(const char *s, size_t n, struct tg_arena *a, struct tg_selector *out,
			 struct tg_diag *d) TG_MUST_CHECK;
/* Appends "type:key:value". */
tg_err tg_selector_format(const struct tg_selector *s, struct tg_buf *out) TG_MUST_CHECK;

struct tg_entry {
	char id[37];                /* UUID (random, v4) */
	struct tg_spiffe_id spiffe_id;
	struct tg_selector *selectors;
	size_t nselectors;
	int64_t x509_ttl;           /* seconds; 0 = default */
	int64_t jwt_ttl;
	struct tg_time created;
	/* "" (uri[0] == 0): attested at the server (a node or CI job); else
	 * the SPIFFE ID of the agent that attests this entry's workloads and
	 * alone may ask the server for its SVIDs (SPIRE's parent ID) */
	struct tg_spiffe_id parent_id;
};

/* Entries live in the CA's database; selectors and strings of returned
 * entries are allocated in a. */
tg_err tg_entry_create(struct tg_ca *ca, struct tg_entry *e, struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_entry_delete(struct tg_ca *ca, const char *id, struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_entry_list(struct tg_ca *ca, struct tg_arena *a, struct tg_entry **out, size_t *n,
		     struct tg_diag *d) TG_MUST_CHECK;
/* The entries whose parent is parent (a SPIFFE ID), oldest first. */
tg_err tg_entry_list_parent(struct tg_ca *ca, const char *parent, struct tg_arena *a,
			    struct tg_entry **out, size_t *n, struct tg_diag *d) TG_MUST_CHECK;
/* The entries ALL of whose selectors are in the attested set. */
tg_err tg_entry_match(struct tg_ca *ca, const struct tg_selector *attested, size_t n,
		      struct tg_arena *a, struct tg_entry **out, size_t *nout,
		      struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Attestation                                                         */
/* ------------------------------------------------------------------ */

/* What an attestor proved: selectors (in a) and a one-line description
 * for audit ("github repo acme/app ref refs/heads/main run 42"). */
struct tg_attestation {
	struct tg_selector *selectors;
	size_t n;
	const char *subject;
	struct tg_time expires;     /* the credential's own expiry; 0 when it has
				     * none (Unix peers) */
	unsigned flags;             /* TG_ATTEST_F_* */
};

/* A Kubernetes token used after its "warnafter": still valid (the API
 * server extended its lifetime for legacy clients) but stale; the subject
 * says so too, and callers should log it. */
#define TG_ATTEST_F_PAST_WARNAFTER 0x01

enum tg_oidc_profile {
	TG_OIDC_GENERIC = 0,  /* selectors oidc:<claim>:<value> for every string/number/bool claim */
	TG_OIDC_GITHUB,       /* github:repository_id:..., github:ref:..., ... */
	TG_OIDC_GITLAB,       /* gitlab:project_id:..., ... */
	TG_OIDC_KUBERNETES,   /* k8s:ns:..., k8s:sa:..., k8s:pod-name:..., k8s:pod-uid:... */
};

struct tg_oidc_config {
	const char *issuer;          /* required iss, exact */
	const char *audience;        /* required aud */
	enum tg_oidc_profile profile;
	const struct tg_jwks *jwks;  /* the issuer's keys */
	struct tg_time now;
	int64_t skew;                /* seconds, <= 60 */
	int64_t max_age;             /* seconds since iat; 0 = 3600; <= 86400 */
};

/*
 * Verifies a CI OIDC token (signature with the key's own algorithm via
 * tg_jwt_verify, iss, aud, exp/nbf/iat, maximum age) and records its jti
 * (or, without a jti, the SHA-256 of the token) in the replay cache until
 * it expires: a second presentation is TG_E_DENIED ("token replayed").
 * Maps claims to selectors by profile.
 */
tg_err tg_attest_oidc(struct tg_ca *ca, const char *token, size_t n,
		      const struct tg_oidc_config *cfg, struct tg_arena *a,
		      struct tg_attestation *out, struct tg_diag *d) TG_MUST_CHECK;

/* The claim mapping of tg_attest_oidc alone, for claims that were already
 * verified (and for `--dry-run` displays and fuzzing): selectors sorted
 * and unique, subject, expires (exp) and flags (warnafter against now).
 * TG_E_CLAIM when a claim the profile needs is missing or malformed, or a
 * value holds a control character; TG_E_TOOBIG past 128 selectors. */
tg_err tg_oidc_claims_selectors(enum tg_oidc_profile profile, const struct tg_json *claims,
				struct tg_time now, struct tg_arena *a,
				struct tg_attestation *out, struct tg_diag *d) TG_MUST_CHECK;

/* Creates a one-time join token valid for ttl seconds; stores only its
 * SHA-256. The token text (base64url of 32 random bytes) goes to out. The
 * entry selectors it grants are join:token:<sha256 hex prefix> plus
 * join:label:<label> when label is not NULL. */
tg_err tg_join_token_create(struct tg_ca *ca, int64_t ttl, const char *label, struct tg_time now,
			    struct tg_buf *out, struct tg_diag *d) TG_MUST_CHECK;
#define TG_JOIN_TOKEN_TTL_MAX (24 * 3600) /* seconds: join tokens are short-lived */
#define TG_JOIN_ID_LEN 32                 /* hex digits of the join:token selector value */
/* Writes the join:token selector value of a token text (the first
 * TG_JOIN_ID_LEN hex digits of its SHA-256, NUL-terminated) to out, so an
 * entry can be created for it. TG_E_PARSE when the text is not a token. */
tg_err tg_join_token_id(const char *token, size_t n, char out[TG_JOIN_ID_LEN + 1]) TG_MUST_CHECK;
/* Consumes a join token (atomically: a second use is TG_E_DENIED). */
tg_err tg_attest_join(struct tg_ca *ca, const char *token, size_t n, struct tg_time now,
		      struct tg_arena *a, struct tg_attestation *out,
		      struct tg_diag *d) TG_MUST_CHECK;

/* Attests the peer of a connected Unix socket: unix:uid:N, unix:gid:N,
 * unix:path:/usr/bin/x (the executable, via /proc/<pid>/exe, checked to be
 * the same process after reading), unix:sha256:<hex of the executable>. */
tg_err tg_attest_unix(int fd, struct tg_arena *a, struct tg_attestation *out,
		      struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* SPIFFE Workload API (agent)                                         */
/* ------------------------------------------------------------------ */

/*
 * Serves the SPIFFE Workload API (workload.proto: FetchX509SVID,
 * FetchX509Bundles, FetchJWTSVID, FetchJWTBundles, ValidateJWTSVID) as
 * gRPC over HTTP/2 (nghttp2) on a Unix socket. Each caller is attested with
 * tg_attest_unix; it gets the SVIDs of the entries its selectors match.
 * Requests without the metadata header "workload.spiffe.io: true" are
 * refused (InvalidArgument), as the spec requires. Streams send complete
 * snapshots, again whenever SVIDs rotate (rotate_before seconds before
 * expiry) or bundles change. Returns when *stop becomes non-zero.
 */
struct tg_agent_opts {
	const char *socket_path;
	int64_t rotate_before;       /* seconds; 0 = half the TTL */
	unsigned max_clients;        /* 0 = 64 */
};
tg_err tg_agent_serve(struct tg_ca *ca, const struct tg_agent_opts *o, volatile int *stop,
		      struct tg_diag *d) TG_MUST_CHECK;

/*
 * Where an agent gets its entries, bundles and SVIDs: the CA directory
 * itself (tg_agent_serve), or a tollgated that holds the CA
 * (src/server/agent_upstream.c, `tollgate agent --server`). The agent
 * calls every op from its one thread; none is called concurrently.
 *  - trust_domain: the trust domain served (valid while ctx lives).
 *  - refresh: called every few seconds; re-reads or polls what changed.
 *    May block for a network round trip; must not fail (it logs).
 *  - bundles: own bundle and federated ones; the caller releases *out.
 *  - match: the entries ALL of whose selectors are in att (the rule of
 *    tg_entry_match), oldest first, in a.
 *  - issue_x509: an X509-SVID for entry e: *key (a private key the caller
 *    frees) and *chain (leaf first, then intermediates; released by the
 *    caller). The same SVID may be returned again while it is fresh.
 *  - issue_jwt: a JWT-SVID for e's SPIFFE ID and the naud >= 1 audiences
 *    appended to token. TG_E_INVAL: the audiences are refused.
 *  - revocations: the deny list ValidateJWTSVID consults (both functions
 *    NULL: none known).
 */
struct tg_agent_upstream {
	void *ctx;
	const char *(*trust_domain)(void *ctx);
	void (*refresh)(void *ctx);
	tg_err (*bundles)(void *ctx, struct tg_bundle_set *out, struct tg_diag *d);
	tg_err (*match)(void *ctx, const struct tg_selector *att, size_t n, struct tg_arena *a,
			struct tg_entry **out, size_t *nout, struct tg_diag *d);
	tg_err (*issue_x509)(void *ctx, const struct tg_entry *e, struct tg_time now,
			     struct tg_key **key, struct tg_x509_list *chain, struct tg_diag *d);
	tg_err (*issue_jwt)(void *ctx, const struct tg_entry *e, const char *const *aud,
			    size_t naud, struct tg_time now, struct tg_buf *token,
			    struct tg_diag *d);
	struct tg_revocations (*revocations)(void *ctx);
};
/* tg_agent_serve with entries, bundles and SVIDs from up. */
tg_err tg_agent_serve_upstream(const struct tg_agent_upstream *up, const struct tg_agent_opts *o,
			       volatile int *stop, struct tg_diag *d) TG_MUST_CHECK;
/* The entries of es (n of them) ALL of whose selectors are in att, in
 * their order, copied (pointers into es) to an array in a: the rule of
 * tg_entry_match for entries held in memory. */
tg_err tg_entry_match_list(const struct tg_entry *es, size_t n, const struct tg_selector *att,
			   size_t natt, struct tg_arena *a, struct tg_entry **out, size_t *nout,
			   struct tg_diag *d) TG_MUST_CHECK;

/* Parses durations "90s", "5m", "1h", "1h30m", "2d" (positive, <= 1 year). */
tg_err tg_duration_parse(const char *s, int64_t *seconds) TG_MUST_CHECK;

#endif
