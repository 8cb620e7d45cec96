/* publish: how a test tool tells the test where it listens: one line in a
 * file, written whole (to PATH.tmp, then renamed) so a reader polling for
 * the file never sees half of it. */
#ifndef ROTA_TOOLS_PUBLISH_H
#define ROTA_TOOLS_PUBLISH_H

/* Writes line and a newline to path. 0, or -1. */
int publish_line(const char *path, const char *line);
/* Writes a listening port, in decimal, to path. 0, or -1. */
int publish_port(const char *path, unsigned port);

#endif
