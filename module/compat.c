// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs kernel compatibility layer: what compat.h cannot define inline
 * for kernels that lack it, each piece under the probe that says so. On
 * 6.12 nothing here is built.
 *
 * The passthrough I/O before backing files follows overlayfs 6.1
 * (fs/overlayfs/file.c: open_with_fake_path(), its own AIO requests,
 * freeze protection around real writes) in the shape of 6.12's
 * fs/backing-file.c, whose callers the core files are.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include "layerfs.h"

#ifndef HAVE_BACKING_FILE

struct lfs_compat_aio {
	struct kiocb iocb;
	refcount_t ref;
	struct kiocb *orig_iocb;
	void (*end_write)(struct file *file, loff_t pos, ssize_t ret);
	struct file *user_file;
	struct work_struct work;
	long res;
};

static struct kmem_cache *lfs_compat_aio_cachep;
/* Write completions update size and times here, one at a time per file. */
static struct workqueue_struct *lfs_compat_aio_wq;

static int lfs_compat_aio_init(void)
{
	lfs_compat_aio_cachep = KMEM_CACHE(lfs_compat_aio, SLAB_HWCACHE_ALIGN);
	if (!lfs_compat_aio_cachep)
		return -ENOMEM;
	lfs_compat_aio_wq = alloc_workqueue("layerfs-aio", WQ_MEM_RECLAIM, 0);
	if (!lfs_compat_aio_wq) {
		kmem_cache_destroy(lfs_compat_aio_cachep);
		return -ENOMEM;
	}
	return 0;
}

static void lfs_compat_aio_exit(void)
{
	destroy_workqueue(lfs_compat_aio_wq);
	kmem_cache_destroy(lfs_compat_aio_cachep);
}

/*
 * A real file whose f_path is the layerfs file's and whose inode is the
 * real one, not counted in nr_files (overlayfs 6.1's ovl_open_realfile()).
 * LFS_OPEN_FLAGS in @flags carries FMODE_NONOTIFY: the VFS reports the
 * events on the layerfs file, not twice.
 */
struct file *backing_file_open(const struct file *user_file, int flags,
			       const struct path *real_path,
			       const struct cred *cred)
{
	return open_with_fake_path(&user_file->f_path, flags,
				   d_inode(real_path->dentry), cred);
}

/* An O_TMPFILE real file keeps its real path: the caller reads it. */
struct file *backing_tmpfile_open(const struct file *user_file, int flags,
				  const struct path *real_parentpath,
				  umode_t mode, const struct cred *cred)
{
	return vfs_tmpfile_open(mnt_user_ns(real_parentpath->mnt),
				real_parentpath, mode, flags, cred);
}

/* On 6.1 the IOCB_ bits a read or write passes on are the RWF_ ones. */
static rwf_t lfs_compat_iocb_to_rw_flags(int flags)
{
	return (__force rwf_t)(flags & (IOCB_NOWAIT | IOCB_HIPRI | IOCB_DSYNC |
					IOCB_SYNC | IOCB_APPEND));
}

static void lfs_compat_aio_put(struct lfs_compat_aio *aio)
{
	if (refcount_dec_and_test(&aio->ref)) {
		fput(aio->iocb.ki_filp);
		kmem_cache_free(lfs_compat_aio_cachep, aio);
	}
}

static void lfs_compat_aio_cleanup(struct lfs_compat_aio *aio, long res)
{
	struct kiocb *iocb = &aio->iocb;
	struct kiocb *orig_iocb = aio->orig_iocb;

	if (iocb->ki_flags & IOCB_WRITE) {
		/* Taken in backing_file_write_iter(), as aio_write() does. */
		__sb_writers_acquired(file_inode(iocb->ki_filp)->i_sb,
				      SB_FREEZE_WRITE);
		file_end_write(iocb->ki_filp);
	}
	orig_iocb->ki_pos = iocb->ki_pos;
	if (aio->end_write)
		aio->end_write(aio->user_file, iocb->ki_pos, res);
	lfs_compat_aio_put(aio);
}

static void lfs_compat_aio_rw_complete(struct kiocb *iocb, long res)
{
	struct lfs_compat_aio *aio = container_of(iocb, struct lfs_compat_aio,
						  iocb);
	struct kiocb *orig_iocb = aio->orig_iocb;

	lfs_compat_aio_cleanup(aio, res);
	orig_iocb->ki_complete(orig_iocb, res);
}

