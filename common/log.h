/* log: one line per event on stderr, with time, program and level.
 *
 * Daemons log to stderr and leave routing to systemd/journald. log_fatal is
 * for start-up failures only: it exits 1. */
#ifndef ROTA_LOG_H
#define ROTA_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* LOGL_OFF logs nothing: for a --check that prints its own findings. */
typedef enum { LOGL_DEBUG = 0, LOGL_INFO, LOGL_WARN, LOGL_ERROR, LOGL_OFF } log_level_t;

void log_init(const char *program, log_level_t level);
/* The name every line starts with from now on (borrowed: it must outlive
 * logging). Set it before any other thread logs. */
void log_set_program(const char *program);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *name, log_level_t *out);
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Buffers DEBUG and INFO lines (64 KiB, stdio) until log_flush; WARN and
 * ERROR lines, and the buffered ones before them, are written at once. For
 * a daemon whose loop logs per message: the coordinator wrote three INFO
 * lines a run, a write(2) each, 10 % of its main thread at 6,000 runs a
 * second. It calls log_flush before each wait for events, so a line is
 * late by one loop turn at most; a crash (SIGKILL, SIGSEGV) loses the
 * INFO lines of that turn. Call before the first line is logged. */
void log_buffer_lines(void);
void log_flush(void);

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOGL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)

/* A per-key rate limit for log lines caused by peers ("once per peer per
 * minute"): a fixed table, so a flood of distinct keys cannot grow memory;
 * the oldest slot is reused. The limiter as a whole also says at most
 * LOG_LIMIT_LINES lines an interval, whatever the keys: peers can make up
 * identities and keys faster than any per-key table can follow. Returns
 * true when the caller may log now; *suppressed is then how many lines
 * were left unsaid since the last one: this key's, and the limiter's
 * own that no line has reported yet. */
#define LOG_LIMIT_SLOTS 64
#define LOG_LIMIT_LINES 64
typedef struct {
	char key[64];
	int64_t last_ms;
	uint64_t suppressed;
} log_limit_slot_t;
typedef struct {
	log_limit_slot_t slots[LOG_LIMIT_SLOTS];
	int64_t window_ms; /* when the current interval's budget began */
	unsigned lines;    /* lines said in it */
	uint64_t overflow; /* lines the budget left unsaid, not yet reported */
} log_limit_t;

bool log_limit_allow(log_limit_t *limit, const char *key, int64_t now_ms, int64_t interval_ms,
                     uint64_t *suppressed);

#endif
