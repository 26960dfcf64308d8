/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admission.c - Kubernetes admission (AdmissionReview v1): collects every
 * container image of a Pod or workload template, requires digest pinning,
 * decides each digest with the gate and writes the AdmissionReview
 * response in the mode that applies (enforce, warn, audit).
 */
#include "gate/gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "gate/gate_internal.h"

#define REVIEW_ARENA (16 * TG_LIMIT_GATE_REVIEW) /* values of one parsed review */
#define UID_MAX 256                              /* bytes of request.uid (Kubernetes UIDs are 36) */
#define WARNING_MAX 256                          /* bytes of one warning (longer ones are cut) */
#define WARNINGS_MAX 32                          /* warnings in one response */
#define MESSAGE_MAX (4 * TG_KIB)                 /* bytes of status.message */
#define ANNOTATION_MAX (16 * TG_KIB)             /* bytes of the reasons audit annotation */
#define REVIEW_API "admission.k8s.io/v1"

const char *tg_gate_mode_name(enum tg_gate_mode m)
{
	switch (m) {
	case TG_GATE_ENFORCE:
		return "enforce";
	case TG_GATE_WARN:
		return "warn";
	case TG_GATE_AUDIT:
		return "audit";
	}
	return "enforce";
}

tg_err tg_gate_mode_parse(const char *s, enum tg_gate_mode *out)
{
	if (strcmp(s, "enforce") == 0)
		*out = TG_GATE_ENFORCE;
	else if (strcmp(s, "warn") == 0)
		*out = TG_GATE_WARN;
	else if (strcmp(s, "audit") == 0)
		*out = TG_GATE_AUDIT;
	else
		return TG_E_INVAL;
	return TG_OK;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

tg_err tg_gate_image_digest(const char *image, size_t n, uint8_t out[32], struct tg_diag *d)
{
	const char *at = NULL, *dg;
	size_t i, dn;

	if (n == 0) {
		tg_diag_set(d, "the image reference is empty");
		return TG_E_VERIFY;
	}
	if (n > TG_LIMIT_GATE_IMAGE_REF) {
		tg_diag_set(d, "the image reference is longer than %d bytes", TG_LIMIT_GATE_IMAGE_REF);
		return TG_E_VERIFY;
	}
	for (i = n; i > 0; i--)
		if (image[i - 1] == '@') {
			at = image + i - 1;
			break;
		}
	if (!at) {
		tg_diag_set(d, "not pinned by digest (a tag can move): use name@sha256:<64 hex digits>");
		return TG_E_VERIFY;
	}
	if (at == image) {
		tg_diag_set(d, "the image reference has no name before '@'");
		return TG_E_VERIFY;
	}
	dg = at + 1;
	dn = n - (size_t)(dg - image);
	if (dn < 7 || memcmp(dg, "sha256:", 7) != 0) {
		const char *colon = memchr(dg, ':', dn);
		if (colon)
			tg_diag_set(d, "digest algorithm '%.*s' is not accepted: pin by sha256",
				    (int)(colon - dg > 32 ? 32 : colon - dg), dg);
		else
			tg_diag_set(d, "malformed digest after '@': want sha256:<64 hex digits>");
		return TG_E_VERIFY;
	}
	if (dn != 7 + 64) {
		tg_diag_set(d, "the sha256 digest has %zu characters, not 64", dn - 7);
		return TG_E_VERIFY;
	}
	for (i = 7; i < dn; i++)
		if (!is_lower_hex(dg[i])) {
			tg_diag_set(d, "the sha256 digest has a character that is not lower-case hex at %zu",
				    i - 7);
			return TG_E_VERIFY;
		}
	return tg_hex_decode_to(out, 32, dg + 7, 64) == TG_OK ? TG_OK : TG_E_VERIFY;
}

/* The pod spec of object by kind; NULL with *why set when absent. */
static const struct tg_json *pod_spec(const struct tg_json *object, const char *kind,
				      const char **path)
{
	static const char *const templated[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
						"ReplicationController", "Job"};
	const struct tg_json *spec = tg_json_get(object, "spec");
	size_t i;
	if (strcmp(kind, "Pod") == 0) {
		*path = "spec";
		return spec;
	}
	for (i = 0; i < TG_ARRAY_LEN(templated); i++)
		if (strcmp(kind, templated[i]) == 0) {
			*path = "spec.template.spec";
			return tg_json_get(tg_json_get(spec, "template"), "spec");
		}
	if (strcmp(kind, "CronJob") == 0) {
		*path = "spec.jobTemplate.spec.template.spec";
		return tg_json_get(
			tg_json_get(tg_json_get(tg_json_get(spec, "jobTemplate"), "spec"), "template"),
			"spec");
	}
	if (strcmp(kind, "PodTemplate") == 0) {
		*path = "template.spec";
		return tg_json_get(tg_json_get(object, "template"), "spec");
	}
	*path = NULL;
	return NULL;
}

tg_err tg_gate_images(const struct tg_json *object, const char *kind, struct tg_arena *a,
		      struct tg_gate_image **out, size_t *n, struct tg_diag *d)
{
	static const char *const fields[] = {"containers", "initContainers", "ephemeralContainers"};
	const char *path = NULL;
	const struct tg_json *spec = pod_spec(object, kind, &path);
	struct tg_gate_image *imgs;
	size_t f, i, k = 0;

	if (!path) {
		tg_diag_set(d, "kind '%s' has no pod template", kind);
		return TG_E_NOTFOUND;
	}
	if (!spec || spec->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the %s has no object at %s", kind, path);
		return TG_E_PARSE;
	}
	imgs = tg_arena_alloc_array(a, TG_LIMIT_GATE_IMAGES, sizeof(*imgs));
	if (!imgs)
		return TG_E_TOOBIG;
	for (f = 0; f < TG_ARRAY_LEN(fields); f++) {
		const struct tg_json *list = tg_json_get(spec, fields[f]);
		if (!list || list->type == TG_JSON_NULL)
			continue;
		if (list->type != TG_JSON_ARRAY) {
			tg_diag_set(d, "%s.%s is a %s, not an array", path, fields[f],
				    tg_json_type_name(list->type));
			return TG_E_PARSE;
		}
		for (i = 0; i < list->u.a.len; i++) {
			const struct tg_json *c = list->u.a.items[i], *img, *name;
			struct tg_gate_image *im;
			if (!c || c->type != TG_JSON_OBJECT) {
				tg_diag_set(d, "%s.%s[%zu] is not an object", path, fields[f], i);
				return TG_E_PARSE;
			}
			img = tg_json_get(c, "image");
			name = tg_json_get(c, "name");
			if (!img || img->type != TG_JSON_STRING || img->u.s.len == 0 ||
			    memchr(img->u.s.p, '\0', img->u.s.len)) {
				tg_diag_set(d, "%s.%s[%zu] has no image", path, fields[f], i);
				return TG_E_PARSE;
			}
			if (name && (name->type != TG_JSON_STRING || memchr(name->u.s.p, '\0', name->u.s.len))) {
				tg_diag_set(d, "%s.%s[%zu].name is not a string", path, fields[f], i);
				return TG_E_PARSE;
			}
			if (k == TG_LIMIT_GATE_IMAGES) {
				tg_diag_set(d, "more than %d containers in one object", TG_LIMIT_GATE_IMAGES);
				return TG_E_TOOBIG;
			}
			im = &imgs[k++];
			memset(im, 0, sizeof(*im));
			im->field = fields[f];
			im->container = name ? name->u.s.p : "";
			im->image = img->u.s.p;
			im->pinned = tg_gate_image_digest(img->u.s.p, img->u.s.len, im->digest, NULL) == TG_OK;
		}
	}
	*out = imgs;
	*n = k;
	return TG_OK;
}

void tg_gate_review_release(struct tg_gate_review *r)
{
	if (!r)
		return;
	free(r->json);
	free(r->record);
	memset(r, 0, sizeof(*r));
}

/* ---- the response ---- */

/* Cuts s to at most max bytes at a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

struct outcome {
	struct tg_buf msg;        /* status.message */
	const struct tg_json *warnings[WARNINGS_MAX];
	size_t nwarnings;
	struct tg_buf denied;     /* the denials, "; " separated, for auditAnnotations */
	size_t ndenied, nimages;
};