static void lfs_compat_aio_complete_work(struct work_struct *work)
{
	struct lfs_compat_aio *aio = container_of(work, struct lfs_compat_aio,
						  work);

	lfs_compat_aio_rw_complete(&aio->iocb, aio->res);
}

/* Possibly in interrupt context: update size and times from a worker. */
static void lfs_compat_aio_queue_completion(struct kiocb *iocb, long res)
{
	struct lfs_compat_aio *aio = container_of(iocb, struct lfs_compat_aio,
						  iocb);

	aio->res = res;
	INIT_WORK(&aio->work, lfs_compat_aio_complete_work);
	queue_work(lfs_compat_aio_wq, &aio->work);
}

ssize_t backing_file_read_iter(struct file *file, struct iov_iter *iter,
			       struct kiocb *iocb, int flags,
			       struct backing_file_ctx *ctx)
{
	struct lfs_compat_aio *aio;
	const struct cred *old_cred;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	if (iocb->ki_flags & IOCB_DIRECT &&
	    !(file->f_mode & FMODE_CAN_ODIRECT))
		return -EINVAL;

	old_cred = override_creds(ctx->cred);
	if (is_sync_kiocb(iocb)) {
		ret = vfs_iter_read(file, iter, &iocb->ki_pos,
				    lfs_compat_iocb_to_rw_flags(flags));
	} else {
		ret = -ENOMEM;
		aio = kmem_cache_zalloc(lfs_compat_aio_cachep, GFP_KERNEL);
		if (!aio)
			goto out;
		aio->orig_iocb = iocb;
		kiocb_clone(&aio->iocb, iocb, get_file(file));
		aio->iocb.ki_complete = lfs_compat_aio_rw_complete;
		refcount_set(&aio->ref, 2);
		ret = vfs_iocb_iter_read(file, &aio->iocb, iter);
		lfs_compat_aio_put(aio);
		if (ret != -EIOCBQUEUED)
			lfs_compat_aio_cleanup(aio, ret);
	}
out:
	revert_creds(old_cred);
	if (ctx->accessed)
		ctx->accessed(ctx->user_file);
	return ret;
}

/*
 * 6.1's vfs_iter_write() and vfs_iocb_iter_write() leave the freeze
 * protection of the real fs to their caller (overlayfs 6.1 took it).
 */
ssize_t backing_file_write_iter(struct file *file, struct iov_iter *iter,
				struct kiocb *iocb, int flags,
				struct backing_file_ctx *ctx)
{
	struct lfs_compat_aio *aio;
	const struct cred *old_cred;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	ret = file_remove_privs(ctx->user_file);
	if (ret)
		return ret;
	if (iocb->ki_flags & IOCB_DIRECT &&
	    !(file->f_mode & FMODE_CAN_ODIRECT))
		return -EINVAL;

	old_cred = override_creds(ctx->cred);
	if (is_sync_kiocb(iocb)) {
		file_start_write(file);
		ret = vfs_iter_write(file, iter, &iocb->ki_pos,
				     lfs_compat_iocb_to_rw_flags(flags));
		file_end_write(file);
		if (ctx->end_write)
			ctx->end_write(ctx->user_file, iocb->ki_pos, ret);
	} else {
		ret = -ENOMEM;
		aio = kmem_cache_zalloc(lfs_compat_aio_cachep, GFP_KERNEL);
		if (!aio)
			goto out;
		file_start_write(file);
		/* Released to be taken back at completion, as aio_write(). */
		__sb_writers_release(file_inode(file)->i_sb, SB_FREEZE_WRITE);
		aio->orig_iocb = iocb;
		aio->end_write = ctx->end_write;
		aio->user_file = ctx->user_file;
		kiocb_clone(&aio->iocb, iocb, get_file(file));
		aio->iocb.ki_flags = flags;
		aio->iocb.ki_complete = lfs_compat_aio_queue_completion;
		refcount_set(&aio->ref, 2);
		ret = vfs_iocb_iter_write(file, &aio->iocb, iter);
		lfs_compat_aio_put(aio);
		if (ret != -EIOCBQUEUED)
			lfs_compat_aio_cleanup(aio, ret);
	}
out:
	revert_creds(old_cred);
	return ret;
}

/*
 * No exported splice-read of another file on 6.1: read the layerfs file
 * through its own read_iter, which passes through (overlayfs 6.1 did so).
 */
