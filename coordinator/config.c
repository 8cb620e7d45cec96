/* config: the coordinator's YAML configuration (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "duration.h"
#include "xalloc.h"

typedef struct {
	const char *path;
	yaml_document_t *doc;
	char *error; /* owned: the first error, "path:line:column: what" */
} reader_t;

static bool reader_fail(reader_t *r, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error at n; always returns false so callers can
 * `return reader_fail(...)`. */
static bool
reader_fail(reader_t *r, const yaml_node_t *n, const char *fmt, ...)
{
	if (r->error != NULL)
		return false;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->error = xasprintf("%s:%zu:%zu: %s", r->path, n ? n->start_mark.line + 1 : 1,
	                     n ? n->start_mark.column + 1 : 1, msg);
	return false;
}

static yaml_node_t *
node_at(reader_t *r, int index)
{
	return yaml_document_get_node(r->doc, index);
}

static const char *
scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool
expect(reader_t *r, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	if (n != NULL && n->type == type)
		return true;
	static const char *const names[] = {"nothing", "a value", "a list", "a mapping"};
	return reader_fail(r, n, "%s must be %s", what, names[type]);
}

static bool
read_duration(reader_t *r, const yaml_node_t *n, const char *what, int64_t *out)
{
	uint64_t ms;
	const char *text = scalar(n);
	if (text == NULL || duration_parse(text, &ms) != 0)
		return reader_fail(r, n, "%s: '%s' is not a duration (like 30s, 15m, 4h, 1d)",
		                   what, text ? text : "");
	*out = (int64_t)ms;
	return true;
}

/* A value given directly (KEY) or through the environment (KEY_env). */
static bool
read_secret(reader_t *r, const yaml_node_t *key, const yaml_node_t *val, const char *name,
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
read_channel(reader_t *r, const yaml_node_t *name, const yaml_node_t *body, channel_t *ch)
{
	ch->name = xstrdup(scalar(name));
	if (!expect(r, body, YAML_MAPPING_NODE, "a channel"))
		return false;
	if (body->data.mapping.pairs.top - body->data.mapping.pairs.start != 1)
		return reader_fail(r, body,
		                   "channel %s must have exactly one of slack, pagerduty, webhook",
		                   ch->name);
	yaml_node_pair_t *p = body->data.mapping.pairs.start;
	const yaml_node_t *kind = node_at(r, p->key);
	const yaml_node_t *opts = node_at(r, p->value);
	const char *k = scalar(kind);
	if (k && strcmp(k, "slack") == 0)
		ch->kind = CHANNEL_SLACK;
	else if (k && strcmp(k, "pagerduty") == 0)
		ch->kind = CHANNEL_PAGERDUTY;
	else if (k && strcmp(k, "webhook") == 0)
		ch->kind = CHANNEL_WEBHOOK;
	else
		return reader_fail(r, kind,
		                   "unknown channel type '%s' (expected slack, pagerduty or webhook)",
		                   k ? k : "");
	if (!expect(r, opts, YAML_MAPPING_NODE, k))
		return false;
	for (yaml_node_pair_t *q = opts->data.mapping.pairs.start;
	     q < opts->data.mapping.pairs.top; q++) {
		const yaml_node_t *key = node_at(r, q->key);
		const yaml_node_t *val = node_at(r, q->value);
		const char *name_ = scalar(key);
		if (name_ == NULL)
			return reader_fail(r, key, "a key must be a value");
		if (strcmp(name_, "url") == 0 || strcmp(name_, "url_env") == 0) {
			if (!read_secret(r, key, val, "url", &ch->url))
				return false;
		} else if (ch->kind == CHANNEL_PAGERDUTY && (strcmp(name_, "routing_key") == 0 ||
		                                             strcmp(name_, "routing_key_env") == 0)) {
			if (!read_secret(r, key, val, "routing_key", &ch->routing_key))
				return false;
		} else {
			return reader_fail(r, key, "unknown key '%s' in a %s channel (expected %s)",
			                   name_, k,
			                   ch->kind == CHANNEL_PAGERDUTY
			                       ? "routing_key or routing_key_env, url or url_env"
			                       : "url or url_env");
		}
	}
	if (ch->kind == CHANNEL_PAGERDUTY && ch->url == NULL)
		ch->url = xstrdup(CHANNEL_PAGERDUTY_URL);
	if (ch->url == NULL)
		return reader_fail(r, opts, "channel %s needs url or url_env", ch->name);
	if (ch->kind == CHANNEL_PAGERDUTY && ch->routing_key == NULL)
		return reader_fail(r, opts, "channel %s needs routing_key or routing_key_env",
		                   ch->name);
	if (strncmp(ch->url, "http://", 7) != 0 && strncmp(ch->url, "https://", 8) != 0)
		return reader_fail(r, opts, "channel %s: the url must start with http:// or https://",
		                   ch->name);
	return true;
}

static bool
read_channels(reader_t *r, const yaml_node_t *n, config_t *c)
{
	if (!expect(r, n, YAML_MAPPING_NODE, "channels"))
		return false;
	size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	c->channels = xcalloc(count ? count : 1, sizeof(*c->channels));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = node_at(r, p->key);
		if (scalar(key) == NULL)
			return reader_fail(r, key, "a channel name must be a value");
		if (config_channel(c, scalar(key)) != NULL)
			return reader_fail(r, key, "channel %s is defined twice", scalar(key));
		channel_t *ch = &c->channels[c->channel_count++];
		if (!read_channel(r, key, node_at(r, p->value), ch))
			return false;
	}
	return true;
}

static bool
read_tier(reader_t *r, const yaml_node_t *n, const config_t *c, config_tier_t *t, bool last)
{
	if (!expect(r, n, YAML_MAPPING_NODE, "a tier ({after: 15m, notify: [channel]})"))
		return false;
	bool has_after = false;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = node_at(r, p->key);
		const yaml_node_t *val = node_at(r, p->value);
		const char *k = scalar(key);
		if (k && strcmp(k, "after") == 0) {
			has_after = read_duration(r, val, "after", &t->after_ms);
			if (!has_after)
				return false;
		} else if (k && strcmp(k, "repeat") == 0) {
			if (!last)
				return reader_fail(r, key, "repeat is allowed on the last tier only");
			if (!read_duration(r, val, "repeat", &t->repeat_ms))
				return false;
			if (t->repeat_ms < 1000)
				return reader_fail(r, val, "repeat must be at least 1s");
		} else if (k && strcmp(k, "notify") == 0) {
			if (!expect(r, val, YAML_SEQUENCE_NODE, "notify"))
				return false;
			size_t count = (size_t)(val->data.sequence.items.top -
			                        val->data.sequence.items.start);
			if (count == 0)
				return reader_fail(r, val, "notify names no channel");
			t->notify = xcalloc(count, sizeof(*t->notify));
			for (yaml_node_item_t *i = val->data.sequence.items.start;
			     i < val->data.sequence.items.top; i++) {
				const yaml_node_t *item = node_at(r, *i);
				const char *name = scalar(item);
				if (name == NULL || config_channel(c, name) == NULL)
					return reader_fail(r, item,
					                   "notify: '%s' is not a channel defined under"
					                   " channels",
					                   name ? name : "");
				t->notify[t->notify_count++] = xstrdup(name);
			}
		} else {
			return reader_fail(r, key, "unknown key '%s' in a tier (expected after, notify,"
			                   " repeat)", k ? k : "");
		}
	}
	if (!has_after)
		return reader_fail(r, n, "a tier needs after (0m for at once)");
	if (t->notify_count == 0)
		return reader_fail(r, n, "a tier needs notify: [channel, ...]");
	return true;
}