/* Records one denial: "container 'c' image 'x': reason". */
static tg_err deny_one(struct tg_jb *b, struct outcome *o, const struct tg_gate_image *im,
		       const char *reason)
{
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_GATE_REVIEW);
	tg_err r = tg_buf_addf(&t, "container '%s' image '%s': %s", im->container, im->image, reason);
	if (r == TG_E_TOOBIG)
		r = tg_buf_addf(&t, "container '%.256s': the reason is too long to show", im->container);
	if (r != TG_OK)
		goto out;
	o->ndenied++;
	if (o->nwarnings < WARNINGS_MAX)
		o->warnings[o->nwarnings++] =
			tg_jb_strn(b, (const char *)t.data, utf8_cut((const char *)t.data, t.len, WARNING_MAX));
	if (o->msg.len < MESSAGE_MAX) {
		/* the buffer has room past MESSAGE_MAX for the separator */
		if (o->msg.len && tg_buf_adds(&o->msg, "; ") != TG_OK)
			r = TG_E_INTERNAL;
		else if (tg_buf_add(&o->msg, t.data,
				    utf8_cut((const char *)t.data, t.len, MESSAGE_MAX - o->msg.len)) != TG_OK)
			r = TG_E_INTERNAL;
		if (r != TG_OK)
			goto out;
	}
	/* audit annotations keep what fits in ANNOTATION_MAX */
	if (o->denied.len)
		r = tg_buf_adds(&o->denied, "; ");
	if (r == TG_OK)
		r = tg_buf_add(&o->denied, t.data, t.len);
	if (r == TG_E_TOOBIG)
		r = TG_OK;
