/* services: the set of the coordinator's long-lived objects (services.h). */
#include "services.h"

#include <stdlib.h>
#include <zmq.h>

#include "xalloc.h"

services_t *
services_new(const coordinator_config_t *options)
{
	services_t *s = xcalloc(1, sizeof(*s));
	s->options = *options;
	return s;
}

void
services_destroy(services_t **sp)
{
	services_t *s = *sp;
	if (s == NULL)
		return;
	outbox_stop(&s->outbox);
	dispatcher_destroy(&s->dispatcher);
	scheduler_destroy(&s->scheduler);
	launcher_destroy(&s->launcher);
	responder_destroy(&s->responder);
	incidents_destroy(&s->incidents);
	oncall_destroy(&s->oncall);
	audit_destroy(&s->audit);
	pruner_destroy(&s->pruner);
	indexer_destroy(&s->indexer);
	events_destroy(&s->events);
	backup_destroy(&s->backup); /* before the store it copies */
	sendq_destroy(&s->sendq);
	registry_destroy(&s->registry);
	catalog_destroy(&s->catalog);
	store_destroy(&s->store);
	config_destroy(&s->config);
	metrics_histogram_destroy(&s->metrics.step_seconds);
	metrics_histogram_destroy(&s->metrics.commit_seconds);
	if (s->worker_sock)
		zmq_close(s->worker_sock);
	if (s->api_sock)
		zmq_close(s->api_sock);
	security_destroy(&s->security);
	free(s);
	*sp = NULL;
}
