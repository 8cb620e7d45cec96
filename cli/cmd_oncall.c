/* cmd_oncall: rota oncall and rota oncall override (see cmd_oncall.h).
 * Times are RFC 3339 (2026-12-08T10:00:00Z, or with +01:00), or "now". */
#include "cmd_oncall.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "cmd_audit.h"
#include "cmd_note.h"
#include "duration.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "table.h"
#include "usage.h"
#include "xalloc.h"

#define ONCALL_SYNOPSIS "[ROTATION] [--at 2026-12-08T10:00:00Z] [--json]"
#define FEED_SYNOPSIS "ROTATION [--revoke] [--json]"
#define OVERRIDE_SYNOPSIS                                                                          \
	"ROTATION --person P --from 2026-12-24T18:00:00Z --until 2026-12-27T09:00:00Z [--json]"

/* An instant given on the command line: "now" or RFC 3339 (a duration,
 * which --since takes elsewhere, is refused: it would be ambiguous). */
static int
cmd_oncall_time(const char *command, const char *option, const char *arg, int64_t *ms)
{
	uint64_t d;
	if (strcmp(arg, "now") == 0) {
		*ms = clock_wall_ms();
		return CLI_EXIT_OK;
	}
	if (duration_parse(arg, &d) == 0 || cmd_audit_parse_since(arg, 0, ms) != 0 || *ms <= 0)
		return usage_error("%s: --%s takes a time like 2026-12-08T10:00:00Z (with Z or an"
		                   " offset like +01:00) or now, got '%s'",
		                   command, option, arg);
	return CLI_EXIT_OK;
}

typedef struct {
	int64_t at_ms;
	const char *person;
	int64_t from_ms, until_ms;
	bool json;
	bool override;
} cmd_oncall_args_t;

static int
cmd_oncall_take(void *ctx, int ch, char *arg)
{
	cmd_oncall_args_t *a = ctx;
	const char *command = a->override ? "oncall override" : "oncall";
	switch (ch) {
	case 'a':
		return cmd_oncall_time(command, "at", arg, &a->at_ms);
	case 'p':
		a->person = arg;
		return CLI_EXIT_OK;
	case 'f':
		return cmd_oncall_time(command, "from", arg, &a->from_ms);
	case 'u':
		return cmd_oncall_time(command, "until", arg, &a->until_ms);
	default:
		return CLI_EXIT_USAGE;
	}
}

static void
cmd_oncall_when(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	char t[FORMAT_BUF_BYTES];
	format_time(ms, t, sizeof(t));
	snprintf(buf, len, "%s UTC", t);
}

static int
cmd_oncall_shown(const Rota__Response *r, void *ctx)
{
	const cmd_oncall_args_t *a = ctx;
	const Rota__OncallResponse *resp = r->oncall;
	if (a->json) {
		json_t *j = jsondoc_oncall(resp);
		json_print(&j);
		return CLI_EXIT_OK;
	}
	if (resp->n_rotations == 0) {
		printf("no rotations: the coordinator's configuration has none (rotations:)\n");
		return CLI_EXIT_OK;
	}
	static const char *const headers[] = {"ROTATION", "ON CALL", "UNTIL", "NEXT"};
	table_t *t = table_new(4, headers);
	for (size_t i = 0; i < resp->n_rotations; i++) {
		const Rota__OncallRotation *rot = resp->rotations[i];
		char until[FORMAT_BUF_BYTES + 8];
		cmd_oncall_when(rot->until_ms, until, sizeof(until));
		table_row(t);
		table_cell(t, rot->name);
		if (rot->person[0] == '\0')
			table_cell(t, "(nobody)");
		else
			table_cellf(t, "%s%s", rot->person, rot->override ? " (override)" : "");
		table_cell(t, until);
		table_cell(t, rot->next_person[0] ? rot->next_person : "-");
	}
	table_print(t, stdout);
	table_destroy(&t);
	/* The overrides in force or ahead: who set them, for whom to ask. */
	for (size_t i = 0; i < resp->n_rotations; i++) {
		const Rota__OncallRotation *rot = resp->rotations[i];
		for (size_t k = 0; k < rot->n_overrides; k++) {
			const Rota__OncallShift *o = rot->overrides[k];
			char from[FORMAT_BUF_BYTES + 8], until[FORMAT_BUF_BYTES + 8];
			cmd_oncall_when(o->from_ms, from, sizeof(from));
			cmd_oncall_when(o->until_ms, until, sizeof(until));
			char *line = xasprintf(
			    "override: %s covers %s from %s until %s (set by %s)", o->person,
			    rot->name, from, until, o->by && o->by[0] ? o->by : "?");
			format_printable(line);
			printf("%s\n", line);
			free(line);
		}
	}
	return CLI_EXIT_OK;
}

static int
cmd_oncall_overridden(const Rota__Response *r, void *ctx)
{
	const cmd_oncall_args_t *a = ctx;
	const Rota__OncallOverrideResponse *o = r->oncall_override;
	if (a->json) {
		json_t *j = jsondoc_oncall_override(o);
		json_print(&j);
		return CLI_EXIT_OK;
	}
	char from[FORMAT_BUF_BYTES + 8], until[FORMAT_BUF_BYTES + 8];
	cmd_oncall_when(o->from_ms, from, sizeof(from));
	cmd_oncall_when(o->until_ms, until, sizeof(until));
	char *line =
	    xasprintf("%s covers %s from %s until %s (instead of %s); set by %s", o->person,
	              o->rotation, from, until, o->replaces[0] ? o->replaces : "nobody", o->by);
	format_printable(line);
	printf("%s\n", line);
	free(line);
	return CLI_EXIT_OK;
}

