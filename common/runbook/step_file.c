/* runbook/step_file: the file_check step kind: the files matching a path
 * or glob, the newest one's age and size, and how many there are (a
 * backup's freshness and completeness); run by the worker's rota-check
 * helper. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

static const char *const keys_file[] = {"path", "max_age", "min_size", "min_count", "timeout"};

void
step_file_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "file_check", keys_file, COUNT_OF(keys_file), where,
	                      sizeof(where)))
		return;
	s->path = runbook_field_text(c, v, "path", true, where);
	s->max_age = runbook_field_text(c, v, "max_age", false, where);
	s->min_size = runbook_field_text(c, v, "min_size", false, where);
	s->min_count = runbook_field_text(c, v, "min_count", false, where);
}

void
step_file_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__FileCheckSpec *file = render_alloc(r, sizeof(*file));

	rota__file_check_spec__init(file);
	file->path = (char *)render_field(r, "path", step->path);
	if (step->max_age) {
		const char *v = render_field(r, "max_age", step->max_age);
		uint64_t ms = 0;
		if (v != NULL && duration_parse(v, &ms) != 0)
			render_fail(r, "'max_age' is '%s', not a duration like 26h or 7d", v);
		file->max_age_ms = ms;
	}
	if (step->min_size)
		file->min_size = render_bytes_of(r, "min_size", step->min_size);
	if (step->min_count) {
		const char *v = render_field(r, "min_count", step->min_count);
		file->min_count = v != NULL ? (uint32_t)strtoul(v, NULL, 10) : 0;
	}
	ss->kind_case = ROTA__STEP_SPEC__KIND_FILE_CHECK;
	ss->file_check = file;
}

size_t
step_file_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->path;
	out[1] = s->max_age;
	out[2] = s->min_size;
	out[3] = s->min_count;
	return 4;
}

void
step_file_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "checks the files ");
	runbook_phrase_code(out, s->path);
	if (s->max_age != NULL) {
		runbook_phrase_words(out, ": newer than ");
		runbook_phrase_words(out, s->max_age);
	}
	if (s->min_size != NULL) {
		runbook_phrase_words(out, ", at least ");
		runbook_phrase_words(out, s->min_size);
		runbook_phrase_words(out, " bytes");
	}
	if (s->min_count != NULL) {
		runbook_phrase_words(out, ", at least ");
		runbook_phrase_words(out, s->min_count);
		runbook_phrase_words(out, " of them");
	}
}
