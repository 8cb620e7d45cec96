/* channel: where notifications go, and what each kind of channel is sent.
 *
 * A channel is named in the coordinator's config (docs/incidents.md) and is
 * one of: a Slack incoming webhook, PagerDuty Events API v2, or a generic
 * JSON webhook. URLs and keys come from the config or the environment,
 * never from runbooks or the store: a notice in the outbox names its
 * channel, and is rendered for it only when it is sent.
 *
 * Must never: put a URL or a routing key into a notice or a log line. */
#ifndef ROTA_CHANNEL_H
#define ROTA_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	CHANNEL_SLACK = 1,
	CHANNEL_PAGERDUTY,
	CHANNEL_WEBHOOK,
	CHANNEL_EMAIL, /* a person's e-mail, through the configuration's smtp: */
} channel_kind_t;

#define CHANNEL_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

typedef struct {
	char *name; /* owned */
	channel_kind_t kind;
	char *url;         /* owned: where to POST (PagerDuty: CHANNEL_PAGERDUTY_URL unless set) */
	char *routing_key; /* owned: PagerDuty integration key; NULL for the others */
	/* owned: Slack only, a member id mentioned first (<@U024BE7LH>) so
	 * Slack pages the person; NULL for none. A person's contact
	 * (people: in the config) sets it from `user`. */
	char *mention;
	/* owned, e-mail only (url is then the smtp:// or smtps:// server):
	 * the envelope's and headers' addresses, and the server's login
	 * (NULL: none). */
	char *mail_to, *mail_from, *mail_user, *mail_password;
} channel_t;

/* One outbox row as the sender reads it; every string is non-NULL. */
typedef struct {
	int64_t id;              /* the outbox row: the webhook's Idempotency-Key is "rota-<id>" */
	const char *incident_id; /* "" for a notice outside an incident (a notify step) */
	const char *kind;        /* trigger | escalate | overdue | acknowledge | resolve | notify */
	int severity;            /* 1-4 for P1-P4; 0 unknown */
	const char *title;
	const char *text;
	const char *hosts; /* comma-separated */
	int64_t created_ms;
} notice_t;

/* The JSON body to POST for n on c (malloc'd, caller frees). link_base, when
 * not NULL or "", prefixes a link to the incident
 * (<link_base>/ID: the base of a page of the operators' own, a wiki or a tracker, that the id is
 * appended to); a notice of an incident always names the command `rota incident show ID`. Strings
 * that are not valid UTF-8 are repaired (U+FFFD), so the body is always strict JSON. NULL when n
 * cannot be sent on c: PagerDuty has no event_action for its kind, or c->kind is not a channel
 * kind.
 *
 * Slack (with a mention: "<@USER> " first):
 *   {"text": "*[P2] escalated:* TITLE\nHosts: H\nTEXT\n`rota incident show ID`\n<LINK>"}
 * PagerDuty:
 *   {"routing_key", "event_action": trigger|acknowledge|resolve,
 *    "dedup_key": ID or "rota-notice-<id>",
 *    "payload" (trigger only): {"summary": "[P2] TITLE", "source": "rota",
 *      "severity", "custom_details": {"incident", "command", "kind", "hosts", "text"}},
 *    "links" (trigger with a link)}
 * E-mail (not JSON: an RFC 5322 message, CRLF lines, sent over SMTP):
 *   From, To, Subject "[P2] escalated: TITLE", Date, Message-ID
 *   <rota-<id>@rota>, Content-Type text/plain; utf-8; the text, hosts,
 *   command and link as the body.
 * Webhook:
 *   {"id": "rota-<id>", "incident": ID or null, "kind", "severity": "P2",
 *    "title", "text", "hosts": [...], "created": RFC 3339 UTC,
 *    "link": LINK or null} */
char *channel_render(const channel_t *c, const notice_t *n, const char *link_base);
/* "P1".."P4", or "P?" */
const char *channel_severity_name(int severity);
/* PagerDuty's severity for P1-P4: critical, error, warning, info ("error"
 * for an unknown severity: PagerDuty requires one). */
const char *channel_pagerduty_severity(int severity);

/* Frees the strings of c and zeroes it; NULL is harmless. */
void channel_clear(channel_t *c);

#endif
