// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs regular files: all I/O passes through to the real file with
 * the kernel's backing_file helpers, so there is one page cache, the real
 * file's, shared by every mount of the same layer.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/fadvise.h>
#include <linux/fsnotify.h>
#include <linux/mman.h>
#include "layerfs.h"

/*
 * Flags layerfs may set on the real file but not on the user file (and
 * what compat.h needs there on kernels without backing files).
 */
#define LFS_OPEN_FLAGS	(O_NOATIME | LFS_COMPAT_REAL_OPEN_FLAGS)
/* Flags fcntl(F_SETFL) can change after open. */
#define LFS_SETFL_MASK	(O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT)

static struct file *lfs_open_realfile(const struct file *file,
				      const struct path *realpath)
{
	struct inode *realinode = d_inode(realpath->dentry);
	struct inode *inode = file_inode(file);
	struct mnt_idmap *real_idmap = mnt_idmap(realpath->mnt);
	int flags = file->f_flags | LFS_OPEN_FLAGS;
	int acc_mode = ACC_MODE(flags);
	const struct cred *old_cred;
	struct file *realfile;
	int err;

	if (flags & O_APPEND)
		acc_mode |= MAY_APPEND;

	old_cred = lfs_override_creds(inode->i_sb);
	err = inode_permission(real_idmap, realinode, MAY_OPEN | acc_mode);
	if (err) {
		realfile = ERR_PTR(err);
	} else {
		if (!inode_owner_or_capable(real_idmap, realinode))
			flags &= ~O_NOATIME;
		realfile = backing_file_open(file, flags, realpath,
					     current_cred());
	}
	revert_creds(old_cred);

	pr_debug("open(%pD2, 0%o) = %pe\n", file, file->f_flags,
		 IS_ERR(realfile) ? realfile : NULL);
	return realfile;
}

static int lfs_change_flags(struct file *realfile, unsigned int flags)
{
	struct inode *inode = file_inode(realfile);
	int err;

	flags &= LFS_SETFL_MASK;
	if (((flags ^ realfile->f_flags) & O_APPEND) && IS_APPEND(inode))
		return -EPERM;
	if ((flags & O_DIRECT) && !(realfile->f_mode & FMODE_CAN_ODIRECT))
		return -EINVAL;
	if (realfile->f_op->check_flags) {
		err = realfile->f_op->check_flags(flags);
		if (err)
			return err;
	}

	spin_lock(&realfile->f_lock);
	realfile->f_flags = (realfile->f_flags & ~LFS_SETFL_MASK) | flags;
	realfile->f_iocb_flags = iocb_flags(realfile);
	spin_unlock(&realfile->f_lock);
	return 0;
}

/*
 * The real file of an open file. A file opened before its copy-up gets a
 * temporary open of the upper file, so it sees the new data (as
 * overlayfs since 4.19); F_SETFL changes are carried over.
 */
static int lfs_real_fdget(const struct file *file, struct fd *real)
{
	struct file *realfile = file->private_data;
	struct path realpath;

	*real = BORROWED_FD(realfile);
	lfs_real_data_path(file_inode(file), &realpath);
	if (!realpath.dentry)
		return -EIO;

	if (unlikely(file_inode(realfile) != d_inode(realpath.dentry))) {
		struct file *f = lfs_open_realfile(file, &realpath);

		if (IS_ERR(f))
			return PTR_ERR(f);
		*real = CLONED_FD(f);
		return 0;
	}

	if (unlikely((file->f_flags ^ realfile->f_flags) & ~LFS_OPEN_FLAGS))
		return lfs_change_flags(realfile, file->f_flags);
	return 0;
}

static int lfs_open(struct inode *inode, struct file *file)
{
	struct file *realfile;
	struct path realpath;

	if (lfs_open_need_copy_up(file_dentry(file), file->f_flags)) {
		int err = lfs_copy_up_flags(file_dentry(file), file->f_flags);

		if (err)
			return err;
	}

	/* Handled by the VFS already; do not pass them on. */
	file->f_flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);

	/* A metacopy's data is in a lower layer: its file is opened. */
	lfs_real_data_path(inode, &realpath);
	if (!realpath.dentry)
		return -EIO;

	realfile = lfs_open_realfile(file, &realpath);
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	file->private_data = realfile;
	atomic_long_inc(&LFS_FS(inode->i_sb)->open_files);
	return 0;
}

static int lfs_release(struct inode *inode, struct file *file)
{
	fput(file->private_data);
	atomic_long_dec(&LFS_FS(inode->i_sb)->open_files);
	return 0;
}

