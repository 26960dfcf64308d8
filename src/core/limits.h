/* SPDX-License-Identifier: Apache-2.0 */
/*
 * limits.h - every hard cap tollgate applies to untrusted input, in one place.
 * One commented line each; a cap is what an honest input never reaches.
 * Hitting one yields TG_E_TOOBIG (or TG_E_DEPTH for nesting).
 */
#ifndef TG_CORE_LIMITS_H
#define TG_CORE_LIMITS_H

#define TG_KIB ((size_t)1024)
#define TG_MIB ((size_t)1024 * 1024)
#define TG_GIB ((size_t)1024 * 1024 * 1024)

/* JSON */
#define TG_LIMIT_JSON_DEPTH 512              /* nesting of arrays/objects in one document */
#define TG_LIMIT_JSON_DOC (1 * TG_GIB)        /* bytes of a JSON document read by the CLI */
#define TG_LIMIT_JSON_VERIFY_DOC (16 * TG_MIB) /* bytes of a document we verify (bundle, JWKS, token claims) */
#define TG_LIMIT_JSON_NUMBER 4096            /* characters of one number literal */
#define TG_LIMIT_JSON_MEMBERS (64 * TG_MIB)   /* members of one array/object/set */

/* Encodings */
#define TG_LIMIT_PEM_BLOCKS 64               /* PEM blocks in one file (a chain plus roots) */
#define TG_LIMIT_PEM_FILE (4 * TG_MIB)        /* bytes of a PEM file */
#define TG_LIMIT_DER (1 * TG_MIB)             /* bytes of one DER object (key or certificate) */

/* Keys and signatures */
#define TG_LIMIT_RSA_MIN_BITS 2048           /* smaller RSA moduli are rejected */
#define TG_LIMIT_RSA_MAX_BITS 4096           /* larger RSA moduli are rejected (DoS on verify) */
#define TG_LIMIT_JWKS_KEYS 256               /* keys in one JWKS */
#define TG_LIMIT_JWK (64 * TG_KIB)            /* bytes of one JWK or JWKS document */

/* JWS / JWT */
#define TG_LIMIT_JWS (256 * TG_KIB)           /* bytes of one compact JWS */
#define TG_LIMIT_JWS_HEADER (8 * TG_KIB)      /* bytes of a decoded JWS header */
#define TG_LIMIT_JWT_SKEW_MAX 300            /* seconds: the largest clock skew a caller may allow */

/* X.509 */
#define TG_LIMIT_CHAIN 10                    /* certificates in a chain */
#define TG_LIMIT_SAN 64                      /* subject alternative names we read from a certificate */

/* Files and lines */
#define TG_LIMIT_LINE (64 * TG_KIB)           /* bytes of one text line we parse */
#define TG_LIMIT_SMALL_FILE (16 * TG_MIB)     /* bytes of a config/key/token file read whole */

/* Rego built-ins: strings, regex, glob, time, crypto, net */
#define TG_LIMIT_REGEX_PATTERN (64 * TG_KIB)  /* bytes of one regular expression or glob pattern */
#define TG_LIMIT_REGEX_CACHE 256             /* compiled regular expressions cached per process */
#define TG_LIMIT_REGEX_MEM (8 * TG_MIB)       /* RE2's memory budget for one compiled expression */
#define TG_LIMIT_GLOBS_STEPS 1000000         /* steps of regex.globs_match's intersection search */
#define TG_LIMIT_CIDR_EXPAND 65536           /* addresses net.cidr_expand may list (a /16) */
#define TG_LIMIT_JWT_NESTING 16              /* nested JWTs (cty "JWT") io.jwt.decode* follows */
#define TG_LIMIT_TZ_FILE (256 * TG_KIB)       /* bytes of one TZif file read from the zoneinfo directory */
#define TG_LIMIT_TZ_CACHE 64                 /* time zones cached per process */
#define TG_LIMIT_TEMPLATE_OUT (16 * TG_MIB)   /* bytes strings.render_template may produce */
#define TG_LIMIT_TEMPLATE_DEPTH 256          /* nesting of actions and parentheses in one template */

/* SPIFFE Workload API agent (src/identity/agent.c) */
#define TG_LIMIT_AGENT_REQUEST (512 * TG_KIB)  /* bytes of one gRPC request message (a JWT-SVID to validate fits) */
#define TG_LIMIT_AGENT_HEADERS (16 * TG_KIB)   /* bytes of one request's HTTP/2 header list */
#define TG_LIMIT_AGENT_STREAMS 32              /* concurrent HTTP/2 streams of one workload connection */
#define TG_LIMIT_AGENT_STREAM_RATE 100         /* new streams per second of one connection (bursts of twice that) */
#define TG_LIMIT_AGENT_CLIENTS 4096            /* the largest max_clients an agent accepts */
#define TG_LIMIT_AGENT_IDLE_SEC 300            /* seconds a connection may stay open without a stream */
#define TG_LIMIT_AGENT_REQUEST_SEC 10          /* seconds from a connection's or stream's start to its complete request */

/* Rego (src/rego) */
#define TG_LIMIT_REGO_SOURCE (16 * TG_MIB)     /* bytes of one Rego module, query or term text */
#define TG_LIMIT_REGO_TOKENS (4 * 1024 * 1024) /* tokens of one Rego source (whitespace runs count) */
#define TG_LIMIT_REGO_PARSE_DEPTH 4096         /* nested parser frames (OPA allows 100000): ~450 bracket levels */
#define TG_LIMIT_REGO_POLICY (1 * TG_GIB)      /* bytes of one compiled policy or prepared query */
#define TG_LIMIT_REGO_DATA (4 * TG_GIB)        /* bytes of the data documents of one policy */
#define TG_LIMIT_REGO_MEMORY (512 * TG_MIB)    /* default bytes one evaluation may allocate */
#define TG_LIMIT_REGO_STEPS 100000000ULL       /* default evaluation steps (expressions, iterations) */
#define TG_LIMIT_REGO_DEPTH 4096               /* default nesting of rules, functions, comprehensions */
#define TG_LIMIT_REGO_STACK (4 * TG_MIB)       /* default bytes of C stack one evaluation may use */
#define TG_LIMIT_REGO_YAML_DEPTH 512           /* nesting of a YAML data document */
#define TG_LIMIT_REGO_HTTP_BODY (16 * TG_MIB)  /* default bytes of one http.send response body */
#define TG_LIMIT_REGO_HTTP_HEAD (64 * TG_KIB)  /* bytes of one http.send response's status line and headers */

/* Deployment gate and Kubernetes admission (src/gate) */
#define TG_LIMIT_GATE_EVIDENCE 64              /* bundles decided on for one artifact */
#define TG_LIMIT_GATE_INDEX 100000             /* bundles in one evidence index (--evidence DIR) */
#define TG_LIMIT_GATE_REVIEW (3 * TG_MIB)      /* bytes of one AdmissionReview (the API server's request cap) */
#define TG_LIMIT_GATE_REVIEW_DEPTH 128         /* JSON nesting of one AdmissionReview */
#define TG_LIMIT_GATE_IMAGES 256               /* container images of one admitted object */
#define TG_LIMIT_GATE_IMAGE_REF 4096           /* bytes of one image reference */

/* Arenas and buffers */
#define TG_LIMIT_ARENA_DEFAULT (64 * TG_MIB)  /* default cap of a per-request arena */

#endif
