/* coordinator_http: what the coordinator serves over HTTP: the alert intake
 * (POST /v1/alerts/alertmanager), /metrics and /healthz, and starting the
 * server with its bearer token. Must never: answer an alert before the turn
 * that recorded it is committed. */
#include "coordinator_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

#include "clock.h"
#include "incstats.h"
#include "maintenance.h"
#include "log.h"
#include "xalloc.h"

/* An alert changes the store and its answer says so: the turn is
 * committed before the answer leaves (an HTTP reply cannot wait in the
 * send queue like an API response). */
static void
coordinator_http_alerts(void *ctx, const char *peer, const char *body, size_t len, unsigned *status,
                        char **reply)
{
	coordinator_t *c = ctx;
	if (c->store_lost != NULL) {
		*status = 503;
		*reply = xasprintf("%s\n", c->store_lost);
		return;
	}
	if (c->intake_closed) {
		*status = 401;
		*reply =
		    xasprintf("the alert intake is closed: this coordinator uses CURVE keys and"
		              " has no HTTP token; give it --http-token FILE (rota-coordinator"
		              " --init writes %s) and send Authorization: Bearer\n",
		              SECURITY_HTTP_TOKEN_FILE);
		return;
	}
	if (c->store_unwritable || c->stopping) {
		*status = 503;
		*reply = xstrdup(c->stopping ? "the coordinator is stopping; send again later\n"
		                             : "the coordinator cannot write its store; send again"
		                               " later\n");
		return;
	}
	responder_source_t src = {
	    .actor = c->http_token ? c->http_token_name : "anonymous",
	    .role = c->http_token ? "token" : "admin",
	    .peer = peer,
	};
	if (c->svc->options.read_only) {
		*status = 503;
		*reply = xstrdup("this coordinator was started --read-only (to look at a restored"
		                 " backup): it takes no alerts\n");
		return;
	}
	if (!leader_is_leader(c->leader)) {
		/* A follower keeps the payload for the leader (Alertmanager
		 * may list every coordinator): 202 once it is durable. One the
		 * leader would refuse is refused here alike (400, not sent
		 * again). */
		alert_payload_t parsed; /* owns what it parsed */
		char *why = NULL;       /* owned */
		int bad = alert_payload_parse(body, len, &parsed, &why);
		alert_payload_free(&parsed);
		if (bad != 0) {
			*status = 400;
			*reply = xasprintf("invalid Alertmanager payload: %s\n", why);
			free(why);
			return;
		}
		if (store_inbox_add(c->svc->store, peer, src.actor, src.role, body, len,
		                    clock_wall_ms()) != 0) {
			*status = 503;
			*reply =
			    xstrdup("this coordinator follows and could not keep the alerts for"
			            " the leader; send again later\n");
			return;
		}
		*status = 202;
		*reply = xstrdup("{\"status\":\"kept for the leader\"}");
		return;
	}
	responder_alerts(c->svc->responder, &src, body, len, status, reply);
	if (coordinator_commit_now(c) != 0) {
		free(*reply);
		*status = 503;
		*reply = xstrdup("the coordinator could not record the alerts; send again later\n");
		coordinator_resync(c);
		return;
	}
}

/* 200 on any healthy coordinator, its role in the body; with ?role=leader
 * 200 only on the leader (a load balancer in front of the console). */
/* The leader acts on the alerts followers kept (store_inbox.c), a few a
 * call, in the turn's transaction: each row is deleted with what acting on
 * it changed, so it is acted on once. */
void
coordinator_http_inbox(coordinator_t *c)
{
	for (int i = 0; i < COORDINATOR_INBOX_BATCH; i++) {
		store_inbox_item_t it; /* owns its strings */
		if (store_inbox_next(c->svc->store, &it) != 0)
			return;
		responder_source_t src = {.actor = it.actor, .role = it.role, .peer = it.peer};
		unsigned status = 0;
		char *reply = NULL; /* owned */
		responder_alerts(c->svc->responder, &src, it.body, it.len, &status, &reply);
		int rc = store_inbox_delete(c->svc->store, it.id);
		log_info("alerts a follower took in from %s: %u %s", it.peer, status,
		         reply ? reply : "");
		free(reply);
		store_inbox_clear(&it);
		if (rc != 0)
			return;
	}
}

