/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rego_api.c - the embeddable Rego API (tollgate/rego.h): compile,
 * prepare, evaluate with OPA's output shapes, one policy shared by many
 * threads, decisions, errors, and the limits that contain hostile policies.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tg_test.h"
#include "tollgate/rego.h"

static const char policy[] = "package k8s\n"
			     "\n"
			     "import rego.v1\n"
			     "\n"
			     "default allow := false\n"
			     "\n"
			     "allow if count(deny) == 0\n"
			     "\n"
			     "deny contains msg if {\n"
			     "\tsome c in input.containers\n"
			     "\tnot startswith(c.image, data.registry)\n"
			     "\tmsg := sprintf(\"image %s is not from %s\", [c.image, data.registry])\n"
			     "}\n";

static struct tg_rego_policy *compile(const char *text)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_policy *p = NULL;
	static const char data[] = "{\"registry\": \"registry.example/\"}";
	CHECK_OK((tg_err)tg_rego_builder_new(&b));
	CHECK_OK((tg_err)tg_rego_builder_add_module(b, "k8s.rego", text, strlen(text), TG_REGO_V1));
	CHECK_OK((tg_err)tg_rego_builder_add_data(b, "data.json", data, sizeof(data) - 1));
	CHECK_OK((tg_err)tg_rego_builder_compile(b, 0, &p));
	tg_rego_builder_free(b);
	return p;
}

TEST(test_decide)
{
	struct tg_rego_policy *p = compile(policy);
	struct tg_rego_query *q = NULL;
	static const char good[] = "{\"containers\": [{\"image\": \"registry.example/app:1\"}]}";
	static const char bad[] = "{\"containers\": [{\"image\": \"evil.example/app:1\"}]}";
	bool allowed = false;
	char *err = NULL, *out = NULL;
	size_t n = 0;
	CHECK_OK((tg_err)tg_rego_query_new(p, "data.k8s.allow", 14, TG_REGO_V1, &q, &err));
	CHECK(err == NULL);
	tg_rego_policy_free(p); /* the query keeps its reference */
	CHECK_OK((tg_err)tg_rego_query_decide(q, good, sizeof(good) - 1, NULL, &allowed, NULL));
	CHECK(allowed);
	CHECK_OK((tg_err)tg_rego_query_decide(q, bad, sizeof(bad) - 1, NULL, &allowed, NULL));
	CHECK(!allowed);
	CHECK_OK((tg_err)tg_rego_query_run(q, bad, sizeof(bad) - 1, NULL, &out, &n));
	CHECK(out && strstr(out, "\"value\": false") != NULL);
	CHECK(out && strlen(out) == n);
	tg_rego_string_free(out);
	tg_rego_query_free(q);
}

TEST(test_result_shape)
{
	struct tg_rego_policy *p = compile(policy);
	struct tg_rego_query *q = NULL;
	static const char bad[] = "{\"containers\": [{\"image\": \"a\"}, {\"image\": \"b\"}]}";
	char *out = NULL;
	CHECK_OK((tg_err)tg_rego_query_new(p, "x := data.k8s.deny", 18, TG_REGO_V1, &q, NULL));
	CHECK_OK((tg_err)tg_rego_query_run(q, bad, sizeof(bad) - 1, NULL, &out, NULL));
	CHECK(out && strstr(out, "\"bindings\": {\n        \"x\": [\n") != NULL);
	CHECK(out && strstr(out, "\"image a is not from registry.example/\"") != NULL);
	CHECK(out && strstr(out, "\"text\": \"x := data.k8s.deny\"") != NULL);
	tg_rego_string_free(out);
	tg_rego_query_free(q);
	/* undefined is {} */
	CHECK_OK((tg_err)tg_rego_query_new(p, "data.k8s.nothing", 16, TG_REGO_V1, &q, NULL));
	CHECK_OK((tg_err)tg_rego_query_run(q, NULL, 0, NULL, &out, NULL));
	CHECK_STR(out, "{}");
	tg_rego_string_free(out);
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
}

TEST(test_errors)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_policy *p = NULL;
	static const char unsafe[] = "package x\n\np if {\n\ty > 1\n}\n";
	const char *e;
	CHECK_OK((tg_err)tg_rego_builder_new(&b));
	CHECK_OK((tg_err)tg_rego_builder_add_module(b, "x.rego", unsafe, sizeof(unsafe) - 1, TG_REGO_V1));
	CHECK(tg_rego_builder_compile(b, 0, &p) == TG_REGO_E_STATE);
	e = tg_rego_builder_errors(b);
	CHECK(e && strstr(e, "\"code\": \"rego_unsafe_var_error\"") != NULL);
	CHECK(e && strstr(e, "\"file\": \"x.rego\",\n        \"row\": 4,\n        \"col\": 2") != NULL);
	CHECK(tg_rego_builder_add_module(b, "y.rego", "package", 7, TG_REGO_V1) == TG_REGO_E_PARSE);
	e = tg_rego_builder_errors(b);
	CHECK(e && strstr(e, "rego_parse_error") != NULL);
	CHECK(tg_rego_builder_add_data(b, "d.json", "[1]", 3) != 0);
	tg_rego_builder_free(b);
}

