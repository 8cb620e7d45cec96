/* rota-coordinator: parse arguments, build the coordinator, run its loop. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "coordinator.h"
#include "duration.h"
#include "leader.h"
#include "log.h"
#include "preflight.h"
#include "registry.h"
#include "restore.h"
#include "security/security.h"
#include "xalloc.h"

/* Long options without a one-letter code of their own. */
enum {
	MAIN_OPT_ADVERTISE_WORKER = 1000,
	MAIN_OPT_ADVERTISE_API,
	MAIN_OPT_ADVERTISE_HTTP,
	MAIN_OPT_RESTORE,
	MAIN_OPT_FORCE,
	MAIN_OPT_READ_ONLY,
	MAIN_OPT_ID,
	MAIN_OPT_HTTP_TLS_CERT,
	MAIN_OPT_HTTP_TLS_KEY,
	MAIN_OPT_MAX_HEARTBEATS,
};

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: rota-coordinator [options]\n"
	        "  --data-dir DIR          store and state (default %s)\n"
	        "  --worker-endpoint EP    where workers connect (default %s)\n"
	        "  --api-endpoint EP       where rota connects (default %s)\n"
	        "  --advertise-worker EP   where other coordinators send workers to reach"
	        " this one\n"
	        "                          (default: --worker-endpoint as bound; needed with"
	        " a\n"
	        "                          wildcard address such as tcp://0.0.0.0:7400)\n"
	        "  --advertise-api EP      likewise for operators (default: --api-endpoint as"
	        " bound)\n"
	        "  --advertise-http URL    likewise for HTTP, shown by rota status (default:"
	        " as bound)\n"
	        "  --runbooks DIR          runbook library (default %s)\n"
	        "  --config FILE           channels, escalation policies, outbox, HTTP"
	        " (docs/incidents.md)\n"
	        "  --http ADDR:PORT|off    alert intake, /metrics and /healthz (default %s)\n"
	        "  --http-token FILE       bearer token the alert intake requires (mode 0600;"
	        " default\n"
	        "                          DIR/alertmanager.token when present). With keys it is\n"
	        "                          required on every address (no token: intake closed);\n"
	        "                          without, when --http is beyond loopback unless"
	        " --insecure\n"
	        "  --http-tls-cert FILE, --http-tls-key FILE\n"
	        "                          serve HTTPS with this PEM certificate chain and key\n"
	        "                          (key mode 0600); the web console needs HTTPS beyond\n"
	        "                          loopback unless --insecure\n"
	        "  --store URL             PostgreSQL instead of SQLite in DIR:"
	        " postgresql://USER@HOST:PORT/DB\n"
	        "                          (also ROTA_STORE, or store: in the config; no password"
	        " in it)\n"
	        "  --store-password-file FILE  the database password, on its first line (mode"
	        " 0600)\n"
	        "  --heartbeat DURATION    heartbeat interval; a worker silent for 5 is lost"
	        " (default 1s)\n"
	        "  --max-heartbeats-per-second N  workers' heartbeats taken a second at most:"
	        " a\n"
	        "                          larger fleet gets a longer interval, workers / N"
	        " seconds\n"
	        "                          (default %d: 10,000 workers 7s; 0: no bound)\n"
	        "  --lease DURATION        the leader's lease when coordinators share a store\n"
	        "                          (PostgreSQL): a frozen leader is replaced after it"
	        " (default 5s)\n"
	        "  --id NAME               this coordinator's name in rota status, /healthz,"
	        " /metrics\n"
	        "                          and its log (default: the host name)\n"
	        "  --output-limit BYTES    output kept per step (default %d)\n"
	        "  --key FILE              its CURVE secret key (default DIR/coordinator.key_secret"
	        " when present)\n"
	        "  --authorized-workers D  one file per worker: name = worker id, content = its"
	        " public key\n"
	        "                          (default DIR/authorized_workers)\n"
	        "  --operators FILE        operators' names, public keys and roles (default"
	        " DIR/operators.yaml)\n"
	        "  --insecure              allow a non-loopback endpoint without a key, or HTTP"
	        " without a\n"
	        "                          token (logged loudly)\n"
	        "  --init DIR              make a data directory with keys, a CLI config and"
	        " the\n"
	        "                          alert intake's token (alertmanager.token), then exit\n"
	        "  --import-sqlite DIR     copy the SQLite store of DIR (its coordinator"
	        " stopped) into\n"
	        "                          the empty PostgreSQL database of --store, then exit\n"
	        "  --restore FILE          check a backup made by rota backup (its FILE.sha256,\n"
	        "                          SQLite's integrity check, its schema version) and put"
	        " it\n"
	        "                          in --data-dir as rota.db, then exit; the directory"
	        " must be\n"
	        "                          empty or new unless --force (which replaces only the"
	        " store)\n"
	        "  --read-only             start without leading: answer rota status (runs"
	        " counted)\n"
	        "                          and /metrics, run nothing, write nothing (a restored"
	        " backup)\n"
	        "  --check                 read the configuration, the runbooks and the key"
	        " files,\n"
	        "                          print every problem (file:line:column) or"
	        " \"configuration OK\",\n"
	        "                          exit 0 or 1; starts nothing\n"
	        "  --log-level LEVEL       debug, info, warn or error (default info)\n"
	        "  --version, --help\n"
	        "An endpoint may use port * (tcp://127.0.0.1:*); the bound ones are written to"
	        " DIR/endpoints.\n",
	        COORDINATOR_DEFAULT_DATA_DIR, COORDINATOR_DEFAULT_WORKER_EP,
	        COORDINATOR_DEFAULT_API_EP, COORDINATOR_DEFAULT_RUNBOOKS, CONFIG_DEFAULT_HTTP,
	        REGISTRY_MAX_HEARTBEATS_PER_SECOND, COORDINATOR_OUTPUT_CAP_BYTES);
}

