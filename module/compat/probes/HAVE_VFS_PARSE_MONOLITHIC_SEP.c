// SPDX-License-Identifier: GPL-2.0-only
/* vfs_parse_monolithic_sep() (6.5). */
#include <linux/fs_context.h>

int lfs_probe(struct fs_context *fc, void *data, char *(*sep)(char **));
int lfs_probe(struct fs_context *fc, void *data, char *(*sep)(char **))
{
	return vfs_parse_monolithic_sep(fc, data, sep);
}
