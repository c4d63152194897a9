// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers for the layerfs selftests. See util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

const char *lfs_module_path(void)
{
	const char *ko = getenv("LAYERFS_KO");

	return ko && *ko ? ko : NULL;
}

bool lfs_fs_registered(const char *fstype)
{
	char line[256], *name;
	bool found = false;
	FILE *f;

	f = fopen("/proc/filesystems", "re");
	if (!f)
		return false;
	/* "nodev\tlayerfs\n" or "\text4\n" */
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		name = strrchr(line, '\t');
		found = !strcmp(name ? name + 1 : line, fstype);
	}
	fclose(f);
	return found;
}

int lfs_load_module(void)
{
	const char *ko = lfs_module_path();
	int fd, ret = 0;

	if (lfs_fs_registered(LFS_FSTYPE))
		return 0;
	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
		ret = -errno;
	close(fd);
	return ret;
}

int lfs_unload_module(void)
{
	if (syscall(SYS_delete_module, LFS_FSTYPE, O_NONBLOCK))
		return -errno;
	return 0;
}
