/* channel: renders an outbox notice as the JSON body each kind of channel
 * expects. Pure functions of the notice and the channel's config, so the
 * sender can call them from its thread and the tests can read them back.
 *
 * Every string goes through json-c, never through printf into JSON: a title
 * or an output line may hold quotes, backslashes and control characters.
 *
 * Must never: put the channel's URL into a body, or the routing key into
 * anything but PagerDuty's own body. */
#include "channel.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strbuf.h"
#include "xalloc.h"

/* PagerDuty rejects a summary longer than this (Events API v2). */
#define CHANNEL_PD_SUMMARY_MAX 1024
/* Slack truncates a message's text at 40,000 characters; stay well under. */
#define CHANNEL_SLACK_TEXT_MAX 3000

const char *
channel_severity_name(int severity)
{
	static const char *names[] = {"P1", "P2", "P3", "P4"};
	/* 0: a runbook's notice outside an incident, from a runbook that sets
	 * no severity. Anything else outside 1-4 is a rota bug. */
	if (severity == 0)
		return "notice";
	return severity >= 1 && severity <= 4 ? names[severity - 1] : "P?";
}

const char *
channel_pagerduty_severity(int severity)
{
	static const char *names[] = {"critical", "error", "warning", "info"};
	/* 0 is a notice without a severity: information, not a page. Anything
	 * else unknown is a rota bug; "error" pages without claiming the house
	 * is on fire. */
	if (severity == 0)
		return "info";
	return severity >= 1 && severity <= 4 ? names[severity - 1] : "error";
}

/* The word a person reads for a notice's kind. */
static const char *
kind_words(const char *kind)
{
	static const struct {
		const char *kind, *words;
	} table[] = {
	    {"trigger", "triggered"},        {"escalate", "escalated"}, {"overdue", "overdue"},
	    {"acknowledge", "acknowledged"}, {"resolve", "resolved"},   {"notify", "notice"},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(kind, table[i].kind) == 0)
			return table[i].words;
	return kind;
}

/* PagerDuty's event_action for a notice kind; NULL when it has none. */
static const char *
pagerduty_action(const char *kind)
{
	if (strcmp(kind, "trigger") == 0 || strcmp(kind, "escalate") == 0 ||
	    strcmp(kind, "overdue") == 0 || strcmp(kind, "notify") == 0)
		return "trigger";
	if (strcmp(kind, "acknowledge") == 0)
		return "acknowledge";
	if (strcmp(kind, "resolve") == 0)
		return "resolve";
	return NULL;
}

/* The incident's page (caller frees), or NULL without a base or outside
 * an incident. The base is the console's address, whose incident pages are
 * at /incidents/ID: link_base + "/incidents/" + id. A base that already
 * ends in /incidents (a page of one's own, as links were made before the
 * console) gets only "/" + id, so such a setting still works. */
static char *
incident_link(const char *link_base, const char *incident_id)
{
	static const char pages[] = "/incidents";
	if (link_base == NULL || link_base[0] == '\0' || incident_id[0] == '\0')
		return NULL;
	size_t len = strlen(link_base);
	while (len > 0 && link_base[len - 1] == '/') /* "http://h:7480/" is what people write */
		len--;
	size_t n = sizeof(pages) - 1;
	bool has_pages = len >= n && strncmp(link_base + len - n, pages, n) == 0;
	return xasprintf("%.*s%s/%s", (int)len, link_base, has_pages ? "" : pages, incident_id);
}

/* "2026-11-23T08:00:01.123Z" into buf (at least 32). */
static void
rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char stamp[24];
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", stamp, (int)(ms % 1000));
}

/* Appends s with Slack's three control characters escaped (its mrkdwn would
 * otherwise read "<!channel>" in an output line as a mention). */
static void
buf_add_slack(strbuf_t *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			strbuf_add(b, "&amp;", 5);
			break;
		case '<':
			strbuf_add(b, "&lt;", 4);
			break;
		case '>':
			strbuf_add(b, "&gt;", 4);
			break;
		default:
			strbuf_add(b, s, 1);
		}
	}
}

/* Adds a string member; json_object_new_string copies. */
static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The hosts of a notice as an array: "a, b,c" -> ["a","b","c"]. */
static json_object *
hosts_array(const char *hosts)
{
	json_object *a = json_object_new_array();
	const char *p = hosts;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && end[-1] == ' ')
			end--;
		if (end > start)
			json_object_array_add(
			    a, json_object_new_string_len(start, (int)(end - start)));
	}
	return a;
}

/* The serialized object (caller frees); o is released. */
static char *
finish(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = s ? xstrdup(s) : NULL;
	json_object_put(o);
	return out;
}

