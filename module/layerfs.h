/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * layerfs internal API.
 */
#ifndef _LAYERFS_H
#define _LAYERFS_H

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/namei.h>
#include <linux/xattr.h>
#include <linux/cred.h>
#include "lfs_entry.h"
#include "compat.h"

#define LAYERFS_SUPER_MAGIC	0x4c415946	/* "LAYF" */

/* Lower layers a mount may stack; overlayfs stops at 500. */
#define LFS_MAX_LOWER		4096

#define LFS_XATTR_PREFIX	XATTR_TRUSTED_PREFIX "overlay."
#define LFS_XATTR_PREFIX_LEN	(sizeof(LFS_XATTR_PREFIX) - 1)
#define LFS_XATTR_OPAQUE	LFS_XATTR_PREFIX "opaque"
#define LFS_XATTR_WHITEOUT	LFS_XATTR_PREFIX "whiteout"

/*
 * Wrappers for every call into a real filesystem. Callers hold the
 * mounter's credentials (lfs_override_creds()).
 */
static inline int lfs_do_getxattr(const struct path *path, const char *name,
				  void *value, size_t size)
{
	int err = vfs_getxattr(mnt_idmap(path->mnt), path->dentry, name,
			       value, size);

	pr_debug("getxattr(%pd2, \"%s\", %zu) = %i\n", path->dentry, name,
		 size, err);
	return err;
}

static inline int lfs_do_getattr(const struct path *path, struct kstat *stat,
				 u32 request_mask, unsigned int flags)
{
	int err;

	/* The VFS already ran the security hook when it says NOSEC. */
	if (flags & AT_GETATTR_NOSEC)
		err = vfs_getattr_nosec(path, stat, request_mask, flags);
	else
		err = vfs_getattr(path, stat, request_mask, flags);

	pr_debug("getattr(%pd2, %#x) = %i\n", path->dentry, request_mask, err);
	return err;
}

static inline struct dentry *lfs_do_lookup(const struct lfs_layer *layer,
					   const char *name,
					   struct dentry *base, int len)
{
	struct dentry *d = lookup_one_unlocked(lfs_layer_idmap(layer), name,
					       base, len);

	pr_debug("lookup(%pd2/%.*s) = %pe\n", base, len, name, d);
	return d;
}

/* util.c */
const struct cred *lfs_override_creds(struct super_block *sb);
u64 lfs_map_ino(const struct lfs_fs *ofs, const struct lfs_layer *layer,
		u64 ino);
struct lfs_entry *lfs_alloc_entry(unsigned int numlower);
void lfs_put_entry(struct lfs_entry *oe);
void lfs_free_entry(struct lfs_entry *oe);
bool lfs_is_private_xattr(const char *name);
bool lfs_path_is_whiteout(const struct path *path);
char lfs_get_opaque_val(const struct path *path);
void lfs_real_path(struct inode *inode, struct path *path);
struct inode *lfs_inode_real(struct inode *inode);
struct dentry *lfs_dentry_real(struct dentry *dentry);
const struct lfs_layer *lfs_inode_layer(struct inode *inode);
bool lfs_dentry_weird(struct dentry *dentry);

/* params.c */
int lfs_init_fs_context(struct fs_context *fc);
int lfs_show_options(struct seq_file *m, struct dentry *dentry);
extern const struct fs_parameter_spec lfs_parameter_spec[];

/* super.c */
struct lfs_fs_context;
int lfs_fill_super(struct super_block *sb, struct fs_context *fc);
void lfs_free_fs(struct lfs_fs *ofs);

/* namei.c */
struct dentry *lfs_lookup(struct inode *dir, struct dentry *dentry,
			  unsigned int flags);
extern const struct dentry_operations lfs_dentry_operations;

/* inode.c */
struct inode *lfs_get_inode(struct super_block *sb, struct dentry *upper,
			    struct lfs_entry *oe, unsigned long flags);
void lfs_inode_init_once(void *foo);
void lfs_copyattr(struct inode *inode);
int lfs_getattr(struct mnt_idmap *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags);
int lfs_permission(struct mnt_idmap *idmap, struct inode *inode, int mask);
ssize_t lfs_listxattr(struct dentry *dentry, char *list, size_t size);
struct posix_acl *lfs_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      int type);
struct posix_acl *lfs_get_inode_acl(struct inode *inode, int type, bool rcu);
extern const struct xattr_handler * const lfs_xattr_handlers[];

/* dir.c */
extern const struct inode_operations lfs_dir_inode_operations;

/* readdir.c */
void lfs_dir_cache_free(struct inode *inode);
extern const struct file_operations lfs_dir_operations;

/* file.c */
extern const struct file_operations lfs_file_operations;

#endif /* _LAYERFS_H */
