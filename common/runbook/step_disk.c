/* runbook/step_disk: the disk_check step kind: the free space of the
 * filesystem of a path, as a percentage, bytes or both; run by the worker's
 * rota-check helper. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_disk[] = {"path", "min_free_pct", "min_free_bytes", "timeout"};

void
step_disk_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "disk_check", keys_disk, COUNT_OF(keys_disk), where,
	                      sizeof(where)))
		return;
	s->path = runbook_field_text(c, v, "path", true, where);
	s->min_free_pct = runbook_field_text(c, v, "min_free_pct", false, where);
	s->min_free_bytes = runbook_field_text(c, v, "min_free_bytes", false, where);
	if (yamltree_map_get(v, "min_free_pct") == NULL &&
	    yamltree_map_get(v, "min_free_bytes") == NULL)
		yamltree_report_add(
		    c->r, v->mark,
		    "%s checks nothing; give 'min_free_pct', 'min_free_bytes' or both", where);
}

void
step_disk_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__DiskCheckSpec *disk = render_alloc(r, sizeof(*disk));

	rota__disk_check_spec__init(disk);
	disk->path = (char *)render_field(r, "path", step->path);
	if (step->min_free_pct)
		disk->min_free_pct = render_double(r, "min_free_pct", step->min_free_pct);
	if (step->min_free_bytes)
		disk->min_free_bytes = render_bytes(r, step->min_free_bytes);
	ss->kind_case = ROTA__STEP_SPEC__KIND_DISK_CHECK;
	ss->disk_check = disk;
}

size_t
step_disk_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->path;
	out[1] = s->min_free_pct;
	out[2] = s->min_free_bytes;
	return 3;
}

void
step_disk_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "checks that ");
	runbook_phrase_code(out, s->path);
	runbook_phrase_words(out, " has at least ");
	if (s->min_free_pct != NULL) {
		runbook_phrase_words(out, s->min_free_pct);
		runbook_phrase_words(out, "% free");
	}
	if (s->min_free_pct != NULL && s->min_free_bytes != NULL)
		runbook_phrase_words(out, " and ");
	if (s->min_free_bytes != NULL) {
		runbook_phrase_words(out, s->min_free_bytes);
		runbook_phrase_words(out, " bytes free");
	}
}
