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
	uint32_t base_ms;        /* the configured interval */
	uint32_t max_per_second; /* 0: no bound */
	uint32_t interval_ms;    /* the fleet's now (registry_repace) */
	size_t connected;        /* as of the last registry_repace */
};

/* The spool_error of every worker whose spool works: shared, never
 * written (worker_t.spool_error). */
static char registry_no_error[1] = "";

registry_t *
registry_new(void)
{
	registry_t *r = xcalloc(1, sizeof(registry_t));
	r->base_ms = r->interval_ms = 1000;
	return r;
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
worker_clear_addresses(worker_t *w)
{
	for (size_t i = 0; i < w->address_count; i++)
		free(w->addresses[i]);
	free(w->addresses);
	w->addresses = NULL;
	w->address_count = 0;
}

static void
worker_free(worker_t *w)
{
	worker_clear_labels(w);
	worker_clear_addresses(w);
	if (w->spool_error != registry_no_error)
		free(w->spool_error);
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
	w->spool_error = registry_no_error;
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
	worker_clear_addresses(w);
	w->addresses = xcalloc(hello->n_addresses + 1, sizeof(*w->addresses));
	for (size_t i = 0; i < hello->n_addresses; i++)
		if (hello->addresses[i] != NULL && hello->addresses[i][0] != '\0')
			w->addresses[w->address_count++] = xstrdup(hello->addresses[i]);
	w->capacity = hello->capacity;
	w->instance = hello->instance;
	w->stopping = false;
	w->connected = true;
	registry_seen(w, now_mono, now_wall);
	/* Its Welcome carries the fleet's interval. */
	registry_told(w, r->interval_ms, now_mono);
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
	if (strcmp(why, w->spool_error) == 0)
		return 0; /* every heartbeat of a failing spool says it again */
	bool was = w->spool_error[0] != '\0';
	if (w->spool_error != registry_no_error)
		free(w->spool_error);
	/* Bounded as the 200 bytes it was kept in before. */
	w->spool_error = why[0] ? xstrndup(why, 199) : registry_no_error;
	bool is = w->spool_error[0] != '\0';
	return is == was ? 0 : is ? 1 : -1;
}

void
registry_seen(worker_t *w, int64_t now_mono, int64_t now_wall)
{
	/* Never earlier: a coordinator that did not run moved it on
	 * (registry_shift), and a frame of the backlog read at the thaw must
	 * not take that grace back from a worker that is reconnecting. */
	if (now_mono > w->last_seen_mono)
		w->last_seen_mono = now_mono;
	w->last_seen_wall = now_wall;
}

uint32_t
registry_interval_for(uint32_t base_ms, size_t connected, uint32_t max_per_second)
{
	if (max_per_second == 0 || (uint64_t)connected <= max_per_second)
		return base_ms; /* the fleet's heartbeats at base_ms are within the bound */
	/* connected / max_per_second seconds, in ms rounded up, then to a step. */
	uint64_t need = ((uint64_t)connected * 1000 + max_per_second - 1) / max_per_second;
	need = (need + REGISTRY_INTERVAL_STEP_MS - 1) / REGISTRY_INTERVAL_STEP_MS *
	       REGISTRY_INTERVAL_STEP_MS;
	if (need <= base_ms)
		return base_ms;
	return need > REGISTRY_MAX_INTERVAL_MS ? REGISTRY_MAX_INTERVAL_MS : (uint32_t)need;
}

void
registry_set_pace(registry_t *r, uint32_t base_ms, uint32_t max_per_second)
{
	r->base_ms = base_ms;
	r->max_per_second = max_per_second;
	r->interval_ms = registry_interval_for(base_ms, r->connected, max_per_second);
}

uint32_t
registry_repace(registry_t *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++)
		n += r->workers[i]->connected;
	r->connected = n;
	uint32_t want = registry_interval_for(r->base_ms, n, r->max_per_second);
	if (want > r->interval_ms ||
	    registry_interval_for(r->base_ms, n + n / 4, r->max_per_second) < r->interval_ms)
		r->interval_ms = want;
	return r->interval_ms;
}

