/* test_keys: key pair files as rota keygen writes them, and every way a
 * key file is refused (readable by others, malformed, a mixed-up pair). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "keys.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	return fixture_dir_make("test-keys", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	(void)state;
	return fixture_dir_remove(dir);
}

static char *
path_of(const char *name)
{
	return fixture_dir_path(dir, name);
}

static void
write_file(const char *name, mode_t mode, const char *text)
{
	FILE *f = fopen(path_of(name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path_of(name), mode), 0);
}

static void
test_write_then_load(void **state)
{
	(void)state;
	keys_pair_t pair, pub, sec;
	char *pp = NULL, *sp = NULL, *error = NULL;
	assert_int_equal(keys_generate(&pair), 0);
	assert_int_equal(keys_write(dir, "w1", &pair, false, &pp, &sp, &error), 0);
	struct stat st;
	assert_int_equal(stat(sp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keys_load_public(pp, &pub, &error), 0);
	assert_memory_equal(pub.public_key, pair.public_key, KEYS_BYTES);
	assert_false(pub.has_secret);
	assert_int_equal(keys_load_secret(sp, &sec, &error), 0);
	assert_true(sec.has_secret);
	assert_memory_equal(sec.secret_key, pair.secret_key, KEYS_BYTES);
	assert_memory_equal(sec.public_key, pair.public_key, KEYS_BYTES);
	/* A secret file serves as a public one (only its public half is used). */
	assert_int_equal(keys_load_public(sp, &pub, &error), 0);
	assert_memory_equal(pub.public_key, pair.public_key, KEYS_BYTES);
	free(pp);
	free(sp);

	/* Never replaced without force. */
	assert_int_equal(keys_write(dir, "w1", &pair, false, &pp, &sp, &error), -1);
	assert_non_null(strstr(error, "--force"));
	free(error);
	assert_int_equal(keys_write(dir, "w1", &pair, true, &pp, &sp, &error), 0);
	free(pp);
	free(sp);
	keys_wipe(&pair);
	keys_wipe(&sec);
}

static void
test_readable_secret_refused(void **state)
{
	(void)state;
	keys_pair_t pair, sec;
	char *pp = NULL, *sp = NULL, *error = NULL;
	assert_int_equal(keys_generate(&pair), 0);
	assert_int_equal(keys_write(dir, "op", &pair, false, &pp, &sp, &error), 0);
	assert_int_equal(chmod(sp, 0644), 0);
	assert_int_equal(keys_load_secret(sp, &sec, &error), -1);
	assert_non_null(strstr(error, sp));
	assert_non_null(strstr(error, "chmod 600"));
	free(error);
	assert_int_equal(chmod(sp, 0640), 0); /* group is others too */
	assert_int_equal(keys_load_secret(sp, &sec, &error), -1);
	free(error);
	free(pp);
	free(sp);
	keys_wipe(&pair);
}

static void
test_malformed_names_file_and_line(void **state)
{
	(void)state;
	keys_pair_t k;
	char *error = NULL;
	write_file("bad", 0644, "# a comment\n\npublic-key = not-a-key\n");
	assert_int_equal(keys_load_public(path_of("bad"), &k, &error), -1);
	char want[300];
	snprintf(want, sizeof(want), "%s:3:", path_of("bad"));
	assert_non_null(strstr(error, want));
	free(error);

	write_file("typo", 0644, "publik-key = x\n");
	assert_int_equal(keys_load_public(path_of("typo"), &k, &error), -1);
	assert_non_null(strstr(error, ":1: unknown setting 'publik-key'"));
	free(error);

	write_file("empty", 0644, "# nothing\n");
	assert_int_equal(keys_load_public(path_of("empty"), &k, &error), -1);
	assert_non_null(strstr(error, "no public key"));
	free(error);

	/* A public file is not a secret one. */
	keys_pair_t pair;
	assert_int_equal(keys_generate(&pair), 0);
	char text[128];
	snprintf(text, sizeof(text), "%s\n", pair.public_z85);
	write_file("bare", 0600, text);
	assert_int_equal(keys_load_public(path_of("bare"), &k, &error), 0);
	assert_memory_equal(k.public_key, pair.public_key, KEYS_BYTES);
	assert_int_equal(keys_load_secret(path_of("bare"), &k, &error), -1);
	assert_non_null(strstr(error, "not a secret key file"));
	free(error);
	/* A public key file as keygen writes it (0644) given where a secret
	 * one is wanted: that is what is wrong, not its mode. */
	snprintf(text, sizeof(text), "# rota CURVE public key of w1\npublic-key = %s\n",
	         pair.public_z85);
	write_file("w1.key", 0644, text);
	assert_int_equal(keys_load_secret(path_of("w1.key"), &k, &error), -1);
	assert_non_null(strstr(error, "not a secret key file"));
	assert_null(strstr(error, "chmod"));
	free(error);
	keys_wipe(&pair);
}

static void
test_mixed_up_pair_refused(void **state)
{
	(void)state;
	keys_pair_t a, b, k;
	char *error = NULL;
	assert_int_equal(keys_generate(&a), 0);
	assert_int_equal(keys_generate(&b), 0);
	char text[256];
	snprintf(text, sizeof(text), "public-key = %s\nsecret-key = %s\n", a.public_z85,
	         b.secret_z85);
	write_file("mixed", 0600, text);
	assert_int_equal(keys_load_secret(path_of("mixed"), &k, &error), -1);
	assert_non_null(strstr(error, "not the public half"));
	free(error);
	keys_wipe(&a);
	keys_wipe(&b);
}

/* Z85 has '#' and '=' in its alphabet: a key holding them is still a key,
 * bare or as a setting. (None starts with '#': a group's first character
 * is at most '%', or it would not fit 32 bits.) */
static void
test_key_with_hash_and_equals(void **state)
{
	(void)state;
	keys_pair_t k;
	char *error = NULL;
	write_file("hash", 0644, "# a comment first\n0ab#defghi0123456789ABCDEFGH=J.-:+^!/*?&\n");
	assert_int_equal(keys_load_public(path_of("hash"), &k, &error), 0);
	assert_string_equal(k.public_z85, "0ab#defghi0123456789ABCDEFGH=J.-:+^!/*?&");
	write_file("hash2", 0644, "public-key = 0ab#defghi0123456789ABCDEFGH=J.-:+^!/*?&\n");
	assert_int_equal(keys_load_public(path_of("hash2"), &k, &error), 0);
	assert_string_equal(k.public_z85, "0ab#defghi0123456789ABCDEFGH=J.-:+^!/*?&");
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(keys_valid_name("web-1.example_2"));
	assert_false(keys_valid_name(""));
	assert_false(keys_valid_name(".hidden"));
	assert_false(keys_valid_name("a/b"));
	assert_false(keys_valid_name("a b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_then_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readable_secret_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_names_file_and_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_up_pair_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_with_hash_and_equals, setup, teardown),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
