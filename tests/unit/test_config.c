/* test_config: the coordinator's YAML configuration — the defaults, a file
 * with every key, and every error it can report, each with the
 * file:line:column an operator needs to find it. Also the acknowledgement
 * deadlines, "next business day" across a weekend included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char test_dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "/tmp/rota-config.XXXXXX");
	return mkdtemp(test_dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/c.yaml", test_dir);
	unlink(path);
	return rmdir(test_dir);
}

/* Writes text to the test's file; returns its path (static). */
static const char *
write_config(const char *text)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/c.yaml", test_dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Loads text; it must be refused with "PATH:" + want. */
static void
refused(const char *text, const char *want)
{
	const char *path = write_config(text);
	char *error = NULL;
	config_t *c = config_load(path, &error);
	if (c != NULL)
		fail_msg("accepted:\n%s", text);
	assert_non_null(error);
	char expect[1024];
	snprintf(expect, sizeof(expect), "%s:%s", path, want);
	if (strcmp(error, expect) != 0)
		fail_msg("for:\n%s\nwant: %s\ngot:  %s", text, expect, error);
	free(error);
}

static config_t *
loaded(const char *text)
{
	char *error = NULL;
	config_t *c = config_load(write_config(text), &error);
	if (c == NULL)
		fail_msg("refused: %s\n%s", error, text);
	return c;
}

#define CHANNELS                                                                                   \
	"channels:\n"                                                                              \
	"  oncall:\n"                                                                              \
	"    webhook: { url: \"http://127.0.0.1:1/x\" }\n"

static void
test_defaults(void **state)
{
	(void)state;
	config_t *c = config_default();
	assert_string_equal(c->http, CONFIG_DEFAULT_HTTP);
	assert_null(c->path);
	assert_null(c->link);
	assert_int_equal(c->channel_count, 0);
	assert_int_equal(c->policy_count, 0);
	assert_int_equal(c->deadline_ms[1], 15 * 60 * 1000);
	assert_int_equal(c->deadline_ms[2], 60 * 60 * 1000);
	assert_int_equal(c->deadline_ms[3], 4 * 60 * 60 * 1000);
	assert_int_equal(c->deadline_ms[4], CONFIG_DEADLINE_NEXT_BUSINESS_DAY);
	assert_int_equal(c->give_up_ms, 0);
	assert_null(config_policy(c, "default"));
	assert_null(config_channel(c, "oncall"));
	config_destroy(&c);
	assert_null(c);
	config_destroy(&c); /* harmless twice */

	/* An empty file is the defaults, with its path. */
	c = loaded("");
	assert_string_equal(c->http, CONFIG_DEFAULT_HTTP);
	assert_non_null(c->path);
	assert_int_equal(c->deadline_ms[4], CONFIG_DEADLINE_NEXT_BUSINESS_DAY);
	config_destroy(&c);
}

