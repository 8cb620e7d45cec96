/* test_sha256: the digest a backup's FILE.sha256 holds must be the one
 * `sha256sum` prints, or an operator's `sha256sum -c` would call a good
 * backup damaged. Known answers from FIPS 180-4's examples, every split of
 * an update, and a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture_dir.h"
#include "sha256.h"

static void
hex_of(const char *text, char hex[SHA256_HEX_BYTES])
{
	sha256_t c;
	sha256_init(&c);
	sha256_update(&c, text, strlen(text));
	sha256_final_hex(&c, hex);
}

static void
test_known_answers(void **state)
{
	(void)state;
	char hex[SHA256_HEX_BYTES];
	hex_of("", hex);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the padding needs a second block. */
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
	assert_string_equal(hex,
	                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_split_updates(void **state)
{
	(void)state;
	/* A million 'a's, fed in pieces of every size up to 130 bytes. */
	static char a[1000];
	memset(a, 'a', sizeof(a));
	sha256_t c;
	sha256_init(&c);
	size_t done = 0, piece = 1;
	while (done < 1000000) {
		size_t n = piece < 1000000 - done ? piece : 1000000 - done;
		if (n > sizeof(a))
			n = sizeof(a);
		sha256_update(&c, a, n);
		done += n;
		piece = piece % 130 + 1;
	}
	char hex[SHA256_HEX_BYTES];
	sha256_final_hex(&c, hex);
	assert_string_equal(hex,
	                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_file(void **state)
{
	(void)state;
	char dir[256];
	assert_int_equal(fixture_dir_make("sha256", dir, sizeof(dir)), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s", fixture_dir_path(dir, "f"));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("abc", f);
	fclose(f);
	char hex[SHA256_HEX_BYTES];
	assert_int_equal(sha256_file(path, hex), 0);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_file(fixture_dir_path(dir, "missing"), hex), -1);
	assert_int_equal(fixture_dir_remove(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_split_updates),
	    cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
