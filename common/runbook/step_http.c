/* runbook/step_http: the http_check step kind: a request whose answer
 * must have a status (and a text in its body); run by the worker's
 * rota-check helper. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_http[] = {"url", "method", "expect_status", "body_contains",
                                        "timeout"};
static const char *const names_method[] = {"GET", "HEAD", "POST", "PUT", "DELETE"};

void
step_http_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "http_check", keys_http, COUNT_OF(keys_http), where,
	                      sizeof(where)))
		return;
	s->url = runbook_field_text(c, v, "url", true, where);
	s->method = runbook_field_enum(c, v, "method", names_method, COUNT_OF(names_method));
	s->expect_status = runbook_field_text(c, v, "expect_status", false, where);
	s->body_contains = runbook_field_text(c, v, "body_contains", false, where);
	if (s->body_contains != NULL && s->method != NULL && strcmp(s->method, "HEAD") == 0)
		yamltree_report_add(
		    c->r, yamltree_map_get(v, "body_contains")->mark,
		    "'body_contains' cannot be checked with method HEAD (its answer has "
		    "no body)");
}

void
step_http_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__HttpCheckSpec *http = render_alloc(r, sizeof(*http));

	rota__http_check_spec__init(http);
	http->url = (char *)render_field(r, "url", step->url);
	http->method = step->method ? (char *)render(r, step->method) : (char *)"";
	http->expect_status = step->expect_status
	                          ? (uint32_t)render_double(r, "expect_status", step->expect_status)
	                          : 200;
	http->body_contains =
	    step->body_contains ? (char *)render(r, step->body_contains) : (char *)"";
	ss->kind_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK;
	ss->http_check = http;
}

size_t
step_http_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->url;
	out[1] = s->method;
	out[2] = s->expect_status;
	out[3] = s->body_contains;
	return 4;
}

void
step_http_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "checks that ");
	runbook_phrase_words(out, s->method != NULL ? s->method : "GET");
	runbook_phrase_words(out, " ");
	runbook_phrase_code(out, s->url);
	runbook_phrase_words(out, " answers ");
	runbook_phrase_words(out, s->expect_status != NULL ? s->expect_status : "200");
	if (s->body_contains != NULL) {
		runbook_phrase_words(out, " with ");
		runbook_phrase_code(out, s->body_contains);
		runbook_phrase_words(out, " in its body");
	}
}
