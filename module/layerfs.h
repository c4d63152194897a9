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
#include <linux/posix_acl.h>
#include <linux/cred.h>
#include "lfs_entry.h"
#include <linux/layerfs.h>

/* Lower layers a mount may stack; overlayfs stops at 500. */
#define LFS_MAX_LOWER		4096

/*
 * The union's own xattrs are trusted.overlay.*, or user.overlay.* with
 * "userxattr" (overlayfs's names, so that either reads what the other
 * wrote). lfs_xattr() gives the name a mount uses.
 */
#define LFS_XATTR_TRUSTED_PREFIX	"trusted.overlay."
#define LFS_XATTR_TRUSTED_PREFIX_LEN	(sizeof(LFS_XATTR_TRUSTED_PREFIX) - 1)
#define LFS_XATTR_USER_PREFIX		"user.overlay."
#define LFS_XATTR_USER_PREFIX_LEN	(sizeof(LFS_XATTR_USER_PREFIX) - 1)
/*
 * A nested union's own trusted.overlay.X is stored escaped, as
 * trusted.overlay.overlay.X, in the layers (overlayfs's convention);
 * user.overlay.X as user.overlay.overlay.X with userxattr.
 */
#define LFS_XATTR_ESCAPE	"overlay."
#define LFS_XATTR_ESCAPE_LEN	(sizeof(LFS_XATTR_ESCAPE) - 1)

enum lfs_xattr {
	LFS_XATTR_OPAQUE,
	LFS_XATTR_WHITEOUT,
	LFS_XATTR_ORIGIN,
	LFS_XATTR_REDIRECT,
	LFS_XATTR_IMPURE,
	LFS_XATTR_PROTATTR,
	LFS_XATTR_METACOPY,
};

/*
 * trusted.overlay.metacopy, overlayfs's on-disk format: empty, or this
 * header and an fs-verity digest (struct ovl_metacopy). Its file holds
 * metadata only; the data is in a lower layer (metacopy=on).
 */
#define LFS_METACOPY_DIGEST_MAX	64	/* FS_VERITY_MAX_DIGEST_SIZE */
struct lfs_metacopy {
	u8 version;		/* 0 */
	u8 len;			/* this header and the digest bytes used */
	u8 flags;
	u8 digest_algo;		/* FS_VERITY_HASH_ALG_*, 0: none */
	u8 digest[LFS_METACOPY_DIGEST_MAX];
} __packed;

#define LFS_METACOPY_MAX_SIZE	sizeof(struct lfs_metacopy)
#define LFS_METACOPY_MIN_SIZE	(LFS_METACOPY_MAX_SIZE - LFS_METACOPY_DIGEST_MAX)

/* [enum lfs_xattr][userxattr] (util.c) */
extern const char *const lfs_xattr_table[][2];

static inline const char *lfs_xattr(const struct lfs_fs *ofs,
				    enum lfs_xattr ox)
{
	return lfs_xattr_table[ox][ofs->config.userxattr];
}

/* "trusted.overlay." or "user.overlay." */
static inline const char *lfs_xattr_prefix(const struct lfs_fs *ofs)
{
	return ofs->config.userxattr ? LFS_XATTR_USER_PREFIX :
				       LFS_XATTR_TRUSTED_PREFIX;
}

static inline size_t lfs_xattr_prefix_len(const struct lfs_fs *ofs)
{
	return ofs->config.userxattr ? LFS_XATTR_USER_PREFIX_LEN :
				       LFS_XATTR_TRUSTED_PREFIX_LEN;
}

/* Name of the directory layerfs owns inside workdir, as overlayfs. */
#define LFS_WORKDIR_NAME	"work"

static inline struct mnt_idmap *lfs_upper_idmap(struct lfs_fs *ofs)
{
	return mnt_idmap(ofs->layers[0].mnt);
}

static inline struct vfsmount *lfs_upper_mnt(struct lfs_fs *ofs)
{
	return ofs->layers[0].mnt;
}

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

