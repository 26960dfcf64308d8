/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_svid.c - `tollgate svid verify` (an X509-SVID chain or a JWT-SVID
 * against a trust bundle, or against a CA directory with its federated
 * bundles and deny list) and `tollgate svid revoke` (serial or JWT ID).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/limits.h"
#include "identity/identity.h"

/* The trust domain that names a bundle file when the SVID names none we
 * can read; verification then fails on the SVID's ID before any lookup. */
#define TD_UNKNOWN "unknown.invalid"

const char tg_cli_svid_verify_usage[] =
	"usage: tollgate svid verify (--bundle FILE | --dir D) [--trust-domain TD]\n"
	"                            [--time RFC3339] (--x509 CERTS | --jwt TOKEN --aud AUD)\n"
	"\n"
	"Verifies an SVID and prints its SPIFFE ID. An X509-SVID (CERTS: PEM, the\n"
	"leaf first, then intermediates) must follow the SPIFFE leaf rules (one URI\n"
	"SAN with a valid SPIFFE ID, CA:FALSE, a critical key usage with\n"
	"digitalSignature and without keyCertSign or cRLSign) and chain to an X.509\n"
	"authority of its trust domain's bundle. A JWT-SVID must be signed by a JWT\n"
	"authority of its trust domain (chosen by kid; the key decides the\n"
	"algorithm), have a SPIFFE ID as sub, AUD in aud, and be unexpired.\n"
	"\n"
	"  -b, --bundle FILE        the trusted bundle: SPIFFE bundle JSON or PEM roots;\n"
	"                           it is taken as the bundle of the SVID's own trust\n"
	"                           domain unless --trust-domain names it\n"
	"  -d, --dir D              a CA directory instead: its own and imported\n"
	"                           federated bundles, and its deny list (svid revoke)\n"
	"  -t, --trust-domain TD    require an SVID of TD (with --bundle: the bundle's)\n"
	"  -x, --x509 CERTS         the X509-SVID chain ('-': standard input)\n"
	"  -j, --jwt TOKEN          the JWT-SVID ('-': read it from standard input)\n"
	"  -a, --aud AUD            the audience the JWT-SVID must name\n"
	"      --time RFC3339       verify as of this time instead of now\n"
	"  -h, --help               show this help\n"
	"\n"
	"An invalid SVID exits 1 with the reason on standard error; an unreadable\n"
	"bundle or a usage error exits 2.\n";

const char tg_cli_svid_revoke_usage[] =
	"usage: tollgate svid revoke --dir D (--serial HEX | --jti JTI)\n"
	"\n"
	"Puts an X509-SVID (by certificate serial, hex as `openssl x509 -serial`\n"
	"prints it; colons and case do not matter) or a JWT-SVID (by its jti claim)\n"
	"on the CA's deny list. `svid verify --dir D` and the agent's\n"
	"ValidateJWTSVID then reject it; relying parties that verify with a bundle\n"
	"alone do not see the deny list, which is why SVIDs are short-lived.\n"
	"\n"
	"  -d, --dir D         the CA directory\n"
	"  -s, --serial HEX    the certificate serial number\n"
	"  -j, --jti JTI       the JWT ID\n"
	"  -h, --help          show this help\n";

/* The trust domain of the first spiffe:// URI SAN of leaf, if any. */
static bool x509_td(const struct tg_x509 *leaf, struct tg_arena *a, char *td)
{
	const struct tg_san *sans = NULL;
	struct tg_spiffe_id id;
	size_t n = 0, i;
	bool crit;

	if (tg_x509_sans(leaf, a, &sans, &n, &crit) != TG_OK)
		return false;
	for (i = 0; i < n; i++) {
		if (sans[i].type != TG_SAN_URI || sans[i].len < 9 ||
		    memcmp(sans[i].value, "spiffe://", 9) != 0)
			continue;
		if (tg_spiffe_id_parse(sans[i].value, sans[i].len, &id, NULL) != TG_OK)
			return false;
		tg_spiffe_id_td(&id, td);
		return true;
	}
	return false;
}