static void
test_every_key(void **state)
{
	(void)state;
	setenv("ROTA_TEST_SLACK_URL", "https://hooks.slack.example/T/B/x", 1);
	setenv("ROTA_TEST_PD_KEY", "pd-key-1", 1);
	config_t *c =
	    loaded("http: off\n"
	           "http_token_file: /etc/rota/http.token\n"
	           "http_protect_metrics: true\n"
	           "http_request_deadline: 45s\n"
	           "link: https://rota.example/\n"
	           "store: postgresql://rota@db.example:5432/rota?sslmode=verify-full\n"
	           "store_password_file: /etc/rota/store.password\n"
	           "backup_dir: /var/backups/rota\n"
	           "lease: 8s\n"
	           "id: db-east.2\n"
	           "channels:\n"
	           "  chat:\n"
	           "    slack: { url_env: ROTA_TEST_SLACK_URL }\n"
	           "  pager:\n"
	           "    pagerduty: { routing_key_env: ROTA_TEST_PD_KEY }\n"
	           "  pager2:\n"
	           "    pagerduty: { routing_key: k2, url: \"http://127.0.0.1:9/pd\" }\n"
	           "  hook:\n"
	           "    webhook: { url: \"http://127.0.0.1:9/h\" }\n"
	           "escalation:\n"
	           "  deadlines: { P1: 5m, p2: 30m, P3: next business day, P4: 2d }\n"
	           "  policies:\n"
	           "    default:\n"
	           "      - { after: 0m, notify: [chat] }\n"
	           "    db:\n"
	           "      - { after: 0s, notify: [pager, hook] }\n"
	           "      - { after: 15m, notify: [pager2], repeat: 10m }\n"
	           "outbox: { give_up_after: 1h, backoff: 2s, max_backoff: 5m, timeout: 10s }\n");
	assert_string_equal(c->http, "off");
	assert_string_equal(c->link, "https://rota.example/");
	assert_string_equal(c->store, "postgresql://rota@db.example:5432/rota?sslmode=verify-full");
	assert_string_equal(c->store_password_file, "/etc/rota/store.password");
	assert_string_equal(c->backup_dir, "/var/backups/rota");
	assert_int_equal(c->channel_count, 4);
	const channel_t *ch = config_channel(c, "chat");
	assert_non_null(ch);
	assert_int_equal(ch->kind, CHANNEL_SLACK);
	assert_string_equal(ch->url, "https://hooks.slack.example/T/B/x");
	ch = config_channel(c, "pager");
	assert_int_equal(ch->kind, CHANNEL_PAGERDUTY);
	assert_string_equal(ch->url, CHANNEL_PAGERDUTY_URL);
	assert_string_equal(ch->routing_key, "pd-key-1");
	ch = config_channel(c, "pager2");
	assert_string_equal(ch->url, "http://127.0.0.1:9/pd");
	assert_string_equal(c->http_token_file, "/etc/rota/http.token");
	assert_true(c->http_protect_metrics);
	assert_int_equal(c->http_request_deadline_ms, 45000);
	assert_int_equal(c->lease_ms, 8000);
	assert_string_equal(c->id, "db-east.2");
	assert_string_equal(ch->routing_key, "k2");
	ch = config_channel(c, "hook");
	assert_int_equal(ch->kind, CHANNEL_WEBHOOK);
	assert_null(ch->routing_key);
	assert_null(config_channel(c, "nope"));

	assert_int_equal(c->deadline_ms[1], 5 * 60 * 1000);
	assert_int_equal(c->deadline_ms[2], 30 * 60 * 1000);
	assert_int_equal(c->deadline_ms[3], CONFIG_DEADLINE_NEXT_BUSINESS_DAY);
	assert_int_equal(c->deadline_ms[4], 2 * 24 * 3600 * 1000);

	const config_policy_t *p = config_policy(c, "db");
	assert_non_null(p);
	assert_string_equal(p->name, "db");
	assert_int_equal(p->tier_count, 2);
	assert_int_equal(p->tiers[0].after_ms, 0);
	assert_int_equal(p->tiers[0].notify_count, 2);
	assert_string_equal(p->tiers[0].notify[0], "pager");
	assert_string_equal(p->tiers[0].notify[1], "hook");
	assert_int_equal(p->tiers[0].repeat_ms, 0);
	assert_int_equal(p->tiers[1].after_ms, 15 * 60 * 1000);
	assert_int_equal(p->tiers[1].repeat_ms, 10 * 60 * 1000);
	/* An unknown policy, and none, fall back to "default". */
	assert_string_equal(config_policy(c, "nope")->name, "default");
	assert_string_equal(config_policy(c, NULL)->name, "default");

	assert_int_equal(c->give_up_ms, 3600 * 1000);
	assert_int_equal(c->backoff_ms, 2000);
	assert_int_equal(c->max_backoff_ms, 5 * 60 * 1000);
	assert_int_equal(c->timeout_ms, 10000);
	config_destroy(&c);
	unsetenv("ROTA_TEST_SLACK_URL");
	unsetenv("ROTA_TEST_PD_KEY");
}

/* Each key sets its own field only: a backup_dir after the id once freed the
 * id (a double free when the configuration was destroyed). */
static void
test_keys_independent(void **state)
{
	(void)state;
	config_t *c = loaded("id: c1\nbackup_dir: /var/backups/rota\n");
	assert_string_equal(c->id, "c1");
	assert_string_equal(c->backup_dir, "/var/backups/rota");
	config_destroy(&c);
}

/* Without a "default" policy an unknown name has none. */
static void
test_no_default_policy(void **state)
{
	(void)state;
	config_t *c = loaded(CHANNELS "escalation:\n"
	                              "  policies:\n"
	                              "    web: [{ after: 0s, notify: [oncall] }]\n");
	assert_non_null(config_policy(c, "web"));
	assert_null(config_policy(c, "db"));
	assert_null(config_policy(c, NULL));
	config_destroy(&c);
}

