/* template: "{{ name }}" substitution for runbook text.
 *
 * One scanner (template_scan) finds every "{{ name }}" and hands it to a
 * callback; rendering and the parse-time name check are both built on it, so
 * they cannot disagree about what counts as a template.
 *
 * Must never: read past the end of the text, or turn an unknown name into an
 * empty string (a command with a silently missing argument is dangerous). */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Called with the literal text before each template (lit, lit_len) and then
 * the template's name (name, name_len; NULL at the end of the text). */
typedef int (*scan_fn)(void *ctx, const char *lit, size_t lit_len, const char *name,
                       size_t name_len);

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

static int
template_scan(const char *text, scan_fn fn, void *ctx, char **error)
{
	const char *p = text;

	*error = NULL;
	for (;;) {
		const char *open = find_pair(p, '{', '{');
		if (open == NULL)
			return fn(ctx, p, strlen(p), NULL, 0);

		const char *close = find_pair(open + 2, '}', '}');
		if (close == NULL) {
			*error = xasprintf("unclosed '{{' at offset %zu", (size_t)(open - text));
			return -1;
		}
		const char *start = open + 2;
		const char *end = close;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (start == end) {
			*error =
			    xasprintf("empty name in '{{ }}' at offset %zu", (size_t)(open - text));
			return -1;
		}
		int rc = fn(ctx, p, (size_t)(open - p), start, (size_t)(end - start));
		if (rc != 0)
			return rc;
		p = close + 2;
	}
}

/* Output buffer that grows by doubling; xrealloc aborts on exhaustion, and
 * callers bound their input (runbook files are at most 1 MiB). */
typedef struct {
	char *buf;
	size_t len;
	size_t cap;
} strbuf_t;

static void
strbuf_append(strbuf_t *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		while (sb->len + n + 1 > cap)
			cap *= 2;
		sb->buf = xrealloc(sb->buf, cap);
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
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
	if (rc->mode != TEMPLATE_SECRET_ENV_REF) {
		strbuf_append(&rc->out, TEMPLATE_SECRET_MASK_TEXT,
		              sizeof(TEMPLATE_SECRET_MASK_TEXT) - 1);
		return;
	}
	char *env = template_secret_env_name(var_name);
	char *ref = xasprintf("\"${%s}\"", env);
	strbuf_append(&rc->out, ref, strlen(ref));
	free(ref);
	free(env);
}

static int
render_piece(void *vctx, const char *lit, size_t lit_len, const char *name, size_t name_len)
{
	render_ctx_t *rc = vctx;

	strbuf_append(&rc->out, lit, lit_len);
	if (name == NULL)
		return 0;
	/* Linear: a command has a handful of templates and a runbook a handful
	 * of params; a hash would cost more than it saves. */
	for (size_t i = 0; i < rc->var_count; i++) {
		const char *vn = rc->vars[i].name;
		if (vn != NULL && strlen(vn) == name_len && memcmp(vn, name, name_len) == 0) {
			if (rc->vars[i].secret) {
				render_secret(rc, vn);
				return 0;
			}
			const char *v = rc->vars[i].value ? rc->vars[i].value : "";
			strbuf_append(&rc->out, v, strlen(v));
			return 0;
		}
	}
	rc->unknown = xstrndup(name, name_len);
	return 1;
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
	int r = template_scan(text, render_piece, &rc, error);
	if (r != 0) {
		if (rc.unknown != NULL) {
			*error = xasprintf("unknown name '%s' in template", rc.unknown);
			free(rc.unknown);
		}
		free(rc.out.buf);
		return NULL;
	}
	if (rc.out.buf == NULL)
		rc.out.buf = xstrdup("");
	return rc.out.buf;
}

typedef struct {
	int (*fn)(void *ctx, const char *name);
	void *ctx;
} names_ctx_t;

static int
names_piece(void *vctx, const char *lit, size_t lit_len, const char *name, size_t name_len)
{
	names_ctx_t *nc = vctx;

	(void)lit;
	(void)lit_len;
	if (name == NULL)
		return 0;
	char *copy = xstrndup(name, name_len);
	int rc = nc->fn(nc->ctx, copy);
	free(copy);
	return rc;
}

int
template_names(const char *text, int (*fn)(void *ctx, const char *name), void *ctx, char **error)
{
	names_ctx_t nc = {.fn = fn, .ctx = ctx};

	*error = NULL;
	if (text == NULL)
		return 0;
	return template_scan(text, names_piece, &nc, error);
}