out:
	tg_buf_release(&t);
	return r;
}

static tg_err respond(const char *uid, bool allowed, int code, const char *message,
		      const struct tg_json *warnings, const struct tg_json *annotations,
		      struct tg_gate_review *out)
{
	struct tg_arena a;
	struct tg_jb b = {&a, TG_OK};
	struct tg_buf js = TG_BUF_INIT(4 * TG_LIMIT_GATE_REVIEW);
	const struct tg_json *doc;
	tg_err r;

	tg_arena_init(&a, 4 * TG_LIMIT_GATE_REVIEW);
	doc = tg_jb_obj(
		&b, "apiVersion", tg_jb_str(&b, REVIEW_API), "kind",
		tg_jb_str(&b, "AdmissionReview"), "response",
		tg_jb_obj(&b, "uid", tg_jb_str(&b, uid), "allowed", tg_json_bool(allowed),
			       "status",
			       tg_jb_obj(&b, "code", tg_jb_int(&b, code), "message",
					      message && message[0] ? tg_jb_str(&b, message) : NULL,
					      NULL),
			       "warnings", warnings, "auditAnnotations", annotations, NULL),
		NULL);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_canon(&js, doc);
	if (r == TG_OK) {
		free(out->json);
		tg_buf_detach(&js, (uint8_t **)&out->json, &out->json_len);
		out->allowed = allowed;
		out->code = code;
	}
	tg_buf_release(&js);
	tg_arena_release(&a);
	return r;
}

/* A 400 (malformed) or 500 (internal) answer: never allowed. */
static tg_err fail_response(const char *uid, int code, const char *what, const struct tg_diag *d,
			    struct tg_gate_review *out)
{
	char msg[TG_DIAG_MSG_MAX + 64];
	snprintf(msg, sizeof(msg), "%s: %s", what, d->msg[0] ? d->msg : "unknown error");
	return respond(uid ? uid : "", false, code, msg, NULL, NULL, out);
}