static void
test_unreadable(void **state)
{
	(void)state;
	char *error = NULL;
	char path[128];
	snprintf(path, sizeof(path), "%s/missing.yaml", test_dir);
	assert_null(config_load(path, &error));
	char want[256];
	snprintf(want, sizeof(want), "%s: cannot read the configuration: No such file or directory",
	         path);
	assert_string_equal(error, want);
	free(error);
}

static void
test_errors_root(void **state)
{
	(void)state;
	/* The shared YAML reader (yamltree) says where the unfinished value
	 * began, too. */
	refused("channels: [\n", "2:1: YAML syntax error: did not find expected node content"
	                         " (while parsing a flow node at line 2, column 1)");
	refused("- a\n- b\n", "1:1: the configuration must be a mapping");
	refused(
	    "http: off\nchanels: {}\n",
	    "2:1: unknown key 'chanels' (expected http, http_token_file, http_protect_metrics,"
	    " http_request_deadline, link, store, store_password_file, backup_dir, lease, id,"
	    " channels, smtp, people, rotations, escalation, outbox, vars, host_label, retention,"
	    " maintenance)");
	refused("lease: 1s\n", "1:8: lease must be from 2s to 5m, not '1s'");
	refused("id: \"c 1\"\n",
	        "1:5: id: ' ' at position 2 is not allowed: an id is letters, digits, '.', '_' and"
	        " '-', starting with a letter or a digit, at most 63 bytes (like c1 or db-east.2)");
	refused("id: -c1\n", "1:5: id: '-' at position 1 is not allowed: an id is letters, digits,"
	                     " '.', '_' and '-', starting with a letter or a digit, at most 63"
	                     " bytes (like c1 or db-east.2)");
	refused("http_request_deadline: 10ms\n",
	        "1:24: http_request_deadline must be from 1s to 1h, not '10ms'");
	refused("http_request_deadline: soon\n",
	        "1:24: http_request_deadline: 'soon' is not a duration (like 30s, 15m, 4h, 1d)");
	refused("http_protect_metrics: yes\n",
	        "1:23: http_protect_metrics must be true or false, not 'yes'");
	/* The store's URL is checked where it is written; a password in it
	 * is refused without being repeated. */
	refused("store: postgresql://rota:s3cret@db/rota\n",
	        "1:8: store: the URL holds a password, which would be seen in the process list"
	        " and the logs; take it out and give it in a file: --store-password-file FILE"
	        " (or store_password_file: in the configuration; mode 0600), or libpq's"
	        " PGPASSFILE or ~/.pgpass");
	refused("store: /var/lib/rota/rota.db\n",
	        "1:8: store: '/var/lib/rota/rota.db' is not a PostgreSQL URL: give"
	        " postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full, or no store for"
	        " SQLite in the data directory");
	refused("store: [a]\n", "1:8: store must be a value");
	refused("store_password_file: ''\n", "1:22: store_password_file must be a file name");
	refused("backup_dir: backups\n",
	        "1:13: backup_dir must be an absolute directory, like /var/backups/rota");
	refused("http_token_file: \"\"\n", "1:18: http_token_file must be a file name");
	refused("http: [a]\n", "1:7: http must be a value");
	refused("link: {a: b}\n", "1:7: link must be a value");
	refused("escalation: 5\n", "1:13: escalation must be a mapping");
	refused("escalation: { policy: {} }\n",
	        "1:15: unknown key 'policy' in escalation (expected deadlines, policies)");
	refused("outbox: { retries: 5 }\n",
	        "1:11: unknown key 'retries' in outbox (expected give_up_after, backoff, "
	        "max_backoff, timeout)");
	refused("outbox: { backoff: soon }\n",
	        "1:20: backoff: 'soon' is not a duration (like 30s, 15m, 4h, 1d)");
	refused("outbox: [1]\n", "1:9: outbox must be a mapping");
}

/* Every problem of a file at once, in the order of the file: an operator
 * fixes them in one pass, not one restart per error. */
