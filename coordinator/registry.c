/* registry: workers by id. A sorted array: lookups are a binary search and
 * `rota workers` lists in id order for free. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "xalloc.h"

struct registry {
	worker_t **workers; /* owned, sorted by id */
	size_t count;
};

registry_t *
registry_new(void)
{
	return xcalloc(1, sizeof(registry_t));
}

static void
worker_clear_labels(worker_t *w)
{
	for (size_t i = 0; i < w->label_count; i++) {
		free(w->labels[i].key);
		free(w->labels[i].value);
	}
	free(w->labels);
	w->labels = NULL;
	w->label_count = 0;
}

static void
worker_free(worker_t *w)
{
	worker_clear_labels(w);
	free(w->id);
	free(w->hostname);
	free(w->version);
	free(w);
}

void
registry_destroy(registry_t **rp)
{
	registry_t *r = *rp;
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->count; i++)
		worker_free(r->workers[i]);
	free(r->workers);
	free(r);
	*rp = NULL;
}

/* Index of id, or of where it would go (with *found false). */
static size_t
registry_search(const registry_t *r, const char *id, bool *found)
{
	size_t lo = 0, hi = r->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->workers[mid]->id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static worker_t *
registry_get_or_add(registry_t *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);
	if (found)
		return r->workers[at];
	worker_t *w = xcalloc(1, sizeof(*w));
	w->id = xstrdup(id);
	w->hostname = xstrdup("");
	w->version = xstrdup("");
	w->conn_fd = -1;
	r->workers = xrealloc(r->workers, (r->count + 1) * sizeof(*r->workers));
	memmove(&r->workers[at + 1], &r->workers[at], (r->count - at) * sizeof(*r->workers));
	r->workers[at] = w;
	r->count++;
	return w;
}

/* Replaces the worker's labels with copies of the given ones. */
static void
worker_set_labels(worker_t *w, Rota__Label *const *labels, size_t n)
{
	worker_clear_labels(w);
	w->labels = xcalloc(n, sizeof(*w->labels));
	for (size_t i = 0; i < n; i++) {
		w->labels[i].key = xstrdup(labels[i]->key);
		w->labels[i].value = xstrdup(labels[i]->value);
	}
	w->label_count = n;
}

worker_t *
registry_hello(registry_t *r, const Rota__Hello *hello, int64_t now_mono, int64_t now_wall)
{
	worker_t *w = registry_get_or_add(r, hello->worker_id);
	free(w->hostname);
	w->hostname = xstrdup(hello->hostname);
	free(w->version);
	w->version = xstrdup(hello->version);
	worker_set_labels(w, hello->labels, hello->n_labels);
	w->capacity = hello->capacity;
	w->instance = hello->instance;
	w->stopping = false;
	w->connected = true;
	registry_seen(w, now_mono, now_wall);
	return w;
}

worker_t *
registry_add_known(registry_t *r, const Rota__WorkerInfo *info)
{
	worker_t *w = registry_get_or_add(r, info->id);
	free(w->hostname);
	w->hostname = xstrdup(info->hostname);
	free(w->version);
	w->version = xstrdup(info->version);
	worker_set_labels(w, info->labels, info->n_labels);
	w->last_seen_wall = info->last_seen_ms;
	w->connected = false;
	/* It said Goodbye before the coordinator stopped: still stopped on
	 * purpose, not lost, until it says Hello. */
	w->stopping = info->state != NULL &&
	              (strcmp(info->state, "stopped") == 0 || strcmp(info->state, "stopping") == 0);
	return w;
}

const char *
registry_state(const worker_t *w)
{
	if (w->stopping)
		return w->connected ? "stopping" : "stopped";
	return w->connected ? "connected" : "lost";
}

worker_t *
registry_find(registry_t *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);
	return found ? r->workers[at] : NULL;
}

int
registry_remove(registry_t *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);
	if (!found)
		return -1;
	worker_free(r->workers[at]);
	memmove(&r->workers[at], &r->workers[at + 1], (r->count - at - 1) * sizeof(*r->workers));
	r->count--;
	return 0;
}

int
registry_spool_error(worker_t *w, const char *why)
{
	if (why == NULL)
		why = "";
	bool was = w->spool_error[0] != '\0';
	snprintf(w->spool_error, sizeof(w->spool_error), "%s", why);
	bool is = w->spool_error[0] != '\0';
	return is == was ? 0 : is ? 1 : -1;
}

void
registry_seen(worker_t *w, int64_t now_mono, int64_t now_wall)
{
	w->last_seen_mono = now_mono;
	w->last_seen_wall = now_wall;
}

size_t
registry_expire(registry_t *r, int64_t now_mono, int64_t timeout_ms, worker_t **lost, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++) {
		worker_t *w = r->workers[i];
		if (w->connected && now_mono - w->last_seen_mono > timeout_ms) {
			w->connected = false;
			if (n < max)
				lost[n] = w;
			n++;
		}
	}
	return n;
}

void
registry_shift(registry_t *r, int64_t delta_ms)
{
	for (size_t i = 0; i < r->count; i++)
		r->workers[i]->last_seen_mono += delta_ms;
}

bool
registry_available(const worker_t *w)
{
	return w != NULL && w->connected && !w->stopping &&
	       (w->capacity == 0 || w->running < w->capacity);
}

size_t
registry_count(const registry_t *r)
{
	return r->count;
}

worker_t *
registry_at(registry_t *r, size_t i)
{
	return i < r->count ? r->workers[i] : NULL;
}

const char *
registry_label(const worker_t *w, const char *key)
{
	for (size_t i = 0; i < w->label_count; i++) {
		if (strcmp(w->labels[i].key, key) == 0)
			return w->labels[i].value;
	}
	return NULL;
}

char *
registry_labels_string(const worker_t *w)
{
	strlist_t pairs = {0}; /* owned: freed here */
	for (size_t i = 0; i < w->label_count; i++)
		strlist_add(&pairs, xasprintf("%s=%s", w->labels[i].key, w->labels[i].value));
	char *s = strlist_join_sep(&pairs, ",", "");
	strlist_free(&pairs);
	return s;
}
