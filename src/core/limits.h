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

/* Arenas and buffers */
#define TG_LIMIT_ARENA_DEFAULT (64 * TG_MIB)  /* default cap of a per-request arena */

#endif
