/* outfile: a document written to the operator's file (outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
outfile_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "rota: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* A full disk may show only at the close, when the buffer is flushed. */
	int failed = fputs(text, f) < 0;
	int saved = errno;
	if (fclose(f) != 0) {
		failed = 1;
		saved = errno;
	}
	if (failed) {
		fprintf(stderr, "rota: cannot write %s: %s\n", path, strerror(saved));
		return -1;
	}
	return 0;
}
