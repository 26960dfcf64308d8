/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.h - the HTTPS API of tollgated: the HTTP/1.1 request parser, the
 * codec of the typed requests the api worker sends to the signer process,
 * the signer process and the api worker themselves, the configuration, and
 * the client the `tollgate` CLI uses to talk to a server (--server URL).
 */
#ifndef TG_SERVER_SERVER_H
#define TG_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "core/buf.h"
#include "core/err.h"

/* Limits of the server (they belong in core/limits.h once it is merged). */
#define TG_HTTP_HEAD_MAX (16 * 1024)     /* bytes of request line + headers */
#define TG_HTTP_LINE_MAX (8 * 1024)      /* bytes of the request line or one header line */
#define TG_HTTP_HEADERS_MAX 64           /* header lines of one request */
#define TG_HTTP_PATH_MAX 2048            /* bytes of the request target */
#define TG_HTTP_AUTH_MAX (8 * 1024)      /* bytes of the Authorization value */
#define TG_HTTP_BODY_DEFAULT (1024 * 1024) /* default max body bytes (config body_max) */
#define TG_SMSG_MAX (2 * 1024 * 1024)    /* bytes of one signer request or response */
#define TG_SMSG_FIELDS 8                 /* fields of one signer message */

/* ------------------------------------------------------------------ */
/* HTTP/1.1 requests (RFC 9112)                                        */
/* ------------------------------------------------------------------ */

struct tg_http_req {
	char method[8];                   /* "GET", "POST", ... */
	char path[TG_HTTP_PATH_MAX + 1];  /* origin-form target without the query */
	char content_type[128];           /* lower-cased media type, "" when absent */
	char auth[TG_HTTP_AUTH_MAX + 1];  /* Authorization value, "" when absent */
	int64_t content_length;           /* -1 when absent */
	bool keep_alive;                  /* HTTP/1.1 default unless "Connection: close" */
	size_t head_len;                  /* bytes of the head, including the final CRLF CRLF */
};

/*
 * Parses the head (request line and header fields) of one request from
 * the n bytes at p. TG_E_AGAIN when the head is not complete yet (and n is
 * below TG_HTTP_HEAD_MAX); on any other error *status gets the HTTP status
 * to answer (400, 414, 431, 501, 505) and d the reason. Only origin-form
 * targets, HTTP/1.0 and 1.1, no obs-fold, no Transfer-Encoding (501), one
 * Content-Length of digits, no control characters in values, header names
 * as RFC 9110 tokens. The body is not read.
 */
tg_err tg_http_parse_head(const uint8_t *p, size_t n, struct tg_http_req *out, int *status,
			  struct tg_diag *d) TG_MUST_CHECK;

/* The reason phrase of a status code ("Not Found"); "Unknown" otherwise. */
const char *tg_http_reason(int status);

/* ------------------------------------------------------------------ */
/* Signer messages (api worker <-> signer process, over a socketpair)   */
/* ------------------------------------------------------------------ */

