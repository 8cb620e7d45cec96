/* audit: the audit table and the limit on authentication-failure rows
 * (audit.h). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static const char *const audit_endpoints[AUDIT_EP_COUNT] = {"workers", "operators"};
static const char *const audit_reasons[AUDIT_AUTH_COUNT] = {"unlisted_key", "malformed",
                                                            "unknown_domain", "key_removed"};

const char *
audit_endpoint_name(audit_endpoint_t ep)
{
	return (unsigned)ep < AUDIT_EP_COUNT ? audit_endpoints[ep] : "?";
}

const char *
audit_reason_name(audit_reason_t r)
{
	return (unsigned)r < AUDIT_AUTH_COUNT ? audit_reasons[r] : "?";
}

int
audit_record(store_t *s, const audit_entry_t *e)
{
	if (store_begin(s) != 0)
		return -1;
	/* Peers choose some of these strings: a detail is cut, never stored
	 * whole past AUDIT_TEXT_MAX. */
	return store_audit_insert(s, e, AUDIT_TEXT_MAX);
}

int
audit_list(store_t *s, int64_t since_ms, uint32_t limit, Rota__AuditResponse *out)
{
	rota__audit_response__init(out);
	if (limit == 0)
		limit = AUDIT_DEFAULT_LIST;
	if (limit > AUDIT_MAX_LIST)
		limit = AUDIT_MAX_LIST;
	if (store_audit_list(s, since_ms, limit, out) != 0)
		return -1;
	/* Oldest first, as a log reads. */
	for (size_t i = 0, j = out->n_entries; i + 1 < j; i++, j--) {
		Rota__AuditEntry *t = out->entries[i];
		out->entries[i] = out->entries[j - 1];
		out->entries[j - 1] = t;
	}
	return 0;
}

/* ---- authentication failures ------------------------------------------- */

typedef struct {
	char peer[64];    /* "" = free */
	int64_t last_row; /* mono ms of this address's last row */
	int64_t used;     /* mono ms of its last failure, for reuse of the oldest */
	/* Failures since the last row, and what the latest of them was. */
	uint32_t pending;
	audit_endpoint_t ep;
	audit_reason_t reason;
	char key[16];
	char why[256];
} audit_slot_t;

struct audit {
	store_t *store; /* borrowed */
	uint64_t counts[AUDIT_EP_COUNT][AUDIT_AUTH_COUNT];
	audit_slot_t slots[AUDIT_AUTH_SLOTS];
	uint64_t rows_failed; /* rows the store would not take */
	/* The store cannot be written (audit_tick says): rows wait in their
	 * slots rather than fail the turn again. */
	bool hold;
};

audit_t *
audit_new(store_t *store)
{
	audit_t *a = xcalloc(1, sizeof(*a));
	a->store = store;
	return a;
}

void
audit_destroy(audit_t **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	if ((*ap)->rows_failed > 0)
		log_warn("audit: %llu authentication-failure row(s) could not be written",
		         (unsigned long long)(*ap)->rows_failed);
	free(*ap);
	*ap = NULL;
}

uint64_t
audit_auth_count(const audit_t *a, audit_endpoint_t ep, audit_reason_t reason)
{
	if ((unsigned)ep >= AUDIT_EP_COUNT || (unsigned)reason >= AUDIT_AUTH_COUNT)
		return 0;
	return a->counts[ep][reason];
}

/* Writes the row of a slot's pending failures and clears them. */
static void
audit_flush_slot(audit_t *a, audit_slot_t *sl, int64_t mono_ms, int64_t wall_ms)
{
	if (sl->pending == 0)
		return;
	char detail[AUDIT_TEXT_MAX];
	snprintf(detail, sizeof(detail), "%s (%s%s)", sl->why, audit_reason_name(sl->reason),
	         sl->pending > 1 ? "; the latest of several within a second" : "");
	audit_entry_t e = {
	    .at_ms = wall_ms,
	    .actor = "",
	    .role = "",
	    .action = "auth",
	    .target = audit_endpoint_name(sl->ep),
	    .outcome = AUDIT_REFUSED,
	    .detail = detail,
	    .peer = sl->peer,
	    .key = sl->key,
	    .count = sl->pending,
	};
	if (audit_record(a->store, &e) != 0)
		a->rows_failed++;
	sl->pending = 0;
	sl->last_row = mono_ms;
}

void
audit_auth_failure(audit_t *a, int64_t mono_ms, int64_t wall_ms, audit_endpoint_t ep,
                   audit_reason_t reason, const char *peer, const char *key, const char *why)
{
	if ((unsigned)ep < AUDIT_EP_COUNT && (unsigned)reason < AUDIT_AUTH_COUNT)
		a->counts[ep][reason]++;
	char addr[sizeof(a->slots[0].peer)];
	snprintf(addr, sizeof(addr), "%s", peer && peer[0] ? peer : "?");
	/* Linear over a fixed table, like log_limit: a failure costs a ZAP
	 * round trip already, and the table cannot grow. */
	audit_slot_t *sl = NULL, *oldest = &a->slots[0];
	for (size_t i = 0; i < AUDIT_AUTH_SLOTS && sl == NULL; i++) {
		if (strcmp(a->slots[i].peer, addr) == 0)
			sl = &a->slots[i];
		else if (a->slots[i].used < oldest->used)
			oldest = &a->slots[i];
	}
	bool fresh = sl == NULL;
	if (fresh) {
		/* The address that failed longest ago makes room, its held-back
		 * failures written first so none goes unrecorded. */
		sl = oldest;
		if (!a->hold)
			audit_flush_slot(a, sl, mono_ms, wall_ms);
		memset(sl, 0, sizeof(*sl));
		snprintf(sl->peer, sizeof(sl->peer), "%s", addr);
	}
	sl->used = mono_ms;
	sl->pending++;
	sl->ep = ep;
	sl->reason = reason;
	snprintf(sl->key, sizeof(sl->key), "%s", key ? key : "");
	snprintf(sl->why, sizeof(sl->why), "%s", why ? why : "");
	if (!a->hold && (fresh || mono_ms - sl->last_row >= AUDIT_AUTH_INTERVAL_MS))
		audit_flush_slot(a, sl, mono_ms, wall_ms);
}

void
audit_tick(audit_t *a, int64_t mono_ms, int64_t wall_ms, bool writable)
{
	a->hold = !writable;
	if (!writable)
		return;
	for (size_t i = 0; i < AUDIT_AUTH_SLOTS; i++) {
		audit_slot_t *sl = &a->slots[i];
		if (sl->pending > 0 && mono_ms - sl->last_row >= AUDIT_AUTH_INTERVAL_MS)
			audit_flush_slot(a, sl, mono_ms, wall_ms);
	}
}
