// SPDX-License-Identifier: GPL-2.0-only
/* inode_operations .get_inode_acl and get_inode_acl() (6.2); before, .get_acl. */
#include <linux/fs.h>
#include <linux/posix_acl.h>

struct posix_acl *lfs_probe(struct inode *inode);
struct posix_acl *lfs_probe(struct inode *inode)
{
	return inode->i_op->get_inode_acl ? get_inode_acl(inode, ACL_TYPE_ACCESS) : NULL;
}