/* Carry the real file's timestamps over after an access. */
static void lfs_file_accessed(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct inode *realinode = lfs_inode_real(inode);
	struct timespec64 ts, rts;

	if (file->f_flags & O_NOATIME || !realinode)
		return;
	ts = inode_get_atime(inode);
	rts = inode_get_atime(realinode);
	if (!timespec64_equal(&ts, &rts))
		inode_set_atime_to_ts(inode, rts);
}

static void lfs_read_ctx(struct backing_file_ctx *ctx, struct file *file)
{
	ctx->cred = LFS_FS(file_inode(file)->i_sb)->creator_cred;
	ctx->user_file = file;
	ctx->accessed = lfs_file_accessed;
	ctx->end_write = NULL;
}

/* The iocb flags backing_file_read_iter() passes on as RWF_* flags. */
#define LFS_IOCB_RW_MASK \
	(IOCB_NOWAIT | IOCB_HIPRI | IOCB_DSYNC | IOCB_SYNC | IOCB_APPEND)

/*
 * The mounter's credentials around one call into the real fs, without
 * the reference override_creds() takes (as override_creds() itself does
 * since 6.14, which overlayfs uses): the union holds creator_cred for as
 * long as one of its files is open, and the task's own credentials stay
 * referenced through @old until they are put back.
 */
static const struct cred *lfs_override_creds_light(struct super_block *sb)
{
	return rcu_replace_pointer(current->cred, LFS_FS(sb)->creator_cred, 1);
}

static void lfs_revert_creds_light(const struct cred *old)
{
	rcu_assign_pointer(current->cred, old);
}

/*
 * vfs_iter_read() on the real file, less the checks its open already
 * made (read access, a read_iter): the same permission checks (the LSM's
 * and fanotify's, with the mounter's credentials), the same access event.
 */
static ssize_t lfs_read_real(struct file *realfile, struct kiocb *iocb,
			     struct iov_iter *iter)
{
	struct kiocb kiocb;
	ssize_t ret;

	ret = rw_verify_area(READ, realfile, &iocb->ki_pos,
			     iov_iter_count(iter));
	if (ret)
		return ret;
	init_sync_kiocb(&kiocb, realfile);
	ret = kiocb_set_rw_flags(&kiocb, (__force rwf_t)(iocb->ki_flags &
							 LFS_IOCB_RW_MASK),
				 READ);
	if (ret)
		return ret;
	kiocb.ki_pos = iocb->ki_pos;
	ret = realfile->f_op->read_iter(&kiocb, iter);
	iocb->ki_pos = kiocb.ki_pos;
	if (ret >= 0)
		fsnotify_access(realfile);
	return ret;
}

/*
 * A synchronous read is the cached-read hot path: do what
 * backing_file_read_iter() does for it (read the real file with the
 * mounter's credentials, then the atime), with the light override and
 * without the layers of vfs_iter_read(). Asynchronous reads, and real
 * files without read_iter, take the backing_file path.
 */
static ssize_t lfs_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp;
	struct backing_file_ctx ctx;
	const struct cred *old_cred;
	struct file *realfile;
	struct fd real;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	ret = lfs_real_fdget(file, &real);
	if (ret)
		return ret;
	realfile = fd_file(real);
	if (is_sync_kiocb(iocb) && realfile->f_op->read_iter) {
		ret = -EINVAL;
		if (iocb->ki_flags & IOCB_DIRECT &&
		    !(realfile->f_mode & FMODE_CAN_ODIRECT))
			goto out_fdput;
		old_cred = lfs_override_creds_light(file_inode(file)->i_sb);
		ret = lfs_read_real(realfile, iocb, iter);
		lfs_revert_creds_light(old_cred);
		lfs_file_accessed(file);
	} else {
		lfs_read_ctx(&ctx, file);
		ret = backing_file_read_iter(realfile, iter, iocb,
					     iocb->ki_flags, &ctx);
	}
out_fdput:
	fdput(real);
	return ret;
}

/* Size and times follow the real file after a write. */
static void lfs_file_end_write(struct file *file, loff_t pos, ssize_t ret)
{
	lfs_copyattr(file_inode(file));
}

