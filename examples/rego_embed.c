/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_embed.c - embedding tollgate's Rego engine through tollgate/rego.h:
 * compile a Kubernetes admission policy once, then decide on pods and print
 * the full result of a query, as `opa eval --format json` would.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tollgate/rego.h"

static const char policy[] = "package admission\n"
			     "\n"
			     "default allow := false\n"
			     "\n"
			     "allow if count(deny) == 0\n"
			     "\n"
			     "deny contains msg if {\n"
			     "\tsome c in input.spec.containers\n"
			     "\tnot startswith(c.image, data.allowed_registry)\n"
			     "\tmsg := sprintf(\"container %s: image %s is not allowed\", [c.name, c.image])\n"
			     "}\n";

static const char data[] = "{\"allowed_registry\": \"registry.example.com/\"}";

static const char pod[] = "{\"spec\": {\"containers\": ["
			  "{\"name\": \"app\", \"image\": \"registry.example.com/app:1.2\"},"
			  "{\"name\": \"debug\", \"image\": \"docker.io/busybox\"}]}}";

int main(void)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_policy *p = NULL;
	struct tg_rego_query *allow = NULL, *deny = NULL;
	struct tg_rego_options opts;
	char *out = NULL, *errors = NULL;
	bool allowed = false;
	int rc, status = 1;

	/* 1. compile: modules and data, once */
	if (tg_rego_builder_new(&b) != TG_REGO_OK)
		return 1;
	rc = tg_rego_builder_add_module(b, "admission.rego", policy, strlen(policy), TG_REGO_V1);
	if (rc == TG_REGO_OK)
		rc = tg_rego_builder_add_data(b, "data.json", data, strlen(data));
	if (rc == TG_REGO_OK)
		rc = tg_rego_builder_compile(b, 0, &p);
	if (rc != TG_REGO_OK) {
		const char *e = tg_rego_builder_errors(b);
		fprintf(stderr, "%s\n", e ? e : tg_rego_strerror(rc));
		goto out;
	}

	/* 2. prepare the queries once; they may be shared by threads */
	if (tg_rego_query_new(p, "data.admission.allow", 20, TG_REGO_V1, &allow, &errors) != TG_REGO_OK ||
	    tg_rego_query_new(p, "msgs := data.admission.deny", 27, TG_REGO_V1, &deny, &errors) !=
		    TG_REGO_OK) {
		fprintf(stderr, "%s\n", errors ? errors : "cannot prepare");
		goto out;
	}

	/* 3. evaluate per request, with limits */
	memset(&opts, 0, sizeof(opts));
	opts.limits.steps = 1000000;
	opts.limits.memory = 16 * 1024 * 1024;
	opts.limits.timeout_ms = 100;
	rc = tg_rego_query_decide(allow, pod, strlen(pod), &opts, &allowed, &errors);
	if (rc != TG_REGO_OK) {
		fprintf(stderr, "%s\n", errors ? errors : tg_rego_strerror(rc));
		goto out;
	}
	printf("allowed: %s\n", allowed ? "yes" : "no");
	rc = tg_rego_query_run(deny, pod, strlen(pod), &opts, &out, NULL);
	printf("%s\n", out ? out : "");
	status = rc == TG_REGO_OK && !allowed ? 0 : 1;
out:
	tg_rego_string_free(out);
	tg_rego_string_free(errors);
	tg_rego_query_free(allow);
	tg_rego_query_free(deny);
	tg_rego_policy_free(p);
	tg_rego_builder_free(b);
	return status;
}
