// SPDX-License-Identifier: GPL-2.0-only
/* d_mark_tmpfile() (6.7): d_tmpfile() without the link drop. */
#include <linux/dcache.h>
#include <linux/fs.h>

void lfs_probe(struct file *file, struct inode *inode);
void lfs_probe(struct file *file, struct inode *inode)
{
	d_mark_tmpfile(file, inode);
}
