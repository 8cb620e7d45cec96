/* rota-worker: parse arguments, build the agent, run its loop. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "agent.h"
#include "agent_kind.h"
#include "duration.h"
#include "keys.h"
#include "log.h"
#include "strlist.h"
#include "wire.h"
#include "eplist.h"
#include "xalloc.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: rota-worker [options]\n"
	        "  --coordinator EP     coordinator's worker endpoint (default %s); several,\n"
	        "                       comma-separated (EP1,EP2): the coordinators of one\n"
	        "                       group, tried in turn; a follower's Redirect is followed\n"
	        "  --id NAME            this worker's id (default: the host name)\n"
	        "  --label k=v          a label for targeting; repeat for more\n"
	        "  --spool DIR          durable result spool (default %s)\n"
	        "  --capacity N         steps run at once at most (default %d)\n"
	        "  --drain DURATION     on SIGTERM, time running steps get to finish before"
	        " they are\n"
	        "                       stopped; 0 stops them at once (default %us)\n"
	        "  --key FILE           this worker's CURVE secret key (rota keygen ID)\n"
	        "  --coordinator-key FILE\n"
	        "                       the coordinator's public key: no other coordinator is"
	        " accepted\n"
	        "  --allow-user NAME    steps may run as NAME (run_as); repeat for more\n"
	        "  --pass-env NAME      steps inherit this variable of the worker; repeat\n"
	        "  --allow-runbooks GLOB\n"
	        "                       run only steps of loaded runbooks matching GLOB;\n"
	        "                       repeat. Ad-hoc runs (a submitted file) are refused\n"
	        "  --allow-adhoc        with --allow-runbooks: run ad-hoc runs too\n"
	        "  --allow-step-types LIST\n"
	        "                       run only these types (shell,http_check,disk_check,\n"
	        "                       metric_check,file_check,tls_check,noop)\n"
	        "  --umask MODE         the umask of every step (default %03o)\n"
	        "  --workdir DIR        where steps run; a step's workdir must be inside it\n"
	        "                       (default %s)\n"
	        "  --check-helper PATH  the program that runs http, disk and metric checks\n"
	        "                       (default: rota-check next to this program)\n"
	        "  --check              check the flags, key files, users, directories and the"
	        " check\n"
	        "                       helper; print every problem or \"configuration OK\";"
	        " exit 0 or 1\n"
	        "  --log-level LEVEL    debug, info, warn or error (default info)\n"
	        "  --version, --help\n",
	        AGENT_DEFAULT_ENDPOINT, AGENT_DEFAULT_SPOOL, AGENT_DEFAULT_CAPACITY,
	        AGENT_DEFAULT_DRAIN_MS / 1000, AGENT_DEFAULT_UMASK, AGENT_DEFAULT_WORKDIR);
}

/* rota-check in this program's directory, as a new string (the caller
 * frees), or NULL when /proc/self/exe cannot be read. */
static char *
worker_default_check_helper(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return xasprintf("%s/rota-check", self);
}

static int
valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* A directory the worker needs: present, a directory, and usable. */
static int
worker_check_dir(const char *flag, const char *dir, int mode)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "rota-worker: %s %s: not a directory\n", flag, dir);
		return 1;
	}
	if (access(dir, mode) != 0) {
		fprintf(stderr, "rota-worker: %s %s: this user (uid %u) cannot %s it\n", flag, dir,
		        (unsigned)getuid(), mode & W_OK ? "write to" : "enter");
		return 1;
	}
	return 0;
}

/* --check: what the worker would find wrong at start, or only when a step
 * came (a user, a directory, the check helper), all said at once. Starts
 * nothing: no socket, no spool file. */
