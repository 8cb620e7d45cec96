/* keys: reading and writing CURVE key pair files (see keys.h).
 *
 * Must never: read a secret from a file others can read, leave a secret
 * file readable by others even for a moment (it is created 0600), or
 * overwrite a key without being told to. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "file.h"
#include "xalloc.h"

int
keys_generate(keys_pair_t *out)
{
	memset(out, 0, sizeof(*out));
	if (zmq_curve_keypair(out->public_z85, out->secret_z85) != 0)
		return -1;
	if (keys_decode(out->public_z85, out->public_key) != 0 ||
	    keys_decode(out->secret_z85, out->secret_key) != 0) {
		keys_wipe(out);
		return -1;
	}
	out->has_secret = true;
	return 0;
}

int
keys_decode(const char *text, uint8_t key[KEYS_BYTES])
{
	if (text == NULL || strlen(text) != KEYS_Z85_CHARS)
		return -1;
	/* zmq_z85_decode refuses characters outside the alphabet. */
	return zmq_z85_decode(key, text) == NULL ? -1 : 0;
}

bool
keys_valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 128 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

const char *
keys_fingerprint(const uint8_t key[KEYS_BYTES], char *buf, size_t len)
{
	char z85[KEYS_Z85_CHARS + 1];
	if (zmq_z85_encode(z85, key, KEYS_BYTES) == NULL)
		snprintf(z85, sizeof(z85), "?");
	snprintf(buf, len, "%.*s", KEYS_FINGERPRINT_CHARS, z85);
	return buf;
}

void
keys_wipe(keys_pair_t *pair)
{
	explicit_bzero(pair->secret_key, sizeof(pair->secret_key));
	explicit_bzero(pair->secret_z85, sizeof(pair->secret_z85));
	pair->has_secret = false;
}

/* Reads a whole key file into a new NUL-terminated buffer of *size bytes
 * (the caller wipes and frees it). For a secret, the mode is checked on
 * the open file, so what is checked is what is read. */
static char *
keys_read_file(const char *path, bool secret, size_t *size, char **error)
{
	struct stat st;
	char *buf = NULL; /* owned: returned */
	size_t n = 0;
	switch (file_read_all(path, KEYS_FILE_MAX_BYTES, 0, &buf, &n, &st)) {
	case FILE_OK:
		break;
	case FILE_ERR_NOT_REGULAR:
		*error = xasprintf("key file %s is not a regular file", path);
		return NULL;
	case FILE_ERR_TOO_LARGE:
		*error = xasprintf("key file %s is %lld bytes: too large to be a key file", path,
		                   (long long)st.st_size);
		return NULL;
	default:
		*error = xasprintf("cannot read key file %s: %s", path, strerror(errno));
		return NULL;
	}
	bool exposed = secret && (st.st_mode & 077) != 0;
	/* A file with no secret in it (a public key given where the secret
	 * one is wanted) is first of all the wrong file: keys_parse says so.
	 * One with a secret that others can read is refused here. */
	if (exposed && strstr(buf, "secret-key") != NULL) {
		*error = xasprintf("secret key file %s is readable by others (mode %04o): anyone"
		                   " who can read it can pose as its owner; run 'chmod 600 %s'"
		                   " (and make a new key pair if it may have been copied)",
		                   path, (unsigned)(st.st_mode & 07777), path);
		explicit_bzero(buf, n + 1);
		free(buf);
		return NULL;
	}
	*size = n + 1;
	return buf;
}

static char *
keys_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Parses the lines of a key file into out; secret says whether a
 * secret-key line is wanted (it is ignored otherwise, so a secret file can
 * serve as a public one). */
