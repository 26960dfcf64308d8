/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gate.h - the deployment gate: verifies an artifact's evidence (Sigstore
 * bundles: message signatures and DSSE in-toto attestations) against a
 * trusted root, hands only verified facts to a Rego policy, and returns a
 * decision with every reason; Kubernetes AdmissionReview v1 on top.
 * docs/gate.md defines the policy input and the decision documents.
 */
#ifndef TG_GATE_GATE_H
#define TG_GATE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "core/time.h"
#include "sign/sign.h"
#include "tollgate/rego.h"

#define TG_GATE_PACKAGE "tollgate.gate"                    /* package of the default policy */
#define TG_GATE_SLSA_V1 "https://slsa.dev/provenance/v1"   /* predicate type of SLSA provenance v1 */

/* ------------------------------------------------------------------ */
/* Evidence                                                            */
/* ------------------------------------------------------------------ */

/* One piece of evidence: a Sigstore bundle (JSON bytes), borrowed. */
struct tg_gate_evidence {
	const char *name;              /* label in decisions (a file name), or NULL */
	const uint8_t *data;           /* the bundle */
	size_t len;
	uint8_t sha256[32];            /* SHA-256 of data, when has_sha256 (saves hashing) */
	bool has_sha256;
};

/*
 * Evidence indexed by the artifact digests it covers: a message
 * signature by its messageDigest (SHA-256), an in-toto attestation by
 * each SHA-256 subject digest. The index is built from unverified bytes
 * only to find candidates; the gate verifies every one. Immutable after
 * loading: any number of threads may look up at once.
 */
struct tg_gate_index;

/* The SHA-256 artifact digests a bundle covers (at most max) into dg: the
 * message digest of a message signature, the in-toto subjects of a DSSE
 * statement; an error when it covers none. */
tg_err tg_gate_bundle_digests(const struct tg_sign_bundle *b, uint8_t (*dg)[32], size_t max,
			      size_t *n, struct tg_diag *d) TG_MUST_CHECK;

tg_err tg_gate_index_new(struct tg_gate_index **out) TG_MUST_CHECK;
void tg_gate_index_free(struct tg_gate_index *ix);
/* Adds a copy of one bundle named name. A bundle that does not parse, or
 * names no SHA-256 artifact digest, is TG_E_PARSE with the reason in d
 * (the index is unchanged). At most TG_LIMIT_GATE_INDEX bundles. */
tg_err tg_gate_index_add(struct tg_gate_index *ix, const char *name, const uint8_t *data, size_t n,
			 struct tg_diag *d) TG_MUST_CHECK;
/* Adds every *.json file of dir (not recursive, in name order). A file
 * that is not a bundle is an error naming it, unless skip_bad: then it is
 * counted in *skipped (may be NULL). */
tg_err tg_gate_index_add_dir(struct tg_gate_index *ix, const char *dir, bool skip_bad,
			     size_t *skipped, struct tg_diag *d) TG_MUST_CHECK;
/* The evidence for digest (borrowed from ix, valid while ix lives); *n 0
 * when there is none. */
void tg_gate_index_find(const struct tg_gate_index *ix, const uint8_t digest[32],
			const struct tg_gate_evidence **out, size_t *n);
/* Bundles in the index. */
size_t tg_gate_index_count(const struct tg_gate_index *ix);

/* How admission finds evidence: fills *out (borrowed from ctx, valid until
 * the review call returns) and *n for an artifact digest. Offline: a
 * lookup never fetches from the network. tg_gate_index_lookup is one. */
typedef tg_err (*tg_gate_lookup_fn)(void *ctx, const uint8_t digest[32],
				    const struct tg_gate_evidence **out, size_t *n);
tg_err tg_gate_index_lookup(void *ix, const uint8_t digest[32], const struct tg_gate_evidence **out,
			    size_t *n) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Facts (what verification establishes; the policy input)             */
/* ------------------------------------------------------------------ */

/*
 * The facts of one verified bundle (docs/gate.md, "evidence" items):
 * kind, bundle {digest, name}, signer {identity, issuer}, log {index, url,
 * integrated_time}, signed_at (RFC 3339) and signed_at_unix, and for
 * attestations predicate_type and, for SLSA provenance v1, provenance.
 * b must have verified with result res. Values are allocated in a.
 */
tg_err tg_gate_facts(const struct tg_sign_bundle *b, const struct tg_sign_result *res,
		     const uint8_t bundle_sha256[32], const char *name, struct tg_arena *a,
		     const struct tg_json **out) TG_MUST_CHECK;

/*
 * The provenance facts of a SLSA provenance v1 predicate: builder_id,
 * build_type, invocation_id, and source {uri, repository, ref, digest}
 * from resolvedDependencies (the git+ dependency, or the first) and
 * externalParameters (GitHub workflow.repository/ref, GitLab source,
 * tollgate workflow.repository/ref). Members that are absent are omitted.
 */