/* The rule for ns: its policy and mode, or the defaults. */
static void pick_rule(const struct tg_gate_admission *cfg, const char *ns,
		      const struct tg_gate_policy **p, enum tg_gate_mode *m)
{
	size_t i;
	*p = cfg->policy;
	*m = cfg->mode;
	for (i = 0; ns && i < cfg->nns; i++)
		if (cfg->ns[i].namespace_ && strcmp(cfg->ns[i].namespace_, ns) == 0) {
			if (cfg->ns[i].policy)
				*p = cfg->ns[i].policy;
			if (cfg->ns[i].mode >= 0 && cfg->ns[i].mode <= TG_GATE_AUDIT)
				*m = (enum tg_gate_mode)cfg->ns[i].mode;
			return;
		}
}

/* A string member that must be present (and not hold NUL). */
static tg_err need_str(const struct tg_json *o, const char *key, const char *where, const char **out,
		       bool required, struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, key);
	if (!v || v->type == TG_JSON_NULL) {
		if (!required) {
			*out = NULL;
			return TG_OK;
		}
		tg_diag_set(d, "%s.%s is missing", where, key);
		return TG_E_PARSE;
	}
	if (v->type != TG_JSON_STRING || memchr(v->u.s.p, '\0', v->u.s.len)) {
		tg_diag_set(d, "%s.%s is not a string", where, key);
		return TG_E_PARSE;
	}
	*out = v->u.s.p;
	return TG_OK;
}

struct seen {
	uint8_t digest[32];
	struct tg_gate_decision dec;
	tg_err r;
	char err[TG_DIAG_MSG_MAX + 64];
};

/* What was decided on a well-formed request, for the transparency log:
 * {"allowed","dry_run","images":[{"allow","container","digest"?,"field",
 * "image"}],"kind","mode","name"?,"namespace"?,"operation","uid"}, RFC 8785
 * canonical; an image is allowed when pinned and allowed by the gate. */
static tg_err make_record(struct tg_arena *a, const char *uid, const char *op, const char *ns,
			  const char *kind, const char *name, enum tg_gate_mode mode,
			  const struct tg_gate_image *imgs, size_t nimgs, const struct seen *seen,
			  size_t nseen, struct tg_gate_review *out)
{
	struct tg_jb b = {a, TG_OK};
	struct tg_buf js = TG_BUF_INIT(4 * TG_LIMIT_GATE_REVIEW);
	const struct tg_json **items = NULL, *doc;
	size_t i, j;
	tg_err r;

	if (nimgs) {
		items = tg_arena_alloc_array(a, nimgs, sizeof(*items));
		if (!items)
			return TG_E_TOOBIG;
	}
	for (i = 0; i < nimgs; i++) {
		bool allow = false;
		for (j = 0; j < nseen && imgs[i].pinned; j++)
			if (memcmp(seen[j].digest, imgs[i].digest, 32) == 0)
				allow = seen[j].r == TG_OK && seen[j].dec.allow;
		items[i] = tg_jb_obj(&b, "allow", tg_json_bool(allow), "container",
					  tg_jb_str(&b, imgs[i].container), "digest",
					  imgs[i].pinned ? tg_gate_jb_digest(&b, imgs[i].digest) : NULL,
					  "field", tg_jb_str(&b, imgs[i].field), "image",
					  tg_jb_str(&b, imgs[i].image), NULL);
	}
	doc = tg_jb_obj(&b, "allowed", tg_json_bool(out->allowed), "dry_run",
			     tg_json_bool(out->dry_run), "images",
			     tg_jb_arr(&b, (const struct tg_json *const *)items, nimgs), "kind",
			     tg_jb_str(&b, kind), "mode", tg_jb_str(&b, tg_gate_mode_name(mode)),
			     "name", name ? tg_jb_str(&b, name) : NULL, "namespace",
			     ns ? tg_jb_str(&b, ns) : NULL, "operation", tg_jb_str(&b, op),
			     "uid", tg_jb_str(&b, uid), NULL);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_canon(&js, doc);
	if (r == TG_OK) {
		free(out->record);
		tg_buf_detach(&js, (uint8_t **)&out->record, &out->record_len);
	}
	tg_buf_release(&js);
	return r;
}

