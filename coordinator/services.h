/* services: the coordinator's long-lived objects, owned in one place.
 *
 * coordinator_new builds them once, in the order they depend on each
 * other, and coordinator_destroy tears them down (services_destroy). No
 * field is reassigned in between: a resync resets the dispatcher and the
 * scheduler in place (dispatcher_reset, scheduler_reset), a reload swaps
 * the catalog's contents (catalog_swap). So a pointer to this struct, or to
 * one of its objects, is good for the life of the process, and nothing has
 * to be re-patched by hand: a module that uses several services keeps a
 * pointer to the struct and reads the field when it needs it (the
 * dispatcher, launcher, responder and operator API); a leaf module keeps
 * the objects it works on (the scheduler its store, the incidents their
 * store and configuration), which are never replaced.
 *
 * Must never: reassign a field after coordinator_new, be copied by value,
 * or have a field copied into another module's struct. */
#ifndef ROTA_SERVICES_H
#define ROTA_SERVICES_H

#include <stdint.h>

#include "backup.h"
#include "catalog.h"
#include "config.h"
#include "coordinator.h"
#include "dispatcher.h"
#include "events.h"
#include "http/http.h"
#include "incidents/incidents.h"
#include "launcher.h"
#include "oncall.h"
#include "indexer.h"
#include "pruner.h"
#include "redirect.h"
#include "registry.h"
#include "scheduler.h"
#include "security/security.h"
#include "sendq.h"
#include "store/store.h"

typedef struct services {
	/* What main was given (its strings borrowed from main's argv and
	 * locals, which outlive the coordinator). */
	coordinator_config_t options;
	config_t *config;         /* owned: the configuration file (config.h) */
	store_t *store;           /* owned */
	registry_t *registry;     /* owned: the workers, known and connected */
	catalog_t *catalog;       /* owned: the runbooks served; reload swaps its contents */
	scheduler_t *scheduler;   /* owned: reset in place by a resync */
	dispatcher_t *dispatcher; /* owned: the active runs; reset in place by a resync */
	launcher_t *launcher;     /* owned: starts runs (operators, schedules, incidents) */
	incidents_t *incidents;   /* owned */
	oncall_t *oncall;         /* owned: who is on call (rotations and overrides) */
	responder_t *responder;   /* owned: failures and alerts become incidents */
	/* owned: the notification sender thread; the one field that changes:
	 * NULL while the coordinator follows (coordinator_role.c), since a
	 * sender on a follower would be a second writer */
	outbox_t *outbox;
	audit_t *audit;       /* owned: auth-failure rows and counts */
	pruner_t *pruner;     /* owned: retention's passes (borrows store, config) */
	indexer_t *indexer;   /* owned: feeds the search index (borrows store) */
	backup_t *backup;     /* owned: rota backup, running or the last one */
	security_t *security; /* owned: keys, ZAP, the secure default */
	sendq_t *sendq;       /* owned: what the turn sends, held until its commit */
	events_t *events;     /* owned: the event stream and its followers (events.h) */
	void *worker_sock;    /* owned: ROUTER for workers */
	void *api_sock;       /* owned: ROUTER for operators */
	struct {
		metrics_histogram_t *step_seconds;   /* owned: step attempts' run time */
		metrics_histogram_t *commit_seconds; /* owned: each turn's commit */
	} metrics;
	/* This coordinator's epoch: a resync moves it on, so every worker
	 * says Hello again. A value, read where it is sent (Welcome,
	 * Heartbeat, a Dispatch's fence). */
	uint64_t epoch;
	/* What this coordinator advertises (--advertise-*, else what it
	 * bound), filled by coordinator_new: a leader writes it in its
	 * leader row (redirect.h). */
	redirect_advertised_t advertised;
	/* Who leads, as last read from the store: kept by the leader module;
	 * zeroed (this coordinator leads) until it says otherwise. A
	 * follower redirects workers and operators to the leader's
	 * endpoints (redirect_target). */
	redirect_leader_t leadership;
} services_t;

/* An empty set; coordinator_new fills it in. */
services_t *services_new(const coordinator_config_t *options);
/* Stops the outbox's thread and destroys every object the set owns, the
 * users before what they use; the sockets are closed, the ZeroMQ context
 * is the caller's to end afterwards. Accepts NULL; nulls *sp. */
void services_destroy(services_t **sp);

#endif
