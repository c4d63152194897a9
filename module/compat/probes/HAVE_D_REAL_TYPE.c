// SPDX-License-Identifier: GPL-2.0-only
/* d_real(dentry, enum d_real_type) (6.9); before, d_real(dentry, inode). */
#include <linux/dcache.h>

struct dentry *lfs_probe(struct dentry *dentry);
struct dentry *lfs_probe(struct dentry *dentry)
{
	return dentry->d_op->d_real(dentry, D_REAL_DATA);
}
