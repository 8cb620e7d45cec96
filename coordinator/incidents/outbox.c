/* outbox: durable notifications and the thread that delivers them.
 *
 * The loop's side is one INSERT in its own turn (outbox_add) and an eventfd
 * write (outbox_wake). Everything else happens on the sender thread, which
 * owns its own SQLite connection to the store's file, a curl multi handle
 * and up to OUTBOX_INFLIGHT_MAX transfers. A turn of the sender:
 *
 *   1. record outcomes that could not be written last turn (store busy);
 *   2. scan the due rows in id order and start a transfer for each that may
 *      go now (a free slot, its channel under OUTBOX_INFLIGHT_PER_CHANNEL,
 *      no earlier row of its incident and channel pending), or give it up
 *      (unknown channel, too old, cannot be rendered);
 *   3. wait in curl_multi_poll on the transfers and the eventfd, at most
 *      until the next row is due or OUTBOX_IDLE_MS;
 *   4. record each finished transfer's outcome, one small UPDATE each.
 *
 * Delivery is at least once: a 2xx whose UPDATE never lands (a crash in
 * between) is sent again after a restart, with the same Idempotency-Key
 * ("rota-<id>") so a receiver can drop the copy; PagerDuty dedups by
 * dedup_key on its own.
 *
 * Must never: block the loop (it never waits on this thread but for the
 * join in outbox_stop), deliver a row that was not committed (it reads
 * through its own connection, which sees only committed rows), or write a
 * URL or key into the store or the log. */
#include "outbox.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "duration.h"
#include "log.h"
#include "xalloc.h"

int
outbox_add(store_t *s, const outbox_item_t *item, int64_t now_ms)
{
	if (item->channel == NULL || item->kind == NULL) {
		log_error("outbox: a notice without a channel or a kind (%s, %s)",
		          item->channel ? item->channel : "-", item->kind ? item->kind : "-");
		return -1;
	}
	if (store_begin(s) != 0)
		return -1;
	return store_outbox_add(s, item, now_ms);
}

typedef enum {
	OUTCOME_NONE = 0, /* in flight */
	OUTCOME_DELIVERED,
	OUTCOME_RETRY,
	OUTCOME_GIVE_UP,
} outcome_kind_t;

/* One slot: a transfer in flight, or an outcome not yet written. */
typedef struct {
	bool used;
	int64_t id;
	size_t channel; /* index into outbox_t.channels */
	int64_t created_ms;
	int64_t attempts;           /* before this one */
	CURL *easy;                 /* owned; NULL once finished */
	struct curl_slist *headers; /* owned */
	char *body;                 /* owned: CURLOPT_POSTFIELDS points into it */
	size_t sent;                /* e-mail: bytes of body read by curl so far */
	char errbuf[CURL_ERROR_SIZE];
	char reply[OUTBOX_REPLY_KEEP + 1]; /* the head of the answer, for last_error */
	size_t reply_len;
	/* The outcome, once finished, until its UPDATE lands. */
	outcome_kind_t outcome;
	long status;
	int64_t at_ms;
	int64_t next_ms;
	char error[256];
} slot_t;

/* A row the scan chose to act on, copied out before the scan's statement is
 * reset (updating rows under a running SELECT is what SQLite leaves
 * undefined). */
typedef struct {
	notice_t n;       /* strings point into the owned copies below */
	char *strings[5]; /* owned: incident_id, kind, title, text, hosts */
	char *channel;    /* owned */
	char *last_error; /* owned */
	int64_t attempts;
	size_t channel_index; /* valid when known */
	bool known;
} due_t;

struct outbox {
	/* Config, owned copies. */
	char *store_target;        /* owned */
	char *store_password_file; /* owned; may be NULL */
	channel_t *channels;       /* owned, channel_count of them */
	size_t channel_count;
	char *link_base; /* owned; may be NULL */
	int64_t give_up_ms, backoff_ms, max_backoff_ms, timeout_ms;

	int wake_fd; /* eventfd: outbox_wake writes, the sender drains */
	pthread_t thread;
	atomic_bool stop;
	atomic_uint_fast64_t delivered, failures, given_up;

	/* The sender thread's alone after start. */
	store_outbox_t *db;   /* owned: its own connection to the store's file */
	CURLM *multi;         /* owned */
	size_t *channel_busy; /* owned: channel_count counters, scratch for scan_due */
	slot_t slots[OUTBOX_INFLIGHT_MAX];
	unsigned seed; /* for rand_r: jitter */
};

