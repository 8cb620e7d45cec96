/* webapi_session: signing in to the console. `rota web login` asks the
 * operator API for a one-time link (webapi_login_issue, from api_web.c);
 * GET /v1/login?token=SECRET spends it (deleted in the same turn: single
 * use) and opens a session: a cookie (HttpOnly, SameSite=Strict, Secure
 * over HTTPS) whose secret is kept only as a hash in the store
 * (store_web.h), with the operator, role and key it stands for and its
 * CSRF token. A session ends at its expiry, at `rota web logout`, or when
 * its operator's key is no longer the one it was made with. */
#include "webapi_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "redirect.h"
#include "json.h"
#include "log.h"
#include "xalloc.h"

void
webapi_secret(char *out, size_t bytes)
{
	unsigned char raw[32];
	if (bytes > sizeof(raw))
		bytes = sizeof(raw);
	if (getrandom(raw, bytes, 0) != (ssize_t)bytes)
		log_fatal("webapi: getrandom failed: no secret can be made");
	sodium_bin2hex(out, 2 * bytes + 1, raw, bytes);
	sodium_memzero(raw, sizeof(raw));
}

/* A copy of the store opens no session: it holds hashes only. */
void
webapi_hash(const char *secret, char *out, size_t len)
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, strlen(secret), NULL, 0);
	sodium_bin2hex(out, len, h, sizeof(h));
}

const char *
webapi_base(webapi_t *w, char **error)
{
	/* Where others are told to reach it (--advertise-http), else where it
	 * is bound; a wildcard address says nothing. */
	const char *base = w->cfg.svc->advertised.http;
	if (strncmp(base, "http://", 7) == 0)
		base += 7;
	if (base[0] == '\0')
		base = w->cfg.base != NULL ? w->cfg.base : "";
	if (base[0] == '\0' || strncmp(base, "0.0.0.0:", 8) == 0 ||
	    strncmp(base, "[::]:", 5) == 0) {
		*error = xstrdup("the coordinator cannot say where browsers reach it (HTTP bound"
		                 " to a wildcard address): start it with --advertise-http"
		                 " http://HOST:PORT");
		return NULL;
	}
	return base;
}

