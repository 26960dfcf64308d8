/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intoto_verify.c - in-toto final product verification, in the order of
 * in-toto 1.3's verifylib.in_toto_verify: layout signatures and expiry,
 * step links and thresholds, command alignment, step rules, inspections.
 */
#include <stdio.h>
#include <string.h>

#include "core/fs.h"
#include "sign/intoto.h"

struct step_links {
	size_t n;                          /* verified links */
	const struct tg_intoto_meta **meta; /* in the order of the step's pubkeys */
	const char **file;
};

struct vctx {
	struct tg_arena *a;
	const struct tg_intoto_verify_opts *o;
	unsigned depth; /* sublayout nesting */
};

static tg_err verify_layout(struct vctx *v, const struct tg_intoto_meta *layout,
			    const struct tg_key *const *keys, size_t nkeys, const char *dir,
			    const char *summary_name, struct tg_intoto_link *summary,
			    struct tg_intoto_verify_result *res, struct tg_diag *d);

static void json_words(const struct tg_json *arr, char *out, size_t n)
{
	size_t i, o = 0;
	out[0] = '\0';
	for (i = 0; i < arr->u.a.len && o + 4 < n; i++) {
		const struct tg_json *w = arr->u.a.items[i];
		int k = w->type == TG_JSON_STRING
				? snprintf(out + o, n - o, "%s%s", i ? " " : "", w->u.s.p)
				: snprintf(out + o, n - o, "%s<%s>", i ? " " : "",
					   tg_json_type_name(w->type));
		if (k < 0 || (size_t)k >= n - o)
			break;
		o += (size_t)k;
	}
}

static tg_err verify_layout_sigs(struct tg_arena *a, const struct tg_intoto_meta *m,
				 const struct tg_key *const *keys, size_t nkeys, struct tg_diag *d)
{
	size_t i;
	if (nkeys == 0) {
		tg_diag_set(d, "layout verification needs at least one layout key");
		return TG_E_INVAL;
	}
	for (i = 0; i < nkeys; i++) {
		const struct tg_json *dict;
		char keyid[TG_INTOTO_KEYID_HEX + 1];
		enum tg_sig_alg alg;
		tg_err r = tg_intoto_key_describe(keys[i], a, &dict, keyid, &alg);
		if (r != TG_OK) {
			tg_diag_set(d, "layout key %zu cannot be used (%s)", i + 1, tg_strerror(r));
			return TG_E_KEY;
		}
		r = tg_intoto_meta_verify(m, keyid, keys[i], alg, d);
		if (r != TG_OK) {
			tg_diag_prefix(d, "layout signature");
			return TG_E_VERIFY;
		}
	}
	return TG_OK;
}

/* Loads, checks and counts the links of one step (load_links_for_layout and
 * verify_link_signature_thresholds). */
