/* cli: the constants of the `rota` operator client, in one place.
 *
 * Every interval, limit and exit code the CLI uses is here, with its unit
 * in its name, so a reader never has to hunt for a magic number. */
#ifndef ROTA_CLI_H
#define ROTA_CLI_H

#define CLI_DEFAULT_ENDPOINT "tcp://127.0.0.1:7401"
#define CLI_ENDPOINT_ENV "ROTA_COORDINATOR"
/* CURVE: this operator's secret key file and the coordinator's public key
 * file (also --key, --coordinator-key, or the configuration file). */
#define CLI_KEY_ENV "ROTA_KEY"
#define CLI_COORDINATOR_KEY_ENV "ROTA_COORDINATOR_KEY"

/* How long one request may wait for its answer. A coordinator that does
 * not answer within this is "unreachable" (exit CLI_EXIT_UNREACHABLE);
 * under --wait and -f it bounds every single poll, so a coordinator that
 * goes away mid-run is noticed within this too. */
#define CLI_TIMEOUT_MS 5000
/* Several coordinators (--coordinator EP1,EP2, ROTA_COORDINATOR): a
 * request goes round the list, and follows a follower's Redirect, at most
 * this many times in one pass before rota says the coordinators disagree
 * on who leads. */
#define CLI_MAX_REDIRECTS 3
/* While following a run (submit --wait, logs -f) with several coordinators,
 * how long rota keeps going round them for one that answers: a failover
 * is a lease (5 s by default) and a takeover, so this leaves room for a
 * slow one. Between passes it pauses CLI_FAILOVER_PAUSE_MS. */
#define CLI_FAILOVER_MS 30000
#define CLI_FAILOVER_PAUSE_MS 500

/* Pause between polls when following a run (submit --wait, logs -f). The
 * operator API has no push today (rota.proto, Event), so following is
 * polling with a cursor; 250 ms feels live and costs the coordinator one
 * cheap indexed query per follower. */
#define CLI_POLL_INTERVAL_MS 250

/* While a followed run is quiet, how often to ask whether a manual step
 * waits for approval (a ShowRun: heavier than a Logs poll, so rarer). */
#define CLI_WAITING_CHECK_MS 2000

/* A runbook file sent with `submit` must fit the coordinator's frame
 * limit with room to spare; wire.h allows a 1 MiB runbook. */
#define CLI_MAX_RUNBOOK_BYTES (1024 * 1024)
/* Lines of output per step that `show` asks for. */
#define CLI_SHOW_TAIL_LINES 10
/* Runs listed by `runs` when --limit is not given, and the most it may ask. */
#define CLI_RUNS_DEFAULT_LIMIT 20
#define CLI_RUNS_MAX_LIMIT 10000
/* Output chunks asked for per LogsRequest page. The coordinator may send
 * fewer (it bounds a page by bytes to stay under WIRE_MAX_FRAME_BYTES). */
#define CLI_LOGS_PAGE_CHUNKS 256
/* A line of step output longer than this is printed in pieces, so one
 * runaway line without a newline cannot grow the CLI's memory unbounded. */
#define CLI_MAX_LINE_BYTES (64 * 1024)
/* Fire times `schedules RUNBOOK` prints without --next, and the most
 * --next may ask for (a year of a five-minute schedule is 105120). */
#define CLI_SCHEDULES_DEFAULT_NEXT 5
#define CLI_SCHEDULES_MAX_NEXT 1000
/* Hosts `show` names where a manual step waits for approval before it
 * only counts them. */
#define CLI_SHOW_WAITING_HOSTS 5
/* Running step keys `workers` lists in its RUNNING column before it only
 * counts. */
#define CLI_WORKERS_MAX_KEYS 3
/* The most `workers --limit` may ask (without it, every worker). */
#define CLI_WORKERS_MAX_LIMIT 100000

/* Incidents listed by `incidents` without --limit, and the most it may
 * ask (the coordinator's own cap, API_MAX_LIST). */
#define CLI_INCIDENTS_DEFAULT_LIMIT 20
/* rota incidents --stats without --since: the last 90 days. */
#define CLI_INCIDENTS_STATS_SINCE_MS (90LL * 86400000)
#define CLI_INCIDENTS_MAX_LIMIT 1000
/* Hosts `incidents` names in its HOSTS column before it only counts. */
#define CLI_INCIDENTS_LIST_HOSTS 3
/* Who an ack, a resolve or an incident opened here is by, when $USER is
 * not set (a cron job, a container). */
#define CLI_DEFAULT_OPERATOR "operator"

/* Audit rows `audit` lists without --limit, and the most it may ask (the
 * coordinator's own cap, AUDIT_MAX_LIST). */
#define CLI_AUDIT_DEFAULT_LIMIT 50
#define CLI_AUDIT_MAX_LIMIT 1000

/* Exit codes: the contract scripts rely on (DESIGN.md, Operator API). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_RUN_FAILED = 1,  /* submit --wait: the run did not succeed */
	CLI_EXIT_USAGE = 2,       /* unknown command or flag, missing argument */
	CLI_EXIT_UNREACHABLE = 3, /* no answer within CLI_TIMEOUT_MS */
	CLI_EXIT_REFUSED = 4,     /* the coordinator answered with an error (a
	                           * role or a runbook's allowed_* too), or with
	                           * an answer rota cannot use */
	/* Never an exit code: session_call_new's "the coordinator does not
	 * know this request" (an older one). */
	CLI_EXIT_UNKNOWN_REQUEST = 100,
};

#endif
