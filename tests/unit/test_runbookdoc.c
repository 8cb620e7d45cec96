/* runbookdoc: runbooks read as documents. Every shipped runbook renders
 * with every section of the structure its readers expect, in order, and
 * says what each of its steps is for; the documentation keys are linted
 * at file:line:column; a policy's tiers and timings appear as given; the
 * index groups by category in the known order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "runbook.h"
#include "runbookdoc.h"

static const char *const sections[] = {
    "\n## Alert description\n", "\n## Immediate actions\n", "\n## Investigation\n",
    "\n## Resolution\n",        "\n## Verification\n",      "\n## Prevention\n",
    "\n## Escalation\n",        "\n## Parameters\n",        "\n## Schedule\n",
};

static runbook_t *
parse_ok(const char *yaml)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), "t.yaml", &errs);
	if (rb == NULL)
		fail_msg("%s", runbook_errors_format(&errs));
	runbook_errors_clear(&errs);
	return rb;
}

/* The errors of a runbook that must be refused, as lint prints them. */
static char *
parse_bad(const char *yaml)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), "t.yaml", &errs);
	assert_null(rb);
	char *text = runbook_errors_format(&errs);
	runbook_errors_clear(&errs);
	return text;
}

static void
assert_has(const char *doc, const char *what)
{
	if (strstr(doc, what) == NULL)
		fail_msg("the document lacks '%s':\n%s", what, doc);
}

/* Every section, in the order of the structure. */
static void
assert_sections(const char *doc, const char *file)
{
	const char *at = doc;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const char *p = strstr(at, sections[i]);
		if (p == NULL)
			fail_msg("%s: no section '%s' after the ones before it", file,
			         sections[i] + 1);
		at = p;
	}
}

/* The document's JSON (runbookdoc_json), new. */
static char *
doc_json(const runbookdoc_t *doc)
{
	json_t *j = json_new_object();
	runbookdoc_json(j, doc);
	json_object_end(j);
	char *text = strdup(json_text(j));
	json_destroy(&j);
	return text;
}

/* A member "key":"value" of the JSON, value as json_quote writes it. */
static void
assert_member(const char *json, const char *key, const char *value, const char *file)
{
	char *q = json_quote(value, strlen(value));
	char *m = NULL;
	assert_true(asprintf(&m, "\"%s\":%s", key, q) > 0);
	if (strstr(json, m) == NULL)
		fail_msg("%s: the JSON lacks %s:\n%s", file, m, json);
	free(m);
	free(q);
}

/* Every output of one document says the same: each section of the
 * steps is in the Markdown and in the JSON, with the same steps in it,
 * each doing the same (its phrase, as words in the JSON and with its
 * values as code in the Markdown); the documentation keys are in both. */
