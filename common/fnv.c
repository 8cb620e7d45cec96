/* fnv: FNV-1a (fnv.h). */
#include "fnv.h"

#define FNV_PRIME 1099511628211ULL

uint64_t
fnv_add(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * FNV_PRIME;
	return h;
}

uint64_t
fnv_add_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}
