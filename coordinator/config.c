/* config: the coordinator's YAML configuration (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coordinator.h"
#include "duration.h"
#include "leader.h"
#include "xalloc.h"
#include "yamltree.h"
#include "config_internal.h"

/* Records an error at n; always returns false so callers can
 * `return config_fail(...)`. */
bool
config_fail(config_reader_t *r, const yamltree_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yamltree_report_add(&r->rep, n ? n->mark : (yamltree_mark_t){1, 1}, "%s", msg);
	return false;
}

const char *
config_scalar(const yamltree_node_t *n)
{
	return n && n->kind == YAMLTREE_SCALAR ? n->text : NULL;
}

/* Pairs of a mapping: kids[2i] is a key, kids[2i+1] its value. */
size_t
config_pairs(const yamltree_node_t *map)
{
	return map->count / 2;
}

bool
config_expect(config_reader_t *r, const yamltree_node_t *n, yamltree_kind_t kind, const char *what)
{
	if (n != NULL && n->kind == kind)
		return true;
	static const char *const names[] = {"a value", "a list", "a mapping"};
	return config_fail(r, n, "%s must be %s", what, names[kind]);
}

bool
config_read_duration(config_reader_t *r, const yamltree_node_t *n, const char *what, int64_t *out)
{
	uint64_t ms;
	const char *text = config_scalar(n);
	if (text == NULL || duration_parse(text, &ms) != 0)
		return config_fail(r, n, "%s: '%s' is not a duration (like 30s, 15m, 4h, 1d)", what,
		                   text ? text : "");
	*out = (int64_t)ms;
	return true;
}

/* A value given directly (KEY) or through the environment (KEY_env). */
bool
config_read_secret(config_reader_t *r, const yamltree_node_t *key, const yamltree_node_t *val,
                   const char *name, char **out)
{
	const char *k = config_scalar(key);
	const char *v = config_scalar(val);
	if (v == NULL)
		return config_fail(r, val, "%s must be a value", k);
	if (strlen(k) > strlen(name)) { /* NAME_env */
		const char *env = getenv(v);
		if (env == NULL || env[0] == '\0')
			return config_fail(r, val,
			                   "%s: the environment variable %s is not set (export it"
			                   " before starting the coordinator)",
			                   k, v);
		v = env;
	}
	free(*out);
	*out = xstrdup(v);
	return true;
}

/* One channel's kind (the key: slack, pagerduty, webhook, email) and its
 * options, into ch (whose name is set). Shared with people's contacts
 * (config_roster.c), which are channels of their own. */
