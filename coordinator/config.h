/* config: the coordinator's configuration file (YAML), for what does not
 * fit on a command line: notification channels, escalation policies,
 * acknowledgement deadlines, the outbox's retry settings, the HTTP
 * endpoint and the store (a PostgreSQL URL and its password file). deploy/coordinator.example.yaml
 * shows every key; docs/incidents.md explains them.
 *
 * A channel's URL or key may be given as `url_env` / `routing_key_env`,
 * the name of an environment variable read at load, so the file itself can
 * be checked in without a secret.
 *
 * Must never: accept a file it did not fully understand (an unknown key is
 * an error naming file:line:column), or log a URL or key. */
#ifndef ROTA_CONFIG_H
#define ROTA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetvars.h"
#include "rotation.h"
#include "incidents/incidents.h"
#include "maintenance.h"
#include "store/store.h"

#define CONFIG_DEFAULT_HTTP "127.0.0.1:7480"
/* A configuration file larger than this is refused: it is a page of YAML. */
#define CONFIG_MAX_BYTES (1024 * 1024)
/* Acknowledgement deadlines by default, from the seeds' response targets:
 * P1 15 minutes, P2 1 hour, P3 4 hours, P4 the next business day. */
#define CONFIG_DEADLINE_P1_MS (15LL * 60 * 1000)
#define CONFIG_DEADLINE_P2_MS (60LL * 60 * 1000)
#define CONFIG_DEADLINE_P3_MS (4LL * 60 * 60 * 1000)
#define CONFIG_DEADLINE_NEXT_BUSINESS_DAY (-1)
/* Retention by default (docs/operations.md, "Retention"): history an
 * on-call engineer looks back on (a quarter of runs, a month of output),
 * and a year and a month of audit and incidents, for a yearly review. */
#define CONFIG_DAY_MS (24LL * 3600 * 1000)
#define CONFIG_RETAIN_RUNS_MS (90 * CONFIG_DAY_MS)
#define CONFIG_RETAIN_OUTPUTS_MS (30 * CONFIG_DAY_MS)
#define CONFIG_RETAIN_AUDIT_MS (400 * CONFIG_DAY_MS)
#define CONFIG_RETAIN_NOTIFICATIONS_MS (30 * CONFIG_DAY_MS)
#define CONFIG_RETAIN_INCIDENTS_MS (400 * CONFIG_DAY_MS)
#define CONFIG_RETAIN_KEEP_RUNS 20
/* A retention shorter than this is refused: `runs: 30` (30 seconds) is a
 * typo for 30d, and would empty the store. */
#define CONFIG_RETAIN_MIN_MS (3600LL * 1000)
/* The longest: 100 years (use 0 to keep forever). */
#define CONFIG_RETAIN_MAX_DAYS 36500

/* A tier's notify item naming whoever is on call: "oncall:ROTATION". */
#define CONFIG_ONCALL_PREFIX "oncall:"
/* The channel made of a person's contact: "@alice/email". */
#define CONFIG_PERSON_CHANNEL_FMT "@%s/%s"

typedef struct {
	int64_t after_ms; /* since the incident opened */
	/* owned: channel names, and "oncall:ROTATION" for whoever is on call
	 * when the tier is reached */
	char **notify;
	size_t notify_count;
	int64_t repeat_ms; /* last tier only: notify again this often; 0 never */
	/* bit s set: the tier is for incidents of severity Ps; 0: every one.
	 * A tier that is not for an incident's severity is passed over. */
	uint8_t severities;
} config_tier_t;

typedef struct {
	char *name;           /* owned */
	config_tier_t *tiers; /* owned, in order of after_ms */
	size_t tier_count;
	/* until: resolved: the climb goes on past an acknowledgement, and
	 * stops only at the resolution (until: acknowledged, the default). */
	bool until_resolved;
} config_policy_t;

/* A person of people:, whose contacts are channels of their own. */
typedef struct {
	char *name;      /* owned */
	char **channels; /* owned: the names (CONFIG_PERSON_CHANNEL_FMT) of their contacts */
	size_t channel_count;
} config_person_t;

