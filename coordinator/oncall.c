/* oncall: who is on call, and the answers about it (see oncall.h). */
#include "oncall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "strlist.h"
#include "xalloc.h"

struct oncall {
	store_t *store;         /* borrowed */
	const config_t *config; /* borrowed */
	/* The stored overrides of the last rotation asked about (owned),
	 * so oncall_who can lend a name from them. */
	rotation_override_t *loaded;
	size_t loaded_count;
};

oncall_t *
oncall_new(store_t *store, const config_t *config)
{
	oncall_t *o = xcalloc(1, sizeof(*o));
	o->store = store;
	o->config = config;
	return o;
}

static void
loaded_clear(oncall_t *o)
{
	for (size_t i = 0; i < o->loaded_count; i++)
		rotation_override_clear(&o->loaded[i]);
	free(o->loaded);
	o->loaded = NULL;
	o->loaded_count = 0;
}

void
oncall_destroy(oncall_t **op)
{
	if (*op == NULL)
		return;
	loaded_clear(*op);
	free(*op);
	*op = NULL;
}

/* The stored overrides of rot ending after after_ms, lent as extra. A
 * store that cannot be read leaves the configuration's only (logged): an
 * escalation still goes to the rotation's own person. */
static rotation_extra_t
load_extra(oncall_t *o, const rotation_t *rot, int64_t after_ms)
{
	if (o == NULL)
		return (rotation_extra_t){NULL, 0};
	loaded_clear(o);
	if (store_oncall_overrides(o->store, rot->name, after_ms, &o->loaded, &o->loaded_count) !=
	    0)
		log_warn("oncall: the overrides of rotation %s could not be read", rot->name);
	return (rotation_extra_t){o->loaded, o->loaded_count};
}

const char *
oncall_who(oncall_t *o, const rotation_t *rot, int64_t at_ms)
{
	rotation_extra_t extra = load_extra(o, rot, at_ms);
	return rotation_who(rot, extra, at_ms, NULL);
}

void
oncall_targets(oncall_t *o, const config_t *c, char *const *names, size_t n, int64_t at_ms,
               strlist_t *channels, char **said)
{
	strlist_t words = {0};
	size_t plen = strlen(CONFIG_ONCALL_PREFIX);
	for (size_t i = 0; i < n; i++) {
		const char *name = names[i];
		if (strncmp(name, CONFIG_ONCALL_PREFIX, plen) != 0) {
			if (!strlist_has(channels, name))
				strlist_add(channels, xstrdup(name));
			strlist_add(&words, xstrdup(name));
			continue;
		}
		const rotation_t *rot = config_rotation(c, name + plen);
		const char *who = NULL;
		if (rot != NULL)
			who = o ? oncall_who(o, rot, at_ms)
			        : rotation_who(rot, (rotation_extra_t){0}, at_ms, NULL);
		const config_person_t *p = who ? config_person(c, who) : NULL;
		strlist_add(&words, xasprintf("%s (%s)", name, p ? p->name : "nobody on call"));
		for (size_t k = 0; p && k < p->channel_count; k++)
			if (!strlist_has(channels, p->channels[k]))
				strlist_add(channels, xstrdup(p->channels[k]));
	}
	*said = strlist_join_sep(&words, ", ", "");
	strlist_free(&words);
}

static int
override_cmp(const void *a, const void *b)
{
	const Rota__OncallShift *x = *(Rota__OncallShift *const *)a;
	const Rota__OncallShift *y = *(Rota__OncallShift *const *)b;
	return (x->from_ms > y->from_ms) - (x->from_ms < y->from_ms);
}

/* The overrides of rot (the file's, then the stored ones) not over at
 * at_ms, in out->overrides: what an operator checks before a handoff. */
static void
fill_overrides(const rotation_t *rot, rotation_extra_t extra, int64_t at_ms,
               Rota__OncallRotation *out)
{
	size_t total = rot->override_count + extra.count;
	out->overrides = xcalloc(total ? total : 1, sizeof(*out->overrides));
	for (size_t i = 0; i < total; i++) {
		const rotation_override_t *ov = i < rot->override_count
		                                    ? &rot->overrides[i]
		                                    : &extra.items[i - rot->override_count];
		if (ov->until_ms <= at_ms)
			continue;
		Rota__OncallShift *s = xmalloc(sizeof(*s));
		rota__oncall_shift__init(s);
		s->person = xstrdup(ov->person);
		s->from_ms = ov->from_ms;
		s->until_ms = ov->until_ms;
		s->override = true;
		s->by = xstrdup(ov->by && ov->by[0]       ? ov->by
		                : i < rot->override_count ? "config"
		                                          : "");
		out->overrides[out->n_overrides++] = s;
	}
	qsort(out->overrides, out->n_overrides, sizeof(*out->overrides), override_cmp);
}

