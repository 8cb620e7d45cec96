/* cmd_approval: approve and reject, one request each.
 *
 * Must never: send a decision the operator did not spell out. A missing
 * or extra argument is a usage error before anything reaches the
 * coordinator, since a decision cannot be taken back. */
#include "cmd_approval.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ask.h"
#include "cli.h"
#include "cmd_note.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "usage.h"

#define APPROVAL_SYNOPSIS "RUN STEP [--note TEXT] [--json]"

/* What the operator decided, for the answer. */
typedef struct {
	const char *run_id;
	const char *step_id;
	const char *note;
	bool reject;
	bool json;
} cmd_approval_t;

static int
cmd_approval_decided(const Rota__Response *r, void *ctx)
{
	const cmd_approval_t *asked = ctx;
	const Rota__ApproveResponse *resp = r->approve;
	/* The coordinator's names win: it resolved "last" to a run. */
	const char *run =
	    resp->run_id != NULL && resp->run_id[0] != '\0' ? resp->run_id : asked->run_id;
	const char *step =
	    resp->step_id != NULL && resp->step_id[0] != '\0' ? resp->step_id : asked->step_id;

	if (asked->json) {
		json_t *j = json_new_object();
		json_member_string(j, "run_id", run);
		json_member_string(j, "step_id", step);
		json_member_string(j, "decision", asked->reject ? "rejected" : "approved");
		json_member_uint(j, "hosts", resp->hosts);
		json_member_string(j, "note", asked->note);
		json_print_object(&j);
	} else {
		char *line = format_approval(asked->reject, step, run, resp->hosts);
		format_printable(line);
		printf("%s\n", line);
		free(line);
	}
	return CLI_EXIT_OK;
}

static int
cmd_approval_decide(session_t *s, int argc, char **argv, bool reject)
{
	const char *cmd = reject ? "reject" : "approve";
	const options_spec_t spec = {
	    .command = cmd,
	    .synopsis = APPROVAL_SYNOPSIS,
	    .shortopts = ":h",
	    .note_example = "dashboard is green",
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	const char *note = o.note;
	bool json = o.json;
	int nargs = argc - optind;
	if (nargs == 0)
		return usage_error("%s needs RUN and STEP: rota %s last confirm (the step "
		                   "that waits is named by 'rota show RUN')",
		                   cmd, cmd);
	if (nargs == 1)
		return usage_error("%s needs RUN and STEP, got only '%s': rota %s %s STEP, "
		                   "such as rota %s last confirm",
		                   cmd, argv[optind], cmd, argv[optind], cmd);
	if (nargs > 2)
		return usage_error("%s takes RUN and STEP, got '%s' too; a note with spaces "
		                   "goes in quotes: --note 'text'",
		                   cmd, argv[optind + 2]);
	const char *run_id = argv[optind];
	const char *step_id = argv[optind + 1];
	if (run_id[0] == '\0')
		return usage_error("%s: the run id is empty; give one from 'rota runs', or 'last'",
		                   cmd);
	if (step_id[0] == '\0')
		return usage_error("%s: the step id is empty; 'rota show %s' names the step that "
		                   "waits",
		                   cmd, run_id);

	Rota__ApproveRequest ap = ROTA__APPROVE_REQUEST__INIT;
	ap.run_id = (char *)run_id;
	ap.step_id = (char *)step_id;
	ap.reject = reject;
	if (note != NULL)
		ap.note = (char *)note;
	ap.by = (char *)cmd_note_author();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_APPROVE;
	req.approve = &ap;
	cmd_approval_t asked = {run_id, step_id, note, reject, json};
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_APPROVE, cmd_approval_decided, &asked);
}

int
cmd_approval_approve(session_t *s, int argc, char **argv)
{
	return cmd_approval_decide(s, argc, argv, false);
}

int
cmd_approval_reject(session_t *s, int argc, char **argv)
{
	return cmd_approval_decide(s, argc, argv, true);
}