static tg_err step_links_load(struct vctx *v, const struct tg_intoto_layout *L,
			      const struct tg_intoto_item *st, const char *dir,
			      struct step_links *out, struct tg_diag *d)
{
	struct tg_arena *a = v->a;
	size_t nk = st->pubkeys->u.a.len, i, j, found = 0;
	char why[200] = "";
	struct tg_buf text = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE);
	tg_err r = TG_OK;

	out->n = 0;
	out->meta = tg_arena_alloc_array(a, nk ? nk : 1, sizeof(*out->meta));
	out->file = tg_arena_alloc_array(a, nk ? nk : 1, sizeof(*out->file));
	if (!out->meta || !out->file)
		return TG_E_TOOBIG;
	for (i = 0; i < nk; i++) {
		const struct tg_json *kid = st->pubkeys->u.a.items[i], *dict;
		struct tg_intoto_meta *m;
		struct tg_diag ld;
		struct tg_key *key = NULL;
		enum tg_sig_alg alg;
		char keyid[TG_INTOTO_KEYID_HEX + 1], *path, *file;
		size_t plen;

		for (j = 0; j < i; j++) /* a key listed twice is one functionary */
			if (tg_json_eq(st->pubkeys->u.a.items[j], kid))
				break;
		if (j < i)
			continue;
		plen = strlen(dir) + strlen(st->name) + 16;
		path = tg_arena_alloc_bytes(a, plen);
		if (!path)
			return TG_E_TOOBIG;
		snprintf(path, plen, "%s/%s.%.8s.link", dir, st->name, kid->u.s.p);
		file = strrchr(path, '/') + 1;
		tg_buf_reset(&text);
		tg_diag_init(&ld);
		r = tg_fs_read(path, &text, &ld);
		if (r == TG_E_NOTFOUND || r == TG_E_IO) {
			r = TG_OK; /* in-toto skips links it cannot read */
			continue;
		}
		if (r != TG_OK) {
			tg_diag_set(d, "step '%s': link '%s': %s", st->name, file, ld.msg);
			goto out;
		}
		found++;
		m = tg_arena_alloc(a, sizeof(*m));
		if (!m) {
			r = TG_E_TOOBIG;
			goto out;
		}
		r = tg_intoto_meta_parse(a, text.data, text.len, m, &ld);
		if (r != TG_OK) {
			tg_diag_set(d, "step '%s': link '%s' is malformed: %s", st->name, file, ld.msg);
			r = TG_E_VERIFY;
			goto out;
		}
		/* the functionary's key, from the layout */
		dict = tg_json_getn(L->keys, kid->u.s.p, kid->u.s.len);
		if (!dict) {
			if (!why[0])
				snprintf(why, sizeof(why), "key %.16s... of '%s' is not in the layout",
					 kid->u.s.p, file);
			continue;
		}
		r = tg_intoto_key_from_dict(dict, &key, &alg, keyid, &ld);
		if (r != TG_OK) {
			tg_diag_set(d, "layout key %.16s...: %s", kid->u.s.p, ld.msg);
			goto out;
		}
		if (strlen(keyid) != kid->u.s.len || strcmp(keyid, kid->u.s.p) != 0) {
			tg_key_free(key);
			tg_diag_set(d, "layout key %.16s... has key id %.16s... by its content",
				    kid->u.s.p, keyid);
			r = TG_E_VERIFY;
			goto out;
		}
		r = tg_intoto_meta_verify(m, keyid, key, alg, &ld);
		if (r != TG_OK) {
			tg_key_free(key);
			if (!why[0])
				snprintf(why, sizeof(why), "'%.60s': %.120s", file, ld.msg);
			r = TG_OK;
			continue;
		}
		if (m->type == TG_INTOTO_LAYOUT) {
			/* a sublayout (verifylib.verify_sublayouts): verified with
			 * the functionary's key against the links in
			 * <dir>/<step>.<keyid[:8]>, then stands for a summary link */
			struct tg_intoto_link summary;
			const struct tg_key *kk = key;
			char *sub;
			size_t sl = strlen(dir) + strlen(st->name) + 12;
			if (v->depth >= TG_LIMIT_INTOTO_SUBLAYOUTS) {
				tg_key_free(key);
				tg_diag_set(d, "step '%s': sublayouts nested more than %d deep",
					    st->name, TG_LIMIT_INTOTO_SUBLAYOUTS);
				r = TG_E_TOOBIG;
				goto out;
			}
			sub = tg_arena_alloc_bytes(a, sl);
			if (!sub) {
				tg_key_free(key);
				r = TG_E_TOOBIG;
				goto out;
			}
			snprintf(sub, sl, "%s/%s.%.8s", dir, st->name, kid->u.s.p);
			v->depth++;
			r = verify_layout(v, m, &kk, 1, sub, st->name, &summary, NULL, d);
			v->depth--;
			tg_key_free(key);
			if (r != TG_OK) {
				tg_diag_prefix(d, "sublayout '%s' of step '%s'", file, st->name);
				goto out;
			}
			m->type = TG_INTOTO_LINK;
			m->link = summary;
		} else {
			tg_key_free(key);
		}
		if (strcmp(m->link.name, st->name) != 0) {
			if (!why[0])
				snprintf(why, sizeof(why), "'%s' is a link of step '%.40s'", file,
					 m->link.name);
			continue;
		}
		out->meta[out->n] = m;
		out->file[out->n] = file;
		out->n++;
	}
	if (found < (st->threshold > 0 ? (size_t)st->threshold : 0)) {
		tg_diag_set(d, "step '%s' requires %lld link file(s), found %zu in '%s'", st->name,
			    (long long)st->threshold, found, dir);
		r = TG_E_VERIFY;
		goto out;
	}
	if (st->threshold > 0 && out->n < (size_t)st->threshold) {
		tg_diag_set(d, "step '%s' requires %lld link(s) validly signed by different "
			       "authorized functionaries, found %zu%s%s",
			    st->name, (long long)st->threshold, out->n, why[0] ? ": " : "", why);
		r = TG_E_VERIFY;
	}
