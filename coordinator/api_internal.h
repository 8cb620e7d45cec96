/* api_internal: what the operator API's files share (api.c and
 * api_runs.c, api_fleet.c, api_library.c, api_incidents.c); not for use
 * outside them.
 *
 * One request is one row of the table in api.c (api_route_t): its body
 * case, its name, the role it needs, whether it writes, what its audit row
 * names as its target, and its handler. api_handle checks the role and
 * "stopping" from the row, calls the handler, and writes the audit row;
 * a handler only answers (api_reply) or refuses (api_refuse), and may set
 * a note for the audit row (api_note).
 *
 * Must never: answer a request from a handler without going through
 * api_reply / api_refuse (the size limit and the audit outcome live
 * there). */
#ifndef ROTA_API_INTERNAL_H
#define ROTA_API_INTERNAL_H

#include "api.h"
#include "runbook.h"
#include "services.h"

/* Answers or refuses one request whose role was checked. */
typedef void (*api_handler_fn)(api_t *api, const uint8_t *identity, size_t identity_len,
                               const Rota__Request *req);
/* What a request acts on, for its audit row (the caller frees). */
typedef char *(*api_target_fn)(const Rota__Request *req);

/* The role one request needs given its fields, when some of them ask for
 * more than its row's least role (a freeze); *why (static text, "" when
 * nothing more) is said in the refusal, after "needs the ROLE role". */
typedef keyring_role_t (*api_role_fn)(const Rota__Request *req, const char **why);

/* One row of the operator API: everything about one request. */
typedef struct {
	Rota__Request__BodyCase body;
	const char *name;      /* as the operator types it, after "rota " */
	keyring_role_t need;   /* the least role that may ask */
	bool writes;           /* changes state: refused while stopping, audited */
	api_target_fn target;  /* NULL: the audit row names no target ("") */
	api_handler_fn handle; /* never NULL */
} api_route_t;

/* The row for a request's body case, or NULL when no row has it (the
 * request is then refused as unknown). */
const api_route_t *api_route_find(Rota__Request__BodyCase body);
/* The table itself, for tests that walk it. */
size_t api_route_count(void);
const api_route_t *api_route_at(size_t i);
/* The role req needs: its row's, raised by the request's fields where the
 * table of such rules (api_role_rules in api.c) has a row for it; *why as
 * api_role_fn's ("" at the row's role). */
keyring_role_t api_route_role(const api_route_t *route, const Rota__Request *req, const char **why);

/* ---- shared by the handlers (api.c) ------------------------------------ */

/* "a" or "an" before word. */
const char *api_article(const char *word);
/* The caller as the audit trail and messages name it. */
const char *api_actor(const api_t *api);
/* Who acts, for what the request records: the key's operator under CURVE,
 * else claimed (the CLI's login name), else "an operator". */
const char *api_operator(const api_t *api, const char *claimed);
/* Replaces the note for the request's audit row (takes note; NULL clears). */
void api_note(api_t *api, char *note);
/* What the request acted on, as resolved (a run id for `last`): the audit
 * row's target instead of the row's resolver (takes target; NULL clears). */
