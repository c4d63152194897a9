// SPDX-License-Identifier: GPL-2.0-only
/* sb_has_encoding() in <linux/fs.h> (6.7). */
#include <linux/fs.h>

bool lfs_probe(const struct super_block *sb);
bool lfs_probe(const struct super_block *sb)
{
	return sb_has_encoding(sb);
}
