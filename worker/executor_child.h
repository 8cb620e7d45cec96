/* executor_child: the executor's children from their start to their exec
 * (a shell) or their function (a function job), and how they report a
 * failure before it. Private to executor.c. */
#ifndef ROTA_EXECUTOR_CHILD_H
#define ROTA_EXECUTOR_CHILD_H

#include <sys/types.h>

#include "executor.h"

/* What the child reports on its status pipe when it fails before exec. */
enum child_stage {
	CHILD_SETPGID = 1,
	CHILD_STDIO,
	CHILD_CHDIR,
	CHILD_EXEC,
	CHILD_IDS,
};

struct child_report {
	int stage;
	int err;
};

/* What a child is given, all of it prepared by the executor before the
 * start: the child makes no allocation. Borrowed until executor_child_start
 * returns. */
typedef struct {
	int devnull, out_w, err_w, status_w;
	const exec_spec_t *spec; /* run (with argv, envp) or fn */
	const char *workdir;     /* NULL: the worker's */
	char **argv, **envp;     /* a shell's */
} executor_child_t;

/* Starts the child: a function job forked, a shell cloned with the worker's
 * memory (executor_child.c says why). *stack is the executor's: the shells'
 * stack, mapped at the first shell. Returns the pid, or -1 with errno. */
pid_t executor_child_start(const executor_child_t *c, void **stack);
/* Unmaps the shells' stack, if any. */
void executor_child_stack_free(void **stack);

#endif
