/* fuzz_runbook: any bytes as a runbook file.
 *
 * runbook_parse_string, then runbook_errors_format and runbook_destroy, as
 * `rota lint` and the catalog use them; a runbook that parses is walked the
 * way launching it does (params checked against their defaults, steps
 * found by id, fields rechecked) and read as a document (its Markdown and
 * its JSON, runbookdoc.h). runbook.h promises: never crash or hang, and
 * never a runbook together with an error. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "runbook.h"
#include "runbookdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *key, const char *value)
{
	if (value != NULL)
		free(runbook_field_check(key, value));
}

static void
walk(const runbook_t *rb)
{
	for (size_t i = 0; i < rb->param_count; i++) {
		const runbook_param_t *p = &rb->params[i];
		if (runbook_param_find(rb, p->name) == NULL)
			abort();
		if (p->default_value != NULL)
			free(runbook_param_check(p, p->default_value));
	}
	for (size_t i = 0; i < rb->step_count; i++) {
		const runbook_step_t *s = &rb->steps[i];
		/* step ids are unique: each finds itself */
		if (runbook_step_find(rb, s->id) != (int)i)
			abort();
		(void)runbook_step_type_name(s->type);
		check_field("url", s->url);
		check_field("path", s->path);
		check_field("expect_status", s->expect_status);
		check_field("min_free_pct", s->min_free_pct);
		check_field("min_free_bytes", s->min_free_bytes);
		check_field("metric", s->metric);
		check_field("value", s->value);
	}
	(void)runbook_amount_of(rb->targets.batch, 7);
	(void)runbook_amount_of(rb->targets.max_failures, 7);
	/* Its document, in both outputs of the one model. */
	runbookdoc_t *doc = runbookdoc_new(rb, NULL);
	free(runbookdoc_markdown(doc));
	json_t *j = json_new_object();
	runbookdoc_json(j, doc);
	json_object_end(j);
	json_destroy(&j);
	runbookdoc_free(&doc);
}

/* What a runbook step of the input calls: the input itself under its own
 * name (a cycle), else a small runbook of that name with one param. */
typedef struct {
	const char *text, *name;
	char child[256];
} fuzz_books_t;

static const char *
self_resolve(void *ctx, const char *name, const char **path)
{
	fuzz_books_t *b = ctx;
	*path = name;
	if (strcmp(name, b->name) == 0)
		return b->text;
	snprintf(b->child, sizeof(b->child),
	         "name: %s\nparams: {p: {default: x}}\nsteps: [{id: s, noop: {}}]\n", name);
	return b->child;
}

static void
expand(runbook_t *rb, const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	runbook_errors_t errs = {0};
	fuzz_books_t books = {.text = text, .name = rb->name};
	if (runbook_expand(rb, self_resolve, &books, &errs) == 0) {
		if (errs.count > 0)
			abort();
		char *bundle = runbook_bundle(rb, text);
		runbook_t *again = runbook_parse_string(bundle, strlen(bundle), "b.yaml", &errs);
		if (again == NULL || again->step_count != rb->step_count)
			abort();
		runbook_destroy(&again);
		free(bundle);
	} else if (errs.count == 0) {
		abort();
	}
	runbook_errors_clear(&errs);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A buffer of exactly size bytes, not NUL-terminated: the parser
	 * takes a length, and an overread shows. */
	char *text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(text, size, "fuzz.yaml", &errs);
	if ((rb == NULL) != (errs.count > 0))
		abort();
	char *msg = runbook_errors_format(&errs);
	if (msg == NULL || (errs.count > 0 && msg[0] == '\0'))
		abort();
	free(msg);
	if (rb != NULL)
		walk(rb);
	if (rb != NULL && runbook_has_calls(rb))
		expand(rb, data, size);
	runbook_errors_clear(&errs);
	runbook_destroy(&rb);
	runbook_destroy(&rb); /* a second destroy is harmless */
	free(text);
	return 0;
}