static int
cmd_oncall_override(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"person", required_argument, NULL, 'p'},
	    {"from", required_argument, NULL, 'f'},
	    {"until", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	cmd_oncall_args_t args = {.override = true};
	const options_spec_t spec = {
	    .command = "oncall override",
	    .synopsis = OVERRIDE_SYNOPSIS,
	    .shortopts = ":p:f:u:h",
	    .own = own,
	    .take = cmd_oncall_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	args.json = o.json;
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error(
		    "oncall override needs a rotation: rota oncall override " OVERRIDE_SYNOPSIS);
	if (optind + 1 < argc)
		return usage_error("oncall override takes one rotation, got '%s' too",
		                   argv[optind + 1]);
	if (args.person == NULL || args.person[0] == '\0' || args.from_ms == 0 ||
	    args.until_ms == 0)
		return usage_error("oncall override needs --person, --from and --until: rota oncall"
		                   " override " OVERRIDE_SYNOPSIS);
	if (args.until_ms <= args.from_ms)
		return usage_error("oncall override: --until must be after --from");
	Rota__OncallOverrideRequest body = ROTA__ONCALL_OVERRIDE_REQUEST__INIT;
	body.rotation = argv[optind];
	body.person = (char *)args.person;
	body.from_ms = args.from_ms;
	body.until_ms = args.until_ms;
	body.by = (char *)cmd_note_author();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_ONCALL_OVERRIDE;
	req.oncall_override = &body;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_ONCALL_OVERRIDE, cmd_oncall_overridden,
	                  &args);
}

static int
cmd_oncall_fed(const Rota__Response *r, void *ctx)
{
	const cmd_oncall_args_t *a = ctx;
	const Rota__OncallFeedResponse *f = r->oncall_feed;
	if (a->json) {
		json_t *j = jsondoc_oncall_feed(f);
		json_print(&j);
		return CLI_EXIT_OK;
	}
	if (f->url == NULL || f->url[0] == '\0') {
		printf("revoked %u calendar feed link(s) of %s: calendars subscribed to them get"
		       " 403 from now on\n",
		       f->revoked, f->rotation);
		return CLI_EXIT_OK;
	}
	/* The link is the secret: printed alone on its line, to be copied
	 * into a calendar app; the rest goes to stderr. */
	printf("%s\n", f->url);
	fprintf(stderr,
	        "subscribe to this link in a calendar app: it shows %s's shifts without a"
	        " console session; keep it secret (anyone with it can read the rotation);"
	        " rota oncall feed %s --revoke ends every link of the rotation\n",
	        f->rotation, f->rotation);
	return CLI_EXIT_OK;
}

static int
cmd_oncall_take_feed(void *ctx, int ch, char *arg)
{
	(void)arg;
	bool *revoke = ctx;
	if (ch != 'r')
		return CLI_EXIT_USAGE;
	*revoke = true;
	return CLI_EXIT_OK;
}

static int
cmd_oncall_feed(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"revoke", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	bool revoke = false;
	const options_spec_t spec = {
	    .command = "oncall feed",
	    .synopsis = FEED_SYNOPSIS,
	    .shortopts = ":h",
	    .own = own,
	    .take = cmd_oncall_take_feed,
	    .ctx = &revoke,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	cmd_oncall_args_t args = {.json = o.json};
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error("oncall feed needs a rotation: rota oncall feed " FEED_SYNOPSIS);
	if (optind + 1 < argc)
		return usage_error("oncall feed takes one rotation, got '%s' too",
		                   argv[optind + 1]);
	Rota__OncallFeedRequest body = ROTA__ONCALL_FEED_REQUEST__INIT;
	body.rotation = argv[optind];
	body.revoke = revoke;
	body.by = (char *)cmd_note_author();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_ONCALL_FEED;
	req.oncall_feed = &body;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_ONCALL_FEED, cmd_oncall_fed, &args);
}

int
cmd_oncall_command(session_t *s, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "override") == 0)
		return cmd_oncall_override(s, argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "feed") == 0)
		return cmd_oncall_feed(s, argc - 1, argv + 1);
	static const struct option own[] = {
	    {"at", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	cmd_oncall_args_t args = {0};
	const options_spec_t spec = {
	    .command = "oncall",
	    .synopsis = ONCALL_SYNOPSIS,
	    .shortopts = ":a:h",
	    .own = own,
	    .take = cmd_oncall_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	args.json = o.json;
	if (optind + 1 < argc)
		return usage_error("oncall takes at most one rotation, got '%s' too",
		                   argv[optind + 1]);
	Rota__OncallRequest body = ROTA__ONCALL_REQUEST__INIT;
	body.rotation = optind < argc ? argv[optind] : (char *)"";
	body.at_ms = args.at_ms;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_ONCALL;
	req.oncall = &body;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_ONCALL, cmd_oncall_shown, &args);
}
