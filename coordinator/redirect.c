/* redirect: see redirect.h. */
#include "redirect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eplist.h"
#include "services.h"
#include "wire.h"
#include "xalloc.h"

/* Whether url is http://HOST:PORT or https://HOST:PORT (a path allowed)
 * whose host is not a wildcard address. */
static bool
redirect_http_ok(const char *url)
{
	const char *rest = strncmp(url, "http://", 7) == 0    ? url + 7
	                   : strncmp(url, "https://", 8) == 0 ? url + 8
	                                                      : NULL;
	if (rest == NULL || rest[0] == '\0' || rest[0] == '/' || rest[0] == ':')
		return false;
	if (strlen(url) >= REDIRECT_ENDPOINT_MAX)
		return false;
	static const char *const any[] = {"0.0.0.0", "*", "[::]"};
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		size_t n = strlen(any[i]);
		if (strncmp(rest, any[i], n) == 0 && (rest[n] == ':' || rest[n] == '/' || !rest[n]))
			return false;
	}
	return true;
}

/* A given --advertise-worker or --advertise-api: an endpoint a client may
 * dial. -1 with *error naming the option. */
static int
redirect_given_ok(const char *option, const char *given, char **error)
{
	char why[160];
	if (!eplist_endpoint_ok(given, why, sizeof(why))) {
		*error = xasprintf("%s %s: %s", option, given, why);
		return -1;
	}
	if (eplist_endpoint_wildcard(given)) {
		*error = xasprintf("%s %s: an address or port that binds every one cannot be"
		                   " dialled; give the host name or address, and the port, that"
		                   " others reach this coordinator at (like"
		                   " tcp://coord1.example:7400)",
		                   option, given);
		return -1;
	}
	return 0;
}

int
redirect_advertise_check(const coordinator_config_t *opts, char **error)
{
	if (opts->advertise_worker != NULL &&
	    redirect_given_ok("--advertise-worker", opts->advertise_worker, error) != 0)
		return -1;
	if (opts->advertise_api != NULL &&
	    redirect_given_ok("--advertise-api", opts->advertise_api, error) != 0)
		return -1;
	if (opts->advertise_http != NULL && !redirect_http_ok(opts->advertise_http)) {
		*error = xasprintf("--advertise-http %s: give the URL others reach this"
		                   " coordinator's HTTP endpoint at, like"
		                   " http://coord1.example:7480 (not a wildcard address)",
		                   opts->advertise_http);
		return -1;
	}
	return 0;
}

/* One endpoint: the given one, else the bound one unless it cannot be
 * dialled (then "" and a line in problem). */
static void
redirect_pick(const char *given, const char *bound, const char *option, const char *flag, char *out,
              char *problem, size_t plen)
{
	if (given != NULL) {
		snprintf(out, REDIRECT_ENDPOINT_MAX, "%s", given);
		return;
	}
	if (bound != NULL && eplist_endpoint_ok(bound, NULL, 0) &&
	    !eplist_endpoint_wildcard(bound)) {
		snprintf(out, REDIRECT_ENDPOINT_MAX, "%s", bound);
		return;
	}
	out[0] = '\0';
	if (problem[0] == '\0')
		snprintf(problem, plen,
		         "%s binds %s, which others cannot dial: give %s with the address"
		         " others reach it at (like %s tcp://coord1.example:PORT)",
		         option, bound ? bound : "nothing", flag, flag);
}

int
redirect_advertise(const coordinator_config_t *opts, const char *bound_worker,
                   const char *bound_api, const char *bound_http, redirect_advertised_t *out,
                   char **error)
{
	memset(out, 0, sizeof(*out));
	if (redirect_advertise_check(opts, error) != 0)
		return -1;
	redirect_pick(opts->advertise_worker, bound_worker, "--worker-endpoint",
	              "--advertise-worker", out->worker, out->problem, sizeof(out->problem));
	redirect_pick(opts->advertise_api, bound_api, "--api-endpoint", "--advertise-api", out->api,
	              out->problem, sizeof(out->problem));
	/* HTTP is only shown (rota status) and probed (/healthz), never
	 * followed: a wildcard leaves it unsaid rather than refuse a start. */
	if (opts->advertise_http != NULL) {
		snprintf(out->http, sizeof(out->http), "%s", opts->advertise_http);
	} else if (bound_http != NULL && bound_http[0] != '\0') {
		snprintf(out->http, sizeof(out->http), "http://%s", bound_http);
		if (!redirect_http_ok(out->http))
			out->http[0] = '\0';
	}
	return 0;
}

