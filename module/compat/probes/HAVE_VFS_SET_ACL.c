// SPDX-License-Identifier: GPL-2.0-only
/* vfs_get_acl(), vfs_set_acl(), vfs_remove_acl() (6.2). */
#include <linux/fs.h>
#include <linux/posix_acl.h>
#include <linux/err.h>

int lfs_probe(struct mnt_idmap *idmap, struct dentry *dentry, struct posix_acl *acl);
int lfs_probe(struct mnt_idmap *idmap, struct dentry *dentry, struct posix_acl *acl)
{
	return PTR_ERR_OR_ZERO(vfs_get_acl(idmap, dentry, "")) +
	       vfs_set_acl(idmap, dentry, "", acl) + vfs_remove_acl(idmap, dentry, "");
}
