/* spool: the worker's durable memory, a SQLite file in --spool DIR.
 *
 * Every Result is written here before it is sent and deleted only when the
 * coordinator acknowledges it, so a result survives a lost connection, a
 * coordinator restart and the worker's own restart. Output chunks are kept
 * the same way until an OutputAck (or the ResultAck of their step) says the
 * coordinator has them. The spool also records every step attempt the
 * worker started, so it never starts one twice.
 *
 * Must never: hold more output for a step than the worker sent for it (the
 * caller sends at most the step's output_limit bytes, so that bounds it). */
#ifndef ROTA_SPOOL_H
#define ROTA_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct spool spool_t;

/* Opens DIR/spool.db, creating DIR (0700) and the file. NULL with *error. */
spool_t *spool_open(const char *dir, char **error);
void spool_close(spool_t **sp);

/* key is the step key in text form (see agent_link_keytext, agent_internal.h). */
int spool_put(spool_t *s, const char *key, const uint8_t *result, size_t len);
int spool_delete(spool_t *s, const char *key);
/* Calls fn for each spooled result in the order they were written; stops
 * when fn returns non-zero. */
int spool_each(spool_t *s, int (*fn)(void *ctx, const char *key, const uint8_t *data, size_t len),
               void *ctx);
size_t spool_count(spool_t *s);
/* The spooled result under key in a new buffer the caller frees, or NULL. */
uint8_t *spool_get(spool_t *s, const char *key, size_t *len);

/* Records that an attempt was started; returns 1 if it already was. */
int spool_mark_started(spool_t *s, const char *key);

/* The process group a started attempt runs in, and its leader's start time
 * (executor_proc_starttime), so a worker restarted after a SIGKILL can find
 * and stop what its previous process left running. Joins the group of
 * writes: a worker that dies before it commits leaves the group unknown,
 * as an old spool did. spool_put forgets it (the attempt is over);
 * spool_forget_process does so explicitly. */
int spool_mark_process(spool_t *s, const char *key, int64_t pgid, uint64_t starttime);
int spool_forget_process(spool_t *s, const char *key);
/* Calls fn for each started attempt with a process group recorded and no
 * result spooled, oldest first; stops when fn returns non-zero. fn must not
 * write to the spool. started_ms is when the start was recorded (wall). */
int spool_process_each(spool_t *s,
                       int (*fn)(void *ctx, const char *key, int64_t pgid, uint64_t starttime,
                                 int64_t started_ms),
                       void *ctx);

/* Output chunks. chunk is opaque here (the agent stores a packed Output);
 * (key, seq) is unique and putting one again replaces it. */
int spool_output_put(spool_t *s, const char *key, uint64_t seq, const uint8_t *chunk, size_t len);
/* Forgets the chunks of key with a seq <= seq (a cumulative OutputAck). */
int spool_output_ack(spool_t *s, const char *key, uint64_t seq);
/* Forgets every chunk of key (its ResultAck). */
int spool_output_drop(spool_t *s, const char *key);
/* Calls fn for every chunk held, by key and then by seq; stops when fn
 * returns non-zero. fn must not write to the spool. */
int spool_output_each(spool_t *s,
                      int (*fn)(void *ctx, const char *key, uint64_t seq, const uint8_t *chunk,
                                size_t len),
                      void *ctx);
/* How many chunks are held and their bytes in all (key NULL), or of key. */
size_t spool_output_count(spool_t *s, const char *key, uint64_t *bytes);

/* Groups the writes that may wait (output chunks, acks, spool_delete) into
 * one transaction, one fsync, until spool_commit; the worker wraps each loop
 * turn in one. spool_put and spool_mark_started commit the group's writes
 * first and are durable when they return: a result before it is sent, a
 * start before the step runs. A chunk may leave before its group commits:
 * a worker that dies in that window loses it, but the step with it (its
 * pipes close, the coordinator marks it lost). spool_close commits. */
int spool_begin(spool_t *s);
int spool_commit(spool_t *s);
/* Commits what the group holds now and stays in the group: -1 when that
 * failed (the group's writes are gone; spool_error says why). */
int spool_sync(spool_t *s);

/* Why the spool's last write failed ("spool write failed: No space left on
 * device"), or "" when the last one was durable. Borrowed until the next
 * call. Failures are logged here, once per SPOOL_LOG_INTERVAL_MS with a
 * count. */
#define SPOOL_LOG_INTERVAL_MS 10000
const char *spool_error(const spool_t *s);

#endif