int
main(int argc, char **argv)
{
	coordinator_config_t cfg = {
	    .data_dir = COORDINATOR_DEFAULT_DATA_DIR,
	    .worker_endpoint = COORDINATOR_DEFAULT_WORKER_EP,
	    .api_endpoint = COORDINATOR_DEFAULT_API_EP,
	    .runbooks_dir = COORDINATOR_DEFAULT_RUNBOOKS,
	    .heartbeat_ms = COORDINATOR_HEARTBEAT_MS,
	    .max_heartbeats_per_second = REGISTRY_MAX_HEARTBEATS_PER_SECOND,
	    .output_cap = COORDINATOR_OUTPUT_CAP_BYTES,
	};
	log_level_t level = LOGL_INFO;
	const char *init_dir = NULL;
	const char *import_dir = NULL;
	const char *restore_file = NULL;
	bool force = false;
	bool api_given = false;
	bool check = false;
	static const struct option opts[] = {
	    {"data-dir", required_argument, NULL, 'd'},
	    {"worker-endpoint", required_argument, NULL, 'w'},
	    {"api-endpoint", required_argument, NULL, 'a'},
	    {"runbooks", required_argument, NULL, 'r'},
	    {"advertise-worker", required_argument, NULL, MAIN_OPT_ADVERTISE_WORKER},
	    {"advertise-api", required_argument, NULL, MAIN_OPT_ADVERTISE_API},
	    {"advertise-http", required_argument, NULL, MAIN_OPT_ADVERTISE_HTTP},
	    {"config", required_argument, NULL, 'c'},
	    {"http", required_argument, NULL, 'H'},
	    {"http-token", required_argument, NULL, 'T'},
	    {"http-tls-cert", required_argument, NULL, MAIN_OPT_HTTP_TLS_CERT},
	    {"http-tls-key", required_argument, NULL, MAIN_OPT_HTTP_TLS_KEY},
	    {"heartbeat", required_argument, NULL, 'b'},
	    {"max-heartbeats-per-second", required_argument, NULL, MAIN_OPT_MAX_HEARTBEATS},
	    {"lease", required_argument, NULL, 'L'},
	    {"output-limit", required_argument, NULL, 'o'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"key", required_argument, NULL, 'k'},
	    {"authorized-workers", required_argument, NULL, 'W'},
	    {"operators", required_argument, NULL, 'O'},
	    {"insecure", no_argument, NULL, 'I'},
	    {"store", required_argument, NULL, 'S'},
	    {"store-password-file", required_argument, NULL, 'P'},
	    {"init", required_argument, NULL, 'N'},
	    {"import-sqlite", required_argument, NULL, 'M'},
	    {"check", no_argument, NULL, 'C'},
	    {"restore", required_argument, NULL, MAIN_OPT_RESTORE},
	    {"force", no_argument, NULL, MAIN_OPT_FORCE},
	    {"read-only", no_argument, NULL, MAIN_OPT_READ_ONLY},
	    {"id", required_argument, NULL, MAIN_OPT_ID},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t ms;
		char *end;
		switch (ch) {
		case 'd':
			cfg.data_dir = optarg;
			break;
		case 'w':
			cfg.worker_endpoint = optarg;
			break;
		case 'a':
			cfg.api_endpoint = optarg;
			api_given = true;
			break;
		case 'k':
			cfg.key_file = optarg;
			break;
		case 'W':
			cfg.workers_dir = optarg;
			break;
		case 'O':
			cfg.operators_file = optarg;
			break;
		case 'I':
			cfg.insecure = true;
			break;
		case 'S':
			cfg.store = optarg;
			break;
		case 'P':
			cfg.store_password_file = optarg;
			break;
		case 'N':
			init_dir = optarg;
			break;
		case 'M':
			import_dir = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'r':
			cfg.runbooks_dir = optarg;
			break;
		case MAIN_OPT_ADVERTISE_WORKER:
			cfg.advertise_worker = optarg;
			break;
		case MAIN_OPT_ADVERTISE_API:
			cfg.advertise_api = optarg;
			break;
		case MAIN_OPT_RESTORE:
			restore_file = optarg;
			break;
		case MAIN_OPT_FORCE:
			force = true;
			break;
		case MAIN_OPT_ID: {
			char why[200];
			if (config_id_check(optarg, why, sizeof(why)) != 0) {
				fprintf(stderr, "rota-coordinator: --id: %s\n", why);
				return 2;
			}
			cfg.id = optarg;
			break;
		}
		case MAIN_OPT_READ_ONLY:
			cfg.read_only = true;
			break;
		case MAIN_OPT_ADVERTISE_HTTP:
			cfg.advertise_http = optarg;
			break;
		case 'c':
			cfg.config_path = optarg;
			break;
		case 'H':
			cfg.http = optarg;
			break;
		case 'T':
			cfg.http_token_file = optarg;
			break;
		case MAIN_OPT_HTTP_TLS_CERT:
			cfg.http_tls_cert = optarg;
			break;
		case MAIN_OPT_HTTP_TLS_KEY:
			cfg.http_tls_key = optarg;
			break;
		case 'b':
			if (duration_parse(optarg, &ms) != 0 || ms < 50 || ms > 600000) {
				fprintf(stderr,
				        "rota-coordinator: --heartbeat %s: give a duration"
				        " from 50ms to 10m, like 1s\n",
				        optarg);
				return 2;
			}
			cfg.heartbeat_ms = (uint32_t)ms;
			break;
		case MAIN_OPT_MAX_HEARTBEATS: {
			char *rest = NULL;
			errno = 0;
			unsigned long n = strtoul(optarg, &rest, 10);
			if (errno != 0 || rest == optarg || *rest != '\0' || optarg[0] == '-' ||
			    n > 1000000) {
				fprintf(stderr,
				        "rota-coordinator: --max-heartbeats-per-second %s: give a"
				        " whole number from 0 (no bound) to 1000000, like %d\n",
				        optarg, REGISTRY_MAX_HEARTBEATS_PER_SECOND);
				return 2;
			}
			cfg.max_heartbeats_per_second = (uint32_t)n;
			break;
		}
		case 'L':
			if (duration_parse(optarg, &ms) != 0 || ms < LEADER_MIN_LEASE_MS ||
			    ms > LEADER_MAX_LEASE_MS) {
				fprintf(stderr,
				        "rota-coordinator: --lease %s: give a duration from 2s to"
				        " 5m, like 5s\n",
				        optarg);
				return 2;
			}
			cfg.lease_ms = (int64_t)ms;
			break;
		case 'o':
			cfg.output_cap = strtoull(optarg, &end, 10);
			if (*end != '\0' || cfg.output_cap < 1024) {
				fprintf(stderr,
				        "rota-coordinator: --output-limit %s: give a byte"
				        " count of at least 1024\n",
				        optarg);
				return 2;
			}
			break;
		case 'l':
			if (log_level_parse(optarg, &level) != 0) {
				fprintf(stderr,
				        "rota-coordinator: --log-level %s: use debug, info,"
				        " warn or error\n",
				        optarg);
				return 2;
			}
			break;
		case 'V':
			printf("rota-coordinator %s\n", ROTA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rota-coordinator: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* --check prints every problem itself, once. */
	log_init("rota-coordinator", check ? LOGL_OFF : level);
	log_buffer_lines(); /* flushed before each wait of the loop */
	char *error = NULL;
	if (init_dir != NULL) {
		/* The CLI config names the API endpoint rota should use; a port
		 * chosen at bind time (*) is not one it can name. */
		const char *api = api_given && strchr(cfg.api_endpoint, '*') == NULL
		                      ? cfg.api_endpoint
		                      : COORDINATOR_DEFAULT_API_EP;
		if (security_init_dir(init_dir, api, &error) != 0) {
			fprintf(stderr, "rota-coordinator: --init %s: %s\n", init_dir, error);
			free(error);
			return 1;
		}
		return 0;
	}
	if (force && restore_file == NULL) {
		fprintf(stderr, "rota-coordinator: --force goes with --restore FILE\n");
		return 2;
	}
	if (restore_file != NULL && cfg.store != NULL) {
		fprintf(stderr,
		        "rota-coordinator: --restore puts a backup made by rota backup in a data"
		        " directory (SQLite); a PostgreSQL store is restored with pg_restore"
		        " (docs/operations.md, \"Backup and restore\")\n");
		return 2;
	}
	if (restore_file != NULL) {
		if (restore_run(restore_file, cfg.data_dir, force, stdout, &error) != 0) {
			fprintf(stderr, "rota-coordinator: --restore: %s\n", error);
			free(error);
			return 1;
		}
		return 0;
	}
	if (import_dir != NULL) {
		if (coordinator_import(&cfg, import_dir, stdout, &error) != 0) {
			fprintf(stderr, "rota-coordinator: --import-sqlite %s: %s\n", import_dir,
			        error);
			free(error);
			return 1;
		}
		return 0;
	}
	/* What the data directory holds is used unless a flag says otherwise:
	 * a directory made by --init runs with CURVE on without more flags. */
	char *def_key = xasprintf("%s/%s", cfg.data_dir, SECURITY_KEY_FILE);        /* owned */
	char *def_workers = xasprintf("%s/%s", cfg.data_dir, SECURITY_WORKERS_DIR); /* owned */
	char *def_ops = xasprintf("%s/%s", cfg.data_dir, SECURITY_OPERATORS_FILE);  /* owned */
	if (cfg.key_file == NULL && access(def_key, F_OK) == 0)
		cfg.key_file = def_key;
	if (cfg.workers_dir == NULL)
		cfg.workers_dir = def_workers;
	if (cfg.operators_file == NULL)
		cfg.operators_file = def_ops;
	if (check) {
		int crc = preflight_run(&cfg, stdout, stderr);
		free(def_key);
		free(def_workers);
		free(def_ops);
		return crc;
	}
	if (clock_faked()) {
		char now[32];
		clock_format(clock_wall_ms(), now, sizeof(now));
		log_warn("ROTA_FAKE_NOW is set: this coordinator's clock says %s UTC; for tests"
		         " only",
		         now);
	}
	int rc = 1;
	coordinator_t *c = coordinator_new(&cfg, &error);
	if (c == NULL) {
		log_error("cannot start: %s", error);
		free(error);
	} else {
		rc = coordinator_run(c) == 0 ? 0 : 1;
		coordinator_destroy(&c);
	}
	free(def_key);
	free(def_workers);
	free(def_ops);
	return rc;
}
