/* cli_config: `name = value` lines (see cli_config.h).
 *
 * Must never: ignore a line it does not understand (a typo in "key" would
 * silently run without CURVE). */
#include "cli_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

#define CONFIG_LINE_MAX 4096

void
cli_config_clear(cli_config_t *c)
{
	free(c->path);
	free(c->coordinator);
	free(c->key);
	free(c->coordinator_key);
	memset(c, 0, sizeof(*c));
}

static char *
cli_config_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

int
cli_config_load_file(const char *path, cli_config_t *out, char **error)
{
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error = xasprintf("cannot read the configuration %s: %s", path, strerror(errno));
		return -1;
	}
	out->path = xstrdup(path);
	char line[CONFIG_LINE_MAX];
	unsigned n = 0;
	int rc = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		char *l = cli_config_trim(line);
		if (l[0] == '\0' || l[0] == '#')
			continue;
		char *eq = strchr(l, '=');
		if (eq == NULL) {
			*error = xasprintf("%s:%u: expected 'name = value'", path, n);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *name = cli_config_trim(l);
		char *value = cli_config_trim(eq + 1);
		char **slot = strcmp(name, "coordinator") == 0       ? &out->coordinator
		              : strcmp(name, "key") == 0             ? &out->key
		              : strcmp(name, "coordinator-key") == 0 ? &out->coordinator_key
		                                                     : NULL;
		if (slot == NULL) {
			*error = xasprintf("%s:%u: unknown setting '%s' (coordinator, key and"
			                   " coordinator-key are known)",
			                   path, n, name);
			rc = -1;
			break;
		}
		if (value[0] == '\0') {
			*error = xasprintf("%s:%u: '%s' has no value", path, n, name);
			rc = -1;
			break;
		}
		free(*slot);
		*slot = xstrdup(value);
	}
	fclose(f);
	if (rc != 0)
		cli_config_clear(out);
	return rc;
}

int
cli_config_load(cli_config_t *out, char **error)
{
	memset(out, 0, sizeof(*out));
	const char *env = getenv("ROTA_CONFIG");
	if (env != NULL && env[0] != '\0')
		return cli_config_load_file(env, out, error);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *path = NULL; /* owned */
	if (xdg != NULL && xdg[0] != '\0')
		path = xasprintf("%s/rota/config", xdg);
	else if (home != NULL && home[0] != '\0')
		path = xasprintf("%s/.config/rota/config", home);
	int rc = 0;
	if (path != NULL && access(path, F_OK) == 0)
		rc = cli_config_load_file(path, out, error);
	free(path);
	return rc;
}