int
redirect_advertise_ready(const redirect_advertised_t *adv, char **error)
{
	if (adv->worker[0] != '\0' && adv->api[0] != '\0')
		return 0;
	*error = xasprintf("with several coordinators on one store, each must say where"
	                   " others reach it: %s",
	                   adv->problem[0] ? adv->problem : "its endpoints are unknown");
	return -1;
}

bool
redirect_target(const services_t *svc, redirect_socket_t kind, const char **endpoint)
{
	if (!svc->leadership.follower)
		return false;
	*endpoint = kind == REDIRECT_WORKERS ? svc->leadership.worker : svc->leadership.api;
	return true;
}

bool
redirect_answers_here(const Rota__Request *req)
{
	return req != NULL && req->body_case == ROTA__REQUEST__BODY_STATUS;
}

void
redirect_text(const services_t *svc, redirect_socket_t kind, const char *endpoint, char *buf,
              size_t len)
{
	const redirect_leader_t *l = &svc->leadership;
	if (svc->options.read_only) {
		snprintf(buf, len,
		         "unavailable: this coordinator was started --read-only (to look at a"
		         " restored backup): it answers rota status and /metrics only, runs and"
		         " changes nothing");
		return;
	}
	if (endpoint == NULL || endpoint[0] == '\0') {
		snprintf(buf, len,
		         "unavailable: this coordinator is a follower and knows no leader now"
		         " (an election is under way, the store is out of reach, or the leader"
		         " has not said where it listens); nothing was done: try another"
		         " coordinator, or again in a few seconds");
		return;
	}
	snprintf(buf, len,
	         "this coordinator is a follower; the leader is coordinator %s (epoch %llu),"
	         " which takes %s at %s: use --coordinator %s, or list every coordinator"
	         " (--coordinator EP1,EP2,...) and rota follows the leader by itself",
	         l->id[0] ? l->id : "?", (unsigned long long)l->epoch,
	         kind == REDIRECT_WORKERS ? "workers" : "operators", endpoint, endpoint);
}

int
redirect_send(const services_t *svc, redirect_socket_t kind, void *sock, const uint8_t *identity,
              size_t identity_len, uint64_t request_id)
{
	const char *endpoint = "";
	if (!redirect_target(svc, kind, &endpoint))
		endpoint = "";
	char text[768];
	redirect_text(svc, kind, endpoint, text, sizeof(text));
	Rota__Redirect redirect = ROTA__REDIRECT__INIT;
	redirect.endpoint = (char *)endpoint;
	redirect.epoch = svc->leadership.epoch;
	redirect.leader_id = (char *)svc->leadership.id;
	Rota__Error err = ROTA__ERROR__INIT;
	/* No leader to send anyone to (an election, or the store out of
	 * reach): the request is refused as unavailable, nothing done. The
	 * empty Redirect still tells a client with a list to try another. */
	err.code = endpoint[0] == '\0' ? ROTA__ERROR_CODE__ERR_UNAVAILABLE
	                               : ROTA__ERROR_CODE__ERR_REDIRECT;
	err.message = text;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = request_id;
	resp.error = &err;
	resp.redirect = &redirect;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	if (wire_send(sock, identity, identity_len, &env) != 0)
		return -1;
	return 0;
}

int
redirect_send_here(const services_t *svc, const char *id, void *sock, const uint8_t *identity,
                   size_t identity_len)
{
	char text[512];
	snprintf(text, sizeof(text),
	         "coordinator %s leads (epoch %llu): say Hello on this endpoint", id,
	         (unsigned long long)svc->epoch);
	Rota__Redirect redirect = ROTA__REDIRECT__INIT;
	redirect.endpoint = (char *)svc->advertised.worker;
	redirect.epoch = svc->epoch;
	redirect.leader_id = (char *)id;
	redirect.leads_here = true;
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_REDIRECT;
	err.message = text;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.error = &err;
	resp.redirect = &redirect;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	return wire_send(sock, identity, identity_len, &env) != 0 ? -1 : 0;
}