bool
config_read_channel_body(config_reader_t *r, const yamltree_node_t *kind,
                         const yamltree_node_t *opts, channel_t *ch)
{
	const char *k = config_scalar(kind);
	if (k && strcmp(k, "slack") == 0)
		ch->kind = CHANNEL_SLACK;
	else if (k && strcmp(k, "pagerduty") == 0)
		ch->kind = CHANNEL_PAGERDUTY;
	else if (k && strcmp(k, "webhook") == 0)
		ch->kind = CHANNEL_WEBHOOK;
	else
		return config_fail(
		    r, kind, "unknown channel type '%s' (expected slack, pagerduty or webhook)",
		    k ? k : "");
	if (!config_expect(r, opts, YAMLTREE_MAPPING, k))
		return false;
	bool ok = true;
	for (size_t i = 0; i < config_pairs(opts); i++) {
		const yamltree_node_t *key = opts->kids[2 * i];
		const yamltree_node_t *val = opts->kids[2 * i + 1];
		const char *name_ = config_scalar(key);
		if (strcmp(name_, "url") == 0 || strcmp(name_, "url_env") == 0) {
			ok &= config_read_secret(r, key, val, "url", &ch->url);
		} else if (ch->kind == CHANNEL_PAGERDUTY &&
		           (strcmp(name_, "routing_key") == 0 ||
		            strcmp(name_, "routing_key_env") == 0)) {
			ok &= config_read_secret(r, key, val, "routing_key", &ch->routing_key);
		} else if (ch->kind == CHANNEL_SLACK && strcmp(name_, "user") == 0) {
			/* A Slack member id (U024BE7LH), mentioned so the person is
			 * paged by Slack itself. */
			const char *v = config_scalar(val);
			if (v == NULL || v[0] == '\0' ||
			    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(v))
				ok = config_fail(
				    r, val,
				    "user must be a Slack member id (like U024BE7LH), not '%s'",
				    v ? v : "");
			else {
				free(ch->mention);
				ch->mention = xstrdup(v);
			}
		} else {
			ok = config_fail(r, key, "unknown key '%s' in a %s channel (expected %s)",
			                 name_, k,
			                 ch->kind == CHANNEL_PAGERDUTY
			                     ? "routing_key or routing_key_env, url or url_env"
			                 : ch->kind == CHANNEL_SLACK ? "url or url_env, user"
			                                             : "url or url_env");
		}
	}
	if (!ok)
		return false;
	if (ch->kind == CHANNEL_PAGERDUTY && ch->url == NULL)
		ch->url = xstrdup(CHANNEL_PAGERDUTY_URL);
	if (ch->url == NULL)
		return config_fail(r, opts, "channel %s needs url or url_env", ch->name);
	if (ch->kind == CHANNEL_PAGERDUTY && ch->routing_key == NULL)
		return config_fail(r, opts, "channel %s needs routing_key or routing_key_env",
		                   ch->name);
	if (strncmp(ch->url, "http://", 7) != 0 && strncmp(ch->url, "https://", 8) != 0)
		return config_fail(
		    r, opts, "channel %s: the url must start with http:// or https://", ch->name);
	return true;
}

static bool
read_channel(config_reader_t *r, const yamltree_node_t *name, const yamltree_node_t *body,
             channel_t *ch)
{
	ch->name = xstrdup(config_scalar(name));
	if (!config_expect(r, body, YAMLTREE_MAPPING, "a channel"))
		return false;
	if (config_pairs(body) != 1)
		return config_fail(r, body,
		                   "channel %s must have exactly one of slack, pagerduty, webhook",
		                   ch->name);
	return config_read_channel_body(r, body->kids[0], body->kids[1], ch);
}

/* The file is read with duplicate keys kept (channels and policies name
 * their own), so a list given twice is refused here: read into the list
 * the first one made, it would overrun it. */
static void
read_channels(config_reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n,
              config_t *c)
{
	if (c->channels != NULL) {
		config_fail(r, given, "'%s' given twice", config_scalar(given));
		return;
	}
	if (!config_expect(r, n, YAMLTREE_MAPPING, "channels"))
		return;
	size_t count = config_pairs(n);
	c->channels = xcalloc(count ? count : 1, sizeof(*c->channels));
	for (size_t i = 0; i < count; i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		if (config_scalar(key)[0] == '@') {
			config_fail(r, key,
			            "a channel's name may not start with '@' (a person's"
			            " contacts are named so)");
			continue;
		}
		if (config_channel(c, config_scalar(key)) != NULL) {
			config_fail(r, key, "channel %s is defined twice", config_scalar(key));
			continue;
		}
		/* A channel with errors keeps its name, so the tiers that name it
		 * are not reported too. */
		channel_t *ch = &c->channels[c->channel_count++];
		read_channel(r, key, n->kids[2 * i + 1], ch);
	}
}

static bool
read_notify(config_reader_t *r, const yamltree_node_t *val, const config_t *c, config_tier_t *t)
{
	if (!config_expect(r, val, YAMLTREE_SEQUENCE, "notify"))
		return false;
	if (val->count == 0)
		return config_fail(r, val, "notify names no channel");
	t->notify = xcalloc(val->count, sizeof(*t->notify));
	bool ok = true;
	for (size_t i = 0; i < val->count; i++) {
		const yamltree_node_t *item = val->kids[i];
		const char *name = config_scalar(item);
		size_t plen = strlen(CONFIG_ONCALL_PREFIX);
		if (name != NULL && strncmp(name, CONFIG_ONCALL_PREFIX, plen) == 0) {
			if (config_rotation(c, name + plen) == NULL) {
				ok = config_fail(r, item,
				                 "notify: '%s' names no rotation defined under"
				                 " rotations",
				                 name);
				continue;
			}
		} else if (name == NULL || name[0] == '@' || config_channel(c, name) == NULL) {
			ok = config_fail(r, item,
			                 "notify: '%s' is not a channel defined under"
			                 " channels (or oncall:ROTATION)",
			                 name ? name : "");
			continue;
		}
		t->notify[t->notify_count++] = xstrdup(name);
	}
	return ok;
}