static inline int lfs_do_create(struct lfs_fs *ofs, struct inode *dir,
				struct dentry *dentry, umode_t mode)
{
	int err = vfs_create(lfs_upper_idmap(ofs), dir, dentry, mode, true);

	pr_debug("create(%pd2, 0%o) = %i\n", dentry, mode, err);
	return err;
}

static inline int lfs_do_mkdir(struct lfs_fs *ofs, struct inode *dir,
			       struct dentry *dentry, umode_t mode)
{
	int err = vfs_mkdir(lfs_upper_idmap(ofs), dir, dentry, mode);

	pr_debug("mkdir(%pd2, 0%o) = %i\n", dentry, mode, err);
	return err;
}

static inline int lfs_do_mknod(struct lfs_fs *ofs, struct inode *dir,
			       struct dentry *dentry, umode_t mode, dev_t dev)
{
	int err = vfs_mknod(lfs_upper_idmap(ofs), dir, dentry, mode, dev);

	pr_debug("mknod(%pd2, 0%o, 0%o) = %i\n", dentry, mode, dev, err);
	return err;
}

static inline int lfs_do_symlink(struct lfs_fs *ofs, struct inode *dir,
				 struct dentry *dentry, const char *oldname)
{
	int err = vfs_symlink(lfs_upper_idmap(ofs), dir, dentry, oldname);

	pr_debug("symlink(\"%s\", %pd2) = %i\n", oldname, dentry, err);
	return err;
}

static inline int lfs_do_link(struct lfs_fs *ofs, struct dentry *old,
			      struct inode *dir, struct dentry *new)
{
	int err = vfs_link(old, lfs_upper_idmap(ofs), dir, new, NULL);

	pr_debug("link(%pd2, %pd2) = %i\n", old, new, err);
	return err;
}

static inline int lfs_do_unlink(struct lfs_fs *ofs, struct inode *dir,
				struct dentry *dentry)
{
	int err = vfs_unlink(lfs_upper_idmap(ofs), dir, dentry, NULL);

	pr_debug("unlink(%pd2) = %i\n", dentry, err);
	return err;
}

static inline int lfs_do_rmdir(struct lfs_fs *ofs, struct inode *dir,
			       struct dentry *dentry)
{
	int err = vfs_rmdir(lfs_upper_idmap(ofs), dir, dentry);

	pr_debug("rmdir(%pd2) = %i\n", dentry, err);
	return err;
}

static inline int lfs_do_rename(struct lfs_fs *ofs, struct inode *olddir,
				struct dentry *olddentry, struct inode *newdir,
				struct dentry *newdentry, unsigned int flags)
{
	struct renamedata rd = {
		.old_mnt_idmap	= lfs_upper_idmap(ofs),
		.old_dir	= olddir,
		.old_dentry	= olddentry,
		.new_mnt_idmap	= lfs_upper_idmap(ofs),
		.new_dir	= newdir,
		.new_dentry	= newdentry,
		.flags		= flags,
	};
	int err = vfs_rename(&rd);

	pr_debug("rename(%pd2, %pd2, 0x%x) = %i\n", olddentry, newdentry,
		 flags, err);
	return err;
}

static inline int lfs_do_whiteout(struct lfs_fs *ofs, struct inode *dir,
				  struct dentry *dentry)
{
	int err = lfs_do_mknod(ofs, dir, dentry, S_IFCHR | WHITEOUT_MODE,
			       WHITEOUT_DEV);

	if (!err)
		lfs_stat_inc(ofs, LFS_STAT_WHITEOUTS);
	return err;
}

static inline int lfs_do_setxattr(struct lfs_fs *ofs, struct dentry *dentry,
				  const char *name, const void *value,
				  size_t size, int flags)
{
	int err = vfs_setxattr(lfs_upper_idmap(ofs), dentry, name, value,
			       size, flags);

	pr_debug("setxattr(%pd2, \"%s\", %zu, %d) = %i\n", dentry, name, size,
		 flags, err);
	return err;
}

