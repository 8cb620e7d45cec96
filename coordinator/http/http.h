/* The http room's public header: the embedded HTTP server and the metrics
 * it serves. Modules in other rooms include this header, never one of the
 * room's own. */
#ifndef ROTA_HTTP_H
#define ROTA_HTTP_H

#include "httpd.h"
#include "metrics.h"

#endif
