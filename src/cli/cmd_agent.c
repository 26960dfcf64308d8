/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_agent.c - `tollgate agent`: serves the SPIFFE Workload API on a Unix
 * socket from a CA directory (tg_agent_serve), or from tollgated with the
 * agent's own X509-SVID (--server, src/server/agent_upstream.c), until
 * SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "identity/identity.h"
#include "server/server.h"

#define AGENT_MAX_CLIENTS 4096 /* the largest --max-clients */

const char tg_cli_agent_usage[] =
	"usage: tollgate agent --dir D --socket PATH [--rotate-before DUR]\n"
	"                      [--max-clients N]\n"
	"       tollgate agent --server URL --svid CERT --svid-key KEY --ca-file PEM\n"
	"                      --socket PATH [--rotate-before DUR] [--max-clients N]\n"
	"\n"
	"Serves the SPIFFE Workload API (gRPC on the Unix socket PATH) from the CA\n"
	"in D, or from the tollgated at URL, until SIGTERM or SIGINT, then exits 0.\n"
	"Each caller is attested by its\n"
	"kernel-verified peer credentials (unix:uid, unix:gid, unix:path and\n"
	"unix:sha256 of its executable) and receives the X509- and JWT-SVIDs of\n"
	"the registration entries those selectors match, the trust bundles, and new\n"
	"ones before they expire. Requests need the metadata\n"
	"\"workload.spiffe.io: true\". Point SPIFFE clients at it with\n"
	"SPIFFE_ENDPOINT_SOCKET=unix://PATH.\n"
	"\n"
	"With --server the agent holds no CA key: it authenticates to tollgated\n"
	"with its own X509-SVID (CERT and KEY, e.g. from `tollgate attest --server\n"
	"URL --join-token T --x509-out DIR`), serves the registration entries whose\n"
	"parent is its SPIFFE ID (`tollgate entry create --parent ID`), polls them\n"
	"every 5 s with the trust domain's revocations (ValidateJWTSVID refuses\n"
	"revoked JWT-SVIDs), asks tollgated for their SVIDs and renews its own SVID\n"
	"at half its life, writing CERT.pending and KEY.pending, then renaming them\n"
	"over CERT and KEY (so their directories must be writable); at start a\n"
	"renewal cut short between the renames is finished. Each request to the\n"
	"server has 3 s to connect and 10 s in all. While the server is\n"
	"unreachable it serves the SVIDs it holds until they expire and retries\n"
	"with backoff. It needs the server at start.\n"
	"\n"
	"  -d, --dir D               the CA directory\n"
	"  -S, --server URL          https://HOST:PORT of tollgated (instead of --dir)\n"
	"  -c, --svid CERT           the agent's X509-SVID chain (PEM)\n"
	"  -k, --svid-key KEY        its private key (PEM, mode 0600)\n"
	"  -a, --ca-file PEM         roots the server's certificate chains to\n"
	"                            (the trust domain's, e.g. tollgated's ca.pem)\n"
	"  -s, --socket PATH         the Unix socket to create\n"
	"  -r, --rotate-before DUR   renew SVIDs this long before they expire\n"
	"                            (default: at half their lifetime)\n"
	"  -m, --max-clients N       concurrent connections (default 64)\n"
	"  -h, --help                show this help\n";

/* Set from the signal handler; tg_agent_serve polls it (an int is written
 * atomically on every platform tollgate runs on, like sig_atomic_t). */
static volatile int stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int tg_cli_agent(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 's'},
		{"rotate-before", required_argument, NULL, 'r'},
		{"max-clients", required_argument, NULL, 'm'},
		{"server", required_argument, NULL, 'S'},
		{"svid", required_argument, NULL, 'c'},
		{"svid-key", required_argument, NULL, 'k'},
		{"ca-file", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_agent_opts ao;
	struct tg_server_upstream_opts uo;
	struct tg_server_upstream *up = NULL;
	struct sigaction sa;
	struct tg_ca *ca = NULL;
	const char *dir = NULL;
	struct tg_diag d;
	int64_t v;
	int c, code;
	tg_err r;

	memset(&ao, 0, sizeof(ao));
	memset(&uo, 0, sizeof(uo));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:s:r:m:S:c:k:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'S':
			uo.url = optarg;
			break;
		case 'c':
			uo.svid_file = optarg;
			break;
		case 'k':
			uo.key_file = optarg;
			break;
		case 'a':
			uo.ca_file = optarg;
			break;
		case 's':
			ao.socket_path = optarg;
			break;
		case 'r':
			code = tg_cli_parse_ttl(cmd, "--rotate-before", optarg, TG_SVID_TTL_MAX,
						&ao.rotate_before);
			if (code != TG_EXIT_OK)
				return code;
			break;
		case 'm':
			if (tg_cli_parse_i64(optarg, 1, AGENT_MAX_CLIENTS, &v) != TG_OK)
				return tg_cli_usage_error(cmd, "--max-clients '%s' is not a number in "
							       "1..%d",
							  optarg, AGENT_MAX_CLIENTS);
			ao.max_clients = (unsigned)v;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (optind < argc)
		return tg_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (dir && uo.url)
		return tg_cli_usage_error(cmd, "--dir and --server exclude each other");
	if (!uo.url && (uo.svid_file || uo.key_file || uo.ca_file))
		return tg_cli_usage_error(cmd, "--svid, --svid-key and --ca-file need --server");
	if (uo.url) {
		if (!uo.svid_file || !uo.svid_file[0])
			return tg_cli_usage_error(cmd, "missing --svid CERT");
		if (!uo.key_file || !uo.key_file[0])
			return tg_cli_usage_error(cmd, "missing --svid-key KEY");
		if (!uo.ca_file || !uo.ca_file[0])
			return tg_cli_usage_error(cmd, "missing --ca-file PEM");
	} else if (!dir || !dir[0]) {
		return tg_cli_usage_error(cmd, "missing --dir D");
	}
	if (!ao.socket_path || !ao.socket_path[0])
		return tg_cli_usage_error(cmd, "missing --socket PATH");
	if (uo.url) {
		r = tg_server_upstream_open(&uo, &up, &d);
		if (r != TG_OK) {
			/* 1: the server refused the agent; 2: unusable files;
			 * 3: the server does not answer (properly) */
			return tg_cli_fail(r, &d, "cannot start the agent");
		}
	} else {
		r = tg_cli_ca_open(dir, &ca);
		if (r != TG_OK)
			return tg_cli_exit_code(r);
	}

	/* No SA_RESTART: a signal interrupts the server's wait, which then
	 * sees the flag. A client that goes away must not kill us. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (up) {
		struct tg_agent_upstream ops;
		tg_server_upstream_ops(up, &ops);
		r = tg_agent_serve_upstream(&ops, &ao, &stop_requested, &d);
	} else {
		r = tg_agent_serve(ca, &ao, &stop_requested, &d);
	}
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "the agent stopped");
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_INTERNAL;
	} else {
		code = TG_EXIT_OK;
	}
	tg_ca_close(ca);
	tg_server_upstream_close(up);
	return code;
}
