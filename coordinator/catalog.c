/* catalog: runbooks by name, loaded from a directory at start. */
#include "catalog.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "xalloc.h"

struct catalog {
	catalog_entry_t *entries; /* owned, in file name order */
	size_t count;
	size_t invalid;
};

char *
catalog_read_file(const char *path, size_t max, size_t *len, char **error)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*error = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		*error = xasprintf("%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	if ((size_t)sb.st_size > max) {
		*error = xasprintf("%s: %lld bytes is larger than the limit of %zu", path,
		                   (long long)sb.st_size, max);
		fclose(f);
		return NULL;
	}
	char *buf = xmalloc((size_t)sb.st_size + 1);
	size_t n = fread(buf, 1, (size_t)sb.st_size, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		*error = xasprintf("%s: read error", path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
catalog_is_yaml(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return 0;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
catalog_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

catalog_t *
catalog_load(const char *dir, char **error)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		*error = xasprintf("runbook directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!catalog_is_yaml(de->d_name))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), catalog_cmp);

	catalog_t *c = xcalloc(1, sizeof(*c));
	c->entries = xcalloc(n, sizeof(*c->entries));
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		free(names[i]);
		char *err = NULL;
		size_t len = 0;
		char *text = catalog_read_file(path, RUNBOOK_MAX_FILE_BYTES, &len, &err);
		runbook_t *rb = NULL;
		if (text == NULL) {
			log_error("runbook %s", err);
			free(err);
		} else {
			runbook_errors_t errs = {0};
			rb = runbook_parse_string(text, len, path, &errs);
			if (rb == NULL) {
				char *msg = runbook_errors_format(&errs);
				log_error("runbook %s is invalid and was not loaded:\n%s", path,
				          msg);
				free(msg);
			}
			runbook_errors_clear(&errs);
		}
		if (rb != NULL && catalog_find(c, rb->name) != NULL) {
			log_error("runbook %s: name '%s' is already used by %s; not loaded", path,
			          rb->name, catalog_find(c, rb->name)->path);
			runbook_destroy(&rb);
		}
		if (rb == NULL) {
			c->invalid++;
			free(text);
			free(path);
			continue;
		}
		catalog_entry_t *e = &c->entries[c->count++];
		e->path = path;
		e->yaml = text;
		e->rb = rb;
	}
	free(names);
	log_info("loaded %zu runbook(s) from %s (%zu invalid)", c->count, dir, c->invalid);
	return c;
}

void
catalog_destroy(catalog_t **cp)
{
	catalog_t *c = *cp;
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->count; i++) {
		free(c->entries[i].path);
		free(c->entries[i].yaml);
		runbook_destroy(&c->entries[i].rb);
	}
	free(c->entries);
	free(c);
	*cp = NULL;
}

const catalog_entry_t *
catalog_find(const catalog_t *c, const char *name)
{
	for (size_t i = 0; i < c->count; i++) {
		if (strcmp(c->entries[i].rb->name, name) == 0)
			return &c->entries[i];
	}
	return NULL;
}

size_t
catalog_count(const catalog_t *c)
{
	return c->count;
}

size_t
catalog_invalid(const catalog_t *c)
{
	return c->invalid;
}

char *
catalog_names(const catalog_t *c)
{
	if (c->count == 0)
		return xstrdup("none");
	size_t len = 1;
	for (size_t i = 0; i < c->count; i++)
		len += strlen(c->entries[i].rb->name) + 2;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (size_t i = 0; i < c->count; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, c->entries[i].rb->name);
	}
	return s;
}