out:
	tg_buf_release(&text);
	return r;
}

static tg_err run_inspection(struct tg_arena *a, const struct tg_intoto_item *it,
			     struct tg_intoto_link *l, struct tg_diag *d)
{
	static const char *const dot[] = {"."};
	size_t argc = it->command->u.a.len, i;
	char **argv;
	const struct tg_json *rv;
	int64_t code = 0;
	tg_err r;

	memset(l, 0, sizeof(*l));
	l->name = it->name;
	l->command = it->command;
	l->environment = &tg_json_empty_object_v;
	argv = tg_arena_alloc_array(a, argc + 1, sizeof(char *));
	if (!argv)
		return TG_E_TOOBIG;
	for (i = 0; i < argc; i++)
		argv[i] = (char *)it->command->u.a.items[i]->u.s.p;
	argv[argc] = NULL;
	r = tg_intoto_record(a, dot, 1, &l->materials, d);
	if (r != TG_OK)
		goto fail;
	r = tg_intoto_exec(a, argv, argc, 0, TG_LIMIT_INTOTO_CMD_SEC, &l->byproducts, d);
	if (r != TG_OK)
		goto fail;
	r = tg_intoto_record(a, dot, 1, &l->products, d);
	if (r != TG_OK)
		goto fail;
	rv = tg_json_get(l->byproducts, "return-value");
	if (!rv || tg_json_num_i64(rv, &code) != TG_OK || code != 0) {
		char cmd[120];
		json_words(it->command, cmd, sizeof(cmd));
		tg_diag_set(d, "inspection '%s': command '%s' returned %lld", it->name, cmd,
			    (long long)code);
		return TG_E_VERIFY;
	}
	return TG_OK;
fail:
	tg_diag_prefix(d, "inspection '%s'", it->name);
	return r == TG_E_NOTFOUND ? TG_E_VERIFY : r;
}

static tg_err verify_layout(struct vctx *v, const struct tg_intoto_meta *layout,
			    const struct tg_key *const *keys, size_t nkeys, const char *dir,
			    const char *summary_name, struct tg_intoto_link *summary,
			    struct tg_intoto_verify_result *res, struct tg_diag *d)
{
	struct tg_arena *a = v->a;
	const struct tg_intoto_verify_opts *o = v->o;
	const struct tg_intoto_layout *L = &layout->layout;
	struct step_links *sl = NULL;
	struct tg_intoto_linkset ls;
	const char **names;
	const struct tg_intoto_link **links;
	struct tg_intoto_link *insp;
	size_t i, j, total = 0, nitems = L->n_steps + L->n_inspect;
	tg_err r;

