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

/* Every problem is reported and reading goes on with the next key, so an
 * operator sees all of a file's errors at once. */
typedef struct {
	yamltree_report_t rep;
} reader_t;

static bool reader_fail(reader_t *r, const yamltree_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error at n; always returns false so callers can
 * `return reader_fail(...)`. */
static bool
reader_fail(reader_t *r, const yamltree_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yamltree_report_add(&r->rep, n ? n->mark : (yamltree_mark_t){1, 1}, "%s", msg);
	return false;
}

static const char *
scalar(const yamltree_node_t *n)
{
	return n && n->kind == YAMLTREE_SCALAR ? n->text : NULL;
}

/* Pairs of a mapping: kids[2i] is a key, kids[2i+1] its value. */
static size_t
pairs(const yamltree_node_t *map)
{
	return map->count / 2;
}

static bool
expect(reader_t *r, const yamltree_node_t *n, yamltree_kind_t kind, const char *what)
{
	if (n != NULL && n->kind == kind)
		return true;
	static const char *const names[] = {"a value", "a list", "a mapping"};
	return reader_fail(r, n, "%s must be %s", what, names[kind]);
}

static bool
read_duration(reader_t *r, const yamltree_node_t *n, const char *what, int64_t *out)
{
	uint64_t ms;
	const char *text = scalar(n);
	if (text == NULL || duration_parse(text, &ms) != 0)
		return reader_fail(r, n, "%s: '%s' is not a duration (like 30s, 15m, 4h, 1d)", what,
		                   text ? text : "");
	*out = (int64_t)ms;
	return true;
}

/* A value given directly (KEY) or through the environment (KEY_env). */
static bool
read_secret(reader_t *r, const yamltree_node_t *key, const yamltree_node_t *val, const char *name,
            char **out)
{
	const char *k = scalar(key);
	const char *v = scalar(val);
	if (v == NULL)
		return reader_fail(r, val, "%s must be a value", k);
	if (strlen(k) > strlen(name)) { /* NAME_env */
		const char *env = getenv(v);
		if (env == NULL || env[0] == '\0')
			return reader_fail(r, val,
			                   "%s: the environment variable %s is not set (export it"
			                   " before starting the coordinator)",
			                   k, v);
		v = env;
	}
	free(*out);
	*out = xstrdup(v);
	return true;
}

static bool
read_channel(reader_t *r, const yamltree_node_t *name, const yamltree_node_t *body, channel_t *ch)
{
	ch->name = xstrdup(scalar(name));
	if (!expect(r, body, YAMLTREE_MAPPING, "a channel"))
		return false;
	if (pairs(body) != 1)
		return reader_fail(r, body,
		                   "channel %s must have exactly one of slack, pagerduty, webhook",
		                   ch->name);
	const yamltree_node_t *kind = body->kids[0];
	const yamltree_node_t *opts = body->kids[1];
	const char *k = scalar(kind);
	if (k && strcmp(k, "slack") == 0)
		ch->kind = CHANNEL_SLACK;
	else if (k && strcmp(k, "pagerduty") == 0)
		ch->kind = CHANNEL_PAGERDUTY;
	else if (k && strcmp(k, "webhook") == 0)
		ch->kind = CHANNEL_WEBHOOK;
	else
		return reader_fail(
		    r, kind, "unknown channel type '%s' (expected slack, pagerduty or webhook)",
		    k ? k : "");
	if (!expect(r, opts, YAMLTREE_MAPPING, k))
		return false;
	bool ok = true;
	for (size_t i = 0; i < pairs(opts); i++) {
		const yamltree_node_t *key = opts->kids[2 * i];
		const yamltree_node_t *val = opts->kids[2 * i + 1];
		const char *name_ = scalar(key);
		if (strcmp(name_, "url") == 0 || strcmp(name_, "url_env") == 0) {
			ok &= read_secret(r, key, val, "url", &ch->url);
		} else if (ch->kind == CHANNEL_PAGERDUTY &&
		           (strcmp(name_, "routing_key") == 0 ||
		            strcmp(name_, "routing_key_env") == 0)) {
			ok &= read_secret(r, key, val, "routing_key", &ch->routing_key);
		} else {
			ok = reader_fail(r, key, "unknown key '%s' in a %s channel (expected %s)",
			                 name_, k,
			                 ch->kind == CHANNEL_PAGERDUTY
			                     ? "routing_key or routing_key_env, url or url_env"
			                     : "url or url_env");
		}
	}
	if (!ok)
		return false;
	if (ch->kind == CHANNEL_PAGERDUTY && ch->url == NULL)
		ch->url = xstrdup(CHANNEL_PAGERDUTY_URL);
	if (ch->url == NULL)
		return reader_fail(r, opts, "channel %s needs url or url_env", ch->name);
	if (ch->kind == CHANNEL_PAGERDUTY && ch->routing_key == NULL)
		return reader_fail(r, opts, "channel %s needs routing_key or routing_key_env",
		                   ch->name);
	if (strncmp(ch->url, "http://", 7) != 0 && strncmp(ch->url, "https://", 8) != 0)
		return reader_fail(
		    r, opts, "channel %s: the url must start with http:// or https://", ch->name);
	return true;
}

/* The file is read with duplicate keys kept (channels and policies name
 * their own), so a list given twice is refused here: read into the list
 * the first one made, it would overrun it. */
static void
read_channels(reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n, config_t *c)
{
	if (c->channels != NULL) {
		reader_fail(r, given, "'%s' given twice", scalar(given));
		return;
	}
	if (!expect(r, n, YAMLTREE_MAPPING, "channels"))
		return;
	size_t count = pairs(n);
	c->channels = xcalloc(count ? count : 1, sizeof(*c->channels));
	for (size_t i = 0; i < count; i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		if (config_channel(c, scalar(key)) != NULL) {
			reader_fail(r, key, "channel %s is defined twice", scalar(key));
			continue;
		}
		/* A channel with errors keeps its name, so the tiers that name it
		 * are not reported too. */
		channel_t *ch = &c->channels[c->channel_count++];
		read_channel(r, key, n->kids[2 * i + 1], ch);
	}
}

static bool
read_notify(reader_t *r, const yamltree_node_t *val, const config_t *c, config_tier_t *t)
{
	if (!expect(r, val, YAMLTREE_SEQUENCE, "notify"))
		return false;
	if (val->count == 0)
		return reader_fail(r, val, "notify names no channel");
	t->notify = xcalloc(val->count, sizeof(*t->notify));
	bool ok = true;
	for (size_t i = 0; i < val->count; i++) {
		const yamltree_node_t *item = val->kids[i];
		const char *name = scalar(item);
		if (name == NULL || config_channel(c, name) == NULL) {
			ok = reader_fail(r, item,
			                 "notify: '%s' is not a channel defined under"
			                 " channels",
			                 name ? name : "");
			continue;
		}
		t->notify[t->notify_count++] = xstrdup(name);
	}
	return ok;
}

static bool
read_tier(reader_t *r, const yamltree_node_t *n, const config_t *c, config_tier_t *t, bool last)
{
	if (!expect(r, n, YAMLTREE_MAPPING, "a tier ({after: 15m, notify: [channel]})"))
		return false;
	bool has_after = false, ok = true;
	for (size_t i = 0; i < pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = scalar(key);
		if (strcmp(k, "after") == 0) {
			has_after = read_duration(r, val, "after", &t->after_ms);
			if (!has_after)
				return false;
		} else if (strcmp(k, "repeat") == 0) {
			if (!last)
				ok = reader_fail(r, key, "repeat is allowed on the last tier only");
			else if (!read_duration(r, val, "repeat", &t->repeat_ms))
				ok = false;
			else if (t->repeat_ms < 1000)
				ok = reader_fail(r, val, "repeat must be at least 1s");
		} else if (strcmp(k, "notify") == 0) {
			if (t->notify != NULL)
				ok = reader_fail(r, key, "'%s' given twice", k);
			else
				ok &= read_notify(r, val, c, t);
		} else {
			ok = reader_fail(r, key,
			                 "unknown key '%s' in a tier (expected after, notify,"
			                 " repeat)",
			                 k);
		}
	}
	if (!ok)
		return false;
	if (!has_after)
		return reader_fail(r, n, "a tier needs after (0m for at once)");
	if (t->notify_count == 0)
		return reader_fail(r, n, "a tier needs notify: [channel, ...]");
	return true;
}

static void
read_policy(reader_t *r, const yamltree_node_t *val, const config_t *c, config_policy_t *pol)
{
	if (!expect(r, val, YAMLTREE_SEQUENCE, "a policy (a list of tiers)"))
		return;
	size_t tiers = val->count;
	if (tiers == 0) {
		reader_fail(r, val, "policy %s has no tier", pol->name);
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
			reader_fail(r, item,
			            "tier %zu of policy %s must come after tier %zu (after"
			            " must grow)",
			            i + 1, pol->name, i);
		prev_ok = ok;
	}
}

static void
read_policies(reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n, config_t *c)
{
	if (c->policies != NULL) {
		reader_fail(r, given, "'%s' given twice", scalar(given));
		return;
	}
	if (!expect(r, n, YAMLTREE_MAPPING, "policies"))
		return;
	size_t count = pairs(n);
	c->policies = xcalloc(count ? count : 1, sizeof(*c->policies));
	for (size_t p = 0; p < count; p++) {
		const yamltree_node_t *key = n->kids[2 * p];
		bool twice = false;
		for (size_t i = 0; i < c->policy_count && !twice; i++)
			twice = strcmp(c->policies[i].name, scalar(key)) == 0;
		if (twice) {
			reader_fail(r, key, "policy %s is defined twice", scalar(key));
			continue;
		}
		config_policy_t *pol = &c->policies[c->policy_count++];
		pol->name = xstrdup(scalar(key));
		read_policy(r, n->kids[2 * p + 1], c, pol);
	}
}

static void
read_deadlines(reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!expect(r, n, YAMLTREE_MAPPING, "deadlines"))
		return;
	for (size_t i = 0; i < pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = scalar(key);
		if (strlen(k) != 2 || (k[0] != 'P' && k[0] != 'p') || k[1] < '1' || k[1] > '4') {
			reader_fail(r, key, "deadlines: '%s' is not a severity (P1 to P4)", k);
			continue;
		}
		const char *v = scalar(val);
		if (v && strcmp(v, "next business day") == 0)
			c->deadline_ms[k[1] - '0'] = CONFIG_DEADLINE_NEXT_BUSINESS_DAY;
		else if (!read_duration(r, val, k, &c->deadline_ms[k[1] - '0']))
			continue;
		else if (c->deadline_ms[k[1] - '0'] < 1000)
			/* 0 would make every incident overdue the moment it opens. */
			reader_fail(r, val, "%s: a deadline must be at least 1s", k);
	}
}

