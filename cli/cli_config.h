/* cli_config: the CLI's configuration file, the third place its settings come
 * from (after flags and the environment).
 *
 * ROTA_CONFIG names it; else $XDG_CONFIG_HOME/rota/config or
 * ~/.config/rota/config when present. Lines are `name = value`, '#'
 * starts a comment:
 *
 *   coordinator = tcp://rota.example:7401
 *   key = /home/alice/.config/rota/alice.key_secret
 *   coordinator-key = /home/alice/.config/rota/coordinator.key
 *
 * `rota-coordinator --init DIR` writes one as DIR/cli.conf. */
#ifndef ROTA_CLI_CONFIG_H
#define ROTA_CLI_CONFIG_H

typedef struct {
	char *path;            /* owned: the file read; NULL when none */
	char *coordinator;     /* owned; NULL when not set */
	char *key;             /* owned */
	char *coordinator_key; /* owned */
} cli_config_t;

/* Reads the file that applies into *out (all NULL when there is none).
 * -1 with *error (caller frees) as FILE:LINE: what, or when ROTA_CONFIG
 * names a file that cannot be read. */
int cli_config_load(cli_config_t *out, char **error);
/* Reads path. Same contract. */
int cli_config_load_file(const char *path, cli_config_t *out, char **error);
void cli_config_clear(cli_config_t *c);

#endif
