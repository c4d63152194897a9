// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs copy-up: the first change to a lower object copies it, and its
 * parents first, into the upper layer.
 *
 * The copy is built in workdir under a temp name (data, xattrs, ACLs,
 * owner, mode, times) and renamed into place at the end; leftover temp
 * objects are removed at the next mount. Unless the mount is volatile,
 * the copied data is fsynced before the rename (with fsync=strict, every
 * regular file and directory copy-up is), as on overlayfs, so that a
 * crash or power cut leaves either no upper object or a complete one (a
 * volatile mount's work dir is refused after it). Copy-ups of one object
 * are serialized by lfs_inode.lock; a fatal signal stops a long data
 * copy and removes the temp file.
 *
 * With metacopy=on, a copy-up that needs no data (chmod, chown, utimes,
 * setxattr, a rename: anything but an open for write or a truncate) of a
 * regular file makes a metacopy, as overlayfs: the upper file has the
 * size but no data, and trusted.overlay.metacopy says so; reads go to
 * the lower data. The first write copies the data into it in place,
 * removes the xattr and clears LFS_I_METACOPY, all under lfs_inode.lock.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/namei.h>
#include <linux/sched/signal.h>
#include <linux/splice.h>
#include <linux/xattr.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include "layerfs.h"

#define LFS_COPY_UP_CHUNK_SIZE	SZ_1M

struct lfs_copy_up_ctx {
	struct dentry *parent;		/* layerfs parent, has an upper */
	struct dentry *dentry;		/* layerfs object to copy up */
	struct path lowerpath;		/* metadata source */
	struct path datapath;		/* data source (lower data) */
	struct kstat stat;
	const char *link;		/* symlink target */
	struct delayed_call link_done;
	struct dentry *destdir;		/* upper parent */
	struct dentry *temp;		/* copy in workdir */
	bool metadata_only;		/* O_TRUNC open: skip the data */
	bool metadata_fsync;		/* fsync=strict: fsync after attrs */
	bool metacopy;			/* metacopy=on: no data at all */
};

static int lfs_copy_acl(struct lfs_fs *ofs, const struct path *path,
			struct dentry *dentry, const char *acl_name)
{
	struct posix_acl *acl;
	int err;

	acl = vfs_get_acl(mnt_idmap(path->mnt), path->dentry, acl_name);
	/* No ACL, or none possible there: nothing to copy (ovl_copy_acl). */
	if (acl == ERR_PTR(-ENODATA) || acl == ERR_PTR(-EOPNOTSUPP))
		return 0;
	if (IS_ERR_OR_NULL(acl))
		return PTR_ERR_OR_ZERO(acl);
	err = vfs_set_acl(lfs_upper_idmap(ofs), dentry, acl_name, acl);
	posix_acl_release(acl);
	return err;
}

/* Copy every xattr but layerfs's own; ACLs through the ACL API. */
static int lfs_copy_xattr(struct lfs_fs *ofs, const struct path *oldpath,
			  struct dentry *new)
{
	ssize_t list_size, size, value_size = 0;
	char *buf, *name, *value = NULL;
	int err = 0;
	size_t slen;

	list_size = vfs_listxattr(oldpath->dentry, NULL, 0);
	if (list_size <= 0)
		return list_size == -EOPNOTSUPP ? 0 : list_size;

	buf = kvzalloc(list_size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	list_size = vfs_listxattr(oldpath->dentry, buf, list_size);
	if (list_size <= 0) {
		err = list_size;
		goto out;
	}

	for (name = buf; list_size; name += slen, list_size -= slen) {
		slen = strnlen(name, list_size) + 1;
		if (WARN_ON(slen > list_size)) {
			err = -EIO;
			break;
		}
		if (lfs_is_private_xattr(ofs, name))
			continue;
		/* An LSM may discard (ECANCELED) or refuse one, as in ovl. */
		err = security_inode_copy_up_xattr(oldpath->dentry, name);
		if (err == -ECANCELED) {
			err = 0;
			continue;
		}
		if (err < 0 && err != -EOPNOTSUPP)
			break;
		if (is_posix_acl_xattr(name)) {
			err = lfs_copy_acl(ofs, oldpath, new, name);
			if (err)
				break;
			continue;
		}
retry:
		size = lfs_do_getxattr(oldpath, name, value, value_size);
		if (size == -ERANGE)
			size = lfs_do_getxattr(oldpath, name, NULL, 0);
		if (size < 0) {
			err = size;
			break;
		}
		if (size > value_size) {
			void *new_value = kvmalloc(size, GFP_KERNEL);

			if (!new_value) {
				err = -ENOMEM;
				break;
			}
			kvfree(value);
			value = new_value;
			value_size = size;
			goto retry;
		}
		err = lfs_do_setxattr(ofs, new, name, value, size, 0);
		/* security.* the upper cannot store is not fatal, as ovl. */
		if (err == -EOPNOTSUPP && !strncmp(name, XATTR_SECURITY_PREFIX,
						   XATTR_SECURITY_PREFIX_LEN))
			err = 0;
		if (err)
			break;
	}
	kvfree(value);
out:
	kvfree(buf);
	return err;
}

/*
 * Copy @len bytes, skipping holes, cloning where the fs can. Returns 1
 * if the range was cloned (no data written), 0 if copied, or an error.
 */
static int lfs_copy_data(struct file *old_file, struct file *new_file,
			 loff_t len)
{
	loff_t old_pos = 0, new_pos = 0, data_pos;
	bool skip_hole = old_file->f_mode & FMODE_LSEEK;
	loff_t cloned;
	int err = 0;

	cloned = vfs_clone_file_range(old_file, 0, new_file, 0, len, 0);
	if (cloned == len)
		return 1;

	while (len > 0) {
		size_t this_len = min_t(loff_t, len, LFS_COPY_UP_CHUNK_SIZE);
		ssize_t bytes;

		if (fatal_signal_pending(current))
			return -EINTR;

		if (skip_hole) {
			data_pos = vfs_llseek(old_file, old_pos, SEEK_DATA);
			if (data_pos == -ENXIO)
				break;	/* only a hole is left */
			if (data_pos > old_pos) {
				len -= data_pos - old_pos;
				old_pos = data_pos;
				new_pos = data_pos;
				continue;
			}
			if (data_pos < 0)
				skip_hole = false;
		}

		bytes = lfs_splice_direct(old_file, &old_pos, new_file,
					  &new_pos, this_len, SPLICE_F_MOVE);
		if (bytes <= 0) {
			err = bytes ?: -EIO;
			break;
		}
		len -= bytes;
		cond_resched();
	}
	return err;
}

/* @len bytes of @from into @to, fsynced if @sync (not after a clone). */
static int lfs_copy_file(const struct path *from, const struct path *to,
			 loff_t len, bool sync)
{
	struct file *old_file, *new_file;
	int err;

	old_file = dentry_open(from, O_LARGEFILE | O_RDONLY, current_cred());
	if (IS_ERR(old_file))
		return PTR_ERR(old_file);
	new_file = dentry_open(to, O_LARGEFILE | O_WRONLY, current_cred());
	if (IS_ERR(new_file)) {
		fput(old_file);
		return PTR_ERR(new_file);
	}
	err = lfs_copy_data(old_file, new_file, len);
	if (!err && sync)
		err = vfs_fsync(new_file, 0);
	err = min(err, 0);
	fput(new_file);
	fput(old_file);
	return err;
}

static int lfs_copy_up_data(struct lfs_copy_up_ctx *c, struct lfs_fs *ofs)
{
	struct path temppath = { .mnt = lfs_upper_mnt(ofs), .dentry = c->temp };

	if (!S_ISREG(c->stat.mode) || c->metadata_only || c->metacopy ||
	    !c->stat.size)
		return 0;
	/*
	 * The data reaches the disk before the rename publishes it, once:
	 * here, or with fsync=strict after the metadata. A clone wrote no
	 * data and, as on overlayfs, is not synced.
	 */
	return lfs_copy_file(&c->datapath, &temppath, c->stat.size,
			     lfs_should_sync(ofs) && !c->metadata_fsync);
}

/* Owner, mode, size and times, in overlayfs's order. */
static int lfs_copy_up_attr(struct lfs_copy_up_ctx *c, struct lfs_fs *ofs)
{
	struct inode *inode = d_inode(c->temp);
	struct kstat *stat = &c->stat;
	struct iattr attr;
	int err = 0;

	inode_lock(inode);
	if (S_ISREG(stat->mode)) {
		attr = (struct iattr) {
			.ia_valid = ATTR_SIZE,
			.ia_size = c->metadata_only ? 0 : stat->size,
		};
		err = lfs_do_notify_change(ofs, c->temp, &attr);
	}
	if (!err && !S_ISLNK(stat->mode)) {
		attr = (struct iattr) {
			.ia_valid = ATTR_MODE,
			.ia_mode = stat->mode,
		};
		err = lfs_do_notify_change(ofs, c->temp, &attr);
	}
	if (!err) {
		attr = (struct iattr) {
			.ia_valid = ATTR_UID | ATTR_GID,
			.ia_vfsuid = VFSUIDT_INIT(stat->uid),
			.ia_vfsgid = VFSGIDT_INIT(stat->gid),
		};
		err = lfs_do_notify_change(ofs, c->temp, &attr);
	}
	if (!err) {
		attr = (struct iattr) {
			.ia_valid = ATTR_ATIME | ATTR_MTIME |
				    ATTR_ATIME_SET | ATTR_MTIME_SET,
			.ia_atime = stat->atime,
			.ia_mtime = stat->mtime,
		};
		err = lfs_do_notify_change(ofs, c->temp, &attr);
	}
	inode_unlock(inode);
	return err;
}

/* fsync() of a real object @path, with the caller's (mounter's) creds. */
int lfs_fsync_path(const struct path *path)
{
	struct file *file;
	int err;

	file = dentry_open(path, O_LARGEFILE | O_RDONLY, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = vfs_fsync(file, 0);
	fput(file);
	return err;
}

/* Everything but the data; under sb_writers of the upper filesystem. */
static int lfs_copy_up_fill_temp(struct lfs_copy_up_ctx *c, struct lfs_fs *ofs)
{
	int err;

	err = lfs_copy_xattr(ofs, &c->lowerpath, c->temp);
	/* Append-only and immutable as protattr, as overlayfs. */
	if (!err)
		err = lfs_copy_fileattr(d_inode(c->dentry), &c->lowerpath,
					c->temp);
	/* An empty one, as overlayfs writes it without a verity digest. */
	if (!err && c->metacopy)
		err = lfs_do_setxattr(ofs, c->temp,
				      lfs_xattr(ofs, LFS_XATTR_METACOPY),
				      NULL, 0, 0);
	/*
	 * "Copied up, origin unknown" in overlayfs's format. user.* exists
	 * only on regular files and directories: with userxattr the EPERM
	 * of a symlink or special file is no error (as ovl_set_origin_fh()).
	 */
	if (!err) {
		err = lfs_do_setxattr(ofs, c->temp,
				      lfs_xattr(ofs, LFS_XATTR_ORIGIN), NULL, 0, 0);
		if (err == -EPERM && ofs->config.userxattr &&
		    !d_is_reg(c->temp) && !d_is_dir(c->temp))
			err = 0;
	}
	if (!err)
		err = lfs_copy_up_attr(c, ofs);
	/* fsync=strict: the whole temp object, before it moves into place. */
	if (!err && lfs_should_sync(ofs) && c->metadata_fsync) {
		struct path temppath = { .mnt = lfs_upper_mnt(ofs),
					 .dentry = c->temp };

		err = lfs_fsync_path(&temppath);
	}
	return err;
}

/*
 * The object lost its name while it was being copied up: an unlink or a
 * rename over it, which read no upper for it yet (lfs_i_upper() is read
 * and published under the upper parent's lock), left a whiteout or
 * another object at the name. The copy must not come back under the
 * name; it becomes the object's upper unlinked, as an open file outlives
 * its name on any filesystem, and goes with the last reference. Called
 * with workdir locked.
 */
static int lfs_copy_up_orphan(struct lfs_copy_up_ctx *c, struct lfs_fs *ofs)
{
	struct inode *inode = d_inode(c->dentry);
	int err;

	/* A directory cannot lose its name while a child is copied up. */
	if (S_ISDIR(inode->i_mode))
		return -ENOENT;
	/* Our reference keeps the temp positive (unhashed) after unlink. */
	dget(c->temp);
	err = lfs_do_unlink(ofs, d_inode(ofs->workdir), c->temp);
	if (err) {
		dput(c->temp);
		return err;
	}
	if (c->metacopy)
		set_bit(LFS_I_METACOPY, &LFS_I(inode)->flags);
	/* Published complete, as in lfs_copy_up_move(). */
	smp_store_release(&LFS_I(inode)->__upperdentry, c->temp);
	lfs_update_ino(inode);
	return 0;
}

/* Move the finished temp over the (negative) upper name. */
static int lfs_copy_up_move(struct lfs_copy_up_ctx *c, struct lfs_fs *ofs)
{
	struct dentry *workdir = ofs->workdir;
	struct dentry *trap, *upper;
	int err;

	trap = lock_rename(workdir, c->destdir);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	err = -EIO;
	if (trap || c->temp->d_parent != workdir)
		goto out_unlock;

	upper = lookup_one_len(c->dentry->d_name.name, c->destdir,
			       c->dentry->d_name.len);
	err = PTR_ERR(upper);
	if (IS_ERR(upper))
		goto out_unlock;
	if (d_is_positive(upper)) {
		err = lfs_copy_up_orphan(c, ofs);
		goto out_dput;
	}
	err = lfs_do_rename(ofs, d_inode(workdir), c->temp,
			    d_inode(c->destdir), upper, RENAME_NOREPLACE);
	if (!err) {
		struct inode *inode = d_inode(c->dentry);

		if (c->metacopy)
			set_bit(LFS_I_METACOPY, &LFS_I(inode)->flags);
		/*
		 * The renamed temp dentry now is the upper object. Readers
		 * of __upperdentry see it complete.
		 */
		smp_store_release(&LFS_I(inode)->__upperdentry, dget(c->temp));
		if (S_ISDIR(inode->i_mode)) {
			set_bit(LFS_I_MERGE, &LFS_I(inode)->flags);
			lfs_dir_modified(inode);
		} else {
			lfs_update_ino(inode);
		}
	}
out_dput:
	dput(upper);
out_unlock:
	unlock_rename(workdir, c->destdir);
	return err;
}

static int lfs_copy_up_workdir(struct lfs_copy_up_ctx *c, struct lfs_fs *ofs)
{
	struct inode *wdir = d_inode(ofs->workdir);
	struct lfs_cattr cattr = {
		/* Permissions are set last, after the data is in. */
		.mode = c->stat.mode & S_IFMT,
		.rdev = c->stat.rdev,
		.link = c->link,
	};
	const struct cred *old_cred = NULL;
	struct cred *cu_cred = NULL;
	int err;

	/*
	 * The LSM may label the copy as the original (ovl_prep_cu_creds()):
	 * its creds create the temp object.
	 */
	err = security_inode_copy_up(c->dentry, &cu_cred);
	if (err < 0)
		return err;
	if (cu_cred)
		old_cred = override_creds(cu_cred);
	lfs_start_write(ofs);
	inode_lock_nested(wdir, I_MUTEX_PARENT);
	c->temp = lfs_create_temp(ofs, &cattr);
	inode_unlock(wdir);
	lfs_end_write(ofs);
	if (cu_cred) {
		revert_creds(old_cred);
		put_cred(cu_cred);
	}
	if (IS_ERR(c->temp))
		return PTR_ERR(c->temp);

	/*
	 * The data first (writing it would drop security.capability), and
	 * without sb_writers held: the splice into the temp file takes it
	 * itself (file_start_write()), as overlayfs arranges it too.
	 */
	err = lfs_copy_up_data(c, ofs);
	lfs_start_write(ofs);
	if (!err)
		err = lfs_copy_up_fill_temp(c, ofs);
	if (!err)
		err = lfs_copy_up_move(c, ofs);
	if (err) {
		inode_lock_nested(wdir, I_MUTEX_PARENT);
		if (c->temp->d_parent == ofs->workdir && d_is_positive(c->temp))
			lfs_cleanup(ofs, wdir, c->temp);
		inode_unlock(wdir);
	}
	lfs_end_write(ofs);
	dput(c->temp);
	return err;
}

/*
 * Give the upper parent back the times it had before the copy-up linked
 * the new entry into it (best effort, as overlayfs's ovl_set_timestamps()):
 * a copy-up changes no directory the user sees.
 */
static void lfs_copy_up_parent_times(struct lfs_fs *ofs, struct dentry *dir,
				     const struct kstat *pstat)
{
	struct iattr attr = {
		.ia_valid = ATTR_ATIME | ATTR_MTIME | ATTR_ATIME_SET |
			    ATTR_MTIME_SET | ATTR_CTIME,
		.ia_atime = pstat->atime,
		.ia_mtime = pstat->mtime,
	};

	lfs_start_write(ofs);
	inode_lock(d_inode(dir));
	lfs_do_notify_change(ofs, dir, &attr);
	inode_unlock(d_inode(dir));
	lfs_end_write(ofs);
}

/* Mark a parent whose entries have origins, as overlayfs does. */
int lfs_set_impure(struct lfs_fs *ofs, struct dentry *upperdir)
{
	struct path path = { .mnt = lfs_upper_mnt(ofs), .dentry = upperdir };

	if (lfs_do_getxattr(&path, lfs_xattr(ofs, LFS_XATTR_IMPURE), NULL, 0) >= 0)
		return 0;
	return lfs_do_setxattr(ofs, upperdir, lfs_xattr(ofs, LFS_XATTR_IMPURE),
			       "y", 1, 0);
}

static void lfs_copy_up_count(struct lfs_fs *ofs, struct dentry *dentry,
			      u64 bytes, u64 ns)
{
	s64 max = atomic64_read(&ofs->copy_up_ns_max);

	lfs_stat_inc(ofs, LFS_STAT_COPY_UPS);
	lfs_stat_add(ofs, LFS_STAT_COPY_UP_BYTES, bytes);
	lfs_stat_add(ofs, LFS_STAT_COPY_UP_NS, ns);
	while (ns > max && !atomic64_try_cmpxchg(&ofs->copy_up_ns_max, &max, ns))
		;
	lfs_event_copy_up(ofs, dentry, bytes, ns);
}

/* Whether a copy-up for an open with @flags needs the data. */
static bool lfs_flags_need_data(int flags)
{
	return (OPEN_FMODE(flags) & FMODE_WRITE) || (flags & O_TRUNC);
}

static int lfs_copy_up_one(struct dentry *parent, struct dentry *dentry,
			   int flags)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	struct inode *inode = d_inode(dentry);
	struct lfs_inode *oi = LFS_I(inode);
	struct lfs_copy_up_ctx c = {
		.parent = parent,
		.dentry = dentry,
		.metadata_only = flags & O_TRUNC,
	};
	const struct cred *old_cred;
	struct path parentpath;
	struct kstat pstat;
	u64 start, ns, bytes;
	int err;

	err = mutex_lock_killable(&oi->lock);
	if (err)
		return err;
	/* Lost a race with another copy-up of the same object? */
	if (lfs_i_upper(inode))
		goto out_unlock;

	start = ktime_get_ns();
	c.destdir = lfs_i_upper(d_inode(parent));
	parentpath.mnt = lfs_upper_mnt(ofs);
	parentpath.dentry = c.destdir;
	lfs_real_path(inode, &c.lowerpath);
	lfs_real_data_path(inode, &c.datapath);
	old_cred = lfs_override_creds(dentry->d_sb);
	err = lfs_do_getattr(&parentpath, &pstat, STATX_ATIME | STATX_MTIME,
			     AT_STATX_SYNC_AS_STAT);
	if (!err)
		err = lfs_do_getattr(&c.lowerpath, &c.stat,
				     STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	/*
	 * An owner the mounter's user namespace cannot map (a mount made in
	 * a user namespace) cannot be given to the copy: EOVERFLOW, as
	 * ovl_copy_up_one().
	 */
	if (!err && (!kuid_has_mapping(current_user_ns(), c.stat.uid) ||
		     !kgid_has_mapping(current_user_ns(), c.stat.gid)))
		err = -EOVERFLOW;
	/*
	 * fsync=strict syncs each regular file and directory copy-up after
	 * its metadata, for atomic copy-up on filesystems without ordered
	 * metadata; the default syncs data copy-ups only (as overlayfs).
	 */
	c.metadata_fsync = lfs_should_sync_metadata(ofs) &&
			   (S_ISREG(c.stat.mode) || S_ISDIR(c.stat.mode));
	c.metacopy = ofs->config.metacopy && S_ISREG(c.stat.mode) &&
		     !lfs_flags_need_data(flags);
	if (!err && S_ISLNK(c.stat.mode)) {
		clear_delayed_call(&c.link_done);
		c.link = vfs_get_link(c.lowerpath.dentry, &c.link_done);
		if (IS_ERR(c.link))
			err = PTR_ERR(c.link);
	}
	if (!err) {
		lfs_start_write(ofs);
		lfs_set_impure(ofs, c.destdir);
		lfs_end_write(ofs);
		err = lfs_copy_up_workdir(&c, ofs);
		if (!err)
			lfs_copy_up_parent_times(ofs, c.destdir, &pstat);
	}
	if (S_ISLNK(c.stat.mode) && !IS_ERR_OR_NULL(c.link))
		do_delayed_call(&c.link_done);
	revert_creds(old_cred);
	if (!err) {
		lfs_copyattr(inode);
		ns = ktime_get_ns() - start;
		bytes = S_ISREG(c.stat.mode) && !c.metadata_only &&
			!c.metacopy ? c.stat.size : 0;
		lfs_copy_up_count(ofs, dentry, bytes, ns);
	}
out_unlock:
	mutex_unlock(&oi->lock);
	return err;
}

/*
 * security.capability of @path in a kmalloc()ed *@value (NULL if it has
 * none); its size (0 for none), or -errno.
 */
static ssize_t lfs_get_caps(const struct path *path, void **value)
{
	ssize_t size;

	*value = NULL;
	size = lfs_do_getxattr(path, XATTR_NAME_CAPS, NULL, 0);
	if (size == -ENODATA || size == -EOPNOTSUPP || size == 0)
		return 0;
	if (size < 0)
		return size;
	*value = kmalloc(size, GFP_KERNEL);
	if (!*value)
		return -ENOMEM;
	size = lfs_do_getxattr(path, XATTR_NAME_CAPS, *value, size);
	if (size <= 0) {
		kfree(*value);
		*value = NULL;
	}
	return size;
}

/*
 * The data of a metacopy upper, copied into it in place from the lower
 * data (as ovl_copy_up_meta_inode_data()); an O_TRUNC open copies none
 * and truncates it. Writing the data drops security.capability: it is
 * read before and set again after. Until the metacopy xattr is gone and
 * LFS_I_METACOPY cleared, reads still go to the lower data, the same.
 */
static int lfs_copy_up_meta_data(struct dentry *dentry, int flags)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	struct inode *inode = d_inode(dentry);
	struct lfs_inode *oi = LFS_I(inode);
	struct path upperpath, datapath;
	const struct cred *old_cred;
	struct kstat stat = {};
	void *caps = NULL;
	ssize_t caps_size = 0;
	u64 start;
	int err;

	err = mutex_lock_killable(&oi->lock);
	if (err)
		return err;
	if (!lfs_is_metacopy(inode))
		goto out_unlock;

	start = ktime_get_ns();
	lfs_real_path(inode, &upperpath);
	lfs_real_data_path(inode, &datapath);
	old_cred = lfs_override_creds(dentry->d_sb);
	if (flags & O_TRUNC) {
		struct iattr attr = { .ia_valid = ATTR_SIZE, .ia_size = 0 };

		lfs_start_write(ofs);
		inode_lock(d_inode(upperpath.dentry));
		err = lfs_do_notify_change(ofs, upperpath.dentry, &attr);
		inode_unlock(d_inode(upperpath.dentry));
		lfs_end_write(ofs);
	} else {
		err = lfs_do_getattr(&datapath, &stat, STATX_SIZE,
				     AT_STATX_SYNC_AS_STAT);
		if (!err && stat.size) {
			caps_size = lfs_get_caps(&upperpath, &caps);
			err = min_t(ssize_t, caps_size, 0);
		}
		if (!err && stat.size)
			err = lfs_copy_file(&datapath, &upperpath, stat.size,
					    lfs_should_sync(ofs));
	}
	if (!err) {
		lfs_start_write(ofs);
		if (caps)
			err = lfs_do_setxattr(ofs, upperpath.dentry,
					      XATTR_NAME_CAPS, caps, caps_size, 0);
		if (!err)
			err = lfs_do_removexattr(ofs, upperpath.dentry,
						 lfs_xattr(ofs, LFS_XATTR_METACOPY));
		lfs_end_write(ofs);
	}
	kfree(caps);
	revert_creds(old_cred);
	if (!err) {
		/* Readers that see it clear find the data in the upper. */
		clear_bit_unlock(LFS_I_METACOPY, &oi->flags);
		lfs_copyattr(inode);
		lfs_copy_up_count(ofs, dentry, stat.size,
				  ktime_get_ns() - start);
	}
out_unlock:
	mutex_unlock(&oi->lock);
	return err;
}

/*
 * Copy up @dentry and any ancestor still lacking an upper, top-down.
 * @flags are open flags: O_TRUNC on the object itself skips its data;
 * without write access or O_TRUNC, metacopy=on copies no data.
 */
int lfs_copy_up_flags(struct dentry *dentry, int flags)
{
	struct super_block *sb = dentry->d_sb;
	int err;

	if (!lfs_upper_mnt(LFS_FS(sb)))
		return -EROFS;

	/*
	 * The upper mount must stay writable throughout, but sb_writers of
	 * the upper filesystem is taken only around the steps that change
	 * it (lfs_start_write()), never across the data copy.
	 */
	err = mnt_get_write_access(lfs_upper_mnt(LFS_FS(sb)));
	if (err)
		return err;

	while (!err && !lfs_i_upper(d_inode(dentry))) {
		struct dentry *next = dget(dentry);
		struct dentry *parent = dget_parent(next);

		/* Find the topmost ancestor without an upper. */
		while (!lfs_i_upper(d_inode(parent))) {
			dput(next);
			next = parent;
			parent = dget_parent(next);
		}
		err = lfs_copy_up_one(parent, next, next == dentry ? flags : 0);
		dput(parent);
		dput(next);
	}
	if (!err && lfs_flags_need_data(flags) && lfs_is_metacopy(d_inode(dentry)))
		err = lfs_copy_up_meta_data(dentry, flags);
	mnt_put_write_access(lfs_upper_mnt(LFS_FS(sb)));
	return err;
}

int lfs_copy_up(struct dentry *dentry)
{
	return lfs_copy_up_flags(dentry, 0);
}

/* A copy-up with the data, also of a metacopy upper. */
int lfs_copy_up_with_data(struct dentry *dentry)
{
	return lfs_copy_up_flags(dentry, O_WRONLY);
}

/* Whether opening with @flags needs the object (or its data) copied up. */
bool lfs_open_need_copy_up(struct dentry *dentry, int flags)
{
	struct inode *inode = d_inode(dentry);

	if (special_file(inode->i_mode) || !lfs_flags_need_data(flags))
		return false;
	return !lfs_i_upper(inode) || lfs_is_metacopy(inode);
}