/* severity: [P1, P2] (or one, P1): the tier is for those only. */
static bool
read_severities(config_reader_t *r, const yamltree_node_t *val, config_tier_t *t)
{
	const yamltree_node_t *one[1] = {val};
	const yamltree_node_t *const *items = one;
	size_t n = 1;
	if (val->kind == YAMLTREE_SEQUENCE) {
		items = (const yamltree_node_t *const *)val->kids;
		n = val->count;
	}
	if (n == 0)
		return config_fail(r, val, "severity names no severity (P1 to P4)");
	for (size_t i = 0; i < n; i++) {
		const char *v = config_scalar(items[i]);
		if (v == NULL || strlen(v) != 2 || (v[0] != 'P' && v[0] != 'p') || v[1] < '1' ||
		    v[1] > '4')
			return config_fail(
			    r, items[i], "severity: '%s' is not a severity (P1 to P4)", v ? v : "");
		t->severities |= (uint8_t)(1u << (v[1] - '0'));
	}
	return true;
}

static bool
read_tier(config_reader_t *r, const yamltree_node_t *n, const config_t *c, config_tier_t *t,
          bool last)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "a tier ({after: 15m, notify: [channel]})"))
		return false;
	bool has_after = false, ok = true;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		if (strcmp(k, "after") == 0) {
			has_after = config_read_duration(r, val, "after", &t->after_ms);
			if (!has_after)
				return false;
		} else if (strcmp(k, "repeat") == 0) {
			if (!last)
				ok = config_fail(r, key, "repeat is allowed on the last tier only");
			else if (!config_read_duration(r, val, "repeat", &t->repeat_ms))
				ok = false;
			else if (t->repeat_ms < 1000)
				ok = config_fail(r, val, "repeat must be at least 1s");
		} else if (strcmp(k, "severity") == 0) {
			ok &= read_severities(r, val, t);
		} else if (strcmp(k, "notify") == 0) {
			if (t->notify != NULL)
				ok = config_fail(r, key, "'%s' given twice", k);
			else
				ok &= read_notify(r, val, c, t);
		} else {
			ok = config_fail(r, key,
			                 "unknown key '%s' in a tier (expected after, notify,"
			                 " repeat, severity)",
			                 k);
		}
	}
	if (!ok)
		return false;
	if (!has_after)
		return config_fail(r, n, "a tier needs after (0m for at once)");
	if (t->notify_count == 0)
		return config_fail(r, n, "a tier needs notify: [channel, ...]");
	return true;
}