static void
fill_rotation(oncall_t *o, const rotation_t *rot, int64_t at_ms, uint32_t weeks,
              Rota__OncallRotation *out)
{
	rota__oncall_rotation__init(out);
	int64_t horizon = at_ms + (int64_t)weeks * 7 * 24 * 3600 * 1000;
	rotation_extra_t extra = load_extra(o, rot, at_ms);
	bool over = false;
	const char *who = rotation_who(rot, extra, at_ms, &over);
	const char *next = NULL;
	int64_t until = rotation_next(rot, extra, at_ms, &next);
	out->name = xstrdup(rot->name);
	out->person = xstrdup(who ? who : "");
	out->override = over;
	out->until_ms = until > 0 ? until : 0;
	out->next_person = xstrdup(next ? next : "");
	out->timezone = xstrdup(rot->layer_count > 0 ? rot->layers[0].timezone : "UTC");
	const config_person_t *p = who ? config_person(o->config, who) : NULL;
	if (p != NULL && p->channel_count > 0) {
		out->contacts = xcalloc(p->channel_count, sizeof(char *));
		for (size_t i = 0; i < p->channel_count; i++)
			out->contacts[out->n_contacts++] = xstrdup(p->channels[i]);
	}
	fill_overrides(rot, extra, at_ms, out);
	if (weeks == 0)
		return;
	rotation_shift_t *shifts = xcalloc(ONCALL_SHIFTS_MAX, sizeof(*shifts));
	size_t n = rotation_shifts(rot, extra, at_ms, horizon, shifts, ONCALL_SHIFTS_MAX);
	if (n > ONCALL_SHIFTS_MAX)
		n = ONCALL_SHIFTS_MAX;
	out->shifts = xcalloc(n ? n : 1, sizeof(*out->shifts));
	for (size_t i = 0; i < n; i++) {
		Rota__OncallShift *s = xmalloc(sizeof(*s));
		rota__oncall_shift__init(s);
		s->person = xstrdup(shifts[i].person);
		s->from_ms = shifts[i].from_ms;
		s->until_ms = shifts[i].until_ms;
		s->override = shifts[i].override;
		out->shifts[out->n_shifts++] = s;
	}
	free(shifts);
}

int
oncall_answer(oncall_t *o, const char *rotation, int64_t at_ms, uint32_t weeks,
              Rota__OncallResponse *out, int *code, char **error)
{
	rota__oncall_response__init(out);
	if (at_ms < 0 || at_ms > ONCALL_TIME_MAX_MS) {
		*code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
		*error =
		    xstrdup("the instant asked about must be between 1970 and the end of 9999");
		return -1;
	}
	out->at_ms = at_ms;
	const config_t *c = o->config;
	if (rotation != NULL && rotation[0] != '\0' && config_rotation(c, rotation) == NULL) {
		*code = ROTA__ERROR_CODE__ERR_NOT_FOUND;
		*error = c->rotation_count == 0
		             ? xasprintf("no rotation %s: the coordinator's configuration has no"
		                         " rotations (docs/incidents.md, \"People and rotations\")",
		                         rotation)
		             : xasprintf("no rotation %s; `rota oncall` lists them", rotation);
		return -1;
	}
	if (weeks > ONCALL_ICS_WEEKS_MAX)
		weeks = ONCALL_ICS_WEEKS_MAX;
	out->rotations =
	    xcalloc(c->rotation_count ? c->rotation_count : 1, sizeof(*out->rotations));
	for (size_t i = 0; i < c->rotation_count; i++) {
		const rotation_t *rot = &c->rotations[i];
		if (rotation != NULL && rotation[0] != '\0' && strcmp(rot->name, rotation) != 0)
			continue;
		Rota__OncallRotation *r = xmalloc(sizeof(*r));
		fill_rotation(o, rot, at_ms, weeks, r);
		out->rotations[out->n_rotations++] = r;
	}
	return 0;
}

void
oncall_answer_clear(Rota__OncallResponse *out)
{
	for (size_t i = 0; i < out->n_rotations; i++) {
		Rota__OncallRotation *r = out->rotations[i];
		free(r->name);
		free(r->person);
		free(r->next_person);
		free(r->timezone);
		for (size_t k = 0; k < r->n_contacts; k++)
			free(r->contacts[k]);
		free(r->contacts);
		for (size_t k = 0; k < r->n_shifts; k++) {
			free(r->shifts[k]->person);
			free(r->shifts[k]);
		}
		free(r->shifts);
		for (size_t k = 0; k < r->n_overrides; k++) {
			free(r->overrides[k]->person);
			free(r->overrides[k]->by);
			free(r->overrides[k]);
		}
		free(r->overrides);
		free(r);
	}
	free(out->rotations);
	rota__oncall_response__init(out);
}