ssize_t backing_file_splice_read(struct file *in, loff_t *ppos,
				 struct pipe_inode_info *pipe, size_t len,
				 unsigned int flags,
				 struct backing_file_ctx *ctx)
{
	return generic_file_splice_read(ctx->user_file, ppos, pipe, len, flags);
}

ssize_t backing_file_splice_write(struct pipe_inode_info *pipe,
				  struct file *out, loff_t *ppos, size_t len,
				  unsigned int flags,
				  struct backing_file_ctx *ctx)
{
	const struct cred *old_cred;
	ssize_t ret;

	if (!out->f_op->splice_write)
		return -EINVAL;
	ret = file_remove_privs(ctx->user_file);
	if (ret)
		return ret;

	old_cred = override_creds(ctx->cred);
	file_start_write(out);
	ret = out->f_op->splice_write(pipe, out, ppos, len, flags);
	file_end_write(out);
	revert_creds(old_cred);
	if (ctx->end_write)
		ctx->end_write(ctx->user_file, ppos ? *ppos : 0, ret);
	return ret;
}

/* The mapping is the real file's: one page cache, as on 6.12. */
int backing_file_mmap(struct file *file, struct vm_area_struct *vma,
		      struct backing_file_ctx *ctx)
{
	const struct cred *old_cred;
	int ret;

	if (!file->f_op->mmap)
		return -ENODEV;
	if (WARN_ON_ONCE(ctx->user_file != vma->vm_file))
		return -EIO;

	vma_set_file(vma, file);
	old_cred = override_creds(ctx->cred);
	ret = call_mmap(vma->vm_file, vma);
	revert_creds(old_cred);
	if (ctx->accessed)
		ctx->accessed(ctx->user_file);
	return ret;
}

#endif /* !HAVE_BACKING_FILE */

#ifndef HAVE_D_REAL_TYPE
/*
 * Before 6.9 ->d_real() is asked for the real dentry holding @inode (a
 * real file opened with a fake path: file_dentry() of it, in the real
 * fs's write path, locks and fsnotify), or the topmost one for NULL,
 * as overlayfs 6.1's ovl_d_real() answers.
 */
struct dentry *lfs_compat_d_real(struct dentry *dentry,
				 const struct inode *inode)
{
	struct inode *linode = d_inode(dentry);
	struct dentry *upper, *real;
	struct lfs_entry *oe;

	if (inode && linode == inode)
		return dentry;
	if (!linode || !d_is_reg(dentry)) {
		if (!inode || inode == linode)
			return dentry;
		goto bug;
	}
	/* The file with the data, as ovl_d_real(): not a metacopy. */
	upper = lfs_i_upper(linode);
	if (upper && (inode ? inode == d_inode(upper) : !lfs_is_metacopy(linode)))
		return upper;
	oe = LFS_E(linode);
	if (!lfs_numlower(oe))
		goto bug;
	/*
	 * A lower layer may be a union itself. The data is the last entry
	 * of the stack (lfs_real_data_path()), the only lower file opened.
	 */
	real = d_real(lfs_lowerstack(oe)[oe->numlower - 1].dentry, inode);
	if (!inode || inode == d_inode(real))
		return real;
bug:
	WARN(1, "%s(%pd4, %s:%lu): real dentry not found\n", __func__, dentry,
	     inode ? inode->i_sb->s_id : "NULL", inode ? inode->i_ino : 0);
	return dentry;
}
#endif

#ifndef HAVE_D_MARK_TMPFILE
/* 6.1's d_tmpfile() less the link it drops and the d_instantiate(). */
void d_mark_tmpfile(struct file *file, struct inode *inode)
{
	struct dentry *dentry = file->f_path.dentry;

	if (WARN_ON_ONCE(dentry->d_name.name != dentry->d_iname ||
			 !hlist_unhashed(&dentry->d_u.d_alias) ||
			 !d_unlinked(dentry)))
		return;
	spin_lock(&dentry->d_parent->d_lock);
	spin_lock_nested(&dentry->d_lock, DENTRY_D_LOCK_NESTED);
	dentry->d_name.len = sprintf(dentry->d_iname, "#%llu",
				     (unsigned long long)inode->i_ino);
	spin_unlock(&dentry->d_lock);
	spin_unlock(&dentry->d_parent->d_lock);
}
#endif