static void
assert_outputs_agree(const runbook_t *rb, const runbookdoc_policy_t *policy, const char *file)
{
	runbookdoc_t *doc = runbookdoc_new(rb, policy);
	char *md = runbookdoc_markdown(doc);
	char *json = doc_json(doc);
	size_t n;
	const runbookdoc_section_t *secs = runbookdoc_sections(doc, &n);
	const char *at = md;
	for (size_t k = 0; k < n; k++) {
		char *head = NULL;
		assert_true(asprintf(&head, "\n## %s\n", secs[k].title) > 0);
		const char *p = strstr(at, head);
		if (p == NULL)
			fail_msg("%s: the Markdown has no section %s after the ones before", file,
			         secs[k].title);
		at = p;
		free(head);
		/* {"phase":"resolve","title":"Resolution","steps":["a","b"]} */
		char *steps = strdup("");
		for (size_t i = 0; i < rb->step_count; i++) {
			if (doc->phases[i] != secs[k].phase)
				continue;
			char *more = NULL;
			assert_true(asprintf(&more, "%s%s\"%s\"", steps, steps[0] ? "," : "",
			                     rb->steps[i].id) > 0);
			free(steps);
			steps = more;
			char *line = NULL;
			assert_true(asprintf(&line, "%zu. **%s** (", i + 1, rb->steps[i].id) > 0);
			const char *in = strstr(at, line);
			const char *next = strstr(at + 1, "\n## ");
			if (in == NULL || (next != NULL && in > next))
				fail_msg("%s: step %s is not under %s in the Markdown", file,
				         rb->steps[i].id, secs[k].title);
			free(line);
			runbook_phrase_t ph;
			runbook_step_phrase(&rb->steps[i], &ph);
			char *what = runbook_phrase_text(&ph);
			assert_member(json, "what", what, file);
			for (size_t w = 0; w < ph.count; w++) {
				if (ph.parts[w].code || strchr(ph.parts[w].text, '\n') != NULL)
					continue;
				/* "runs " before a block of code is "runs:" */
				char *words = strdup(ph.parts[w].text);
				size_t wl = strlen(words);
				while (wl > 0 && words[wl - 1] == ' ')
					words[--wl] = '\0';
				assert_has(in, words);
				free(words);
			}
			free(what);
			runbook_phrase_clear(&ph);
		}
		char *sec = NULL;
		assert_true(asprintf(&sec, "{\"phase\":\"%s\",\"title\":\"%s\",\"steps\":[%s]}",
		                     secs[k].key, secs[k].title, steps) > 0);
		if (strstr(json, sec) == NULL)
			fail_msg("%s: the JSON lacks the section %s:\n%s", file, sec, json);
		free(sec);
		free(steps);
	}
	if (rb->alert != NULL)
		assert_member(json, "alert", rb->alert, file);
	if (rb->prevention != NULL)
		assert_member(json, "prevention", rb->prevention, file);
	if (rb->escalation_notes != NULL)
		assert_member(json, "escalation_notes", rb->escalation_notes, file);
	if (rb->category != NULL)
		assert_member(json, "category", rb->category, file);
	/* The escalation section's tiers, in both. */
	for (size_t i = 0; policy != NULL && i < policy->tier_count; i++) {
		for (size_t k = 0; k < policy->tiers[i].notify_count; k++) {
			char *q = json_quote(policy->tiers[i].notify[k],
			                     strlen(policy->tiers[i].notify[k]));
			if (strstr(json, q) == NULL)
				fail_msg("%s: the JSON lacks tier %zu's %s", file, i, q);
			assert_has(md, policy->tiers[i].notify[k]);
			free(q);
		}
	}
	free(json);
	free(md);
	runbookdoc_free(&doc);
}

static void
test_shipped_runbooks_render(void **state)
{
	(void)state;
	const char *src = getenv("ROTA_SOURCE_DIR");
	char *dir = NULL;
	assert_true(asprintf(&dir, "%s/runbooks", src != NULL ? src : ".") > 0);
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open %s (set ROTA_SOURCE_DIR to the source tree)", dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		char *path = NULL;
		assert_true(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_file(path, &errs);
		if (rb == NULL)
			fail_msg("%s", runbook_errors_format(&errs));
		runbook_errors_clear(&errs);
		/* The shipped library is documented: every key filled in. */
		if (rb->alert == NULL || rb->prevention == NULL || rb->escalation_notes == NULL ||
		    rb->category == NULL)
			fail_msg("%s lacks alert, prevention, escalation_notes or category", path);
		bool known = false;
		for (size_t i = 0; i < RUNBOOK_CATEGORY_COUNT; i++)
			known = known || strcmp(rb->category, runbook_categories[i]) == 0;
		if (!known)
			fail_msg("%s: category '%s' is not one of the four", path, rb->category);
		for (size_t i = 0; i < rb->step_count; i++)
			if (rb->steps[i].description == NULL ||
			    rb->steps[i].phase == RUNBOOK_PHASE_NONE)
				fail_msg("%s: step '%s' has no description or phase", path,
				         rb->steps[i].id);

		const char *tiers[] = {"oncall"};
		runbookdoc_tier_t tier = {.after_ms = 0, .notify = tiers, .notify_count = 1};
		runbookdoc_policy_t policy = {
		    .name = "default", .configured = true, .tiers = &tier, .tier_count = 1};
		char *doc = runbookdoc_render(rb, &policy);
		char *title = NULL;
		assert_true(asprintf(&title, "# %s\n", rb->name) > 0);
		assert_true(strncmp(doc, title, strlen(title)) == 0);
		assert_sections(doc, path);
		assert_has(doc, rb->steps[rb->step_count - 1].description);
		assert_has(doc, "| at once | oncall |");
		assert_outputs_agree(rb, &policy, path);
		free(title);
		free(doc);
		runbook_destroy(&rb);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 14);
}

