/* web: the console's files (HTML, CSS, JavaScript from coordinator/web/),
 * compiled into the binary by cmake/web_embed.cmake and served by httpd.
 *
 *   GET /static/NAME                 the file NAME of coordinator/web/
 *   GET / /incidents /incidents/ID   the page shell (index.html), whose
 *       /runs /runs/ID /workers      script reads location.pathname and
 *       /schedules /runbooks         fills the page from the JSON API
 *       /runbooks/NAME /audit        under /v1/ (docs/console.md)
 *
 * The files hold no data and need no sign-in: what a page shows comes from
 * /v1/, which checks the session and the role. Every answer carries a
 * Content-Security-Policy that allows this origin's files only, so no
 * inline script and nothing from elsewhere runs in the console. */
#ifndef ROTA_WEB_H
#define ROTA_WEB_H

#include <stddef.h>

struct MHD_Connection;

typedef struct {
	const char *name; /* its file name under coordinator/web/ */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
} web_asset_t;

/* The generated table (web_assets.c in the build directory). */
extern const web_asset_t web_assets[];
extern const size_t web_assets_count;

/* The asset served at url (a path without the query), or NULL when url is
 * not one of the console's: the caller answers 404 or routes it elsewhere. */
const web_asset_t *web_find(const char *url);

/* Queues the answer for url (which web_find knows) on c: the asset with
 * its type, the policy (HTTPD_CSP) and no-cache headers. Returns MHD's result. */
int web_serve(struct MHD_Connection *c, const char *url);

#endif