static int
worker_check(const agent_config_t *cfg, const char *key_path, const char *coordinator_key_path,
             const char *check_helper)
{
	int errors = 0;
	char *kerror = NULL; /* owned, per key */
	keys_pair_t pair;
	if (key_path != NULL && keys_load_secret(key_path, &pair, &kerror) != 0) {
		fprintf(stderr, "rota-worker: --key %s: %s\n", key_path, kerror);
		free(kerror);
		kerror = NULL;
		errors++;
	}
	if (key_path != NULL)
		keys_wipe(&pair);
	if (coordinator_key_path != NULL &&
	    keys_load_public(coordinator_key_path, &pair, &kerror) != 0) {
		fprintf(stderr, "rota-worker: --coordinator-key %s: %s\n", coordinator_key_path,
		        kerror);
		free(kerror);
		errors++;
	}
	/* An endpoint ZeroMQ cannot parse ends a start at once: connect a
	 * socket that is closed at once (linger 0), as the agent would. */
	void *zctx = zmq_ctx_new(); /* owned */
	void *sock = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
	if (sock != NULL) {
		int linger = 0;
		zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
		eplist_t *eps = eplist_parse(cfg->endpoint, &kerror); /* owned */
		for (size_t i = 0; eps != NULL && i < eplist_count(eps); i++) {
			if (zmq_connect(sock, eplist_at(eps, i)) != 0) {
				fprintf(stderr,
				        "rota-worker: --coordinator %s: cannot connect to it: %s\n",
				        eplist_at(eps, i), zmq_strerror(errno));
				errors++;
			}
		}
		eplist_destroy(&eps);
		free(kerror);
		kerror = NULL;
		zmq_close(sock);
	}
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	for (size_t i = 0; cfg->allow_users && cfg->allow_users[i]; i++) {
		if (getpwnam(cfg->allow_users[i]) == NULL) {
			fprintf(stderr, "rota-worker: --allow-user %s: no such user on this host\n",
			        cfg->allow_users[i]);
			errors++;
		}
	}
	/* The spool is made at start when missing; its parent must allow that. */
	struct stat st;
	if (stat(cfg->spool_dir, &st) == 0) {
		errors += worker_check_dir("--spool", cfg->spool_dir, W_OK | X_OK);
	} else {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", cfg->spool_dir);
		char *slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			snprintf(parent, sizeof(parent), ".");
		errors += worker_check_dir("--spool (its parent)", parent, W_OK | X_OK);
	}
	errors += worker_check_dir("--workdir", cfg->workdir, X_OK);
	if (check_helper == NULL || access(check_helper, X_OK) != 0) {
		fprintf(stderr,
		        "rota-worker: --check-helper %s: not executable; http, disk and metric"
		        " checks would end in error\n",
		        check_helper ? check_helper
		                     : "rota-check (this program's path is unknown)");
		errors++;
	}
	if (errors > 0) {
		fprintf(stderr, "rota-worker: %d error%s in the configuration\n", errors,
		        errors == 1 ? "" : "s");
		return 1;
	}
	printf("configuration OK: worker %s, coordinator %s, %s, spool %s\n", cfg->id,
	       cfg->endpoint, key_path ? "CURVE on" : "no key (unauthenticated)", cfg->spool_dir);
	return 0;
}