/* Request types; each has a fixed number of fields with a size cap. */
enum tg_smsg_type {
	TG_SMSG_SERVER_SVID = 1, /* spki DER -> X509-SVID chain PEM for spiffe://td/tollgated */
	TG_SMSG_BUNDLE = 2,      /* -> SPIFFE bundle JSON of the trust domain */
	TG_SMSG_ATTEST = 3,      /* kind ("oidc"|"join"), token, spki DER, spiffe id or "",
				  * audiences ('\n'-separated or "") -> spiffe id, chain PEM,
				  * bundle PEM, JWT-SVIDs ('\n'-separated) */
	TG_SMSG_JWT_SVID = 4,    /* client chain DER (concatenated), audience -> spiffe id, token */
	TG_SMSG_SIGNING_CERT = 5,/* kind ("svid"|"oidc"), credential (chain DER | token),
				  * spki DER -> chain PEM, san, issuer */
	TG_SMSG_TIMESTAMP = 6,   /* TimeStampReq DER -> TimeStampResp DER */
	TG_SMSG_LOG_APPEND = 7,  /* canonical entry body -> tlog entry JSON (bundle form) */
	TG_SMSG_LOG_INFO = 8,    /* -> checkpoint text, log size (decimal) */
	TG_SMSG_ATT_STORE = 9,   /* bundle JSON (verified by the worker), subject digests
				  * (32 bytes each) -> bundle SHA-256 hex, "new"|"known" */
	TG_SMSG_ATT_GET = 10,    /* digest (32 bytes) -> stored bundles, each as a u32
				  * big-endian length and the bytes, in name order */
	TG_SMSG_LOG_DECISION = 11, /* canonical gate decision JSON -> log index (decimal),
				  * tlog entry JSON (bundle form) */
	TG_SMSG_LOG_ADMISSION = 20, /* canonical admission decision record (docs/gate.md) ->
				  * log index (decimal), the entry (canonical JSON) */
	/* 12-19: the store process (ATT_STORE and ATT_GET go to it too) */
	TG_SMSG_TILE = 12,       /* level (1 byte; 255: entry bundle), index (u64 BE), width
				  * (u16 BE, 1..256) -> the tile's bytes as tlog-tiles serves them */
	TG_SMSG_CHECKPOINT = 13, /* -> the log's published signed checkpoint, size (decimal) */
	/* agents (`tollgate agent --server`), each with the agent's chain PEM first */
	TG_SMSG_AGENT_ENTRIES = 21, /* chain -> JSON: entries whose parent is the agent,
				  * bundles, revision (docs/api.md) */
	TG_SMSG_AGENT_X509 = 22, /* chain, entry id, spki DER -> chain PEM, spiffe id */
	TG_SMSG_AGENT_JWT = 23,  /* chain, entry id, audiences ('\n'-separated) -> spiffe
				  * id, token */
	TG_SMSG_AGENT_RENEW = 24,/* chain, spki DER -> chain PEM, spiffe id (the agent's) */
};
#define TG_ATT_BUNDLE_MAX (40 * 1024) /* bytes of one stored attestation bundle */
#define TG_ATT_PER_DIGEST 24          /* bundles for one digest (all fit one 1 MiB answer) */
#define TG_ATT_DIGESTS 64             /* subject digests indexed for one bundle */
#define TG_ATT_TOTAL 100000           /* bundles in the store */
#define TG_SMSG_RESPONSE 0x100 /* response type: TG_SMSG_RESPONSE | tg_err (0 = ok) */

struct tg_smsg {
	uint32_t type;
	size_t n;                       /* fields in use */
	struct {
		const uint8_t *p;           /* points into the decoded buffer */
		size_t len;
	} f[TG_SMSG_FIELDS];
};

/* Encodes m as: u32 type, u32 field count, then per field u32 length and
 * bytes (all big-endian), appended to out. TG_E_TOOBIG past TG_SMSG_MAX. */
tg_err tg_smsg_encode(const struct tg_smsg *m, struct tg_buf *out) TG_MUST_CHECK;
/*
 * Decodes exactly the n bytes at p into m (fields point into p). For a
 * request type, the field count and each field's size cap are checked
 * against the type's schema; responses carry at most TG_SMSG_FIELDS
 * fields. TG_E_PARSE with the reason in d for truncation, trailing bytes,
 * unknown types, wrong counts; TG_E_TOOBIG for an oversized field.
 */
tg_err tg_smsg_decode(const uint8_t *p, size_t n, struct tg_smsg *m,
		      struct tg_diag *d) TG_MUST_CHECK;
/* Sends one message (a u32 length prefix and the encoding) on fd,
 * blocking; receives one into buf (reset first) and decodes it. */