static const char *const documented =
    "name: svc-down\n"
    "description: Restarts a service that stopped answering.\n"
    "category: incidents\n"
    "severity: P1\n"
    "alert: >-\n"
    "  The service does not answer its health check.\n"
    "prevention: Make systemd restart it.\n"
    "escalation_notes: Call the team lead if a second host fails.\n"
    "triggers: [{alertmanager: {alertname: ServiceDown}}]\n"
    "params: { unit: { default: app, description: the unit } }\n"
    "steps:\n"
    "  - id: look\n"
    "    phase: investigate\n"
    "    description: Shows the unit's status.\n"
    "    shell: \"systemctl status app | head\"\n"
    "  - id: check\n"
    "    phase: immediate\n"
    "    description: Asks the health endpoint.\n"
    "    http_check: { url: \"http://127.0.0.1:8000/health\" }\n"
    "  - id: restart\n"
    "    phase: resolve\n"
    "    when: { failed: check }\n"
    "    shell: \"systemctl restart app\"\n"
    "  - id: again\n"
    "    shell: \"true\"\n"
    "  - id: ok\n"
    "    phase: verify\n"
    "    noop: {}\n";

static void
test_render_structure(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok(documented);
	assert_string_equal(rb->category, "incidents");
	assert_int_equal(rb->steps[0].phase, RUNBOOK_PHASE_INVESTIGATE);
	assert_int_equal(rb->steps[3].phase, RUNBOOK_PHASE_NONE);
	assert_string_equal(runbook_phase_name(rb->steps[4].phase), "verify");

	const char *t1[] = {"oncall", "pager"}, *t2[] = {"lead"}, *t3[] = {"management"};
	runbookdoc_tier_t tiers[] = {
	    {.after_ms = 0, .notify = t1, .notify_count = 2},
	    {.after_ms = 15 * 60000, .notify = t2, .notify_count = 1},
	    {.after_ms = 30 * 60000, .notify = t3, .notify_count = 1, .repeat_ms = 30 * 60000},
	};
	runbookdoc_policy_t policy = {.name = "default",
	                              .configured = true,
	                              .tiers = tiers,
	                              .tier_count = 3,
	                              .ack_due_ms = 15 * 60000};
	char *doc = runbookdoc_render(rb, &policy);
	assert_sections(doc, "svc-down");
	assert_has(doc, "The service does not answer its health check.\n");
	assert_has(doc, "Started by an alertmanager alert with `alertname=ServiceDown`.");
	/* A step goes under its phase, shown with its run-order number; one
	 * without a phase goes with the step before it. */
	const char *imm = strstr(doc, "## Immediate actions");
	const char *inv = strstr(doc, "## Investigation");
	const char *res = strstr(doc, "## Resolution");
	const char *ver = strstr(doc, "## Verification");
	const char *check = strstr(doc, "2. **check** (http_check): Asks the health endpoint.");
	const char *look = strstr(doc, "1. **look** (shell): Shows the unit's status.");
	const char *again = strstr(doc, "4. **again** (shell)");
	assert_non_null(check);
	assert_non_null(look);
	assert_non_null(again);
	assert_true(imm < check && check < inv && inv < look && look < res && res < again &&
	            again < ver);
	assert_has(doc, "   - only when `check` failed");
	assert_has(doc, "Incidents follow escalation policy **default**; a P1 incident is due an "
	                "acknowledgement within 15m");
	assert_has(doc, "| at once | oncall, pager |  |\n");
	assert_has(doc, "| 15m | lead |  |\n");
	assert_has(doc, "| 30m | management | again every 30m |\n");
	assert_has(doc, "Call the team lead if a second host fails.");
	assert_has(doc, "Make systemd restart it.");
	assert_has(doc, "| unit | string | app | the unit |");
	assert_has(doc, "Not scheduled.");
	free(doc);

	/* Without the coordinator's configuration: the policy is named. */
	doc = runbookdoc_render(rb, NULL);
	assert_has(doc, "Incidents follow escalation policy **default**; its tiers are in the "
	                "coordinator's configuration");
	free(doc);
	runbook_destroy(&rb);
}

