/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_ca.c - `tollgate ca init` (a SPIFFE trust domain CA in a directory)
 * and `tollgate ca rotate` (a new intermediate and JWT key), and the
 * helpers the identity commands share: opening a CA, failures, TTL flags.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/mem.h"
#include "identity/identity.h"

const char tg_cli_ca_init_usage[] =
	"usage: tollgate ca init --dir D --trust-domain TD [--key-type TYPE]\n"
	"\n"
	"Creates the certificate authority of the SPIFFE trust domain TD in directory\n"
	"D: a root (10 years), an intermediate that signs X509-SVIDs (1 year) and a\n"
	"key that signs JWT-SVIDs, all of key type TYPE. Private keys are written\n"
	"with mode 0600 and never overwritten; a directory that already holds a CA\n"
	"is refused (exit 2). Prints the trust domain and the SHA-256 fingerprint\n"
	"of the root certificate (DER), the value to compare out of band:\n"
	"\n"
	"  example.org sha256:<hex>\n"
	"\n"
	"  -d, --dir D            the CA directory (created if missing)\n"
	"  -t, --trust-domain TD  the trust domain name, e.g. example.org\n"
	"  -k, --key-type TYPE    ecdsa-p256 (default) or ecdsa-p384\n"
	"  -h, --help             show this help\n";

const char tg_cli_ca_rotate_usage[] =
	"usage: tollgate ca rotate --dir D\n"
	"\n"
	"Adds a new intermediate and a new JWT signing key, which sign from now on.\n"
	"The previous ones stay in the chain and the bundle until they expire, so\n"
	"SVIDs already issued keep verifying. Prints what was added:\n"
	"\n"
	"  intermediate <serial hex>\n"
	"  jwt <kid>\n"
	"\n"
	"  -d, --dir D   the CA directory\n"
	"  -h, --help    show this help\n";

/* ---- helpers shared by the identity commands ---- */

tg_err tg_cli_ca_open(const char *dir, struct tg_ca **out)
{
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = tg_ca_open(dir, out, &d);
	if (r != TG_OK) {
		tg_cli_error("cannot open the CA in '%s': %s", dir,
			     d.msg[0] ? d.msg : tg_strerror(r));
		if (tg_cli_exit_code(r) == TG_EXIT_FAIL)
			r = TG_E_STATE; /* a broken CA directory is no verdict */
	}
	return r;
}

int tg_cli_fail(tg_err r, const struct tg_diag *d, const char *what)
{
	if (d && d->msg[0])
		tg_cli_error("%s: %s", what, d->msg);
	else
		tg_cli_error("%s: %s", what, tg_strerror(r));
	return tg_cli_exit_code(r);
}

int tg_cli_parse_ttl(const struct tg_cli_cmd *cmd, const char *flag, const char *s, int64_t max,
		     int64_t *out)
{
	char lim[32];
	int64_t v = 0;

	tg_cli_format_duration(max, lim, sizeof(lim));
	if (tg_duration_parse(s, &v) != TG_OK)
		return tg_cli_usage_error(cmd, "%s '%s' is not a duration such as 90s, 5m, 1h30m",
					  flag, s);
	if (v > max)
		return tg_cli_usage_error(cmd, "%s '%s' is longer than the limit of %s", flag, s,
					  lim);
	*out = v;
	return TG_EXIT_OK;
}