static inline int lfs_do_removexattr(struct lfs_fs *ofs,
				     struct dentry *dentry, const char *name)
{
	int err = vfs_removexattr(lfs_upper_idmap(ofs), dentry, name);

	pr_debug("removexattr(%pd2, \"%s\") = %i\n", dentry, name, err);
	return err;
}

static inline int lfs_do_set_acl(struct lfs_fs *ofs, struct dentry *dentry,
				 const char *acl_name, struct posix_acl *acl)
{
	int err = vfs_set_acl(lfs_upper_idmap(ofs), dentry, acl_name, acl);

	pr_debug("set_acl(%pd2, \"%s\") = %i\n", dentry, acl_name, err);
	return err;
}

static inline int lfs_do_remove_acl(struct lfs_fs *ofs, struct dentry *dentry,
				    const char *acl_name)
{
	int err = vfs_remove_acl(lfs_upper_idmap(ofs), dentry, acl_name);

	pr_debug("remove_acl(%pd2, \"%s\") = %i\n", dentry, acl_name, err);
	return err;
}

static inline int lfs_do_notify_change(struct lfs_fs *ofs,
				       struct dentry *dentry,
				       struct iattr *attr)
{
	int err = notify_change(lfs_upper_idmap(ofs), dentry, attr, NULL);

	pr_debug("setattr(%pd2, 0x%x) = %i\n", dentry, attr->ia_valid, err);
	return err;
}

/* fsync=auto|strict|volatile, as overlayfs's ovl_should_sync() & co. */
static inline bool lfs_should_sync(const struct lfs_fs *ofs)
{
	return ofs->config.fsync_mode != LFS_FSYNC_VOLATILE;
}

static inline bool lfs_should_sync_metadata(const struct lfs_fs *ofs)
{
	return ofs->config.fsync_mode == LFS_FSYNC_STRICT;
}

/*
 * Without the features that write where lower content is (redirects,
 * metacopy, ...) lower layers may change offline, as overlayfs's
 * ovl_allow_offline_changes() says.
 */
static inline bool lfs_allow_offline_changes(const struct lfs_fs *ofs)
{
	return !ofs->config.index && !ofs->config.metacopy &&
	       ofs->config.redirect_mode != LFS_REDIRECT_ON &&
	       !ofs->config.nfs_export;
}

static inline bool lfs_is_volatile(const struct lfs_config *config)
{
	return config->fsync_mode == LFS_FSYNC_VOLATILE;
}

/* What a real object to create looks like. */
struct lfs_cattr {
	umode_t mode;
	dev_t rdev;
	const char *link;
};

#define LFS_CATTR(m) (&(struct lfs_cattr) { .mode = (m) })

/* util.c */
char *lfs_get_redirect(struct lfs_fs *ofs, const struct path *path,
		       size_t padding);
int lfs_set_impure(struct lfs_fs *ofs, struct dentry *upperdir);
bool lfs_inuse_trylock(struct dentry *dentry);
void lfs_inuse_unlock(struct dentry *dentry);
int lfs_want_write(struct super_block *sb);
void lfs_drop_write(struct super_block *sb);
void lfs_start_write(struct lfs_fs *ofs);
void lfs_end_write(struct lfs_fs *ofs);
struct dentry *lfs_lookup_temp(struct lfs_fs *ofs);
int lfs_create_real(struct lfs_fs *ofs, struct inode *dir,
		    struct dentry *dentry, const struct lfs_cattr *attr);
struct dentry *lfs_create_temp(struct lfs_fs *ofs,
			       const struct lfs_cattr *attr);
int lfs_cleanup(struct lfs_fs *ofs, struct inode *dir, struct dentry *dentry);
bool lfs_is_upper_whiteout(struct dentry *dentry);
bool lfs_lower_positive(struct dentry *dir, const struct qstr *name);
void lfs_dir_modified(struct inode *dir);
const struct cred *lfs_override_creds(struct super_block *sb);
u64 lfs_map_ino(const struct lfs_fs *ofs, const struct lfs_layer *layer,
		u64 ino);
