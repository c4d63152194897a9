/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * layerfs kernel compatibility layer.
 *
 * Every difference between supported kernels (Debian's 6.12 and 6.1)
 * goes here, keyed by the feature probes Kbuild runs against the target
 * kernel (module/compat/Kbuild.include, wireguard's compat/ scheme),
 * never by version numbers. The core files are written against 6.12;
 * what an older kernel lacks is defined here in the 6.12 form, or
 * implemented in compat.c.
 *
 * Include this after every kernel header (layerfs.h does): some of what
 * follows renames kernel identifiers for the core files' sake.
 */
#ifndef _LFS_COMPAT_H
#define _LFS_COMPAT_H

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/list_lru.h>
#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/xattr.h>
#include <net/netlink.h>
#include "compat/have.h"	/* the probes' results, generated */

#ifdef HAVE_BACKING_FILE
#include <linux/backing-file.h>
#endif

/*
 * Idmapped mounts before struct mnt_idmap (6.3): every struct mnt_idmap
 * argument of 6.12 is a struct user_namespace in the same place, so the
 * type and its helpers are aliased. The struct tag and the function
 * user_namespace() live in different C name spaces.
 */
#ifndef HAVE_MNT_IDMAP
#define mnt_idmap user_namespace
#define nop_mnt_idmap init_user_ns
#define file_mnt_idmap file_mnt_user_ns
#define old_mnt_idmap old_mnt_userns
#define new_mnt_idmap new_mnt_userns
static inline struct user_namespace *user_namespace(const struct vfsmount *mnt)
{
	return mnt_user_ns(mnt);
}
#endif

#ifndef HAVE_KERNEL_TMPFILE_OPEN
#define kernel_tmpfile_open vfs_tmpfile_open
#endif

/*
 * POSIX ACLs before the 6.2 rework: the inode operation that 6.12 calls
 * get_inode_acl is get_acl, and there are no dentry-based get_acl and
 * set_acl; setting an ACL goes through the system.posix_acl_* xattr
 * handlers (LFS_COMPAT_ACL_XATTR_HANDLERS, compat.c), which end in
 * lfs_set_acl() as the 6.12 set_acl does.
 */
#ifndef HAVE_GET_INODE_ACL
#define get_inode_acl get_acl	/* the inode operation and the call */
#endif

#ifdef HAVE_SET_ACL_DENTRY
#define LFS_DENTRY_ACL_IOPS \
	.get_acl = lfs_get_acl, \
	.set_acl = lfs_set_acl,
#else
#define LFS_DENTRY_ACL_IOPS
#endif

#ifndef HAVE_VFS_SET_ACL
#define vfs_get_acl lfs_compat_vfs_get_acl
#define vfs_set_acl lfs_compat_vfs_set_acl
#define vfs_remove_acl lfs_compat_vfs_remove_acl
struct posix_acl *vfs_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      const char *acl_name);
int vfs_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		const char *acl_name, struct posix_acl *acl);
int vfs_remove_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		   const char *acl_name);
#endif

#ifndef HAVE_POSIX_ACL_XATTR_NAME
static inline const char *posix_acl_xattr_name(int type)
{
	switch (type) {
	case ACL_TYPE_ACCESS:
		return XATTR_NAME_POSIX_ACL_ACCESS;
	case ACL_TYPE_DEFAULT:
		return XATTR_NAME_POSIX_ACL_DEFAULT;
	}
	return "";
}
#endif

#ifndef HAVE_IS_POSIX_ACL_XATTR
static inline bool is_posix_acl_xattr(const char *name)
{
	return !strcmp(name, XATTR_NAME_POSIX_ACL_ACCESS) ||
	       !strcmp(name, XATTR_NAME_POSIX_ACL_DEFAULT);
}
#endif

/*
 * Regular-file passthrough before backing files (6.8): compat.c opens
 * the real file with open_with_fake_path(), as overlayfs 6.1 did, and
 * does the I/O as backing-file.c does it on 6.12. Such a real file's
 * f_path is the layerfs file's (file_dentry() of it goes through
 * ->d_real() with the real inode, see LFS_D_REAL), and it is opened
 * with FMODE_NONOTIFY: the VFS reports the events on the layerfs file.
 */
#ifdef HAVE_BACKING_FILE
#define LFS_COMPAT_REAL_OPEN_FLAGS	0
#else
#define LFS_COMPAT_REAL_OPEN_FLAGS	__FMODE_NONOTIFY

struct backing_file_ctx {
	const struct cred *cred;
	struct file *user_file;
	void (*accessed)(struct file *file);
	void (*end_write)(struct file *file, loff_t pos, ssize_t ret);
};

#define backing_file_open lfs_compat_backing_file_open
#define backing_tmpfile_open lfs_compat_backing_tmpfile_open
#define backing_file_read_iter lfs_compat_backing_file_read_iter
#define backing_file_write_iter lfs_compat_backing_file_write_iter
#define backing_file_splice_read lfs_compat_backing_file_splice_read
#define backing_file_splice_write lfs_compat_backing_file_splice_write
#define backing_file_mmap lfs_compat_backing_file_mmap
struct file *backing_file_open(const struct file *user_file, int flags,
			       const struct path *real_path,
			       const struct cred *cred);