static bool
coordinator_http_healthy(void *ctx, const char *role, char **why)
{
	coordinator_t *c = ctx;
	bool leads = leader_is_leader(c->leader);
	if (c->store_lost != NULL) {
		*why = xasprintf("%s\n", c->store_lost);
		return false;
	}
	if (c->store_unwritable || c->resync_pending) {
		*why = xstrdup("the store cannot be written (disk full, a file-size limit, or the"
		               " file locked); see the coordinator's log\n");
		return false;
	}
	if (c->stopping) {
		*why = xstrdup("the coordinator is stopping\n");
		return false;
	}
	if (role != NULL && strcmp(role, "leader") != 0 && strcmp(role, "follower") != 0) {
		*why = xasprintf("role=%.40s: ask for role=leader or role=follower", role);
		return false;
	}
	if (role != NULL && strcmp(role, leads ? "leader" : "follower") != 0) {
		*why = xasprintf("this coordinator (%s) is the %s (epoch %llu), not the %s",
		                 c->coordinator_id, leads ? "leader" : "follower",
		                 (unsigned long long)leader_epoch(c->leader), role);
		return false;
	}
	*why = xasprintf("ok %s (epoch %llu): coordinator %s", leads ? "leader" : "follower",
	                 (unsigned long long)leader_epoch(c->leader), c->coordinator_id);
	return true;
}

/* Retention (pruner.h): what passes deleted, the store's size, and how
 * old the oldest row kept in each table is: a store growing past what its
 * retention allows shows here first. */
static void
coordinator_metric_retention(metrics_t *m, pruner_t *pr)
{
	if (!pruner_busy(pr))
		pruner_refresh(pr);
	const pruner_stats_t *ps = pruner_stats(pr);
	metrics_family(m, "rota_store_rows_pruned_total", METRICS_COUNTER,
	               "Rows deleted by retention since start, by table.");
	for (int t = 0; t < STORE_PRUNE_TABLES; t++) {
		metrics_label_t l = {"table", store_prune_table_name((store_prune_table_t)t)};
		metrics_count(m, &l, 1, ps->pruned[t]);
	}
	metrics_family(m, "rota_store_prune_passes_total", METRICS_COUNTER,
	               "Retention passes ended since start.");
	metrics_count(m, NULL, 0, ps->passes);
	metrics_family(m, "rota_store_last_prune_timestamp_seconds", METRICS_GAUGE,
	               "When the last retention pass ended (0: none ever).");
	metrics_value(m, NULL, 0, (double)ps->last_pass_ms / 1000.0);
	metrics_family(m, "rota_store_size_bytes", METRICS_GAUGE,
	               "The store's size: the SQLite file's pages, or the PostgreSQL database.");
	metrics_value(m, NULL, 0, (double)ps->store_bytes);
	metrics_family(m, "rota_store_oldest_row_age_seconds", METRICS_GAUGE,
	               "Age of the oldest row kept, by table (absent: the table is empty).");
	int64_t now = clock_wall_ms();
	for (int t = 0; t < STORE_PRUNE_TABLES; t++) {
		if (ps->oldest[t] <= 0)
			continue;
		metrics_label_t l = {"table", store_prune_table_name((store_prune_table_t)t)};
		metrics_value(m, &l, 1, (double)(now - ps->oldest[t]) / 1000.0);
	}
}

/* Why a request of the JSON API that writes cannot be taken now, or NULL:
 * the same refusals the operators' socket makes (coordinator_operators.c). */
static const char *
coordinator_http_write_refusal(void *ctx)
{
	coordinator_t *c = ctx;
	if (c->store_lost != NULL)
		return c->store_lost;
	if (c->store_unwritable || c->resync_pending)
		return "the coordinator cannot write its store (disk full, a file-size limit, or"
		       " the file locked by another process); nothing was done; see the"
		       " coordinator's log";
	if (c->stopping)
		return "the coordinator is stopping; try again when it is back";
	if (!leader_is_leader(c->leader))
		return "this coordinator follows; send changes to the leader's console"
		       " (rota status names it)";
	return NULL;
}

/* The end of a JSON API request's turn, as for an alert: its change and
 * audit row committed before the answer leaves; then what waited for the
 * commit (workers' messages) is sent. */