tg_err tg_gate_admission_review(const struct tg_gate_admission *cfg, const char *review, size_t n,
				struct tg_time now, struct tg_gate_review *out, struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_jb b = {&a, TG_OK};
	struct tg_json_parse_opts po = {TG_JSON_DUP_REJECT, TG_LIMIT_GATE_REVIEW_DEPTH, false};
	const struct tg_json *doc = NULL, *req, *object, *kindo, *meta;
	const char *api, *kind, *uid = NULL, *op, *ns, *rkind, *name = NULL;
	const struct tg_gate_policy *pol;
	enum tg_gate_mode mode;
	struct tg_gate_image *imgs = NULL;
	struct seen *seen = NULL;
	size_t nimgs = 0, nseen = 0, i, j;
	struct outcome oc;
	struct tg_diag pd, local;
	tg_err r;

	if (!d) {
		tg_diag_init(&local);
		d = &local;
	}
	memset(out, 0, sizeof(*out));
	memset(&oc, 0, sizeof(oc));
	tg_buf_init(&oc.msg, MESSAGE_MAX + 64);
	tg_buf_init(&oc.denied, ANNOTATION_MAX);
	tg_diag_init(&pd);
	tg_arena_init(&a, REVIEW_ARENA);

	/* ---- the request ---- */
	if (n > TG_LIMIT_GATE_REVIEW) {
		tg_diag_set(d, "the AdmissionReview is %zu bytes, more than %zu", n, TG_LIMIT_GATE_REVIEW);
		r = TG_E_TOOBIG;
		goto malformed;
	}
	r = tg_json_parse(&a, review, n, &po, &doc, NULL, &pd);
	if (r != TG_OK) {
		tg_diag_set(d, "the AdmissionReview is not valid JSON: %s at %u:%u", pd.msg, pd.line, pd.col);
		if (r != TG_E_TOOBIG)
			r = TG_E_PARSE;
		goto malformed;
	}
	r = TG_E_PARSE;
	if (doc->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the AdmissionReview is a %s, not an object", tg_json_type_name(doc->type));
		goto malformed;
	}
	/* the uid first, so that even a refusal can echo it */
	req = tg_json_get(doc, "request");
	{
		const struct tg_json *u = tg_json_get(req, "uid");
		if (u && u->type == TG_JSON_STRING && u->u.s.len > 0 && u->u.s.len <= UID_MAX &&
		    !memchr(u->u.s.p, '\0', u->u.s.len))
			uid = u->u.s.p;
	}
	if (need_str(doc, "apiVersion", "AdmissionReview", &api, true, d) != TG_OK ||
	    need_str(doc, "kind", "AdmissionReview", &kind, true, d) != TG_OK)
		goto malformed;
	if (strcmp(api, REVIEW_API) != 0 || strcmp(kind, "AdmissionReview") != 0) {
		tg_diag_set(d, "not an %s AdmissionReview (apiVersion '%.64s', kind '%.64s')", REVIEW_API,
			    api, kind);
		goto malformed;
	}
	if (!req || req->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "AdmissionReview.request is missing or not an object");
		goto malformed;
	}
	if (!uid) {
		const char *u = NULL;
		if (need_str(req, "uid", "request", &u, true, d) == TG_OK)
			tg_diag_set(d, "request.uid is empty or longer than %d bytes", UID_MAX);
		goto malformed;
	}
	if (need_str(req, "operation", "request", &op, true, d) != TG_OK ||
	    need_str(req, "namespace", "request", &ns, false, d) != TG_OK ||
	    need_str(req, "name", "request", &name, false, d) != TG_OK)
		goto malformed;
	{
		const struct tg_json *dr = tg_json_get(req, "dryRun");
		if (dr && dr->type != TG_JSON_NULL && dr->type != TG_JSON_BOOL) {
			tg_diag_set(d, "request.dryRun is not a boolean");
			goto malformed;
		}
		out->dry_run = dr && dr->type == TG_JSON_BOOL && dr->u.b;
	}
	kindo = tg_json_get(req, "kind");
	if (!kindo || kindo->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "request.kind is missing or not an object");
		goto malformed;
	}
	if (need_str(kindo, "kind", "request.kind", &rkind, true, d) != TG_OK)
		goto malformed;
	pick_rule(cfg, ns, &pol, &mode);
	out->mode = mode;
	if (strcmp(op, "DELETE") == 0 || strcmp(op, "CONNECT") == 0) {
		r = respond(uid, true, 200, "no images to check", NULL, NULL, out);
		if (r == TG_OK)
			r = make_record(&a, uid, op, ns, rkind, name, mode, NULL, 0, NULL, 0, out);
		goto done;
	}
	object = tg_json_get(req, "object");
	if (!object || object->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "request.object is missing or not an object");
		goto malformed;
	}
	meta = tg_json_get(object, "metadata");
	if (!name && meta && need_str(meta, "name", "request.object.metadata", &name, false, d) != TG_OK)
		goto malformed;
	r = tg_gate_images(object, rkind, &a, &imgs, &nimgs, d);
	if (r == TG_E_NOTFOUND) {
		char msg[TG_DIAG_MSG_MAX + 32];
		snprintf(msg, sizeof(msg), "%s: nothing to check", d->msg);
		r = respond(uid, true, 200, msg, NULL, NULL, out);
		if (r == TG_OK)
			r = make_record(&a, uid, op, ns, rkind, name, mode, NULL, 0, NULL, 0, out);
		goto done;
	}
	if (r != TG_OK) {
		tg_diag_prefix(d, "request.object");
		goto malformed;
	}

	/* ---- the decisions: one per distinct digest ---- */
	oc.nimages = nimgs;
	seen = tg_xcalloc(nimgs ? nimgs : 1, sizeof(*seen));
	for (i = 0; i < nimgs; i++) {
		const struct tg_gate_image *im = &imgs[i];
		struct seen *s = NULL;
		if (!im->pinned) {
			struct tg_diag id;
			uint8_t unused[32];
			tg_diag_init(&id);
			if (tg_gate_image_digest(im->image, strlen(im->image), unused, &id) == TG_OK)
				tg_diag_set(&id, "not pinned by digest");
			r = deny_one(&b, &oc, im, id.msg);
			if (r != TG_OK)
				goto internal;
			continue;
		}
		for (j = 0; j < nseen && !s; j++)
			if (memcmp(seen[j].digest, im->digest, 32) == 0)
				s = &seen[j];
		if (!s) {
			const struct tg_gate_evidence *ev = NULL;
			size_t nev = 0;
			struct tg_gate_context ctx = {im->image, ns, rkind, name};
			struct tg_diag gd;
			s = &seen[nseen++];
			memcpy(s->digest, im->digest, 32);
			tg_diag_init(&gd);
			s->r = cfg->lookup ? cfg->lookup(cfg->lookup_ctx, im->digest, &ev, &nev) : TG_OK;
			if (s->r != TG_OK)
				snprintf(s->err, sizeof(s->err), "cannot look up its evidence: %s",
					 tg_strerror(s->r));
			else if ((s->r = tg_gate_decide(cfg->gate, pol, im->digest, ev, nev, &ctx, now,
							&s->dec, &gd)) != TG_OK)
				snprintf(s->err, sizeof(s->err), "the gate failed: %s",
					 gd.msg[0] ? gd.msg : tg_strerror(s->r));
		}
		if (s->r != TG_OK) {
			r = deny_one(&b, &oc, im, s->err); /* fail closed */
		} else if (!s->dec.allow) {
			for (j = 0, r = TG_OK; j < s->dec.ndeny && r == TG_OK; j++)
				r = deny_one(&b, &oc, im, s->dec.deny[j]);
		} else {
			r = TG_OK;
		}
		if (r != TG_OK)
			goto internal;
	}

	/* ---- the answer in the mode that applies ---- */
	{
		const struct tg_json *warnings = NULL, *ann;
		bool allowed = oc.ndenied == 0 || mode != TG_GATE_ENFORCE;
		char summary[256];
		size_t ndimg = 0;
		for (i = 0; i < nimgs; i++) {
			bool bad = !imgs[i].pinned;
			for (j = 0; j < nseen && !bad; j++)
				if (memcmp(seen[j].digest, imgs[i].digest, 32) == 0)
					bad = seen[j].r != TG_OK || !seen[j].dec.allow;
			ndimg += bad;
		}
		out->ndenied = ndimg;
		out->nimages = nimgs;
		snprintf(summary, sizeof(summary), "tollgate: %zu of %zu images denied (mode %s)", ndimg,
			 nimgs, tg_gate_mode_name(mode));
		if (oc.ndenied && mode == TG_GATE_WARN)
			warnings = tg_jb_arr(&b, oc.warnings, oc.nwarnings);
		ann = tg_jb_obj(&b, "decision", tg_jb_str(&b, oc.ndenied ? "deny" : "allow"),
				     "mode", tg_jb_str(&b, tg_gate_mode_name(mode)), "images",
				     tg_jb_int(&b, (int64_t)nimgs), "reasons",
				     oc.ndenied ? tg_jb_strn(&b, (const char *)oc.denied.data,
								  oc.denied.len)
						: NULL,
				     NULL);
		if (b.r == TG_OK && ann) {
			/* Kubernetes wants string values in auditAnnotations */
			struct tg_json_member m[4];
			size_t k;
			for (k = 0; k < ann->u.o.len; k++) {
				m[k] = ann->u.o.items[k];
				if (m[k].val->type == TG_JSON_NUMBER)
					m[k].val = tg_jb_strn(&b, m[k].val->u.s.p, m[k].val->u.s.len);
			}
			if (b.r == TG_OK)
				b.r = tg_json_new_object(&a, m, ann->u.o.len, TG_JSON_DUP_REJECT, &ann);
		}
		if ((r = b.r) != TG_OK)
			goto internal;
		if (oc.ndenied && mode == TG_GATE_ENFORCE) {
			struct tg_buf m = TG_BUF_INIT(MESSAGE_MAX + 512);
			r = tg_buf_addf(&m, "%s: %s", summary, tg_buf_str(&oc.msg));
			if (r == TG_OK)
				r = respond(uid, false, 403, tg_buf_str(&m), NULL, ann, out);
			tg_buf_release(&m);
		} else {
			r = respond(uid, allowed, 200, oc.ndenied ? summary : "tollgate: every image is allowed",
				    warnings, ann, out);
		}
		if (r == TG_OK)
			r = make_record(&a, uid, op, ns, rkind, name, mode, imgs, nimgs, seen, nseen,
					out);
		if (r != TG_OK)
			goto internal;
	}
	r = TG_OK;
	goto done;