static void
test_every_error_at_once(void **state)
{
	(void)state;
	const char *path = write_config("http_protect_metrics: yes\n"
	                                "channels:\n"
	                                "  a: { webhook: { url: ftp://x } }\n"
	                                "  b: { email: {} }\n"
	                                "escalation:\n"
	                                "  policies:\n"
	                                "    p: [ { after: 0m, notify: [a] },"
	                                " { after: soon, notify: [nobody] } ]\n"
	                                "outbox: { retries: 5 }\n");
	static const char *const want[] = {
	    "1:23: http_protect_metrics must be true or false, not 'yes'",
	    "3:17: channel a: the url must start with http:// or https://",
	    "4:8: unknown channel type 'email' (expected slack, pagerduty or webhook)",
	    "7:47: after: 'soon' is not a duration (like 30s, 15m, 4h, 1d)",
	    /* One element, cut in two (the parentheses say so to clang). */
	    ("8:11: unknown key 'retries' in outbox (expected give_up_after, backoff, "
	     "max_backoff, timeout)"),
	};
	char expect[2048] = "";
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t used = strlen(expect);
		snprintf(expect + used, sizeof(expect) - used, "%s%s:%s", i ? "\n" : "", path,
		         want[i]);
	}
	char *error = NULL;
	assert_null(config_load(path, &error));
	if (error == NULL || strcmp(error, expect) != 0)
		fail_msg("want:\n%s\ngot:\n%s", expect, error ? error : "(none)");
	free(error);
}

static void
test_errors_channels(void **state)
{
	(void)state;
	refused("channels: [a]\n", "1:11: channels must be a mapping");
	refused("channels:\n  ? [a]\n  : {}\n",
	        "2:5: a mapping key must be plain text, not a sequence");
	refused("channels:\n  a: x\n", "2:6: a channel must be a mapping");
	refused("channels:\n  a: {}\n",
	        "2:6: channel a must have exactly one of slack, pagerduty, webhook");
	refused("channels:\n  a: { slack: {url: \"http://x\"}, webhook: {url: \"http://y\"} }\n",
	        "2:6: channel a must have exactly one of slack, pagerduty, webhook");
	refused("channels:\n  a: { email: {} }\n",
	        "2:8: unknown channel type 'email' (expected slack, pagerduty or webhook)");
	refused("channels:\n  a: { slack: x }\n", "2:15: slack must be a mapping");
	refused("channels:\n  a: { slack: { [k]: v } }\n",
	        "2:17: a mapping key must be plain text, not a sequence");
	refused("channels:\n  a: { slack: { url: [x] } }\n", "2:22: url must be a value");
	refused("channels:\n  a: { slack: { uri: \"http://x\" } }\n",
	        "2:17: unknown key 'uri' in a slack channel (expected url or url_env, user)");
	refused("channels:\n  a: { pagerduty: { key: x } }\n",
	        "2:21: unknown key 'key' in a pagerduty channel (expected routing_key or "
	        "routing_key_env, url or url_env)");
	refused("channels:\n  a: { webhook: { routing_key: x } }\n",
	        "2:19: unknown key 'routing_key' in a webhook channel (expected url or url_env)");
	unsetenv("ROTA_TEST_UNSET");
	refused("channels:\n  a: { webhook: { url_env: ROTA_TEST_UNSET } }\n",
	        "2:28: url_env: the environment variable ROTA_TEST_UNSET is not set (export it "
	        "before starting the coordinator)");
	refused("channels:\n  a: { webhook: {} }\n", "2:17: channel a needs url or url_env");
	refused("channels:\n  a: { pagerduty: {} }\n",
	        "2:19: channel a needs routing_key or routing_key_env");
	refused("channels:\n  a: { webhook: { url: \"ftp://x\" } }\n",
	        "2:17: channel a: the url must start with http:// or https://");
	refused("channels:\n  a: { webhook: { url: \"http://x\" } }\n  a: { webhook: { url: "
	        "\"http://y\" } }\n",
	        "3:3: channel a is defined twice");
}