/* The trust domain of the (unverified) sub claim of a JWT, if any. */
static bool jwt_td(const char *tok, size_t n, struct tg_arena *a, char *td)
{
	struct tg_buf payload = TG_BUF_INIT(TG_LIMIT_JWS);
	const struct tg_json *claims = NULL;
	const char *p1, *p2, *sub;
	struct tg_spiffe_id id;
	size_t sublen;
	bool ok = false;

	p1 = memchr(tok, '.', n);
	if (!p1)
		return false;
	p2 = memchr(p1 + 1, '.', n - (size_t)(p1 + 1 - tok));
	if (!p2)
		return false;
	if (tg_b64_decode(&payload, p1 + 1, (size_t)(p2 - p1 - 1), TG_B64_URL, NULL) != TG_OK)
		goto out;
	if (tg_json_parse(a, payload.data ? (const char *)payload.data : "", payload.len, NULL,
			  &claims, NULL, NULL) != TG_OK)
		goto out;
	if (tg_json_get_string(claims, "sub", &sub, &sublen) != TG_OK)
		goto out;
	if (tg_spiffe_id_parse(sub, sublen, &id, NULL) != TG_OK)
		goto out;
	tg_spiffe_id_td(&id, td);
	ok = true;
out:
	tg_buf_release(&payload);
	return ok;
}

