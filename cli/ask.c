/* ask: a request, its answer printed, the answer freed (see ask.h).
 *
 * Must never: print anything of an answer session_call refused; the
 * printers only ever see a Response with the body they expect. */
#include "ask.h"

#include "cli.h"
#include "client.h"

int
ask_answer(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect, ask_answer_fn answer,
           void *ctx)
{
	Rota__Envelope *reply;
	int rc = session_call(s, req, expect, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = answer(reply->response, ctx);
	client_reply_free(&reply);
	return rc;
}

/* ask_print's printer as an ask_answer_fn: ctx is the ask_print_fn. A
 * struct carries it, as a function pointer does not convert to void *. */
typedef struct {
	ask_print_fn print;
} ask_printer_t;

static int
ask_print_answer(const Rota__Response *resp, void *ctx)
{
	const ask_printer_t *p = ctx;
	p->print(resp);
	return CLI_EXIT_OK;
}

int
ask_print(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect, ask_print_fn print)
{
	ask_printer_t p = {print};
	return ask_answer(s, req, expect, ask_print_answer, &p);
}
