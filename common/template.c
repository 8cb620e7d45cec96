/* template: "{{ name }}" substitution for runbook text.
 *
 * One scanner (template_scan) finds every "{{ name }}" and hands it to a
 * callback; rendering and the parse-time checks are all built on it, so
 * they cannot disagree about what counts as a template.
 *
 * Must never: read past the end of the text, turn an unknown name into an
 * empty string (a command with a silently missing argument is dangerous),
 * or put a value into a shell command other than as one word quoted by
 * rota (or pasted, for "| raw" of a value that is not secret). */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "shellword.h"
#include "strbuf.h"
#include "xalloc.h"

/* Called with the literal text before each template (lit, lit_len) and then
 * the template (ref; NULL at the end of the text). */
typedef int (*scan_fn)(void *ctx, const char *lit, size_t lit_len, const template_ref_t *ref);

/* The first "xy" at or after s, or NULL. A plain loop rather than strstr:
 * with sanitizers strstr measures the whole remaining text on every call,
 * which made a long command full of templates quadratic. */
static const char *
find_pair(const char *s, char x, char y)
{
	for (; *s != '\0'; s++)
		if (s[0] == x && s[1] == y)
			return s;
	return NULL;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* [start, end) trimmed of spaces and tabs. */
static void
trim(const char **start, const char **end)
{
	while (*start < *end && is_blank(**start))
		(*start)++;
	while (*end > *start && is_blank((*end)[-1]))
		(*end)--;
}

static int
template_scan(const char *text, scan_fn fn, void *ctx, char **error)
{
	const char *p = text;

	*error = NULL;
	for (;;) {
		const char *open = find_pair(p, '{', '{');
		if (open == NULL)
			return fn(ctx, p, strlen(p), NULL);

		const char *close = find_pair(open + 2, '}', '}');
		if (close == NULL) {
			*error = xasprintf("unclosed '{{' at offset %zu", (size_t)(open - text));
			return -1;
		}
		const char *start = open + 2;
		const char *end = close;
		const char *bar = memchr(start, '|', (size_t)(end - start));
		bool raw = false;
		if (bar != NULL) {
			const char *fs = bar + 1, *fe = end;
			trim(&fs, &fe);
			if (fs == fe) {
				*error =
				    xasprintf("empty filter after '|' in '{{ }}' at offset %zu",
				              (size_t)(open - text));
				return -1;
			}
			if ((size_t)(fe - fs) != 3 || memcmp(fs, "raw", 3) != 0) {
				*error = xasprintf("unknown filter '%.*s' at offset %zu (the only "
				                   "filter is raw)",
				                   (int)(fe - fs), fs, (size_t)(open - text));
				return -1;
			}
			raw = true;
			end = bar;
		}
		trim(&start, &end);
		if (start == end) {
			*error =
			    xasprintf("empty name in '{{ }}' at offset %zu", (size_t)(open - text));
			return -1;
		}
		char *name = xstrndup(start, (size_t)(end - start));
		template_ref_t ref = {
		    .name = name,
		    .raw = raw,
		    .offset = (size_t)(open - text),
		    .length = (size_t)(close + 2 - open),
		};
		int rc = fn(ctx, p, (size_t)(open - p), &ref);
		free(name);
		if (rc != 0)
			return rc;
		p = close + 2;
	}
}

typedef struct {
	strbuf_t out;
	const template_var_t *vars;
	size_t var_count;
	template_secret_mode_t mode;
	char *unknown; /* the first name not in vars */
} render_ctx_t;

char *
template_secret_env_name(const char *var_name)
{
	static const char prefix[] = "params.";
	if (strncmp(var_name, prefix, sizeof(prefix) - 1) == 0)
		var_name += sizeof(prefix) - 1;
	return xasprintf("%s%s", TEMPLATE_SECRET_ENV_PREFIX, var_name);
}

/* A secret never reaches the text: a mask, or a quoted reference to the
 * variable that will hold it. Param names are [A-Za-z_][A-Za-z0-9_]*, so
 * the reference needs no escaping. */
static void
render_secret(render_ctx_t *rc, const char *var_name)
{
	if (rc->mode != TEMPLATE_SHELL) {
		strbuf_add(&rc->out, TEMPLATE_SECRET_MASK_TEXT,
		           sizeof(TEMPLATE_SECRET_MASK_TEXT) - 1);
		return;
	}
	char *env = template_secret_env_name(var_name);
	char *ref = xasprintf("\"${%s}\"", env);
	strbuf_adds(&rc->out, ref);
	free(ref);
	free(env);
}

static int
render_piece(void *vctx, const char *lit, size_t lit_len, const template_ref_t *ref)
{
	render_ctx_t *rc = vctx;

	strbuf_add(&rc->out, lit, lit_len);
	if (ref == NULL)
		return 0;
	/* Linear: a command has a handful of templates and a runbook a handful
	 * of params; a hash would cost more than it saves. */
	for (size_t i = 0; i < rc->var_count; i++) {
		const char *vn = rc->vars[i].name;
		if (vn == NULL || strcmp(vn, ref->name) != 0)
			continue;
		if (rc->vars[i].secret) {
			render_secret(rc, vn);
			return 0;
		}
		const char *v = rc->vars[i].value ? rc->vars[i].value : "";
		if (rc->mode == TEMPLATE_SHELL && !ref->raw) {
			char *word = shellword_quote(v);
			strbuf_adds(&rc->out, word);
			free(word);
		} else {
			strbuf_adds(&rc->out, v);
		}
		return 0;
	}
	rc->unknown = xstrdup(ref->name);
	return 1;
}

/* Where the templates of a shell command sit, collected for one
 * shellword_places pass. */
typedef struct {
	size_t *offsets, *lengths;
	bool *raw;
	char **names;
	size_t count;
} refs_t;

static int
refs_add(void *vctx, const template_ref_t *ref)
{
	refs_t *r = vctx;
	r->offsets = xrealloc(r->offsets, (r->count + 1) * sizeof(*r->offsets));
	r->lengths = xrealloc(r->lengths, (r->count + 1) * sizeof(*r->lengths));
	r->raw = xrealloc(r->raw, (r->count + 1) * sizeof(*r->raw));
	r->names = xrealloc(r->names, (r->count + 1) * sizeof(*r->names));
	r->offsets[r->count] = ref->offset;
	r->lengths[r->count] = ref->length;
	r->raw[r->count] = ref->raw;
	r->names[r->count] = xstrdup(ref->name);
	r->count++;
	return 0;
}

static void
refs_free(refs_t *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->names[i]);
	free(r->names);
	free(r->offsets);
	free(r->lengths);
	free(r->raw);
}