/* True when the text starts, after white space, with '{'. */
static bool looks_like_json(const struct tg_buf *b)
{
	size_t i;
	for (i = 0; i < b->len; i++) {
		uint8_t ch = b->data[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		return ch == '{';
	}
	return false;
}

/* Loads a bundle file (SPIFFE JSON or PEM) as the bundle of td. */
static tg_err load_bundle(const char *path, const char *td, struct tg_bundle *b)
{
	struct tg_buf text = TG_BUF_INIT(0);
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = tg_cli_read_file(path, TG_LIMIT_PEM_FILE, false, &text, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		goto out;
	}
	tg_diag_init(&d);
	if (looks_like_json(&text)) {
		r = tg_bundle_parse(td, tg_buf_str(&text), text.len, b, &d);
	} else {
		memcpy(b->td, td, strlen(td) + 1);
		r = tg_x509_list_from_pem(tg_buf_str(&text), text.len, &b->x509, &d);
	}
	if (r == TG_OK && b->x509.count == 0 && b->jwt.count == 0) {
		tg_diag_set(&d, "it holds no X.509 or JWT authority");
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		tg_cli_error("cannot read bundle '%s': %s", tg_cli_name(path),
			     d.msg[0] ? d.msg : tg_strerror(r));
		if (tg_cli_exit_code(r) != TG_EXIT_INTERNAL)
			r = TG_E_PARSE; /* the file's fault: exit 2 */
	}
out:
	tg_buf_release(&text);
	return r;
}

/* Exit code of a rejected SVID: unreadable is as invalid as forged. */
static int rejected(tg_err r, const struct tg_diag *d, const char *what)
{
	int code = tg_cli_fail(r, d, what);
	return code == TG_EXIT_USAGE ? TG_EXIT_FAIL : code;
}

int tg_cli_svid_verify(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"dir", required_argument, NULL, 'd'},
		{"trust-domain", required_argument, NULL, 't'},
		{"x509", required_argument, NULL, 'x'},
		{"jwt", required_argument, NULL, 'j'},
		{"aud", required_argument, NULL, 'a'},
		{"time", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *bundle_path = NULL, *dir = NULL, *td_arg = NULL, *x509_path = NULL;
	const char *jwt_arg = NULL, *aud = NULL, *time_arg = NULL, *tok = NULL;
	struct tg_buf text = TG_BUF_INIT(0);
	char td[TG_SPIFFE_TD_MAX + 1];
	struct tg_x509_list certs = {NULL, 0};
	struct tg_bundle_set owned = {NULL, 0}, one = {NULL, 0};
	const struct tg_bundle_set *set = NULL;
	struct tg_revocations rev, *revp = NULL;
	struct tg_bundle b;
	struct tg_spiffe_id id;
	struct tg_ca *ca = NULL;
	struct tg_time now = tg_time_now();
	struct tg_arena a;
	struct tg_diag d;
	size_t n = 0;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&b, 0, sizeof(b));
	memset(&rev, 0, sizeof(rev));
	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	tg_diag_init(&d);
	td[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, ":b:d:t:x:j:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle_path = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 't':
			td_arg = optarg;
			break;
		case 'x':
			x509_path = optarg;
			break;
		case 'j':
			jwt_arg = optarg;
			break;
		case 'a':
			aud = optarg;
			break;
		case 'T':
			time_arg = optarg;
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		code = tg_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!bundle_path == !dir) {
		code = tg_cli_usage_error(cmd, "give --bundle FILE or --dir D (one of them)");
		goto out;
	}
	if (!x509_path == !jwt_arg) {
		code = tg_cli_usage_error(cmd, "give --x509 CERTS or --jwt TOKEN (one of them)");
		goto out;
	}
	if (jwt_arg && (!aud || !aud[0])) {
		code = tg_cli_usage_error(cmd, "--jwt needs --aud AUD");
		goto out;
	}
	if (aud && !jwt_arg) {
		code = tg_cli_usage_error(cmd, "--aud goes with --jwt");
		goto out;
	}
	if (td_arg && tg_spiffe_td_parse(td_arg, strlen(td_arg), td, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid trust domain '%s': %s", td_arg,
					  d.msg[0] ? d.msg : "not a SPIFFE trust domain name");
		goto out;
	}
	if (time_arg && tg_time_parse(time_arg, strlen(time_arg), &now, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "--time '%s' is not an RFC 3339 date-time: %s",
					  time_arg, d.msg);
		goto out;
	}
	if (bundle_path && tg_cli_is_stdin(bundle_path) &&
	    ((x509_path && tg_cli_is_stdin(x509_path)) || (jwt_arg && tg_cli_is_stdin(jwt_arg)))) {
		code = tg_cli_usage_error(cmd, "the bundle and the SVID cannot both be '-'");
		goto out;
	}

	/* A bundle file first: an unreadable one is the user's to fix (exit
	 * 2) whatever the SVID is. */
	if (bundle_path) {
		r = load_bundle(bundle_path, td[0] ? td : TD_UNKNOWN, &b);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
	}

	/* The SVID. */
	tg_diag_init(&d);
	if (x509_path) {
		r = tg_cli_read_file(x509_path, TG_LIMIT_PEM_FILE, false, &text, &d);
		if (r != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(r);
			goto out;
		}
		r = tg_x509_list_from_pem(tg_buf_str(&text), text.len, &certs, &d);
		if (r == TG_OK && certs.count == 0) {
			tg_diag_set(&d, "no certificate");
			r = TG_E_PARSE;
		}
		if (r == TG_OK && certs.count > TG_LIMIT_CHAIN) {
			tg_diag_set(&d, "%zu certificates; a chain has at most %d", certs.count,
				    TG_LIMIT_CHAIN);
			r = TG_E_TOOBIG;
		}
		if (r != TG_OK) {
			code = rejected(r, &d, "X509-SVID rejected");
			goto out;
		}
		if (!td[0] && !x509_td(certs.certs[0], &a, td))
			memcpy(td, TD_UNKNOWN, sizeof(TD_UNKNOWN));
	} else {
		tok = jwt_arg;
		n = strlen(tok);
		if (tg_cli_is_stdin(tok)) {
			r = tg_cli_read_file("-", TG_LIMIT_JWS + 2, false, &text, &d);
			if (r != TG_OK) {
				tg_cli_error("%s", d.msg);
				code = tg_cli_exit_code(r);
				goto out;
			}
			n = text.len;
			while (n > 0 && (text.data[n - 1] == '\n' || text.data[n - 1] == '\r'))
				n--;
			tok = tg_buf_str(&text);
		}
		if (!td[0] && !jwt_td(tok, n, &a, td))
			memcpy(td, TD_UNKNOWN, sizeof(TD_UNKNOWN));
	}

	/* The trust anchors: a bundle file belongs to the SVID's trust domain
	 * (or --trust-domain's), known only now. */
	if (bundle_path) {
		memcpy(b.td, td, strlen(td) + 1);
		one.b = &b;
		one.n = 1;
		set = &one;
	} else {
		r = tg_cli_ca_open(dir, &ca);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
		r = tg_ca_bundles(ca, &owned);
		if (r != TG_OK) {
			code = tg_cli_fail(r, NULL, "cannot read the bundles");
			goto out;
		}
		set = &owned;
		rev = tg_ca_revocations(ca);
		revp = &rev;
	}

	tg_diag_init(&d);
	if (x509_path) {
		r = tg_x509_svid_verify(certs.certs[0],
					(const struct tg_x509 *const *)certs.certs + 1,
					certs.count - 1, set, now, revp, &id, &d);
	} else {
		const struct tg_json *claims = NULL;
		r = tg_jwt_svid_verify(tok, n, set, aud, now, revp, &a, &id, &claims, &d);
	}
	if (r == TG_OK && td_arg && !tg_spiffe_id_in_td(&id, td)) {
		tg_diag_set(&d, "'%s' is not in trust domain '%s'", id.uri, td);
		r = TG_E_VERIFY;
	}
	if (r != TG_OK) {
		code = rejected(r, &d, x509_path ? "X509-SVID rejected" : "JWT-SVID rejected");
		goto out;
	}
	printf("%s\n", id.uri);
	code = TG_EXIT_OK;
out:
	tg_bundle_release(&b);
	tg_bundle_set_release(&owned);
	tg_x509_list_release(&certs);
	tg_ca_close(ca);
	tg_buf_release(&text);
	tg_arena_release(&a);
	return code;
}

