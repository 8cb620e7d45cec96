/* cmd_note: rota note (see cmd_note.h). The kinds are notekind.h's, the
 * list the coordinator checks too: a bad --kind is a usage error before
 * anything is sent. */
#include "cmd_note.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ask.h"
#include "cli.h"
#include "format.h"
#include "notekind.h"
#include "options.h"
#include "usage.h"
#include "xalloc.h"

#define NOTE_SYNOPSIS "INC-7|RUN TEXT [--kind action|finding|cause|prevention] [--json]"

const char *
cmd_note_author(void)
{
	const char *user = getenv("USER");
	return user != NULL && user[0] != '\0' ? user : CLI_DEFAULT_OPERATOR;
}

char *
cmd_note_line(const Rota__IncidentEvent *e)
{
	return xasprintf("(%s) %s: %s", e->note_kind ? e->note_kind : "",
	                 e->by && e->by[0] ? e->by : "an operator", e->text ? e->text : "");
}

void
cmd_note_json(json_t *j, const Rota__IncidentEvent *e)
{
	json_member_time(j, "at_ms", e->at_ms);
	json_member_string(j, "note_kind", e->note_kind);
	json_member_string(j, "by", e->by);
	json_member_string(j, "text", e->text);
}

/* What was asked, for the answer. */
typedef struct {
	const char **kind;
	bool json;
} cmd_note_args_t;

static int
cmd_note_take(void *ctx, int ch, char *arg)
{
	cmd_note_args_t *a = ctx;
	if (ch != 'k')
		return CLI_EXIT_USAGE;
	if (!notekind_valid(arg))
		return usage_error("note: --kind must be %s, got '%s'", notekind_choices(), arg);
	*a->kind = arg;
	return CLI_EXIT_OK;
}

static int
cmd_note_written(const Rota__Response *r, void *ctx)
{
	const cmd_note_args_t *a = ctx;
	const Rota__NoteResponse *resp = r->note;
	const Rota__IncidentEvent *e = resp->note;
	if (e == NULL)
		return CLI_EXIT_REFUSED;
	bool incident = resp->incident_id != NULL && resp->incident_id[0] != '\0';
	if (a->json) {
		json_t *j = json_new_object();
		json_member_text(j, "incident_id", resp->incident_id);
		json_member_text(j, "run_id", resp->run_id);
		cmd_note_json(j, e);
		json_print_object(&j);
		return CLI_EXIT_OK;
	}
	char at[FORMAT_BUF_BYTES];
	format_time(e->at_ms, at, sizeof(at));
	char *line =
	    xasprintf("noted on %s%s (%s) by %s at %s UTC", incident ? "" : "run ",
	              incident ? resp->incident_id : resp->run_id, e->note_kind, e->by, at);
	format_printable(line);
	printf("%s\n", line);
	free(line);
	return CLI_EXIT_OK;
}

int
cmd_note_write(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"kind", required_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	const char *kind = NOTEKIND_DEFAULT;
	cmd_note_args_t args = {.kind = &kind};
	const options_spec_t spec = {
	    .command = "note",
	    .synopsis = NOTE_SYNOPSIS,
	    .shortopts = ":k:h",
	    .own = own,
	    .take = cmd_note_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	args.json = o.json;
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error(
		    "note needs an incident or a run, and a text: rota note " NOTE_SYNOPSIS);
	if (optind + 1 >= argc || argv[optind + 1][0] == '\0')
		return usage_error("note needs a text, as in rota note %s 'restarted app on api-1'",
		                   argv[optind]);
	if (optind + 2 < argc)
		return usage_error("note takes one text, got '%s' too; quote a text with spaces: "
		                   "rota note %s 'what was done'",
		                   argv[optind + 2], argv[optind]);
	Rota__NoteRequest nr = ROTA__NOTE_REQUEST__INIT;
	nr.target = argv[optind];
	nr.text = argv[optind + 1];
	nr.kind = (char *)kind;
	nr.by = (char *)cmd_note_author();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_NOTE;
	req.note = &nr;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_NOTE, cmd_note_written, &args);
}