#ifndef HAVE_VFS_SET_ACL
/*
 * The ACL API of 6.2 over the system.posix_acl_* xattrs: a value read
 * through @idmap's mount is in the ids seen through it, and one written
 * through it is mapped back by the real fs, so the round trip of a
 * copy-up keeps idmapped layers right.
 */
struct posix_acl *vfs_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      const char *acl_name)
{
	struct posix_acl *acl;
	ssize_t size;
	void *value;

	size = vfs_getxattr(idmap, dentry, acl_name, NULL, 0);
	if (size < 0)
		return ERR_PTR(size);
	value = kvmalloc(size, GFP_KERNEL);
	if (!value)
		return ERR_PTR(-ENOMEM);
	size = vfs_getxattr(idmap, dentry, acl_name, value, size);
	if (size < 0)
		acl = ERR_PTR(size);
	else
		acl = posix_acl_from_xattr(&init_user_ns, value, size);
	kvfree(value);
	return acl ?: ERR_PTR(-ENODATA);
}

int vfs_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		const char *acl_name, struct posix_acl *acl)
{
	size_t size = posix_acl_xattr_size(acl ? acl->a_count : 0);
	void *value;
	int err;

	value = kvmalloc(size, GFP_KERNEL);
	if (!value)
		return -ENOMEM;
	err = posix_acl_to_xattr(&init_user_ns, acl, value, size);
	if (err >= 0)
		err = vfs_setxattr(idmap, dentry, acl_name, value, size, 0);
	kvfree(value);
	return err;
}

int vfs_remove_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		   const char *acl_name)
{
	return vfs_removexattr(idmap, dentry, acl_name);
}
#endif

#ifndef HAVE_SET_ACL_DENTRY
/*
 * No dentry-based ->set_acl before 6.2: setxattr of an ACL reaches the
 * filesystem's handler for the name, which does what ->set_acl does on
 * 6.12 (lfs_set_acl(): the checks as the caller, the setgid rule, the
 * copy-up), as overlayfs 6.1's ovl_posix_acl_xattr_set() did. A value
 * arrives in the ids of the caller's mount.
 */
static int lfs_compat_acl_xattr_get(const struct xattr_handler *handler,
				    struct dentry *dentry, struct inode *inode,
				    const char *name, void *buffer,
				    size_t size)
{
	return lfs_xattr_get(dentry, inode, handler->name, buffer, size);
}

static int lfs_compat_acl_xattr_set(const struct xattr_handler *handler,
				    struct user_namespace *mnt_userns,
				    struct dentry *dentry, struct inode *inode,
				    const char *name, const void *value,
				    size_t size, int flags)
{
	struct posix_acl *acl = NULL;
	int err;

	if (value) {
		acl = vfs_set_acl_prepare(mnt_userns, i_user_ns(inode), value,
					  size);
		if (IS_ERR(acl))
			return PTR_ERR(acl);
	}
	err = lfs_set_acl(mnt_userns, dentry, acl, handler->flags);
	posix_acl_release(acl);
	return err;
}

static const struct xattr_handler lfs_compat_acl_access_xattr_handler = {
	.name	= XATTR_NAME_POSIX_ACL_ACCESS,
	.flags	= ACL_TYPE_ACCESS,
	.get	= lfs_compat_acl_xattr_get,
	.set	= lfs_compat_acl_xattr_set,
};

static const struct xattr_handler lfs_compat_acl_default_xattr_handler = {
	.name	= XATTR_NAME_POSIX_ACL_DEFAULT,
	.flags	= ACL_TYPE_DEFAULT,
	.get	= lfs_compat_acl_xattr_get,
	.set	= lfs_compat_acl_xattr_set,
};

/*
 * The ACL handlers, then the core's (ahead of its catch-all): one list
 * for trusted.overlay.* mounts, one for userxattr ones.
 */
static const struct xattr_handler *lfs_compat_xattr_handlers[2][8];

static void lfs_compat_xattr_init(void)
{
	const struct xattr_handler * const *h;
	unsigned int n, user;

	for (user = 0; user < 2; user++) {
		const struct xattr_handler **v = lfs_compat_xattr_handlers[user];

		n = 0;
		v[n++] = &lfs_compat_acl_access_xattr_handler;
		v[n++] = &lfs_compat_acl_default_xattr_handler;
		for (h = lfs_xattr_handlers(user); *h; h++) {
			/* The last slot stays NULL. */
			if (WARN_ON(n == ARRAY_SIZE(lfs_compat_xattr_handlers[0]) - 1))
				break;
			v[n++] = *h;
		}
	}
}

