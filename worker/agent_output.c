/* agent_output: a running step's output (agent_internal.h). Each read is
 * redacted first (the step's secrets become ****), then the head (the
 * first half of the step's output limit) is sent as it comes, chunk by
 * chunk, each kept in the spool until acknowledged; past the head, only the
 * last half-limit is kept (the tail) and sent when the step ends, after a
 * note of how much was dropped between. A check's first line is kept as its
 * summary.
 *
 * Must never: let unredacted bytes reach the spool, the socket, the tail
 * or a summary, or hold more than the step's limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "check.h"
#include "xalloc.h"

/* The spool lost (or could not take) output of running steps: each of
 * their Results will say so. */
void
agent_output_spool_failed(agent_t *a, agent_job_t *only)
{
	for (agent_job_t *j = a->jobs; j; j = j->next) {
		if (only && j != only)
			continue;
		free(j->spool_error);
		j->spool_error = xstrdup(spool_error(a->spool));
	}
}

/* Every Output chunk goes through here: kept in the spool (in the turn's
 * group) until the coordinator acknowledges it, and sent now when the
 * coordinator is there; the resend covers the rest. */
static void
agent_output_send(agent_t *a, agent_job_t *j, int stream, const uint8_t *data, size_t len,
                  bool truncated)
{
	Rota__StepKey key;
	agent_link_fill_key(a, j, &key);
	Rota__Output out = ROTA__OUTPUT__INIT;
	out.key = &key;
	out.stream = stream == 2 ? ROTA__STREAM__STREAM_STDERR : ROTA__STREAM__STREAM_STDOUT;
	out.seq = ++j->seq;
	out.data.data = (uint8_t *)data;
	out.data.len = len;
	out.truncated = truncated;
	size_t plen = rota__output__get_packed_size(&out);
	uint8_t *buf = xmalloc(plen ? plen : 1);
	rota__output__pack(&out, buf);
	j->chunk_bytes += len;
	/* A chunk the spool cannot keep is still sent: it is lost only if this
	 * send is, and then the Result's spool_error tells the coordinator it
	 * will never come and why (spool.c logs the failure). */
	if (spool_output_put(a->spool, j->keytext, out.seq, buf, plen) != 0)
		agent_output_spool_failed(a, j);
	free(buf);
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_OUTPUT;
	env.output = &out;
	if (a->state == AGENT_READY)
		agent_link_send(a, &env);
}

/* Keeps the first line of a check's report (its summary), however little
 * output the step may send: it becomes the Result's detail. */
static void
agent_output_keep_summary(agent_job_t *j, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len && !j->summary_done; i++) {
		if (data[i] == '\n')
			j->summary_done = true;
		else if (j->summary_len + 1 < sizeof(j->summary))
			j->summary[j->summary_len++] = (char)data[i];
	}
	j->summary[j->summary_len] = '\0';
	/* The last line: the check's recorded value when it is one. */
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (j->line_len + 1 < sizeof(j->line))
				j->line[j->line_len++] = (char)data[i];
			else
				j->line_long = true;
			continue;
		}
		j->line[j->line_len] = '\0';
		size_t plen = strlen(CHECK_VALUE_PREFIX);
		if (!j->line_long && strncmp(j->line, CHECK_VALUE_PREFIX, plen) == 0)
			snprintf(j->value, sizeof(j->value), "%s", j->line + plen);
		else
			j->value[0] = '\0';
		j->line_len = 0;
		j->line_long = false;
	}
}

/* Appends to the tail and drops its oldest bytes past the tail's room
 * (limit - head), counting them. */