tg_err tg_gate_provenance_facts(const struct tg_json *predicate, struct tg_arena *a,
				const struct tg_json **out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Policies                                                            */
/* ------------------------------------------------------------------ */

/* A compiled gate policy: a Rego policy and its prepared queries
 * data.<package>.deny (a set of reason strings) and data.<package>.allow
 * (true to allow). Immutable and reference counted: share it across
 * threads. */
struct tg_gate_policy;

/* Wraps rp (a new reference is taken) for package (NULL: tollgate.gate);
 * name labels decisions. Compile errors of the queries go to d. */
tg_err tg_gate_policy_new(struct tg_rego_policy *rp, const char *package, const char *name,
			  struct tg_gate_policy **out, struct tg_diag *d) TG_MUST_CHECK;

/* The built-in default policy (policies/gate/default.rego) with config,
 * a JSON data document merged at the root of data that sets
 * data.tollgate.gate.config (NULL: the built-in policies/gate/config.json,
 * which allows nothing until signers, builders and sources are set). */
tg_err tg_gate_policy_default(const char *config, size_t n, struct tg_gate_policy **out,
			      struct tg_diag *d) TG_MUST_CHECK;

/*
 * Compiles the Rego v1 modules and JSON data documents named by paths
 * (files, or directories whose *.rego and *.json files are read, not
 * recursively; *_test.rego files are skipped), plus data files
 * (documents merged at the root of data). No paths: the built-in default
 * policy, configured by the data files (or by the built-in configuration
 * when there are none). The first error goes to d with its file and
 * position.
 */
tg_err tg_gate_policy_load(const char *const *paths, size_t npaths, const char *const *data,
			   size_t ndata, const char *package, struct tg_gate_policy **out,
			   struct tg_diag *d) TG_MUST_CHECK;

struct tg_gate_policy *tg_gate_policy_ref(struct tg_gate_policy *p);
void tg_gate_policy_free(struct tg_gate_policy *p);
const char *tg_gate_policy_name(const struct tg_gate_policy *p);

/* The built-in texts (NUL-terminated), for `gate policy` docs and tests. */
extern const char tg_gate_default_rego[];
extern const char tg_gate_default_config[];

/* ------------------------------------------------------------------ */
/* Decisions                                                           */
/* ------------------------------------------------------------------ */

struct tg_gate_options {
	int64_t cache_ttl;             /* seconds a verification result is reused; 0: 300; <0: no cache */
	size_t cache_max;              /* cached results; 0: 4096 */
	struct tg_rego_limits limits;  /* per evaluation; 0 fields: the gate's defaults */
};

/* The verifier: a trusted root and a cache of verification results by
 * (artifact digest, evidence set). Thread-safe. */
struct tg_gate;

/* Takes over the contents of *root (it is left empty). */
tg_err tg_gate_new(struct tg_sign_trustroot *root, const struct tg_gate_options *o,
		   struct tg_gate **out) TG_MUST_CHECK;
void tg_gate_free(struct tg_gate *g);

/* Cache counters (for metrics and tests). */
struct tg_gate_stats {
	uint64_t hits, misses, evictions;
	size_t entries;
};
void tg_gate_stats_get(struct tg_gate *g, struct tg_gate_stats *out);

/* What the caller knows about the request; becomes input.context. */
struct tg_gate_context {
	const char *image;             /* the image reference (admission), or NULL */
	const char *namespace_;        /* the Kubernetes namespace, or NULL */
	const char *kind;              /* the resource kind, or NULL */
	const char *name;              /* the resource name, or NULL */
};

struct tg_gate_decision {
	bool allow;
	char **deny;                   /* every reason (sorted, unique); NULL when allowed */
	size_t ndeny;
	size_t nverified;              /* evidence that verified and reached the policy */
	size_t nrejected;              /* evidence that did not verify */
	bool cached;                   /* verification results came from the cache */
	char *json;                    /* the decision document (RFC 8785 canonical JSON) */
	size_t json_len;
};
void tg_gate_decision_release(struct tg_gate_decision *dec);

/*
 * Decides on the artifact with SHA-256 digest under policy p, given its
 * evidence (at most TG_LIMIT_GATE_EVIDENCE pieces): every bundle is
 * verified with tg_sign_verify (no identity constraint there: identities
 * are the policy's business); bundles that fail are listed as rejected
 * with the reason and never reach the policy. The policy sees the input
 * document of docs/gate.md with time.now_ns() = now. A denial is TG_OK
 * with dec->allow false. Errors: TG_E_TOOBIG (too much evidence), a
 * policy evaluation error (the Rego code, message in d).
 */
tg_err tg_gate_decide(struct tg_gate *g, const struct tg_gate_policy *p, const uint8_t digest[32],
		      const struct tg_gate_evidence *ev, size_t nev, const struct tg_gate_context *ctx,
		      struct tg_time now, struct tg_gate_decision *dec, struct tg_diag *d) TG_MUST_CHECK;

/*
 * Like tg_gate_decide, but only verifies and returns the policy input
 * document (canonical JSON appended to out), for `gate check --input`
 * and for writing policies.
 */
tg_err tg_gate_input(struct tg_gate *g, const uint8_t digest[32], const struct tg_gate_evidence *ev,
		     size_t nev, const struct tg_gate_context *ctx, struct tg_time now,
		     struct tg_buf *out, struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Kubernetes admission (AdmissionReview v1)                           */
/* ------------------------------------------------------------------ */

enum tg_gate_mode {
	TG_GATE_ENFORCE = 0,           /* denied images deny the request */
	TG_GATE_WARN = 1,              /* allowed, with a warning per denial */
	TG_GATE_AUDIT = 2,             /* allowed, denials in auditAnnotations */
};
/* "enforce", "warn", "audit" */
const char *tg_gate_mode_name(enum tg_gate_mode m);
tg_err tg_gate_mode_parse(const char *s, enum tg_gate_mode *out) TG_MUST_CHECK;

/* A namespace with its own policy and/or mode. */
struct tg_gate_ns_rule {
	const char *namespace_;
	const struct tg_gate_policy *policy; /* NULL: the default policy */
	int mode;                            /* enum tg_gate_mode, or -1: the default mode */
};

struct tg_gate_admission {
	struct tg_gate *gate;
	const struct tg_gate_policy *policy; /* the default policy */
	enum tg_gate_mode mode;              /* the default mode */
	const struct tg_gate_ns_rule *ns;    /* overrides by namespace */
	size_t nns;
	tg_gate_lookup_fn lookup;            /* evidence for a digest */
	void *lookup_ctx;
};

/* One container image of an admitted object. */
struct tg_gate_image {
	const char *field;             /* "containers", "initContainers", "ephemeralContainers" */
	const char *container;         /* the container's name ("" when absent) */
	const char *image;             /* the reference as written */
	bool pinned;                   /* by @sha256:<64 hex> */
	uint8_t digest[32];            /* when pinned */
};

/* Parses an image reference: TG_OK and the digest when it ends in
 * @sha256:<64 lower-case hex> after a non-empty name; TG_E_VERIFY with
 * the reason (tag, short digest, other algorithm) otherwise. */
tg_err tg_gate_image_digest(const char *image, size_t n, uint8_t out[32], struct tg_diag *d) TG_MUST_CHECK;

/*
 * The pod spec of an object of kind (Pod; Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, ReplicationController, Job: spec.template.spec;
 * CronJob: spec.jobTemplate.spec.template.spec; PodTemplate:
 * template.spec) and its images in containers, initContainers and
 * ephemeralContainers order (at most TG_LIMIT_GATE_IMAGES). Kinds
 * without pods give TG_E_NOTFOUND; malformed specs TG_E_PARSE with the
 * member named in d. The array is allocated in a.
 */
tg_err tg_gate_images(const struct tg_json *object, const char *kind, struct tg_arena *a,
		      struct tg_gate_image **out, size_t *n, struct tg_diag *d) TG_MUST_CHECK;

struct tg_gate_review {
	bool allowed;
	int code;                      /* status.code: 200, 403 denied, 400 malformed, 500 internal */
	enum tg_gate_mode mode;        /* the mode that applied */
	size_t nimages, ndenied;
	char *json;                    /* the AdmissionReview v1 response (always set on return) */
	size_t json_len;
	bool dry_run;                  /* request.dryRun was true */
	/* the decision record (docs/gate.md, "Decision record"; RFC 8785
	 * canonical JSON) when a well-formed request was decided, else NULL */
	char *record;
	size_t record_len;
};
void tg_gate_review_release(struct tg_gate_review *r);

/*
 * Answers an AdmissionReview v1 request (JSON text of n bytes, at most
 * TG_LIMIT_GATE_REVIEW): every image of the object must be pinned by
 * digest and allowed by the gate; the namespace's rule picks the policy
 * and mode. out->json is the AdmissionReview response with the request's
 * uid. A malformed review is TG_E_PARSE (or TG_E_TOOBIG) with d set and
 * out->json a response with status.code 400 and allowed false; other
 * errors deny with status.code 500.
 */
tg_err tg_gate_admission_review(const struct tg_gate_admission *cfg, const char *review, size_t n,
				struct tg_time now, struct tg_gate_review *out,
				struct tg_diag *d) TG_MUST_CHECK;

#endif