static void
read_policy(config_reader_t *r, const yamltree_node_t *val, const config_t *c, config_policy_t *pol)
{
	/* The long form: {until: resolved, tiers: [...]}. */
	if (val != NULL && val->kind == YAMLTREE_MAPPING) {
		const yamltree_node_t *tiers = NULL;
		for (size_t i = 0; i < config_pairs(val); i++) {
			const yamltree_node_t *key = val->kids[2 * i];
			const char *k = config_scalar(key);
			const char *v = config_scalar(val->kids[2 * i + 1]);
			if (strcmp(k, "tiers") == 0)
				tiers = val->kids[2 * i + 1];
			else if (strcmp(k, "until") != 0)
				config_fail(r, key,
				            "unknown key '%s' in policy %s (expected until, tiers)",
				            k, pol->name);
			else if (v && strcmp(v, "resolved") == 0)
				pol->until_resolved = true;
			else if (!v || strcmp(v, "acknowledged") != 0)
				config_fail(r, val->kids[2 * i + 1],
				            "until must be acknowledged or resolved, not '%s'",
				            v ? v : "");
		}
		if (tiers == NULL) {
			config_fail(
			    r, val,
			    "policy %s must be a list of tiers, or {until: resolved, tiers: [...]}",
			    pol->name);
			return;
		}
		val = tiers;
	}
	if (!config_expect(r, val, YAMLTREE_SEQUENCE, "a policy (a list of tiers)"))
		return;
	size_t tiers = val->count;
	if (tiers == 0) {
		config_fail(r, val, "policy %s has no tier", pol->name);
		return;
	}
	pol->tiers = xcalloc(tiers, sizeof(*pol->tiers));
	bool prev_ok = false;
	for (size_t i = 0; i < tiers; i++) {
		const yamltree_node_t *item = val->kids[i];
		config_tier_t *t = &pol->tiers[pol->tier_count++];
		bool ok = read_tier(r, item, c, t, i + 1 == tiers);
		/* The order is only worth checking between two tiers read whole. */
		if (ok && prev_ok && t->after_ms <= pol->tiers[i - 1].after_ms)
			config_fail(r, item,
			            "tier %zu of policy %s must come after tier %zu (after"
			            " must grow)",
			            i + 1, pol->name, i);
		prev_ok = ok;
	}
}

static void
read_policies(config_reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n,
              config_t *c)
{
	if (c->policies != NULL) {
		config_fail(r, given, "'%s' given twice", config_scalar(given));
		return;
	}
	if (!config_expect(r, n, YAMLTREE_MAPPING, "policies"))
		return;
	size_t count = config_pairs(n);
	c->policies = xcalloc(count ? count : 1, sizeof(*c->policies));
	for (size_t p = 0; p < count; p++) {
		const yamltree_node_t *key = n->kids[2 * p];
		bool twice = false;
		for (size_t i = 0; i < c->policy_count && !twice; i++)
			twice = strcmp(c->policies[i].name, config_scalar(key)) == 0;
		if (twice) {
			config_fail(r, key, "policy %s is defined twice", config_scalar(key));
			continue;
		}
		config_policy_t *pol = &c->policies[c->policy_count++];
		pol->name = xstrdup(config_scalar(key));
		read_policy(r, n->kids[2 * p + 1], c, pol);
	}
}

static void
read_deadlines(config_reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "deadlines"))
		return;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		if (strlen(k) != 2 || (k[0] != 'P' && k[0] != 'p') || k[1] < '1' || k[1] > '4') {
			config_fail(r, key, "deadlines: '%s' is not a severity (P1 to P4)", k);
			continue;
		}
		const char *v = config_scalar(val);
		if (v && strcmp(v, "next business day") == 0)
			c->deadline_ms[k[1] - '0'] = CONFIG_DEADLINE_NEXT_BUSINESS_DAY;
		else if (!config_read_duration(r, val, k, &c->deadline_ms[k[1] - '0']))
			continue;
		else if (c->deadline_ms[k[1] - '0'] < 1000)
			/* 0 would make every incident overdue the moment it opens. */
			config_fail(r, val, "%s: a deadline must be at least 1s", k);
	}
}

static void
read_escalation(config_reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "escalation"))
		return;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		if (strcmp(k, "deadlines") == 0)
			read_deadlines(r, val, c);
		else if (strcmp(k, "policies") == 0)
			read_policies(r, key, val, c);
		else
			config_fail(r, key,
			            "unknown key '%s' in escalation (expected deadlines, policies)",
			            k);
	}
}

static void
read_outbox(config_reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "outbox"))
		return;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		int64_t *slot = NULL;
		if (strcmp(k, "give_up_after") == 0)
			slot = &c->give_up_ms;
		else if (strcmp(k, "backoff") == 0)
			slot = &c->backoff_ms;
		else if (strcmp(k, "max_backoff") == 0)
			slot = &c->max_backoff_ms;
		else if (strcmp(k, "timeout") == 0)
			slot = &c->timeout_ms;
		if (slot == NULL)
			config_fail(r, key,
			            "unknown key '%s' in outbox (expected give_up_after, backoff,"
			            " max_backoff, timeout)",
			            k);
		else
			config_read_duration(r, val, k, slot);
	}
}

