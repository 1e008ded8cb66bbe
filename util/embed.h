/* embed.h - data files compiled into the program (see tools/embed.c) */
#ifndef FS_EMBED_H
#define FS_EMBED_H

#include <stddef.h>

typedef struct {
	const char *name; /* path relative to its folder, e.g. "vocab/countries.json" */
	const char *data;
	size_t size;
} fs_embedded_file;

#endif
