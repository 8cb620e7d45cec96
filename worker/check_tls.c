/* check_tls: tls_check, a TLS server's certificate (see check.h): the
 * chain verified against the system's CAs or the step's ca_file, the name
 * it must be valid for, and the days before it expires.
 *
 * libcurl does the handshake and the verification (the same code the
 * http_check trusts); the check stops after the handshake, so a server
 * that speaks TLS but not HTTP can be checked too.
 *
 * Must never: send anything after the handshake, or pass a certificate
 * that failed verification. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check_internal.h"
#include "clock.h"
#include "xalloc.h"

/* "Dec  6 12:00:00 2027 GMT" (OpenSSL's notAfter as curl gives it) to
 * seconds since the epoch; -1 if it is not that. */
int64_t
check_tls_time_parse(const char *text)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = text != NULL ? strptime(text, "%b %d %H:%M:%S %Y", &tm) : NULL;
	if (end == NULL)
		return -1;
	while (*end == ' ')
		end++;
	if (strcmp(end, "GMT") != 0 && *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* The value of "key:" in the first certificate's list, or NULL. */
static const char *
check_tls_info(const struct curl_certinfo *ci, const char *key)
{
	if (ci == NULL || ci->num_of_certs < 1)
		return NULL;
	size_t len = strlen(key);
	for (const struct curl_slist *s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncasecmp(s->data, key, len) == 0 && s->data[len] == ':')
			return s->data + len + 1;
	return NULL;
}

/* host and port of an https URL into the buffers; -1 if it is not one. */
static int
check_tls_url(const char *url, char *host, size_t hlen, long *port)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *p = NULL; /* owned by curl */
	int rc = -1;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    strcasecmp(scheme, "https") == 0 &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		snprintf(host, hlen, "%s", h);
		*port = strtol(p, NULL, 10);
		rc = 0;
	}
	curl_free(scheme);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

check_verdict_t
check_tls(const Rota__TlsCheckSpec *spec, uint32_t timeout_ms, int fd)
{
	char shown[CHECK_SHOW_MAX], host[256];
	long port = 0;
	if (spec == NULL ||
	    check_tls_url(check_str_or_empty(spec->url), host, sizeof(host), &port) != 0) {
		check_say(fd, "tls_check: give an https://HOST[:PORT] URL\n");
		return CHECK_ERROR;
	}
	check_show(spec->url, shown, sizeof(shown));
	const char *name = check_str_or_empty(spec->server_name)[0] ? spec->server_name : host;
	/* The name to verify is the URL's host to curl; CONNECT_TO sends the
	 * connection to the real one. */
	char *url = xasprintf("https://%s:%ld/", name, port);          /* owned */
	char *to = xasprintf("%s:%ld:%s:%ld", name, port, host, port); /* owned */
	struct curl_slist *connect_to = curl_slist_append(NULL, to);   /* owned */
	CURL *c = curl_easy_init();
	char err[CURL_ERROR_SIZE] = "";
	CURLcode rc = c != NULL && connect_to != NULL ? CURLE_OK : CURLE_OUT_OF_MEMORY;
#define TLS_SET(opt, val)                                                                          \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	TLS_SET(CURLOPT_URL, url);
	TLS_SET(CURLOPT_CONNECT_TO, connect_to);
	TLS_SET(CURLOPT_CONNECT_ONLY, 1L);
	TLS_SET(CURLOPT_CERTINFO, 1L);
	TLS_SET(CURLOPT_SSL_VERIFYPEER, 1L);
	TLS_SET(CURLOPT_SSL_VERIFYHOST, 2L);
	TLS_SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	TLS_SET(CURLOPT_NOSIGNAL, 1L);
	TLS_SET(CURLOPT_ERRORBUFFER, err);
	if (check_str_or_empty(spec->ca_file)[0] != '\0')
		TLS_SET(CURLOPT_CAINFO, spec->ca_file);
#undef TLS_SET
	check_verdict_t verdict = CHECK_ERROR;
	if (rc != CURLE_OK) {
		check_say(fd, "tls_check: cannot set up the connection: %s\n",
		          curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		/* A certificate that does not verify (expired, wrong name,
		 * unknown CA) fails the check; a server that cannot be reached
		 * fails it too: either way the service's users see an error. */
		check_say(fd, "%s (%s): %s\n", shown, name, err[0] ? err : curl_easy_strerror(rc));
		verdict = CHECK_FAIL;
		goto out;
	}
	struct curl_certinfo *ci = NULL;
	const char *expire = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK)
		expire = check_tls_info(ci, "Expire date");
	int64_t not_after = check_tls_time_parse(expire);
	if (not_after < 0) {
		check_say(fd, "%s (%s): verified, but its expiry date could not be read\n", shown,
		          name);
		goto out;
	}
	int64_t left_s = not_after - clock_wall_ms() / 1000;
	int64_t days = left_s >= 0 ? left_s / 86400 : -((-left_s + 86399) / 86400);
	check_value((double)days); /* record: whole days left (negative: expired) */
	char when[32];
	time_t t = (time_t)not_after;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
	const char *subject = check_tls_info(ci, "Subject");
	char subj[CHECK_SHOW_MAX];
	check_show(subject != NULL ? subject : "?", subj, sizeof(subj));
	verdict = days >= (int64_t)spec->min_days_left ? CHECK_PASS : CHECK_FAIL;
	check_say(fd, "%s (%s): certificate %s expires %s, in %" PRId64 " day%s%s", shown, name,
	          subj, when, days, days == 1 ? "" : "s",
	          spec->min_days_left ? "; needs at least " : "");
	if (spec->min_days_left)
		check_say(fd, "%" PRIu32, spec->min_days_left);
	check_say(fd, "\n");
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(connect_to);
	free(url);
	free(to);
	return verdict;
}