static void
test_errors_policies(void **state)
{
	(void)state;
	refused(CHANNELS "escalation: { policies: [] }\n", "4:25: policies must be a mapping");
	refused(CHANNELS "escalation:\n  policies:\n    ? [a]\n    : []\n",
	        "6:7: a mapping key must be plain text, not a sequence");
	refused(CHANNELS "escalation:\n  policies:\n    p: {}\n",
	        "6:8: policy p must be a list of tiers, or {until: resolved, tiers: [...]}");
	refused(CHANNELS "escalation:\n  policies:\n    p: []\n", "6:8: policy p has no tier");
	refused(CHANNELS "escalation:\n  policies:\n    p: [x]\n",
	        "6:9: a tier ({after: 15m, notify: [channel]}) must be a mapping");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 1m, notify: [oncall] }]\n"
	                 "    p: [{ after: 1m, notify: [oncall] }]\n",
	        "7:5: policy p is defined twice");
	refused(CHANNELS
	        "escalation:\n  policies:\n    p: [{ after: 5 minutes, notify: [oncall] }]\n",
	        "6:18: after: '5 minutes' is not a duration (like 30s, 15m, 4h, 1d)");
	refused(
	    CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: [pager] }]\n",
	    "6:31: notify: 'pager' is not a channel defined under channels (or oncall:ROTATION)");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: oncall }]\n",
	        "6:30: notify must be a list");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: [] }]\n",
	        "6:30: notify names no channel");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: [oncall], "
	                 "wait: 1m }]\n",
	        "6:40: unknown key 'wait' in a tier (expected after, notify, repeat, severity)");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ notify: [oncall] }]\n",
	        "6:9: a tier needs after (0m for at once)");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s }]\n",
	        "6:9: a tier needs notify: [channel, ...]");
	refused(CHANNELS "escalation:\n  policies:\n    p:\n"
	                 "      - { after: 0s, notify: [oncall], repeat: 5m }\n"
	                 "      - { after: 5m, notify: [oncall] }\n",
	        "7:40: repeat is allowed on the last tier only");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: [oncall], "
	                 "repeat: 500ms }]\n",
	        "6:48: repeat must be at least 1s");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: [oncall], "
	                 "repeat: often }]\n",
	        "6:48: repeat: 'often' is not a duration (like 30s, 15m, 4h, 1d)");
	refused(CHANNELS "escalation:\n  policies:\n    p:\n"
	                 "      - { after: 5m, notify: [oncall] }\n"
	                 "      - { after: 5m, notify: [oncall] }\n",
	        "8:9: tier 2 of policy p must come after tier 1 (after must grow)");
}

static void
test_errors_deadlines(void **state)
{
	(void)state;
	refused("escalation: { deadlines: [] }\n", "1:26: deadlines must be a mapping");
	refused("escalation: { deadlines: { P5: 1h } }\n",
	        "1:28: deadlines: 'P5' is not a severity (P1 to P4)");
	refused("escalation: { deadlines: { critical: 1h } }\n",
	        "1:28: deadlines: 'critical' is not a severity (P1 to P4)");
	refused("escalation: { deadlines: { P1: tomorrow } }\n",
	        "1:32: P1: 'tomorrow' is not a duration (like 30s, 15m, 4h, 1d)");
	refused("escalation: { deadlines: { P2: 0s } }\n",
	        "1:32: P2: a deadline must be at least 1s");
}

/* A key given twice where the reader keeps a list (channels, policies, a
 * tier's notify) must be refused: reading the second one into the list the
 * first one made wrote past its end. */
static void
test_errors_repeated_lists(void **state)
{
	(void)state;
	refused(CHANNELS "channels:\n  b: { webhook: { url: \"http://127.0.0.1:1/y\" } }\n",
	        "4:1: 'channels' given twice");
	refused(CHANNELS "escalation:\n  policies: { p: [{ after: 0s, notify: [oncall] }] }\n"
	                 "  policies: { q: [{ after: 0s, notify: [oncall] }] }\n",
	        "6:3: 'policies' given twice");
	refused(CHANNELS "escalation: { policies: { p: [{ after: 0s, notify: [oncall] }] } }\n"
	                 "escalation: { policies: { q: [{ after: 0s, notify: [oncall] }] } }\n",
	        "5:15: 'policies' given twice");
	refused(CHANNELS "escalation:\n  policies:\n    p: [{ after: 0s, notify: [oncall], "
	                 "notify: [oncall, oncall] }]\n",
	        "6:40: 'notify' given twice");
}

/* 2026-11-20 is a Friday. */
#define FRI_10H 1795168800000LL
#define DAY_MS (24LL * 3600 * 1000)

