// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the bbolt reader (optional, `make -C helper
 * fuzz`, needs clang). An input is not a file but a list of mutations of
 * the test database of bbolt_writer.c, so that the fuzzer starts from a
 * valid database instead of having to find checksums:
 *
 *   byte 0       bit 0: sum both meta pages again afterwards
 *                bit 1: truncate the file to (bytes 1-4, LE) % size
 *   then 6 bytes each: offset u32 LE (% size), op (% 3: set, xor, add),
 *                value
 *
 * Each result is opened and walked all through, every element looked up
 * again; only crashes, sanitizer findings and hangs count.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../bbolt.h"
#include "bbolt_writer.h"

struct walk {
	const struct bbolt_bucket *b;
};

static int walk_cb(struct bbolt *db, const struct bbolt_elem *e, void *arg)
{
	struct walk *w = arg, sub;
	struct bbolt_bucket child, again;
	const unsigned char *v;
	size_t n;

	if (!e->bucket) {
		bbolt_get(db, w->b, e->key, e->klen, &v, &n);
		return 0;
	}
	if (bbolt_elem_bucket(db, e, &child))
		return -1;
	bbolt_bucket_get(db, w->b, e->key, e->klen, &again);
	sub.b = &child;
	return bbolt_foreach(db, &child, walk_cb, &sub);
}

static __u32 le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;
}

/* Apply the mutations of @data to @w. */
static void mutate(struct wdb *w, const unsigned char *data, size_t size)
{
	unsigned char flags = size ? data[0] : 0;
	size_t i = 1, off;

	if ((flags & 2) && size >= 5) {
		w->size = le32(data + 1) % w->size;
		i = 5;
	}
	for (; w->size && i + 6 <= size; i += 6) {
		off = le32(data + i) % w->size;
		switch (data[i + 4] % 3) {
		case 0:
			w->buf[off] = data[i + 5];
			break;
		case 1:
			w->buf[off] ^= data[i + 5];
			break;
		default:
			w->buf[off] += data[i + 5];
			break;
		}
	}
	if (flags & 1) {
		bw_meta_sum(w, 0);
		bw_meta_sum(w, 1);
	}
}

/*
 * The entry point libFuzzer calls; the Makefile gives its name
 * (-DFUZZ_ENTRY=LLVMFuzzerTestOneInput) as checkpatch wants no CamelCase.
 */
int FUZZ_ENTRY(const unsigned char *data, size_t size);

int FUZZ_ENTRY(const unsigned char *data, size_t size)
{
	static struct wdb good, w;
	static char path[64];
	static int fd = -1;
	struct bbolt_bucket root;
	struct walk wk = { &root };
	struct bbolt db;

	if (fd < 0) {
		bw_build(&good, PSIZE);
		w = good;
		w.buf = malloc(good.size);
		fd = memfd_create("bbolt-fuzz", MFD_CLOEXEC);
		if (!w.buf || fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	memcpy(w.buf, good.buf, good.size);
	w.size = good.size;
	mutate(&w, data, size);
	if (ftruncate(fd, 0) || pwrite(fd, w.buf, w.size, 0) != (ssize_t)w.size)
		abort();
	if (bbolt_open(&db, path))
		return 0;
	bbolt_bucket_root(&db, &root);
	bbolt_foreach(&db, &root, walk_cb, &wk);
	bbolt_stable(&db);
	bbolt_close(&db);
	return 0;
}
