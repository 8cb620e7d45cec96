/* config_roster: the configuration's `people:` and `rotations:` (see
 * config.h, docs/incidents.md "People and rotations").
 *
 *     people:
 *       alice: { slack: { url_env: SLACK_URL, user: U024BE7LH },
 *                webhook: "https://hooks.example.org/alice" }
 *     rotations:
 *       primary: { people: [alice, bob], shift: 1w, handoff: "MON 09:00",
 *                  timezone: Europe/London }
 *
 * A person's contacts become channels of their own ("@alice/slack"), so
 * the outbox delivers, retries and reports them like any other; a tier
 * naming `oncall:primary` is sent to the contacts of whoever is on call.
 *
 * Must never: accept a rotation naming someone not under people:, or a
 * shift the arithmetic (rotation.h) cannot follow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "cron.h"
#include "xalloc.h"

#define ROSTER_NAME_MAX 64

static bool
name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > ROSTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		           s[i]) == NULL)
			return false;
	return true;
}

const config_person_t *
config_person(const config_t *c, const char *name)
{
	for (size_t i = 0; i < c->people_count; i++)
		if (strcmp(c->people[i].name, name) == 0)
			return &c->people[i];
	return NULL;
}

const rotation_t *
config_rotation(const config_t *c, const char *name)
{
	for (size_t i = 0; i < c->rotation_count; i++)
		if (c->rotations[i].name != NULL && strcmp(c->rotations[i].name, name) == 0)
			return &c->rotations[i];
	return NULL;
}

bool
config_tier_applies(const config_tier_t *t, int severity)
{
	return t->severities == 0 ||
	       (severity >= 1 && severity <= 4 && (t->severities & (1u << severity)));
}

/* One contact of person p (kind: slack, pagerduty, webhook) as a channel
 * appended to c->channels. */
static void
read_contact(config_reader_t *r, const yamltree_node_t *key, const yamltree_node_t *val,
             config_t *c, config_person_t *p)
{
	const char *kind = config_scalar(key);
	char *name = xasprintf(CONFIG_PERSON_CHANNEL_FMT, p->name, kind); /* owned */
	channel_t ch = {.name = name};
	bool ok;
	if (strcmp(kind, "webhook") == 0 && config_scalar(val) != NULL) {
		/* the short form: webhook: "https://..." */
		ch.kind = CHANNEL_WEBHOOK;
		ch.url = xstrdup(config_scalar(val));
		ok = strncmp(ch.url, "http://", 7) == 0 || strncmp(ch.url, "https://", 8) == 0;
		if (!ok)
			config_fail(r, val, "%s's webhook must start with http:// or https://",
			            p->name);
	} else if (strcmp(kind, "email") == 0) {
		const char *to = config_scalar(val);
		ok = false;
		if (to == NULL || strchr(to, '@') == NULL || to[0] == '@' ||
		    strpbrk(to, " \t\r\n<>,;\"") != NULL)
			config_fail(r, val, "%s's email must be an address, like alice@example.org",
			            p->name);
		else if (c->smtp_url == NULL)
			config_fail(r, key,
			            "%s has an email, so the configuration needs smtp: { url:"
			            " \"smtp://HOST:PORT\", from: ADDRESS }",
			            p->name);
		else
			ok = true;
		if (ok) {
			ch.kind = CHANNEL_EMAIL;
			ch.url = xstrdup(c->smtp_url);
			ch.mail_to = xstrdup(to);
			ch.mail_from = xstrdup(c->smtp_from);
			ch.mail_user = c->smtp_user ? xstrdup(c->smtp_user) : NULL;
			ch.mail_password = c->smtp_password ? xstrdup(c->smtp_password) : NULL;
		}
	} else if (strcmp(kind, "slack") == 0 || strcmp(kind, "pagerduty") == 0 ||
	           strcmp(kind, "webhook") == 0) {
		ok = config_read_channel_body(r, key, val, &ch);
	} else {
		ok = config_fail(
		    r, key,
		    "unknown contact '%s' for %s (expected slack, pagerduty, webhook, email)", kind,
		    p->name);
	}
	if (!ok) {
		channel_clear(&ch);
		return;
	}
	c->channels = xrealloc(c->channels, (c->channel_count + 1) * sizeof(*c->channels));
	c->channels[c->channel_count++] = ch;
	p->channels = xrealloc(p->channels, (p->channel_count + 1) * sizeof(*p->channels));
	p->channels[p->channel_count++] = xstrdup(name);
}