typedef struct config {
	char *path; /* owned: the file read, or NULL for the defaults */
	char *http; /* owned: "ADDR:PORT" or "off" */
	/* owned: the alert intake's bearer token file (http_token_file);
	 * may be NULL. Required when http is beyond loopback. */
	char *http_token_file;
	/* http_protect_metrics: /metrics and /healthz need the token too. */
	bool http_protect_metrics;
	/* http_request_deadline: a request's whole time; 0 = httpd's default. */
	int64_t http_request_deadline_ms;
	char *link; /* owned: base URL for links in notifications; may be NULL */
	/* owned: the store's postgresql:// URL (store:), checked to hold no
	 * password, and its password file (store_password_file:); NULL when
	 * not given (coordinator_store_plan: --store and ROTA_STORE win). */
	char *store;
	char *store_password_file;
	/* backup_dir: where rota backup may write (an absolute directory);
	 * NULL: any absolute path on this host. */
	char *backup_dir;
	/* lease: the leader's lease (leader.h); 0 when not given (--lease
	 * wins; else LEADER_DEFAULT_LEASE_MS). */
	int64_t lease_ms;
	/* id: this coordinator's name (config_id_check); owned, NULL when not
	 * given (--id wins; else the host name). */
	char *id;
	channel_t *channels; /* owned */
	size_t channel_count;
	config_policy_t *policies; /* owned */
	size_t policy_count;
	/* owned (smtp:): the server people's e-mail goes through (smtp:// or
	 * smtps://), the sender, and the login (NULL: none). */
	char *smtp_url, *smtp_from, *smtp_user, *smtp_password;
	config_person_t *people; /* owned (people:) */
	size_t people_count;
	rotation_t *rotations; /* owned (rotations:) */
	size_t rotation_count;
	/* [1]..[4]: P1..P4; CONFIG_DEADLINE_NEXT_BUSINESS_DAY for "next business day" */
	int64_t deadline_ms[5];
	int64_t give_up_ms; /* outbox: 0 = its defaults */
	int64_t backoff_ms;
	int64_t max_backoff_ms;
	int64_t timeout_ms;
	/* owned: param values per host (vars:, fleetvars.h); never NULL. */
	fleetvars_t *vars;
	/* owned: the alert label that names the host (host_label:); NULL:
	 * `instance`, else `host` (alert.h). */
	char *host_label;
	/* retention: how long each kind of row is kept (0: forever), and how
	 * many runs of each runbook stay whatever their age. */
	store_retention_t retention;
	/* owned: the recurring maintenance windows (maintenance:,
	 * maintenance.h); never NULL. */
	maint_plan_t *maintenance;
} config_t;

/* The defaults: HTTP on CONFIG_DEFAULT_HTTP, no channels, no policies,
 * the CONFIG_RETAIN_* retention. */
config_t *config_default(void);
/* Reads path. NULL with *error (caller frees): every problem the file has,
 * one "FILE:LINE:COLUMN: what" line each, in the order of the file. */
config_t *config_load(const char *path, char **error);
void config_destroy(config_t **cp);

#define CONFIG_ID_MAX 63 /* bytes of a coordinator's id */
/* Whether id may name a coordinator (--id, id:): 1 to CONFIG_ID_MAX
 * letters, digits, '.', '_' and '-', starting with a letter or a digit
 * (it is shown in rota status, /healthz, /metrics labels and every log
 * line). -1 with why (len bytes) saying what is wrong. */
int config_id_check(const char *id, char *why, size_t len);

const channel_t *config_channel(const config_t *c, const char *name);
/* The recurring maintenance windows (none when c is NULL: a unit test's
 * services may have no configuration). */
const maint_plan_t *config_maintenance(const config_t *c);
/* A reload: c takes fresh's maintenance: list (fresh takes c's old one, to
 * be destroyed with it). The only part of the configuration a running
 * coordinator changes: windows are read at each use (maintenance.h), so
 * nothing holds the old list. */
void config_swap_maintenance(config_t *c, config_t *fresh);
/* The named policy, else "default", else NULL. */
const config_policy_t *config_policy(const config_t *c, const char *name);
const config_person_t *config_person(const config_t *c, const char *name);
const rotation_t *config_rotation(const config_t *c, const char *name);
/* Whether tier t is for incidents of severity (1-4). */
bool config_tier_applies(const config_tier_t *t, int severity);
/* When an incident of severity 1-4 opened at opened_ms must be acknowledged. */
int64_t config_ack_due(const config_t *c, int severity, int64_t opened_ms);

#endif
