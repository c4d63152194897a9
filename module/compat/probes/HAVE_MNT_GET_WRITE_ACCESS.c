// SPDX-License-Identifier: GPL-2.0-only
/* mnt_get_write_access() exported (6.8): a mount writer without freeze protection. */
#include <linux/mount.h>

int lfs_probe(struct vfsmount *mnt);
int lfs_probe(struct vfsmount *mnt)
{
	int err = mnt_get_write_access(mnt);

	mnt_put_write_access(mnt);
	return err;
}