void tg_cli_format_duration(int64_t seconds, char *out, size_t n)
{
	static const char units[] = "dhms";
	static const int64_t mult[] = {86400, 3600, 60, 1};
	size_t i, used = 0;

	if (n == 0)
		return;
	out[0] = '\0';
	if (seconds <= 0) {
		snprintf(out, n, "0s");
		return;
	}
	for (i = 0; i < 4 && used < n; i++) {
		int64_t q = seconds / mult[i];
		int w;
		if (q == 0)
			continue;
		seconds -= q * mult[i];
		w = snprintf(out + used, n - used, "%lld%c", (long long)q, units[i]);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

/* Appends "sha256:<hex>" of the certificate's DER encoding. */
static tg_err cert_fingerprint(const struct tg_x509 *c, struct tg_buf *out)
{
	struct tg_buf der = TG_BUF_INIT(1 << 20);
	uint8_t md[32];
	tg_err r;

	r = tg_x509_to_der(c, &der);
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, der.data, der.len, md);
	if (r == TG_OK)
		r = tg_buf_adds(out, "sha256:");
	if (r == TG_OK)
		r = tg_hex_encode(out, md, sizeof(md));
	tg_buf_release(&der);
	return r;
}

int tg_cli_ca_init(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"trust-domain", required_argument, NULL, 't'},
		{"key-type", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *td_arg = NULL, *kt_name = "ecdsa-p256";
	char td[TG_SPIFFE_TD_MAX + 1];
	enum tg_key_type kt;
	struct tg_buf out = TG_BUF_INIT(4096);
	struct tg_bundle b;
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&b, 0, sizeof(b));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:t:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			td_arg = optarg;
			break;
		case 'k':
			kt_name = optarg;
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
	if (!dir || !dir[0]) {
		code = tg_cli_usage_error(cmd, "missing --dir D");
		goto out;
	}
	if (!td_arg) {
		code = tg_cli_usage_error(cmd, "missing --trust-domain TD");
		goto out;
	}
	if (strcmp(kt_name, "ecdsa-p256") == 0) {
		kt = TG_KEY_EC_P256;
	} else if (strcmp(kt_name, "ecdsa-p384") == 0) {
		kt = TG_KEY_EC_P384;
	} else {
		code = tg_cli_usage_error(cmd, "unknown key type '%s' (ecdsa-p256 or ecdsa-p384)",
					  kt_name);
		goto out;
	}
	if (tg_spiffe_td_parse(td_arg, strlen(td_arg), td, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid trust domain '%s': %s", td_arg,
					  d.msg[0] ? d.msg : "not a SPIFFE trust domain name");
		goto out;
	}
	r = tg_ca_init(dir, td, kt, tg_time_now(), &d);
	if (r != TG_OK) {
		char what[64 + TG_SPIFFE_TD_MAX];
		snprintf(what, sizeof(what), "cannot create the CA of '%s'", td);
		code = tg_cli_fail(r, &d, what);
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_INTERNAL;
		goto out;
	}
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	r = tg_ca_bundle(ca, &b);
	if (r == TG_OK && b.x509.count == 0)
		r = TG_E_STATE;
	if (r == TG_OK)
		r = tg_buf_addf(&out, "%s ", tg_ca_trust_domain(ca));
	if (r == TG_OK)
		r = cert_fingerprint(b.x509.certs[0], &out);
	if (r == TG_OK)
		r = tg_buf_addc(&out, '\n');
	if (r != TG_OK) {
		tg_cli_error("cannot read the new root certificate: %s", tg_strerror(r));
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	code = tg_cli_write(out.data, out.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_bundle_release(&b);
	tg_ca_close(ca);
	tg_buf_release(&out);
	return code;
}

/* The names ending in ".pem" in dir/intermediates, one per line in out. */
static void list_intermediates(const char *dir, struct tg_buf *out)
{
	struct tg_buf path = TG_BUF_INIT(8192);
	struct dirent *e;
	DIR *dh;

	if (tg_buf_addf(&path, "%s/intermediates", dir) != TG_OK)
		goto out;
	dh = opendir(tg_buf_str(&path));
	if (!dh)
		goto out;
	while ((e = readdir(dh)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".pem") == 0 &&
		    tg_buf_addf(out, "\n%.*s\n", (int)(n - 4), e->d_name) != TG_OK)
			break;
	}
	closedir(dh);
out:
	tg_buf_release(&path);
}

/* True when "\n<name>\n" is in the list. */
static bool listed(const struct tg_buf *list, const char *name)
{
	size_t n = strlen(name), i;
	for (i = 0; list->len >= n + 2 && i <= list->len - n - 2; i++)
		if (list->data[i] == '\n' && memcmp(list->data + i + 1, name, n) == 0 &&
		    list->data[i + 1 + n] == '\n')
			return true;
	return false;
}

int tg_cli_ca_rotate(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf before = TG_BUF_INIT(1 << 20), after = TG_BUF_INIT(1 << 20);
	struct tg_buf kids = TG_BUF_INIT(1 << 20), out = TG_BUF_INIT(1 << 20);
	struct tg_bundle b0, b1;
	struct tg_ca *ca = NULL;
	const char *dir = NULL;
	struct tg_diag d;
	size_t i, start;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&b0, 0, sizeof(b0));
	memset(&b1, 0, sizeof(b1));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
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
	if (!dir || !dir[0]) {
		code = tg_cli_usage_error(cmd, "missing --dir D");
		goto out;
	}
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	list_intermediates(dir, &before);
	if (tg_ca_bundle(ca, &b0) != TG_OK)
		memset(&b0, 0, sizeof(b0));
	r = tg_ca_rotate(ca, tg_time_now(), &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot rotate the CA");
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_INTERNAL;
		goto out;
	}
	/* Report what is new: files in intermediates/, kids in the bundle. */
	list_intermediates(dir, &after);
	r = TG_OK;
	for (i = 0, start = 0; r == TG_OK && i < after.len; i++) {
		if (after.data[i] != '\n')
			continue;
		if (i > start) {
			char name[512];
			if (i - start < sizeof(name)) {
				memcpy(name, after.data + start, i - start);
				name[i - start] = '\0';
				if (!listed(&before, name))
					r = tg_buf_addf(&out, "intermediate %s\n", name);
			}
		}
		start = i + 1;
	}
	for (i = 0; r == TG_OK && i < b0.jwt.count; i++)
		if (tg_key_kid(b0.jwt.keys[i]))
			r = tg_buf_addf(&kids, "\n%s\n", tg_key_kid(b0.jwt.keys[i]));
	if (r == TG_OK && tg_ca_bundle(ca, &b1) == TG_OK)
		for (i = 0; r == TG_OK && i < b1.jwt.count; i++) {
			const char *kid = tg_key_kid(b1.jwt.keys[i]);
			if (kid && !listed(&kids, kid))
				r = tg_buf_addf(&out, "jwt %s\n", kid);
		}
	if (r != TG_OK) {
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	code = tg_cli_write(out.data, out.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_bundle_release(&b0);
	tg_bundle_release(&b1);
	tg_ca_close(ca);
	tg_buf_release(&before);
	tg_buf_release(&after);
	tg_buf_release(&kids);
	tg_buf_release(&out);
	return code;
}
