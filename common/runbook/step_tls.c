/* runbook/step_tls: the tls_check step kind: a TLS server's certificate,
 * verified for a name and checked for the days it has left; run by the
 * worker's rota-check helper. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

static const char *const keys_tls[] = {"url", "min_days_left", "server_name", "ca_file", "timeout"};

void
step_tls_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "tls_check", keys_tls, COUNT_OF(keys_tls), where,
	                      sizeof(where)))
		return;
	s->url = runbook_field_text(c, v, "url", true, where);
	if (s->url != NULL && !runbook_text_templated(s->url) &&
	    strncasecmp(s->url, "https://", 8) != 0)
		yamltree_report_add(
		    c->r, yamltree_map_get(v, "url")->mark,
		    "%s checks a TLS server: its 'url' must be https://HOST[:PORT], "
		    "not '%s'",
		    where, yamltree_shown(s->url).s);
	s->min_days_left = runbook_field_text(c, v, "min_days_left", false, where);
	s->server_name = runbook_field_text(c, v, "server_name", false, where);
	s->ca_file = runbook_field_text(c, v, "ca_file", false, where);
}

void
step_tls_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__TlsCheckSpec *tls = render_alloc(r, sizeof(*tls));

	rota__tls_check_spec__init(tls);
	tls->url = (char *)render_field(r, "url", step->url);
	if (tls->url != NULL && strncasecmp(tls->url, "https://", 8) != 0)
		render_fail(r, "'url' is '%s', not an https:// URL", tls->url);
	if (step->min_days_left) {
		const char *v = render_field(r, "min_days_left", step->min_days_left);
		tls->min_days_left = v != NULL ? (uint32_t)strtoul(v, NULL, 10) : 0;
	}
	if (step->server_name)
		tls->server_name = (char *)render_field(r, "server_name", step->server_name);
	if (step->ca_file)
		tls->ca_file = (char *)render_field(r, "ca_file", step->ca_file);
	ss->kind_case = ROTA__STEP_SPEC__KIND_TLS_CHECK;
	ss->tls_check = tls;
}

size_t
step_tls_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->url;
	out[1] = s->min_days_left;
	out[2] = s->server_name;
	out[3] = s->ca_file;
	return 4;
}

void
step_tls_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "checks that the certificate of ");
	runbook_phrase_code(out, s->url);
	runbook_phrase_words(out, " is valid for ");
	runbook_phrase_words(out, s->min_days_left != NULL ? s->min_days_left : "some");
	runbook_phrase_words(out, " more days");
}