/* NULL when every template of command (but a raw one) is a plain word of
 * it; else a message the caller frees. A syntax error is left to the
 * render. */
static char *
shell_places_check(const char *command)
{
	refs_t refs = {0};
	char *err = NULL;
	char *out = NULL;
	if (template_each(command, refs_add, &refs, &err) == 0 && refs.count > 0) {
		shellword_place_t *places = xcalloc(refs.count, sizeof(*places));
		shellword_places(command, refs.offsets, refs.lengths, refs.count, places);
		for (size_t i = 0; i < refs.count && out == NULL; i++)
			if (!refs.raw[i] && places[i] != SHELLWORD_WORD)
				out = xasprintf("{{ %s }} is %s", refs.names[i],
				                shellword_place_hint(places[i]));
		free(places);
	}
	free(err);
	refs_free(&refs);
	return out;
}

char *
template_render(const char *text, const template_var_t *vars, size_t var_count, char **error)
{
	return template_render_secret(text, vars, var_count, TEMPLATE_SECRET_MASK, error);
}

char *
template_render_secret(const char *text, const template_var_t *vars, size_t var_count,
                       template_secret_mode_t mode, char **error)
{
	render_ctx_t rc = {.vars = vars, .var_count = var_count, .mode = mode};

	*error = NULL;
	if (text == NULL) {
		*error = xstrdup("no text to expand");
		return NULL;
	}
	if (mode == TEMPLATE_SHELL && (*error = shell_places_check(text)) != NULL)
		return NULL;
	int r = template_scan(text, render_piece, &rc, error);
	if (r != 0) {
		if (rc.unknown != NULL) {
			*error = xasprintf("unknown name '%s' in template", rc.unknown);
			free(rc.unknown);
		}
		free(rc.out.data);
		return NULL;
	}
	if (rc.out.data == NULL)
		rc.out.data = xstrdup("");
	return rc.out.data;
}

typedef struct {
	int (*fn)(void *ctx, const template_ref_t *ref);
	void *ctx;
} each_ctx_t;

static int
each_piece(void *vctx, const char *lit, size_t lit_len, const template_ref_t *ref)
{
	each_ctx_t *ec = vctx;

	(void)lit;
	(void)lit_len;
	return ref == NULL ? 0 : ec->fn(ec->ctx, ref);
}

int
template_each(const char *text, int (*fn)(void *ctx, const template_ref_t *ref), void *ctx,
              char **error)
{
	each_ctx_t ec = {.fn = fn, .ctx = ctx};

	*error = NULL;
	if (text == NULL)
		return 0;
	return template_scan(text, each_piece, &ec, error);
}

typedef struct {
	int (*fn)(void *ctx, const char *name);
	void *ctx;
} names_ctx_t;

static int
names_piece(void *vctx, const template_ref_t *ref)
{
	names_ctx_t *nc = vctx;
	return nc->fn(nc->ctx, ref->name);
}

int
template_names(const char *text, int (*fn)(void *ctx, const char *name), void *ctx, char **error)
{
	names_ctx_t nc = {.fn = fn, .ctx = ctx};
	return template_each(text, names_piece, &nc, error);
}