struct lfs_entry *lfs_alloc_entry(unsigned int numlower);
void lfs_put_entry(struct lfs_entry *oe);
void lfs_free_entry(struct lfs_entry *oe);
bool lfs_is_private_xattr(struct lfs_fs *ofs, const char *name);
bool lfs_is_escaped_xattr(struct lfs_fs *ofs, const char *name);
bool lfs_path_is_whiteout(struct lfs_fs *ofs, const struct path *path);
char lfs_get_opaque_val(struct lfs_fs *ofs, const struct path *path);
void lfs_real_path(struct inode *inode, struct path *path);
void lfs_real_data_path(struct inode *inode, struct path *path);
int lfs_check_metacopy(struct lfs_fs *ofs, const struct path *path);
char *lfs_path_name(const struct path *path);
struct inode *lfs_inode_real(struct inode *inode);
struct dentry *lfs_dentry_real(struct dentry *dentry);
const struct lfs_layer *lfs_inode_layer(struct inode *inode);
bool lfs_dentry_weird(struct dentry *dentry);
bool lfs_path_revalidates(const struct path *path);
void lfs_dentry_init_flags(struct dentry *dentry, struct dentry *upper,
			   struct lfs_entry *oe, unsigned int mask);
void lfs_dentry_init_reval(struct dentry *dentry, struct inode *inode);

/* params.c */
int lfs_init_fs_context(struct fs_context *fc);
int lfs_show_options(struct seq_file *m, struct dentry *dentry);
int lfs_resolve_layer(struct fs_context *fc);
int lfs_check_features(struct fs_context *fc, struct lfs_config *config,
		       bool upper);
extern const struct fs_parameter_spec lfs_parameter_spec[];

/* super.c */
struct lfs_fs_context;
int lfs_fill_super(struct super_block *sb, struct fs_context *fc);
bool lfs_is_trap(const struct lfs_fs *ofs, const struct inode *inode);
void lfs_free_fs(struct lfs_fs *ofs);
int lfs_sync_status(struct lfs_fs *ofs);

/* namei.c */
struct dentry *lfs_lookup(struct inode *dir, struct dentry *dentry,
			  unsigned int flags);
extern const struct dentry_operations lfs_dentry_operations;

/* inode.c */
struct inode *lfs_get_inode(struct super_block *sb, struct dentry *upper,
			    struct lfs_entry *oe, unsigned long flags);
void lfs_inode_init_once(void *foo);
void lfs_copyattr(struct inode *inode);
void lfs_update_ino(struct inode *inode);
int lfs_getattr(struct mnt_idmap *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags);
int lfs_permission(struct mnt_idmap *idmap, struct inode *inode, int mask);
ssize_t lfs_listxattr(struct dentry *dentry, char *list, size_t size);
struct posix_acl *lfs_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      int type);
struct posix_acl *lfs_get_inode_acl(struct inode *inode, int type, bool rcu);
int lfs_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type);
int lfs_xattr_get(struct dentry *dentry, struct inode *inode,
		  const char *name, void *buffer, size_t size);
int lfs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		struct iattr *attr);
struct fileattr;
int lfs_copy_fileattr(struct inode *inode, const struct path *old,
		      struct dentry *new);
int lfs_fileattr_get(struct dentry *dentry, struct fileattr *fa);
int lfs_fileattr_set(struct mnt_idmap *idmap, struct dentry *dentry,
		     struct fileattr *fa);
const struct xattr_handler * const *lfs_xattr_handlers(bool userxattr);

/* dir.c */
extern const struct inode_operations lfs_dir_inode_operations;

/* copy_up.c */
int lfs_copy_up(struct dentry *dentry);
int lfs_copy_up_flags(struct dentry *dentry, int flags);
int lfs_copy_up_with_data(struct dentry *dentry);
int lfs_fsync_path(const struct path *path);
bool lfs_open_need_copy_up(struct dentry *dentry, int flags);

/* registry.c */
struct lfs_reg_layer;