int
oncall_override(oncall_t *o, const char *rotation, const rotation_override_t *ov, int64_t now_ms,
                char **replaces, int *code, char **error)
{
	*code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
	if (ov->from_ms < 0 || ov->from_ms > ONCALL_TIME_MAX_MS || ov->until_ms < 0 ||
	    ov->until_ms > ONCALL_TIME_MAX_MS) {
		*error = xstrdup("an override's --from and --until must be between 1970 and the end"
		                 " of 9999");
		return -1;
	}
	const rotation_t *rot = rotation ? config_rotation(o->config, rotation) : NULL;
	if (rot == NULL) {
		*code = ROTA__ERROR_CODE__ERR_NOT_FOUND;
		*error = xasprintf("no rotation %s; `rota oncall` lists them",
		                   rotation && rotation[0] ? rotation : "(none given)");
		return -1;
	}
	if (ov->person == NULL || config_person(o->config, ov->person) == NULL) {
		*code = ROTA__ERROR_CODE__ERR_NOT_FOUND;
		*error = xasprintf("no person %s under people: in the coordinator's configuration",
		                   ov->person && ov->person[0] ? ov->person : "(none given)");
		return -1;
	}
	if (ov->until_ms <= ov->from_ms) {
		*error = xstrdup("an override's --until must be after its --from");
		return -1;
	}
	if (ov->until_ms <= now_ms) {
		*error = xstrdup("that override would already be over (--until is in the past)");
		return -1;
	}
	if (ov->until_ms - ov->from_ms > ONCALL_OVERRIDE_MAX_MS) {
		*error = xstrdup("an override lasts at most 92 days (change the rotation's people"
		                 " in the configuration for longer)");
		return -1;
	}
	const char *before = oncall_who(o, rot, ov->from_ms);
	*replaces = xstrdup(before ? before : "");
	if (store_oncall_override_add(o->store, rotation, ov, now_ms) != 0) {
		free(*replaces);
		*replaces = NULL;
		*code = ROTA__ERROR_CODE__ERR_INTERNAL;
		*error = xstrdup("the store could not record the override");
		return -1;
	}
	log_info("oncall: %s covers rotation %s (set by %s)", ov->person, rotation,
	         ov->by ? ov->by : "?");
	return 0;
}

/* "20261207T090000Z" */
static void
ics_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
}

/* One content line, folded at 75 octets (RFC 5545 3.1: CRLF and a space
 * go before each continuation). */
static void
ics_line(strlist_t *out, const char *line)
{
	size_t len = strlen(line);
	if (len <= 75) {
		strlist_add(out, xasprintf("%s\r\n", line));
		return;
	}
	strlist_add(out, xasprintf("%.75s\r\n", line));
	for (size_t at = 75; at < len; at += 74)
		strlist_add(out, xasprintf(" %.74s\r\n", line + at));
}

char *
oncall_ics(const Rota__OncallRotation *rot, int64_t now_ms)
{
	strlist_t lines = {0};
	char stamp[32], from[32], until[32];
	ics_time(now_ms, stamp, sizeof(stamp));
	ics_line(&lines, "BEGIN:VCALENDAR");
	ics_line(&lines, "VERSION:2.0");
	ics_line(&lines, "PRODID:-//rota//on-call//EN");
	ics_line(&lines, "CALSCALE:GREGORIAN");
	ics_line(&lines, "METHOD:PUBLISH");
	/* Names are [A-Za-z0-9._-] (config_roster.c): nothing to escape. */
	char *line = xasprintf("X-WR-CALNAME:On call: %s", rot->name);
	ics_line(&lines, line);
	free(line);
	for (size_t i = 0; i < rot->n_shifts; i++) {
		const Rota__OncallShift *s = rot->shifts[i];
		ics_time(s->from_ms, from, sizeof(from));
		ics_time(s->until_ms, until, sizeof(until));
		ics_line(&lines, "BEGIN:VEVENT");
		/* The same shift keeps its UID from one fetch to the next, so a
		 * calendar updates it rather than adding a copy. */
		line = xasprintf("UID:%s-%s-%s@rota", rot->name, from, s->person);
		ics_line(&lines, line);
		free(line);
		line = xasprintf("DTSTAMP:%s", stamp);
		ics_line(&lines, line);
		free(line);
		line = xasprintf("DTSTART:%s", from);
		ics_line(&lines, line);
		free(line);
		line = xasprintf("DTEND:%s", until);
		ics_line(&lines, line);
		free(line);
		line = xasprintf("SUMMARY:%s on call (%s)%s", s->person, rot->name,
		                 s->override ? " - override" : "");
		ics_line(&lines, line);
		free(line);
		ics_line(&lines, "TRANSP:TRANSPARENT");
		ics_line(&lines, "END:VEVENT");
	}
	ics_line(&lines, "END:VCALENDAR");
	char *text = strlist_join_sep(&lines, "", "");
	strlist_free(&lines);
	return text;
}