struct file *backing_tmpfile_open(const struct file *user_file, int flags,
				  const struct path *real_parentpath,
				  umode_t mode, const struct cred *cred);
ssize_t backing_file_read_iter(struct file *file, struct iov_iter *iter,
			       struct kiocb *iocb, int flags,
			       struct backing_file_ctx *ctx);
ssize_t backing_file_write_iter(struct file *file, struct iov_iter *iter,
				struct kiocb *iocb, int flags,
				struct backing_file_ctx *ctx);
ssize_t backing_file_splice_read(struct file *in, loff_t *ppos,
				 struct pipe_inode_info *pipe, size_t len,
				 unsigned int flags,
				 struct backing_file_ctx *ctx);
ssize_t backing_file_splice_write(struct pipe_inode_info *pipe,
				  struct file *out, loff_t *ppos, size_t len,
				  unsigned int flags,
				  struct backing_file_ctx *ctx);
int backing_file_mmap(struct file *file, struct vm_area_struct *vma,
		      struct backing_file_ctx *ctx);

#endif /* !HAVE_BACKING_FILE */

/* What compat.c sets up for the module (nothing on 6.12). */
int lfs_compat_init(void);
void lfs_compat_exit(void);

/* struct fd as a word with flags (6.12); before, a file and flags. */
#ifndef fd_file
#define fd_file(f) ((f).file)

static inline struct fd BORROWED_FD(struct file *f)
{
	return (struct fd){ .file = f };
}

static inline struct fd CLONED_FD(struct file *f)
{
	return (struct fd){ .file = f, .flags = FDPUT_FPUT };
}
#endif

#ifndef IOCB_DIO_CALLER_COMP
#define IOCB_DIO_CALLER_COMP	0
#endif

#ifndef HAVE_KIOCB_SET_RW_FLAGS_TYPE
/* The IOCB_ and RWF_ bits it takes are the same on 6.1. */
static inline int lfs_compat_kiocb_set_rw_flags(struct kiocb *ki, rwf_t flags,
						int rw_type)
{
	return kiocb_set_rw_flags(ki, flags);
}

#define kiocb_set_rw_flags lfs_compat_kiocb_set_rw_flags
#endif

#ifndef HAVE_D_MARK_TMPFILE
#define d_mark_tmpfile lfs_compat_d_mark_tmpfile
void d_mark_tmpfile(struct file *file, struct inode *inode);
#endif

/*
 * ->d_real(): 6.12 asks for the data or the metadata dentry; before
 * 6.9 it asks for the real dentry of a given inode (file_dentry() of a
 * real file opened with a fake path), which compat.c answers.
 */
#ifdef HAVE_D_REAL_TYPE
#define LFS_D_REAL	lfs_d_real
#else
enum d_real_type { D_REAL_DATA, D_REAL_METADATA };
struct dentry *lfs_compat_d_real(struct dentry *dentry,
				 const struct inode *inode);
#define LFS_D_REAL	lfs_compat_d_real
#endif

/*
 * Mount write access without freeze protection (exported in 6.8): the
 * mount's writer count, then sb_writers dropped again. Putting it back
 * takes sb_writers, so it may wait for a frozen upper to thaw; the
 * copy-up holds no layerfs lock the thaw could need.
 */
#ifndef HAVE_MNT_GET_WRITE_ACCESS
static inline int mnt_get_write_access(struct vfsmount *mnt)
{
	int err = mnt_want_write(mnt);

	if (!err)
		sb_end_write(mnt->mnt_sb);
	return err;
}

static inline void mnt_put_write_access(struct vfsmount *mnt)
{
	sb_start_write(mnt->mnt_sb);
	mnt_drop_write(mnt);
}
#endif

/*
 * do_splice_direct() takes the output's freeze protection itself since
 * 6.7; before, its caller holds it across the call.
 */
static inline ssize_t lfs_splice_direct(struct file *in, loff_t *ppos,
					struct file *out, loff_t *opos,
					size_t len, unsigned int flags)
{
#ifdef HAVE_SPLICE_FILE_RANGE
	return do_splice_direct(in, ppos, out, opos, len, flags);
#else
	ssize_t ret;

	file_start_write(out);
	ret = do_splice_direct(in, ppos, out, opos, len, flags);
	file_end_write(out);
	return ret;
#endif
}

#ifndef HAVE_INODE_GET_MTIME
static inline struct timespec64 inode_get_mtime(const struct inode *inode)
{
	return inode->i_mtime;
}

static inline struct timespec64 inode_set_mtime_to_ts(struct inode *inode,
						      struct timespec64 ts)
{
	inode->i_mtime = ts;
	return ts;
}

