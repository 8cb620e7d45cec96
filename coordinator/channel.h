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
} channel_kind_t;

#define CHANNEL_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

typedef struct {
	char *name; /* owned */
	channel_kind_t kind;
	char *url;         /* owned: where to POST (PagerDuty: CHANNEL_PAGERDUTY_URL unless set) */
	char *routing_key; /* owned: PagerDuty integration key; NULL for the others */
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
 * not NULL or "", prefixes a link to the incident; the text always names
 * the command `rota incident show ID`. */
char *channel_render(const channel_t *c, const notice_t *n, const char *link_base);
/* "P1".."P4", or "P?" */
const char *channel_severity_name(int severity);
/* PagerDuty's severity for P1-P4: critical, error, warning, info. */
const char *channel_pagerduty_severity(int severity);

void channel_clear(channel_t *c);

#endif