static int
coordinator_http_commit(void *ctx)
{
	coordinator_t *c = ctx;
	if (coordinator_commit_now(c) != 0) {
		coordinator_resync(c);
		return -1;
	}
	return 0;
}

static void
coordinator_metric_drops(metrics_t *m, const char *endpoint, const wire_stats_t *w)
{
	const struct {
		const char *reason;
		uint64_t n;
	} drops[] = {
	    {"shape", w->dropped_shape},   {"size", w->dropped_size},
	    {"decode", w->dropped_decode}, {"version", w->dropped_version},
	    {"empty", w->dropped_empty},   {"range", w->dropped_range},
	};
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		metrics_label_t l[] = {{"endpoint", endpoint}, {"reason", drops[i].reason}};
		metrics_count(m, l, 2, drops[i].n);
	}
}

/* The maintenance windows active now and the hosts they cover, and how
 * fast incidents were acknowledged and resolved (incstats.h): each a read
 * of the store per scrape (the windows active now; every incident kept,
 * a few thousand rows at most under retention). */
static void
coordinator_http_maintenance(coordinator_t *c, metrics_t *m)
{
	maint_set_t set;
	if (maintenance_active(c->svc->store, config_maintenance(c->svc->config), clock_wall_ms(),
	                       &set) == 0) {
		uint64_t hosts = 0;
		for (size_t i = 0; i < registry_count(c->svc->registry); i++)
			if (maintenance_covering(&set, registry_at(c->svc->registry, i)) != NULL)
				hosts++;
		metrics_family(m, "rota_maintenance_windows_active", METRICS_GAUGE,
		               "Maintenance windows active now (freeze windows included).");
		metrics_count(m, NULL, 0, set.count);
		metrics_family(m, "rota_hosts_in_maintenance", METRICS_GAUGE,
		               "Known workers a maintenance window covers now.");
		metrics_count(m, NULL, 0, hosts);
		maintenance_set_free(&set);
	}
	incstats_t st = {0};
	if (store_incident_times(c->svc->store, 0, incstats_add, &st) != 0) {
		incstats_free(&st);
		return;
	}
	static const char *const sev[] = {"", "P1", "P2", "P3", "P4"};
	for (int k = 0; k < 2; k++) {
		metrics_family(m, k ? "rota_incident_resolve_seconds" : "rota_incident_ack_seconds",
		               METRICS_HISTOGRAM,
		               k ? "Time from an incident's opening to its resolution, by severity."
		                 : "Time from an incident's opening to its acknowledgement, by"
		                   " severity.");
		for (int i = 1; i <= 4; i++) {
			incstats_times_t *t = k ? &st.sev[i].resolve : &st.sev[i].ack;
			metrics_histogram_t *h =
			    metrics_histogram_new(INCSTATS_BUCKETS, INCSTATS_BUCKET_COUNT);
			for (size_t n = 0; n < t->n; n++)
				metrics_histogram_observe(h, (double)t->v[n] / 1000.0);
			metrics_label_t l[] = {{"severity", sev[i]}};
			metrics_histogram(m, l, 1, h);
			metrics_histogram_destroy(&h);
		}
	}
	incstats_free(&st);
}

