/* metrics: the Prometheus text format writer (see metrics.h). */
#include "metrics.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

const double METRICS_DURATION_BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                           2.5,   5,    10,    30,   60,  120,  300};
const size_t METRICS_DURATION_BUCKET_COUNT =
    sizeof(METRICS_DURATION_BUCKETS) / sizeof(METRICS_DURATION_BUCKETS[0]);

struct metrics {
	strbuf_t page;    /* owned (page.data): the page so far */
	char family[128]; /* the current family's name, for its sample lines */
	metrics_type_t type;
	bool in_family;
};

/* ---- histogram ---------------------------------------------------------- */

metrics_histogram_t *
metrics_histogram_new(const double *bounds, size_t count)
{
	metrics_histogram_t *h = xcalloc(1, sizeof(*h));
	h->bounds = xcalloc(count ? count : 1, sizeof(*h->bounds));
	h->counts = xcalloc(count + 1, sizeof(*h->counts));
	h->bound_count = count;
	for (size_t i = 0; i < count; i++) {
		assert(isfinite(bounds[i]));
		assert(i == 0 || bounds[i] > bounds[i - 1]);
		h->bounds[i] = bounds[i];
	}
	return h;
}

void
metrics_histogram_destroy(metrics_histogram_t **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	free((*hp)->bounds);
	free((*hp)->counts);
	free(*hp);
	*hp = NULL;
}

void
metrics_histogram_observe(metrics_histogram_t *h, double value)
{
	if (isnan(value))
		return;
	/* Linear: 15 bounds, a few compares per step; a binary search would
	 * save nothing measurable. le is inclusive, as in Prometheus. */
	size_t i = 0;
	while (i < h->bound_count && value > h->bounds[i])
		i++;
	h->counts[i]++;
	h->sum += value;
	h->count++;
}

/* ---- the page ----------------------------------------------------------- */

metrics_t *
metrics_new(void)
{
	metrics_t *m = xcalloc(1, sizeof(*m));
	strbuf_reserve(&m->page, 4095);
	return m;
}

void
metrics_destroy(metrics_t **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	free((*mp)->page.data);
	free(*mp);
	*mp = NULL;
}

char *
metrics_finish(metrics_t **mp)
{
	char *text = (*mp)->page.data;
	(*mp)->page.data = NULL;
	metrics_destroy(mp);
	return text;
}

static void
put(metrics_t *m, const char *s, size_t n)
{
	strbuf_add(&m->page, s, n);
}

static void
put_str(metrics_t *m, const char *s)
{
	put(m, s, strlen(s));
}

/* Escapes for a label value (\\, \", \n) or, with quote false, for HELP
 * text (\\ and \n only, as the format says). */
static void
put_escaped(metrics_t *m, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			put_str(m, "\\\\");
		else if (*s == '\n')
			put_str(m, "\\n");
		else if (quote && *s == '"')
			put_str(m, "\\\"");
		else
			put(m, s, 1);
	}
}

/* [a-zA-Z_:][a-zA-Z0-9_:]*; label names may not hold ':'. Used only in
 * asserts (names are the program's constants), hence unused under NDEBUG. */
__attribute__((unused)) static bool
valid_name(const char *s, bool colon)
{
	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || (colon && c == ':');
		if (!ok)
			return false;
	}
	return true;
}

char *
metrics_format_double(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else {
		/* %.15g gives "0.1" for 0.1; only when that does not read back
		 * exactly are all 17 digits needed. */
		snprintf(buf, len, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, len, "%.17g", v);
	}
	return buf;
}

void
metrics_family(metrics_t *m, const char *name, metrics_type_t type, const char *help)
{
	assert(valid_name(name, true));
	assert(strlen(name) < sizeof(m->family));
	static const char *const types[] = {"counter", "gauge", "histogram"};
	snprintf(m->family, sizeof(m->family), "%s", name);
	m->type = type;
	m->in_family = true;
	put_str(m, "# HELP ");
	put_str(m, name);
	put_str(m, " ");
	put_escaped(m, help, false);
	put_str(m, "\n# TYPE ");
	put_str(m, name);
	put_str(m, " ");
	put_str(m, types[type]);
	put_str(m, "\n");
}

/* name{a="x",b="y",extra="v"} with a space after; extra may be NULL. */
static void
put_series(metrics_t *m, const char *suffix, const metrics_label_t *labels, size_t count,
           const char *extra_name, const char *extra_value)
{
	put_str(m, m->family);
	put_str(m, suffix);
	if (count > 0 || extra_name != NULL) {
		put_str(m, "{");
		for (size_t i = 0; i < count; i++) {
			assert(valid_name(labels[i].name, false));
			if (i > 0)
				put_str(m, ",");
			put_str(m, labels[i].name);
			put_str(m, "=\"");
			put_escaped(m, labels[i].value != NULL ? labels[i].value : "", true);
			put_str(m, "\"");
		}
		if (extra_name != NULL) {
			if (count > 0)
				put_str(m, ",");
			put_str(m, extra_name);
			put_str(m, "=\"");
			put_str(m, extra_value);
			put_str(m, "\"");
		}
		put_str(m, "}");
	}
	put_str(m, " ");
}

void
metrics_value(metrics_t *m, const metrics_label_t *labels, size_t label_count, double value)
{
	assert(m->in_family && m->type != METRICS_HISTOGRAM);
	char num[64];
	put_series(m, "", labels, label_count, NULL, NULL);
	put_str(m, metrics_format_double(value, num, sizeof(num)));
	put_str(m, "\n");
}

void
metrics_count(metrics_t *m, const metrics_label_t *labels, size_t label_count, uint64_t value)
{
	assert(m->in_family && m->type != METRICS_HISTOGRAM);
	char num[32];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	put_series(m, "", labels, label_count, NULL, NULL);
	put_str(m, num);
	put_str(m, "\n");
}

void
metrics_histogram(metrics_t *m, const metrics_label_t *labels, size_t label_count,
                  const metrics_histogram_t *h)
{
	assert(m->in_family && m->type == METRICS_HISTOGRAM);
	char le[64], num[64];
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= h->bound_count; i++) {
		cumulative += h->counts[i];
		if (i < h->bound_count)
			metrics_format_double(h->bounds[i], le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		put_series(m, "_bucket", labels, label_count, "le", le);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)cumulative);
		put_str(m, num);
		put_str(m, "\n");
	}
	put_series(m, "_sum", labels, label_count, NULL, NULL);
	put_str(m, metrics_format_double(h->sum, num, sizeof(num)));
	put_str(m, "\n");
	put_series(m, "_count", labels, label_count, NULL, NULL);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)h->count);
	put_str(m, num);
	put_str(m, "\n");
}
