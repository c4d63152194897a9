// SPDX-License-Identifier: GPL-2.0-only
/* struct mnt_idmap, mnt_idmap(), file_mnt_idmap() (6.3); before, user namespaces. */
#include <linux/fs.h>
#include <linux/mount.h>

struct mnt_idmap *lfs_probe(struct file *file);
struct mnt_idmap *lfs_probe(struct file *file)
{
	return file_mnt_idmap(file) ?: mnt_idmap(file->f_path.mnt);
}