/* A retention: "0" (forever), "<N>d" days (past duration_parse's 30
 * days: audit is kept for more than a year), or any shorter duration. */
static bool
read_retention_duration(config_reader_t *r, const yamltree_node_t *n, const char *k, int64_t *out)
{
	const char *text = config_scalar(n);
	if (text != NULL && strcmp(text, "0") == 0) {
		*out = 0;
		return true;
	}
	char *end = NULL;
	errno = 0;
	long long days = text ? strtoll(text, &end, 10) : 0;
	if (text != NULL && end != text && strcmp(end, "d") == 0 && errno == 0) {
		if (days < 1 || days > CONFIG_RETAIN_MAX_DAYS)
			return config_fail(r, n,
			                   "retention: %s must be from 1d to %dd, or 0 to keep"
			                   " forever, not '%s'",
			                   k, CONFIG_RETAIN_MAX_DAYS, text);
		*out = days * CONFIG_DAY_MS;
		return true;
	}
	uint64_t ms = 0;
	if (text == NULL || duration_parse(text, &ms) != 0)
		return config_fail(r, n,
		                   "retention: %s: '%s' is not a duration (like 90d or 12h; 0 keeps"
		                   " forever)",
		                   k, text ? text : "");
	if ((int64_t)ms < CONFIG_RETAIN_MIN_MS)
		return config_fail(r, n,
		                   "retention: %s must be at least 1h, not '%s' (a bare number is"
		                   " seconds: write 30d for thirty days; 0 keeps forever)",
		                   k, text);
	*out = (int64_t)ms;
	return true;
}

static void
read_retention(config_reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!config_expect(r, n, YAMLTREE_MAPPING, "retention"))
		return;
	store_retention_t *ret = &c->retention;
	for (size_t i = 0; i < config_pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = config_scalar(key);
		int64_t *slot = NULL;
		if (strcmp(k, "runs") == 0)
			slot = &ret->runs_ms;
		else if (strcmp(k, "outputs") == 0)
			slot = &ret->outputs_ms;
		else if (strcmp(k, "audit") == 0)
			slot = &ret->audit_ms;
		else if (strcmp(k, "notifications") == 0)
			slot = &ret->notifications_ms;
		else if (strcmp(k, "incidents") == 0)
			slot = &ret->incidents_ms;
		if (slot != NULL) {
			read_retention_duration(r, val, k, slot);
		} else if (strcmp(k, "keep_runs_per_runbook") == 0) {
			const char *v = config_scalar(val);
			char *end = NULL;
			long long nkeep = v ? strtoll(v, &end, 10) : -1;
			if (v == NULL || end == v || *end != '\0' || nkeep < 0 || nkeep > 100000)
				config_fail(
				    r, val,
				    "retention: keep_runs_per_runbook must be a number from 0"
				    " to 100000, not '%s'",
				    v ? v : "");
			else
				ret->keep_runs_per_runbook = (uint32_t)nkeep;
		} else {
			config_fail(r, key,
			            "unknown key '%s' in retention (expected runs, outputs, audit,"
			            " notifications, incidents, keep_runs_per_runbook)",
			            k);
		}
	}
}