int
webapi_login_issue(webapi_t *w, const char *operator, int role, const char *key, int64_t now,
                   char **url, int64_t *expires, char **error)
{
	const char *base = webapi_base(w, error);
	if (base == NULL)
		return -1;
	char secret[65];
	webapi_secret(secret, 32);
	store_web_session_t row = {
	    .role = role, .created_ms = now, .expires_ms = now + WEBAPI_LOGIN_TTL_MS};
	webapi_hash(secret, row.id, sizeof(row.id));
	snprintf(row.kind, sizeof(row.kind), "login");
	snprintf(row.operator, sizeof(row.operator), "%s", operator);
	snprintf(row.key, sizeof(row.key), "%s", key);
	webapi_secret(row.csrf, 32);
	if (store_web_add(w->cfg.svc->store, &row) != 0) {
		*error = xstrdup("the store could not keep the link (see the coordinator's log)");
		sodium_memzero(secret, sizeof(secret));
		return -1;
	}
	*url = xasprintf("%s://%s/v1/login?token=%s", w->cfg.tls ? "https" : "http", base, secret);
	*expires = row.expires_ms;
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

/* The caller a session row stands for, checked against the keyring now:
 * false when its operator's key is no longer the one it was made with.
 * The role is the lower of the row's and today's. */
static bool
webapi_caller_of(webapi_t *w, const store_web_session_t *row, webapi_caller_t *out)
{
	memset(out, 0, sizeof(*out));
	int role = row->role;
	if (security_curve(w->cfg.svc->security)) {
		const keyring_entry_t *e =
		    keyring_operator_by_name(security_keyring(w->cfg.svc->security), row->operator);
		char fp[KEYS_FINGERPRINT_CHARS + 1];
		const char *now_key = security_operator_fingerprint(w->cfg.svc->security,
		                                                    row->operator, fp, sizeof(fp));
		if (e == NULL || now_key == NULL || strcmp(now_key, row->key) != 0)
			return false;
		if ((int)e->role < role)
			role = (int)e->role;
	}
	snprintf(out->name, sizeof(out->name), "%s", row->operator);
	out->role = role;
	snprintf(out->key, sizeof(out->key), "%s", row->key);
	snprintf(out->csrf, sizeof(out->csrf), "%s", row->csrf);
	out->expires_ms = row->expires_ms;
	out->session = true;
	return true;
}

bool
webapi_session_find(webapi_call_t *call)
{
	const char *cookie = httpd_request_cookie(call->req, WEBAPI_COOKIE);
	if (cookie == NULL || strlen(cookie) != 64)
		return false;
	char id[129];
	webapi_hash(cookie, id, sizeof(id));
	store_web_session_t row;
	int rc = store_web_get(call->w->cfg.svc->store, id, "session", clock_wall_ms(), &row);
	/* A read: close its transaction (nothing to commit). */
	call->w->cfg.commit(call->w->cfg.ctx);
	return rc == 0 && webapi_caller_of(call->w, &row, &call->caller);
}

/* GET /v1/login?token=SECRET: spends the link, opens a session, sets its
 * cookie and sends the browser to the console. */
void
webapi_login(webapi_call_t *call)
{
	webapi_t *w = call->w;
	const char *token = httpd_request_arg(call->req, "token");
	if (token == NULL || strlen(token) != 64) {
		webapi_bad_param(call, "token",
		                 "missing or malformed: open the whole link that"
		                 " 'rota web login' printed");
		return;
	}
	const char *why = w->cfg.write_refusal(w->cfg.ctx);
	if (why != NULL) {
		webapi_error(call, 503, "unavailable", "%s", why);
		return;
	}
	char id[129];
	webapi_hash(token, id, sizeof(id));
	int64_t now = clock_wall_ms();
	store_web_session_t link;
	int rc = store_web_get(w->cfg.svc->store, id, "login", now, &link);
	if (rc != 0) {
		w->cfg.commit(w->cfg.ctx);
		webapi_error(call, rc < 0 ? 503 : 403, rc < 0 ? "unavailable" : "login_used",
		             rc < 0 ? "the store could not be read; try again"
		                    : "this sign-in link was used already or has expired; run"
		                      " 'rota web login' for a new one");
		return;
	}
	char secret[65];
	webapi_secret(secret, 32);
	store_web_session_t sess = link;
	webapi_hash(secret, sess.id, sizeof(sess.id));
	snprintf(sess.kind, sizeof(sess.kind), "session");
	sess.created_ms = now;
	sess.expires_ms = now + WEBAPI_SESSION_TTL_MS;
	/* Spent and replaced in one turn: a link opens one session. */
	if (store_web_delete(w->cfg.svc->store, id) != 0 ||
	    store_web_add(w->cfg.svc->store, &sess) != 0 || w->cfg.commit(w->cfg.ctx) != 0) {
		sodium_memzero(secret, sizeof(secret));
		webapi_error(call, 503, "unavailable",
		             "the session could not be recorded; nothing was done; try the link"
		             " again");
		return;
	}
	log_info("web: %s signed in to the console from %s", link.operator[0] ? link.operator
	                                                                        : "anonymous",
	         call->req->peer);
	call->out->set_cookie =
	    xasprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", WEBAPI_COOKIE,
	              secret, WEBAPI_SESSION_TTL_MS / 1000, w->cfg.tls ? "; Secure" : "");
	sodium_memzero(secret, sizeof(secret));
	call->out->location = xstrdup("/");
	call->out->status = 303;
	call->out->type = "text/plain; charset=utf-8";
	call->out->body = xstrdup("signed in; on to /\n");
}

/* GET /v1/session: who the console is signed in as, and the CSRF token
 * every POST must carry. */
void
webapi_session(webapi_call_t *call)
{
	json_t *j = json_new_object();
	json_member_text(j, "operator", call->caller.name);
	json_member_string(j, "role", keyring_role_name((keyring_role_t)call->caller.role));
	json_member_bool(j, "session", call->caller.session);
	json_member_time(j, "expires_ms", call->caller.expires_ms);
	json_member_string(j, "csrf_token", call->caller.csrf);
	json_object_end(j);
	webapi_reply_json(call, 200, &j);
}