static inline struct timespec64 inode_get_atime(const struct inode *inode)
{
	return inode->i_atime;
}

static inline struct timespec64 inode_set_atime_to_ts(struct inode *inode,
						      struct timespec64 ts)
{
	inode->i_atime = ts;
	return ts;
}
#endif

#ifndef HAVE_VFS_PARSE_MONOLITHIC_SEP
#define vfs_parse_monolithic_sep lfs_compat_vfs_parse_monolithic_sep
int vfs_parse_monolithic_sep(struct fs_context *fc, void *data,
			     char *(*sep)(char **s));
#endif

#ifndef fsparam_string_empty
#define fsparam_string_empty(NAME, OPT) \
	__fsparam(fs_param_is_string, NAME, OPT, fs_param_can_be_empty, NULL)
#endif

/* kvrealloc() without the old size (6.12) needs it before. */
static inline void *lfs_kvrealloc(void *p, size_t oldsize, size_t newsize,
				  gfp_t gfp)
{
#ifdef HAVE_KVREALLOC_NO_OLDSIZE
	return kvrealloc(p, newsize, gfp);
#else
	return kvrealloc(p, oldsize, newsize, gfp);
#endif
}

/*
 * s_xattr became a const array in 6.7; before 6.2 it also needs the ACL
 * handlers in front (compat.c).
 */
#ifdef HAVE_SET_ACL_DENTRY
static inline void lfs_set_s_xattr(struct super_block *sb,
				   const struct xattr_handler * const *h)
{
#ifdef HAVE_CONST_S_XATTR
	sb->s_xattr = h;
#else
	sb->s_xattr = (const struct xattr_handler **)h;
#endif
}
#else
void lfs_set_s_xattr(struct super_block *sb,
		     const struct xattr_handler * const *h);
#endif

#ifndef SB_I_EVM_HMAC_UNSUPPORTED
#define SB_I_EVM_HMAC_UNSUPPORTED	0	/* no EVM check to opt out of */
#endif

#ifndef AT_GETATTR_NOSEC
#define AT_GETATTR_NOSEC	0
#endif

#ifndef HAVE_SB_HAS_ENCODING
static inline bool sb_has_encoding(const struct super_block *sb)
{
#if IS_ENABLED(CONFIG_UNICODE)
	return !!sb->s_encoding;
#else
	return false;
#endif
}
#endif

#ifndef HAVE_SECURITY_COPY_UP_XATTR_DENTRY
static inline int lfs_compat_security_inode_copy_up_xattr(struct dentry *src,
							  const char *name)
{
	return security_inode_copy_up_xattr(name);
}

#define security_inode_copy_up_xattr lfs_compat_security_inode_copy_up_xattr
#endif

/*
 * Shrinkers the kernel allocates (6.7). Before, the caller owns the
 * struct and registering it is what assigns the id a memcg-aware
 * list_lru needs at its init, which the core does between alloc and
 * register: so compat.c registers at alloc time, with callbacks that
 * find nothing until the core sets its own.
 */
#ifndef HAVE_SHRINKER_ALLOC
#define shrinker_alloc lfs_compat_shrinker_alloc
#define shrinker_register lfs_compat_shrinker_register
#define shrinker_free lfs_compat_shrinker_free
struct shrinker *shrinker_alloc(unsigned int flags, const char *name);
void shrinker_register(struct shrinker *shrinker);
void shrinker_free(struct shrinker *shrinker);
#endif

#ifndef HAVE_LIST_LRU_ADD_OBJ
#define list_lru_add_obj list_lru_add
#define list_lru_del_obj list_lru_del
#endif

/* Directory iteration under the exclusive lock (6.6 helper). */
#ifndef WRAP_DIR_ITER
#define LFS_COMPAT_WRAP_DIR_ITER
int lfs_compat_wrap_directory_iterator(struct file *file,
				       struct dir_context *ctx,
				       int (*iter)(struct file *,
						   struct dir_context *));
#define WRAP_DIR_ITER(x) \
	static int shared_##x(struct file *file, struct dir_context *ctx) \
	{ \
		return lfs_compat_wrap_directory_iterator(file, ctx, x); \
	}
#endif

/* Generic netlink. */
#ifndef NL_ASSERT_DUMP_CTX_FITS
#define NL_ASSERT_DUMP_CTX_FITS(type_name) \
	BUILD_BUG_ON(sizeof(type_name) > \
		     sizeof_field(struct netlink_callback, ctx))
#endif

#ifndef NL_SET_ERR_MSG_FMT
/* No formatted extack messages before 6.2: into the log, then. */
#define LFS_COMPAT_NL_SET_ERR_MSG_FMT
#define NL_SET_ERR_MSG_FMT lfs_compat_nl_set_err_msg_fmt
__printf(2, 3) void NL_SET_ERR_MSG_FMT(struct netlink_ext_ack *extack,
				       const char *fmt, ...);
#endif

#endif /* _LFS_COMPAT_H */