tg_err tg_smsg_send(int fd, const struct tg_smsg *m) TG_MUST_CHECK;
tg_err tg_smsg_recv(int fd, struct tg_buf *buf, struct tg_smsg *m,
		    struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Configuration (docs/config.md)                                      */
/* ------------------------------------------------------------------ */

struct tg_server_oidc {
	char issuer[512];
	char audience[256];
	char jwks_path[1024];           /* jwks_file, or "" when fetched */
	char jwks_uri[1024];            /* https URL of the JWK set, or "" */
	bool discovery;                 /* jwks_uri from <issuer>/.well-known/openid-configuration */
	char ca_file[1024];             /* roots for fetching (default: the system's), or "" */
	char profile[16];               /* github, gitlab, kubernetes, generic */
};

struct tg_server_config {
	char listen_host[256];
	uint16_t listen_port;
	char ca_dir[1024];              /* trust domain CA (tollgate ca init) */
	char signer_dir[1024];          /* signer (tollgate signer init) */
	char state_dir[1024];           /* trusted_root.json, ca.pem */
	struct tg_server_oidc oidc[8];
	size_t noidc;
	int64_t jwks_refresh;           /* seconds between fetches of a JWK set; default 300 */
	int64_t jwks_max_stale;         /* seconds a fetched set stays usable; default 86400 */
	size_t body_max;                /* bytes; default TG_HTTP_BODY_DEFAULT */
	int header_timeout_ms;          /* default 10000 */
	int body_timeout_ms;            /* default 30000 */
	int idle_timeout_ms;            /* keep-alive idle; default 60000 */
	unsigned rate_per_min;          /* requests per identity (or address) per minute; 600 */
	unsigned admission_rate_per_min; /* AdmissionReviews per API server address; 60000 */
	unsigned max_conns;             /* per api worker; default 256 */
	unsigned api_workers;           /* api worker processes, 1..TG_API_WORKERS_MAX; default 2 */
	int64_t server_svid_ttl;        /* seconds; default 3600 */
	bool sandbox;                   /* seccomp allow-lists (default true) */
	/* decisions in the log (docs/config.md "Decision log") */
	bool decision_log_sync;         /* fdatasync each decision's journal record; default true */
	int log_integrate_ms;           /* sequenced decisions wait at most this long to join
					 * the tiles and a checkpoint; default 1000; 0: at once */
	/* the deployment gate (docs/config.md) */
	char gate_policy[4][1024];      /* Rego files or directories; none: the built-in policy */
	size_t ngate_policy;
	char gate_data[1024];           /* JSON data document (the default policy's config), or "" */
	int admission_mode;             /* enum tg_gate_mode; default enforce */
	struct {
		char ns[254];
		int mode;
	} admission_ns[32];             /* per-namespace modes */
	size_t nadmission_ns;
	/* the Kubernetes webhook (docs/kubernetes.md) */
	char server_dns[8][254];        /* DNS SANs of the server's SVID (LDH names) */
	size_t nserver_dns;
	char admission_client_ca[1024]; /* PEM roots of the API server's client certificate, or "" */
	char admission_client_names[16][256]; /* its allowed subject CN / DNS SANs (none: any) */
	size_t nadmission_client_names;
	bool admission_unauthenticated; /* an open /v1/admission off loopback is allowed */
};

void tg_server_config_defaults(struct tg_server_config *c);
/* The defaults of `tollgated --dev`: server_dns_names ["localhost"]. */
void tg_server_config_dev_defaults(struct tg_server_config *c);
/* Whether host (a listen address) is a loopback one: 127.0.0.0/8, ::1,
 * localhost. */
bool tg_server_host_is_loopback(const char *host);
/* Reads the JSON config file at path (docs/config.md): unknown keys,
 * wrong types and out-of-range values are errors naming the key. */
tg_err tg_server_config_load(const char *path, struct tg_server_config *c,
			     struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

/* The signer process: serves typed requests from the api workers, whose
 * sockets arrive on ctl (tg_server_serve), until ctl closes or *stop is
 * set. Opens the CA and signer keys itself. Returns the exit status. */
int tg_server_signer_main(const struct tg_server_config *c, int ctl, volatile int *stop);

/* What an api worker is given by the parent. */
struct tg_server_worker {
	int lfd;                        /* the listening socket (shared by the workers) */
	int sfd, stfd;                  /* its sockets to the signer and the store */
	int ready_fd;                   /* written once, then closed; -1 after a restart */
	void *shm;                      /* tg_server_api_shm_size(nslots) bytes shared by all
					 * workers: rate limits and each worker's metrics */
	size_t slot, nslots;            /* this worker's metrics slot */
};
size_t tg_server_api_shm_size(size_t nslots);

/* The api worker: accepts on w->lfd, serves HTTPS, asks the signer and
 * the store process. Holds no long-term private key. Writes one byte to
 * ready_fd (then closes it) once it has its certificate and accepts.
 * Returns the exit status. */
int tg_server_api_main(const struct tg_server_config *c, const struct tg_server_worker *w,
		       volatile int *stop);

/*
 * The parent's process table (proctab.c): forks the signer, the store,
 * c->api_workers api workers (and the JWKS fetcher when an issuer needs
 * it), prints `listening on https://SHOWN` once every worker is ready,
 * restarts a worker or the fetcher that ends (unless it keeps ending at
 * once), stops everything when the signer or the store ends or *stop is
 * set. Returns the exit status of tollgated.
 */
int tg_server_run(const struct tg_server_config *c, int lfd, const char *shown,
		  volatile int *stop);

/* The store process (store_proc.c): owns <state_dir>/tollgate.db (the
 * attestation store) and reads the signer's log directory read-only to
 * serve the checkpoint and tiles; no key, no network. Serves typed
 * requests on fd until it closes or *stop is set. Returns the exit
 * status. */
int tg_server_store_main(const struct tg_server_config *c, int ctl, volatile int *stop);

/* A tile of the log (c2sp.org/tlog-tiles): level 0-63 or -1 for an entry
 * bundle, index, width 1-255 (partial) or 256 (full). */
struct tg_server_tile {
	int level;
	uint64_t index;
	unsigned width;
};
#define TG_TILE_ENTRIES (-1)
/*
 * Parses the n bytes at p, a tile path after the "tile/" of the log's
 * prefix: "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]", N as zero-padded
 * 3-digit groups, all but the last prefixed with 'x' (x001/x234/067).
 * Strict: no leading zeros in L and W, no leading all-zero group in N,
 * nothing else. TG_E_PARSE with what is wrong in d; TG_E_RANGE for a
 * level above 63, a width outside 1-255, or an index past 2^64-1.
 */
tg_err tg_server_tile_path_parse(const char *p, size_t n, struct tg_server_tile *out,
				 struct tg_diag *d) TG_MUST_CHECK;

#define TG_API_WORKERS_MAX 8 /* api worker processes (config api_workers) */
/* The fields of an answer to one request, filled by a dispatch function. */
struct tg_server_answer {
	struct tg_buf f[TG_SMSG_FIELDS];
	size_t n;                       /* fields in use */
};
/* How a process answers: dispatch(ctx, request, answer, d) fills the
 * answer, or fails with d's message; caps[i] bounds field i (0: unused);
 * with wipe the fields are wiped after sending (they may hold secrets). */
struct tg_server_handler {
	tg_err (*dispatch)(void *ctx, const struct tg_smsg *m, struct tg_server_answer *o,
			   struct tg_diag *d);
	/* optional: called after every turn of the loop; returns in how many
	 * ms it wants to be called again (-1: only after a request) */
	int (*idle)(void *ctx);
	void *ctx;
	size_t caps[TG_SMSG_FIELDS];
	bool wipe;
};
/*
 * The request loop of the signer and the store (serve.c): serves the
 * sockets of the api workers, one request at a time, round robin among
 * those ready: each request is decoded, given to h->dispatch, and answered
 * (TG_SMSG_RESPONSE | the error, with the fields or the message); h->idle
 * runs between turns and bounds how long poll waits. A worker
 * whose socket fails is dropped. The parent passes each worker's socket
 * over ctl (tg_server_pass_fd); returns when *stop is set or ctl closes.
 */
void tg_server_serve(int ctl, const struct tg_server_handler *h, volatile int *stop);
/* The signer's answers to the TG_SMSG_AGENT_* requests (signer_agent.c),
 * from the CA ca. TG_E_DENIED for an entry whose parent is not the agent. */
struct tg_ca;
struct tg_key;
struct tg_x509_list;
/* Shared by the signer's handlers (signer_proc.c): the public key of
 * field i (SPKI DER) when its type may be certified (ECDSA P-256/P-384,
 * Ed25519), TG_E_KEY otherwise; a chain as PEM, leaf first. */
tg_err tg_server_spki_key(const struct tg_smsg *m, size_t i, struct tg_key **k,
			  struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_server_chain_pem(const struct tg_x509_list *l, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_server_signer_agent(struct tg_ca *ca, const struct tg_smsg *m,
			      struct tg_server_answer *o, struct tg_diag *d) TG_MUST_CHECK;
/* Sends fd over the unix socket ctl (SCM_RIGHTS). */
tg_err tg_server_pass_fd(int ctl, int fd) TG_MUST_CHECK;
/*
 * The JWKS fetcher process (fetch.c): fetches the JWK set of every issuer
 * with jwks_uri or discovery over HTTPS every jwks_refresh seconds and
 * stores it (validated, atomically) where tg_server_jwks_path says; the
 * signer reads it from there. Returns the exit status.
 */
int tg_server_fetcher_main(const struct tg_server_config *c, volatile int *stop);
/* Whether o's JWK set is fetched (jwks_uri or discovery) rather than a file. */
bool tg_server_oidc_fetched(const struct tg_server_oidc *o);
/* The file holding o's JWK set: jwks_file, or <state_dir>/jwks/<first 16
 * bytes of SHA-256(issuer), hex>.json for a fetched one. */
tg_err tg_server_jwks_path(const struct tg_server_config *c, const struct tg_server_oidc *o,
			   char *out, size_t cap) TG_MUST_CHECK;
/*
 * GET url (https only) with TLS 1.2 or 1.3, the server's certificate
 * verified against ca_file (PEM) or the system's roots and the URL's host
 * name, "Connection: close", within timeout_ms overall. Only a 200 answer
 * is a success (redirects are not followed); body gets at most max_body
 * bytes of its body. Errors name the URL or host and what failed.
 */
tg_err tg_https_get(const char *url, const char *ca_file, size_t max_body, int timeout_ms,
		    struct tg_buf *body, struct tg_diag *d) TG_MUST_CHECK;
/* Installs the seccomp allow-list for a process role ("signer", "store", "api")
 * after setting PR_SET_NO_NEW_PRIVS. */
tg_err tg_server_sandbox(const char *role, struct tg_diag *d) TG_MUST_CHECK;

/*
 * The transparency log entry of an admission decision, built from the
 * record the gate wrote (docs/gate.md, "Decision record") after checking
 * it: RFC 8785 canonical, known members only, booleans allowed and
 * dry_run (a dry run is TG_E_INVAL: never logged), mode, operation, uid,
 * kind, optional name and namespace, at most TG_LIMIT_GATE_IMAGES images
 * each with allow and, when pinned, a sha256 digest. The entry (appended
 * to entry, canonical JSON) is {"apiVersion":"0.0.1","kind":
 * "tollgate-admission-decision","spec":{"allowed","images":[{"allow",
 * "digest"?}],"mode","namespace"?,"object":{"kind","name"?},"operation",
 * "record":{"algorithm":"SHA2_256","digest"},"uid"}}. TG_E_PARSE with
 * the reason in d for a record that is not so.
 */
tg_err tg_server_admission_entry(const uint8_t *rec, size_t n, struct tg_buf *entry,
				 struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Client (the CLI's --server)                                         */
/* ------------------------------------------------------------------ */

struct tg_client {
	char host[256];
	char port[8];
	const char *ca_file;            /* PEM roots to trust for the server */
	const char *cert_file;          /* client X509-SVID chain, or NULL */
	const char *key_file;           /* its key */
	const char *bearer;             /* Authorization: Bearer, or NULL */
	int connect_timeout_ms;         /* TCP connect; 0: 60 s */
	int timeout_ms;                 /* the whole exchange (connect, TLS, request,
					 * answer); 0: none, only 60 s per wait */
};

/* Appends a PEM CSR for pk, self-signed (the proof of possession that
 * /v1/attest and /v1/signing-cert ask for). */
tg_err tg_client_csr(EVP_PKEY *pk, struct tg_buf *out) TG_MUST_CHECK;
/* Parses "https://host:port" into c. */
tg_err tg_client_url(const char *url, struct tg_client *c, struct tg_diag *d) TG_MUST_CHECK;
/* One HTTPS request (TLS 1.3, the server's certificate must chain to
 * ca_file and carry a spiffe:// URI SAN ending in /tollgated). *status
 * gets the HTTP status and body the response body (capped). Every wait
 * for the network is bounded by the timeouts of c: TG_E_TIMEOUT, naming
 * the server and the step, when one passes. */
tg_err tg_client_request(const struct tg_client *c, const char *method, const char *path,
			 const char *ctype, const uint8_t *body, size_t len, int *status,
			 struct tg_buf *resp, struct tg_diag *d) TG_MUST_CHECK;

/* What POST /v1/attest gave: the SPIFFE ID; with x509, a fresh P-256
 * key (PKCS#8 PEM; only ever in this process), the X509-SVID chain and
 * the bundle (PEM); the JWT-SVIDs, one a line, in audience order. The
 * caller initializes the buffers. */
struct tg_client_attest_out {
	struct tg_buf spiffe_id, key_pem, chain_pem, bundle_pem, jwts;
};
/* kind is "oidc" or "join"; spiffe_id may be NULL. TG_E_DENIED when the
 * server refused the credential (401/403), with its message in d. */
tg_err tg_client_attest(const struct tg_client *c, const char *kind, const char *token, size_t n,
			const char *spiffe_id, const char *const *aud, size_t naud, bool x509,
			struct tg_client_attest_out *out, struct tg_diag *d) TG_MUST_CHECK;

/* What to sign with the server: an artifact (message signature over its
 * bytes); or, when payload is set, that in-toto statement in a DSSE
 * envelope; or, when provenance_name is set, a SLSA provenance v1
 * statement for (provenance_name, provenance_sha256) built from the
 * identity the server certified (the signing certificate's SAN and
 * Fulcio extensions, nothing from this process's environment). */
struct tg_client_sign_in {
	const uint8_t *artifact;
	size_t artifact_len;
	const uint8_t *payload;         /* application/vnd.in-toto+json */
	size_t payload_len;
	const char *provenance_name;
	const uint8_t *provenance_sha256;
};

/* The sign flow against a server: a fresh P-256 key, a CSR gets a
 * signing certificate (identity from the client SVID or the OIDC token),
 * the key signs the artifact or the DSSE PAE, the signature is
 * timestamped and logged (hashedrekord 0.0.2 over the artifact's or the
 * PAE's SHA-256, as the local signer does); out gets the Sigstore bundle
 * v0.3 JSON (messageSignature or dsseEnvelope). */
tg_err tg_client_sign(const struct tg_client *c, const char *oidc_token,
		      const struct tg_client_sign_in *in, struct tg_buf *out,
		      struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* The agent's upstream (agent_upstream.c, `tollgate agent --server`)   */
/* ------------------------------------------------------------------ */

struct tg_agent_upstream;
struct tg_arena;
struct tg_entry;
struct tg_bundle_set;

struct tg_server_upstream_opts {
	const char *url;                /* https://host[:port] of tollgated */
	const char *ca_file;            /* PEM roots the server's SVID chains to */
	const char *svid_file;          /* the agent's X509-SVID chain (PEM), rewritten
					 * atomically when it is renewed */
	const char *key_file;           /* its private key (PEM), rewritten (0600) */
	int64_t poll_sec;               /* between polls of /v1/agent/entries; 0 = 5 */
};
struct tg_server_upstream;

/*
 * Connects an agent to tollgated: fetches /v1/agent/entries once (the
 * agent's SPIFFE ID, the entries whose parent it is, the bundles), which
 * must succeed. Later polls, SVID requests and the renewal of the
 * agent's own SVID (at half its remaining life) happen in the ops filled
 * into *ops, from the agent's thread. While the server cannot be reached
 * the last entries, bundles and every cached SVID that has not expired
 * are served, and polls back off (5 s doubling to 60 s); each request has
 * 3 s to connect and 10 s in all. The entries' deny list is the
 * revocations op's (ValidateJWTSVID), and prunes the caches. The key file and
 * the SVIDs' keys never reach a log. Errors: TG_E_AGAIN when the server
 * does not answer (properly) at start, TG_E_DENIED when it refuses the
 * agent, TG_E_IO / TG_E_PARSE / TG_E_KEY / TG_E_EXPIRED for the files.
 */
tg_err tg_server_upstream_open(const struct tg_server_upstream_opts *o,
			       struct tg_server_upstream **out, struct tg_diag *d) TG_MUST_CHECK;
void tg_server_upstream_ops(struct tg_server_upstream *u, struct tg_agent_upstream *ops);
/*
 * The agent's own key and X509-SVID are replaced in two steps: both new
 * files are written (atomically, fsync'd) as KEY.pending and
 * CERT.pending, then renamed over KEY and CERT. This checks the pair at
 * start (tg_server_upstream_open calls it): when CERT's leaf is not for
 * KEY and the pending files complete a matching pair (a renewal cut
 * short), it finishes the renames; pending files next to a matching pair
 * are removed. TG_E_KEY naming the files that do not match otherwise;
 * TG_E_IO / TG_E_PARSE for unreadable files.
 */
tg_err tg_server_upstream_files_check(const char *svid_file, const char *key_file,
				      struct tg_diag *d) TG_MUST_CHECK;
void tg_server_upstream_close(struct tg_server_upstream *u);

/* What GET /v1/agent/entries answered, parsed strictly (docs/api.md). */
struct tg_server_agent_view {
	char spiffe_id[2049];           /* the agent, as the server saw it */
	char revision[65];              /* lower-case hex SHA-256 */
	struct tg_entry *entries;       /* in the arena given; parent_id = spiffe_id */
	size_t nentries;
	/* the trust domain's deny list ("revoked"), in the arena given:
	 * sorted by bytes and unique, as the server sends them */
	const char **revoked_serials;   /* lower-case hex, even length */
	size_t nrevoked_serials;
	const char **revoked_jtis;
	size_t nrevoked_jtis;
};
#define TG_SERVER_AGENT_REVOKED_MAX 8192 /* revoked serials, and JWT IDs, sent to an agent */
/* Parses the n bytes at p (the answer) into *view (entries in a) and
 * *bundles (own trust domain's bundle required; the caller releases it).
 * TG_E_PARSE with the member at fault in d. */
tg_err tg_server_agent_view_parse(const uint8_t *p, size_t n, struct tg_arena *a,
				  struct tg_server_agent_view *view, struct tg_bundle_set *bundles,
				  struct tg_diag *d) TG_MUST_CHECK;

#endif
