// SPDX-License-Identifier: GPL-2.0-only
/* inode_operations .set_acl and .get_acl on a dentry (6.2); before, on an inode. */
#include <linux/fs.h>

int lfs_probe(struct mnt_idmap *idmap, struct dentry *dentry,
	      struct posix_acl *acl, int type);
int lfs_probe(struct mnt_idmap *idmap, struct dentry *dentry,
	      struct posix_acl *acl, int type)
{
	return dentry->d_inode->i_op->set_acl(idmap, dentry, acl, type);
}
