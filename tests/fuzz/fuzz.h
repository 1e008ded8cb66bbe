/*
 * fuzz.h - what every fuzz target shares
 *
 * A target checks properties that must hold for any input (a canonical
 * form is a fixed point, a signature holds for its message only), not just
 * the absence of a crash: a broken property aborts, which both the driver
 * and libFuzzer report as a failure with the input that caused it.
 */
#ifndef FS_FUZZ_H
#define FS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

#endif