/* Many threads evaluate one prepared query at once. */
struct worker {
	const struct tg_rego_query *q;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	int i;
	for (i = 0; i < 200; i++) {
		char in[128];
		bool allowed = false;
		int n = snprintf(in, sizeof(in), "{\"containers\": [{\"image\": \"%s/app:%d\"}]}",
				 i % 2 ? "registry.example" : "evil.example", i);
		if (tg_rego_query_decide(w->q, in, (size_t)n, NULL, &allowed, NULL) != 0)
			return NULL;
		if (allowed == (i % 2 == 1))
			w->ok++;
	}
	return NULL;
}

TEST(test_threads)
{
	struct tg_rego_policy *p = compile(policy);
	struct tg_rego_query *q = NULL;
	pthread_t t[8];
	struct worker w[8];
	int i;
	CHECK_OK((tg_err)tg_rego_query_new(p, "data.k8s.allow", 14, TG_REGO_V1, &q, NULL));
	for (i = 0; i < 8; i++) {
		w[i].q = q;
		w[i].ok = 0;
		CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].ok == 200);
	}
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
}

/* Hostile policies end with an error, never a crash or a hang. */
TEST(test_limits)
{
	static const char loops[] = "package h\n\nr := numbers.range(1, 100000)\n\n"
				    "p if {\n\tsome a in r\n\tsome b in r\n\ta == b + 100000\n}\n";
	static const char mem[] = "package h\n\n"
				  "p := [[x, y] | some x in numbers.range(1, 3000); some y in numbers.range(1, 3000)]\n";
	struct tg_rego_policy *p;
	struct tg_rego_query *q = NULL;
	struct tg_rego_options o;
	char *out = NULL;
	memset(&o, 0, sizeof(o));
	p = compile(loops);
	CHECK_OK((tg_err)tg_rego_query_new(p, "data.h.p", 8, TG_REGO_V1, &q, NULL));
	o.limits.steps = 1000000;
	CHECK(tg_rego_query_run(q, NULL, 0, &o, &out, NULL) == TG_REGO_E_TOOBIG);
	CHECK(out && strstr(out, "eval_cancel_error") && strstr(out, "step limit"));
	tg_rego_string_free(out);
	o.limits.steps = 0;
	o.limits.timeout_ms = 50;
	CHECK(tg_rego_query_run(q, NULL, 0, &o, &out, NULL) == TG_REGO_E_TIMEOUT);
	CHECK(out && strstr(out, "time limit"));
	tg_rego_string_free(out);
	tg_rego_query_free(q);
	tg_rego_policy_free(p);

	p = compile(mem);
	CHECK_OK((tg_err)tg_rego_query_new(p, "data.h.p", 8, TG_REGO_V1, &q, NULL));
	memset(&o, 0, sizeof(o));
	o.limits.memory = 4 * 1024 * 1024;
	CHECK(tg_rego_query_run(q, NULL, 0, &o, &out, NULL) == TG_REGO_E_TOOBIG);
	CHECK(out && strstr(out, "memory limit"));
	tg_rego_string_free(out);
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
}

/* Deeply nested comprehensions reach the depth limit. */
TEST(test_depth)
{
	char text[8192];
	size_t n = 0;
	int i;
	struct tg_rego_policy *p;
	struct tg_rego_query *q = NULL;
	struct tg_rego_options o;
	char *out = NULL;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "package d\n\np := ");
	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[x%d | x%d := ", i, i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "1");
	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "]");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	p = compile(text);
	if (!p)
		return;
	CHECK_OK((tg_err)tg_rego_query_new(p, "data.d.p", 8, TG_REGO_V1, &q, NULL));
	memset(&o, 0, sizeof(o));
	o.limits.depth = 20;
	CHECK(tg_rego_query_run(q, NULL, 0, &o, &out, NULL) == TG_REGO_E_DEPTH);
	CHECK(out && strstr(out, "depth limit"));
	tg_rego_string_free(out);
	o.limits.depth = 0;
	CHECK_OK((tg_err)tg_rego_query_run(q, NULL, 0, &o, &out, NULL));
	tg_rego_string_free(out);
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
}

int main(void)
{
	RUN(test_decide);
	RUN(test_result_shape);
	RUN(test_errors);
	RUN(test_threads);
	RUN(test_limits);
	RUN(test_depth);
	return tg_test_done();
}
