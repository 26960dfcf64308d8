/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_agent.c - `tollgate agent`: serves the SPIFFE Workload API on a Unix
 * socket from a CA directory (tg_agent_serve) until SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "identity/identity.h"

#define AGENT_MAX_CLIENTS 4096 /* the largest --max-clients */

const char tg_cli_agent_usage[] =
	"usage: tollgate agent --dir D --socket PATH [--rotate-before DUR]\n"
	"                      [--max-clients N]\n"
	"\n"
	"Serves the SPIFFE Workload API (gRPC on the Unix socket PATH) from the CA\n"
	"in D until SIGTERM or SIGINT, then exits 0. Each caller is attested by its\n"
	"kernel-verified peer credentials (unix:uid, unix:gid, unix:path and\n"
	"unix:sha256 of its executable) and receives the X509- and JWT-SVIDs of\n"
	"the registration entries those selectors match, the trust bundles, and new\n"
	"ones before they expire. Requests need the metadata\n"
	"\"workload.spiffe.io: true\". Point SPIFFE clients at it with\n"
	"SPIFFE_ENDPOINT_SOCKET=unix://PATH.\n"
	"\n"
	"  -d, --dir D               the CA directory\n"
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_agent_opts ao;
	struct sigaction sa;
	struct tg_ca *ca = NULL;
	const char *dir = NULL;
	struct tg_diag d;
	int64_t v;
	int c, code;
	tg_err r;

	memset(&ao, 0, sizeof(ao));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:s:r:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
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
	if (!dir || !dir[0])
		return tg_cli_usage_error(cmd, "missing --dir D");
	if (!ao.socket_path || !ao.socket_path[0])
		return tg_cli_usage_error(cmd, "missing --socket PATH");
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK)
		return tg_cli_exit_code(r);

	/* No SA_RESTART: a signal interrupts the server's wait, which then
	 * sees the flag. A client that goes away must not kill us. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = tg_agent_serve(ca, &ao, &stop_requested, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "the agent stopped");
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_INTERNAL;
	} else {
		code = TG_EXIT_OK;
	}
	tg_ca_close(ca);
	return code;
}