static bool
read_policies(reader_t *r, const yaml_node_t *n, config_t *c)
{
	if (!expect(r, n, YAML_MAPPING_NODE, "policies"))
		return false;
	size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	c->policies = xcalloc(count ? count : 1, sizeof(*c->policies));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = node_at(r, p->key);
		const yaml_node_t *val = node_at(r, p->value);
		if (scalar(key) == NULL)
			return reader_fail(r, key, "a policy name must be a value");
		for (size_t i = 0; i < c->policy_count; i++)
			if (strcmp(c->policies[i].name, scalar(key)) == 0)
				return reader_fail(r, key, "policy %s is defined twice", scalar(key));
		config_policy_t *pol = &c->policies[c->policy_count++];
		pol->name = xstrdup(scalar(key));
		if (!expect(r, val, YAML_SEQUENCE_NODE, "a policy (a list of tiers)"))
			return false;
		size_t tiers = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
		if (tiers == 0)
			return reader_fail(r, val, "policy %s has no tier", pol->name);
		pol->tiers = xcalloc(tiers, sizeof(*pol->tiers));
		for (size_t i = 0; i < tiers; i++) {
			const yaml_node_t *item = node_at(r, val->data.sequence.items.start[i]);
			config_tier_t *t = &pol->tiers[pol->tier_count++];
			if (!read_tier(r, item, c, t, i + 1 == tiers))
				return false;
			if (i > 0 && t->after_ms <= pol->tiers[i - 1].after_ms)
				return reader_fail(r, item,
				                   "tier %zu of policy %s must come after tier %zu (after"
				                   " must grow)",
				                   i + 1, pol->name, i);
		}
	}
	return true;
}

