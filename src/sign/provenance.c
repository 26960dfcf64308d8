/* SPDX-License-Identifier: Apache-2.0 */
/*
 * provenance.c - in-toto Statement v1 and SLSA provenance v1 predicates
 * built from the verified CI identity (never from unverified environment).
 */
#include "sign/sign.h"

#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "sign/sign_internal.h"

#define STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define GITHUB_BUILD_TYPE "https://actions.github.io/buildtypes/workflow/v1"
#define TOLLGATE_BUILD_TYPE "https://tollgate.dev/buildtypes/ci-oidc/v1"

tg_err tg_intoto_statement(const char *name, const uint8_t sha256[32], const char *predicate_type,
			   const struct tg_json *predicate, struct tg_buf *out)
{
	struct tg_arena a;
	struct tg_jb b;
	char hex[65];
	const struct tg_json *subj, *st;
	tg_err r;

	tg_arena_init(&a, 16 * 1024 * 1024);
	b.a = &a;
	b.r = TG_OK;
	tg_hex_encode_to(hex, sha256, 32);
	if (!predicate)
		predicate = tg_jb_obj(&b, NULL);
	subj = tg_jb_obj(&b, "name", tg_jb_str(&b, name), "digest",
			 tg_jb_obj(&b, "sha256", tg_jb_str(&b, hex), NULL), NULL);
	st = tg_jb_obj(&b, "_type", tg_jb_str(&b, STATEMENT_TYPE), "subject", tg_jb_arr(&b, &subj, 1),
		       "predicateType", tg_jb_str(&b, predicate_type), "predicate", predicate, NULL);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_canon(out, st);
	tg_arena_release(&a);
	return r;
}

/* "https://github.com/o/r" + "refs/heads/main" -> git+https://...@refs/heads/main */
static const struct tg_json *source_dep(struct tg_jb *b, const struct tg_sign_identity *id)
{
	char uri[2200];
	if (!id->repo_uri[0])
		return NULL;
	snprintf(uri, sizeof(uri), "git+%s%s%s", id->repo_uri, id->ref[0] ? "@" : "", id->ref);
	return tg_jb_obj(b, "uri", tg_jb_str(b, uri), "digest",
			 id->repo_digest[0]
				 ? tg_jb_obj(b, "gitCommit", tg_jb_str(b, id->repo_digest), NULL)
				 : tg_jb_obj(b, NULL),
			 NULL);
}

tg_err tg_slsa_provenance(const struct tg_sign_identity *id, struct tg_arena *a,
			  const struct tg_json **out)
{
	struct tg_jb b = {a, TG_OK};
	bool github = strcmp(id->issuer, "https://token.actions.githubusercontent.com") == 0;
	const struct tg_json *dep = source_dep(&b, id), *ext, *bd, *rd, *pred;
	const char *ext_oid[] = {"1.3.6.1.4.1.57264.1.11", "1.3.6.1.4.1.57264.1.15",
				 "1.3.6.1.4.1.57264.1.17"};
	const char *ext_name[] = {"runner_environment", "repository_id", "repository_owner_id"};
	struct tg_json_member im[4];
	const struct tg_json *internal = NULL;
	size_t i, j, ni = 0;

	/* what the verified token said about the trigger and the runner */
	if (id->trigger[0]) {
		im[ni].key = tg_jb_str(&b, "event_name");
		im[ni++].val = tg_jb_str(&b, id->trigger);
	}
	for (i = 0; i < TG_ARRAY_LEN(ext_oid); i++)
		for (j = 0; j < id->next; j++)
			if (!strcmp(id->ext[j].oid, ext_oid[i])) {
				im[ni].key = tg_jb_str(&b, ext_name[i]);
				im[ni++].val = tg_jb_str(&b, id->ext[j].value);
				break;
			}
	if (b.r == TG_OK)
		b.r = tg_json_new_object(a, im, ni, TG_JSON_DUP_REJECT, &internal);
	ext = tg_jb_obj(&b, "workflow",
			tg_jb_obj(&b, "ref", id->ref[0] ? tg_jb_str(&b, id->ref) : NULL, "repository",
				  id->repo_uri[0] ? tg_jb_str(&b, id->repo_uri) : NULL, "identity",
				  tg_jb_str(&b, id->san), NULL),
			NULL);
	bd = tg_jb_obj(&b, "buildType", tg_jb_str(&b, github ? GITHUB_BUILD_TYPE : TOLLGATE_BUILD_TYPE),
		       "externalParameters", ext, "internalParameters",
		       tg_jb_obj(&b, github ? "github" : "ci", internal, "issuer",
				 tg_jb_str(&b, id->issuer), NULL),
		       "resolvedDependencies", dep ? tg_jb_arr(&b, &dep, 1) : NULL, NULL);
	rd = tg_jb_obj(&b, "builder", tg_jb_obj(&b, "id", tg_jb_str(&b, id->builder_id[0] ? id->builder_id : id->san), NULL),
		       "metadata",
		       id->run_uri[0] ? tg_jb_obj(&b, "invocationId", tg_jb_str(&b, id->run_uri), NULL)
				      : NULL,
		       NULL);
	pred = tg_jb_obj(&b, "buildDefinition", bd, "runDetails", rd, NULL);
	if (b.r == TG_OK)
		*out = pred;
	return b.r;
}
