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
#include <sqlite3.h>
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
#include "store/store_sql.h"
#include "xalloc.h"

static const char SQL_ADD[] =
    "INSERT INTO outbox (incident_id, channel, kind, severity, title, text, hosts,"
    " created_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* Due rows in id order; a row waits while an earlier row of its incident on
 * its channel is pending, so PagerDuty sees trigger before resolve. A notice
 * outside an incident (incident_id NULL) waits for nothing. */
static const char SQL_DUE[] =
    "SELECT id, COALESCE(incident_id, ''), channel, kind, severity, title, text, hosts,"
    " created_ms, attempts, COALESCE(last_error, '') FROM outbox o"
    " WHERE delivered_ms = 0 AND given_up_ms = 0 AND next_ms <= ?1"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.incident_id = o.incident_id"
    "   AND p.channel = o.channel AND p.id < o.id"
    "   AND p.delivered_ms = 0 AND p.given_up_ms = 0)"
    " ORDER BY id";
static const char SQL_NEXT[] = "SELECT MIN(next_ms) FROM outbox"
                               " WHERE delivered_ms = 0 AND given_up_ms = 0 AND next_ms > ?1";
static const char SQL_DELIVERED[] =
    "UPDATE outbox SET delivered_ms = ?2, attempts = attempts + 1, last_status = ?3"
    " WHERE id = ?1";
static const char SQL_RETRY[] =
    "UPDATE outbox SET attempts = attempts + 1, last_status = ?2, last_error = ?3,"
    " next_ms = ?4 WHERE id = ?1";
/* ?5: 1 when this outcome was an attempt (a 4xx), 0 for a give-up by age or
 * configuration, where nothing was sent. */
static const char SQL_GIVE_UP[] =
    "UPDATE outbox SET given_up_ms = ?2, attempts = attempts + ?5,"
    " last_status = CASE WHEN ?5 THEN ?3 ELSE last_status END, last_error = ?4"
    " WHERE id = ?1";

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
	sqlite3_stmt *st = store_stmt(s, SQL_ADD);
	if (st == NULL)
		return -1;
	if (item->incident_id != NULL && item->incident_id[0] != '\0')
		sqlite3_bind_text(st, 1, item->incident_id, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_text(st, 2, item->channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, item->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, item->severity);
	sqlite3_bind_text(st, 5, item->title ? item->title : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, item->text ? item->text : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, item->hosts ? item->hosts : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, now_ms);
	sqlite3_bind_int64(st, 9, now_ms); /* due at once */
	return store_stmt_done(s, st);
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
	char *db_path;
	channel_t *channels; /* owned, channel_count of them */
	size_t channel_count;
	char *link_base; /* owned; may be NULL */
	int64_t give_up_ms, backoff_ms, max_backoff_ms, timeout_ms;

	int wake_fd; /* eventfd: outbox_wake writes, the sender drains */
	pthread_t thread;
	atomic_bool stop;
	atomic_uint_fast64_t delivered, failures, given_up;

	/* The sender thread's alone after start. */
	sqlite3 *db;                                                      /* owned */
	sqlite3_stmt *q_due, *q_next, *u_delivered, *u_retry, *u_give_up; /* owned */
	CURLM *multi;                                                     /* owned */
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
	free(o->db_path);
	for (size_t i = 0; i < o->channel_count; i++)
		channel_clear(&o->channels[i]);
	free(o->channels);
	free(o->link_base);
	free(o->channel_busy);
}

static void
db_close(outbox_t *o)
{
	sqlite3_finalize(o->q_due);
	sqlite3_finalize(o->q_next);
	sqlite3_finalize(o->u_delivered);
	sqlite3_finalize(o->u_retry);
	sqlite3_finalize(o->u_give_up);
	sqlite3_close(o->db);
	o->db = NULL;
}

/* Opens the sender's own connection and prepares its statements; -1 with
 * *error (caller frees). */