void
config_read_smtp(config_reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "smtp"))
		return;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		const char *v = config_scalar(val);
		if (strcmp(k, "url") == 0 || strcmp(k, "url_env") == 0) {
			if (config_read_secret(r, key, val, "url", &c->smtp_url) &&
			    strncmp(c->smtp_url, "smtp://", 7) != 0 &&
			    strncmp(c->smtp_url, "smtps://", 8) != 0)
				config_fail(r, val,
				            "smtp: the url must start with smtp:// or smtps://");
		} else if (strcmp(k, "from") == 0) {
			if (v == NULL || strchr(v, '@') == NULL || strpbrk(v, "\r\n") != NULL)
				config_fail(r, val,
				            "smtp: from must be an address, like rota@example.org");
			else {
				free(c->smtp_from);
				c->smtp_from = xstrdup(v);
			}
		} else if (strcmp(k, "username") == 0 && v != NULL) {
			free(c->smtp_user);
			c->smtp_user = xstrdup(v);
		} else if (strcmp(k, "password_env") == 0) {
			config_read_secret(r, key, val, "password", &c->smtp_password);
		} else {
			config_fail(r, key,
			            "unknown key '%s' in smtp (expected url or url_env, from,"
			            " username, password_env)",
			            k);
		}
	}
	if (c->smtp_url == NULL || c->smtp_from == NULL) {
		config_fail(r, n, "smtp needs url and from");
		free(c->smtp_url);
		c->smtp_url = NULL;
	}
}

void
config_read_people(config_reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n,
                   config_t *c)
{
	if (c->people != NULL) {
		config_fail(r, given, "'%s' given twice", config_scalar(given));
		return;
	}
	if (!config_expect(r, n, YAMLTREE_MAPPING, "people"))
		return;
	size_t count = config_pairs(n);
	c->people = xcalloc(count ? count : 1, sizeof(*c->people));
	for (size_t i = 0; i < count; i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *body = n->kids[2 * i + 1];
		const char *name = config_scalar(key);
		if (!name_ok(name)) {
			config_fail(r, key,
			            "'%s' is not a person's name (letters, digits, '.', '_', '-';"
			            " at most %d)",
			            name, ROSTER_NAME_MAX);
			continue;
		}
		if (config_person(c, name) != NULL) {
			config_fail(r, key, "person %s is defined twice", name);
			continue;
		}
		config_person_t *p = &c->people[c->people_count++];
		p->name = xstrdup(name);
		if (!config_expect(r, body, YAMLTREE_MAPPING, "a person ({webhook: URL, ...})"))
			continue;
		if (config_pairs(body) == 0)
			config_fail(r, body, "%s has no contact (slack, pagerduty, webhook, email)",
			            name);
		for (size_t k = 0; k < config_pairs(body); k++)
			read_contact(r, body->kids[2 * k], body->kids[2 * k + 1], c, p);
	}
}

