/* alert: Prometheus Alertmanager webhook payloads (version 4), parsed into
 * plain data, and the rules that turn an alert into an incident's inputs:
 * which runbook trigger it matches, which host it names, which severity
 * it asks for.
 *
 * The payload comes from the network: it is parsed strictly (RFC 8259,
 * valid UTF-8, nothing after the object) with json-c, every field's type is
 * checked, and a payload that is wrong says what and where
 * ("alerts[2].labels: expected an object"), for a 400 the sender's log
 * will show. Must never: accept a half-understood payload, or keep a
 * pointer into json-c's tree past the parse.
 *
 * The schema (https://prometheus.io/docs/alerting/latest/configuration/
 * #webhook_config):
 *   { "version": "4", "groupKey": s, "truncatedAlerts": n, "status":
 *     "firing"|"resolved", "receiver": s, "groupLabels": {}, "commonLabels":
 *     {}, "commonAnnotations": {}, "externalURL": s, "alerts": [ { "status":
 *     "firing"|"resolved", "labels": {}, "annotations": {}, "startsAt":
 *     RFC3339, "endsAt": RFC3339, "generatorURL": s, "fingerprint": s } ] } */
#ifndef ROTA_ALERT_H
#define ROTA_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbook.h"

/* Bounds on what one payload may hold (the HTTP body is capped at 1 MiB
 * before this; these keep a parse of it cheap and its output small). */
#define ALERT_MAX_ALERTS 1000
#define ALERT_MAX_LABELS 128   /* per label set */
#define ALERT_JSON_MAX_DEPTH 8 /* the schema nests 3 deep */

typedef struct {
	char *name;  /* owned */
	char *value; /* owned */
} alert_label_t;

/* A label set, in the payload's order. */
typedef struct {
	alert_label_t *items; /* owned, with each item */
	size_t count;
} alert_labels_t;

typedef struct {
	bool firing;                /* status "firing"; false: "resolved" */
	alert_labels_t labels;      /* alertname, instance, severity, ... */
	alert_labels_t annotations; /* summary, description, ... */
	/* Unix time in milliseconds; 0 for Go's zero time
	 * "0001-01-01T00:00:00Z" (an alert still firing has that endsAt in
	 * older Alertmanagers) or when absent. */
	int64_t starts_ms;
	int64_t ends_ms;
	char *generator_url; /* owned; NULL when absent */
	char *fingerprint;   /* owned; NULL when absent (Alertmanager < 0.19) */
	char *host;          /* owned; see alert_host */
} alert_t;

typedef struct {
	char *version;             /* owned: "4" */
	bool firing;               /* the group's status */
	char *receiver;            /* owned; "" when absent */
	char *group_key;           /* owned; "" when absent */
	char *external_url;        /* owned; NULL when absent */
	uint64_t truncated_alerts; /* alerts Alertmanager left out (max_alerts) */
	alert_labels_t group_labels;
	alert_labels_t common_labels;
	alert_labels_t common_annotations;
	alert_t *alerts; /* owned, with each alert */
	size_t alert_count;
} alert_payload_t;

/* Parses body (len bytes, need not be NUL-terminated) into *out. 0, or -1
 * with *error (the caller frees) naming what is wrong and where, and *out
 * left empty (alert_payload_free on it is harmless). */
int alert_payload_parse(const char *body, size_t len, alert_payload_t *out, char **error);
/* Frees what *p owns and empties it. Accepts an empty payload. */
void alert_payload_free(alert_payload_t *p);

/* The value of a label, borrowed; NULL when the alert has none. */
const char *alert_label(const alert_t *a, const char *name);

/* True when t is an alertmanager trigger and every one of its pairs equals
 * the alert's label of that name. A trigger with no pairs matches nothing:
 * a runbook must say which alerts it answers, never all of them. */
bool alert_matches(const runbook_trigger_t *t, const alert_t *a);

/* The host an alert names, borrowed from a: the `instance` label with its
 * port stripped ("web-1:9100" -> "web-1", "[::1]:9100" -> "::1", a URL
 * "https://web-1:8443/health" -> "web-1", a bare "web-1" as is), else the
 * `host` label, else NULL. Computed when the payload is parsed. */
const char *alert_host(const alert_t *a);

/* The severity an alert asks for, from its `severity` label
 * (case-insensitive): P1..P4 -> 1..4; critical -> 1, error -> 2, warning
 * -> 3, info -> 4 (the inverse of the PagerDuty mapping); anything else or
 * no label -> 0, meaning "use the runbook's". */
int alert_severity(const alert_t *a);

/* The host part of an `instance` label value as alert_host strips it.
 * Returns a new string the caller frees, or NULL when nothing is left. */
char *alert_instance_host(const char *instance);

#endif
