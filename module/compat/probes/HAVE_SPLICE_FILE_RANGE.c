// SPDX-License-Identifier: GPL-2.0-only
/*
 * splice_file_range() (6.7), from the series after which do_splice_direct()
 * takes the output's freeze protection itself; before, the caller held it.
 * There is nothing to compile-test in do_splice_direct(): this is its proxy.
 */
#include <linux/fs.h>
#include <linux/splice.h>

ssize_t lfs_probe(struct file *in, loff_t *ppos, struct file *out, loff_t *opos);
ssize_t lfs_probe(struct file *in, loff_t *ppos, struct file *out, loff_t *opos)
{
	return splice_file_range(in, ppos, out, opos, 0);
}
