// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs directory inode operations.
 */

#include <linux/fs.h>
#include "layerfs.h"

const struct inode_operations lfs_dir_inode_operations = {
	.lookup		= lfs_lookup,
	.permission	= lfs_permission,
	.getattr	= lfs_getattr,
	.listxattr	= lfs_listxattr,
	.get_inode_acl	= lfs_get_inode_acl,
	.get_acl	= lfs_get_acl,
};
