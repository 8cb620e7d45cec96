/* usage: help text and usage errors.
 *
 * Must never: print a usage error without saying how to fix it. */
#include "usage.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>

#include "cli.h"

void
usage_print(FILE *out)
{
	fputs("usage: rota [--coordinator EP] [--key FILE --coordinator-key FILE] COMMAND [ARGS]\n"
	      "\n"
	      "Runs:\n"
	      "  submit RUNBOOK|FILE [--target ID|label=value]... [-p key=value]...\n"
	      "         [--incident INC-7] [--force] [--wait] [--json]\n"
	      "        Start a run of a loaded runbook, or of a YAML file, and print its id.\n"
	      "        A file is an ad-hoc run, named adhoc:NAME: admins only, unless\n"
	      "        operators.yaml gives the operator 'adhoc: true'.\n"
	      "        --wait follows it to the end and exits 0 only if it succeeded.\n"
	      "        --incident links the run to an incident (its timeline says so).\n"
	      "        --force runs on hosts in a maintenance window too (refused without).\n"
	      "        --param-file key=PATH takes a value from a file (a secret stays out\n"
	      "        of ps); submit and incident open both take it. An incident runbook\n"
	      "        takes its alert's values by hand: -p alert.labels.NAME=VALUE.\n"
	      "  runs [--runbook R] [--status S] [--host H] [--trigger T] [--since T]\n"
	      "       [--until T] [--before ID] [--limit N] [--json]\n"
	      "        List recent runs, newest first: how each started (manual or schedule),\n"
	      "        and why one failed or was skipped. The filters narrow it (a time is a\n"
	      "        duration back from now, 7d, or RFC 3339); a full page says on stderr\n"
	      "        the --before ID that gives the next.\n"
	      "  history RUNBOOK [--since 30d|RFC3339] [--json]\n"
	      "        What a runbook's runs came to: counts, success rate, p50/p95 duration,\n"
	      "        failures by host and by step, the last failure's reason.\n"
	      "  search TEXT [--runbook R] [--host H] [--since 7d|RFC3339] [--limit N]\n"
	      "       [--context N] [--json]\n"
	      "        Stored step output holding TEXT's words as a phrase (any case): run,\n"
	      "        host, step, time and the line with --context lines around it (2).\n"
	      "        The index holds only what was stored: secrets are masked there.\n"
	      "  show RUN [--json]\n"
	      "        One run: its params and where each came from (default, vars, alert,\n"
	      "        -p), every host, every step (each try of a retried one), the last\n"
	      "        lines of output (a preview: at most 4 KiB a step, 1 MiB in all; a cut\n"
	      "        one says so, and rota logs shows it all), and the commands for a\n"
	      "        step waiting for approval.\n"
	      "  logs RUN [--host H] [-f] [--raw]\n"
	      "        A run's output, each line prefixed with host and step; -f follows it.\n"
	      "        Control characters and invalid UTF-8 are shown escaped (\\x1b, U+FFFD);\n"
	      "        --raw prints the steps' bytes as they are.\n"
	      "  approve RUN STEP [--note TEXT] [--json]\n"
	      "  reject RUN STEP [--note TEXT] [--json]\n"
	      "        Answer a manual step waiting in a run, on every host waiting at it:\n"
	      "        approve lets the run go on, reject fails the step. Exits 4 if the\n"
	      "        step is not waiting.\n"
	      "          rota approve last confirm --note 'dashboard is green'\n"
	      "          rota reject 20261123-080000-4e0099 confirm\n"
	      "  cancel RUN [--host H] [--note TEXT] [--json]\n"
	      "        Stop a run (or only its steps on host H): pending steps are cancelled,\n"
	      "        running ones are killed (SIGTERM, then SIGKILL after 5 s) by their\n"
	      "        workers. Returns once every one has stopped, or its worker was\n"
	      "        declared lost. Exits 4 if the run has already ended.\n"
	      "          rota cancel last\n"
	      "          rota cancel 20261123-080000-4e0099 --host web-2 --note 'disk full'\n"
	      "\n"
	      "Incidents:\n"
	      "  incident open RUNBOOK --title TEXT [--severity P1..P4] [--target T]...\n"
	      "        [-p key=value]... [--json]\n"
	      "        Open an incident and start RUNBOOK for it (severity: P1 most urgent;\n"
	      "        default the runbook's; a title of 512 bytes at most). Its escalation\n"
	      "        policy notifies tier 1 at once and climbs until someone\n"
	      "        acknowledges it.\n"
	      "          rota incident open low-disk-space --severity P2 \\\n"
	      "              --title 'db-1 disk full' --target db-1\n"
	      "  incidents [--open|--all] [--limit N] [--json]\n"
	      "        Recent incidents (--open: not resolved), with when each escalates next;\n"
	      "        those an alert opened for a host in maintenance are 'suppressed'.\n"
	      "  incidents --stats [--since 90d] [--json]\n"
	      "        Incidents by severity: count, time to acknowledge and to resolve\n"
	      "        (p50, p95).\n"
	      "  maintenance start --target HOST|label=value|all --for 2h --reason TEXT\n"
	      "                    [--freeze] [--json]\n"
	      "        Hosts in maintenance: scheduled runs skip them, their alerts page no\n"
	      "        one, submit to them needs --force. --freeze (with --target all)\n"
	      "        pauses every schedule but runbooks marked 'maintenance: ignore'.\n"
	      "  maintenance list [--json]\n"
	      "  maintenance end ID [--json]\n"
	      "        Windows active and planned (MW-3; MW-NAME from the configuration);\n"
	      "        end one early (MW-NAME: its current occurrence; the next begins on\n"
	      "        schedule). A freeze, or --target all for over 4h, needs admin.\n"
	      "  incident show ID [--json]\n"
	      "        One incident: its timeline, every notification (FAILED ones marked)\n"
	      "        and its runs. ID is INC-7, inc-7 or 7.\n"
	      "  ack ID [--note TEXT] [--json]\n"
	      "        Acknowledge: stops the escalation. Exits 4 if it is acknowledged or\n"
	      "        resolved already.\n"
	      "  resolve ID [--note TEXT] [--cancel-runs] [--json]\n"
	      "        Resolve: every channel that was notified is told, and its runs' notify\n"
	      "        steps are suppressed; --cancel-runs cancels its runs still going.\n"
	      "        Exits 4 if it is resolved already.\n"
	      "          rota resolve INC-7 --note 'rotated logs, 40% free'\n"
	      "  note INC-7|RUN TEXT [--kind action|finding|cause|prevention] [--json]\n"
	      "        Write on an incident's timeline (also once resolved) or on a run,\n"
	      "        with your name and the time; --kind is action by default.\n"
	      "  oncall [ROTATION] [--at TIME] [--json]\n"
	      "        Who is on call now (or at TIME, RFC 3339) and who is next, per rotation.\n"
	      "  oncall override ROTATION --person P --from TIME --until TIME [--json]\n"
	      "        P covers the rotation from TIME until TIME (kept across restarts).\n"
	      "          rota oncall override primary --person carol \\\n"
	      "            --from 2026-12-24T18:00:00Z --until 2026-12-27T09:00:00Z\n"
	      "  oncall feed ROTATION [--revoke] [--json]\n"
	      "        A secret link to the rotation's calendar (.ics) for a calendar app, no\n"
	      "        sign-in needed; --revoke ends every link of the rotation.\n"
	      "  incident review ID [--out FILE]\n"
	      "        A post-incident review in Markdown: severity, times to acknowledge and\n"
	      "        resolve, the timeline of events, runs, notifications and notes, the\n"
	      "        impact, and root cause, resolution and prevention from its notes.\n"
	      "\n"
	      "Runbooks:\n"
	      "  runbooks [--json]\n"
	      "        The coordinator's runbooks: loaded, invalid (not served), or stale (the\n"
	      "        file is invalid; the version loaded before is still served), with the\n"
	      "        errors of each file that is not loaded. 'runbooks NAME' is an alias of\n"
	      "        'runbook show NAME'.\n"
	      "  runbook show NAME [--markdown|--json]  |  runbook show --file PATH [--json]\n"
	      "        A runbook as a document (Markdown by default): alert description,\n"
	      "        immediate actions, investigation, resolution, verification, prevention,\n"
	      "        escalation with the policy's real tiers, params, targets, schedule and\n"
	      "        its next fire times, and the file's lint errors. --json is the same\n"
	      "        document as GET /v1/runbooks/NAME and the console's runbook page.\n"
	      "        --file renders a local file without asking the coordinator.\n"
	      "  runbook docs --out DIR\n"
	      "        Every runbook's page (DIR/NAME.md) and an index by category.\n"
	      "  reload [--json]\n"
	      "        Reread the coordinator's runbook directory and its configuration's\n"
	      "        maintenance: windows, and say what changed (a bad configuration\n"
	      "        is refused: nothing reloaded).\n"
	      "        Exits 1 if a file is invalid (its errors are printed).\n"
	      "  schedules [--json]\n"
	      "        Scheduled runbooks: cron line, timezone, next fire time (in its zone\n"
	      "        and in UTC) and the last run.\n"
	      "  schedules [--next N] RUNBOOK|FILE [--json]\n"
	      "        The next N (default 5) fire times of one schedule. A FILE (a path,\n"
	      "        or a name ending in .yaml or .yml) is read here, without asking the\n"
	      "        coordinator: the way to check a cron line before installing it.\n"
	      "        Exits 1 if the file is invalid or has no schedule.\n"
	      "          rota schedules --next 3 daily-health-check\n"
	      "          rota schedules --next 10 ./backup.yaml\n"
	      "\n"
	      "Fleet:\n"
	      "  workers [--limit N] [--json]\n"
	      "        Workers the coordinator knows (the first N by id), their state\n"
	      "        (connected, stopping, lost, or reconnecting: known from before a\n"
	      "        restart and not back yet), and what they run. Manual steps waiting\n"
	      "        for approval run on no worker.\n"
	      "  workers remove ID [--json]\n"
	      "        Forget a worker that is gone for good (a decommissioned host): it no\n"
	      "        longer shows as lost nor is recorded unreachable by new runs. Exits 4\n"
	      "        while it is connected or an active run has a step left on it (admin\n"
	      "        only). Its key, if listed, still lets it connect and be known again.\n"
	      "  status [--json]\n"
	      "        The coordinator: version, uptime, endpoints, CURVE or --insecure, who\n"
	      "        you are to it and your role, workers, active runs, open incidents,\n"
	      "        the store's size and retention's last pass.\n"
	      "  audit [--since 1h|RFC3339] [--limit N] [--json]\n"
	      "        Who did what: every state-changing request (ok, refused, failed)\n"
	      "        and every refused key, oldest first (admin only).\n"
	      "          rota audit --since 2h\n"
	      "  keys [--json]\n"
	      "        The keys the coordinator admits now: workers (connected or not) and\n"
	      "        operators with their roles, as fingerprints, and its own key's\n"
	      "        fingerprint (admin only).\n"
	      "  prune [--dry-run] [--json]\n"
	      "        Retention now: delete what is older than the coordinator's retention\n"
	      "        keeps (runs, outputs, audit, notifications, incidents), per table;\n"
	      "        --dry-run only counts what would go (admin only).\n"
	      "  backup FILE [--no-wait] [--json]\n"
	      "        Copy the coordinator's store to FILE while it keeps working, with\n"
	      "        FILE.sha256 beside it. FILE is an absolute path on the coordinator's\n"
	      "        host (not here), new, below its backup_dir if it has one; waits for\n"
	      "        the copy and exits 1 if it failed (admin only). On PostgreSQL, use\n"
	      "        pg_dump. Restore: rota-coordinator --restore FILE --data-dir DIR.\n"
	      "          rota backup /var/backups/rota/rota-$(date +%F).db\n"
	      "  web login [--json]\n"
	      "        A one-time link (5 minutes, single use) that signs a browser in to\n"
	      "        the web console as you, with your role, for 12 hours.\n"
	      "  web logout [--all] [--json]\n"
	      "        End your console sessions and unused links (--all: everyone's,\n"
	      "        admin only).\n"
	      "  keygen NAME [--out DIR] [--force]\n"
	      "        Make a CURVE key pair: DIR/NAME.key (public: list it on the\n"
	      "        coordinator) and DIR/NAME.key_secret (mode 0600, stays here).\n"
	      "  lint [--json] FILE...\n"
	      "        Check runbook files here, without a coordinator: each error as\n"
	      "        file:line:column: message on stdout, then a summary line.\n"
	      "\n"
	      "RUN is a run id, a unique start or end of one, or 'last'.\n"
	      "\n"
	      "Options:\n"
	      "  --coordinator EP  operator API endpoint (default " CLI_DEFAULT_ENDPOINT ",\n"
	      "                    or $" CLI_ENDPOINT_ENV ")\n"
	      "  --key FILE        your CURVE secret key (or $" CLI_KEY_ENV ")\n"
	      "  --coordinator-key FILE\n"
	      "                    the coordinator's public key (or $" CLI_COORDINATOR_KEY_ENV ")\n"
	      "                    All three may come from $ROTA_CONFIG or ~/.config/rota/config\n"
	      "                    (rota-coordinator --init writes one).\n"
	      "  --help            this text\n"
	      "  --version         rota's version\n"
	      "\n"
	      "Roles: viewer (lists, show, logs, history, search, status, oncall), operator\n"
	      "(and submit, cancel, approve, reject, incident open, ack, resolve, note,\n"
	      "oncall override and feed, maintenance start and end), admin\n"
	      "(and reload, audit, workers remove, keys, backup, prune, web logout --all).\n"
	      "\n"
	      "Exit status: 0 ok, 1 run failed (--wait), a backup failed, a runbook invalid "
	      "(reload,\n"
	      "schedules FILE) or lint found errors, 2 usage, 3 coordinator unreachable,\n"
	      "4 refused by the coordinator (also: your role does not allow it).\n",
	      out);
}

static void usage_verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
usage_verror(const char *fmt, va_list ap)
{
	fputs("rota: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nRun 'rota --help' for usage.\n", stderr);
}

int
usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_verror(fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

int
usage_getopt_error(const char *command, const char *synopsis, int ch, char *const argv[])
{
	/* getopt leaves optind past the offending word; for an unknown
	 * letter inside a cluster ("-xq") optopt names the letter. */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	const char *sep = command != NULL ? ": " : "";
	const char *space = command != NULL ? " " : "";
	if (command == NULL)
		command = "";
	if (ch == ':')
		return usage_error("%s%soption '%s' needs a value; usage: rota %s%s%s", command,
		                   sep, word, command, space, synopsis);
	if (optopt != 0 && word[0] == '-' && word[1] != '-')
		return usage_error("%s%sunknown option '-%c'; usage: rota %s%s%s", command, sep,
		                   optopt, command, space, synopsis);
	return usage_error("%s%sunknown option '%s'; usage: rota %s%s%s", command, sep, word,
	                   command, space, synopsis);
}

int
usage_parse_count(const char *text, unsigned max, unsigned *out)
{
	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}
