// SPDX-License-Identifier: GPL-2.0-only
/* inode_get_mtime(), inode_set_atime_to_ts() and the like (6.7); before, i_mtime and i_atime. */
#include <linux/fs.h>

void lfs_probe(struct inode *inode);
void lfs_probe(struct inode *inode)
{
	inode_set_mtime_to_ts(inode, inode_get_mtime(inode));
	inode_set_atime_to_ts(inode, inode_get_atime(inode));
}