/* Normalises a serial: hex digits only (colons dropped), lower case, no
 * leading zero bytes, as tg_x509_serial_hex prints it. */
static bool normalise_serial(const char *s, char *out, size_t outlen)
{
	char digits[2 * 64 + 2];
	size_t n = 0, i, start;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (i = 0; s[i]; i++) {
		char ch = s[i];
		if (ch == ':')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
		if (n >= sizeof(digits) - 2)
			return false; /* RFC 5280 4.1.2.2: at most 20 octets; be generous */
		digits[n++] = ch;
	}
	if (n == 0)
		return false;
	start = 0;
	if (n % 2) {
		/* an odd count: the first byte has one digit */
		memmove(digits + 1, digits, n);
		digits[0] = '0';
		n++;
	}
	while (n - start > 2 && digits[start] == '0' && digits[start + 1] == '0')
		start += 2;
	if (n - start + 1 > outlen)
		return false;
	memcpy(out, digits + start, n - start);
	out[n - start] = '\0';
	return true;
}

int tg_cli_svid_revoke(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"serial", required_argument, NULL, 's'},
		{"jti", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *serial = NULL, *jti = NULL;
	char hex[2 * 64 + 2];
	struct tg_ca *ca = NULL;
	struct tg_time exp;
	struct tg_diag d;
	int c, code;
	tg_err r;

	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:s:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			serial = optarg;
			break;
		case 'j':
			jti = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (optind < argc)
		return tg_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!dir || !dir[0])
		return tg_cli_usage_error(cmd, "missing --dir D");
	if (!serial == !jti)
		return tg_cli_usage_error(cmd, "give --serial HEX or --jti JTI (one of them)");
	if (serial && !normalise_serial(serial, hex, sizeof(hex)))
		return tg_cli_usage_error(cmd, "--serial '%s' is not a hex serial number", serial);
	if (jti && (!jti[0] || strlen(jti) > 1024))
		return tg_cli_usage_error(cmd, "--jti must have 1 to 1024 bytes");
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK)
		return tg_cli_exit_code(r);
	if (serial) {
		r = tg_ca_revoke_serial(ca, hex, &d);
	} else {
		/* No JWT-SVID outlives TG_SVID_TTL_MAX: the entry may go after that. */
		exp = tg_time_now();
		exp.sec += TG_SVID_TTL_MAX;
		r = tg_ca_revoke_jti(ca, jti, exp, &d);
	}
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, serial ? "cannot revoke the serial" : "cannot revoke the jti");
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_INTERNAL;
	} else {
		code = TG_EXIT_OK;
	}
	tg_ca_close(ca);
	return code;
}
