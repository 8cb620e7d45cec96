/* log: stderr lines "2026-11-23T08:00:01.123Z rota-worker INFO message". */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sanitize.h"
#include "xalloc.h"

static const char *log_program = "rota";
static log_level_t log_threshold = LOGL_INFO;
static bool log_buffered;

void
log_buffer_lines(void)
{
	static char buf[64 * 1024];
	if (setvbuf(stderr, buf, _IOFBF, sizeof(buf)) == 0)
		log_buffered = true;
}

void
log_flush(void)
{
	if (log_buffered)
		fflush(stderr);
}

void
log_init(const char *program, log_level_t level)
{
	log_program = program;
	log_threshold = level;
}

void
log_set_program(const char *program)
{
	log_program = program;
}

int
log_level_parse(const char *name, log_level_t *out)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (log_level_t)i;
			return 0;
		}
	}
	return -1;
}

/* The line's time up to the second, "2026-11-23T08:00:01": gmtime_r and
 * strftime cost more than the rest of a short line, and a busy loop logs
 * thousands of lines in the same second, so each thread keeps the last
 * second's text (thread-local: several threads log). */
static const char *
log_stamp(time_t t)
{
	static _Thread_local time_t cached = (time_t)-1;
	static _Thread_local char stamp[32];
	if (t != cached) {
		struct tm tm;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
			cached = (time_t)-1;
			return "0000-00-00T00:00:00";
		}
		cached = t;
	}
	return stamp;
}

static void __attribute__((format(printf, 2, 0)))
log_vwrite(log_level_t level, const char *fmt, va_list ap)
{
	static const char *labels[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	int64_t now = clock_wall_ms();
	char line[4096];

	int n = vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	/* Messages carry peers' strings (hostnames, ids, reasons): shown
	 * visibly escaped (sanitize.h), and a line of a multi-line message
	 * is indented, so nothing can start a log line of its own. */
	char *clean = sanitize_text(line, len, SANITIZE_KEEP_NEWLINE);
	size_t breaks = 0, text_len = 0;
	for (const char *c = clean; *c; c++, text_len++)
		breaks += *c == '\n';
	char *text = clean;
	if (breaks > 0) {
		text = xmalloc(text_len + breaks * 4 + 1);
		char *o = text;
		for (const char *c = clean; *c; c++) {
			*o++ = *c;
			if (*c == '\n') {
				memcpy(o, "    ", 4);
				o += 4;
			}
		}
		*o = '\0';
		text_len = (size_t)(o - text);
		free(clean);
	}
	/* The line put together here and written with one fwrite (stdio locks
	 * the stream for the call), so concurrent writers do not interleave
	 * within a line; a format of five strings cost as much again. */
	const char *stamp = log_stamp((time_t)(now / 1000));
	const char *label = labels[level];
	size_t stamp_len = strlen(stamp), prog_len = strlen(log_program);
	size_t label_len = strlen(label);
	size_t total = stamp_len + 6 + prog_len + 1 + label_len + 1 + text_len + 1;
	char head[4096 + 256];
	char *out = total <= sizeof(head) ? head : xmalloc(total);
	char *o = out;
	memcpy(o, stamp, stamp_len);
	o += stamp_len;
	int ms = (int)(now % 1000);
	*o++ = '.';
	*o++ = (char)('0' + ms / 100);
	*o++ = (char)('0' + ms / 10 % 10);
	*o++ = (char)('0' + ms % 10);
	*o++ = 'Z';
	*o++ = ' ';
	memcpy(o, log_program, prog_len);
	o += prog_len;
	*o++ = ' ';
	memcpy(o, label, label_len);
	o += label_len;
	*o++ = ' ';
	memcpy(o, text, text_len);
	o += text_len;
	*o++ = '\n';
	/* A short write leaves nothing to do: stderr is where errors would go. */
	(void)fwrite(out, 1, (size_t)(o - out), stderr);
	if (out != head)
		free(out);
	free(text);
	if (log_buffered && level >= LOGL_WARN)
		fflush(stderr);
}

void
log_msg(log_level_t level, const char *fmt, ...)
{
	if (level < log_threshold)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOGL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

/* The limiter's own budget: LOG_LIMIT_LINES lines an interval. */
static bool
log_limit_budget(log_limit_t *limit, int64_t now_ms, int64_t interval_ms)
{
	if (limit->lines == 0 || now_ms - limit->window_ms >= interval_ms) {
		limit->window_ms = now_ms;
		limit->lines = 0;
	}
	if (limit->lines >= LOG_LIMIT_LINES) {
		limit->overflow++;
		return false;
	}
	limit->lines++;
	return true;
}

bool
log_limit_allow(log_limit_t *limit, const char *key, int64_t now_ms, int64_t interval_ms,
                uint64_t *suppressed)
{
	log_limit_slot_t *oldest = &limit->slots[0];
	log_limit_slot_t *slot = NULL;
	for (int i = 0; i < LOG_LIMIT_SLOTS && slot == NULL; i++) {
		log_limit_slot_t *s = &limit->slots[i];
		if (s->key[0] != '\0' && strncmp(s->key, key, sizeof(s->key) - 1) == 0)
			slot = s;
		else if (s->last_ms < oldest->last_ms)
			oldest = s;
	}
	if (slot != NULL && now_ms - slot->last_ms < interval_ms) {
		slot->suppressed++;
		return false;
	}
	if (!log_limit_budget(limit, now_ms, interval_ms))
		return false; /* counted in limit->overflow */
	if (slot == NULL) {
		slot = oldest;
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->suppressed = 0;
	}
	if (suppressed)
		*suppressed = slot->suppressed + limit->overflow;
	slot->suppressed = 0;
	slot->last_ms = now_ms;
	limit->overflow = 0;
	return true;
}