static const char *
doc_resolve(void *ctx, const char *name, const char **path)
{
	(void)ctx;
	*path = name;
	return strcmp(name, "child") == 0 ? "name: child\nparams: {p: {default: x}}\n"
	                                    "steps:\n  - {id: s, shell: \"echo {{ params.p }}\"}\n"
	                                  : NULL;
}

/* A runbook step: as written when read alone, and as the steps it runs
 * (their ids prefixed by the step's) once expanded. */
static void
test_render_runbook_step(void **state)
{
	(void)state;
	runbook_t *rb =
	    parse_ok("name: caller\nsteps:\n  - {id: c, runbook: child, params: {p: y}}\n");
	char *doc = runbookdoc_render(rb, NULL);
	assert_has(doc,
	           "1. **c** (runbook)\n   - runs the steps of runbook `child` with `p` = `y`\n");
	free(doc);
	runbook_errors_t errs = {0};
	assert_int_equal(runbook_expand(rb, doc_resolve, NULL, &errs), 0);
	doc = runbookdoc_render(rb, NULL);
	assert_has(doc, "1. **c.s** (shell)\n   - runs `echo {{ params.p }}`\n");
	free(doc);
	runbook_destroy(&rb);
}

/* A runbook with no documentation keys still renders every section. */
static void
test_render_bare(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: bare\n"
	                         "schedule: { cron: \"0 8 * * 1-5\", timezone: Europe/London }\n"
	                         "steps:\n"
	                         "  - id: a\n"
	                         "    shell: \"echo `date` | tr a b\"\n");
	runbookdoc_policy_t none = {.name = "default", .configured = false};
	char *doc = runbookdoc_render(rb, &none);
	assert_has(doc, "## Steps\n\n1. **a** (shell)\n   - runs ``echo `date` | tr a b``\n");
	assert_has(doc, "No alert starts this runbook: it runs on its schedule");
	assert_has(doc, "To be written");
	assert_has(doc, "notify nobody");
	assert_has(doc, "- cron: `0 8 * * 1-5` in Europe/London\n");
	assert_has(doc, "| Category | uncategorized |");
	free(doc);
	char *summary = runbookdoc_summary(rb);
	assert_string_equal(summary, "0 8 * * 1-5 Europe/London");
	free(summary);
	runbook_destroy(&rb);
}

static void
test_lint_doc_keys(void **state)
{
	(void)state;
	char *e = parse_bad("name: x\n"
	                    "alert: [a, b]\n"
	                    "category: Incidents\n"
	                    "prevention: \"  \"\n"
	                    "escalation_notes: {a: 1}\n"
	                    "steps:\n"
	                    "  - id: a\n"
	                    "    phase: fix\n"
	                    "    description: [x]\n"
	                    "    noop: {}\n"
	                    "  - id: b\n"
	                    "    phase: investigat\n"
	                    "    descripton: typo\n"
	                    "    noop: {}\n");
	assert_has(e, "t.yaml:2:8: 'alert' must be text, not a sequence");
	assert_has(e, "t.yaml:3:11: 'category' must be a lower-case name");
	assert_has(e, "t.yaml:4:13: 'prevention' is blank");
	assert_has(e, "t.yaml:5:19: 'escalation_notes' must be text, not a mapping");
	assert_has(e,
	           "t.yaml:8:12: 'phase' must be one of immediate, investigate, resolve, verify, "
	           "not 'fix'");
	assert_has(e, "t.yaml:9:18: 'description' must be text, not a sequence");
	assert_has(e, "t.yaml:12:12: 'phase' must be one of");
	assert_has(e, "t.yaml:13:5: unknown key 'descripton' in step 'b'; did you mean "
	              "'description'?");
	free(e);

	/* A category of the team's own is valid, with a warning. */
	runbook_errors_t errs = {0};
	const char *own = "name: x\ncategory: security\nsteps: [{id: a, noop: {}}]\n";
	runbook_t *rb = runbook_parse_string(own, strlen(own), "t.yaml", &errs);
	assert_non_null(rb);
	char *w = runbook_errors_format(&rb->warnings);
	assert_has(w, "t.yaml:2:11: category 'security' is not one of operations, monitoring, "
	              "incidents, deployment");
	free(w);
	runbook_destroy(&rb);
	runbook_errors_clear(&errs);
}

