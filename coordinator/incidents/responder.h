/* responder: turns what goes wrong into incidents, and incidents into runs.
 *
 * It is the glue between the dispatcher (a run ended, a notify step, a
 * lost step only a person can settle), the operator API (rota incident
 * open) and the alert intake (Alertmanager) on one side, and the incident
 * module, the outbox and the launcher on the other. Everything it writes
 * goes into the loop's turn.
 *
 * Policy:
 * - a scheduled run that fails opens an incident with the runbook's
 *   severity and escalation policy; another failure of that runbook while
 *   the incident is unresolved is added to it;
 * - a run an incident started reports its end to the incident's timeline;
 * - a notify step goes to its channel, or to the first tier of its
 *   runbook's policy.
 *
 * Must never: open a second incident for what an unresolved one already
 * covers. */
#ifndef ROTA_RESPONDER_H
#define ROTA_RESPONDER_H

#include <stdint.h>

#include "catalog.h"
/* The coordinator's configuration (config.h, at the core: it includes this
 * room for its channels, so this header only names the type). */
typedef struct config config_t;
#include "dispatcher.h"
#include "incident.h"
#include "registry.h"
#include "store/store.h"

/* The coordinator's services (services.h, at the core: it includes this
 * room, so this header only names the type). */
typedef struct services services_t;

typedef struct responder {
	/* borrowed: the store, registry, dispatcher, catalog, configuration,
	 * incidents and launcher it works with, read where they are used */
	services_t *svc;
	/* Alert intake, for /metrics: incidents opened, runs started, alerts
	 * firing again while their incident is open (nothing new), resolved
	 * notifications, alerts no runbook's triggers match (recorded, not
	 * acted on), payloads refused with 400. */
	struct {
		uint64_t opened, runs, repeated, resolved, unmatched, malformed;
		uint64_t outside; /* named a host outside its runbook's targets */
		/* for a host in a maintenance window: recorded, nobody paged */
		uint64_t suppressed;
	} alerts;
} responder_t;

/* A responder working with svc's objects (it keeps svc, not copies of
 * its fields). Free with responder_destroy, which accepts NULL. */
responder_t *responder_new(services_t *svc);
void responder_destroy(responder_t **rp);

/* The dispatcher's hooks, with the responder as ctx. */
dispatcher_hooks_t responder_hooks(responder_t *r);

/* rota incident open: starts the runbook and opens the incident. 0 and out
 * filled (free with rota__incident_response__free_unpacked's fields: use
 * responder_response_clear), or -1 with *code and *error (caller frees). */
int responder_open(responder_t *r, const Rota__OpenIncidentRequest *req,
                   Rota__IncidentResponse *out, int *code, char **error);
void responder_response_clear(Rota__IncidentResponse *out);

/* Who sent a payload to the alert intake, for the audit trail (every
 * string borrowed): the bearer token's name (the token file's name
 * without ".token") with role "token", or "anonymous" where the intake
 * takes no token; peer is the client's address. */
typedef struct {
	const char *actor;
	const char *role;
	const char *peer;
} responder_source_t;

/* POST /v1/alerts/alertmanager: a payload of Alertmanager's webhook
 * (version 4). A firing alert matching a runbook's triggers opens an
 * incident (or joins the open one of its alert group) and runs the
 * runbook on its own targets, or on the alert's host when that is one of
 * them (a host outside them starts nothing: the incident's timeline says
 * why); the same fingerprint firing again while its incident is open
 * starts nothing; resolved alerts resolve the incident once all of its
 * alerts are resolved. Every incident opened, run started or refused and
 * incident resolved is audited as src. *status is 202 (accepted, with a
 * JSON summary in *reply) or 400 (malformed, the reason in *reply). */
void responder_alerts(responder_t *r, const responder_source_t *src, const char *body, size_t len,
                      unsigned *status, char **reply);

#endif