static char *
coordinator_http_metrics(void *ctx)
{
	coordinator_t *c = ctx;
	metrics_t *m = metrics_new();
	uint64_t by_status[32] = {0};
	metrics_family(m, "rota_runs_total", METRICS_COUNTER, "Runs recorded, by status.");
	if (store_runs_by_status(c->svc->store, by_status, 32) == 0) {
		/* Every code without a name is "unknown": one series, summed
		 * (a series twice makes Prometheus reject the whole page). */
		uint64_t unknown = by_status[0];
		for (int s = 1; s < 32; s++) {
			const char *name = run_status_name(s);
			if (strcmp(name, "unknown") == 0) {
				unknown += by_status[s];
				continue;
			}
			metrics_label_t l = {"status", name};
			metrics_count(m, &l, 1, by_status[s]);
		}
		if (unknown > 0) {
			metrics_label_t l = {"status", "unknown"};
			metrics_count(m, &l, 1, unknown);
		}
	}
	const dispatcher_stats_t *ds = dispatcher_stats(c->svc->dispatcher);
	metrics_family(m, "rota_steps_total", METRICS_COUNTER,
	               "Step attempts that ended since the coordinator started, by status.");
	for (int s = 0; s < DISPATCHER_STATUS_SLOTS; s++) {
		if (ds->steps_ended[s] == 0)
			continue;
		metrics_label_t l = {"status", run_step_status_name(s)};
		metrics_count(m, &l, 1, ds->steps_ended[s]);
	}
	metrics_family(m, "rota_step_duration_seconds", METRICS_HISTOGRAM,
	               "How long step attempts ran, from start to result.");
	metrics_histogram(m, NULL, 0, c->svc->metrics.step_seconds);
	size_t connected = 0;
	for (size_t i = 0; i < registry_count(c->svc->registry); i++)
		connected += registry_at(c->svc->registry, i)->connected;
	metrics_family(m, "rota_workers_connected", METRICS_GAUGE, "Workers connected now.");
	metrics_value(m, NULL, 0, (double)connected);
	metrics_family(m, "rota_worker_spool_failing", METRICS_GAUGE,
	               "1 while a connected worker says its spool cannot write (output at risk).");
	for (size_t i = 0; i < registry_count(c->svc->registry); i++) {
		const worker_t *w = registry_at(c->svc->registry, i);
		if (!w->connected)
			continue;
		metrics_label_t l = {"worker", w->id};
		metrics_value(m, &l, 1, w->spool_error[0] ? 1 : 0);
	}
	metrics_family(m, "rota_dispatch_queue_depth", METRICS_GAUGE,
	               "Steps ready to run that wait for their worker (capacity, or away).");
	metrics_value(m, NULL, 0, (double)dispatcher_pending(c->svc->dispatcher));
	metrics_family(m, "rota_store_commit_seconds", METRICS_HISTOGRAM,
	               "How long each turn's commit of the store took.");
	metrics_histogram(m, NULL, 0, c->svc->metrics.commit_seconds);
	coordinator_metric_retention(m, c->svc->pruner);
	/* The search index's backlog (indexer.h): output stored but not yet
	 * findable by rota search. */
	const indexer_stats_t *xs = indexer_stats(c->svc->indexer);
	if (xs->backlog >= 0) {
		metrics_family(m, "rota_search_backlog_rows", METRICS_GAUGE,
		               "Output chunks stored but not yet in the search index.");
		metrics_value(m, NULL, 0, (double)xs->backlog);
	}
	metrics_family(m, "rota_search_indexed_chunks_total", METRICS_COUNTER,
	               "Output chunks taken into the search index since start.");
	metrics_count(m, NULL, 0, xs->fed);
	/* Which coordinator this is (--id, else the host name): two on one
	 * host, scraped as one target each, are told apart by it. */
	metrics_family(m, "rota_coordinator_info", METRICS_GAUGE,
	               "Always 1; its label id names this coordinator (--id, else the host name).");
	metrics_label_t idl = {"id", c->coordinator_id};
	metrics_value(m, &idl, 1, 1);
	metrics_family(m, "rota_leader", METRICS_GAUGE,
	               "1 while this coordinator holds the lease and leads, 0 while it follows.");
	metrics_value(m, NULL, 0, leader_is_leader(c->leader) ? 1 : 0);
	metrics_family(m, "rota_leader_changes_total", METRICS_COUNTER,
	               "Times this coordinator became leader or stepped down.");
	metrics_count(m, NULL, 0, leader_changes(c->leader));
	uint64_t pending = 0, given_up = 0;
	incidents_outbox_counts(c->svc->incidents, &pending, &given_up);
	outbox_stats_t os;
	outbox_stats(c->svc->outbox, &os);
	metrics_family(m, "rota_outbox_pending", METRICS_GAUGE,
	               "Notifications not yet delivered nor given up on.");
	metrics_value(m, NULL, 0, (double)pending);
	metrics_family(m, "rota_outbox_delivery_failures_total", METRICS_COUNTER,
	               "Delivery attempts that failed (each retry counts).");
	metrics_count(m, NULL, 0, os.failures);
	metrics_family(m, "rota_outbox_given_up_total", METRICS_COUNTER,
	               "Notifications given up on (in the store, over all time).");
	metrics_count(m, NULL, 0, given_up);
	metrics_family(m, "rota_frames_dropped_total", METRICS_COUNTER,
	               "Network frames dropped, by endpoint and reason.");
	coordinator_metric_drops(m, "worker", &c->worker_wire);
	coordinator_metric_drops(m, "api", &c->api_wire);
	metrics_label_t stale[] = {{"endpoint", "worker"}, {"reason", "no_hello"}};
	metrics_count(m, stale, 2, c->stale_frames);
	metrics_label_t refused[] = {{"endpoint", "worker"}, {"reason", "hello_refused"}};
	metrics_count(m, refused, 2, c->hello_refused);
	metrics_family(m, "rota_sends_dropped_total", METRICS_COUNTER,
	               "Messages that could not be sent, by endpoint and reason (gone: the peer"
	               " was not connected; full: it did not read what it was sent).");
	for (int e = 0; e < 2; e++) {
		const char *endpoint = e == 1 ? "api" : "worker";
		metrics_label_t gone[] = {{"endpoint", endpoint}, {"reason", "gone"}};
		metrics_count(m, gone, 2, c->send_drops[e].gone);
		metrics_label_t full[] = {{"endpoint", endpoint}, {"reason", "full"}};
		metrics_count(m, full, 2, c->send_drops[e].full);
	}
	metrics_family(m, "rota_auth_failures_total", METRICS_COUNTER,
	               "Connections and requests refused for their key, by endpoint and reason.");
	for (int ep = 0; ep < AUDIT_EP_COUNT; ep++)
		for (int r = 0; r < AUDIT_AUTH_COUNT; r++) {
			metrics_label_t l[] = {{"endpoint", audit_endpoint_name(ep)},
			                       {"reason", audit_reason_name(r)}};
			metrics_count(m, l, 2, audit_auth_count(c->svc->audit, ep, r));
		}
	uint64_t counts[5][3];
	metrics_family(m, "rota_incidents", METRICS_GAUGE, "Incidents, by severity and status.");
	if (incidents_counts(c->svc->incidents, counts) == 0) {
		static const char *const sev[] = {"", "P1", "P2", "P3", "P4"};
		static const char *const st[] = {"triggered", "acknowledged", "resolved"};
		for (int i = 1; i <= 4; i++)
			for (int k = 0; k < 3; k++) {
				metrics_label_t l[] = {{"severity", sev[i]}, {"status", st[k]}};
				metrics_value(m, l, 2, (double)counts[i][k]);
			}
	}
	coordinator_http_maintenance(c, m);
	metrics_family(m, "rota_alerts_received_total", METRICS_COUNTER,
	               "Alerts received from Alertmanager, by what became of them.");
	const struct {
		const char *result;
		uint64_t n;
	} alerts[] = {
	    {"opened", c->svc->responder->alerts.opened},
	    {"repeated", c->svc->responder->alerts.repeated},
	    {"resolved", c->svc->responder->alerts.resolved},
	    {"unmatched", c->svc->responder->alerts.unmatched},
	    {"malformed", c->svc->responder->alerts.malformed},
	    {"outside_targets", c->svc->responder->alerts.outside},
	    {"suppressed", c->svc->responder->alerts.suppressed},
	};
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
		metrics_label_t l = {"result", alerts[i].result};
		metrics_count(m, &l, 1, alerts[i].n);
	}
	/* The data lifecycle (docs/operations.md): the alert rules of
	 * deploy/prometheus/ read these two. */
	metrics_family(m, "rota_backup_last_success_timestamp_seconds", METRICS_GAUGE,
	               "When the last successful rota backup ended (Unix time; 0: never).");
	metrics_value(m, NULL, 0, (double)backup_last_success_ms(c->svc->backup) / 1000.0);
	Rota__BackupInfo bi = ROTA__BACKUP_INFO__INIT;
	backup_info(c->svc->backup, &bi);
	metrics_family(m, "rota_backup_running", METRICS_GAUGE, "1 while a backup is being taken.");
	metrics_value(m, NULL, 0, backup_running(c->svc->backup) ? 1 : 0);
	metrics_family(m, "rota_backup_max_pause_seconds", METRICS_GAUGE,
	               "The longest slice of the last backup: the loop's longest pause for it.");
	metrics_value(m, NULL, 0, (double)bi.max_pause_us / 1e6);
	int64_t bytes = store_bytes(c->svc->store);
	if (bytes >= 0) {
		metrics_family(m, "rota_store_bytes", METRICS_GAUGE,
		               "The store's size: the SQLite file's pages, or the PostgreSQL"
		               " database.");
		metrics_value(m, NULL, 0, (double)bytes);
	}
	/* Reads only, but a read transaction may have opened, and the turn
	 * may hold writes read before this request: committed and told (a
	 * turn that cannot commit is resynced, its answers withheld). */
	if (coordinator_commit_now(c) != 0)
		coordinator_resync(c);
	return metrics_finish(&m);
}