static void
read_escalation(reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!expect(r, n, YAMLTREE_MAPPING, "escalation"))
		return;
	for (size_t i = 0; i < pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = scalar(key);
		if (strcmp(k, "deadlines") == 0)
			read_deadlines(r, val, c);
		else if (strcmp(k, "policies") == 0)
			read_policies(r, key, val, c);
		else
			reader_fail(r, key,
			            "unknown key '%s' in escalation (expected deadlines, policies)",
			            k);
	}
}

static void
read_outbox(reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!expect(r, n, YAMLTREE_MAPPING, "outbox"))
		return;
	for (size_t i = 0; i < pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = scalar(key);
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
			reader_fail(r, key,
			            "unknown key '%s' in outbox (expected give_up_after, backoff,"
			            " max_backoff, timeout)",
			            k);
		else
			read_duration(r, val, k, slot);
	}
}

/* A retention: "0" (forever), "<N>d" days (past duration_parse's 30
 * days: audit is kept for more than a year), or any shorter duration. */
static bool
read_retention_duration(reader_t *r, const yamltree_node_t *n, const char *k, int64_t *out)
{
	const char *text = scalar(n);
	if (text != NULL && strcmp(text, "0") == 0) {
		*out = 0;
		return true;
	}
	char *end = NULL;
	errno = 0;
	long long days = text ? strtoll(text, &end, 10) : 0;
	if (text != NULL && end != text && strcmp(end, "d") == 0 && errno == 0) {
		if (days < 1 || days > CONFIG_RETAIN_MAX_DAYS)
			return reader_fail(r, n,
			                   "retention: %s must be from 1d to %dd, or 0 to keep"
			                   " forever, not '%s'",
			                   k, CONFIG_RETAIN_MAX_DAYS, text);
		*out = days * CONFIG_DAY_MS;
		return true;
	}
	uint64_t ms = 0;
	if (text == NULL || duration_parse(text, &ms) != 0)
		return reader_fail(r, n,
		                   "retention: %s: '%s' is not a duration (like 90d or 12h; 0 keeps"
		                   " forever)",
		                   k, text ? text : "");
	if ((int64_t)ms < CONFIG_RETAIN_MIN_MS)
		return reader_fail(r, n,
		                   "retention: %s must be at least 1h, not '%s' (a bare number is"
		                   " seconds: write 30d for thirty days; 0 keeps forever)",
		                   k, text);
	*out = (int64_t)ms;
	return true;
}

