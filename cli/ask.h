/* ask: one request to the coordinator and what is printed of its answer.
 *
 * Most commands are one round trip: send a Request, wait for the Response
 * with the body asked for, print it (a JSON document under --json, text
 * otherwise), free it. ask carries that trip, so a command is its options,
 * its request and its printers. A failed call is session_call's to report
 * (it prints why and gives the exit code); ask only passes the code on.
 * It lives beside session.c, not in it: the session is the conversation,
 * this is one question of it. */
#ifndef ROTA_ASK_H
#define ROTA_ASK_H

#include "rota.pb-c.h"
#include "session.h"

/* Prints an answer: resp's body is the one asked for (session_call
 * checked it is there). resp is borrowed for the call. */
typedef void (*ask_print_fn)(const Rota__Response *resp);

/* Prints an answer, as ask_print_fn, with the caller's ctx, and returns
 * the command's exit code: CLI_EXIT_OK, or another when the answer cannot
 * be used or says the command failed (having said why on stderr). */
typedef int (*ask_answer_fn)(const Rota__Response *resp, void *ctx);

/* Sends req, waits for an answer with body expect and hands it to print.
 * Returns session_call's exit code when the call fails, else
 * CLI_EXIT_OK. The answer is freed before returning. */
int ask_print(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect,
              ask_print_fn print);

/* The same with a printer that takes ctx and decides the exit code. */
int ask_answer(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect,
               ask_answer_fn answer, void *ctx);

#endif
