// SPDX-License-Identifier: GPL-2.0
/*
 * An LD_PRELOAD shim for layerctl_test: swaps two directories at one
 * chosen moment between layerctl's checks and its use of what it
 * checked, deterministically, instead of a rename loop that races.
 *
 *   LFS_SWAP_A, LFS_SWAP_B   the two directories, exchanged atomically
 *                            (renameat2 RENAME_EXCHANGE), once
 *   LFS_SWAP_AT              when: "open-ctl" just before layerctl opens
 *                            /dev/layerfs (after the store is verified,
 *                            before any layer is registered), "umount2"
 *                            just before its umount2() call
 *
 * layerctl_test compiles it at run time (cc -shared), so that the
 * selftests Makefile needs no rule for it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static void swap_at(const char *when)
{
	static int done;
	const char *at = getenv("LFS_SWAP_AT");
	const char *a = getenv("LFS_SWAP_A");
	const char *b = getenv("LFS_SWAP_B");

	if (done || !at || !a || !b || strcmp(at, when))
		return;
	done = 1;
	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE))
		perror("swap_shim: renameat2");
	else
		fprintf(stderr, "swap_shim: %s: swapped %s and %s\n", when, a, b);
}

static int open_common(const char *sym, const char *path, int flags,
		       mode_t mode)
{
	int (*real)(const char *path, int flags, ...) = dlsym(RTLD_NEXT, sym);

	if (!strcmp(path, "/dev/layerfs"))
		swap_at("open-ctl");
	return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open_common("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open_common("open64", path, flags, mode);
}

int umount2(const char *target, int flags)
{
	int (*real)(const char *target, int flags) = dlsym(RTLD_NEXT, "umount2");

	swap_at("umount2");
	return real(target, flags);
}