static bool
read_deadlines(reader_t *r, const yaml_node_t *n, config_t *c)
{
	if (!expect(r, n, YAML_MAPPING_NODE, "deadlines"))
		return false;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = node_at(r, p->key);
		const yaml_node_t *val = node_at(r, p->value);
		const char *k = scalar(key);
		if (k == NULL || strlen(k) != 2 || (k[0] != 'P' && k[0] != 'p') || k[1] < '1' ||
		    k[1] > '4')
			return reader_fail(r, key, "deadlines: '%s' is not a severity (P1 to P4)",
			                   k ? k : "");
		const char *v = scalar(val);
		if (v && strcmp(v, "next business day") == 0)
			c->deadline_ms[k[1] - '0'] = CONFIG_DEADLINE_NEXT_BUSINESS_DAY;
		else if (!read_duration(r, val, k, &c->deadline_ms[k[1] - '0']))
			return false;
		else if (c->deadline_ms[k[1] - '0'] < 1000)
			/* 0 would make every incident overdue the moment it opens. */
			return reader_fail(r, val, "%s: a deadline must be at least 1s", k);
	}
	return true;
}

static bool
read_escalation(reader_t *r, const yaml_node_t *n, config_t *c)
{
	if (!expect(r, n, YAML_MAPPING_NODE, "escalation"))
		return false;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = node_at(r, p->key);
		const yaml_node_t *val = node_at(r, p->value);
		const char *k = scalar(key);
		bool ok;
		if (k && strcmp(k, "deadlines") == 0)
			ok = read_deadlines(r, val, c);
		else if (k && strcmp(k, "policies") == 0)
			ok = read_policies(r, val, c);
		else
			ok = reader_fail(r, key,
			                 "unknown key '%s' in escalation (expected deadlines, policies)",
			                 k ? k : "");
		if (!ok)
			return false;
	}
	return true;
}