static void
test_ack_due(void **state)
{
	(void)state;
	config_t *c = config_default();
	assert_int_equal(config_ack_due(c, 1, FRI_10H), FRI_10H + 15 * 60 * 1000);
	assert_int_equal(config_ack_due(c, 2, FRI_10H), FRI_10H + 3600 * 1000);
	assert_int_equal(config_ack_due(c, 3, FRI_10H), FRI_10H + 4 * 3600 * 1000);
	/* A severity out of range is taken as P3's. */
	assert_int_equal(config_ack_due(c, 0, FRI_10H), FRI_10H + 4 * 3600 * 1000);
	assert_int_equal(config_ack_due(c, 9, FRI_10H), FRI_10H + 4 * 3600 * 1000);
	/* P4, the next business day at the same time: Thursday -> Friday;
	 * Friday, Saturday and Sunday -> Monday. */
	assert_int_equal(config_ack_due(c, 4, FRI_10H - DAY_MS), FRI_10H);
	assert_int_equal(config_ack_due(c, 4, FRI_10H), FRI_10H + 3 * DAY_MS);
	assert_int_equal(config_ack_due(c, 4, FRI_10H + DAY_MS), FRI_10H + 3 * DAY_MS);
	assert_int_equal(config_ack_due(c, 4, FRI_10H + 2 * DAY_MS), FRI_10H + 3 * DAY_MS);
	assert_int_equal(config_ack_due(c, 4, FRI_10H + 3 * DAY_MS), FRI_10H + 4 * DAY_MS);
	config_destroy(&c);

	c = loaded("escalation: { deadlines: { P1: 3s, P2: next business day } }\n");
	assert_int_equal(config_ack_due(c, 1, FRI_10H), FRI_10H + 3000);
	assert_int_equal(config_ack_due(c, 2, FRI_10H), FRI_10H + 3 * DAY_MS);
	/* Severities not named keep their defaults. */
	assert_int_equal(config_ack_due(c, 3, FRI_10H), FRI_10H + 4 * 3600 * 1000);
	config_destroy(&c);
}

/* retention: the defaults written in docs/operations.md, days past the
 * 30 days other durations stop at, 0 for forever, and the typo that would
 * empty a store (a bare number is seconds) refused. */
static void
test_retention(void **state)
{
	(void)state;
	config_t *c = config_default();
	const int64_t day = 24LL * 3600 * 1000;
	assert_true(c->retention.runs_ms == 90 * day);
	assert_true(c->retention.outputs_ms == 30 * day);
	assert_true(c->retention.audit_ms == 400 * day);
	assert_true(c->retention.notifications_ms == 30 * day);
	assert_true(c->retention.incidents_ms == 400 * day);
	assert_int_equal(c->retention.keep_runs_per_runbook, 20);
	config_destroy(&c);

	c = loaded("retention:\n  runs: 365d\n  outputs: 12h\n  audit: 0\n"
	           "  keep_runs_per_runbook: 3\n");
	assert_true(c->retention.runs_ms == 365 * day);
	assert_true(c->retention.outputs_ms == 12 * 3600 * 1000LL);
	assert_true(c->retention.audit_ms == 0);
	assert_true(c->retention.notifications_ms == 30 * day); /* not given: the default */
	assert_int_equal(c->retention.keep_runs_per_runbook, 3);
	config_destroy(&c);

	refused("retention:\n  runs: 30\n",
	        "2:9: retention: runs must be at least 1h, not '30' (a bare number is seconds:"
	        " write 30d for thirty days; 0 keeps forever)");
	refused("retention:\n  audit: 99999d\n",
	        "2:10: retention: audit must be from 1d to 36500d, or 0 to keep forever, not"
	        " '99999d'");
	refused("retention:\n  outputs: soon\n",
	        "2:12: retention: outputs: 'soon' is not a duration (like 90d or 12h; 0 keeps"
	        " forever)");
	refused("retention:\n  keep_runs_per_runbook: -1\n",
	        "2:26: retention: keep_runs_per_runbook must be a number from 0 to 100000, not"
	        " '-1'");
	refused("retention:\n  run: 90d\n",
	        "2:3: unknown key 'run' in retention (expected runs, outputs, audit,"
	        " notifications, incidents, keep_runs_per_runbook)");
}