/* curl_global_init is not thread-safe before 7.84 and is reference counted:
 * outbox_start calls it once per start (from the loop's thread, before the
 * sender exists) and outbox_stop balances it. */
static pthread_mutex_t outbox_curl_lock = PTHREAD_MUTEX_INITIALIZER;

static void
config_free(outbox_t *o)
{
	free(o->store_target);
	free(o->store_password_file);
	for (size_t i = 0; i < o->channel_count; i++)
		channel_clear(&o->channels[i]);
	free(o->channels);
	free(o->link_base);
	free(o->channel_busy);
}

static int
record_give_up(outbox_t *o, int64_t id, int64_t now_ms, bool attempted, long status,
               const char *error)
{
	if (store_outbox_give_up(o->db, id, now_ms, attempted, status, error) != 0)
		return -1;
	atomic_fetch_add(&o->given_up, 1);
	log_warn("outbox: gave up on notice %" PRId64 ": %s", id, error);
	return 0;
}

/* Writes a finished slot's outcome; the slot is freed once it landed. A
 * failed write keeps the slot (and so the row out of the next scans), and
 * is tried again next turn. */
static void
slot_record(outbox_t *o, slot_t *sl)
{
	int rc = -1;
	switch (sl->outcome) {
	case OUTCOME_NONE:
		return;
	case OUTCOME_DELIVERED:
		rc = store_outbox_delivered(o->db, sl->id, sl->at_ms, sl->status);
		break;
	case OUTCOME_RETRY:
		rc = store_outbox_retry(o->db, sl->id, sl->status, sl->error, sl->next_ms);
		break;
	case OUTCOME_GIVE_UP:
		rc = record_give_up(o, sl->id, sl->at_ms, true, sl->status, sl->error);
		break;
	}
	if (rc != 0)
		return;
	if (sl->outcome == OUTCOME_DELIVERED)
		atomic_fetch_add(&o->delivered, 1);
	free(sl->body);
	curl_slist_free_all(sl->headers);
	memset(sl, 0, sizeof(*sl));
}

/* Keeps the head of an answer's body, printable only, for last_error (Slack
 * says why in it: "invalid_token", "channel_is_archived"). */