/* One top-level key other than channels. */
static void
read_key(config_reader_t *r, const yamltree_node_t *key, const yamltree_node_t *val, config_t *c)
{
	const char *k = config_scalar(key);
	if (strcmp(k, "http") == 0 || strcmp(k, "link") == 0) {
		if (config_scalar(val) == NULL) {
			config_fail(r, val, "%s must be a value", k);
			return;
		}
		char **slot = k[0] == 'h' ? &c->http : &c->link;
		free(*slot);
		*slot = xstrdup(config_scalar(val));
	} else if (strcmp(k, "http_token_file") == 0) {
		if (config_scalar(val) == NULL || config_scalar(val)[0] == '\0') {
			config_fail(r, val, "%s must be a file name", k);
			return;
		}
		free(c->http_token_file);
		c->http_token_file = xstrdup(config_scalar(val));
	} else if (strcmp(k, "store") == 0) {
		char *why = NULL; /* owned */
		if (config_scalar(val) == NULL) {
			config_fail(r, val, "%s must be a value", k);
		} else if (coordinator_store_check_url(config_scalar(val), &why) != 0) {
			config_fail(r, val, "store: %s", why);
			free(why);
		} else {
			free(c->store);
			c->store = xstrdup(config_scalar(val));
		}
	} else if (strcmp(k, "store_password_file") == 0) {
		/* Read and checked when the store is opened (and by --check),
		 * where --store-password-file may replace it. */
		if (config_scalar(val) == NULL || config_scalar(val)[0] == '\0') {
			config_fail(r, val, "%s must be a file name", k);
			return;
		}
		free(c->store_password_file);
		c->store_password_file = xstrdup(config_scalar(val));
	} else if (strcmp(k, "backup_dir") == 0) {
		/* rota backup FILE writes only below it (api_backup.c). */
		if (config_scalar(val) == NULL || config_scalar(val)[0] != '/') {
			config_fail(r, val,
			            "%s must be an absolute directory, like /var/backups/rota", k);
			return;
		}
		free(c->backup_dir);
		c->backup_dir = xstrdup(config_scalar(val));
	} else if (strcmp(k, "http_protect_metrics") == 0) {
		const char *v = config_scalar(val);
		if (v && strcmp(v, "true") == 0)
			c->http_protect_metrics = true;
		else if (v && strcmp(v, "false") == 0)
			c->http_protect_metrics = false;
		else
			config_fail(r, val, "%s must be true or false, not '%s'", k, v ? v : "");
	} else if (strcmp(k, "http_request_deadline") == 0) {
		int64_t ms = 0;
		if (!config_read_duration(r, val, k, &ms))
			return;
		if (ms < 1000 || ms > 3600000)
			config_fail(r, val, "%s must be from 1s to 1h, not '%s'", k,
			            config_scalar(val));
		else
			c->http_request_deadline_ms = ms;
	} else if (strcmp(k, "lease") == 0) {
		int64_t ms = 0;
		if (!config_read_duration(r, val, k, &ms))
			return;
		if (ms < LEADER_MIN_LEASE_MS || ms > LEADER_MAX_LEASE_MS)
			config_fail(r, val, "lease must be from 2s to 5m, not '%s'",
			            config_scalar(val));
		else
			c->lease_ms = ms;
	} else if (strcmp(k, "id") == 0) {
		char why[160];
		const char *v = config_scalar(val);
		if (config_id_check(v ? v : "", why, sizeof(why)) != 0) {
			config_fail(r, val, "id: %s", why);
			return;
		}
		free(c->id);
		c->id = xstrdup(v);
	} else if (strcmp(k, "vars") == 0) {
		fleetvars_destroy(&c->vars);
		c->vars = fleetvars_read(&r->rep, val);
	} else if (strcmp(k, "maintenance") == 0) {
		maintenance_plan_destroy(&c->maintenance);
		c->maintenance = maintenance_plan_read(&r->rep, val);
	} else if (strcmp(k, "host_label") == 0) {
		const char *v = config_scalar(val);
		if (v == NULL || v[0] == '\0' || strpbrk(v, " \t\n\"'{}") != NULL) {
			config_fail(r, val,
			            "host_label must be an alert label's name, like instance");
			return;
		}
		free(c->host_label);
		c->host_label = xstrdup(v);
	} else if (strcmp(k, "escalation") == 0) {
		read_escalation(r, val, c);
	} else if (strcmp(k, "outbox") == 0) {
		read_outbox(r, val, c);
	} else if (strcmp(k, "retention") == 0) {
		read_retention(r, val, c);
	} else {
		config_fail(r, key,
		            "unknown key '%s' (expected http, http_token_file,"
		            " http_protect_metrics, http_request_deadline, link, store,"
		            " store_password_file, backup_dir, lease, id, channels, smtp, people, "
		            "rotations,"
		            " escalation, outbox, vars, host_label, retention, maintenance)",
		            k);
	}
}