static void
test_index_by_category(void **state)
{
	(void)state;
	runbookdoc_entry_t e[] = {
	    {.name = "zeta", .category = "deployment", .description = "Rolls back."},
	    {.name = "alpha", .category = "incidents", .summary = "P1; on alert X"},
	    {.name = "own", .category = "security"},
	    {.name = "loose"},
	    {.name = "beta", .category = "operations", .description = "Checks\nthings. "},
	    {.name = "gamma", .category = "incidents"},
	};
	char *idx = runbookdoc_index(e, 6);
	assert_string_equal(idx, "# Runbooks\n\n6 runbooks, by category.\n"
	                         "\n## Operations\n\n- [beta](beta.md): Checks things.\n"
	                         "\n## Incidents\n\n- [alpha](alpha.md) (P1; on alert X)\n"
	                         "- [gamma](gamma.md)\n"
	                         "\n## Deployment\n\n- [zeta](zeta.md): Rolls back.\n"
	                         "\n## Security\n\n- [own](own.md)\n"
	                         "\n## Uncategorized\n\n- [loose](loose.md)\n");
	free(idx);
}

/* What a step does is its kind's own phrase: a check the renderer never
 * named is documented (not "does nothing"), and a kind with no phrase of
 * its own is said by its name and its fields. */
static void
test_step_phrase(void **state)
{
	(void)state;
	runbook_t *rb =
	    parse_ok("name: p\n"
	             "steps:\n"
	             "  - id: q\n"
	             "    promql_check: { url: \"http://prom:9090\", query: \"up\", op: \"==\", "
	             "value: \"1\" }\n");
	runbook_phrase_t ph;
	runbook_step_phrase(&rb->steps[0], &ph);
	char *what = runbook_phrase_text(&ph);
	assert_string_equal(
	    what, "checks that the PromQL query up at http://prom:9090 gives every series == 1");
	free(what);
	runbook_phrase_clear(&ph);
	char *doc = runbookdoc_render(rb, NULL);
	assert_has(doc, "   - checks that the PromQL query `up` at `http://prom:9090` gives every "
	                "series == 1\n");
	free(doc);

	runbook_step_t unknown = rb->steps[0];
	unknown.type = (runbook_step_type_t)99;
	runbook_step_phrase(&unknown, &ph);
	what = runbook_phrase_text(&ph);
	assert_string_equal(what, "runs a step of an unknown kind");
	free(what);
	runbook_phrase_clear(&ph);
	runbook_destroy(&rb);
}

/* A policy that climbs until resolved says so; a tier for other
 * severities is passed over in the Markdown and marked in the JSON. */
static void
test_policy_until_and_severities(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: s\nseverity: P3\nsteps: [{id: a, noop: {}}]\n");
	const char *t1[] = {"oncall:primary"}, *t2[] = {"management"};
	runbookdoc_tier_t tiers[] = {
	    {.after_ms = 0, .notify = t1, .notify_count = 1},
	    {.after_ms = 3600000,
	     .notify = t2,
	     .notify_count = 1,
	     .severities = (1u << 1) | (1u << 2)},
	};
	runbookdoc_policy_t policy = {.name = "default",
	                              .configured = true,
	                              .tiers = tiers,
	                              .tier_count = 2,
	                              .until_resolved = true};
	runbookdoc_t *d = runbookdoc_new(rb, &policy);
	char *md = runbookdoc_markdown(d);
	assert_has(md, "| at once | oncall:primary |  |\n");
	assert_null(strstr(md, "management"));
	assert_has(md, "The climb goes on past an acknowledgement and stops when the incident is "
	               "resolved");
	char *json = doc_json(d);
	assert_has(json, "\"until\":\"resolved\"");
	assert_has(json, "\"notify\":[\"management\"],\"repeat_ms\":0,\"severities\":[\"P1\","
	                 "\"P2\"],\"applies\":false");
	free(json);
	free(md);
	runbookdoc_free(&d);
	runbook_destroy(&rb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_runbooks_render),
	    cmocka_unit_test(test_render_structure),
	    cmocka_unit_test(test_render_bare),
	    cmocka_unit_test(test_render_runbook_step),
	    cmocka_unit_test(test_lint_doc_keys),
	    cmocka_unit_test(test_index_by_category),
	    cmocka_unit_test(test_step_phrase),
	    cmocka_unit_test(test_policy_until_and_severities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
