/* cmd_review: rota incident review (see cmd_review.h).
 *
 * One ShowIncident (ask's round trip, as every command asks), then, while
 * its answer is held, one ShowRun per run of the incident: an incident has
 * a handful of runs, and each answer is bounded (docs/protocol.md,
 * "Bounded answers"), so the review costs the coordinator no more than an
 * operator reading them one by one. */
#include "cmd_review.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ask.h"
#include "cli.h"
#include "client.h"
#include "clock.h"
#include "incidentreview.h"
#include "options.h"
#include "outfile.h"
#include "usage.h"
#include "xalloc.h"

#define REVIEW_SYNOPSIS "review INC-7 [--out FILE]"

static int
cmd_review_take(void *ctx, int ch, char *arg)
{
	if (ch != 'o')
		return CLI_EXIT_USAGE;
	if (arg[0] == '\0')
		return usage_error("incident review: --out needs a file, as in --out INC-7.md");
	*(const char **)ctx = arg;
	return CLI_EXIT_OK;
}

/* What the review needs besides the incident: the session to ask for its
 * runs, and where to write. */
typedef struct {
	session_t *s;
	const char *out; /* --out FILE, or NULL: stdout */
} cmd_review_ctx_t;

/* The incident's answer (borrowed for the call): each run's steps asked
 * for, the review rendered and written; the command's exit code. */
static int
cmd_review_answered(const Rota__Response *r, void *ctx)
{
	const cmd_review_ctx_t *c = ctx;
	const Rota__ShowIncidentResponse *inc = r->incident_show;
	if (inc->incident == NULL) {
		fprintf(stderr, "rota: the coordinator's answer has no incident in it; are rota "
		                "and rota-coordinator the same version?\n");
		return CLI_EXIT_REFUSED;
	}

	/* Each run's steps; owned here, freed below. */
	Rota__Envelope **run_replies = xcalloc(inc->n_runs + 1, sizeof(*run_replies));
	Rota__ShowRunResponse **runs = xcalloc(inc->n_runs + 1, sizeof(*runs));
	size_t n = 0;
	int rc = CLI_EXIT_OK;
	for (size_t i = 0; i < inc->n_runs && rc == CLI_EXIT_OK; i++) {
		Rota__ShowRunRequest sr = ROTA__SHOW_RUN_REQUEST__INIT;
		sr.run_id = inc->runs[i]->id;
		Rota__Request rreq = ROTA__REQUEST__INIT;
		rreq.body_case = ROTA__REQUEST__BODY_SHOW;
		rreq.show = &sr;
		rc = session_call(c->s, &rreq, ROTA__RESPONSE__BODY_SHOW, &run_replies[n]);
		if (rc == CLI_EXIT_OK) {
			runs[n] = run_replies[n]->response->show;
			n++;
		} else if (rc == CLI_EXIT_REFUSED) {
			/* Pruned by retention: listed from its summary only. */
			rc = CLI_EXIT_OK;
		}
	}
	if (rc == CLI_EXIT_OK) {
		char *doc = incidentreview_render(inc, runs, n, clock_wall_ms());
		if (c->out == NULL)
			fputs(doc, stdout);
		else if (outfile_write(c->out, doc) != 0)
			rc = CLI_EXIT_RUN_FAILED;
		else
			printf("wrote the review of %s to %s\n", inc->incident->id, c->out);
		free(doc);
	}
	for (size_t i = 0; i < n; i++)
		client_reply_free(&run_replies[i]);
	free(run_replies);
	free(runs);
	return rc;
}

int
cmd_review_write(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"out", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	const options_spec_t spec = {
	    .command = "incident review",
	    .synopsis = REVIEW_SYNOPSIS,
	    .shortopts = ":h",
	    .no_json = true,
	    .own = own,
	    .take = cmd_review_take,
	    .ctx = &out,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error("incident review needs an incident id, as in 'rota incident "
		                   "review INC-7' (see 'rota incidents')");
	if (optind + 1 < argc)
		return usage_error("incident review takes one id, got '%s' too; usage: rota "
		                   "incident " REVIEW_SYNOPSIS,
		                   argv[optind + 1]);

	Rota__ShowIncidentRequest show = ROTA__SHOW_INCIDENT_REQUEST__INIT;
	show.id = argv[optind];
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENT_SHOW;
	req.incident_show = &show;
	cmd_review_ctx_t ctx = {.s = s, .out = out};
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_INCIDENT_SHOW, cmd_review_answered, &ctx);
}
