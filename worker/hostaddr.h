/* hostaddr: the addresses a worker tells the coordinator it is known by
 * (Hello.addresses), so an alert that names a host by IP ("instance":
 * "10.0.0.5:9100") finds its worker.
 *
 * Must never: report a loopback address on its own (every host has
 * 127.0.0.1, so it names none of them), or fail the worker's start: a
 * host whose interfaces cannot be read reports none and is still found by
 * its id and host name. */
#ifndef ROTA_HOSTADDR_H
#define ROTA_HOSTADDR_H

#include "strlist.h"

/* Appends to out (owned by the caller's list) the textual IPv4 and IPv6
 * addresses of this host's interfaces that are up, without loopback and
 * link-local ones, each once, at most max of them. Returns how many it
 * added; 0 when getifaddrs fails. */
size_t hostaddr_detect(strlist_t *out, size_t max);

/* Whether text is an IPv4 or IPv6 address (inet_pton). */
int hostaddr_valid(const char *text);

#endif
