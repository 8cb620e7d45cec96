/* outfile: a document the CLI writes to a file of the operator's (`incident
 * review --out FILE`, `runbook docs --out DIR`'s pages), with the one
 * message when it cannot.
 *
 * Must never: write anywhere but the path it is given. */
#ifndef ROTA_CLI_OUTFILE_H
#define ROTA_CLI_OUTFILE_H

/* Writes text (borrowed) to path, made or emptied first. 0, or -1 having
 * said "rota: cannot write PATH: why" on stderr. */
int outfile_write(const char *path, const char *text);

#endif
