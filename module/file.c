// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs regular files: all I/O passes through to the real file with
 * the kernel's backing_file helpers, so there is one page cache, the real
 * file's, shared by every mount of the same layer.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/fadvise.h>
#include <linux/backing-file.h>
#include <linux/mman.h>
#include "layerfs.h"

/* Flags layerfs may set on the real file but not on the user file. */
#define LFS_OPEN_FLAGS	(O_NOATIME)
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

/* The real file of an open file, with F_SETFL changes carried over. */
static struct file *lfs_real_file(const struct file *file)
{
	struct file *realfile = file->private_data;
	int err;

	if (unlikely((file->f_flags ^ realfile->f_flags) & ~LFS_OPEN_FLAGS)) {
		err = lfs_change_flags(realfile, file->f_flags);
		if (err)
			return ERR_PTR(err);
	}
	return realfile;
}

static int lfs_open(struct inode *inode, struct file *file)
{
	struct file *realfile;
	struct path realpath;

	/* Handled by the VFS already; do not pass them on. */
	file->f_flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);

	lfs_real_path(inode, &realpath);
	if (!realpath.dentry)
		return -EIO;

	realfile = lfs_open_realfile(file, &realpath);
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	file->private_data = realfile;
	return 0;
}

static int lfs_release(struct inode *inode, struct file *file)
{
	fput(file->private_data);
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

#define LFS_BACKING_CTX(f) {						\
	.cred = LFS_FS(file_inode(f)->i_sb)->creator_cred,		\
	.user_file = (f),						\
	.accessed = lfs_file_accessed,					\
}

static ssize_t lfs_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp;
	struct backing_file_ctx ctx = LFS_BACKING_CTX(file);
	struct file *realfile;

	if (!iov_iter_count(iter))
		return 0;
	realfile = lfs_real_file(file);
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	return backing_file_read_iter(realfile, iter, iocb, iocb->ki_flags,
				      &ctx);
}

static ssize_t lfs_splice_read(struct file *in, loff_t *ppos,
			       struct pipe_inode_info *pipe, size_t len,
			       unsigned int flags)
{
	struct backing_file_ctx ctx = LFS_BACKING_CTX(in);
	struct file *realfile = lfs_real_file(in);

	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	return backing_file_splice_read(realfile, ppos, pipe, len, flags, &ctx);
}

static int lfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct backing_file_ctx ctx = LFS_BACKING_CTX(file);

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
	struct file *realfile;
	loff_t ret;

	if (offset == 0) {
		if (whence == SEEK_CUR)
			return file->f_pos;
		if (whence == SEEK_SET)
			return vfs_setpos(file, 0, 0);
	}

	realfile = lfs_real_file(file);
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);

	mutex_lock(&LFS_I(inode)->lock);
	realfile->f_pos = file->f_pos;
	old_cred = lfs_override_creds(inode->i_sb);
	ret = vfs_llseek(realfile, offset, whence);
	revert_creds(old_cred);
	file->f_pos = realfile->f_pos;
	mutex_unlock(&LFS_I(inode)->lock);
	return ret;
}

static int lfs_fadvise(struct file *file, loff_t offset, loff_t len,
		       int advice)
{
	const struct cred *old_cred;
	struct file *realfile;
	int ret;

	realfile = lfs_real_file(file);
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	old_cred = lfs_override_creds(file_inode(file)->i_sb);
	ret = vfs_fadvise(realfile, offset, len, advice);
	revert_creds(old_cred);
	return ret;
}

static int lfs_fsync(struct file *file, loff_t start, loff_t end,
		     int datasync)
{
	/* Lower files are never written: nothing to sync. */
	return 0;
}

const struct file_operations lfs_file_operations = {
	.open		= lfs_open,
	.release	= lfs_release,
	.llseek		= lfs_llseek,
	.read_iter	= lfs_read_iter,
	.splice_read	= lfs_splice_read,
	.mmap		= lfs_mmap,
	.fadvise	= lfs_fadvise,
	.fsync		= lfs_fsync,
};