/* Reads a PEM file for HTTPS into *out (caller frees); a key group or
 * others can read is refused like the coordinator's secret key. */
static int
coordinator_http_pem(const char *path, bool secret, char **out, char **error)
{
	struct stat st;
	size_t len = 0;
	file_status_t rc = file_read_all(path, 1024 * 1024, 0, out, &len, &st);
	if (rc != FILE_OK) {
		*error = xasprintf("cannot read the HTTPS %s %s: %s",
		                   secret ? "key" : "certificate", path, strerror(errno));
		return -1;
	}
	if (secret && (st.st_mode & 077) != 0) {
		*error = xasprintf("the HTTPS key %s is readable by others (mode %04o); run"
		                   " 'chmod 600 %s'",
		                   path, (unsigned)(st.st_mode & 07777), path);
		explicit_bzero(*out, len);
		free(*out);
		*out = NULL;
		return -1;
	}
	if (strstr(*out, "-----BEGIN ") == NULL) {
		*error = xasprintf("the HTTPS %s %s is not PEM (no -----BEGIN line)",
		                   secret ? "key" : "certificate", path);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void
coordinator_http_plan_clear(coordinator_http_plan_t *p)
{
	free(p->host);
	free(p->token);
	free(p->token_file);
	free(p->tls_cert);
	if (p->tls_key != NULL) {
		explicit_bzero(p->tls_key, strlen(p->tls_key));
		free(p->tls_key);
	}
	memset(p, 0, sizeof(*p));
}

int
coordinator_http_plan(const coordinator_config_t *opts, const config_t *config, bool curve,
                      coordinator_http_plan_t *p, char **error)
{
	memset(p, 0, sizeof(*p));
	const char *addr = opts->http ? opts->http : config->http;
	if (addr == NULL || strcmp(addr, "off") == 0)
		return 0;
	if (httpd_parse_addr(addr, &p->host, &p->port, error) != 0)
		goto fail;
	p->addr = addr;
	const char *token_file =
	    opts->http_token_file ? opts->http_token_file : config->http_token_file;
	/* Else the data directory's, as --init writes it (like the key). */
	char *def_token = xasprintf("%s/%s", opts->data_dir, SECURITY_HTTP_TOKEN_FILE); /* owned */
	if (token_file == NULL && access(def_token, F_OK) == 0)
		token_file = def_token;
	if (token_file != NULL) {
		p->token_file = xstrdup(token_file);
		security_token_name(token_file, p->token_name, sizeof(p->token_name));
	}
	free(def_token);
	if (p->token_file != NULL && httpd_read_token(p->token_file, &p->token, error) != 0)
		goto fail;
	/* Anyone who can POST an alert starts runbooks on the fleet, as
	 * root, past every runbook's allowed_operators. With keys, the
	 * intake takes a token on every address, loopback included (any
	 * local user reaches loopback): without one it is closed. Without
	 * keys, beyond loopback that takes a token, unless the operator
	 * said --insecure. */
	if (p->token == NULL && curve) {
		p->intake_closed = true;
	} else if (p->token == NULL && !httpd_addr_is_loopback(p->host)) {
		if (!opts->insecure) {
			*error = xasprintf(
			    "refusing to serve HTTP on %s without a bearer token: anyone who can"
			    " reach it could open incidents and start runbooks. Give --http-token"
			    " FILE (or http_token_file: in the configuration), bind it to"
			    " 127.0.0.1, or start with --insecure to accept that",
			    addr);
			goto fail;
		}
		p->insecure = true;
	}
	if ((opts->http_tls_cert != NULL) != (opts->http_tls_key != NULL)) {
		*error = xstrdup("HTTPS needs both --http-tls-cert FILE and --http-tls-key FILE");
		goto fail;
	}
	if (opts->http_tls_cert != NULL &&
	    (coordinator_http_pem(opts->http_tls_cert, false, &p->tls_cert, error) != 0 ||
	     coordinator_http_pem(opts->http_tls_key, true, &p->tls_key, error) != 0))
		goto fail;
	p->console_needs_tls =
	    p->tls_cert == NULL && !httpd_addr_is_loopback(p->host) && !opts->insecure;
	if (config->http_protect_metrics && p->token == NULL) {
		*error = xstrdup("http_protect_metrics: true needs a token: give --http-token FILE"
		                 " or http_token_file:");
		goto fail;
	}
	return 0;
fail:
	coordinator_http_plan_clear(p);
	return -1;
}

int
coordinator_http_start(coordinator_t *c, char *bound, size_t len, char **error)
{
	coordinator_http_plan_t p; /* owns host, token, token_file */
	if (coordinator_http_plan(&c->svc->options, c->svc->config,
	                          security_curve(c->svc->security), &p, error) != 0)
		return -1;
	if (p.addr == NULL)
		return 0;
	webapi_config_t wc = {
	    .svc = c->svc,
	    .api = &c->api,
	    .write_refusal = coordinator_http_write_refusal,
	    .commit = coordinator_http_commit,
	    .ctx = c,
	    .tls = p.tls_cert != NULL,
	    .console_needs_tls = p.console_needs_tls,
	    .base = c->bound_http,
	};
	c->webapi = webapi_new(&wc);
	c->api.web = c->webapi;
	httpd_handlers_t h = {
	    .web = webapi_serve,
	    .web_ctx = c->webapi,
	    .alerts = coordinator_http_alerts,
	    .metrics = coordinator_http_metrics,
	    .healthy = coordinator_http_healthy,
	    .events_open = coordinator_sse_open,
	    .events_frames = coordinator_sse_frames,
	    .events_news = coordinator_sse_news,
	    .events_last = coordinator_sse_last,
	    .events_signed_in = webapi_signed_in,
	    .ctx = c,
	};
	if (p.token_file != NULL)
		snprintf(c->http_token_name, sizeof(c->http_token_name), "%s", p.token_name);
	c->intake_closed = p.intake_closed;
	if (p.intake_closed)
		log_warn("HTTP: the alert intake is closed: CURVE is on and there is no HTTP token"
		         " (--http-token FILE, http_token_file:, or %s/%s as --init writes it);"
		         " every alert is answered 401",
		         c->svc->options.data_dir, SECURITY_HTTP_TOKEN_FILE);
	c->http_insecure = p.insecure;
	if (p.insecure)
		log_warn("INSECURE: HTTP on %s takes alerts without a bearer token (--insecure):"
		         " anyone who can reach it can open incidents and start runbooks",
		         p.addr);
	h.alert_token = p.token;
	h.tls_cert = p.tls_cert; /* copied by httpd_start */
	h.tls_key = p.tls_key;
	h.protect_metrics = c->svc->config->http_protect_metrics;
	h.request_deadline_ms = (uint32_t)c->svc->config->http_request_deadline_ms;
	c->http_token = p.token != NULL || c->intake_closed;
	c->httpd = httpd_start(p.addr, &h, error); /* copies the token */
	if (c->httpd == NULL) {
		coordinator_http_plan_clear(&p);
		return -1;
	}
	if (p.token_file != NULL)
		log_info("HTTP: the alert intake requires the bearer token of %s (audited as %s)%s",
		         p.token_file, c->http_token_name,
		         h.protect_metrics ? ", and so do /metrics and /healthz" : "");
	bool v6 = strchr(p.host, ':') != NULL;
	snprintf(bound, len, "%s%s%s:%u", v6 ? "[" : "", p.host[0] ? p.host : "0.0.0.0",
	         v6 ? "]" : "", httpd_port(c->httpd));
	coordinator_http_plan_clear(&p);
	return 0;
}