void lfs_set_s_xattr(struct super_block *sb,
		     const struct xattr_handler * const *h)
{
	bool user = h == lfs_xattr_handlers(true);

	WARN_ON_ONCE(!user && h != lfs_xattr_handlers(false));
	sb->s_xattr = lfs_compat_xattr_handlers[user];
}
#endif

#ifndef HAVE_VFS_PARSE_MONOLITHIC_SEP
/* fs/fs_context.c of 6.5 and later. */
int vfs_parse_monolithic_sep(struct fs_context *fc, void *data,
			     char *(*sep)(char **))
{
	char *options = data, *key;
	int ret = 0;

	if (!options)
		return 0;

	ret = security_sb_eat_lsm_opts(options, &fc->security);
	if (ret)
		return ret;

	while ((key = sep(&options)) != NULL) {
		if (*key) {
			size_t v_len = 0;
			char *value = strchr(key, '=');

			if (value) {
				if (value == key)
					continue;
				*value++ = 0;
				v_len = strlen(value);
			}
			ret = vfs_parse_fs_string(fc, key, value, v_len);
			if (ret < 0)
				break;
		}
	}

	return ret;
}
#endif

#ifndef HAVE_SHRINKER_ALLOC
static unsigned long lfs_compat_shrink_none(struct shrinker *shrinker,
					    struct shrink_control *sc)
{
	return 0;
}

static unsigned long lfs_compat_scan_none(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	return SHRINK_STOP;
}

/*
 * Registered right away, so that it has the id a memcg-aware list_lru
 * takes at its init (which the core does before shrinker_register());
 * until the core sets its callbacks, it counts nothing.
 */
struct shrinker *shrinker_alloc(unsigned int flags, const char *name)
{
	struct shrinker *shrinker;

	shrinker = kzalloc(sizeof(*shrinker), GFP_KERNEL);
	if (!shrinker)
		return NULL;
	shrinker->flags = flags;
	shrinker->seeks = DEFAULT_SEEKS;
	shrinker->count_objects = lfs_compat_shrink_none;
	shrinker->scan_objects = lfs_compat_scan_none;
	if (register_shrinker(shrinker, "%s", name)) {
		kfree(shrinker);
		return NULL;
	}
	return shrinker;
}

void shrinker_register(struct shrinker *shrinker)
{
}

void shrinker_free(struct shrinker *shrinker)
{
	if (!shrinker)
		return;
	unregister_shrinker(shrinker);
	kfree(shrinker);
}
#endif

#ifdef LFS_COMPAT_WRAP_DIR_ITER
/* fs/readdir.c of 6.6 and later: ->iterate_shared under i_rwsem held. */
int lfs_compat_wrap_directory_iterator(struct file *file,
				       struct dir_context *ctx,
				       int (*iter)(struct file *,
						   struct dir_context *))
{
	struct inode *inode = file_inode(file);
	int ret;

	up_read(&inode->i_rwsem);
	down_write(&inode->i_rwsem);
	/* The lock was dropped: the IS_DEADDIR test of iterate_dir() again. */
	ret = -ENOENT;
	if (!IS_DEADDIR(inode))
		ret = iter(file, ctx);
	downgrade_write(&inode->i_rwsem);
	return ret;
}
#endif

#ifdef LFS_COMPAT_NL_SET_ERR_MSG_FMT
/*
 * Before 6.2 an extack message is a string constant: the formatted one
 * goes to the log (rate limited) and the extack says where it went.
 */
void NL_SET_ERR_MSG_FMT(struct netlink_ext_ack *extack, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info_ratelimited("%pV\n", &vaf);
	va_end(args);
	NL_SET_ERR_MSG(extack, "layerfs: see the kernel log");
}
#endif

int lfs_compat_init(void)
{
	int err = 0;

#ifndef HAVE_SET_ACL_DENTRY
	lfs_compat_xattr_init();
#endif
#ifndef HAVE_BACKING_FILE
	err = lfs_compat_aio_init();
#endif
	return err;
}

void lfs_compat_exit(void)
{
#ifndef HAVE_BACKING_FILE
	lfs_compat_aio_exit();
#endif
}
