/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - `tollgated`: reads the configuration (or makes a throwaway dev
 * deployment), opens the listening socket and runs the process table
 * (server/proctab.c): signer, store, api workers, JWKS fetcher.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/time.h"
#include "identity/identity.h"
#include "server/server.h"
#include "sign/sign.h"

#define DEV_TRUST_DOMAIN "tollgate.test"

static const char usage[] =
	"usage: tollgated --dev DIR [--listen HOST:PORT]\n"
	"       tollgated --config FILE [--listen HOST:PORT]\n"
	"\n"
	"The tollgate service: HTTPS (TLS 1.3, mTLS with X509-SVIDs of its trust\n"
	"domain, or bearer JWT-SVIDs) API under /v1 for attestation, SVIDs,\n"
	"keyless signing certificates, RFC 3161 timestamps and the transparency\n"
	"log (docs/api.md), C2SP tlog-tiles reads of the log. A signer process\n"
	"alone holds the private keys; a store process keeps the database\n"
	"(STATE/tollgate.db, SQLite) and serves the log's tiles; the api worker\n"
	"holds only its own short-lived TLS key.\n"
	"\n"
	"  --dev DIR           create (or reuse) a throwaway deployment in DIR: a\n"
	"                      trust domain CA (" DEV_TRUST_DOMAIN ") in DIR/ca, a signer\n"
	"                      (code-signing CA, TSA, log) in DIR/signer; writes\n"
	"                      DIR/ca.pem (trust it for the server certificate) and\n"
	"                      DIR/trusted_root.json. DIR/config.json, when present,\n"
	"                      adds settings (docs/config.md), e.g. OIDC issuers\n"
	"  --config FILE       the configuration file (docs/config.md)\n"
	"  --listen HOST:PORT  where to listen (PORT 0: a free port); default\n"
	"                      127.0.0.1:8443 or the configuration's 'listen'\n"
	"\n"
	"Prints `listening on https://HOST:PORT` once it accepts requests.\n"
	"SIGTERM or SIGINT stop it.\n";

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void die(const char *what, const struct tg_diag *d, tg_err r)
{
	fprintf(stderr, "tollgated: %s: %s\n", what, d && d->msg[0] ? d->msg : tg_strerror(r));
	exit(r == TG_E_INVAL || r == TG_E_USAGE ? 2 : 3);
}

static void join(char *out, size_t cap, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap) {
		fprintf(stderr, "tollgated: path too long: %s/%s\n", dir, name);
		exit(2);
	}
}

/* The dev deployment: a CA, a signer, ca.pem and trusted_root.json. */
static void trust_material(const struct tg_server_config *c);

static void dev_setup(const char *dir, struct tg_server_config *c)
{
	struct tg_diag d;
	char p[PATH_MAX];
	tg_err r;

	tg_diag_init(&d);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "tollgated: cannot create '%s': %s\n", dir, strerror(errno));
		exit(2);
	}
	join(c->ca_dir, sizeof(c->ca_dir), dir, "ca");
	join(c->signer_dir, sizeof(c->signer_dir), dir, "signer");
	join(c->state_dir, sizeof(c->state_dir), dir, ".");
	c->state_dir[strlen(c->state_dir) - 2] = '\0';
	join(p, sizeof(p), c->ca_dir, "ca.json");
	if (!tg_fs_exists(p)) {
		r = tg_ca_init(c->ca_dir, DEV_TRUST_DOMAIN, TG_KEY_EC_P256, tg_time_now(), &d);
		if (r != TG_OK)
			die("cannot create the dev CA", &d, r);
	}
	join(p, sizeof(p), c->signer_dir, "signer.json");
	if (!tg_fs_exists(p)) {
		r = tg_signer_init(c->signer_dir, DEV_TRUST_DOMAIN, tg_time_now(), &d);
		if (r != TG_OK)
			die("cannot create the dev signer", &d, r);
	}
	tg_server_config_dev_defaults(c); /* DIR/config.json may override them */
	join(p, sizeof(p), dir, "config.json");
	if (tg_fs_exists(p)) {
		r = tg_server_config_load(p, c, &d);
		if (r != TG_OK)
			die("cannot load the dev configuration", &d, r);
	}
	trust_material(c);
}