/* people: and rotations:, and tiers that notify whoever is on call. */
static void
test_people_and_rotations(void **state)
{
	(void)state;
	setenv("ROTA_TEST_SLACK_URL", "https://hooks.slack.example/T/B/x", 1);
	config_t *c =
	    loaded("people:\n"
	           "  alice: { slack: { url_env: ROTA_TEST_SLACK_URL, user: U024BE7LH },\n"
	           "           webhook: \"https://hooks.example.org/alice\" }\n"
	           "  bob: { pagerduty: { routing_key: k1 } }\n"
	           "rotations:\n"
	           "  primary: { people: [alice, bob], shift: 1w, handoff: \"MON 09:00\",\n"
	           "             timezone: Europe/London, start: 2026-11-30,\n"
	           "             overrides: [{ person: bob, from: 2026-12-01T00:00:00Z,\n"
	           "                           until: 2026-12-02T00:00:00Z }] }\n"
	           "  follow:\n"
	           "    layers:\n"
	           "      - { people: [bob], shift: 1d, handoff: \"08:00\" }\n"
	           "      - { people: [alice], days: MON-FRI, hours: \"09:00-17:00\","
	           " priority: 1 }\n"
	           "escalation:\n"
	           "  policies:\n"
	           "    default:\n"
	           "      until: resolved\n"
	           "      tiers:\n"
	           "        - { after: 0m, notify: [oncall:primary] }\n"
	           "        - { after: 30m, notify: [oncall:follow], severity: [P1, p2] }\n");
	const config_person_t *alice = config_person(c, "alice");
	assert_non_null(alice);
	assert_int_equal(alice->channel_count, 2);
	assert_string_equal(alice->channels[0], "@alice/slack");
	const channel_t *slack = config_channel(c, "@alice/slack");
	assert_non_null(slack);
	assert_int_equal(slack->kind, CHANNEL_SLACK);
	assert_string_equal(slack->mention, "U024BE7LH");
	assert_string_equal(config_channel(c, "@alice/webhook")->url,
	                    "https://hooks.example.org/alice");
	assert_int_equal(config_channel(c, "@bob/pagerduty")->kind, CHANNEL_PAGERDUTY);
	const rotation_t *primary = config_rotation(c, "primary");
	assert_non_null(primary);
	assert_int_equal(primary->layer_count, 1);
	assert_int_equal(primary->override_count, 1);
	rotation_extra_t none = {NULL, 0};
	/* 2026-12-08 is in bob's week; the override gave him 12-01 too. */
	assert_string_equal(rotation_who(primary, none, 1796724000000LL, NULL), "bob");
	assert_string_equal(rotation_who(primary, none, 1796126400000LL, NULL), "bob");
	const rotation_t *follow = config_rotation(c, "follow");
	assert_int_equal(follow->layer_count, 2);
	assert_int_equal(follow->layers[1].priority, 1);
	assert_int_equal(follow->layers[1].shift_s, 7 * 86400); /* the default */
	const config_policy_t *pol = config_policy(c, "default");
	assert_true(pol->until_resolved);
	assert_string_equal(pol->tiers[0].notify[0], "oncall:primary");
	assert_true(config_tier_applies(&pol->tiers[0], 4));
	assert_true(config_tier_applies(&pol->tiers[1], 2));
	assert_false(config_tier_applies(&pol->tiers[1], 3));
	config_destroy(&c);

	refused(
	    "people:\n  al ice: { webhook: \"https://x\" }\n",
	    "2:3: 'al ice' is not a person's name (letters, digits, '.', '_', '-'; at most 64)");
	refused("people:\n  alice: { email: a@example.org }\n",
	        "2:12: alice has an email, so the configuration needs smtp: { url:"
	        " \"smtp://HOST:PORT\", from: ADDRESS }");
	refused(
	    "people:\n  alice: { fax: 123 }\n",
	    "2:12: unknown contact 'fax' for alice (expected slack, pagerduty, webhook, email)");
	refused("smtp: { url: \"smtp://127.0.0.1:25\", from: r@x }\n"
	        "people:\n  alice: { email: \"a <a@x>\" }\n",
	        "3:19: alice's email must be an address, like alice@example.org");
	refused("smtp: { url: \"http://x\", from: r@x }\n",
	        "1:14: smtp: the url must start with smtp:// or smtps://");
	c = loaded("smtp: { url: \"smtps://mail.example.org:465\", from: rota@example.org,"
	           " username: rota }\n"
	           "people:\n  alice: { email: alice@example.org }\n");
	const channel_t *mail = config_channel(c, "@alice/email");
	assert_non_null(mail);
	assert_int_equal(mail->kind, CHANNEL_EMAIL);
	assert_string_equal(mail->url, "smtps://mail.example.org:465");
	assert_string_equal(mail->mail_to, "alice@example.org");
	assert_string_equal(mail->mail_from, "rota@example.org");
	assert_string_equal(mail->mail_user, "rota");
	assert_null(mail->mail_password);
	config_destroy(&c);
	refused("people:\n  alice: { slack: { url: \"https://x\", user: \"<!here>\" } }\n",
	        "2:45: user must be a Slack member id (like U024BE7LH), not '<!here>'");
	refused("people:\n  alice: {}\n",
	        "2:10: alice has no contact (slack, pagerduty, webhook, email)");
	refused("rotations:\n  r: { shift: 1w }\n", "2:6: a rotation needs people: [person, ...]");
	refused(
	    "people:\n  a: { webhook: \"https://x\" }\nrotations:\n  r: { people: [a], shift: 30m "
	    "}\n",
	    "4:28: shift: '30m' is not a shift (whole hours, days or weeks from 1h to 366d, like"
	    " 12h, 1d, 1w)");
	refused("people:\n  a: { webhook: \"https://x\" }\nrotations:\n"
	        "  r: { people: [a], overrides: [{ person: a, from: 2026-12-02T00:00:00Z,"
	        " until: 2026-12-01T00:00:00Z }] }\n",
	        "4:33: an override's until must be after its from");
	refused("people:\n  a: { webhook: \"https://x\" }\nrotations:\n"
	        "  r: { people: [a], layers: [{ people: [a] }] }\n",
	        "4:6: rotation r has layers: its people, shift and handoff go in them");
	refused(CHANNELS "escalation:\n  policies:\n    p: { until: fixed, tiers: [{ after: 0s, "
	                 "notify: [oncall] }] }\n",
	        "6:17: until must be acknowledged or resolved, not 'fixed'");
	refused("channels:\n  \"@x\": { webhook: { url: \"http://x\" } }\n",
	        "2:3: a channel's name may not start with '@' (a person's contacts are named so)");
}

