/* rota-check: runs one built-in check (http_check, disk_check,
 * metric_check) for rota-worker, and nothing else.
 *
 *   rota-check < packed-StepSpec
 *
 * The worker's check child execs this program with the step's StepSpec,
 * protobuf-packed, on stdin; the report goes to stdout and the verdict is
 * the exit status (check.h: 0 pass, 1 fail, 2 error), exactly what the
 * child returned when it ran the check itself. It exists so the worker
 * daemon does not link libcurl: libcurl and the TLS, Kerberos, LDAP and
 * SSH libraries it loads were 9 of the worker's 15 MiB of RSS
 * (docs/benchmarks.md). Timeouts, cancel and output are the executor's, as
 * before: this process is the child the executor forked, after exec.
 *
 * Must never: read more than CHECK_SPEC_MAX_BYTES of stdin, or trust what
 * it reads (it is unpacked and checked like any peer's bytes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "file.h"
#include "xalloc.h"

int
main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		dprintf(STDOUT_FILENO, "rota-check: takes no arguments (a packed StepSpec on stdin;"
		                       " rota-worker runs it)\n");
		return CHECK_ERROR;
	}
	size_t len = 0;
	char *buf = NULL; /* owned */
	if (file_read_fd(STDIN_FILENO, CHECK_SPEC_MAX_BYTES, &buf, &len) != FILE_OK) {
		dprintf(STDOUT_FILENO, "rota-check: cannot read the step from stdin: %s\n",
		        strerror(errno));
		return CHECK_ERROR;
	}
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, len, (const uint8_t *)buf);
	free(buf);
	if (spec == NULL) {
		dprintf(STDOUT_FILENO, "rota-check: the step on stdin is not a StepSpec\n");
		return CHECK_ERROR;
	}
	if (check_global_init() != 0) {
		dprintf(STDOUT_FILENO, "rota-check: libcurl failed to initialise\n");
		rota__step_spec__free_unpacked(spec, NULL);
		return CHECK_ERROR;
	}
	check_verdict_t v = check_run(spec, STDOUT_FILENO);
	rota__step_spec__free_unpacked(spec, NULL);
	check_global_cleanup();
	return (int)v;
}
