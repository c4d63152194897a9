// SPDX-License-Identifier: GPL-2.0-only
/* <linux/backing-file.h> and the backing_file I/O helpers (6.8), with backing_file_open() taking the user file (6.12). */
#include <linux/backing-file.h>

struct file *lfs_probe(const struct file *file, const struct path *path);
struct file *lfs_probe(const struct file *file, const struct path *path)
{
	struct backing_file_ctx ctx = { .user_file = NULL };

	return ctx.user_file ?: backing_file_open(file, 0, path, NULL);
}
