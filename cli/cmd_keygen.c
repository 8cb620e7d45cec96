/* cmd_keygen: make a key pair for a worker, an operator or a coordinator.
 *
 * Must never: replace an existing key without --force (a worker whose key
 * changes under it is locked out until the coordinator lists the new one). */
#include "cmd_keygen.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"
#include "keys.h"
#include "usage.h"

#define KEYGEN_SYNOPSIS "NAME [--out DIR] [--force]"

int
cmd_keygen_run(session_t *s, int argc, char **argv)
{
	(void)s;
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = ".";
	bool force = false;
	int ch;
	optind = 0; /* 0: glibc starts its parse afresh */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			dir = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			printf(
			    "usage: rota keygen " KEYGEN_SYNOPSIS "\n"
			    "  Writes DIR/NAME.key (the public key: list it on the coordinator)\n"
			    "  and DIR/NAME.key_secret (mode 0600: it stays on this host).\n"
			    "  A worker's NAME is its id; --force replaces an existing pair.\n");
			return CLI_EXIT_OK;
		default:
			return usage_getopt_error("keygen", KEYGEN_SYNOPSIS, ch, argv);
		}
	}
	if (optind + 1 != argc)
		return usage_error("keygen needs one NAME (a worker id or an operator name): rota "
		                   "keygen " KEYGEN_SYNOPSIS);
	const char *name = argv[optind];
	if (!keys_valid_name(name))
		return usage_error("keygen: '%s' cannot name a key: use 1 to 128 letters, digits, "
		                   "'-', '_' or '.'",
		                   name);
	/* A directory for secrets is private too. */
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return CLI_EXIT_RUN_FAILED;
	}
	keys_pair_t pair;
	if (keys_generate(&pair) != 0) {
		fprintf(stderr, "rota: keygen: libzmq was built without CURVE (libsodium)\n");
		return CLI_EXIT_RUN_FAILED;
	}
	char *pub = NULL, *sec = NULL, *error = NULL; /* owned */
	int rc = CLI_EXIT_OK;
	if (keys_write(dir, name, &pair, force, &pub, &sec, &error) != 0) {
		fprintf(stderr, "rota: keygen: %s\n", error);
		free(error);
		rc = CLI_EXIT_RUN_FAILED;
	} else {
		printf("public key of %s: %s\n"
		       "  %s  the public key: list it on the coordinator (a worker's as\n"
		       "     DATA_DIR/authorized_workers/%s, an operator's in operators.yaml),\n"
		       "     then send the coordinator SIGHUP\n"
		       "  %s  the secret key (mode 0600): keep it on this host\n",
		       name, pair.public_z85, pub, name, sec);
	}
	keys_wipe(&pair);
	free(pub);
	free(sec);
	return rc;
}