/* "1w", "2d", "12h": whole hours at least, in seconds; -1 when not. */
static int64_t
parse_shift(const char *text)
{
	char *end = NULL;
	long long n = text ? strtoll(text, &end, 10) : 0;
	if (text == NULL || end == text || n <= 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	int64_t unit = end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : end[0] == 'w' ? 7 * 86400 : 0;
	if (unit == 0 || n > ROTATION_SHIFT_MAX_S / unit)
		return -1;
	int64_t s = n * unit;
	return s >= ROTATION_SHIFT_MIN_S && s <= ROTATION_SHIFT_MAX_S ? s : -1;
}

static void
read_people_list(config_reader_t *r, const yamltree_node_t *val, const config_t *c,
                 rotation_layer_t *l)
{
	if (!config_expect(r, val, YAMLTREE_SEQUENCE, "people"))
		return;
	if (val->count == 0) {
		config_fail(r, val, "people names nobody");
		return;
	}
	l->people = xcalloc(val->count, sizeof(*l->people));
	for (size_t i = 0; i < val->count; i++) {
		const char *who = config_scalar(val->kids[i]);
		if (who == NULL || config_person(c, who) == NULL)
			config_fail(r, val->kids[i], "'%s' is not a person defined under people",
			            who ? who : "");
		else
			l->people[l->people_count++] = xstrdup(who);
	}
}

/* A layer's keys, from a layer's mapping or the rotation's own (top: the
 * rotation's keys layers and overrides are left to the caller). */
static void
read_layer(config_reader_t *r, const yamltree_node_t *n, const config_t *c, rotation_layer_t *l,
           bool top)
{
	const yamltree_node_t *handoff = NULL, *start = NULL, *where = n;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		const char *v = config_scalar(val);
		if (strcmp(k, "people") == 0) {
			read_people_list(r, val, c, l);
		} else if (strcmp(k, "shift") == 0) {
			l->shift_s = parse_shift(v);
			if (l->shift_s < 0)
				config_fail(r, val,
				            "shift: '%s' is not a shift (whole hours, days or weeks"
				            " from 1h to 366d, like 12h, 1d, 1w)",
				            v ? v : "");
		} else if (strcmp(k, "handoff") == 0) {
			handoff = val;
		} else if (strcmp(k, "start") == 0) {
			start = val;
		} else if (strcmp(k, "timezone") == 0) {
			if (v == NULL || !cron_timezone_valid(v))
				config_fail(r, val,
				            "timezone: '%s' is not a zone of this host's zoneinfo"
				            " (like Europe/London or UTC)",
				            v ? v : "");
			else {
				free(l->timezone);
				l->timezone = xstrdup(v);
			}
		} else if (strcmp(k, "days") == 0) {
			if (v == NULL || rotation_parse_days(v, &l->days) != 0)
				config_fail(
				    r, val,
				    "days: '%s' is not a list of days (like MON-FRI or SAT,SUN)",
				    v ? v : "");
		} else if (strcmp(k, "hours") == 0) {
			if (v == NULL ||
			    rotation_parse_hours(v, &l->hours_from_s, &l->hours_until_s) != 0)
				config_fail(
				    r, val,
				    "hours: '%s' is not a span of the day (like 09:00-17:00)",
				    v ? v : "");
		} else if (strcmp(k, "priority") == 0) {
			char *end = NULL;
			long p = v ? strtol(v, &end, 10) : 0;
			if (v == NULL || end == v || *end != '\0' || p < 0 || p > 100)
				config_fail(r, val,
				            "priority must be a number from 0 to 100, not '%s'",
				            v ? v : "");
			else
				l->priority = (int)p;
		} else if (!(top && (strcmp(k, "layers") == 0 || strcmp(k, "overrides") == 0))) {
			config_fail(
			    r, key,
			    "unknown key '%s' in a rotation%s (expected people, shift, handoff,"
			    " timezone, start, days, hours, priority%s)",
			    k, top ? "" : "'s layer", top ? ", layers, overrides" : "");
		}
	}
	if (l->timezone == NULL)
		l->timezone = xstrdup("UTC");
	if (l->people == NULL) {
		config_fail(r, where, "a rotation%s needs people: [person, ...]",
		            top ? "" : "'s layer");
		return;
	}
	if (l->shift_s == 0)
		l->shift_s = 7 * 86400; /* a week, as most teams rotate */
	if (l->shift_s < 0)
		return;
	int wday = -1, minute = 9 * 60;
	const char *h = config_scalar(handoff);
	if (handoff != NULL && (h == NULL || rotation_parse_handoff(h, &wday, &minute) != 0)) {
		config_fail(r, handoff,
		            "handoff: '%s' is not a handoff time (like \"MON 09:00\" or \"09:00\")",
		            h ? h : "");
		return;
	}
	if (handoff == NULL && l->shift_s % (7 * 86400) == 0)
		wday = 1; /* weekly shifts hand off on Mondays at 09:00 by default */
	if (wday >= 0 && l->shift_s % (7 * 86400) != 0) {
		config_fail(r, handoff,
		            "handoff names a day, so shift must be whole weeks (like 1w)");
		return;
	}
	int64_t start_wall = -1;
	const char *sv = config_scalar(start);
	if (start != NULL && (sv == NULL || rotation_parse_date(sv, &start_wall) != 0)) {
		config_fail(r, start, "start: '%s' is not a date (like 2026-12-07)", sv ? sv : "");
		return;
	}
	rotation_layer_anchor(l, start_wall, wday, minute);
}

