/* oncall: who is on call, for escalation and for operators: the
 * configuration's rotations (config.h, rotation.h) with the overrides
 * operators set (rota oncall override, kept in the store so they outlive
 * a restart), the answers of `rota oncall` and `rota oncall override`, and
 * a rotation's shifts as an iCalendar file (GET /v1/oncall/NAME.ics).
 *
 * Must never: name someone on call who is not under people:, or keep an
 * override the store does not have. */
#ifndef ROTA_ONCALL_H
#define ROTA_ONCALL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rota.pb-c.h"
#include "rotation.h"
#include "strlist.h"
#include "store/store.h"

/* The longest override: a quarter (a longer absence is a change of the
 * rotation's people, in the configuration). */
#define ONCALL_OVERRIDE_MAX_MS (92LL * 24 * 3600 * 1000)
/* The latest instant a caller may name (9999-12-31T23:59:59.999Z): the
 * shift and zone arithmetic on instants stays far from overflowing. */
#define ONCALL_TIME_MAX_MS 253402300799999LL
/* Weeks of shifts an .ics holds by default, and at most. */
#define ONCALL_ICS_WEEKS 8
#define ONCALL_ICS_WEEKS_MAX 52
/* Shifts one answer holds at most (a 1h rotation over 52 weeks would
 * be 8,736). */
#define ONCALL_SHIFTS_MAX 2000

typedef struct oncall oncall_t;

/* store and config are borrowed and must outlive it. */
oncall_t *oncall_new(store_t *store, const config_t *config);
void oncall_destroy(oncall_t **op);

/* Who is on call on rot at at_ms, the stored overrides included; NULL
 * for nobody. Borrowed until the next call. o may be NULL: the
 * configuration's overrides only. */
const char *oncall_who(oncall_t *o, const rotation_t *rot, int64_t at_ms);

/* The channels that names (channel names, and oncall:ROTATION for the
 * contacts of whoever is on call at at_ms) stand for, added to *channels
 * once each; *said (caller frees) names them for a timeline:
 * "oncall:primary (alice), lead", or "oncall:primary (nobody on call)".
 * o may be NULL (the configuration's overrides only). */
void oncall_targets(oncall_t *o, const config_t *c, char *const *names, size_t n, int64_t at_ms,
                    strlist_t *channels, char **said);

/* rota oncall: every rotation (rotation NULL or "") or one, at at_ms, with
 * weeks of shifts from there. 0 with *out filled (free with
 * oncall_answer_clear), or -1 with *code and *error (caller frees). */
int oncall_answer(oncall_t *o, const char *rotation, int64_t at_ms, uint32_t weeks,
                  Rota__OncallResponse *out, int *code, char **error);
void oncall_answer_clear(Rota__OncallResponse *out);

/* rota oncall override: checks and records ov on rotation in the open
 * turn. 0 with *replaces (caller frees: who was on call at ov->from_ms,
 * "" nobody), or -1 with *code and *error (caller frees). */
int oncall_override(oncall_t *o, const char *rotation, const rotation_override_t *ov,
                    int64_t now_ms, char **replaces, int *code, char **error);

/* rot's shifts as an iCalendar document (RFC 5545: CRLF lines, folded at
 * 75 octets), one VEVENT each, stamped now_ms. Caller frees. */
char *oncall_ics(const Rota__OncallRotation *rot, int64_t now_ms);

#endif
