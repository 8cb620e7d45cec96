/* web: the console's pages and files, served from the binary (web.h). */
#include "web.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <string.h>

#include "httpd.h"

/* The console's pages: each is the same shell, which draws the page the
 * path names. One table, so a new page is one row here and one function in
 * the script (pages.js). A row with an id takes exactly one more path
 * segment: "/runs/" matches "/runs/7f3a", not "/runs/" or "/runs/7f/x". */
static const struct {
	const char *path;
	bool with_id;
} web_pages[] = {
    {"/", false},         {"/incidents", false}, {"/incidents/", true}, {"/runs", false},
    {"/runs/", true},     {"/workers", false},   {"/schedules", false}, {"/runbooks", false},
    {"/runbooks/", true}, {"/audit", false},     {"/oncall", false},    {"/maintenance", false},
};

#define WEB_STATIC_PREFIX "/static/"
#define WEB_SHELL "index.html"
/* An id in a page's path: a run id, INC-7, a runbook's name. */
#define WEB_ID_MAX 200

static const web_asset_t *
web_asset_named(const char *name)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

static bool
web_is_page(const char *url)
{
	for (size_t i = 0; i < sizeof(web_pages) / sizeof(web_pages[0]); i++) {
		size_t n = strlen(web_pages[i].path);
		if (!web_pages[i].with_id) {
			if (strcmp(url, web_pages[i].path) == 0)
				return true;
			continue;
		}
		if (strncmp(url, web_pages[i].path, n) != 0)
			continue;
		const char *id = url + n;
		size_t len = strlen(id);
		if (len > 0 && len <= WEB_ID_MAX && strchr(id, '/') == NULL)
			return true;
	}
	return false;
}

const web_asset_t *
web_find(const char *url)
{
	if (strncmp(url, WEB_STATIC_PREFIX, strlen(WEB_STATIC_PREFIX)) == 0) {
		const char *name = url + strlen(WEB_STATIC_PREFIX);
		/* The shell is served at the pages' paths only. */
		if (strcmp(name, WEB_SHELL) == 0)
			return NULL;
		return web_asset_named(name);
	}
	return web_is_page(url) ? web_asset_named(WEB_SHELL) : NULL;
}

int
web_serve(struct MHD_Connection *c, const char *url)
{
	const web_asset_t *a = web_find(url);
	if (a == NULL)
		return MHD_NO;
	/* The data is static: MHD sends it without a copy. */
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
	MHD_add_response_header(r, "Content-Security-Policy", HTTPD_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	/* Small files that change with the binary: asked again each time
	 * rather than a stale script talking to a newer API. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	int rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}
