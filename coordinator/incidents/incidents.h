/* The incidents room's public header: what the rest of the coordinator may
 * use of incidents, escalation, the outbox, channels and alert intake.
 * Modules in other rooms include this header, never one of the room's own. */
#ifndef ROTA_INCIDENTS_H
#define ROTA_INCIDENTS_H

#include "alert.h"
#include "channel.h"
#include "incident.h"
#include "outbox.h"
#include "responder.h"

#endif
