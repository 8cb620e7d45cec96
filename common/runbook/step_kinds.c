/* runbook/step_kinds: the table of step kinds, one row per kind
 * (internal.h, step_kind_t): its name, type, default timeout, where it
 * runs, whether it may run as a user, the kind of spec it becomes, and its
 * functions (parse and lint, render, texts) in its own file, step_*.c.
 * Adding a kind: coordinator/README.md, "How to add a step kind". */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

bool
runbook_type_map(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc,
                 const char *type, const char *const *keys, size_t nkeys, char *where, size_t wlen)
{
	char list[128];

	snprintf(where, wlen, "%s of %s", type, sc->label);
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, v->mark, "'%s' must be a mapping (%s), not %s", type,
		                    runbook_names_join(keys, nkeys, false, list, sizeof(list)),
		                    yamltree_kind_name(v));
		return false;
	}
	runbook_keys_check(c, v, keys, nkeys, where);
	const yamltree_node_t *to = yamltree_map_get(v, "timeout");
	if (to == NULL)
		return true;
	if (sc->step_timeout != NULL)
		yamltree_report_add(c->r, to->mark,
		                    "'timeout' is given both on %s and in its %s; keep one",
		                    sc->label, type);
	else
		runbook_want_duration(c, to, "timeout", &s->timeout_ms);
	return true;
}

/* Every step kind, one row each. The order is the order kinds are listed
 * in messages ("add one of shell, http_check ...") and in a step's keys. */
const step_kind_t step_kinds[STEP_KIND_COUNT] = {
    {
        .info = {.name = "shell",
                 .type = RUNBOOK_STEP_SHELL,
                 .default_timeout_ms = RUNBOOK_DEFAULT_STEP_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_WORKER,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_SHELL},
        .parse = step_shell_parse,
        .render = step_shell_render,
        .texts = step_shell_texts,
        .phrase = step_shell_phrase,
    },
    {
        .info = {.name = "http_check",
                 .type = RUNBOOK_STEP_HTTP_CHECK,
                 .default_timeout_ms = RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_CHECK,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK},
        .parse = step_http_parse,
        .render = step_http_render,
        .texts = step_http_texts,
        .phrase = step_http_phrase,
    },
    {
        .info = {.name = "disk_check",
                 .type = RUNBOOK_STEP_DISK_CHECK,
                 .default_timeout_ms = RUNBOOK_DEFAULT_DISK_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_CHECK,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_DISK_CHECK},
        .parse = step_disk_parse,
        .render = step_disk_render,
        .texts = step_disk_texts,
        .phrase = step_disk_phrase,
    },
    {
        .info = {.name = "metric_check",
                 .type = RUNBOOK_STEP_METRIC_CHECK,
                 .default_timeout_ms = RUNBOOK_DEFAULT_METRIC_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_CHECK,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_METRIC_CHECK},
        .parse = step_metric_parse,
        .render = step_metric_render,
        .texts = step_metric_texts,
        .phrase = step_metric_phrase,
    },
    {
        .info = {.name = "file_check",
                 .type = RUNBOOK_STEP_FILE_CHECK,
                 .default_timeout_ms = RUNBOOK_DEFAULT_FILE_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_CHECK,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_FILE_CHECK},
        .parse = step_file_parse,
        .render = step_file_render,
        .texts = step_file_texts,
        .phrase = step_file_phrase,
    },
    {
        .info = {.name = "tls_check",
                 .type = RUNBOOK_STEP_TLS_CHECK,
                 .default_timeout_ms = RUNBOOK_DEFAULT_TLS_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_CHECK,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_TLS_CHECK},
        .parse = step_tls_parse,
        .render = step_tls_render,
        .texts = step_tls_texts,
        .phrase = step_tls_phrase,
    },
    {
        .info = {.name = "promql_check",
                 .type = RUNBOOK_STEP_PROMQL_CHECK,
                 .default_timeout_ms = RUNBOOK_DEFAULT_PROMQL_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_CHECK,
                 .run_as = true,
                 .spec_case = ROTA__STEP_SPEC__KIND_PROMQL_CHECK},
        .parse = step_promql_parse,
        .render = step_promql_render,
        .texts = step_promql_texts,
        .phrase = step_promql_phrase,
    },
    {
        .info = {.name = "manual",
                 .type = RUNBOOK_STEP_MANUAL,
                 .default_timeout_ms = RUNBOOK_DEFAULT_MANUAL_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_COORDINATOR,
                 .run_as = false,
                 .spec_case = ROTA__STEP_SPEC__KIND_MANUAL},
        .parse = step_manual_parse,
        .render = step_manual_render,
        .texts = step_manual_texts,
        .phrase = step_manual_phrase,
    },
    {
        .info = {.name = "notify",
                 .type = RUNBOOK_STEP_NOTIFY,
                 .default_timeout_ms = RUNBOOK_DEFAULT_NOTIFY_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_COORDINATOR,
                 .run_as = false,
                 .spec_case = ROTA__STEP_SPEC__KIND_NOTIFY},
        .parse = step_notify_parse,
        .render = step_notify_render,
        .texts = step_notify_texts,
        .phrase = step_notify_phrase,
    },
    {
        .info = {.name = "noop",
                 .type = RUNBOOK_STEP_NOOP,
                 .default_timeout_ms = RUNBOOK_DEFAULT_NOOP_TIMEOUT_MS,
                 .runs_on = RUNBOOK_RUNS_WORKER,
                 .run_as = false,
                 .spec_case = ROTA__STEP_SPEC__KIND_NOOP},
        .parse = step_noop_parse,
        .render = step_noop_render,
        .texts = step_noop_texts,
        .phrase = step_noop_phrase,
    },
    {
        /* No spec of its own: spliced away before anything runs. */
        .info = {.name = "runbook",
                 .type = RUNBOOK_STEP_RUNBOOK,
                 .default_timeout_ms = 0,
                 .runs_on = RUNBOOK_RUNS_INLINE,
                 .run_as = false,
                 .spec_case = ROTA__STEP_SPEC__KIND__NOT_SET},
        .parse = step_runbook_parse,
        .render = step_runbook_render,
        .texts = step_runbook_texts,
        .phrase = step_runbook_phrase,
    },
};
_Static_assert(COUNT_OF(step_kinds) == STEP_KIND_COUNT, "STEP_KIND_COUNT is the table's size");