static size_t
on_reply(char *data, size_t size, size_t nmemb, void *cls)
{
	slot_t *sl = cls;
	size_t n = size * nmemb;
	for (size_t i = 0; i < n && sl->reply_len < OUTBOX_REPLY_KEEP; i++) {
		unsigned char ch = (unsigned char)data[i];
		sl->reply[sl->reply_len++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	sl->reply[sl->reply_len] = '\0';
	return n;
}

/* The first retry waits backoff_ms, each next one twice as long up to
 * max_backoff_ms; the wait is drawn from [d/2, d] so that notices that
 * failed together do not all come back together. */
static int64_t
backoff(outbox_t *o, int64_t attempts)
{
	int64_t d = o->backoff_ms;
	for (int64_t i = 1; i < attempts && d < o->max_backoff_ms; i++)
		d *= 2;
	if (d > o->max_backoff_ms)
		d = o->max_backoff_ms;
	int64_t half = d / 2;
	return d - half + (half > 0 ? (int64_t)rand_r(&o->seed) % (half + 1) : 0);
}

/* Works out a finished transfer's outcome from curl's result. */
static void
slot_finish(outbox_t *o, slot_t *sl, CURLcode result)
{
	int64_t now = clock_wall_ms();
	long status = 0;
	curl_off_t retry_after = 0;
	if (result == CURLE_OK) {
		curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
		/* Seconds, from either form of the header (curl works out an
		 * HTTP-date against its clock); 0 without one. */
		curl_easy_getinfo(sl->easy, CURLINFO_RETRY_AFTER, &retry_after);
	}
	curl_multi_remove_handle(o->multi, sl->easy);
	curl_easy_cleanup(sl->easy);
	sl->easy = NULL;
	sl->status = status;
	sl->at_ms = now;
	const channel_t *c = &o->channels[sl->channel];
	if (result == CURLE_OK && status >= 200 && status < 300) {
		sl->outcome = OUTCOME_DELIVERED;
		log_debug("outbox: notice %" PRId64 " delivered to %s (HTTP %ld)", sl->id, c->name,
		          status);
		return;
	}
	atomic_fetch_add(&o->failures, 1);
	if (result != CURLE_OK) {
		/* curl's own words for what went wrong: errbuf names the host at
		 * most, never the path, where a webhook's secret lives. Fall back
		 * to the generic text when it is empty. */
		snprintf(sl->error, sizeof(sl->error), "%s",
		         sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(result));
	} else {
		while (sl->reply_len > 0 && sl->reply[sl->reply_len - 1] == ' ')
			sl->reply[--sl->reply_len] = '\0'; /* the newline most bodies end with */
		if (sl->reply_len > 0)
			snprintf(sl->error, sizeof(sl->error), "HTTP %ld: %s", status, sl->reply);
		else
			snprintf(sl->error, sizeof(sl->error), "HTTP %ld", status);
	}
	/* A 3xx or a 4xx other than 408 and 429 says the request itself is
	 * wrong (a bad key, an archived channel, a moved URL we do not follow):
	 * sending it again cannot help. */
	bool retry =
	    result != CURLE_OK || status >= 500 || status == 429 || status == 408 || status < 200;
	if (!retry) {
		sl->outcome = OUTCOME_GIVE_UP;
		return;
	}
	sl->outcome = OUTCOME_RETRY;
	int64_t wait = retry_after > 0 ? (int64_t)retry_after * 1000 : backoff(o, sl->attempts + 1);
	sl->next_ms = now + wait;
	/* Never later than the give-up age: the row is looked at then and
	 * given up on, not left waiting out a long Retry-After. */
	if (sl->next_ms > sl->created_ms + o->give_up_ms)
		sl->next_ms = sl->created_ms + o->give_up_ms;
	log_info("outbox: notice %" PRId64 " to %s failed (%s), attempt %" PRId64
	         "; next in %" PRId64 " ms",
	         sl->id, c->name, sl->error, sl->attempts + 1, sl->next_ms - now);
}

static slot_t *
slot_free(outbox_t *o)
{
	for (size_t i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
		if (!o->slots[i].used)
			return &o->slots[i];
	return NULL;
}

/* curl reads an e-mail's message from the slot's body. */
static size_t
on_mail_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	slot_t *sl = ctx;
	size_t left = strlen(sl->body) - sl->sent;
	size_t n = size * nitems < left ? size * nitems : left;
	memcpy(buf, sl->body + sl->sent, n);
	sl->sent += n;
	return n;
}

/* An e-mail over SMTP (smtp:// or smtps://): the envelope's sender and
 * recipient, the message uploaded from the body. The server's last reply
 * (250 once the message is taken) is the status, read like HTTP's. */
static int
slot_start_mail(outbox_t *o, slot_t *sl, const channel_t *c)
{
	sl->headers = curl_slist_append(NULL, c->mail_to);
	if (sl->headers == NULL)
		return -1;
	CURL *e = sl->easy;
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, c->mail_from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, sl->headers);
	if (c->mail_user != NULL) {
		curl_easy_setopt(e, CURLOPT_USERNAME, c->mail_user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->mail_password ? c->mail_password : "");
	}
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_mail_read);
	curl_easy_setopt(e, CURLOPT_READDATA, sl);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)strlen(sl->body));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, sl);
	return 0;
}

/* A slot whose transfer could not start, emptied: its handle, body and
 * headers freed. */
static void
slot_undo(slot_t *sl)
{
	curl_easy_cleanup(sl->easy);
	free(sl->body);
	curl_slist_free_all(sl->headers);
	memset(sl, 0, sizeof(*sl));
}

/* Hands sl's transfer to curl and marks the slot used; -1 (the slot
 * undone) when curl refuses it. */
static int
slot_add(outbox_t *o, slot_t *sl)
{
	if (curl_multi_add_handle(o->multi, sl->easy) != CURLM_OK) {
		slot_undo(sl);
		return -1;
	}
	sl->used = true;
	return 0;
}

/* Starts the transfer of d on a free slot; -1 when curl refused (the row
 * stays due and is tried next turn). Takes nothing from d. */