static void
read_retention(reader_t *r, const yamltree_node_t *n, config_t *c)
{
	if (!expect(r, n, YAMLTREE_MAPPING, "retention"))
		return;
	store_retention_t *ret = &c->retention;
	for (size_t i = 0; i < pairs(n); i++) {
		const yamltree_node_t *key = n->kids[2 * i];
		const yamltree_node_t *val = n->kids[2 * i + 1];
		const char *k = scalar(key);
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
			const char *v = scalar(val);
			char *end = NULL;
			long long nkeep = v ? strtoll(v, &end, 10) : -1;
			if (v == NULL || end == v || *end != '\0' || nkeep < 0 || nkeep > 100000)
				reader_fail(
				    r, val,
				    "retention: keep_runs_per_runbook must be a number from 0"
				    " to 100000, not '%s'",
				    v ? v : "");
			else
				ret->keep_runs_per_runbook = (uint32_t)nkeep;
		} else {
			reader_fail(r, key,
			            "unknown key '%s' in retention (expected runs, outputs, audit,"
			            " notifications, incidents, keep_runs_per_runbook)",
			            k);
		}
	}
}

/* One top-level key other than channels. */
static void
read_key(reader_t *r, const yamltree_node_t *key, const yamltree_node_t *val, config_t *c)
{
	const char *k = scalar(key);
	if (strcmp(k, "http") == 0 || strcmp(k, "link") == 0) {
		if (scalar(val) == NULL) {
			reader_fail(r, val, "%s must be a value", k);
			return;
		}
		char **slot = k[0] == 'h' ? &c->http : &c->link;
		free(*slot);
		*slot = xstrdup(scalar(val));
	} else if (strcmp(k, "http_token_file") == 0) {
		if (scalar(val) == NULL || scalar(val)[0] == '\0') {
			reader_fail(r, val, "%s must be a file name", k);
			return;
		}
		free(c->http_token_file);
		c->http_token_file = xstrdup(scalar(val));
	} else if (strcmp(k, "store") == 0) {
		char *why = NULL; /* owned */
		if (scalar(val) == NULL) {
			reader_fail(r, val, "%s must be a value", k);
		} else if (coordinator_store_check_url(scalar(val), &why) != 0) {
			reader_fail(r, val, "store: %s", why);
			free(why);
		} else {
			free(c->store);
			c->store = xstrdup(scalar(val));
		}
	} else if (strcmp(k, "store_password_file") == 0) {
		/* Read and checked when the store is opened (and by --check),
		 * where --store-password-file may replace it. */
		if (scalar(val) == NULL || scalar(val)[0] == '\0') {
			reader_fail(r, val, "%s must be a file name", k);
			return;
		}
		free(c->store_password_file);
		c->store_password_file = xstrdup(scalar(val));
	} else if (strcmp(k, "backup_dir") == 0) {
		/* rota backup FILE writes only below it (api_backup.c). */
		if (scalar(val) == NULL || scalar(val)[0] != '/') {
			reader_fail(r, val,
			            "%s must be an absolute directory, like /var/backups/rota", k);
			return;
		}
		free(c->backup_dir);
		c->backup_dir = xstrdup(scalar(val));
	} else if (strcmp(k, "http_protect_metrics") == 0) {
		const char *v = scalar(val);
		if (v && strcmp(v, "true") == 0)
			c->http_protect_metrics = true;
		else if (v && strcmp(v, "false") == 0)
			c->http_protect_metrics = false;
		else
			reader_fail(r, val, "%s must be true or false, not '%s'", k, v ? v : "");
	} else if (strcmp(k, "http_request_deadline") == 0) {
		int64_t ms = 0;
		if (!read_duration(r, val, k, &ms))
			return;
		if (ms < 1000 || ms > 3600000)
			reader_fail(r, val, "%s must be from 1s to 1h, not '%s'", k, scalar(val));
		else
			c->http_request_deadline_ms = ms;
	} else if (strcmp(k, "lease") == 0) {
		int64_t ms = 0;
		if (!read_duration(r, val, k, &ms))
			return;
		if (ms < LEADER_MIN_LEASE_MS || ms > LEADER_MAX_LEASE_MS)
			reader_fail(r, val, "lease must be from 2s to 5m, not '%s'", scalar(val));
		else
			c->lease_ms = ms;
	} else if (strcmp(k, "vars") == 0) {
		fleetvars_destroy(&c->vars);
		c->vars = fleetvars_read(&r->rep, val);
	} else if (strcmp(k, "maintenance") == 0) {
		maintenance_plan_destroy(&c->maintenance);
		c->maintenance = maintenance_plan_read(&r->rep, val);
	} else if (strcmp(k, "host_label") == 0) {
		const char *v = scalar(val);
		if (v == NULL || v[0] == '\0' || strpbrk(v, " \t\n\"'{}") != NULL) {
			reader_fail(r, val,
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
		reader_fail(r, key,
		            "unknown key '%s' (expected http, http_token_file,"
		            " http_protect_metrics, http_request_deadline, link, store,"
		            " store_password_file, backup_dir, lease, channels, escalation, outbox,"
		            " vars, host_label, retention, maintenance)",
		            k);
	}
}

static void
read_root(reader_t *r, const yamltree_node_t *root, config_t *c)
{
	if (root == NULL)
		return; /* an empty file: the defaults */
	if (!expect(r, root, YAMLTREE_MAPPING, "the configuration"))
		return;
	/* channels first: tiers name them, wherever they appear in the file */
	for (size_t i = 0; i < pairs(root); i++)
		if (strcmp(scalar(root->kids[2 * i]), "channels") == 0)
			read_channels(r, root->kids[2 * i], root->kids[2 * i + 1], c);
	for (size_t i = 0; i < pairs(root); i++)
		if (strcmp(scalar(root->kids[2 * i]), "channels") != 0)
			read_key(r, root->kids[2 * i], root->kids[2 * i + 1], c);
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
	reader_t r;
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
	for (size_t i = 0; i < c->channel_count; i++) {
		free(c->channels[i].name);
		free(c->channels[i].url);
		free(c->channels[i].routing_key);
	}
	free(c->channels);
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
	free(c);
	*cp = NULL;
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
