/* cmd_web: `rota web login` prints a one-time link that signs this
 * operator in to the console (as its key's operator and role); `rota web
 * logout [--all]` ends its console sessions (--all: everyone's, admin). */
#include "cmd_web.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "usage.h"

#define WEB_LOGIN_SYNOPSIS "login [--json]"
#define WEB_LOGOUT_SYNOPSIS "logout [--all] [--json]"

static void
cmd_web_login_json(const Rota__Response *r)
{
	json_t *j = json_new_object();
	json_member_string(j, "url", r->web_login->url);
	json_member_time(j, "expires_ms", r->web_login->expires_ms);
	json_member_int(j, "session_ms", r->web_login->session_ms);
	json_print_object(&j);
}

static void
cmd_web_login_text(const Rota__Response *r)
{
	char ttl[FORMAT_BUF_BYTES], until[FORMAT_BUF_BYTES];
	format_duration(r->web_login->session_ms, ttl, sizeof(ttl));
	format_time(r->web_login->expires_ms, until, sizeof(until));
	/* The link alone on the first line, for a script or a copy. */
	printf("%s\n", r->web_login->url);
	printf("open it once, before %s UTC; it signs this browser in for %s\n", until, ttl);
}

static void
cmd_web_logout_json(const Rota__Response *r)
{
	json_t *j = json_new_object();
	json_member_uint(j, "ended", r->web_logout->ended);
	json_print_object(&j);
}

static void
cmd_web_logout_text(const Rota__Response *r)
{
	printf("ended %llu console session(s) and sign-in link(s)\n",
	       (unsigned long long)r->web_logout->ended);
}

static int
cmd_web_logout_take(void *ctx, int ch, char *arg)
{
	(void)arg;
	if (ch == 'a')
		*(bool *)ctx = true;
	return CLI_EXIT_OK;
}

int
cmd_web_command(session_t *s, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "login") == 0) {
		bool json;
		int done =
		    options_json_only("web login", WEB_LOGIN_SYNOPSIS, argc - 1, argv + 1, &json);
		if (done >= 0)
			return done;
		if (optind < argc - 1)
			return usage_error("web login takes no arguments, got '%s'",
			                   argv[1 + optind]);
		Rota__WebLoginRequest body = ROTA__WEB_LOGIN_REQUEST__INIT;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_WEB_LOGIN;
		req.web_login = &body;
		return ask_print(s, &req, ROTA__RESPONSE__BODY_WEB_LOGIN,
		                 json ? cmd_web_login_json : cmd_web_login_text);
	}
	if (argc >= 2 && strcmp(argv[1], "logout") == 0) {
		static const struct option own[] = {
		    {"all", no_argument, NULL, 'a'},
		    {NULL, 0, NULL, 0},
		};
		bool all = false;
		const options_spec_t spec = {
		    .command = "web logout",
		    .synopsis = WEB_LOGOUT_SYNOPSIS,
		    .shortopts = ":h",
		    .own = own,
		    .take = cmd_web_logout_take,
		    .ctx = &all,
		};
		options_t o = {0};
		int done = options_parse(&spec, argc - 1, argv + 1, &o);
		if (done >= 0)
			return done;
		if (optind < argc - 1)
			return usage_error("web logout takes no arguments, got '%s'",
			                   argv[1 + optind]);
		Rota__WebLogoutRequest body = ROTA__WEB_LOGOUT_REQUEST__INIT;
		body.all = all;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_WEB_LOGOUT;
		req.web_logout = &body;
		return ask_print(s, &req, ROTA__RESPONSE__BODY_WEB_LOGOUT,
		                 o.json ? cmd_web_logout_json : cmd_web_logout_text);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage_print(stdout);
		return CLI_EXIT_OK;
	}
	return usage_error("web needs a subcommand: rota web " WEB_LOGIN_SYNOPSIS
	                   ", or rota web " WEB_LOGOUT_SYNOPSIS);
}