malformed:
	if (r == TG_OK)
		r = TG_E_PARSE;
	{
		tg_err r2 = fail_response(uid, 400, "malformed AdmissionReview", d, out);
		if (r2 != TG_OK)
			r = r2;
	}
	goto done;
internal:
	{
		struct tg_diag id;
		tg_diag_init(&id);
		tg_diag_set(&id, "%s", tg_strerror(r));
		if (fail_response(uid, 500, "tollgate could not decide", &id, out) != TG_OK)
			r = TG_E_INTERNAL;
		tg_diag_set(d, "cannot answer the review: %s", tg_strerror(r));
	}
done:
	if (!out->json) { /* even the fallback could not be built: a fixed answer */
		static const char fixed[] = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
					    "\"AdmissionReview\",\"response\":{\"allowed\":false,"
					    "\"status\":{\"code\":500,\"message\":\"tollgate could not "
					    "answer\"},\"uid\":\"\"}}";
		out->json = tg_xstrdup(fixed);
		out->json_len = sizeof(fixed) - 1;
		out->allowed = false;
		out->code = 500;
		if (r == TG_OK)
			r = TG_E_INTERNAL;
	}
	for (i = 0; i < nseen; i++)
		tg_gate_decision_release(&seen[i].dec);
	free(seen);
	tg_buf_release(&oc.msg);
	tg_buf_release(&oc.denied);
	tg_arena_release(&a);
	return r;
}