static char *
render_slack(const channel_t *c, const notice_t *n, const char *link)
{
	strbuf_t b = {0};
	char head[64];
	if (c->mention != NULL && c->mention[0] != '\0') {
		strbuf_adds(&b, "<@");
		buf_add_slack(&b, c->mention); /* checked at load: [A-Z0-9] only */
		strbuf_adds(&b, "> ");
	}
	snprintf(head, sizeof(head), "*[%s] ", channel_severity_name(n->severity));
	strbuf_adds(&b, head);
	buf_add_slack(&b, kind_words(n->kind));
	strbuf_adds(&b, ":* ");
	buf_add_slack(&b, n->title);
	if (n->hosts[0] != '\0') {
		strbuf_adds(&b, "\nHosts: ");
		buf_add_slack(&b, n->hosts);
	}
	if (n->text[0] != '\0') {
		strbuf_adds(&b, "\n");
		buf_add_slack(&b, n->text);
	}
	if (b.len > CHANNEL_SLACK_TEXT_MAX) { /* the command and link still fit after it */
		b.len = CHANNEL_SLACK_TEXT_MAX;
		while (b.len > 0 && (b.data[b.len] & 0xC0) == 0x80) /* not inside a UTF-8 char */
			b.len--;
		b.data[b.len] = '\0';
		strbuf_adds(&b, " …");
	}
	if (n->incident_id[0] != '\0') {
		strbuf_adds(&b, "\n`rota incident show ");
		buf_add_slack(&b, n->incident_id);
		strbuf_adds(&b, "`");
	}
	if (link != NULL) {
		strbuf_adds(&b, "\n<");
		buf_add_slack(&b, link);
		strbuf_adds(&b, ">");
	}
	json_object *o = json_object_new_object();
	add_str(o, "text", b.data);
	free(b.data);
	return finish(o);
}

static char *
render_pagerduty(const channel_t *c, const notice_t *n, const char *link)
{
	const char *action = pagerduty_action(n->kind);
	if (action == NULL)
		return NULL;
	json_object *o = json_object_new_object();
	add_str(o, "routing_key", c->routing_key ? c->routing_key : "");
	add_str(o, "event_action", action);
	/* The incident id ties trigger, acknowledge and resolve to one PagerDuty
	 * alert; a notice outside an incident is an alert of its own. */
	char *dedup = n->incident_id[0] != '\0' ? xstrdup(n->incident_id)
	                                        : xasprintf("rota-notice-%lld", (long long)n->id);
	add_str(o, "dedup_key", dedup);
	free(dedup);
	if (strcmp(action, "trigger") == 0) { /* PagerDuty ignores a payload otherwise */
		json_object *p = json_object_new_object();
		char *summary = xasprintf("[%s] %s", channel_severity_name(n->severity), n->title);
		if (strlen(summary) > CHANNEL_PD_SUMMARY_MAX) {
			size_t cut = CHANNEL_PD_SUMMARY_MAX;
			while (cut > 0 && (summary[cut] & 0xC0) == 0x80)
				cut--;
			summary[cut] = '\0';
		}
		add_str(p, "summary", summary);
		free(summary);
		add_str(p, "source", "rota");
		add_str(p, "severity", channel_pagerduty_severity(n->severity));
		json_object *d = json_object_new_object();
		if (n->incident_id[0] != '\0') {
			add_str(d, "incident", n->incident_id);
			char *cmd = xasprintf("rota incident show %s", n->incident_id);
			add_str(d, "command", cmd);
			free(cmd);
		}
		add_str(d, "kind", n->kind);
		add_str(d, "hosts", n->hosts);
		add_str(d, "text", n->text);
		json_object_object_add(p, "custom_details", d);
		json_object_object_add(o, "payload", p);
		if (link != NULL) {
			json_object *links = json_object_new_array();
			json_object *l = json_object_new_object();
			add_str(l, "href", link);
			add_str(l, "text", "rota incident");
			json_object_array_add(links, l);
			json_object_object_add(o, "links", links);
		}
	}
	return finish(o);
}

static char *
render_webhook(const notice_t *n, const char *link)
{
	json_object *o = json_object_new_object();
	char *id = xasprintf("rota-%lld", (long long)n->id);
	add_str(o, "id", id);
	free(id);
	json_object_object_add(o, "incident",
	                       n->incident_id[0] ? json_object_new_string(n->incident_id) : NULL);
	add_str(o, "kind", n->kind);
	add_str(o, "severity", channel_severity_name(n->severity));
	add_str(o, "title", n->title);
	add_str(o, "text", n->text);
	json_object_object_add(o, "hosts", hosts_array(n->hosts));
	char created[32];
	rfc3339(n->created_ms, created, sizeof(created));
	add_str(o, "created", created);
	json_object_object_add(o, "link", link ? json_object_new_string(link) : NULL);
	return finish(o);
}

