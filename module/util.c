// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs helpers shared by all VFS operations.
 */

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/xattr.h>
#include <linux/hash.h>
#include "layerfs.h"

/*
 * Real filesystems are always accessed with the credentials of the task
 * that mounted the union, as overlayfs does: the caller's permission is
 * checked on the layerfs inode, the mounter's on the real one.
 */
const struct cred *lfs_override_creds(struct super_block *sb)
{
	return override_creds(LFS_FS(sb)->creator_cred);
}

/*
 * st_ino of an object: the real inode number with the index of the real
 * filesystem in the high xino_bits bits. Layers on one filesystem share
 * an index, so their inode numbers stay unique without bits. A real
 * number too large for the remaining bits is folded with a hash; this is
 * reported once and documented as a limit.
 */
u64 lfs_map_ino(const struct lfs_fs *ofs, const struct lfs_layer *layer,
		u64 ino)
{
	unsigned int shift = 64 - ofs->xino_bits;

	if (!ofs->xino_bits)
		return ino;
	if (ino >> shift) {
		pr_warn_once("inode number %llu too large for %u fsid bits\n",
			     ino, ofs->xino_bits);
		ino = hash_64(ino, shift);
	}
	return ino | ((u64)layer->fsid << shift);
}

struct lfs_entry *lfs_alloc_entry(unsigned int numlower)
{
	struct lfs_entry *oe;

	oe = kvzalloc(struct_size(oe, lowerstack, numlower), GFP_KERNEL);
	if (oe)
		oe->numlower = numlower;
	return oe;
}

/* Drop the real dentries of an entry; the array is freed separately. */
void lfs_put_entry(struct lfs_entry *oe)
{
	unsigned int i;

	if (!oe)
		return;
	for (i = 0; i < oe->numlower; i++)
		dput(oe->lowerstack[i].dentry);
}

void lfs_free_entry(struct lfs_entry *oe)
{
	lfs_put_entry(oe);
	kvfree(oe);
}

bool lfs_is_private_xattr(const char *name)
{
	return !strncmp(name, LFS_XATTR_PREFIX, LFS_XATTR_PREFIX_LEN);
}

static bool lfs_is_chr_whiteout(struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);

	return inode && IS_WHITEOUT(inode);
}

/*
 * A whiteout is a 0/0 character device, or (overlayfs 6.7+) a zero-size
 * regular file carrying trusted.overlay.whiteout.
 */
bool lfs_path_is_whiteout(const struct path *path)
{
	struct dentry *dentry = path->dentry;

	if (lfs_is_chr_whiteout(dentry))
		return true;
	if (!d_is_reg(dentry) || i_size_read(d_inode(dentry)) != 0)
		return false;
	return lfs_do_getxattr(path, LFS_XATTR_WHITEOUT, NULL, 0) >= 0;
}

/* Value of trusted.overlay.opaque on a directory: 'y', 'x' or 0. */
char lfs_get_opaque_val(const struct path *path)
{
	char val;
	int res;

	if (!d_is_dir(path->dentry))
		return 0;
	res = lfs_do_getxattr(path, LFS_XATTR_OPAQUE, &val, 1);
	if (res == 1 && (val == 'y' || val == 'x'))
		return val;
	return 0;
}

/* The real object backing an inode: upper if present, else top lower. */
void lfs_real_path(struct inode *inode, struct path *path)
{
	struct lfs_fs *ofs = LFS_FS(inode->i_sb);
	struct dentry *upper = lfs_i_upper(inode);
	struct lfs_entry *oe = LFS_E(inode);

	if (upper) {
		path->mnt = ofs->layers[0].mnt;
		path->dentry = upper;
	} else if (lfs_numlower(oe)) {
		path->mnt = oe->lowerstack[0].layer->mnt;
		path->dentry = oe->lowerstack[0].dentry;
	} else {
		path->mnt = NULL;
		path->dentry = NULL;
	}
}

const struct lfs_layer *lfs_inode_layer(struct inode *inode)
{
	struct lfs_entry *oe = LFS_E(inode);

	if (lfs_i_upper(inode))
		return &LFS_FS(inode->i_sb)->layers[0];
	return lfs_numlower(oe) ? oe->lowerstack[0].layer : NULL;
}

struct dentry *lfs_dentry_real(struct dentry *dentry)
{
	struct path path;

	lfs_real_path(d_inode(dentry), &path);
	return path.dentry;
}

struct inode *lfs_inode_real(struct inode *inode)
{
	struct dentry *real;
	struct path path;

	lfs_real_path(inode, &path);
	real = path.dentry;
	return real ? d_inode(real) : NULL;
}

/* Dentries layerfs refuses to stack on, as overlayfs does. */
bool lfs_dentry_weird(struct dentry *dentry)
{
	return dentry->d_flags & (DCACHE_NEED_AUTOMOUNT | DCACHE_MANAGE_TRANSIT |
				  DCACHE_OP_HASH | DCACHE_OP_COMPARE);
}