static void
agent_output_tail_keep(agent_job_t *j, int stream, const uint8_t *data, size_t len)
{
	uint64_t room = j->limit - j->limit / 2;
	if (len == 0)
		return;
	if (len > room) {
		j->dropped += len - room;
		data += len - room;
		len = (size_t)room;
	}
	agent_tail_t *t = xmalloc(sizeof(*t) + len);
	t->stream = stream;
	t->len = len;
	t->off = 0;
	t->next = NULL;
	memcpy(t->data, data, len);
	if (j->tail_last)
		j->tail_last->next = t;
	else
		j->tail = t;
	j->tail_last = t;
	j->tail_bytes += len;
	while (j->tail_bytes > room) {
		agent_tail_t *old = j->tail;
		size_t have = old->len - old->off;
		size_t cut = j->tail_bytes - room < have ? (size_t)(j->tail_bytes - room) : have;
		old->off += cut;
		j->tail_bytes -= cut;
		j->dropped += cut;
		if (old->off == old->len) {
			j->tail = old->next;
			if (j->tail == NULL)
				j->tail_last = NULL;
			free(old);
		}
	}
}

void
agent_output_tail_free(agent_job_t *j)
{
	while (j->tail) {
		agent_tail_t *t = j->tail;
		j->tail = t->next;
		free(t);
	}
	j->tail_last = NULL;
	j->tail_bytes = 0;
}

/* At the end of a step that printed more than its limit: a note saying how
 * much was dropped between head and tail, then the tail, so the last lines
 * (where errors usually are) are kept. */
void
agent_output_tail_flush(agent_t *a, agent_job_t *j)
{
	if (!j->truncated)
		return;
	if (j->dropped > 0) {
		char note[160];
		int n =
		    snprintf(note, sizeof(note),
		             "\n[rota: %llu bytes of output dropped here; the first and the last"
		             " %llu bytes are kept]\n",
		             (unsigned long long)j->dropped, (unsigned long long)(j->limit / 2));
		agent_output_send(a, j, 1, (const uint8_t *)note, (size_t)n, true);
	}
	for (agent_tail_t *t = j->tail; t; t = t->next)
		agent_output_send(a, j, t->stream, t->data + t->off, t->len - t->off, false);
	agent_output_tail_free(j);
}

static void
agent_output_take(agent_t *a, agent_job_t *j, int stream, const uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	if (j->check && stream == 1)
		agent_output_keep_summary(j, data, len);
	uint64_t head = j->limit / 2;
	if (!j->truncated && j->sent_bytes + len > head) {
		/* Past the head: send what fits, keep the rest as tail. The
		 * pipes are still read, so the step never blocks on them. */
		size_t fit = (size_t)(head - j->sent_bytes);
		if (fit > 0)
			agent_output_send(a, j, stream, data, fit, false);
		j->sent_bytes = head;
		j->truncated = true;
		data += fit;
		len -= fit;
	}
	if (j->truncated) {
		agent_output_tail_keep(j, stream, data, len);
		return;
	}
	j->sent_bytes += len;
	agent_output_send(a, j, stream, data, len, false);
}

/* Output is redacted before anything else sees it: the spool, the socket,
 * the tail and a check's summary only ever hold the masked bytes. */
void
agent_output_feed(void *ctx, uint64_t job, int stream, const uint8_t *data, size_t len)
{
	agent_t *a = ctx;
	agent_job_t *j = agent_step_by_exec(a, job);
	if (j == NULL)
		return;
	redactor_t *r = stream == 1 || stream == 2 ? j->redact[stream - 1] : NULL;
	if (r == NULL) {
		agent_output_take(a, j, stream, data, len);
		return;
	}
	uint8_t *clean = NULL;
	size_t clean_len = 0;
	redactor_feed(r, data, len, &clean, &clean_len);
	agent_output_take(a, j, stream, clean, clean_len);
	free(clean);
}

/* The end of the step's streams: what the redactors held back. */
void
agent_output_flush_redacted(agent_t *a, agent_job_t *j)
{
	for (int s = 0; s < 2; s++) {
		if (j->redact[s] == NULL)
			continue;
		uint8_t *clean = NULL;
		size_t clean_len = 0;
		redactor_flush(j->redact[s], &clean, &clean_len);
		agent_output_take(a, j, s + 1, clean, clean_len);
		free(clean);
		redactor_destroy(&j->redact[s]);
	}
}
