/* test_file: reading a whole file (file.c): the limit, what is not a
 * regular file, FIFOs that must not block, streams, and what is reported
 * when it goes wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "file.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	return fixture_dir_make("test-file", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	(void)state;
	return fixture_dir_remove(dir);
}

static const char *
path_of(const char *name)
{
	return fixture_dir_path(dir, name);
}

static const char *
write_file(const char *name, const char *data, size_t len)
{
	const char *path = path_of(name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_reads_a_file_whole(void **state)
{
	(void)state;
	const char *path = write_file("a", "hello\nworld\n", 12);
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	assert_int_equal(file_read_all(path, 100, 0, &data, &len, &st), FILE_OK);
	assert_int_equal(len, 12);
	assert_string_equal(data, "hello\nworld\n");
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 12);
	free(data);
}

static void
test_empty_file_is_an_empty_string(void **state)
{
	(void)state;
	const char *path = write_file("empty", "", 0);
	char *data = NULL;
	size_t len = 99;
	assert_int_equal(file_read_all(path, 100, 0, &data, &len, NULL), FILE_OK);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
}

static void
test_nul_bytes_are_kept(void **state)
{
	(void)state;
	const char *path = write_file("nul", "a\0b", 3);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 100, 0, &data, &len, NULL), FILE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\0b\0", 4);
	free(data);
}

static void
test_the_limit_is_inclusive(void **state)
{
	(void)state;
	const char *path = write_file("ten", "0123456789", 10);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 10, 0, &data, &len, NULL), FILE_OK);
	assert_int_equal(len, 10);
	free(data);

	struct stat st;
	errno = 0;
	assert_int_equal(file_read_all(path, 9, 0, &data, &len, &st), FILE_ERR_TOO_LARGE);
	assert_int_equal(errno, EFBIG);
	assert_null(data);
	assert_int_equal(len, 0);
	/* The size is there for the message. */
	assert_int_equal(st.st_size, 10);
}

static void
test_proc_file_is_read_to_its_end(void **state)
{
	(void)state;
	/* fstat says 0 bytes; there are more. */
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all("/proc/self/status", 65536, 0, &data, &len, NULL), FILE_OK);
	assert_true(len > 0);
	assert_non_null(strstr(data, "Pid:"));
	free(data);
	assert_int_equal(file_read_all("/proc/self/status", 4, 0, &data, &len, NULL),
	                 FILE_ERR_TOO_LARGE);
	assert_null(data);
}

static void
test_missing_file_is_an_open_error(void **state)
{
	(void)state;
	char *data = (char *)"not touched";
	size_t len = 5;
	assert_int_equal(file_read_all(path_of("nope"), 100, 0, &data, &len, NULL), FILE_ERR_OPEN);
	assert_int_equal(errno, ENOENT);
	assert_null(data);
	assert_int_equal(len, 0);
}

static void
test_directory_is_not_regular(void **state)
{
	(void)state;
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	assert_int_equal(file_read_all(dir, 100, 0, &data, &len, &st), FILE_ERR_NOT_REGULAR);
	assert_true(S_ISDIR(st.st_mode));
	assert_null(data);
	/* Read as a stream, a directory fails at read(2). */
	assert_int_equal(file_read_all(dir, 100, FILE_ANY_KIND, &data, &len, NULL), FILE_ERR_READ);
	assert_int_equal(errno, EISDIR);
	assert_null(data);
}

static void
test_fifo_without_writer_does_not_block(void **state)
{
	(void)state;
	const char *path = path_of("fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	char *data = NULL;
	size_t len = 0;
	/* O_NONBLOCK: the open returns at once, and a FIFO is refused. */
	assert_int_equal(file_read_all(path, 100, FILE_NONBLOCK, &data, &len, NULL),
	                 FILE_ERR_NOT_REGULAR);
	assert_null(data);
}

static void
test_fifo_is_read_as_a_stream(void **state)
{
	(void)state;
	const char *path = path_of("fifo2");
	assert_int_equal(mkfifo(path, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_WRONLY);
		for (int i = 0; i < 3000 && fd >= 0; i++)
			if (write(fd, "0123456789", 10) != 10)
				_exit(1);
		_exit(fd >= 0 ? 0 : 1);
	}
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 30000, FILE_ANY_KIND, &data, &len, NULL), FILE_OK);
	assert_int_equal(len, 30000);
	assert_int_equal(strlen(data), 30000);
	assert_memory_equal(data + 29990, "0123456789", 10);
	free(data);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void
test_stream_over_the_limit(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	/* 8 KiB fits the pipe's buffer: no writer process needed. */
	static char block[8192];
	memset(block, 'x', sizeof(block));
	assert_int_equal(write(fds[1], block, sizeof(block)), (ssize_t)sizeof(block));
	close(fds[1]);
	char *data = NULL;
	size_t len = 0;
	errno = 0;
	assert_int_equal(file_read_fd(fds[0], sizeof(block) - 1, &data, &len), FILE_ERR_TOO_LARGE);
	assert_int_equal(errno, EFBIG);
	assert_null(data);
	close(fds[0]);
}

static void
test_stream_at_the_limit(void **state)
{
	(void)state;
	int sizes[] = {0, 1, 4095, 4096, 4097, 8192};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		static char block[8192];
		memset(block, 'y', sizeof(block));
		ssize_t n = sizes[k];
		assert_int_equal(write(fds[1], block, (size_t)n), n);
		close(fds[1]);
		char *data = NULL;
		size_t len = 0;
		assert_int_equal(file_read_fd(fds[0], (size_t)n, &data, &len), FILE_OK);
		assert_int_equal(len, (size_t)n);
		assert_int_equal(strlen(data), (size_t)n);
		free(data);
		close(fds[0]);
	}
}

static void
test_small_limit_stream(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "abc", 3), 3);
	close(fds[1]);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_fd(fds[0], 2, &data, &len), FILE_ERR_TOO_LARGE);
	close(fds[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reads_a_file_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_file_is_an_empty_string, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nul_bytes_are_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_the_limit_is_inclusive, setup, teardown),
	    cmocka_unit_test(test_proc_file_is_read_to_its_end),
	    cmocka_unit_test_setup_teardown(test_missing_file_is_an_open_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory_is_not_regular, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_without_writer_does_not_block, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_is_read_as_a_stream, setup, teardown),
	    cmocka_unit_test(test_stream_over_the_limit),
	    cmocka_unit_test(test_stream_at_the_limit),
	    cmocka_unit_test(test_small_limit_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
