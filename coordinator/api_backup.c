/* api_backup: `rota backup FILE` (admin): starts an online backup of the
 * store (backup.h) and answers at once; `rota status` follows it to its
 * end. FILE is a path on the coordinator's host, absolute, in a directory
 * that exists, below the configuration's backup_dir when it has one.
 *
 * Must never: write outside backup_dir when one is set, or follow a
 * relative path from wherever the coordinator was started. */
#include "api_internal.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "xalloc.h"

char *
api_backup_target(const Rota__Request *req)
{
	return xstrdup(req->backup->path ? req->backup->path : "");
}

/* True when dir (resolved) is root or below it (resolved). */
static bool
api_backup_below(const char *dir, const char *root)
{
	size_t n = strlen(root);
	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(dir, root, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* The file as it will be written: its directory resolved (no "..", no
 * symbolic link left to cross backup_dir by). NULL after refusing. */
static char *
api_backup_path(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const char *path = req->backup->path ? req->backup->path : "";
	const char *allowed = api->svc->config->backup_dir;
	if (path[0] != '/') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s%s: give an absolute path on the coordinator's host, where the file"
		           " is written (like %s/rota-2026-01-31.db)",
		           path[0] ? path : "no file given", path[0] ? " is relative" : "",
		           allowed ? allowed : "/var/backups/rota");
		return NULL;
	}
	char *copy_dir = xstrdup(path), *copy_base = xstrdup(path); /* owned: dirname/basename */
	const char *base = basename(copy_base);
	char real[PATH_MAX], root[PATH_MAX];
	char *out = NULL;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0 ||
	    path[strlen(path) - 1] == '/') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s: name a file, not a directory", path);
	} else if (realpath(dirname(copy_dir), real) == NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s: its directory cannot be used on the coordinator's host: %s", path,
		           strerror(errno));
	} else if (allowed != NULL && realpath(allowed, root) == NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "the configuration's backup_dir %s cannot be used: %s", allowed,
		           strerror(errno));
	} else if (allowed != NULL && !api_backup_below(real, root)) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
		           "%s is outside the backup directory %s (the configuration's"
		           " backup_dir): write the backup there",
		           path, allowed);
	} else {
		out = xasprintf("%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
	}
	free(copy_dir);
	free(copy_base);
	return out;
}

void
api_backup(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	if (store_is_postgresql(api->svc->store)) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s", STORE_BACKUP_PG_HINT);
		return;
	}
	if (backup_running(api->svc->backup)) {
		Rota__BackupInfo now = ROTA__BACKUP_INFO__INIT;
		backup_info(api->svc->backup, &now);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "a backup to %s is running (started by %s): wait for it to end (rota"
		           " status shows it)",
		           now.path, now.actor);
		return;
	}
	char *path = api_backup_path(api, identity, identity_len, req); /* owned */
	if (path == NULL)
		return;
	char *error = NULL;
	if (backup_start(api->svc->backup, path, api_actor(api), clock_wall_ms(), &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s", error);
		free(error);
		free(path);
		return;
	}
	api_note(api, xasprintf("backup to %s started", path));
	free(path);
	Rota__BackupInfo info = ROTA__BACKUP_INFO__INIT;
	backup_info(api->svc->backup, &info);
	Rota__BackupResponse body = ROTA__BACKUP_RESPONSE__INIT;
	body.backup = &info;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_BACKUP;
	resp.backup = &body;
	api_reply(api, identity, identity_len, &resp);
}