struct lfs_reg_req {
	u32 flags;
	const char *name;
	const char *parent;
	const char *diff_id;
	const char *chain_id;
};

/* A mount's pinned registry chain, top layer first. */
struct lfs_reg_chain {
	unsigned int nr;
	struct lfs_reg_layer *layers[];
};

bool lfs_reg_valid_name(const char *name, size_t size);
int lfs_reg_add(const struct lfs_reg_req *req, const struct path *path);
int lfs_reg_del(const char *name);
int lfs_reg_get(const char *name, struct layerfs_layer_info *info);
struct lfs_reg_chain *lfs_reg_get_chain(const char *name);

/* A copy of one registered layer, for netlink dumps. */
struct lfs_reg_snapshot {
	char name[LAYERFS_NAME_SIZE];
	char parent[LAYERFS_NAME_SIZE];
	char diff_id[LAYERFS_ID_SIZE];
	char chain_id[LAYERFS_ID_SIZE];
	u32 depth;
	u32 children;
	u32 mounts;
	char *dir;			/* as added, or NULL: kfree() it */
};

int lfs_reg_snapshot_next(const char *after, struct lfs_reg_snapshot *snap);
void lfs_reg_put_chain(struct lfs_reg_chain *chain);
const struct path *lfs_reg_layer_path(const struct lfs_reg_layer *l);
const char *lfs_reg_layer_name(const struct lfs_reg_layer *l);
struct lfs_nameidx_owner *lfs_reg_layer_nameidx(const struct lfs_reg_layer *l);
const char *lfs_reg_layer_chain_id(const struct lfs_reg_layer *l);
void lfs_reg_exit(void);

/* netlink.c */
int lfs_genl_init(void);
void lfs_genl_exit(void);
int lfs_stats_alloc(struct lfs_fs *ofs);
void lfs_stats_free(struct lfs_fs *ofs);
void lfs_mount_add(struct lfs_fs *ofs, struct super_block *sb);
void lfs_mount_del(struct lfs_fs *ofs);
void lfs_event_layer(u32 type, const char *name);
void lfs_event_copy_up(struct lfs_fs *ofs, struct dentry *dentry, u64 bytes,
		       u64 ns);

/* ctl.c */
int lfs_copy_req(void *dst, size_t ksize, size_t min, void __user *uarg);
int lfs_ctl_init(void);
void lfs_ctl_exit(void);

/* readdir.c */
struct lfs_name {
	struct list_head list;
	unsigned int type;
	u16 len;
	char name[];
};

void lfs_dir_cache_free(struct inode *inode);
int lfs_readdir_init(void);
void lfs_readdir_exit(void);
void lfs_stamp(struct lfs_dir_stamp *st, struct inode *inode);
int lfs_read_real_dir(const struct path *realpath, struct dir_context *ctx,
		      unsigned int *count, int *err);
bool lfs_stamp_valid(const struct lfs_dir_stamp *st);
int lfs_check_empty_dir(struct dentry *dentry);
int lfs_dir_read_names(const struct path *path, struct list_head *list);
extern const struct file_operations lfs_dir_operations;

/* nameidx.c */
u32 lfs_nameidx_hash(const struct qstr *name);
int lfs_nameidx_first(struct inode *dir, u32 hash);
bool lfs_nameidx_begin(struct inode *dir);
void lfs_nameidx_merge(struct inode *dir);
struct lfs_nameidx_owner *lfs_nameidx_owner_alloc(bool registry);
struct lfs_nameidx_owner *lfs_nameidx_owner_get(struct lfs_nameidx_owner *owner);
void lfs_nameidx_owner_put(struct lfs_nameidx_owner *owner);
bool lfs_nameidx_may_hold(struct inode *dir, unsigned int i,
			  const struct qstr *name, u32 hash, bool *indexed);
void lfs_nameidx_evict(struct inode *inode);
int lfs_nameidx_init(void);
void lfs_nameidx_exit(void);

/* file.c */
extern const struct file_operations lfs_file_operations;

/* explain.c */
long lfs_explain_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _LAYERFS_H */