static bool
read_outbox(reader_t *r, const yaml_node_t *n, config_t *c)
{
	if (!expect(r, n, YAML_MAPPING_NODE, "outbox"))
		return false;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = node_at(r, p->key);
		const yaml_node_t *val = node_at(r, p->value);
		const char *k = scalar(key);
		int64_t *slot = NULL;
		if (k && strcmp(k, "give_up_after") == 0)
			slot = &c->give_up_ms;
		else if (k && strcmp(k, "backoff") == 0)
			slot = &c->backoff_ms;
		else if (k && strcmp(k, "max_backoff") == 0)
			slot = &c->max_backoff_ms;
		else if (k && strcmp(k, "timeout") == 0)
			slot = &c->timeout_ms;
		else
			return reader_fail(r, key,
			                   "unknown key '%s' in outbox (expected give_up_after, backoff,"
			                   " max_backoff, timeout)",
			                   k ? k : "");
		if (!read_duration(r, val, k, slot))
			return false;
	}
	return true;
}

static bool
read_root(reader_t *r, const yaml_node_t *root, config_t *c)
{
	if (root == NULL)
		return true; /* an empty file: the defaults */
	if (!expect(r, root, YAML_MAPPING_NODE, "the configuration"))
		return false;
	/* channels first: tiers name them, wherever they appear in the file */
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++)
		if (scalar(node_at(r, p->key)) && strcmp(scalar(node_at(r, p->key)), "channels") == 0 &&
		    !read_channels(r, node_at(r, p->value), c))
			return false;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *key = node_at(r, p->key);
		const yaml_node_t *val = node_at(r, p->value);
		const char *k = scalar(key);
		bool ok = true;
		if (k && strcmp(k, "channels") == 0) {
			continue;
		} else if (k && (strcmp(k, "http") == 0 || strcmp(k, "link") == 0)) {
			if (scalar(val) == NULL)
				return reader_fail(r, val, "%s must be a value", k);
			char **slot = k[0] == 'h' ? &c->http : &c->link;
			free(*slot);
			*slot = xstrdup(scalar(val));
		} else if (k && strcmp(k, "http_token_file") == 0) {
			if (scalar(val) == NULL || scalar(val)[0] == '\0')
				return reader_fail(r, val, "%s must be a file name", k);
			free(c->http_token_file);
			c->http_token_file = xstrdup(scalar(val));
		} else if (k && strcmp(k, "http_protect_metrics") == 0) {
			const char *v = scalar(val);
			if (v && strcmp(v, "true") == 0)
				c->http_protect_metrics = true;
			else if (v && strcmp(v, "false") == 0)
				c->http_protect_metrics = false;
			else
				return reader_fail(r, val, "%s must be true or false, not '%s'", k,
				                   v ? v : "");
		} else if (k && strcmp(k, "http_request_deadline") == 0) {
			int64_t ms = 0;
			if (!read_duration(r, val, k, &ms))
				return false;
			if (ms < 1000 || ms > 3600000)
				return reader_fail(r, val, "%s must be from 1s to 1h, not '%s'", k,
				                   scalar(val));
			c->http_request_deadline_ms = ms;
		} else if (k && strcmp(k, "escalation") == 0) {
			ok = read_escalation(r, val, c);
		} else if (k && strcmp(k, "outbox") == 0) {
			ok = read_outbox(r, val, c);
		} else {
			ok = reader_fail(
			    r, key,
			    "unknown key '%s' (expected http, http_token_file,"
			    " http_protect_metrics, http_request_deadline, link, channels,"
			    " escalation, outbox)",
			    k ? k : "");
		}
		if (!ok)
			return false;
	}
	return true;
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
	return c;
}

config_t *
config_load(const char *path, char **error)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*error = xasprintf("%s: cannot read the configuration: %s", path, strerror(errno));
		return NULL;
	}
	config_t *c = config_default();
	c->path = xstrdup(path);
	reader_t r = {.path = path};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		r.error = xasprintf("%s:%zu:%zu: YAML syntax error: %s", path,
		                    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		                    parser.problem ? parser.problem : "unreadable");
	} else {
		r.doc = &doc;
		read_root(&r, yaml_document_get_root_node(&doc), c);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (r.error != NULL) {
		*error = r.error;
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
