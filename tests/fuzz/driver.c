/*
 * driver.c - runs a fuzz target over files, without libFuzzer
 *
 * `make check` builds every target with this driver (and again under
 * ASan+UBSan) and runs it over its corpus, so each input that once found a
 * bug, and each seed, stays a test on every run. `make fuzz` links the same
 * targets with clang's libFuzzer instead to search for new inputs.
 *
 *   fuzz_x FILE|DIR...   one line per input, then "N inputs"; a crash or a
 *                        sanitizer report fails the run
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* optional, as with libFuzzer: only targets with set-up define it */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long len;
	int rc = -1;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto done;
	/* an exact-size copy, so ASan sees a read one byte past the input */
	if (!(data = malloc(len ? (size_t)len : 1)) || fread(data, 1, (size_t)len, f) != (size_t)len)
		goto done;
	LLVMFuzzerTestOneInput(data, (size_t)len);
	rc = 0;
done:
	if (rc < 0)
		fprintf(stderr, "fuzz: cannot read %s\n", path);
	free(data);
	if (f)
		fclose(f);
	return rc;
}

static int run_path(const char *path, size_t *count)
{
	struct stat st;
	struct dirent **names;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz: %s: no such file\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sub[4096];
		if (names[i]->d_name[0] != '.' && rc == 0) {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			rc = run_path(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			return 1;
	printf("%zu inputs\n", count);
	return count ? 0 : 1;
}