static int
keys_parse(const char *path, char *text, bool secret, keys_pair_t *out, char **error)
{
	bool have_public = false, have_secret = false;
	unsigned line = 0;
	for (char *p = text; p != NULL && *p != '\0';) {
		line++;
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		char *l = keys_trim(p);
		p = nl ? nl + 1 : NULL;
		/* Z85 uses '#' and '=' too: a line that is exactly a key is a
		 * key, before it can be read as a comment or a setting. */
		uint8_t probe[KEYS_BYTES];
		bool bare = keys_decode(l, probe) == 0;
		explicit_bzero(probe, sizeof(probe));
		if (!bare && (l[0] == '\0' || l[0] == '#'))
			continue;
		const char *name = "public-key";
		char *value = l;
		if (!bare) {
			/* "NAME = VALUE": the name is a word, so the first '=' ends it. */
			char *eq = strchr(l, '=');
			if (eq == NULL) {
				*error = xasprintf("%s:%u: expected 'public-key = KEY' (or the 40"
				                   " characters of a public key alone)",
				                   path, line);
				return -1;
			}
			*eq = '\0';
			name = keys_trim(l);
			value = keys_trim(eq + 1);
		}
		uint8_t key[KEYS_BYTES];
		bool is_public = strcmp(name, "public-key") == 0;
		bool is_secret = strcmp(name, "secret-key") == 0;
		if (!is_public && !is_secret) {
			*error = xasprintf("%s:%u: unknown setting '%s'; a key file holds"
			                   " 'public-key = KEY' and, in a secret file,"
			                   " 'secret-key = KEY'",
			                   path, line, name);
			return -1;
		}
		if (keys_decode(value, key) != 0) {
			*error = xasprintf("%s:%u: %s is not a CURVE key (40 Z85 characters, as"
			                   " 'rota keygen' writes)",
			                   path, line, name);
			return -1;
		}
		if ((is_public && have_public) || (is_secret && have_secret)) {
			*error = xasprintf("%s:%u: a second %s", path, line, name);
			explicit_bzero(key, sizeof(key));
			return -1;
		}
		if (is_public) {
			memcpy(out->public_key, key, KEYS_BYTES);
			snprintf(out->public_z85, sizeof(out->public_z85), "%s", value);
			have_public = true;
		} else if (secret) {
			memcpy(out->secret_key, key, KEYS_BYTES);
			snprintf(out->secret_z85, sizeof(out->secret_z85), "%s", value);
			have_secret = true;
		}
		explicit_bzero(key, sizeof(key));
	}
	if (secret && !have_secret) {
		*error = xasprintf("%s: no 'secret-key = KEY' line: this is not a secret key file"
		                   "%s (rota keygen writes NAME.key_secret)",
		                   path, have_public ? " but a public one" : "");
		return -1;
	}
	if (secret) {
		/* The public key follows from the secret one: check the file
		 * is one pair, or fill the public half in when it is absent. */
		char derived[KEYS_Z85_CHARS + 1];
		if (zmq_curve_public(derived, out->secret_z85) != 0) {
			*error = xasprintf(
			    "%s: cannot derive the public key (libzmq without CURVE?)", path);
			return -1;
		}
		if (have_public && strcmp(derived, out->public_z85) != 0) {
			*error =
			    xasprintf("%s: its public-key is not the public half of its"
			              " secret-key; the file was edited or mixed up: make a new"
			              " pair with 'rota keygen'",
			              path);
			return -1;
		}
		snprintf(out->public_z85, sizeof(out->public_z85), "%s", derived);
		if (keys_decode(derived, out->public_key) != 0)
			return -1;
		out->has_secret = true;
		return 0;
	}
	if (!have_public) {
		*error = xasprintf("%s: no public key in it (a line 'public-key = KEY')", path);
		return -1;
	}
	return 0;
}

static int
keys_load(const char *path, bool secret, keys_pair_t *out, char **error)
{
	memset(out, 0, sizeof(*out));
	size_t size = 0;
	char *text = keys_read_file(path, secret, &size, error); /* owned */
	if (text == NULL)
		return -1;
	int rc = keys_parse(path, text, secret, out, error);
	explicit_bzero(text, size);
	free(text);
	if (rc != 0)
		keys_wipe(out);
	return rc;
}

int
keys_load_public(const char *path, keys_pair_t *out, char **error)
{
	return keys_load(path, false, out, error);
}

int
keys_load_secret(const char *path, keys_pair_t *out, char **error)
{
	return keys_load(path, true, out, error);
}

/* Creates path with mode and writes text; refuses an existing file unless
 * force (then it is replaced whole, through a temporary name). */
static int
keys_write_file(const char *path, mode_t mode, const char *text, bool force, char **error)
{
	if (!force && access(path, F_OK) == 0) {
		*error =
		    xasprintf("%s exists; keeping it (give --force to replace the key pair)", path);
		return -1;
	}
	char *tmp = xasprintf("%s.tmp", path); /* owned */
	unlink(tmp);
	int rc = -1;
	/* O_EXCL and the mode at creation: the file is never readable by
	 * others, not even between open and chmod. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		*error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	if (w != (ssize_t)len || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		*error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		*error = xasprintf("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int
keys_write(const char *dir, const char *name, const keys_pair_t *pair, bool force,
           char **public_path, char **secret_path, char **error)
{
	*public_path = NULL;
	*secret_path = NULL;
	if (!keys_valid_name(name)) {
		*error = xasprintf("'%s' cannot name a key: use 1 to 128 letters, digits, '-',"
		                   " '_' or '.'",
		                   name);
		return -1;
	}
	if (!pair->has_secret) {
		*error = xstrdup("no secret key to write");
		return -1;
	}
	char *pub = xasprintf("%s/%s.key", dir, name);        /* owned: *public_path */
	char *sec = xasprintf("%s/%s.key_secret", dir, name); /* owned: *secret_path */
	char *pub_text = xasprintf("# rota CURVE public key of %s\npublic-key = %s\n", name,
	                           pair->public_z85); /* owned */
	char *sec_text = xasprintf("# rota CURVE secret key of %s: keep this file private"
	                           " (mode 0600)\npublic-key = %s\nsecret-key = %s\n",
	                           name, pair->public_z85, pair->secret_z85); /* owned */
	int rc = -1;
	/* Check both first, so a refusal leaves no half pair behind. */
	if (!force && (access(pub, F_OK) == 0 || access(sec, F_OK) == 0)) {
		*error = xasprintf("%s exists; keeping it (give --force to replace the key pair)",
		                   access(sec, F_OK) == 0 ? sec : pub);
		goto out;
	}
	if (keys_write_file(sec, 0600, sec_text, force, error) != 0 ||
	    keys_write_file(pub, 0644, pub_text, force, error) != 0)
		goto out;
	rc = 0;
out:
	explicit_bzero(sec_text, strlen(sec_text));
	free(sec_text);
	free(pub_text);
	if (rc == 0) {
		*public_path = pub;
		*secret_path = sec;
	} else {
		free(pub);
		free(sec);
	}
	return rc;
}