	if (layout->type != TG_INTOTO_LAYOUT) {
		tg_diag_set(d, "the layout file holds a link, not a layout");
		return TG_E_INVAL;
	}
	r = verify_layout_sigs(a, layout, keys, nkeys, d);
	if (r != TG_OK)
		return r;
	if (L->expiry.sec < o->now.sec) {
		tg_diag_set(d, "layout expired at %s", L->expires);
		return TG_E_EXPIRED;
	}
	sl = tg_arena_alloc_array(a, L->n_steps ? L->n_steps : 1, sizeof(*sl));
	names = tg_arena_alloc_array(a, nitems ? nitems : 1, sizeof(*names));
	links = tg_arena_alloc_array(a, nitems ? nitems : 1, sizeof(*links));
	insp = tg_arena_alloc_array(a, L->n_inspect ? L->n_inspect : 1, sizeof(*insp));
	if (!sl || !names || !links || !insp)
		return TG_E_TOOBIG;
	for (i = 0; i < L->n_steps; i++) {
		r = step_links_load(v, L, &L->steps[i], dir, &sl[i], d);
		if (r != TG_OK)
			return r;
		total += sl[i].n;
	}
	/* command alignment is a warning only, as in-toto has it */
	for (i = 0; i < L->n_steps; i++) {
		const struct tg_intoto_item *st = &L->steps[i];
		for (j = 0; j < sl[i].n && o->warn; j++) {
			char msg[400], got[160], want[160];
			if (tg_json_eq(sl[i].meta[j]->link.command, st->command))
				continue;
			json_words(sl[i].meta[j]->link.command, got, sizeof(got));
			json_words(st->command, want, sizeof(want));
			snprintf(msg, sizeof(msg),
				 "step '%s': command '%s' in '%s' differs from the expected '%s'",
				 st->name, got, sl[i].file[j], want);
			o->warn(o->warn_ctx, msg);
		}
	}
	/* every counted link of a step must report the same artifacts */
	for (i = 0; i < L->n_steps; i++) {
		if (L->steps[i].threshold <= 1)
			continue;
		for (j = 1; j < sl[i].n; j++) {
			const struct tg_intoto_link *a0 = &sl[i].meta[0]->link, *aj = &sl[i].meta[j]->link;
			if (!tg_json_eq(a0->materials, aj->materials) ||
			    !tg_json_eq(a0->products, aj->products)) {
				tg_diag_set(d, "step '%s': links '%s' and '%s' have different artifacts",
					    L->steps[i].name, sl[i].file[0], sl[i].file[j]);
				return TG_E_VERIFY;
			}
		}
	}
	for (i = 0; i < L->n_steps; i++) {
		names[i] = L->steps[i].name;
		links[i] = sl[i].n ? &sl[i].meta[0]->link : NULL;
	}
	ls.names = names;
	ls.links = links;
	ls.n = 0;
	/* a step with threshold <= 0 may have no link: it cannot be a MATCH
	 * source, and its rules have nothing to apply to */
	for (i = 0; i < L->n_steps; i++)
		if (links[i]) {
			names[ls.n] = L->steps[i].name;
			links[ls.n++] = &sl[i].meta[0]->link;
		}
	for (i = 0; i < L->n_steps; i++) {
		const struct tg_intoto_link *src = NULL;
		for (j = 0; j < ls.n; j++)
			if (strcmp(names[j], L->steps[i].name) == 0)
				src = links[j];
		if (!src)
			continue;
		r = tg_intoto_rules_verify(a, &L->steps[i], false, src, &ls, d);
		if (r == TG_OK)
			r = tg_intoto_rules_verify(a, &L->steps[i], true, src, &ls, d);
		if (r != TG_OK)
			return r;
	}
	for (i = 0; i < L->n_inspect; i++) {
		r = run_inspection(a, &L->inspect[i], &insp[i], d);
		if (r != TG_OK)
			return r;
	}
	for (i = 0; i < L->n_inspect; i++) {
		names[ls.n] = L->inspect[i].name;
		links[ls.n++] = &insp[i];
	}
	for (i = 0; i < L->n_inspect; i++) {
		r = tg_intoto_rules_verify(a, &L->inspect[i], false, &insp[i], &ls, d);
		if (r == TG_OK)
			r = tg_intoto_rules_verify(a, &L->inspect[i], true, &insp[i], &ls, d);
		if (r != TG_OK)
			return r;
	}
	if (res) {
		res->steps = L->n_steps;
		res->inspections = L->n_inspect;
		res->links = total;
	}
	if (summary) {
		/* verifylib.get_summary_link: what went into the first step and
		 * came out of the last */
		const struct tg_intoto_link *first = L->n_steps && sl[0].n ? &sl[0].meta[0]->link : NULL;
		const struct tg_intoto_link *last =
			L->n_steps && sl[L->n_steps - 1].n ? &sl[L->n_steps - 1].meta[0]->link : NULL;
		memset(summary, 0, sizeof(*summary));
		summary->name = summary_name;
		summary->materials = first ? first->materials : &tg_json_empty_object_v;
		summary->products = last ? last->products : &tg_json_empty_object_v;
		summary->byproducts = last ? last->byproducts : &tg_json_empty_object_v;
		summary->command = last ? last->command : &tg_json_empty_array_v;
		summary->environment = &tg_json_empty_object_v;
	}
	return TG_OK;
}

tg_err tg_intoto_verify(struct tg_arena *a, const struct tg_intoto_meta *layout,
			const struct tg_intoto_verify_opts *o,
			struct tg_intoto_verify_result *res, struct tg_diag *d)
{
	struct vctx v = {a, o, 0};
	return verify_layout(&v, layout, o->layout_keys, o->n_layout_keys, o->link_dir, NULL, NULL,
			     res, d);
}