static int
db_open(outbox_t *o, char **error)
{
	/* NOMUTEX: the connection is only ever used by one thread at a time
	 * (opened here, then handed to the sender). */
	if (sqlite3_open_v2(o->db_path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		*error = xasprintf("outbox: cannot open %s: %s", o->db_path,
		                   o->db ? sqlite3_errmsg(o->db) : "out of memory");
		db_close(o);
		return -1;
	}
	sqlite3_busy_timeout(o->db, OUTBOX_BUSY_TIMEOUT_MS);
	struct {
		sqlite3_stmt **st;
		const char *sql;
	} stmts[] = {
	    {&o->q_due, SQL_DUE},
	    {&o->q_next, SQL_NEXT},
	    {&o->u_delivered, SQL_DELIVERED},
	    {&o->u_retry, SQL_RETRY},
	    {&o->u_give_up, SQL_GIVE_UP},
	};
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (sqlite3_prepare_v3(o->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
		                       stmts[i].st, NULL) != SQLITE_OK) {
			*error = xasprintf("outbox: %s: %s", o->db_path, sqlite3_errmsg(o->db));
			db_close(o);
			return -1;
		}
	return 0;
}

/* Steps an UPDATE; -1 (logged) when it did not land. */
static int
db_done(outbox_t *o, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		log_error("outbox: %s: %s", sqlite3_sql(st), sqlite3_errmsg(o->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static int
record_give_up(outbox_t *o, int64_t id, int64_t now_ms, bool attempted, long status,
               const char *error)
{
	sqlite3_stmt *st = o->u_give_up;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, status);
	sqlite3_bind_text(st, 4, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, attempted ? 1 : 0);
	if (db_done(o, st) != 0)
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
	sqlite3_stmt *st;
	switch (sl->outcome) {
	case OUTCOME_NONE:
		return;
	case OUTCOME_DELIVERED:
		st = o->u_delivered;
		sqlite3_bind_int64(st, 1, sl->id);
		sqlite3_bind_int64(st, 2, sl->at_ms);
		sqlite3_bind_int64(st, 3, sl->status);
		rc = db_done(o, st);
		break;
	case OUTCOME_RETRY:
		st = o->u_retry;
		sqlite3_bind_int64(st, 1, sl->id);
		sqlite3_bind_int64(st, 2, sl->status);
		sqlite3_bind_text(st, 3, sl->error, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, sl->next_ms);
		rc = db_done(o, st);
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
	char key[64];
	snprintf(key, sizeof(key), "Idempotency-Key: rota-%" PRId64, d->n.id);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h2 = h ? curl_slist_append(h, key) : NULL;
	/* An empty Expect: curl would otherwise wait up to a second for a
	 * "100 Continue" before sending a body over 1 KiB. */
	struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
	if (h3 == NULL) {
		curl_slist_free_all(h);
		curl_easy_cleanup(sl->easy);
		memset(sl, 0, sizeof(*sl));
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
	if (curl_multi_add_handle(o->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		free(sl->body);
		curl_slist_free_all(sl->headers);
		memset(sl, 0, sizeof(*sl));
		return -1;
	}
	sl->used = true;
	return 0;
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
due_read(outbox_t *o, sqlite3_stmt *st, due_t *d)
{
	d->n.id = sqlite3_column_int64(st, 0);
	for (int i = 0; i < 5; i++) {
		static const int cols[5] = {1, 3, 5, 6, 7};
		const char *v = (const char *)sqlite3_column_text(st, cols[i]);
		d->strings[i] = xstrdup(v ? v : "");
	}
	d->n.incident_id = d->strings[0];
	d->n.kind = d->strings[1];
	d->n.title = d->strings[2];
	d->n.text = d->strings[3];
	d->n.hosts = d->strings[4];
	d->n.severity = sqlite3_column_int(st, 4);
	d->n.created_ms = sqlite3_column_int64(st, 8);
	const char *ch = (const char *)sqlite3_column_text(st, 2);
	d->channel = xstrdup(ch ? ch : "");
	d->attempts = sqlite3_column_int64(st, 9);
	const char *le = (const char *)sqlite3_column_text(st, 10);
	d->last_error = xstrdup(le ? le : "");
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

/* Step 2 of a turn. The scan is O(due rows) each turn, since rows over a
 * channel's limit are skipped rather than left to block the others; a
 * backlog large enough for that to matter is a dead receiver, and those
 * rows give up by age. */
static void
scan_due(outbox_t *o, int64_t now)
{
	due_t chosen[OUTBOX_INFLIGHT_MAX + OUTBOX_SCAN_GIVE_UP_MAX];
	size_t count = 0, starts = 0, give_ups = 0;
	size_t free_slots = 0;
	size_t *per_channel = o->channel_busy; /* transfers per channel, this turn */
	memset(per_channel, 0, o->channel_count * sizeof(*per_channel));
	for (size_t i = 0; i < OUTBOX_INFLIGHT_MAX; i++) {
		if (!o->slots[i].used)
			free_slots++;
		else
			per_channel[o->slots[i].channel]++;
	}
	sqlite3_stmt *st = o->q_due;
	sqlite3_bind_int64(st, 1, now);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (in_flight(o, id))
			continue;
		const char *ch = (const char *)sqlite3_column_text(st, 2);
		size_t ci = 0;
		bool known = ch != NULL && channel_find(o, ch, &ci);
		bool old = now >= sqlite3_column_int64(st, 8) + o->give_up_ms;
		if (!known || old) {
			if (give_ups == OUTBOX_SCAN_GIVE_UP_MAX)
				continue; /* next turn */
			due_read(o, st, &chosen[count++]);
			give_ups++;
			continue;
		}
		if (starts == free_slots || per_channel[ci] >= OUTBOX_INFLIGHT_PER_CHANNEL)
			continue;
		due_read(o, st, &chosen[count++]);
		per_channel[ci]++;
		starts++;
		if (starts == free_slots && give_ups == OUTBOX_SCAN_GIVE_UP_MAX)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_error("outbox: reading due notices: %s", sqlite3_errmsg(o->db));
	sqlite3_reset(st);
	for (size_t i = 0; i < count; i++) {
		due_act(o, &chosen[i], now);
		due_clear(&chosen[i]);
	}
}

/* How long the sender may sleep: until the next row is due, at most
 * OUTBOX_IDLE_MS (rows committed without a wake, outcomes to write again). */
static int
idle_ms(outbox_t *o, int64_t now)
{
	int64_t wait = OUTBOX_IDLE_MS;
	sqlite3_stmt *st = o->q_next;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		int64_t next = sqlite3_column_int64(st, 0) - now;
		if (next < wait)
			wait = next;
	}
	sqlite3_reset(st);
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
	db_close(o);
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
	o->db_path = xstrdup(cfg->db_path);
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
	else if (db_open(o, error) != 0)
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