/* The shipped example (deploy/coordinator.example.yaml) loads, and its
 * default policy is the seeds' ladder: 0, 15, 30 and 60 minutes, the last
 * two for P1 and P2 only. */
static void
test_shipped_example(void **state)
{
	(void)state;
	const char *src = getenv("ROTA_SOURCE_DIR");
	if (src == NULL)
		skip();
	setenv("ROTA_SLACK_ONCALL_URL", "https://hooks.slack.example/T/B/1", 1);
	setenv("ROTA_SLACK_MGMT_URL", "https://hooks.slack.example/T/B/2", 1);
	setenv("ROTA_PAGERDUTY_KEY", "pd-key", 1);
	char path[512];
	snprintf(path, sizeof(path), "%s/deploy/coordinator.example.yaml", src);
	char *error = NULL;
	config_t *c = config_load(path, &error);
	if (c == NULL)
		fail_msg("the example is refused: %s", error);
	const config_policy_t *pol = config_policy(c, "default");
	assert_non_null(pol);
	assert_int_equal(pol->tier_count, 4);
	static const int64_t minutes[] = {0, 15, 30, 60};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(pol->tiers[i].after_ms, minutes[i] * 60 * 1000);
	for (int sev = 1; sev <= 4; sev++) {
		assert_true(config_tier_applies(&pol->tiers[0], sev));
		assert_true(config_tier_applies(&pol->tiers[1], sev));
		assert_int_equal(config_tier_applies(&pol->tiers[2], sev), sev <= 2);
		assert_int_equal(config_tier_applies(&pol->tiers[3], sev), sev <= 2);
	}
	assert_false(pol->until_resolved);
	assert_true(config_policy(c, "database")->until_resolved);
	assert_non_null(config_rotation(c, "primary"));
	config_destroy(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_no_default_policy),
	    cmocka_unit_test(test_keys_independent),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_every_error_at_once),
	    cmocka_unit_test(test_errors_root),
	    cmocka_unit_test(test_errors_channels),
	    cmocka_unit_test(test_errors_policies),
	    cmocka_unit_test(test_errors_deadlines),
	    cmocka_unit_test(test_errors_repeated_lists),
	    cmocka_unit_test(test_ack_due),
	    cmocka_unit_test(test_retention),
	    cmocka_unit_test(test_people_and_rotations),
	    cmocka_unit_test(test_shipped_example),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
