/* hostaddr: this host's interface addresses (see hostaddr.h). */
#include "hostaddr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "xalloc.h"

/* Loopback and link-local addresses are shared by every host (or by
 * every host on a link): they would make an alert match the wrong one. */
static int
hostaddr_shared(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return (a >> 24) == 127 || (a >> 16) == 0xA9FE; /* 127/8, 169.254/16 */
	}
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_LINKLOCAL(a6);
}

size_t
hostaddr_detect(strlist_t *out, size_t max)
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) != 0)
		return 0;
	size_t added = 0;
	for (struct ifaddrs *i = ifs; i != NULL && added < max; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;
		if (sa == NULL || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
			continue;
		if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ||
		    hostaddr_shared(sa))
			continue;
		char text[INET6_ADDRSTRLEN];
		const void *src = sa->sa_family == AF_INET
		                      ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
		                      : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (inet_ntop(sa->sa_family, src, text, sizeof(text)) == NULL ||
		    strlist_has(out, text))
			continue;
		strlist_add(out, xstrdup(text));
		added++;
	}
	freeifaddrs(ifs);
	return added;
}

int
hostaddr_valid(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}
