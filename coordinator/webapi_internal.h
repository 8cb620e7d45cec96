/* webapi_internal: what the JSON API's files share (webapi.c and
 * webapi_*.c); not for use outside them. */
#ifndef ROTA_WEBAPI_INTERNAL_H
#define ROTA_WEBAPI_INTERNAL_H

#include "webapi.h"
#include "services.h"

/* The two JSON libraries cannot meet in one file (json-c's json_bool
 * type and the writer's json_bool function): the writer (common/json.h)
 * renders answers, json-c (in webapi_body.c only) reads request bodies. */
typedef struct json json_t;
struct json_object;

/* Path parameters a pattern may hold ("*" segments). */
#define WEBAPI_MAX_PARAMS 3

struct webapi {
	webapi_config_t cfg;
	/* The CSRF token of callers without a session (a coordinator
	 * without keys): random for each start of the process. */
	char anon_csrf[65];
};

/* Who is asking: from a session, or the keyless default. */
typedef struct {
	char name[128];     /* "" for anonymous (no keys) */
	int role;           /* keyring_role_t */
	char key[64];       /* the key's fingerprint, or "" */
	char csrf[65];      /* the token state changes must carry */
	int64_t expires_ms; /* the session's end; 0: no session */
	bool session;
} webapi_caller_t;

/* One request in the API's hands. */
typedef struct {
	webapi_t *w;
	const httpd_request_t *req;
	httpd_reply_t *out;
	const char *params[WEBAPI_MAX_PARAMS]; /* the "*" segments, in order */
	char *param_buf;                       /* owned: their storage */
	struct json_object *body;              /* owned: a POST's JSON object, or NULL */
	webapi_caller_t caller;
	bool has_caller; /* signed in (or keyless): set before the handler */
} webapi_call_t;

typedef void (*webapi_handler_fn)(webapi_call_t *call);

/* One row of the route table. */
typedef struct {
	const char *method;  /* "GET" (HEAD too) or "POST" */
	const char *pattern; /* "/v1/runs/" "*": a "*" matches one segment */
	/* The least role for routes that are not an operator request;
	 * WEBAPI_AS_API: the operator request's own row in api.c decides
	 * (and audits a refusal), so the two can never disagree. */
	int need;
	bool signed_in; /* needs a caller (a session, or keyless) */
	webapi_handler_fn handle;
} webapi_route_t;

#define WEBAPI_AS_API (-1)

/* ---- answers (webapi.c) ------------------------------------------------- */

/* Answers status with the document j (taken: destroyed here). */
void webapi_reply_json(webapi_call_t *call, unsigned status, json_t **j);
/* Answers status with {"error": {"code": code, "message": ...}}. */
void webapi_error(webapi_call_t *call, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 400 naming a query or body parameter: `param "name": ...`. */
void webapi_bad_param(webapi_call_t *call, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hands req to the operator API as the caller and returns its answer (the
 * caller frees it with rota__envelope__free_unpacked), after committing
 * the turn of a request that writes. NULL after answering an error (the
 * refusal's status and message, or 503 when it could not be committed).
 * On success, nothing is answered yet. */
Rota__Envelope *webapi_ask(webapi_call_t *call, Rota__Request *req);
/* webapi_ask's two questions asked by more than one route: `rota show`'s
 * of run_id (tail_lines of each step's output) and `rota incident show`'s
 * of id. The same ownership and errors as webapi_ask. */
Rota__Envelope *webapi_ask_run(webapi_call_t *call, const char *run_id, uint32_t tail_lines);
Rota__Envelope *webapi_ask_incident(webapi_call_t *call, const char *id);

/* A query argument as a number in [min, max]; *out = dflt when absent.
 * false after answering 400. */
bool webapi_arg_uint(webapi_call_t *call, const char *name, uint64_t min, uint64_t max,
                     uint64_t dflt, uint64_t *out);
/* Whether given equals want (a secret), in time that does not depend on
 * where they differ; false for NULL or an empty want. */
bool webapi_same(const char *given, const char *want);

/* ---- secrets and links (webapi_session.c) -------------------------------- */

/* Random bytes (at most 32, from getrandom) as hex into out (2 * bytes +
 * 1 chars). */
void webapi_secret(char *out, size_t bytes);
/* The store's id of a secret: its BLAKE2b-256 hash, hex into out (len
 * bytes, 65 at least). */
void webapi_hash(const char *secret, char *out, size_t len);
/* "HOST:PORT" where browsers reach this endpoint (borrowed), or NULL with
 * *error (caller frees) when it cannot be said. */
const char *webapi_base(webapi_t *w, char **error);
/* Sets call->caller (a session, or the keyless default); false after
 * answering 401 (webapi.c). */
bool webapi_identify(webapi_call_t *call);

/* ---- request bodies (webapi_body.c) ------------------------------------- */

/* Reads the request's body into call->body: an empty body is an empty
 * object. false after answering 400 (not a JSON object; where it broke). */
bool webapi_body_parse(webapi_call_t *call);
/* Frees call->body. */
void webapi_body_free(webapi_call_t *call);
/* A string member of the body; NULL when absent. When it is there but not
 * a string, NULL after answering 400 with *bad set. */
const char *webapi_body_string(webapi_call_t *call, const char *name, bool *bad);
/* A boolean member into *out (false when absent); false after answering
 * 400 when it is there but not a boolean. */
bool webapi_body_bool(webapi_call_t *call, const char *name, bool *out);
/* A member that is a string or an array of strings, as a new NULL-ended
 * array the caller frees (strings borrowed from the body); NULL with *n 0
 * when absent, or after answering 400 with *bad set. */
const char **webapi_body_strings(webapi_call_t *call, const char *name, size_t *n, bool *bad);
/* A member that is an object of string (or number, or boolean) values: its
 * keys and values in new arrays the caller frees; NULL when absent, or
 * after answering 400 with *bad set. */
size_t webapi_body_pairs(webapi_call_t *call, const char *name, const char ***keys, char ***values,
                         bool *bad);

/* ---- the handlers ------------------------------------------------------- */

/* webapi_reads.c */
void webapi_runs(webapi_call_t *call);
void webapi_run(webapi_call_t *call);
void webapi_incidents(webapi_call_t *call);
void webapi_incident(webapi_call_t *call);
void webapi_workers(webapi_call_t *call);
void webapi_runbooks(webapi_call_t *call);
void webapi_runbook(webapi_call_t *call);
void webapi_schedules(webapi_call_t *call);
void webapi_audit(webapi_call_t *call);
void webapi_oncall(webapi_call_t *call);
void webapi_maintenance_list(webapi_call_t *call);

/* webapi_feed.c */
void webapi_oncall_ics(webapi_call_t *call);
/* GET /v1/incidents/INC-7/review: the post-incident review, Markdown
 * (webapi_review.c). */
void webapi_review(webapi_call_t *call);

/* webapi_actions.c */
void webapi_submit(webapi_call_t *call);
void webapi_cancel(webapi_call_t *call);
void webapi_approve(webapi_call_t *call);
void webapi_reject(webapi_call_t *call);
void webapi_ack(webapi_call_t *call);
void webapi_resolve(webapi_call_t *call);
void webapi_note(webapi_call_t *call);
void webapi_maintenance_start(webapi_call_t *call);
void webapi_maintenance_end(webapi_call_t *call);

/* webapi_session.c */
/* Sets call->caller from the request's session cookie; false when there
 * is none, or it has ended. */
bool webapi_session_find(webapi_call_t *call);
void webapi_session(webapi_call_t *call);
void webapi_login(webapi_call_t *call);

#endif
