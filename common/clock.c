/* clock: wall and monotonic milliseconds. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t
clock_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The offset ROTA_FAKE_NOW asks for, read once: tests start a coordinator
 * "at 09:59:57" to see a schedule fire without waiting for the real minute. */
static int64_t clock_offset_ms;
static int clock_offset_read;

static void
clock_offset_init(void)
{
	clock_offset_read = 1;
	const char *fake = getenv("ROTA_FAKE_NOW");
	if (fake == NULL || fake[0] == '\0')
		return;
	struct tm tm = {0};
	char *end = strptime(fake, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return;
	clock_offset_ms = (int64_t)timegm(&tm) * 1000 - clock_real_ms();
}

int64_t
clock_wall_ms(void)
{
	if (!clock_offset_read)
		clock_offset_init();
	return clock_real_ms() + clock_offset_ms;
}

bool
clock_faked(void)
{
	if (!clock_offset_read)
		clock_offset_init();
	return clock_offset_ms != 0;
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A clock in microseconds; 0 where it cannot be read. */
static int64_t
clock_read_us(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_mono_us(void)
{
	return clock_read_us(CLOCK_MONOTONIC);
}

int64_t
clock_thread_cpu_us(void)
{
	return clock_read_us(CLOCK_THREAD_CPUTIME_ID);
}

void
clock_format(int64_t wall_ms, char *buf, unsigned long len)
{
	if (wall_ms <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}