static int
slot_start(outbox_t *o, slot_t *sl, const due_t *d, char **body)
{
	const channel_t *c = &o->channels[d->channel_index];
	memset(sl, 0, sizeof(*sl));
	sl->id = d->n.id;
	sl->channel = d->channel_index;
	sl->created_ms = d->n.created_ms;
	sl->attempts = d->attempts;
	sl->easy = curl_easy_init();
	if (sl->easy == NULL)
		return -1;
	if (c->kind == CHANNEL_EMAIL) {
		sl->body = *body;
		*body = NULL;
		if (slot_start_mail(o, sl, c) != 0) {
			slot_undo(sl);
			return -1;
		}
		return slot_add(o, sl);
	}
	char key[64];
	snprintf(key, sizeof(key), "Idempotency-Key: rota-%" PRId64, d->n.id);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h2 = h ? curl_slist_append(h, key) : NULL;
	/* An empty Expect: curl would otherwise wait up to a second for a
	 * "100 Continue" before sending a body over 1 KiB. */
	struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
	if (h3 == NULL) {
		curl_slist_free_all(h);
		slot_undo(sl);
		return -1;
	}
	sl->headers = h3;
	sl->body = *body;
	*body = NULL;
	CURL *e = sl->easy;
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, sl->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(sl->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "rota/" ROTA_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(e, CURLOPT_PRIVATE, sl);
	return slot_add(o, sl);
}

static void
due_clear(due_t *d)
{
	for (size_t i = 0; i < 5; i++)
		free(d->strings[i]);
	free(d->channel);
	free(d->last_error);
	memset(d, 0, sizeof(*d));
}

static bool
in_flight(const outbox_t *o, int64_t id)
{
	for (size_t i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
		if (o->slots[i].used && o->slots[i].id == id)
			return true;
	return false;
}

static bool
channel_find(const outbox_t *o, const char *name, size_t *index)
{
	for (size_t i = 0; i < o->channel_count; i++)
		if (strcmp(o->channels[i].name, name) == 0) {
			*index = i;
			return true;
		}
	return false;
}

/* Copies the scan's current row into d. */
static void
due_read(outbox_t *o, const store_outbox_row_t *row, due_t *d)
{
	d->n.id = row->id;
	const char *const strings[5] = {row->incident_id, row->kind, row->title, row->text,
	                                row->hosts};
	for (int i = 0; i < 5; i++)
		d->strings[i] = xstrdup(strings[i]);
	d->n.incident_id = d->strings[0];
	d->n.kind = d->strings[1];
	d->n.title = d->strings[2];
	d->n.text = d->strings[3];
	d->n.hosts = d->strings[4];
	d->n.severity = row->severity;
	d->n.created_ms = row->created_ms;
	d->channel = xstrdup(row->channel ? row->channel : "");
	d->attempts = row->attempts;
	d->last_error = xstrdup(row->last_error);
	d->known = channel_find(o, d->channel, &d->channel_index);
}

/* Acts on one chosen row: gives it up or starts its transfer. */
static void
due_act(outbox_t *o, due_t *d, int64_t now)
{
	if (!d->known) {
		char *why = xasprintf("channel %s is not configured", d->channel);
		record_give_up(o, d->n.id, now, false, 0, why);
		free(why);
		return;
	}
	if (now >= d->n.created_ms + o->give_up_ms) {
		char age[32];
		duration_format(now - d->n.created_ms, age, sizeof(age));
		char *why = xasprintf("gave up after %" PRId64 " attempt%s over %s: %s",
		                      d->attempts, d->attempts == 1 ? "" : "s", age,
		                      d->last_error[0] ? d->last_error : "never sent");
		record_give_up(o, d->n.id, now, false, 0, why);
		free(why);
		return;
	}
	const channel_t *c = &o->channels[d->channel_index];
	char *body = channel_render(c, &d->n, o->link_base); /* owned until slot_start takes it */
	if (body == NULL) {
		char *why =
		    xasprintf("a %s notice cannot be sent to channel %s", d->n.kind, c->name);
		record_give_up(o, d->n.id, now, false, 0, why);
		free(why);
		return;
	}
	slot_t *sl = slot_free(o);
	if (sl == NULL || slot_start(o, sl, d, &body) != 0)
		log_error("outbox: cannot start the transfer of notice %" PRId64, d->n.id);
	free(body);
}

/* What one scan has chosen so far (scan_due). */
typedef struct {
	outbox_t *o;
	int64_t now;
	due_t chosen[OUTBOX_INFLIGHT_MAX + OUTBOX_SCAN_GIVE_UP_MAX];
	size_t count, starts, give_ups, free_slots;
	size_t *per_channel; /* borrowed: o->channel_busy */
} scan_t;

/* One due row of the scan: chosen (copied) or passed over. True stops the
 * scan once every free slot and every give-up of the turn is spoken for. */
static bool
scan_row(void *ctx, const store_outbox_row_t *row)
{
	scan_t *sc = ctx;
	outbox_t *o = sc->o;
	if (in_flight(o, row->id))
		return false;
	size_t ci = 0;
	bool known = row->channel != NULL && channel_find(o, row->channel, &ci);
	bool old = sc->now >= row->created_ms + o->give_up_ms;
	if (!known || old) {
		if (sc->give_ups == OUTBOX_SCAN_GIVE_UP_MAX)
			return false; /* next turn */
		due_read(o, row, &sc->chosen[sc->count++]);
		sc->give_ups++;
		return false;
	}
	if (sc->starts == sc->free_slots || sc->per_channel[ci] >= OUTBOX_INFLIGHT_PER_CHANNEL)
		return false;
	due_read(o, row, &sc->chosen[sc->count++]);
	sc->per_channel[ci]++;
	sc->starts++;
	return sc->starts == sc->free_slots && sc->give_ups == OUTBOX_SCAN_GIVE_UP_MAX;
}

/* Step 2 of a turn. The scan is O(due rows) each turn, since rows over a
 * channel's limit are skipped rather than left to block the others; a
 * backlog large enough for that to matter is a dead receiver, and those
 * rows give up by age. The chosen rows are acted on after the scan:
 * updating rows under a running SELECT is what SQLite leaves undefined. */
static void
scan_due(outbox_t *o, int64_t now)
{
	scan_t sc = {.o = o, .now = now, .per_channel = o->channel_busy};
	memset(sc.per_channel, 0, o->channel_count * sizeof(*sc.per_channel));
	for (size_t i = 0; i < OUTBOX_INFLIGHT_MAX; i++) {
		if (!o->slots[i].used)
			sc.free_slots++;
		else
			sc.per_channel[o->slots[i].channel]++;
	}
	store_outbox_due(o->db, now, scan_row, &sc); /* an error is logged there */
	for (size_t i = 0; i < sc.count; i++) {
		due_act(o, &sc.chosen[i], now);
		due_clear(&sc.chosen[i]);
	}
}

/* How long the sender may sleep: until the next row is due, at most
 * OUTBOX_IDLE_MS (rows committed without a wake, outcomes to write again). */
static int
idle_ms(outbox_t *o, int64_t now)
{
	int64_t wait = OUTBOX_IDLE_MS;
	int64_t next_ms;
	if (store_outbox_next(o->db, now, &next_ms) == 1 && next_ms - now < wait)
		wait = next_ms - now;
	return wait < 0 ? 0 : (int)wait;
}

static void *
sender(void *arg)
{
	outbox_t *o = arg;
	while (!atomic_load(&o->stop)) {
		for (size_t i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
			if (o->slots[i].used && o->slots[i].easy == NULL)
				slot_record(o, &o->slots[i]);
		int64_t now = clock_wall_ms();
		scan_due(o, now);

		struct curl_waitfd wake = {.fd = o->wake_fd, .events = CURL_WAIT_POLLIN};
		int ready = 0;
		if (curl_multi_poll(o->multi, &wake, 1, idle_ms(o, now), &ready) != CURLM_OK)
			log_error("outbox: curl_multi_poll failed");
		if (wake.revents != 0) {
			uint64_t n;
			if (read(o->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				log_error("outbox: reading the wake fd: %s", strerror(errno));
		}
		if (atomic_load(&o->stop))
			break;
		int running = 0;
		curl_multi_perform(o->multi, &running);
		CURLMsg *msg;
		int left = 0;
		while ((msg = curl_multi_info_read(o->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			slot_t *sl = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			/* msg is invalid once its handle is removed: take the result first. */
			CURLcode result = msg->data.result;
			slot_finish(o, sl, result);
			slot_record(o, sl);
		}
	}
	/* Abandoned transfers: their rows are still pending in the table and
	 * go out after the next start. */
	for (size_t i = 0; i < OUTBOX_INFLIGHT_MAX; i++) {
		slot_t *sl = &o->slots[i];
		if (!sl->used)
			continue;
		if (sl->easy != NULL) {
			curl_multi_remove_handle(o->multi, sl->easy);
			curl_easy_cleanup(sl->easy);
		} else
			slot_record(o, sl); /* a last try at an outcome already known */
		free(sl->body);
		curl_slist_free_all(sl->headers);
		memset(sl, 0, sizeof(*sl));
	}
	return NULL;
}

/* Everything outbox_start set up, once the thread is not running. */
static void
outbox_free(outbox_t *o)
{
	if (o->multi != NULL)
		curl_multi_cleanup(o->multi);
	store_outbox_close(&o->db);
	if (o->wake_fd >= 0)
		close(o->wake_fd);
	pthread_mutex_lock(&outbox_curl_lock);
	curl_global_cleanup();
	pthread_mutex_unlock(&outbox_curl_lock);
	config_free(o);
	free(o);
}

outbox_t *
outbox_start(const outbox_config_t *cfg, char **error)
{
	*error = NULL;
	outbox_t *o = xcalloc(1, sizeof(*o)); /* owned: returned, or freed on failure */
	o->wake_fd = -1;
	o->store_target = xstrdup(cfg->store.target);
	o->store_password_file = xstrdup(cfg->store.password_file);
	o->link_base = xstrdup(cfg->link_base);
	o->channels = xcalloc(cfg->channel_count ? cfg->channel_count : 1, sizeof(channel_t));
	o->channel_count = cfg->channel_count;
	o->channel_busy = xcalloc(cfg->channel_count ? cfg->channel_count : 1, sizeof(size_t));
	for (size_t i = 0; i < cfg->channel_count; i++) {
		const channel_t *c = &cfg->channels[i];
		o->channels[i].name = xstrdup(c->name ? c->name : "");
		o->channels[i].kind = c->kind;
		o->channels[i].url = xstrdup(
		    c->url ? c->url : (c->kind == CHANNEL_PAGERDUTY ? CHANNEL_PAGERDUTY_URL : ""));
		o->channels[i].routing_key = xstrdup(c->routing_key);
		o->channels[i].mention = xstrdup(c->mention);
		o->channels[i].mail_to = xstrdup(c->mail_to);
		o->channels[i].mail_from = xstrdup(c->mail_from);
		o->channels[i].mail_user = xstrdup(c->mail_user);
		o->channels[i].mail_password = xstrdup(c->mail_password);
	}
	o->give_up_ms = cfg->give_up_ms > 0 ? cfg->give_up_ms : OUTBOX_GIVE_UP_MS;
	o->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : OUTBOX_BACKOFF_MS;
	o->max_backoff_ms = cfg->max_backoff_ms > 0 ? cfg->max_backoff_ms : OUTBOX_MAX_BACKOFF_MS;
	if (o->max_backoff_ms < o->backoff_ms)
		o->max_backoff_ms = o->backoff_ms;
	o->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : OUTBOX_TIMEOUT_MS;
	/* Read the wall clock's test offset here, before a second thread can
	 * race for its lazy first read. */
	o->seed = (unsigned)clock_wall_ms() ^ (unsigned)getpid();

	pthread_mutex_lock(&outbox_curl_lock);
	CURLcode crc = curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_unlock(&outbox_curl_lock);
	if (crc != CURLE_OK) {
		*error = xasprintf("outbox: curl_global_init: %s", curl_easy_strerror(crc));
		config_free(o);
		free(o);
		return NULL;
	}
	o->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (o->wake_fd < 0)
		*error = xasprintf("outbox: eventfd: %s", strerror(errno));
	else if ((o->db =
	              store_outbox_open(&(store_options_t){.target = o->store_target,
	                                                   .password_file = o->store_password_file},
	                                OUTBOX_BUSY_TIMEOUT_MS, error)) == NULL)
		; /* *error set */
	else if ((o->multi = curl_multi_init()) == NULL)
		*error = xstrdup("outbox: curl_multi_init failed");
	else {
		int rc = pthread_create(&o->thread, NULL, sender, o);
		if (rc == 0)
			return o;
		*error = xasprintf("outbox: cannot start the sender thread: %s", strerror(rc));
	}
	outbox_free(o);
	return NULL;
}

void
outbox_wake(outbox_t *o)
{
	if (o == NULL)
		return;
	uint64_t one = 1;
	/* EAGAIN: the counter is full, so the sender is already due to wake. */
	if (write(o->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("outbox: waking the sender: %s", strerror(errno));
}

void
outbox_stats(outbox_t *o, outbox_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (o == NULL)
		return;
	out->delivered = atomic_load(&o->delivered);
	out->failures = atomic_load(&o->failures);
	out->given_up = atomic_load(&o->given_up);
}

void
outbox_stop(outbox_t **op)
{
	outbox_t *o = *op;
	if (o == NULL)
		return;
	atomic_store(&o->stop, true);
	outbox_wake(o);
	int rc = pthread_join(o->thread, NULL);
	if (rc != 0)
		log_error("outbox: joining the sender: %s", strerror(rc));
	outbox_free(o);
	*op = NULL;
}
