/* answer: what the CLI knows of a Response's body without a list of its
 * own. Both are read from the protocol's description of Response (the
 * generated descriptor), so a request added to rota.proto needs nothing
 * here. */
#ifndef ROTA_CLI_ANSWER_H
#define ROTA_CLI_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "rota.pb-c.h"

/* The body's name for a message, the field's name with spaces
 * ("runbook show"); "empty" for none, "unknown (N)" for a body this build
 * does not know (a newer coordinator). */
void answer_name(Rota__Response__BodyCase body, char *buf, size_t len);

/* Whether the body that body_case names is set: protobuf-c sets it
 * whenever body_case names it, but a peer's encoder is not trusted. */
bool answer_present(const Rota__Response *resp);

#endif