static void
read_overrides(config_reader_t *r, const yamltree_node_t *n, const config_t *c, rotation_t *rot)
{
	if (!config_expect(r, n, YAMLTREE_SEQUENCE, "overrides"))
		return;
	rot->overrides = xcalloc(n->count ? n->count : 1, sizeof(*rot->overrides));
	for (size_t i = 0; i < n->count; i++) {
		const yamltree_node_t *item = n->kids[i];
		if (!config_expect(r, item, YAMLTREE_MAPPING,
		                   "an override ({person: P, from: TIME, until: TIME})"))
			continue;
		rotation_override_t o = {.from_ms = -1, .until_ms = -1};
		bool ok = true;
		for (size_t k = 0; k < config_pairs(item); k++) {
			const char *key = config_scalar(item->kids[2 * k]);
			const yamltree_node_t *val = item->kids[2 * k + 1];
			const char *v = config_scalar(val);
			if (strcmp(key, "person") == 0) {
				if (v == NULL || config_person(c, v) == NULL)
					ok = config_fail(
					    r, val, "'%s' is not a person defined under people",
					    v ? v : "");
				else
					o.person = xstrdup(v);
			} else if (strcmp(key, "from") == 0 || strcmp(key, "until") == 0) {
				int64_t *slot = key[0] == 'f' ? &o.from_ms : &o.until_ms;
				if (v == NULL || rotation_parse_instant(v, slot) != 0)
					ok =
					    config_fail(r, val,
					                "%s: '%s' is not a time with its zone (like"
					                " 2026-12-24T18:00:00Z)",
					                key, v ? v : "");
			} else {
				ok = config_fail(
				    r, item->kids[2 * k],
				    "unknown key '%s' in an override (expected person, from,"
				    " until)",
				    key);
			}
		}
		if (ok && (o.person == NULL || o.from_ms < 0 || o.until_ms < 0))
			ok = config_fail(r, item, "an override needs person, from and until");
		else if (ok && o.until_ms <= o.from_ms)
			ok = config_fail(r, item, "an override's until must be after its from");
		if (!ok) {
			rotation_override_clear(&o);
			continue;
		}
		o.by = xstrdup("config");
		rot->overrides[rot->override_count++] = o;
	}
}

static void
read_rotation(config_reader_t *r, const yamltree_node_t *n, const config_t *c, rotation_t *rot)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "a rotation"))
		return;
	const yamltree_node_t *layers = NULL;
	bool own_keys = false;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const char *k = config_scalar(n->kids[2 * i]);
		if (strcmp(k, "layers") == 0)
			layers = n->kids[2 * i + 1];
		else if (strcmp(k, "overrides") == 0)
			read_overrides(r, n->kids[2 * i + 1], c, rot);
		else
			own_keys = true;
	}
	if (layers == NULL) {
		rot->layers = xcalloc(1, sizeof(*rot->layers));
		rot->layer_count = 1;
		read_layer(r, n, c, &rot->layers[0], true);
		return;
	}
	if (own_keys) {
		config_fail(r, n,
		            "rotation %s has layers: its people, shift and handoff go in them",
		            rot->name);
		return;
	}
	if (!config_expect(r, layers, YAMLTREE_SEQUENCE, "layers"))
		return;
	if (layers->count == 0) {
		config_fail(r, layers, "rotation %s has no layer", rot->name);
		return;
	}
	rot->layers = xcalloc(layers->count, sizeof(*rot->layers));
	for (size_t i = 0; i < layers->count; i++) {
		rotation_layer_t *l = &rot->layers[rot->layer_count++];
		if (config_expect(r, layers->kids[i], YAMLTREE_MAPPING, "a layer"))
			read_layer(r, layers->kids[i], c, l, false);
	}
}

void
config_read_rotations(config_reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n,
                      config_t *c)
{
	if (c->rotations != NULL) {
		config_fail(r, given, "'%s' given twice", config_scalar(given));
		return;
	}
	if (!config_expect(r, n, YAMLTREE_MAPPING, "rotations"))
		return;
	size_t count = config_pairs(n);
	c->rotations = xcalloc(count ? count : 1, sizeof(*c->rotations));
	for (size_t i = 0; i < count; i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const char *name = config_scalar(key);
		if (!name_ok(name)) {
			config_fail(r, key,
			            "'%s' is not a rotation's name (letters, digits, '.', '_', '-';"
			            " at most %d)",
			            name, ROSTER_NAME_MAX);
			continue;
		}
		if (config_rotation(c, name) != NULL) {
			config_fail(r, key, "rotation %s is defined twice", name);
			continue;
		}
		rotation_t *rot = &c->rotations[c->rotation_count++];
		rot->name = xstrdup(name);
		read_rotation(r, n->kids[2 * i + 1], c, rot);
	}
}

void
config_roster_clear(config_t *c)
{
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_user);
	free(c->smtp_password);
	for (size_t i = 0; i < c->people_count; i++) {
		for (size_t k = 0; k < c->people[i].channel_count; k++)
			free(c->people[i].channels[k]);
		free(c->people[i].channels);
		free(c->people[i].name);
	}
	free(c->people);
	c->people = NULL;
	c->people_count = 0;
	for (size_t i = 0; i < c->rotation_count; i++)
		rotation_clear(&c->rotations[i]);
	free(c->rotations);
	c->rotations = NULL;
	c->rotation_count = 0;
}