static ssize_t lfs_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct backing_file_ctx ctx = {
		.cred = LFS_FS(inode->i_sb)->creator_cred,
		.user_file = file,
		.end_write = lfs_file_end_write,
	};
	int ifl = iocb->ki_flags;
	struct fd real;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;

	/* volatile: O_SYNC and O_DSYNC writes do not sync, as on ovl. */
	if (!lfs_should_sync(LFS_FS(inode->i_sb)))
		ifl &= ~(IOCB_DSYNC | IOCB_SYNC);
	/* No deferred completions through a stacked file. */
	ifl &= ~IOCB_DIO_CALLER_COMP;

	inode_lock(inode);
	lfs_copyattr(inode);
	ret = lfs_real_fdget(file, &real);
	if (!ret) {
		ret = backing_file_write_iter(fd_file(real), iter, iocb, ifl,
					      &ctx);
		fdput(real);
	}
	inode_unlock(inode);
	return ret;
}

static ssize_t lfs_splice_write(struct pipe_inode_info *pipe,
				struct file *out, loff_t *ppos, size_t len,
				unsigned int flags)
{
	struct inode *inode = file_inode(out);
	struct backing_file_ctx ctx = {
		.cred = LFS_FS(inode->i_sb)->creator_cred,
		.user_file = out,
		.end_write = lfs_file_end_write,
	};
	struct fd real;
	ssize_t ret;

	inode_lock(inode);
	lfs_copyattr(inode);
	ret = lfs_real_fdget(out, &real);
	if (!ret) {
		ret = backing_file_splice_write(pipe, fd_file(real), ppos, len,
						flags, &ctx);
		fdput(real);
	}
	inode_unlock(inode);
	return ret;
}

static long lfs_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	const struct cred *old_cred;
	struct fd real;
	long ret;

	inode_lock(inode);
	lfs_copyattr(inode);
	ret = file_remove_privs(file);
	if (!ret)
		ret = lfs_real_fdget(file, &real);
	if (!ret) {
		old_cred = lfs_override_creds(inode->i_sb);
		ret = vfs_fallocate(fd_file(real), mode, offset, len);
		revert_creds(old_cred);
		lfs_copyattr(inode);
		fdput(real);
	}
	inode_unlock(inode);
	return ret;
}

enum lfs_copyop { LFS_COPY, LFS_CLONE, LFS_DEDUPE };

static loff_t lfs_copyfile(struct file *file_in, loff_t pos_in,
			   struct file *file_out, loff_t pos_out,
			   loff_t len, unsigned int flags, enum lfs_copyop op)
{
	struct inode *inode_out = file_inode(file_out);
	const struct cred *old_cred;
	struct fd real_in, real_out;
	loff_t ret;

	inode_lock(inode_out);
	if (op != LFS_DEDUPE) {
		lfs_copyattr(inode_out);
		ret = file_remove_privs(file_out);
		if (ret)
			goto out_unlock;
	}
	ret = lfs_real_fdget(file_out, &real_out);
	if (ret)
		goto out_unlock;
	ret = lfs_real_fdget(file_in, &real_in);
	if (ret)
		goto out_fdput_out;

	old_cred = lfs_override_creds(file_inode(file_out)->i_sb);
	switch (op) {
	case LFS_COPY:
		ret = vfs_copy_file_range(fd_file(real_in), pos_in,
					  fd_file(real_out), pos_out, len,
					  flags);
		break;
	case LFS_CLONE:
		ret = vfs_clone_file_range(fd_file(real_in), pos_in,
					   fd_file(real_out), pos_out, len,
					   flags);
		break;
	case LFS_DEDUPE:
		ret = vfs_dedupe_file_range_one(fd_file(real_in), pos_in,
						fd_file(real_out), pos_out,
						len, flags);
		break;
	}
	revert_creds(old_cred);
	lfs_copyattr(inode_out);
	fdput(real_in);
out_fdput_out:
	fdput(real_out);
out_unlock:
	inode_unlock(inode_out);
	return ret;
}

static ssize_t lfs_copy_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   size_t len, unsigned int flags)
{
	return lfs_copyfile(file_in, pos_in, file_out, pos_out, len, flags,
			    LFS_COPY);
}

static loff_t lfs_remap_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   loff_t len, unsigned int remap_flags)
{
	enum lfs_copyop op;

	if (remap_flags & ~(REMAP_FILE_DEDUP | REMAP_FILE_ADVISORY))
		return -EINVAL;
	op = remap_flags & REMAP_FILE_DEDUP ? LFS_DEDUPE : LFS_CLONE;
	/* Deduping against a lower file would copy it up for nothing. */
	if (op == LFS_DEDUPE && (!lfs_i_upper(file_inode(file_in)) ||
				 !lfs_i_upper(file_inode(file_out))))
		return -EPERM;
	return lfs_copyfile(file_in, pos_in, file_out, pos_out, len,
			    remap_flags, op);
}