/* A copy of s (caller frees) that is valid UTF-8: each byte of an invalid,
 * overlong or surrogate sequence becomes U+FFFD. Output lines come from
 * arbitrary programs, json-c does not check, and a receiver that parses
 * strictly would answer 400 and the notice would be given up. */
static char *
utf8_clean(const char *s)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	size_t len = strlen(s);
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = 0;
		uint32_t cp = 0, min = 0;
		if (*p < 0x80)
			n = 1, cp = *p;
		else if ((*p & 0xE0) == 0xC0)
			n = 2, cp = *p & 0x1F, min = 0x80;
		else if ((*p & 0xF0) == 0xE0)
			n = 3, cp = *p & 0x0F, min = 0x800;
		else if ((*p & 0xF8) == 0xF0)
			n = 4, cp = *p & 0x07, min = 0x10000;
		bool ok = n > 0;
		for (size_t i = 1; ok && i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				ok = false;
			else
				cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
			ok = false;
		if (ok) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			memcpy(out + o, replacement, 3);
			o += 3;
			p++;
		}
	}
	out[o] = '\0';
	return out;
}

/* A header value on one line: CR and LF become spaces, so no text can add
 * a header of its own. */
static void
buf_add_header(strbuf_t *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		char ch = (*p == '\r' || *p == '\n') ? ' ' : *p;
		strbuf_add(b, &ch, 1);
	}
}

/* The body's lines, CRLF-ended, as written: libcurl's SMTP upload does the
 * dot-stuffing on the wire (a lone "." cannot end the message), so a line
 * doubled here would reach the reader with two dots. */
static void
buf_add_mail_text(strbuf_t *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			strbuf_adds(b, "\r\n");
			continue;
		}
		strbuf_add(b, p, 1);
	}
	strbuf_adds(b, "\r\n");
}

static char *
render_email(const channel_t *c, const notice_t *n, const char *link)
{
	strbuf_t b = {0};
	char date[64];
	time_t t = (time_t)(n->created_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strbuf_adds(&b, "From: ");
	buf_add_header(&b, c->mail_from ? c->mail_from : "");
	strbuf_adds(&b, "\r\nTo: ");
	buf_add_header(&b, c->mail_to ? c->mail_to : "");
	char head[64];
	snprintf(head, sizeof(head), "\r\nSubject: [%s] ", channel_severity_name(n->severity));
	strbuf_adds(&b, head);
	buf_add_header(&b, kind_words(n->kind));
	strbuf_adds(&b, ": ");
	buf_add_header(&b, n->title);
	strbuf_adds(&b, "\r\nDate: ");
	strbuf_adds(&b, date);
	char id[64];
	snprintf(id, sizeof(id), "\r\nMessage-ID: <rota-%" PRId64 "@rota>\r\n", n->id);
	strbuf_adds(&b, id);
	strbuf_adds(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                "Content-Transfer-Encoding: 8bit\r\n\r\n");
	if (n->text[0] != '\0')
		buf_add_mail_text(&b, n->text);
	if (n->hosts[0] != '\0') {
		strbuf_adds(&b, "Hosts: ");
		buf_add_mail_text(&b, n->hosts);
	}
	if (n->incident_id[0] != '\0') {
		strbuf_adds(&b, "\r\nrota incident show ");
		buf_add_mail_text(&b, n->incident_id);
	}
	if (link != NULL)
		buf_add_mail_text(&b, link);
	return b.data ? b.data : xstrdup("");
}

char *
channel_render(const channel_t *c, const notice_t *n, const char *link_base)
{
	/* Every string of the notice, made valid UTF-8; owned, freed below. */
	char *incident_id = utf8_clean(n->incident_id);
	char *kind = utf8_clean(n->kind);
	char *title = utf8_clean(n->title);
	char *text = utf8_clean(n->text);
	char *hosts = utf8_clean(n->hosts);
	notice_t clean = *n;
	clean.incident_id = incident_id;
	clean.kind = kind;
	clean.title = title;
	clean.text = text;
	clean.hosts = hosts;
	char *link = incident_link(link_base, incident_id); /* owned */
	char *body = NULL;
	switch (c->kind) {
	case CHANNEL_SLACK:
		body = render_slack(c, &clean, link);
		break;
	case CHANNEL_PAGERDUTY:
		body = render_pagerduty(c, &clean, link);
		break;
	case CHANNEL_WEBHOOK:
		body = render_webhook(&clean, link);
		break;
	case CHANNEL_EMAIL:
		body = render_email(c, &clean, link);
		break;
	}
	free(link);
	free(incident_id);
	free(kind);
	free(title);
	free(text);
	free(hosts);
	return body;
}

void
channel_clear(channel_t *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->url);
	free(c->routing_key);
	free(c->mention);
	free(c->mail_to);
	free(c->mail_from);
	free(c->mail_user);
	free(c->mail_password);
	memset(c, 0, sizeof(*c));
}