static void
read_root(config_reader_t *r, const yamltree_node_t *root, config_t *c)
{
	if (root == NULL)
		return; /* an empty file: the defaults */
	if (!config_expect(r, root, YAMLTREE_MAPPING, "the configuration"))
		return;
	/* channels first, then people (their contacts are channels), then
	 * rotations (they name people): tiers name all three, wherever they
	 * appear in the file. */
	static const char *const first[] = {"channels", "smtp", "people", "rotations"};
	for (size_t f = 0; f < sizeof(first) / sizeof(first[0]); f++)
		for (size_t i = 0; i < config_pairs(root); i++) {
			const yamltree_node_t *key = root->kids[2 * i];
			const yamltree_node_t *val = root->kids[2 * i + 1];
			if (strcmp(config_scalar(key), first[f]) != 0)
				continue;
			if (f == 0)
				read_channels(r, key, val, c);
			else if (f == 1)
				config_read_smtp(r, val, c);
			else if (f == 2)
				config_read_people(r, key, val, c);
			else
				config_read_rotations(r, key, val, c);
		}
	for (size_t i = 0; i < config_pairs(root); i++) {
		const char *k = config_scalar(root->kids[2 * i]);
		if (strcmp(k, "channels") != 0 && strcmp(k, "people") != 0 &&
		    strcmp(k, "rotations") != 0 && strcmp(k, "smtp") != 0)
			read_key(r, root->kids[2 * i], root->kids[2 * i + 1], c);
	}
}

config_t *
config_default(void)
{
	config_t *c = xcalloc(1, sizeof(*c));
	c->http = xstrdup(CONFIG_DEFAULT_HTTP);
	c->deadline_ms[1] = CONFIG_DEADLINE_P1_MS;
	c->deadline_ms[2] = CONFIG_DEADLINE_P2_MS;
	c->deadline_ms[3] = CONFIG_DEADLINE_P3_MS;
	c->deadline_ms[4] = CONFIG_DEADLINE_NEXT_BUSINESS_DAY;
	c->vars = fleetvars_read(NULL, NULL);
	c->maintenance = maintenance_plan_read(NULL, NULL);
	c->retention = (store_retention_t){
	    .runs_ms = CONFIG_RETAIN_RUNS_MS,
	    .outputs_ms = CONFIG_RETAIN_OUTPUTS_MS,
	    .audit_ms = CONFIG_RETAIN_AUDIT_MS,
	    .notifications_ms = CONFIG_RETAIN_NOTIFICATIONS_MS,
	    .incidents_ms = CONFIG_RETAIN_INCIDENTS_MS,
	    .keep_runs_per_runbook = CONFIG_RETAIN_KEEP_RUNS,
	};
	return c;
}

config_t *
config_load(const char *path, char **error)
{
	/* The message operators know for a file that is not there. */
	if (access(path, R_OK) != 0) {
		*error = xasprintf("%s: cannot read the configuration: %s", path, strerror(errno));
		return NULL;
	}
	static const yamltree_options_t opts = {
	    .noun = "configuration",
	    .max_bytes = CONFIG_MAX_BYTES,
	    .empty_ok = true,
	    .duplicates_ok = true, /* channels and policies name their own */
	};
	yamltree_errors_t errs = {0};
	config_reader_t r;
	yamltree_report_init(&r.rep, &errs, path);
	config_t *c = config_default();
	c->path = xstrdup(path);
	size_t len = 0;
	char *text = yamltree_read_file(&r.rep, path, &opts, &len);                     /* owned */
	yamltree_node_t *root = text ? yamltree_parse(&r.rep, text, len, &opts) : NULL; /* owned */
	if (errs.count == 0)
		read_root(&r, root, c);
	yamltree_destroy(&root);
	free(text);
	yamltree_report_finish(&r.rep);
	if (errs.count > 0) {
		char *all = yamltree_errors_format(&errs);
		size_t n = strlen(all);
		if (n > 0 && all[n - 1] == '\n')
			all[n - 1] = '\0'; /* one line per error, no trailing newline */
		*error = all;
		yamltree_errors_clear(&errs);
		config_destroy(&c);
		return NULL;
	}
	return c;
}