static ssize_t lfs_splice_read(struct file *in, loff_t *ppos,
			       struct pipe_inode_info *pipe, size_t len,
			       unsigned int flags)
{
	struct backing_file_ctx ctx;
	struct fd real;
	ssize_t ret;

	lfs_read_ctx(&ctx, in);
	ret = lfs_real_fdget(in, &real);
	if (ret)
		return ret;
	ret = backing_file_splice_read(fd_file(real), ppos, pipe, len, flags,
				       &ctx);
	fdput(real);
	return ret;
}

static struct inode *lfs_upper_inode(struct inode *inode)
{
	struct dentry *upper = lfs_i_upper(inode);

	return upper ? d_inode(upper) : NULL;
}

static int lfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct backing_file_ctx ctx;

	lfs_read_ctx(&ctx, file);
	return backing_file_mmap(file->private_data, vma, &ctx);
}

/*
 * f_pos of the layerfs file is the master copy; only the real fs knows
 * SEEK_DATA/SEEK_HOLE and its own size limits, so seek the real file.
 */
static loff_t lfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	const struct cred *old_cred;
	struct fd real;
	loff_t ret;

	if (offset == 0) {
		if (whence == SEEK_CUR)
			return file->f_pos;
		if (whence == SEEK_SET)
			return vfs_setpos(file, 0, 0);
	}

	ret = lfs_real_fdget(file, &real);
	if (ret)
		return ret;

	mutex_lock(&LFS_I(inode)->lock);
	fd_file(real)->f_pos = file->f_pos;
	old_cred = lfs_override_creds(inode->i_sb);
	ret = vfs_llseek(fd_file(real), offset, whence);
	revert_creds(old_cred);
	file->f_pos = fd_file(real)->f_pos;
	mutex_unlock(&LFS_I(inode)->lock);
	fdput(real);
	return ret;
}

static int lfs_fadvise(struct file *file, loff_t offset, loff_t len,
		       int advice)
{
	const struct cred *old_cred;
	struct fd real;
	int ret;

	ret = lfs_real_fdget(file, &real);
	if (ret)
		return ret;
	old_cred = lfs_override_creds(file_inode(file)->i_sb);
	ret = vfs_fadvise(fd_file(real), offset, len, advice);
	revert_creds(old_cred);
	fdput(real);
	return ret;
}

static int lfs_fsync_meta(struct inode *inode)
{
	const struct cred *old_cred;
	struct path upperpath;
	int ret;

	lfs_real_path(inode, &upperpath);
	old_cred = lfs_override_creds(inode->i_sb);
	ret = lfs_fsync_path(&upperpath);
	revert_creds(old_cred);
	return ret;
}

static int lfs_fsync(struct file *file, loff_t start, loff_t end,
		     int datasync)
{
	struct inode *inode = file_inode(file);
	const struct cred *old_cred;
	struct fd real;
	int ret;

	/* volatile: no sync, only the upper's writeback errors since mount. */
	ret = lfs_sync_status(LFS_FS(inode->i_sb));
	if (ret <= 0)
		return ret;

	ret = lfs_real_fdget(file, &real);
	if (ret)
		return ret;
	/* Lower files are never written: do not risk EROFS from them. */
	if (file_inode(fd_file(real)) == lfs_upper_inode(inode)) {
		old_cred = lfs_override_creds(inode->i_sb);
		ret = vfs_fsync_range(fd_file(real), start, end, datasync);
		revert_creds(old_cred);
	} else if (!datasync && lfs_is_metacopy(inode)) {
		/* A metacopy's metadata is the upper's (as ovl_fsync()). */
		ret = lfs_fsync_meta(inode);
	}
	fdput(real);
	return ret;
}

const struct file_operations lfs_file_operations = {
	.open		= lfs_open,
	.release	= lfs_release,
	.llseek		= lfs_llseek,
	.read_iter	= lfs_read_iter,
	.write_iter	= lfs_write_iter,
	.splice_read	= lfs_splice_read,
	.splice_write	= lfs_splice_write,
	.mmap		= lfs_mmap,
	.fadvise	= lfs_fadvise,
	.fsync		= lfs_fsync,
	.fallocate	= lfs_fallocate,
	.copy_file_range = lfs_copy_file_range,
	.remap_file_range = lfs_remap_file_range,
	.unlocked_ioctl	= lfs_explain_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
