/* fuzz_alert: any bytes as the body of POST /v1/alerts/alertmanager.
 *
 * The intake is the one parser of rota that anyone who can reach the HTTP
 * port feeds. alert.h promises: a payload is parsed whole or refused with
 * an error naming what and where, and the parsed result holds only what it
 * owns. Every alert of an accepted payload is also asked the questions the
 * responder asks (its host, severity, a trigger match), so those run on
 * whatever the parser lets through.
 *
 * Must never: crash, leak, or accept a payload without its error being
 * NULL (or refuse one without an error). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alert_payload_t p;
	char *error = NULL;
	int rc = alert_payload_parse((const char *)data, size, &p, &error);
	if ((rc == 0) != (error == NULL))
		abort();
	if (rc != 0) {
		if (error[0] == '\0')
			abort();
		free(error);
		alert_payload_free(&p);
		return 0;
	}
	runbook_kv_t pair = {.key = (char *)"alertname", .value = (char *)"ServiceDown"};
	runbook_trigger_t t = {.source = (char *)"alertmanager", .match = &pair, .match_count = 1};
	for (size_t i = 0; i < p.alert_count; i++) {
		const alert_t *a = &p.alerts[i];
		const char *host = alert_host(a);
		if (host != NULL && host[0] == '\0')
			abort(); /* "no host" is NULL, never an empty name */
		int sev = alert_severity(a);
		if (sev < 0 || sev > 4)
			abort();
		(void)alert_matches(&t, a);
	}
	alert_payload_free(&p);
	return 0;
}