void
config_destroy(config_t **cp)
{
	config_t *c = *cp;
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->channel_count; i++)
		channel_clear(&c->channels[i]);
	free(c->channels);
	config_roster_clear(c);
	for (size_t i = 0; i < c->policy_count; i++) {
		for (size_t t = 0; t < c->policies[i].tier_count; t++) {
			for (size_t k = 0; k < c->policies[i].tiers[t].notify_count; k++)
				free(c->policies[i].tiers[t].notify[k]);
			free(c->policies[i].tiers[t].notify);
		}
		free(c->policies[i].tiers);
		free(c->policies[i].name);
	}
	free(c->policies);
	free(c->path);
	free(c->http);
	free(c->http_token_file);
	free(c->link);
	free(c->store);
	free(c->store_password_file);
	fleetvars_destroy(&c->vars);
	maintenance_plan_destroy(&c->maintenance);
	free(c->host_label);
	free(c->backup_dir);
	free(c->id);
	free(c);
	*cp = NULL;
}

const maint_plan_t *
config_maintenance(const config_t *c)
{
	return c != NULL ? c->maintenance : NULL;
}

void
config_swap_maintenance(config_t *c, config_t *fresh)
{
	maint_plan_t *old = c->maintenance;
	c->maintenance = fresh->maintenance;
	fresh->maintenance = old;
}

const channel_t *
config_channel(const config_t *c, const char *name)
{
	for (size_t i = 0; i < c->channel_count; i++)
		if (c->channels[i].name && strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

const config_policy_t *
config_policy(const config_t *c, const char *name)
{
	const config_policy_t *fallback = NULL;
	for (size_t i = 0; i < c->policy_count; i++) {
		if (c->policies[i].name == NULL)
			continue;
		if (name && strcmp(c->policies[i].name, name) == 0)
			return &c->policies[i];
		if (strcmp(c->policies[i].name, "default") == 0)
			fallback = &c->policies[i];
	}
	return fallback;
}

/* The next business day: a day later, moved past a weekend (UTC), at the
 * same time of day. */
int64_t
config_ack_due(const config_t *c, int severity, int64_t opened_ms)
{
	if (severity < 1 || severity > 4)
		severity = 3;
	int64_t d = c->deadline_ms[severity];
	if (d != CONFIG_DEADLINE_NEXT_BUSINESS_DAY)
		return opened_ms + d;
	const int64_t day = 24LL * 3600 * 1000;
	int64_t due = opened_ms + day;
	time_t t = (time_t)(due / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (tm.tm_wday == 6)
		due += 2 * day;
	else if (tm.tm_wday == 0)
		due += day;
	return due;
}

int
config_id_check(const char *id, char *why, size_t len)
{
	size_t n = strlen(id);
	if (n == 0) {
		snprintf(why, len, "a coordinator's id must not be empty");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		             (ch >= '0' && ch <= '9');
		if (alnum || (i > 0 && (ch == '.' || ch == '_' || ch == '-')))
			continue;
		/* The byte is shown, never the id: it may hold control characters. */
		char shown[16];
		if (ch >= 0x20 && ch < 0x7f)
			snprintf(shown, sizeof(shown), "'%c'", ch);
		else
			snprintf(shown, sizeof(shown), "byte 0x%02x", ch);
		snprintf(why, len,
		         "%s at position %zu is not allowed: an id is letters, digits, '.', '_' and"
		         " '-', starting with a letter or a digit, at most %d bytes (like c1 or"
		         " db-east.2)",
		         shown, i + 1, CONFIG_ID_MAX);
		return -1;
	}
	if (n > CONFIG_ID_MAX) {
		snprintf(why, len, "'%.20s...' is %zu bytes long; an id has at most %d", id, n,
		         CONFIG_ID_MAX);
		return -1;
	}
	return 0;
}