void api_target(api_t *api, char *target);
/* Queues resp for the peer; resp's fields stay the caller's. */
void api_reply(api_t *api, const uint8_t *identity, size_t identity_len, Rota__Response *resp);
/* Refuses the request with code and a message; the audit row says why. */
void api_refuse(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                Rota__ErrorCode code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Whether the caller may run rb; false after refusing the request. */
bool api_runbook_allows(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                        const runbook_t *rb, const char *path);

/* ---- maintenance windows (api_maintenance.c) --------------------------- */

void api_maintenance(api_t *api, const uint8_t *identity, size_t identity_len,
                     const Rota__Request *req);
char *api_maintenance_target(const Rota__Request *req);
/* api_role_fn of rota maintenance: start with --freeze, or all beyond 4h,
 * is the admin's (maintenance_role_needed). */
keyring_role_t api_maintenance_role(const Rota__Request *req, const char **why);
void api_maintenance_list(api_t *api, const uint8_t *identity, size_t identity_len,
                          const Rota__Request *req);
/* Fills status's window and host counts; *freeze (the caller frees after
 * the reply; may stay NULL) holds what body->freeze borrows. */
void api_maintenance_status(api_t *api, Rota__StatusResponse *body, char **freeze);
/* rota incidents --stats (api_stats.c). */
void api_incident_stats(api_t *api, const uint8_t *identity, size_t identity_len,
                        const Rota__Request *req);

/* ---- runs (api_runs.c) ------------------------------------------------- */

void api_submit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
char *api_submit_target(const Rota__Request *req);
void api_runs(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
void api_show(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
void api_logs(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
/* api_events.c: a window of the event stream, answered after the commit. */
void api_follow(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
void api_approve(api_t *api, const uint8_t *identity, size_t identity_len,
                 const Rota__Request *req);
char *api_approve_target(const Rota__Request *req);
void api_cancel(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
char *api_cancel_target(const Rota__Request *req);

/* ---- backup (api_backup.c) --------------------------------------------- */

void api_backup(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
char *api_backup_target(const Rota__Request *req);
/* ---- history and search (api_history.c) -------------------------------- */

void api_history(api_t *api, const uint8_t *identity, size_t identity_len,
                 const Rota__Request *req);
void api_search(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);

/* ---- notes (api_notes.c) ------------------------------------------------ */

void api_note_request(api_t *api, const uint8_t *identity, size_t identity_len,
                      const Rota__Request *req);
char *api_note_target(const Rota__Request *req);

/* ---- on call (api_oncall.c) --------------------------------------------- */

void api_oncall(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
void api_oncall_override(api_t *api, const uint8_t *identity, size_t identity_len,
                         const Rota__Request *req);
char *api_oncall_override_target(const Rota__Request *req);
void api_oncall_feed(api_t *api, const uint8_t *identity, size_t identity_len,
                     const Rota__Request *req);
char *api_oncall_feed_target(const Rota__Request *req);

/* ---- fleet and the coordinator (api_fleet.c) --------------------------- */

void api_workers(api_t *api, const uint8_t *identity, size_t identity_len,
                 const Rota__Request *req);
void api_remove_worker(api_t *api, const uint8_t *identity, size_t identity_len,
                       const Rota__Request *req);
char *api_remove_worker_target(const Rota__Request *req);
void api_keys(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
void api_status(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
void api_audit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);

/* ---- the runbook library (api_library.c) ------------------------------- */

void api_runbooks(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req);
/* api_runbookdoc.c: runbooks rendered as documents (runbookdoc.h). */
void api_runbook_doc(api_t *api, const uint8_t *identity, size_t identity_len,
                     const Rota__Request *req);
void api_reload(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
char *api_reload_target(const Rota__Request *req);
void api_schedules(api_t *api, const uint8_t *identity, size_t identity_len,
                   const Rota__Request *req);
/* One runbook: its summary, the text served, its schedule and the
 * escalation policy its incidents climb (the one answer every document
 * of a runbook is rendered from: runbookdoc_from_show). */
void api_runbook_show(api_t *api, const uint8_t *identity, size_t identity_len,
                      const Rota__Request *req);
/* That answer for name into *body, its summary borrowed from all
 * (api_runbooks_fill's list), next fire times listed; false when the
 * catalog has no such runbook (nor an invalid file of that name).
 * api_runbook_answer_clear frees what it made. */
bool api_runbook_answer(api_t *api, Rota__RunbookInfo *const *all, size_t n, const char *name,
                        uint32_t next, Rota__ShowRunbookResponse *body);
void api_runbook_answer_clear(Rota__ShowRunbookResponse *body);
void api_runbooks_free(Rota__RunbookInfo **list, size_t n);
/* api_runbookdoc.c: the escalation policy rb's incidents climb, as
 * config_policy picks it; new, the caller frees it
 * (rota__runbook_policy__free_unpacked). */
Rota__RunbookPolicy *api_runbookdoc_policy(const config_t *config, const runbook_t *rb);

/* ---- the store itself (api_store.c) ------------------------------------ */

void api_prune(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
char *api_prune_target(const Rota__Request *req);

/* ---- incidents (api_incidents.c) --------------------------------------- */

void api_incident_open(api_t *api, const uint8_t *identity, size_t identity_len,
                       const Rota__Request *req);
char *api_incident_open_target(const Rota__Request *req);
void api_incidents(api_t *api, const uint8_t *identity, size_t identity_len,
                   const Rota__Request *req);
void api_incident_show(api_t *api, const uint8_t *identity, size_t identity_len,
                       const Rota__Request *req);
void api_ack(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);
char *api_ack_target(const Rota__Request *req);
void api_resolve(api_t *api, const uint8_t *identity, size_t identity_len,
                 const Rota__Request *req);
char *api_resolve_target(const Rota__Request *req);

/* ---- the web console's sign-in (api_web.c) ----------------------------- */

void api_web_login(api_t *api, const uint8_t *identity, size_t identity_len,
                   const Rota__Request *req);
char *api_web_login_target(const Rota__Request *req);
void api_web_logout(api_t *api, const uint8_t *identity, size_t identity_len,
                    const Rota__Request *req);
char *api_web_logout_target(const Rota__Request *req);

#endif