/* state_dir/trusted_root.json (what /v1/trust-root serves) and
 * state_dir/ca.pem (the roots clients trust for the server). */
static void trust_material(const struct tg_server_config *c)
{
	struct tg_diag d;
	struct tg_signer *s = NULL;
	struct tg_buf tr = TG_BUF_INIT(TG_SIGN_MAX_DOC), pem = TG_BUF_INIT(1 << 20);
	char p[PATH_MAX];
	tg_err r;

	tg_diag_init(&d);
	r = tg_signer_open(c->signer_dir, &s, &d);
	if (r == TG_OK)
		r = tg_signer_trust_root(s, &tr);
	tg_signer_close(s);
	if (r == TG_OK) {
		join(p, sizeof(p), c->state_dir, "trusted_root.json");
		r = tg_fs_write_atomic(p, tr.data, tr.len, 0644, TG_FS_SYNC, &d);
	}
	if (r == TG_OK) {
		join(p, sizeof(p), c->ca_dir, "root.pem");
		r = tg_fs_read(p, &pem, &d);
	}
	if (r == TG_OK) {
		join(p, sizeof(p), c->state_dir, "ca.pem");
		r = tg_fs_write_atomic(p, pem.data, pem.len, 0644, TG_FS_SYNC, &d);
	}
	if (r != TG_OK)
		die("cannot write the trust material", &d, r);
	tg_buf_release(&tr);
	tg_buf_release(&pem);
}

static int listen_on(struct tg_server_config *c, char *shown, size_t cap)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8];
	int fd, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", c->listen_port);
	e = getaddrinfo(c->listen_host, port, &hints, &ai);
	if (e != 0) {
		fprintf(stderr, "tollgated: cannot resolve '%s': %s\n", c->listen_host,
			gai_strerror(e));
		exit(2);
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		fprintf(stderr, "tollgated: cannot listen on %s:%u: %s\n", c->listen_host,
			c->listen_port, strerror(errno));
		exit(3);
	}
	c->listen_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							: ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(shown, cap, ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", c->listen_host,
		 c->listen_port);
	freeaddrinfo(ai);
	return fd;
}

static tg_err parse_listen(const char *s, struct tg_server_config *c)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;
	size_t hl;
	if (!colon || colon == s)
		return TG_E_USAGE;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl > 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(c->listen_host) || !colon[1])
		return TG_E_USAGE;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port > 65535)
		return TG_E_USAGE;
	memcpy(c->listen_host, s, hl);
	c->listen_host[hl] = '\0';
	c->listen_port = (uint16_t)port;
	return TG_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"dev", required_argument, NULL, 'd'},
					     {"config", required_argument, NULL, 'c'},
					     {"listen", required_argument, NULL, 'l'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	static struct tg_server_config cfgv; /* process lifetime */
	struct tg_server_config *c = &cfgv;
	const char *dev = NULL, *cfg = NULL, *listen_arg = NULL;
	struct sigaction sa;
	char shown[300];
	int ch, lfd, code;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	while ((ch = getopt_long(argc, argv, "d:c:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dev = optarg; break;
		case 'c': cfg = optarg; break;
		case 'l': listen_arg = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc || !dev == !cfg) {
		fprintf(stderr, "tollgated: give --dev DIR or --config FILE\n%s", usage);
		return 2;
	}
	tg_server_config_defaults(c);
	if (listen_arg && parse_listen(listen_arg, c) != TG_OK) {
		fprintf(stderr, "tollgated: --listen wants HOST:PORT, not '%s'\n", listen_arg);
		return 2;
	}
	if (dev) {
		dev_setup(dev, c);
	} else {
		r = tg_server_config_load(cfg, c, &d);
		if (r != TG_OK) {
			fprintf(stderr, "tollgated: %s\n", d.msg);
			return 2;
		}
		trust_material(c);
	}
	if (listen_arg && parse_listen(listen_arg, c) != TG_OK) {
		fprintf(stderr, "tollgated: --listen wants HOST:PORT, not '%s'\n", listen_arg);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll and waitpid return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(c, shown, sizeof(shown));
	code = tg_server_run(c, lfd, shown, &stop_flag);
	close(lfd);
	return code;
}