int
main(int argc, char **argv)
{
	char hostname[256] = "";
	gethostname(hostname, sizeof(hostname) - 1);
	agent_config_t cfg = {
	    .endpoint = AGENT_DEFAULT_ENDPOINT,
	    .id = hostname,
	    .spool_dir = AGENT_DEFAULT_SPOOL,
	    .capacity = AGENT_DEFAULT_CAPACITY,
	    .drain_ms = AGENT_DEFAULT_DRAIN_MS,
	    .umask = AGENT_DEFAULT_UMASK,
	    .workdir = AGENT_DEFAULT_WORKDIR,
	};
	const char **labels = xcalloc((size_t)argc + 1, sizeof(*labels));
	size_t nlabels = 0;
	/* Each list is at most argc long; NULL-terminated by calloc. */
	const char **users = xcalloc((size_t)argc + 1, sizeof(*users));
	const char **pass = xcalloc((size_t)argc + 1, sizeof(*pass));
	const char **globs = xcalloc((size_t)argc + 1, sizeof(*globs));
	size_t nusers = 0, npass = 0, nglobs = 0;
	strlist_t types = {0};
	const char **type_list = NULL;
	log_level_t level = LOGL_INFO;
	const char *key_path = NULL, *coordinator_key_path = NULL;
	const char *check_helper = NULL;
	bool check = false;
	char *default_helper = NULL; /* owned */
	keys_pair_t key, coordinator_key;
	memset(&key, 0, sizeof(key));
	memset(&coordinator_key, 0, sizeof(coordinator_key));
	static const struct option opts[] = {
	    {"coordinator", required_argument, NULL, 'c'},
	    {"id", required_argument, NULL, 'i'},
	    {"label", required_argument, NULL, 'l'},
	    {"spool", required_argument, NULL, 's'},
	    {"capacity", required_argument, NULL, 'n'},
	    {"drain", required_argument, NULL, 'D'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"key", required_argument, NULL, 'k'},
	    {"coordinator-key", required_argument, NULL, 'K'},
	    {"allow-user", required_argument, NULL, 'u'},
	    {"pass-env", required_argument, NULL, 'e'},
	    {"allow-runbooks", required_argument, NULL, 'r'},
	    {"allow-adhoc", no_argument, NULL, 'a'},
	    {"allow-step-types", required_argument, NULL, 't'},
	    {"umask", required_argument, NULL, 'm'},
	    {"workdir", required_argument, NULL, 'w'},
	    {"check-helper", required_argument, NULL, 'C'},
	    {"check", no_argument, NULL, 'X'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, rc = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'c':
			cfg.endpoint = optarg;
			break;
		case 'i':
			cfg.id = optarg;
			break;
		case 'l': {
			const char *eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg) {
				fprintf(stderr,
				        "rota-worker: --label %s: write it as key=value, like"
				        " --label role=api\n",
				        optarg);
				goto out;
			}
			/* The coordinator refuses a Hello over these bounds
			 * (wire.h): say so now rather than connect and be refused. */
			size_t kl = (size_t)(eq - optarg), vl = strlen(eq + 1);
			if (nlabels == WIRE_MAX_LABELS) {
				fprintf(stderr, "rota-worker: --label %.*s: at most %d labels\n",
				        (int)(kl < 64 ? kl : 64), optarg, WIRE_MAX_LABELS);
				goto out;
			}
			if (kl > WIRE_MAX_LABEL_BYTES || vl > WIRE_MAX_LABEL_BYTES) {
				fprintf(
				    stderr,
				    "rota-worker: --label %.*s: its %s is %zu bytes; the limit is"
				    " %d bytes\n",
				    (int)(kl < 64 ? kl : 64), optarg,
				    kl > WIRE_MAX_LABEL_BYTES ? "key" : "value",
				    kl > WIRE_MAX_LABEL_BYTES ? kl : vl, WIRE_MAX_LABEL_BYTES);
				goto out;
			}
			labels[nlabels++] = optarg;
			break;
		}
		case 's':
			cfg.spool_dir = optarg;
			break;
		case 'n': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > AGENT_MAX_CAPACITY) {
				fprintf(stderr,
				        "rota-worker: --capacity %s: give a number from 1 to"
				        " %d\n",
				        optarg, AGENT_MAX_CAPACITY);
				goto out;
			}
			cfg.capacity = (uint32_t)v;
			break;
		}
		case 'D': {
			uint64_t ms;
			/* "0" is a duration here: no drain. */
			if (strcmp(optarg, "0") == 0)
				ms = 0;
			else if (duration_parse(optarg, &ms) != 0 || ms > AGENT_MAX_DRAIN_MS) {
				fprintf(stderr,
				        "rota-worker: --drain %s: give a duration up to 24h, like"
				        " 30s or 5m, or 0 to stop running steps at once\n",
				        optarg);
				goto out;
			}
			cfg.drain_ms = (uint32_t)ms;
			break;
		}
		case 'k':
			key_path = optarg;
			break;
		case 'u':
			users[nusers++] = optarg;
			break;
		case 'e':
			pass[npass++] = optarg;
			break;
		case 'r':
			globs[nglobs++] = optarg;
			break;
		case 'a':
			cfg.allow_adhoc = true;
			break;
		case 't': {
			size_t before = types.count;
			strlist_split(&types, optarg, ',');
			for (size_t i = before; i < types.count; i++) {
				if (!agent_kind_runs_name(types.items[i])) {
					char names[256];
					agent_kind_names(names, sizeof(names));
					fprintf(stderr,
					        "rota-worker: --allow-step-types: unknown type '%s'"
					        " (%s)\n",
					        types.items[i], names);
					goto out;
				}
			}
			break;
		}
		case 'm': {
			unsigned long v = strtoul(optarg, &end, 8);
			if (*end != '\0' || end == optarg || v > 0777) {
				fprintf(stderr,
				        "rota-worker: --umask %s: give an octal mode like 022 or"
				        " 077\n",
				        optarg);
				goto out;
			}
			cfg.umask = (mode_t)v;
			break;
		}
		case 'w':
			if (optarg[0] != '/') {
				fprintf(stderr,
				        "rota-worker: --workdir %s: give an absolute path\n",
				        optarg);
				goto out;
			}
			cfg.workdir = optarg;
			break;
		case 'K':
			coordinator_key_path = optarg;
			break;
		case 'X':
			check = true;
			break;
		case 'C':
			check_helper = optarg;
			break;
		case 'L':
			if (log_level_parse(optarg, &level) != 0) {
				fprintf(stderr,
				        "rota-worker: --log-level %s: use debug, info, warn"
				        " or error\n",
				        optarg);
				goto out;
			}
			break;
		case 'V':
			printf("rota-worker %s\n", ROTA_VERSION);
			rc = 0;
			goto out;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rota-worker: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	/* The list is checked here so a bad entry is a usage error (2), said
	 * before anything starts. */
	char *eperror = NULL;
	eplist_t *eps = eplist_parse(cfg.endpoint, &eperror); /* owned: only checked */
	if (eps == NULL) {
		fprintf(stderr, "rota-worker: --coordinator %s\n", eperror);
		free(eperror);
		goto out;
	}
	eplist_destroy(&eps);
	if (strcmp(cfg.id, "all") == 0) {
		fprintf(stderr,
		        "rota-worker: --id all is reserved ('rota submit --target all' means"
		        " every worker); pick another id\n");
		goto out;
	}
	if (!valid_id(cfg.id)) {
		fprintf(stderr,
		        "rota-worker: --id '%s': use 1 to 128 letters, digits, '-', '_'"
		        " or '.'\n",
		        cfg.id);
		goto out;
	}
	if ((key_path == NULL) != (coordinator_key_path == NULL)) {
		fprintf(stderr,
		        "rota-worker: CURVE needs both --key FILE (this worker's secret key)"
		        " and --coordinator-key FILE (the coordinator's public key)\n");
		goto out;
	}
	cfg.labels = labels;
	cfg.allow_users = users;
	cfg.pass_env = pass;
	cfg.allow_runbooks = globs;
	type_list = xcalloc(types.count + 1, sizeof(*type_list));
	for (size_t i = 0; i < types.count; i++)
		type_list[i] = types.items[i];
	cfg.allow_types = type_list;
	log_init("rota-worker", level);
	if (check) {
		if (check_helper == NULL)
			check_helper = default_helper = worker_default_check_helper();
		rc = worker_check(&cfg, key_path, coordinator_key_path, check_helper);
		goto out;
	}
	if (key_path != NULL) {
		char *kerror = NULL;
		if (keys_load_secret(key_path, &key, &kerror) != 0 ||
		    keys_load_public(coordinator_key_path, &coordinator_key, &kerror) != 0) {
			log_error("cannot start: %s", kerror);
			free(kerror);
			rc = 1;
			goto out;
		}
		cfg.key = &key;
		cfg.coordinator_key = &coordinator_key;
		log_info("CURVE on: key %s, coordinator key %s (%s)", key_path,
		         coordinator_key.public_z85, coordinator_key_path);
	} else {
		log_warn("no --key: talking to the coordinator unauthenticated and unencrypted");
	}
	if (check_helper == NULL)
		check_helper = default_helper = worker_default_check_helper();
	/* Not fatal: a worker without its helper still runs shell steps, and
	 * each check says why it could not run. */
	if (check_helper == NULL || access(check_helper, X_OK) != 0)
		log_warn("check helper %s is not executable: http, disk and metric checks will"
		         " end in error (give --check-helper PATH)",
		         check_helper ? check_helper
		                      : "rota-check (this program's path is unknown)");
	cfg.check_helper = check_helper;
	char *error = NULL;
	agent_t *a = agent_new(&cfg, &error);
	if (a == NULL) {
		log_error("cannot start: %s", error);
		free(error);
		rc = 1;
		goto out;
	}
	rc = agent_run(a) == 0 ? 0 : 1;
	agent_destroy(&a);
out:
	free(default_helper);
	keys_wipe(&key);
	free(labels);
	free(users);
	free(pass);
	free(globs);
	free(type_list);
	strlist_free(&types);
	return rc;
}