const step_kind_t *
step_kind_find(runbook_step_type_t type)
{
	for (size_t i = 0; i < COUNT_OF(step_kinds); i++)
		if (step_kinds[i].info.type == type)
			return &step_kinds[i];
	return NULL;
}

const runbook_step_info_t *
runbook_step_info(runbook_step_type_t type)
{
	const step_kind_t *k = step_kind_find(type);
	return k != NULL ? &k->info : NULL;
}

const runbook_step_info_t *
runbook_step_info_of_spec(int spec_case)
{
	for (size_t i = 0; i < COUNT_OF(step_kinds); i++)
		if (step_kinds[i].info.spec_case == spec_case &&
		    spec_case != ROTA__STEP_SPEC__KIND__NOT_SET)
			return &step_kinds[i].info;
	return NULL;
}

size_t
runbook_step_texts(const runbook_step_t *step, const char **out)
{
	const step_kind_t *k = step_kind_find(step->type);
	const char *all[RUNBOOK_STEP_MAX_TEXTS];
	size_t n = 0, count = k != NULL ? k->texts(step, all) : 0;

	for (size_t i = 0; i < count; i++)
		if (all[i] != NULL)
			out[n++] = all[i];
	return n;
}

/* ---- what a step does, in words (runbook_step_phrase) ---- */

static void
phrase_add(runbook_phrase_t *p, const char *text, bool code)
{
	if (text == NULL || p->count >= RUNBOOK_PHRASE_MAX)
		return;
	p->parts[p->count++] = (runbook_phrase_part_t){.text = text, .code = code};
}

void
runbook_phrase_words(runbook_phrase_t *p, const char *words)
{
	phrase_add(p, words, false);
}

void
runbook_phrase_code(runbook_phrase_t *p, const char *value)
{
	phrase_add(p, value, true);
}

const char *
runbook_phrase_own(runbook_phrase_t *p, char *text)
{
	if (p->owned_count >= COUNT_OF(p->owned)) {
		free(text);
		return "";
	}
	p->owned[p->owned_count++] = text;
	return text;
}

void
runbook_step_phrase(const runbook_step_t *step, runbook_phrase_t *out)
{
	*out = (runbook_phrase_t){0};
	const step_kind_t *k = step_kind_find(step->type);
	if (k != NULL && k->phrase != NULL) {
		k->phrase(step, out);
		return;
	}
	/* A kind with no words of its own: its name and its fields. */
	const char *texts[RUNBOOK_STEP_MAX_TEXTS];
	size_t n = runbook_step_texts(step, texts);
	runbook_phrase_words(out, "runs a ");
	runbook_phrase_words(out, k != NULL ? k->info.name : "step of an unknown kind");
	runbook_phrase_words(out, k != NULL ? " step" : "");
	for (size_t i = 0; i < n; i++) {
		runbook_phrase_words(out, i == 0 ? " with " : ", ");
		runbook_phrase_code(out, texts[i]);
	}
}

void
runbook_phrase_clear(runbook_phrase_t *p)
{
	for (size_t i = 0; i < p->owned_count; i++)
		free(p->owned[i]);
	*p = (runbook_phrase_t){0};
}

char *
runbook_phrase_text(const runbook_phrase_t *p)
{
	size_t len = 1;
	for (size_t i = 0; i < p->count; i++)
		len += strlen(p->parts[i].text);
	char *s = xmalloc(len), *at = s;
	for (size_t i = 0; i < p->count; i++) {
		size_t n = strlen(p->parts[i].text);
		memcpy(at, p->parts[i].text, n);
		at += n;
	}
	*at = '\0';
	return s;
}
