/* options: the shared option loop (see options.h).
 *
 * Must never: accept a value the command's own loop refused before, or
 * word an error differently from it. */
#include "options.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "usage.h"

/* The shared options' values for getopt_long; the commands' own use
 * letters, so these sit above any char. */
enum {
	OPTIONS_JSON = 0x100,
	OPTIONS_LIMIT,
	OPTIONS_NOTE,
};

/* Most options any command has of its own (submit: 4). */
#define OPTIONS_MAX_OWN 12

int
options_parse(const options_spec_t *spec, int argc, char **argv, options_t *out)
{
	struct option opts[OPTIONS_MAX_OWN + 5];
	size_t n = 0;
	for (const struct option *o = spec->own; o != NULL && o->name != NULL; o++) {
		assert(n < OPTIONS_MAX_OWN);
		opts[n++] = *o;
	}
	if (spec->limit_max > 0)
		opts[n++] = (struct option){"limit", required_argument, NULL, OPTIONS_LIMIT};
	if (spec->note_example != NULL)
		opts[n++] = (struct option){"note", required_argument, NULL, OPTIONS_NOTE};
	if (!spec->no_json)
		opts[n++] = (struct option){"json", no_argument, NULL, OPTIONS_JSON};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n] = (struct option){NULL, 0, NULL, 0};

	out->json = false;
	out->note = NULL;
	int ch;
	optind = 0; /* 0: glibc starts its parse afresh */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, spec->shortopts, opts, NULL)) != -1) {
		/* -n is --limit's short form where the command has one (runs,
		 * workers, incidents); schedules' -n is its own --next. */
		if (ch == 'n' && spec->limit_max > 0)
			ch = OPTIONS_LIMIT;
		switch (ch) {
		case OPTIONS_JSON:
			out->json = true;
			break;
		case OPTIONS_LIMIT:
			if (usage_parse_count(optarg, spec->limit_max, &out->limit) != 0)
				return usage_error(
				    "%s: --limit needs a whole number from 1 to %u, "
				    "%s '%s'",
				    spec->command, spec->limit_max,
				    spec->limit_got != NULL ? spec->limit_got : "got", optarg);
			break;
		case OPTIONS_NOTE:
			if (optarg[0] == '\0')
				return usage_error(
				    "%s: --note needs text, as in --note '%s'; leave "
				    "--note out for no note",
				    spec->command, spec->note_example);
			out->note = optarg;
			break;
		case 'h':
			usage_print(stdout);
			return CLI_EXIT_OK;
		case ':':
		case '?':
			return usage_getopt_error(spec->command, spec->synopsis, ch, argv);
		default:
			if (spec->take != NULL) {
				int rc = spec->take(spec->ctx, ch, optarg);
				if (rc != CLI_EXIT_OK)
					return rc;
				break;
			}
			return usage_getopt_error(spec->command, spec->synopsis, ch, argv);
		}
	}
	return -1;
}

int
options_json_only(const char *command, const char *synopsis, int argc, char **argv, bool *json)
{
	const options_spec_t spec = {
	    .command = command,
	    .synopsis = synopsis,
	    .shortopts = ":h",
	};
	options_t o = {0};
	int rc = options_parse(&spec, argc, argv, &o);
	*json = o.json;
	return rc;
}
