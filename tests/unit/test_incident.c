/* Unit tests for incident: escalation against a real store and a config
 * read from YAML, including a config that changed under open incidents
 * (a coordinator restarted with a shorter policy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fixture_store.h"
#include "incidents/incident.h"
#include "store/store.h"
#include "xalloc.h"

typedef fixture_store_t fixture_t;

static config_t *
config_from(fixture_t *f, const char *yaml)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/config.yaml", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	char *err = NULL;
	config_t *c = config_load(path, &err);
	if (c == NULL)
		fprintf(stderr, "config_load: %s\n", err);
	assert_non_null(c);
	return c;
}

/* How many outbox rows of kind went to channel. */
static int
outbox_rows(fixture_t *f, const char *kind, const char *channel)
{
	assert_int_equal(store_commit(f->store), 0);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT COUNT(*) FROM outbox WHERE kind = ?"
	                                    " AND channel = ?",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

#define CHANNELS                                                                                   \
	"channels:\n"                                                                              \
	"  a: { webhook: { url: \"http://127.0.0.1:1/a\" } }\n"                                    \
	"  b: { webhook: { url: \"http://127.0.0.1:1/b\" } }\n"                                    \
	"  c: { webhook: { url: \"http://127.0.0.1:1/c\" } }\n"

/* The configuration of channels a, b and c and the one escalation policy,
 * default, of tiers (its list, as YAML lines), with deadlines (YAML lines
 * under escalation:, or ""). */
static config_t *
policy_config(fixture_t *f, const char *deadlines, const char *tiers)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml), "%sescalation:\n%s  policies:\n    default:\n%s", CHANNELS,
	         deadlines, tiers);
	return config_from(f, yaml);
}

/* An incident that climbed to tier 3 of a policy that now has one tier
 * (the config was edited and the coordinator restarted): its deadline
 * notice goes to the tier it can still name, the last, and that tier's
 * repeat goes on. */
static void
test_policy_shrunk_under_open_incident(void **state)
{
	fixture_t *f = *state;
	config_t *three = policy_config(f, "  deadlines: { P1: 10m }\n",
	                                "      - { after: 0s, notify: [a] }\n"
	                                "      - { after: 1m, notify: [b] }\n"
	                                "      - { after: 2m, notify: [c] }\n");
	incidents_t *in = incidents_new(f->store, three);
	incident_spec_t spec = {.title = "db down", .severity = 1, .source = "cli"};
	char id[INCIDENT_ID_MAX];
	const int64_t t0 = 1700000000000LL, min = 60000;
	assert_int_equal(incidents_open(in, &spec, t0, id, sizeof(id)), 0);
	assert_int_equal(incidents_tick(in, t0 + 2 * min), 0);
	assert_int_equal(outbox_rows(f, "escalate", "c"), 1);
	incidents_destroy(&in);
	config_destroy(&three);

	config_t *one = policy_config(f, "  deadlines: { P1: 10m }\n",
	                              "      - { after: 0s, notify: [a], repeat: 5m }\n");
	in = incidents_new(f->store, one);
	assert_int_equal(incidents_tick(in, t0 + 10 * min), 0);
	assert_int_equal(outbox_rows(f, "overdue", "a"), 1);
	/* The last tier's repeat, 5m after its last notice (at 0m): due
	 * already, and again 5m later. */
	assert_int_equal(incidents_tick(in, t0 + 16 * min), 0);
	assert_true(outbox_rows(f, "escalate", "a") >= 1);
	incidents_destroy(&in);
	config_destroy(&one);
}

/* A resolved incident says so to the notify steps of its runs (which are
 * then not sent), and still takes notes, with their kind and author, on
 * its timeline; an unknown incident takes none. */
static void
test_resolved_incident_takes_notes(void **state)
{
	fixture_t *f = *state;
	config_t *c = policy_config(f, "", "      - { after: 0s, notify: [a] }\n");
	incidents_t *in = incidents_new(f->store, c);
	incident_spec_t spec = {.title = "app down", .severity = 1, .source = "cli"};
	char id[INCIDENT_ID_MAX];
	const int64_t t0 = 1700000000000LL;
	int code = 0;
	char *error = NULL;
	int64_t at = 0;
	assert_int_equal(incidents_open(in, &spec, t0, id, sizeof(id)), 0);
	assert_int_equal(incidents_resolved_at(in, id, &at), 0);
	assert_int_equal(
	    incidents_write_note(in, id, "action", "alice", "restarted app", t0 + 1, &code, &error),
	    0);
	assert_int_equal(incidents_resolve(in, id, "alice", "", t0 + 2, &code, &error), 0);
	assert_int_equal(incidents_resolved_at(in, id, &at), 1);
	assert_int_equal(at, t0 + 2);
	assert_int_equal(
	    incidents_write_note(in, id, "cause", "bob", "a bad push", t0 + 3, &code, &error), 0);
	assert_int_equal(
	    incidents_write_note(in, "INC-99", "cause", "bob", "x", t0 + 4, &code, &error), -1);
	assert_int_equal(code, ROTA__ERROR_CODE__ERR_NOT_FOUND);
	assert_non_null(strstr(error, "no incident INC-99"));
	free(error);
	assert_int_equal(incidents_resolved_at(in, "INC-99", &at), 0);

	Rota__ShowIncidentResponse *show = xmalloc(sizeof(*show));
	assert_int_equal(incidents_show(in, id, show), 0);
	size_t notes = 0;
	for (size_t i = 0; i < show->n_events; i++) {
		const Rota__IncidentEvent *e = show->events[i];
		if (strcmp(e->kind, "note") != 0)
			continue;
		notes++;
		assert_string_equal(e->note_kind, notes == 1 ? "action" : "cause");
		assert_string_equal(e->by, notes == 1 ? "alice" : "bob");
		assert_string_equal(e->text, notes == 1 ? "restarted app" : "a bad push");
	}
	assert_int_equal(notes, 2);
	rota__show_incident_response__free_unpacked(show, NULL);
	incidents_destroy(&in);
	config_destroy(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_policy_shrunk_under_open_incident,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_resolved_incident_takes_notes,
	                                    fixture_store_setup_test, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