uint32_t
registry_heartbeat_ms(const registry_t *r)
{
	return r->interval_ms;
}

size_t
registry_connected(const registry_t *r)
{
	return r->connected;
}

void
registry_told(worker_t *w, uint32_t interval_ms, int64_t now_mono)
{
	if (interval_ms == w->hb_ms)
		return;
	/* Until it has had time to hear of it, it may keep to the old one:
	 * judged by the longer of the two for as long as it could take. */
	if (w->hb_ms > interval_ms) {
		w->hb_was_ms = w->hb_ms;
		w->hb_was_until = now_mono + (int64_t)w->hb_ms * REGISTRY_LOST_INTERVALS;
	}
	w->hb_ms = interval_ms;
}

int64_t
registry_window_for(uint32_t base_ms, uint32_t interval_ms)
{
	int64_t small = (int64_t)base_ms * REGISTRY_LOST_INTERVALS;
	if (interval_ms <= base_ms)
		return (int64_t)interval_ms * REGISTRY_LOST_INTERVALS;
	int64_t grown = (int64_t)interval_ms * REGISTRY_LOST_INTERVALS_GROWN;
	return grown > small ? grown : small;
}

int64_t
registry_lost_after(const registry_t *r, const worker_t *w, int64_t now_mono)
{
	uint32_t ms = w->hb_ms;
	if (now_mono < w->hb_was_until && w->hb_was_ms > ms)
		ms = w->hb_was_ms;
	return registry_window_for(r->base_ms, ms);
}

size_t
registry_expire(registry_t *r, int64_t now_mono, worker_t **lost, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++) {
		worker_t *w = r->workers[i];
		if (w->connected &&
		    now_mono - w->last_seen_mono > registry_lost_after(r, w, now_mono)) {
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
	for (size_t i = 0; i < r->count; i++) {
		r->workers[i]->last_seen_mono += delta_ms;
		if (r->workers[i]->hb_was_until != 0)
			r->workers[i]->hb_was_until += delta_ms;
	}
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

/* The one worker for which match(w, name) holds; NULL with *ambiguous
 * set when several do. */
static worker_t *
registry_match_one(registry_t *r, const char *name, bool (*match)(const worker_t *, const char *),
                   bool *ambiguous)
{
	worker_t *found = NULL;
	for (size_t i = 0; i < r->count; i++) {
		if (!match(r->workers[i], name))
			continue;
		if (found != NULL) {
			*ambiguous = true;
			return NULL;
		}
		found = r->workers[i];
	}
	return found;
}

static bool
match_hostname(const worker_t *w, const char *name)
{
	return w->hostname && w->hostname[0] && strcmp(w->hostname, name) == 0;
}

/* name's first label is the worker's id. */
static bool
match_short(const worker_t *w, const char *name)
{
	const char *dot = strchr(name, '.');
	return dot != NULL && dot > name && strlen(w->id) == (size_t)(dot - name) &&
	       strncmp(w->id, name, (size_t)(dot - name)) == 0;
}

static bool
match_address(const worker_t *w, const char *name)
{
	for (size_t i = 0; i < w->address_count; i++)
		if (strcmp(w->addresses[i], name) == 0)
			return true;
	return false;
}

worker_t *
registry_match_host(registry_t *r, const char *name, bool *ambiguous)
{
	bool dummy = false;
	if (ambiguous == NULL)
		ambiguous = &dummy;
	*ambiguous = false;
	if (name == NULL || name[0] == '\0')
		return NULL;
	worker_t *w = registry_find(r, name);
	if (w != NULL)
		return w;
	bool (*const rules[])(const worker_t *, const char *) = {match_hostname, match_short,
	                                                         match_address};
	for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
		w = registry_match_one(r, name, rules[k], ambiguous);
		if (w != NULL || *ambiguous)
			return w;
	}
	return NULL;
}
