/* api_notes: rota note INC-7|RUN TEXT [--kind K]: what an operator writes
 * on an incident's timeline or on a run, with their name and the time, so
 * that a post-incident review can be read from the record.
 *
 * A note is allowed on a resolved incident and an ended run: what was done
 * and why it happened are often written after. Must never: accept a kind
 * outside notekind.h's list, or record a note the audit trail misses (the
 * route writes). */
#include "api_internal.h"

#include <stdlib.h>
#include <strings.h>

#include "clock.h"
#include "incidents/incidents.h"
#include "notekind.h"
#include "xalloc.h"

/* "INC-7", "inc-7": an incident; anything else names a run. */
static bool
api_note_names_incident(const char *target)
{
	return strncasecmp(target, "INC-", 4) == 0;
}

/* The note on incident text: 0 with *id (caller frees), or -1 after
 * refusing. */
static int
api_note_incident(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t request_id,
                  const char *text, const store_note_t *n, char **id)
{
	char *error = NULL;
	int code = ROTA__ERROR_CODE__ERR_NOT_FOUND;
	if (incidents_resolve_id(api->svc->incidents, text, id, &error) != 0 ||
	    incidents_write_note(api->svc->incidents, *id, n->kind, n->author, n->text, n->at_ms,
	                         &code, &error) != 0) {
		api_refuse(api, identity, identity_len, request_id, (Rota__ErrorCode)code, "%s",
		           error);
		free(error);
		free(*id);
		*id = NULL;
		return -1;
	}
	return 0;
}

/* The note on run text: 0 with *id (caller frees), or -1 after refusing. */
static int
api_note_run(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t request_id,
             const char *text, const store_note_t *n, char **id)
{
	char *error = NULL;
	if (store_run_resolve(api->svc->store, text, id, &error) != 0) {
		api_refuse(api, identity, identity_len, request_id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "%s (a note goes on an incident, INC-7, or a run)", error);
		free(error);
		return -1;
	}
	if (store_note_run_add(api->svc->store, *id, n) != 0) {
		api_refuse(api, identity, identity_len, request_id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not record the note on run %s", *id);
		free(*id);
		*id = NULL;
		return -1;
	}
	return 0;
}

void
api_note_request(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__NoteRequest *nr = req->note;
	const char *kind = nr->kind && nr->kind[0] ? nr->kind : NOTEKIND_DEFAULT;
	if (nr->target == NULL || nr->target[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "a note names an incident (INC-7) or a run");
		return;
	}
	if (nr->text == NULL || nr->text[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "a note needs a text, as in rota note %s 'restarted app on api-1'",
		           nr->target);
		return;
	}
	if (!notekind_valid(kind)) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "a note's kind must be %s, not '%s'", notekind_choices(), kind);
		return;
	}
	Rota__IncidentEvent ev = ROTA__INCIDENT_EVENT__INIT;
	store_note_t n = {
	    .at_ms = clock_wall_ms(),
	    .kind = kind,
	    .author = api_operator(api, nr->by),
	    .text = nr->text,
	};
	char *id = NULL;
	bool on_incident = api_note_names_incident(nr->target);
	int rc = on_incident
	             ? api_note_incident(api, identity, identity_len, req->id, nr->target, &n, &id)
	             : api_note_run(api, identity, identity_len, req->id, nr->target, &n, &id);
	if (rc != 0)
		return;
	api_target(api, xstrdup(id));
	api_note(api, xasprintf("(%s) %s", kind, nr->text));
	ev.at_ms = n.at_ms;
	ev.kind = (char *)"note";
	ev.text = (char *)n.text;
	ev.by = (char *)n.author;
	ev.note_kind = (char *)kind;
	Rota__NoteResponse body = ROTA__NOTE_RESPONSE__INIT;
	body.incident_id = on_incident ? id : (char *)"";
	body.run_id = on_incident ? (char *)"" : id;
	body.note = &ev;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_NOTE;
	resp.note = &body;
	api_reply(api, identity, identity_len, &resp);
	free(id);
}

char *
api_note_target(const Rota__Request *req)
{
	return xstrdup(req->note->target ? req->note->target : "");
}
