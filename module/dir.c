// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs directory inode operations: namespace changes land in the
 * upper layer.
 *
 * Locking: the VFS holds the layerfs parent (and victim) locks; layerfs
 * then takes the real upper parent's i_rwsem (I_MUTEX_PARENT), or both
 * real parents through lock_rename() when workdir is involved. Real
 * objects are always re-looked-up under those locks and checked against
 * what layerfs expects, so a racing change of the upper layer outside
 * the mount gives -ESTALE, never a wrong object.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/namei.h>
#include <linux/xattr.h>
#include <linux/cred.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include "layerfs.h"

/*
 * Objects are created with the mounter's credentials but owned by the
 * caller: fsuid/fsgid come from the caller (fsgid from a setgid parent).
 */
struct lfs_create_creds {
	const struct cred *old;
};

static int lfs_override_create_creds(struct lfs_create_creds *cc,
				     struct inode *dir, struct dentry *dentry,
				     umode_t mode)
{
	kuid_t fsuid = current_fsuid();
	kgid_t fsgid = dir->i_mode & S_ISGID ? dir->i_gid : current_fsgid();
	struct cred *override;
	int err;

	cc->old = lfs_override_creds(dir->i_sb);
	override = prepare_creds();
	if (!override) {
		revert_creds(cc->old);
		return -ENOMEM;
	}
	override->fsuid = fsuid;
	override->fsgid = fsgid;
	/*
	 * The LSM labels the new object for the caller (cc->old), not for
	 * the mounter whose creds create it, as ovl_setup_cred_for_create().
	 */
	err = security_dentry_create_files_as(dentry, mode, &dentry->d_name,
					      cc->old, override);
	if (err) {
		put_cred(override);
		revert_creds(cc->old);
		return err;
	}
	/* Drop the mounter cred ref taken above; current now holds one. */
	put_cred(override_creds(override));
	put_cred(override);
	return 0;
}

/* A positive upper object at @name, or NULL; upperdir must be locked. */
static struct dentry *lfs_lookup_upper(struct dentry *upperdir,
				       const struct qstr *name)
{
	return lookup_one_len(name->name, upperdir, name->len);
}

/*
 * Is @found, looked up by name in the upper dir under its lock, the
 * object the layerfs dentry stands for? The layerfs inode keeps the upper
 * dentry of the name it was made with (@expect); hard links share the
 * inode, so compare inodes, as overlayfs does (ovl_matches_upper()).
 */
static bool lfs_upper_matches(struct dentry *expect, struct dentry *found)
{
	return d_is_positive(found) && d_inode(expect) == d_inode(found);
}

/*
 * Replace a whiteout at @target (in locked-for-rename @udir) by @temp
 * from workdir. A directory cannot replace a non-directory, so it is
 * exchanged with the whiteout, which is then removed from workdir.
 */
static int lfs_replace_whiteout(struct lfs_fs *ofs, struct dentry *temp,
				struct inode *udir, struct dentry *target)
{
	struct inode *wdir = d_inode(ofs->workdir);
	int err;

	if (!d_is_dir(temp))
		return lfs_do_rename(ofs, wdir, temp, udir, target, 0);

	err = lfs_do_rename(ofs, wdir, temp, udir, target, RENAME_EXCHANGE);
	if (!err)
		lfs_cleanup(ofs, wdir, target);
	return err;
}

/*
 * The mode and ACLs an object created in @dir gets, computed against the
 * union directory as the real fs would against the upper one: its
 * default ACL (or the umask) and, for a directory, its setgid bit. An
 * object built in workdir gets them set explicitly (workdir has neither,
 * lfs_workdir_reset_attrs()), as overlayfs's ovl_create_over_whiteout().
 */
struct lfs_create_acl {
	struct lfs_cattr attr;
	struct posix_acl *acl, *default_acl;
};

static int lfs_create_acl_init(struct lfs_create_acl *ca, struct inode *dir,
			       const struct lfs_cattr *attr)
{
	ca->attr = *attr;
	if (S_ISDIR(ca->attr.mode) && (dir->i_mode & S_ISGID))
		ca->attr.mode |= S_ISGID;
	return posix_acl_create(dir, &ca->attr.mode, &ca->default_acl,
				&ca->acl);
}

static void lfs_create_acl_release(struct lfs_create_acl *ca)
{
	posix_acl_release(ca->acl);
	posix_acl_release(ca->default_acl);
}

/* Give the new object @temp in workdir what @ca says. */
static int lfs_create_acl_apply(struct lfs_fs *ofs, struct dentry *temp,
				const struct lfs_create_acl *ca)
{
	struct inode *inode = d_inode(temp);
	int err = 0;

	/* The umask applied in workdir, or no setgid inherited there. */
	if (!S_ISLNK(ca->attr.mode) && inode->i_mode != ca->attr.mode) {
		struct iattr iattr = {
			.ia_valid = ATTR_MODE,
			.ia_mode = ca->attr.mode,
		};

		inode_lock(inode);
		err = lfs_do_notify_change(ofs, temp, &iattr);
		inode_unlock(inode);
	}
	if (!err && ca->acl)
		err = lfs_do_set_acl(ofs, temp, XATTR_NAME_POSIX_ACL_ACCESS,
				     ca->acl);
	if (!err && ca->default_acl)
		err = lfs_do_set_acl(ofs, temp, XATTR_NAME_POSIX_ACL_DEFAULT,
				     ca->default_acl);
	return err;
}

/* Build the object in workdir and move it over the upper whiteout. */
static int lfs_create_over_whiteout(struct lfs_fs *ofs, struct dentry *dentry,
				    const struct lfs_cattr *attr,
				    struct dentry *hardlink,
				    struct dentry **newdentry)
{
	struct dentry *upperdir = lfs_i_upper(d_inode(dentry->d_parent));
	struct inode *wdir = d_inode(ofs->workdir);
	struct lfs_create_acl ca = {};
	struct dentry *trap, *temp, *upper;
	int err;

	if (!hardlink) {
		err = lfs_create_acl_init(&ca, d_inode(dentry->d_parent), attr);
		if (err)
			return err;
	}

	trap = lock_rename(ofs->workdir, upperdir);
	err = PTR_ERR(trap);
	if (IS_ERR(trap))
		goto out_release;
	err = -EIO;
	if (trap)
		goto out_unlock;

	upper = lfs_lookup_upper(upperdir, &dentry->d_name);
	err = PTR_ERR(upper);
	if (IS_ERR(upper))
		goto out_unlock;
	err = -ESTALE;
	if (!lfs_is_upper_whiteout(upper))
		goto out_dput_upper;

	temp = lfs_lookup_temp(ofs);
	err = PTR_ERR(temp);
	if (IS_ERR(temp))
		goto out_dput_upper;
	if (hardlink)
		err = lfs_do_link(ofs, hardlink, wdir, temp);
	else
		err = lfs_create_real(ofs, wdir, temp, &ca.attr);
	if (err)
		goto out_dput_temp;

	if (!hardlink)
		err = lfs_create_acl_apply(ofs, temp, &ca);
	/* A new directory must not show what the whiteout hid. */
	if (!err && d_is_dir(temp)) {
		err = lfs_do_setxattr(ofs, temp, lfs_xattr(ofs, LFS_XATTR_OPAQUE),
				      "y", 1, 0);
		if (!err)
			lfs_stat_inc(ofs, LFS_STAT_OPAQUE_DIRS);
	}
	if (!err)
		err = lfs_replace_whiteout(ofs, temp, d_inode(upperdir), upper);
	if (err) {
		lfs_cleanup(ofs, wdir, temp);
		goto out_dput_temp;
	}
	*newdentry = dget(temp);
out_dput_temp:
	dput(temp);
out_dput_upper:
	dput(upper);
out_unlock:
	unlock_rename(ofs->workdir, upperdir);
out_release:
	lfs_create_acl_release(&ca);
	return err;
}

/*
 * Create the upper object of @dentry in its (copied up) parent; *@newdentry
 * gets a reference to it. *@over_whiteout says whether it took the place
 * of an upper whiteout.
 */
static int lfs_create_upper(struct lfs_fs *ofs, struct dentry *dentry,
			    const struct lfs_cattr *attr,
			    struct dentry *hardlink, struct dentry **newdentry,
			    bool *over_whiteout)
{
	struct dentry *upperdir = lfs_i_upper(d_inode(dentry->d_parent));
	struct inode *udir = d_inode(upperdir);
	struct dentry *upper;
	bool whiteout = false;
	int err;

	inode_lock_nested(udir, I_MUTEX_PARENT);
	upper = lfs_lookup_upper(upperdir, &dentry->d_name);
	err = PTR_ERR(upper);
	if (IS_ERR(upper))
		goto out_unlock;
	if (lfs_is_upper_whiteout(upper)) {
		whiteout = true;
		err = 0;
	} else if (hardlink) {
		err = lfs_do_link(ofs, hardlink, udir, upper);
	} else {
		err = lfs_create_real(ofs, udir, upper, attr);
	}
	/*
	 * A new directory in a merged one is made opaque when lower layers
	 * may not change offline (redirect_dir=on, metacopy=on), as
	 * overlayfs does: an optimization, which may fail.
	 */
	if (!err && !whiteout && d_is_dir(upper) &&
	    test_bit(LFS_I_MERGE, &LFS_I(d_inode(dentry->d_parent))->flags) &&
	    !lfs_allow_offline_changes(ofs) &&
	    !lfs_do_setxattr(ofs, upper, lfs_xattr(ofs, LFS_XATTR_OPAQUE),
			     "y", 1, 0))
		lfs_stat_inc(ofs, LFS_STAT_OPAQUE_DIRS);
	if (!err && !whiteout)
		*newdentry = dget(upper);
	dput(upper);
out_unlock:
	inode_unlock(udir);

	*over_whiteout = whiteout;
	if (!err && whiteout)
		err = lfs_create_over_whiteout(ofs, dentry, attr, hardlink,
					       newdentry);
	return err;
}

static int lfs_remove_upper(struct lfs_fs *ofs, struct dentry *dentry,
			    struct dentry *upper, bool whiteout);
static int lfs_set_redirect(struct lfs_fs *ofs, struct dentry *dentry,
			    bool samedir);

/*
 * The new upper object @newdentry could not be attached to the union
 * (no memory for its inode): take it back, so that the failed call
 * changes nothing, and where it replaced a whiteout, put a whiteout back
 * (lfs_remove_upper(), as unlink does). If even that fails, the union
 * dentry is dropped, so that the next lookup shows what the upper layer
 * holds. Called with @dentry's parent locked, as the create was.
 */
static void lfs_create_undo(struct lfs_fs *ofs, struct dentry *dentry,
			    struct dentry *newdentry, bool over_whiteout)
{
	const struct cred *old_cred;
	int err;

	old_cred = lfs_override_creds(dentry->d_sb);
	err = lfs_remove_upper(ofs, dentry, newdentry, over_whiteout);
	revert_creds(old_cred);
	if (err)
		d_drop(dentry);
}

/* Attach the new upper object to the (negative) layerfs dentry. */
static int lfs_instantiate(struct dentry *dentry, struct dentry *newdentry,
			   struct inode *hardlink_inode)
{
	struct inode *inode;

	if (hardlink_inode) {
		dput(newdentry);
		inode = hardlink_inode;
		ihold(inode);
		inc_nlink(inode);
		lfs_copyattr(inode);
	} else {
		unsigned long flags = 0;
		struct path path = {
			.mnt = lfs_upper_mnt(LFS_FS(dentry->d_sb)),
			.dentry = newdentry,
		};

		if (d_is_dir(newdentry) && lfs_get_opaque_val(LFS_FS(dentry->d_sb), &path) == 'y')
			__set_bit(LFS_I_OPAQUE, &flags);
		inode = lfs_get_inode(dentry->d_sb, newdentry, NULL, flags);
		if (IS_ERR(inode))
			return PTR_ERR(inode);
	}
	d_instantiate(dentry, inode);
	return 0;
}

static int lfs_create_or_link(struct dentry *dentry,
			      const struct lfs_cattr *attr,
			      struct dentry *old)
{
	struct super_block *sb = dentry->d_sb;
	struct lfs_fs *ofs = LFS_FS(sb);
	struct inode *dir = d_inode(dentry->d_parent);
	struct dentry *hardlink = NULL, *newdentry = NULL, *undo;
	struct lfs_create_creds cc;
	bool over_whiteout;
	int err;

	err = lfs_copy_up(dentry->d_parent);
	if (!err && old)
		err = lfs_copy_up(old);
	if (err)
		return err;
	if (old)
		hardlink = lfs_i_upper(d_inode(old));

	err = lfs_want_write(sb);
	if (err)
		return err;
	/*
	 * A metacopy linked: the new name must find the data too, by an
	 * absolute redirect on the (shared) upper, as ovl_set_link_redirect().
	 */
	if (hardlink && d_is_reg(old) && lfs_is_metacopy(d_inode(old))) {
		err = lfs_set_redirect(ofs, old, false);
		if (err)
			goto out_drop_write;
	}
	if (hardlink) {
		cc.old = lfs_override_creds(sb);
	} else {
		err = lfs_override_create_creds(&cc, dir, dentry, attr->mode);
		if (err)
			goto out_drop_write;
	}

	err = lfs_create_upper(ofs, dentry, attr, hardlink, &newdentry,
			       &over_whiteout);
	revert_creds(cc.old);
	if (!err) {
		/* lfs_instantiate() consumes the reference of newdentry */
		undo = dget(newdentry);
		err = lfs_instantiate(dentry, newdentry,
				      old ? d_inode(old) : NULL);
		if (err)
			lfs_create_undo(ofs, dentry, undo, over_whiteout);
		dput(undo);
	}
	if (!err)
		lfs_dir_modified(dir);
out_drop_write:
	lfs_drop_write(sb);
	return err;
}

static int lfs_create(struct mnt_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, bool excl)
{
	return lfs_create_or_link(dentry, LFS_CATTR((mode & 07777) | S_IFREG),
				  NULL);
}

static int lfs_mkdir(struct mnt_idmap *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode)
{
	return lfs_create_or_link(dentry, LFS_CATTR((mode & 07777) | S_IFDIR),
				  NULL);
}

static int lfs_mknod(struct mnt_idmap *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode, dev_t rdev)
{
	struct lfs_cattr attr = { .mode = mode, .rdev = rdev };

	/* A whiteout created through the union would hide itself. */
	if (S_ISCHR(mode) && rdev == WHITEOUT_DEV)
		return -EPERM;
	return lfs_create_or_link(dentry, &attr, NULL);
}

static int lfs_symlink(struct mnt_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, const char *link)
{
	struct lfs_cattr attr = { .mode = S_IFLNK | 0777, .link = link };

	return lfs_create_or_link(dentry, &attr, NULL);
}

static int lfs_link(struct dentry *old, struct inode *newdir,
		    struct dentry *new)
{
	return lfs_create_or_link(new, NULL, old);
}

static int lfs_dummy_open(struct inode *inode, struct file *file)
{
	return 0;
}

static int lfs_tmpfile(struct mnt_idmap *idmap, struct inode *dir,
		       struct file *file, umode_t mode)
{
	struct dentry *dentry = file->f_path.dentry;
	struct super_block *sb = dentry->d_sb;
	struct lfs_fs *ofs = LFS_FS(sb);
	struct lfs_create_creds cc;
	struct file *realfile;
	struct inode *inode;
	struct path parent;
	int err;

	err = lfs_copy_up(dentry->d_parent);
	if (err)
		return err;
	err = lfs_want_write(sb);
	if (err)
		return err;
	err = lfs_override_create_creds(&cc, dir, dentry, mode);
	if (err)
		goto out_drop_write;

	parent.mnt = lfs_upper_mnt(ofs);
	parent.dentry = lfs_i_upper(dir);
	realfile = backing_tmpfile_open(file, file->f_flags, &parent, mode,
					current_cred());
	revert_creds(cc.old);
	err = PTR_ERR_OR_ZERO(realfile);
	if (err)
		goto out_drop_write;

	inode = lfs_get_inode(sb, dget(realfile->f_path.dentry), NULL, 0);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		fput(realfile);
		goto out_drop_write;
	}
	/*
	 * Not d_tmpfile(): that drops a link the real tmpfile never had
	 * (our inode's nlink is the real inode's, 0), as overlayfs does.
	 */
	d_mark_tmpfile(file, inode);
	d_instantiate(dentry, inode);
	file->private_data = realfile;
	err = finish_open(file, dentry, lfs_dummy_open);
	if (err)
		fput(realfile);
	else
		atomic_long_inc(&ofs->open_files);
out_drop_write:
	lfs_drop_write(sb);
	return err;
}

static void lfs_free_names(struct list_head *names)
{
	struct lfs_name *n, *tmp;

	list_for_each_entry_safe(n, tmp, names, list)
		kfree(n);
	INIT_LIST_HEAD(names);
}

/*
 * Remove the whiteouts @names (read from @upper before, outside any lock
 * on the upper layer) of an upper dir that is empty in the union: each
 * is looked up and checked first, and only if all are whiteouts (or
 * gone) are they unlinked, so that an error leaves all in place.
 */
static int lfs_unlink_whiteouts(struct lfs_fs *ofs, struct dentry *upper,
				struct list_head *names)
{
	struct inode *udir = d_inode(upper);
	struct lfs_name *n;
	int pass, err = 0;

	if (list_empty(names))
		return 0;
	inode_lock_nested(udir, I_MUTEX_CHILD);
	for (pass = 0; !err && pass < 2; pass++) {
		list_for_each_entry(n, names, list) {
			struct dentry *d = lookup_one_len(n->name, upper, n->len);

			if (IS_ERR(d)) {
				err = PTR_ERR(d);
				break;
			}
			if (lfs_is_upper_whiteout(d)) {
				if (pass)
					err = lfs_do_unlink(ofs, udir, d);
			} else if (d_is_positive(d)) {
				err = -ENOTEMPTY;
			}
			dput(d);
			if (err)
				break;
		}
	}
	inode_unlock(udir);
	return err;
}

/* Remove whiteouts from an upper dir that is empty in the union. */
static int lfs_clear_whiteouts(struct lfs_fs *ofs, struct dentry *upper)
{
	struct path path = { .mnt = lfs_upper_mnt(ofs), .dentry = upper };
	LIST_HEAD(names);
	int err;

	err = lfs_dir_read_names(&path, &names);
	if (!err)
		err = lfs_unlink_whiteouts(ofs, upper, &names);
	lfs_free_names(&names);
	return err;
}

/*
 * The upper object of @dentry, or @upper where the caller knows it. Read
 * with the upper parent locked: copy-up publishes it under that lock
 * (lfs_copy_up_move()), so a copy-up racing with a removal has either
 * finished, and its upper is what gets removed, or finds the name taken
 * afterwards and keeps its copy unlinked (lfs_copy_up_orphan()).
 */
static struct dentry *lfs_remove_victim(struct dentry *dentry,
					struct dentry *upper)
{
	if (upper || d_really_is_negative(dentry))
		return upper;
	return lfs_i_upper(d_inode(dentry));
}

/*
 * Remove the upper object of @dentry (or @upper) from @upperdir leaving
 * a whiteout: the whiteout is made in workdir and exchanged with the
 * object, which then leaves from workdir. Without an upper object the
 * whiteout is made at the name.
 */
static int lfs_remove_and_whiteout(struct lfs_fs *ofs, struct dentry *dentry,
				   struct dentry *upperdir,
				   struct dentry *upper)
{
	struct inode *wdir = d_inode(ofs->workdir);
	struct dentry *trap, *whiteout, *this;
	int err;

	trap = lock_rename(ofs->workdir, upperdir);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	err = -EIO;
	if (trap)
		goto out_unlock;

	this = lfs_lookup_upper(upperdir, &dentry->d_name);
	err = PTR_ERR(this);
	if (IS_ERR(this))
		goto out_unlock;
	upper = lfs_remove_victim(dentry, upper);
	if (!upper) {
		err = -ESTALE;
		if (d_is_negative(this))
			err = lfs_do_whiteout(ofs, d_inode(upperdir), this);
		goto out_dput_this;
	}
	err = -ESTALE;
	if (!lfs_upper_matches(upper, this))
		goto out_dput_this;

	whiteout = lfs_lookup_temp(ofs);
	err = PTR_ERR(whiteout);
	if (IS_ERR(whiteout))
		goto out_dput_this;
	err = lfs_do_whiteout(ofs, wdir, whiteout);
	if (!err) {
		err = lfs_do_rename(ofs, wdir, whiteout, d_inode(upperdir),
				    this, RENAME_EXCHANGE);
		if (err)
			lfs_cleanup(ofs, wdir, whiteout);
		else
			lfs_cleanup(ofs, wdir, this);
	}
	dput(whiteout);
out_dput_this:
	dput(this);
out_unlock:
	unlock_rename(ofs->workdir, upperdir);
	return err;
}

/*
 * Remove the upper object of @dentry, or @upper where given (an object
 * not attached to @dentry), and leave a whiteout if @whiteout.
 */
static int lfs_remove_upper(struct lfs_fs *ofs, struct dentry *dentry,
			    struct dentry *upper, bool whiteout)
{
	struct dentry *upperdir = lfs_i_upper(d_inode(dentry->d_parent));
	struct inode *udir = d_inode(upperdir);
	struct dentry *this;
	int err;

	if (whiteout)
		return lfs_remove_and_whiteout(ofs, dentry, upperdir, upper);

	inode_lock_nested(udir, I_MUTEX_PARENT);
	this = lfs_lookup_upper(upperdir, &dentry->d_name);
	err = PTR_ERR(this);
	if (IS_ERR(this))
		goto out_unlock;
	upper = lfs_remove_victim(dentry, upper);
	err = -ESTALE;
	if (upper && lfs_upper_matches(upper, this))
		err = lfs_cleanup(ofs, udir, this);
	else if (!upper && d_is_negative(this))
		err = 0;
	dput(this);
out_unlock:
	inode_unlock(udir);
	return err;
}

static int lfs_do_remove(struct dentry *dentry, bool is_dir)
{
	struct super_block *sb = dentry->d_sb;
	struct lfs_fs *ofs = LFS_FS(sb);
	struct inode *dir = d_inode(dentry->d_parent);
	struct inode *inode = d_inode(dentry);
	const struct cred *old_cred;
	struct dentry *upper;
	bool whiteout;
	int err;

	if (is_dir) {
		err = lfs_check_empty_dir(dentry);
		if (err)
			return err;
	}
	err = lfs_copy_up(dentry->d_parent);
	if (err)
		return err;
	err = lfs_want_write(sb);
	if (err)
		return err;

	whiteout = lfs_lower_positive(dentry->d_parent, &dentry->d_name);
	old_cred = lfs_override_creds(sb);
	err = 0;
	/* A directory is copied up under its lock or for a child: stable. */
	upper = lfs_i_upper(inode);
	if (is_dir && upper)
		err = lfs_clear_whiteouts(ofs, upper);
	/* The upper of a non-directory is read again under the lock. */
	if (!err)
		err = lfs_remove_upper(ofs, dentry, NULL, whiteout);
	revert_creds(old_cred);

	if (!err) {
		if (is_dir)
			clear_nlink(inode);
		else
			drop_nlink(inode);
		lfs_dir_modified(dir);
	}
	lfs_drop_write(sb);
	return err;
}

static int lfs_unlink(struct inode *dir, struct dentry *dentry)
{
	return lfs_do_remove(dentry, false);
}

static int lfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	return lfs_do_remove(dentry, true);
}

/* A directory with content in a lower layer: it moves with a redirect. */
static bool lfs_dir_has_lower(struct dentry *dentry)
{
	return d_is_dir(dentry) && lfs_numlower(LFS_E(d_inode(dentry)));
}

/*
 * What moves with a redirect: such a directory, or a metacopy file,
 * which finds its data by the name it had (as overlayfs's
 * ovl_type_merge_or_lower() after the copy-up).
 */
static bool lfs_moves_with_redirect(struct dentry *dentry)
{
	return lfs_dir_has_lower(dentry) ||
	       (d_is_reg(dentry) && lfs_is_metacopy(d_inode(dentry)));
}

/* Without redirect_dir=on such a directory cannot move: EXDEV. */
static bool lfs_can_move(struct lfs_fs *ofs, struct dentry *dentry)
{
	return ofs->config.redirect_mode == LFS_REDIRECT_ON ||
	       !lfs_dir_has_lower(dentry);
}

/* The longest redirect written, as overlayfs's redirect_max (default). */
#define LFS_REDIRECT_MAX	256

/*
 * Where the lower layers hold @dentry's content, as overlayfs's
 * ovl_get_redirect() says it: its name in the same parent (@samedir), or
 * the path from the root, each ancestor contributing its own redirect
 * (and an absolute one ending the walk) or its name. @own is @dentry's
 * redirect, or NULL. -EXDEV when longer than LFS_REDIRECT_MAX (the caller
 * falls back to a copy, as with overlayfs). Runs with the mounter's
 * credentials under the rename lock, which keeps the ancestors in place
 * but not their names: an ancestor renamed within its parent meanwhile
 * wrote its redirect before it moved, so its name is read first (under
 * d_lock) and its redirect, which wins, after.
 */
static char *lfs_build_redirect(struct lfs_fs *ofs, struct dentry *dentry,
				bool samedir, const char *own)
{
	int left = LFS_REDIRECT_MAX;
	char *buf, *ret, *redirect;
	struct dentry *d, *tmp;
	const char *name;
	int len;

	if (samedir)
		return kstrndup(dentry->d_name.name, dentry->d_name.len,
				GFP_KERNEL);
	buf = kmalloc(LFS_REDIRECT_MAX + 1 + NAME_MAX + 1, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	/* the path is built backwards in buf, a name copied after it */
	buf[left] = '\0';
	ret = ERR_PTR(-EXDEV);
	for (d = dget(dentry); !IS_ROOT(d); d = tmp) {
		struct path up = { .mnt = lfs_upper_mnt(ofs) };
		char *namebuf = buf + LFS_REDIRECT_MAX + 1;

		spin_lock(&d->d_lock);
		len = min_t(int, d->d_name.len, NAME_MAX);
		memcpy(namebuf, d->d_name.name, len);
		spin_unlock(&d->d_lock);
		namebuf[len] = '\0';
		name = namebuf;

		/* An opaque one's redirect is not followed: not its place. */
		redirect = NULL;
		up.dentry = lfs_i_upper(d_inode(d));
		if (d == dentry)
			name = own ?: name;
		else if (up.dentry &&
			 !test_bit(LFS_I_OPAQUE, &LFS_I(d_inode(d))->flags))
			redirect = lfs_get_redirect(ofs, &up, 0);
		if (IS_ERR(redirect)) {
			ret = ERR_CAST(redirect);
			goto out;
		}
		if (redirect)
			name = redirect;
		len = strlen(name);
		if (len + (name[0] != '/') > left) {
			kfree(redirect);
			goto out;
		}
		left -= len;
		memcpy(buf + left, name, len);
		kfree(redirect);
		tmp = dget_parent(d);
		dput(d);
		if (buf[left] == '/') {
			d = tmp;
			break;
		}
		buf[--left] = '/';
	}
	ret = kstrdup(buf + left, GFP_KERNEL) ?: ERR_PTR(-ENOMEM);
out:
	dput(d);
	kfree(buf);
	return ret;
}

/*
 * redirect_dir=on: before a directory with lower content moves, record
 * on its upper directory where that content is (trusted.overlay.redirect,
 * as ovl_set_redirect()): a relative redirect it has stays right within
 * its parent, an absolute one everywhere. A metacopy file whose lower
 * data has other links gets an absolute one even within its parent, as
 * in ovl_need_absolute_redirect(). A failure to write it is EXDEV
 * (userspace copies then), as on overlayfs.
 */
static int lfs_set_redirect(struct lfs_fs *ofs, struct dentry *dentry,
			    bool samedir)
{
	struct lfs_entry *oe = LFS_E(d_inode(dentry));
	struct path up = { .mnt = lfs_upper_mnt(ofs),
			   .dentry = lfs_i_upper(d_inode(dentry)) };
	const struct cred *old_cred;
	char *cur, *redirect;
	int err;

	if (samedir && !d_is_dir(dentry) && lfs_numlower(oe) &&
	    d_inode(oe->lowerstack[0].dentry)->i_nlink > 1)
		samedir = false;
	old_cred = lfs_override_creds(dentry->d_sb);
	cur = lfs_get_redirect(ofs, &up, 0);
	err = PTR_ERR_OR_ZERO(cur);
	if (err || (cur && (samedir || cur[0] == '/')))
		goto out;
	redirect = lfs_build_redirect(ofs, dentry, samedir, cur);
	err = PTR_ERR_OR_ZERO(redirect);
	if (err)
		goto out;
	err = lfs_do_setxattr(ofs, up.dentry,
			      lfs_xattr(ofs, LFS_XATTR_REDIRECT), redirect,
			      strlen(redirect), 0);
	if (err) {
		pr_warn_ratelimited("failed to set redirect (%i)\n", err);
		err = -EXDEV;
	}
	kfree(redirect);
out:
	kfree(cur);
	revert_creds(old_cred);
	return err;
}

struct lfs_rename_ctx {
	struct dentry *old, *new;
	struct dentry *olddir_upper, *newdir_upper;
	struct dentry *old_upper, *new_upper;	/* real objects found */
	unsigned int flags;			/* user's RENAME_* */
	bool overwrite;
	bool old_whiteout;			/* whiteout the old name */
	/* names in the upper of a dir replaced, read before the lock */
	struct list_head new_names;
};

/*
 * An upper-only directory moved into a merged directory becomes opaque,
 * as with overlayfs, so that nothing of a lower layer shows through it
 * (a new directory made there by mkdir is not: nothing below it can
 * exist then, and docker diff sees a plain new directory).
 */
static int lfs_rename_set_opaque(struct lfs_fs *ofs, struct dentry *src,
				 struct dentry *destparent)
{
	struct dentry *upper = lfs_i_upper(d_inode(src));
	const struct cred *old_cred;
	int err = 0;

	if (!d_is_dir(src) || test_bit(LFS_I_OPAQUE, &LFS_I(d_inode(src))->flags))
		return 0;
	if (!test_bit(LFS_I_MERGE, &LFS_I(d_inode(destparent))->flags))
		return 0;
	old_cred = lfs_override_creds(src->d_sb);
	err = lfs_do_setxattr(ofs, upper, lfs_xattr(ofs, LFS_XATTR_OPAQUE),
			      "y", 1, 0);
	revert_creds(old_cred);
	if (!err) {
		set_bit(LFS_I_OPAQUE, &LFS_I(d_inode(src))->flags);
		lfs_stat_inc(ofs, LFS_STAT_OPAQUE_DIRS);
	}
	return err;
}

static int lfs_rename_prepare(struct lfs_rename_ctx *c, struct lfs_fs *ofs)
{
	struct dentry *old = c->old, *new = c->new;
	int err;

	if (!lfs_can_move(ofs, old) ||
	    (!c->overwrite && d_is_positive(new) && !lfs_can_move(ofs, new))) {
		lfs_stat_inc(ofs, LFS_STAT_EXDEV);
		return -EXDEV;
	}
	if (c->overwrite && d_is_positive(new) && d_is_dir(new)) {
		err = lfs_check_empty_dir(new);
		if (err)
			return err;
	}

	err = lfs_copy_up(old);
	if (!err)
		err = lfs_copy_up(new->d_parent);
	if (!err && d_is_positive(new) && !c->overwrite)
		err = lfs_copy_up(new);
	if (err)
		return err;

	c->old_whiteout = c->overwrite &&
			  lfs_lower_positive(old->d_parent, &old->d_name);
	return 0;
}

/*
 * What the moved directories need on the upper layer before the rename
 * (with write access to it): a redirect where lower content moves, an
 * opaque mark where an upper-only one moves into a merged directory,
 * impure on a new parent of lower content (readdir looks its entries up
 * for d_ino, as overlayfs does for entries with an origin).
 */
static int lfs_rename_mark(struct lfs_rename_ctx *c, struct lfs_fs *ofs)
{
	struct dentry *old = c->old, *new = c->new;
	bool samedir = old->d_parent == new->d_parent;
	bool both = !c->overwrite && d_is_positive(new);
	const struct cred *old_cred;
	int err;

	if (lfs_moves_with_redirect(old))
		err = lfs_set_redirect(ofs, old, samedir);
	else
		err = lfs_rename_set_opaque(ofs, old, new->d_parent);
	if (!err && both) {
		if (lfs_moves_with_redirect(new))
			err = lfs_set_redirect(ofs, new, samedir);
		else
			err = lfs_rename_set_opaque(ofs, new, old->d_parent);
	}
	if (err || samedir)
		return err;
	old_cred = lfs_override_creds(old->d_sb);
	if (lfs_moves_with_redirect(old))
		err = lfs_set_impure(ofs, lfs_i_upper(d_inode(new->d_parent)));
	if (!err && both && lfs_moves_with_redirect(new))
		err = lfs_set_impure(ofs, lfs_i_upper(d_inode(old->d_parent)));
	revert_creds(old_cred);
	return err;
}

/* Real rename flags for what the upper layer holds at the target. */
static unsigned int lfs_rename_real_flags(struct lfs_rename_ctx *c,
					  struct dentry *target)
{
	unsigned int flags = c->flags;

	if (!c->overwrite)
		return flags;
	if (lfs_is_upper_whiteout(target)) {
		/* The whiteout is "no entry" in the union. */
		flags &= ~RENAME_NOREPLACE;
		if (d_is_dir(c->old_upper))
			return flags | RENAME_EXCHANGE;
	}
	if (c->old_whiteout)
		flags |= RENAME_WHITEOUT;
	return flags;
}

static int lfs_rename_upper(struct lfs_rename_ctx *c, struct lfs_fs *ofs)
{
	struct inode *olddir = d_inode(c->olddir_upper);
	struct inode *newdir = d_inode(c->newdir_upper);
	struct dentry *trap, *olddentry, *newdentry;
	struct dentry *new_expect = NULL;
	unsigned int flags;
	int err;

	trap = lock_rename(c->newdir_upper, c->olddir_upper);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	/* Read under the lock: see lfs_remove_victim(). */
	if (d_is_positive(c->new))
		new_expect = lfs_i_upper(d_inode(c->new));

	olddentry = lfs_lookup_upper(c->olddir_upper, &c->old->d_name);
	err = PTR_ERR(olddentry);
	if (IS_ERR(olddentry))
		goto out_unlock;
	err = -ESTALE;
	if (!lfs_upper_matches(c->old_upper, olddentry))
		goto out_dput_old;
	err = -EINVAL;
	if (olddentry == trap)
		goto out_dput_old;

	newdentry = lfs_lookup_upper(c->newdir_upper, &c->new->d_name);
	err = PTR_ERR(newdentry);
	if (IS_ERR(newdentry))
		goto out_dput_old;
	err = -ESTALE;
	if (new_expect ? !lfs_upper_matches(new_expect, newdentry) :
	    d_is_positive(newdentry) && !lfs_is_upper_whiteout(newdentry))
		goto out_dput_new;
	err = -ENOTEMPTY;
	if (newdentry == trap)
		goto out_dput_new;
	/*
	 * A directory replaced by the rename is empty in the union, but its
	 * upper may hold whiteouts (named in c->new_names, read before the
	 * lock: no readdir under it): removed only now, after the checks
	 * above, so that their failure does not bring back what they hid.
	 */
	if (c->overwrite && new_expect && d_is_dir(newdentry)) {
		err = lfs_unlink_whiteouts(ofs, newdentry, &c->new_names);
		if (err)
			goto out_dput_new;
	}

	flags = lfs_rename_real_flags(c, newdentry);
	err = lfs_do_rename(ofs, olddir, olddentry, newdir, newdentry, flags);
	if (!err && (flags & RENAME_WHITEOUT))
		lfs_stat_inc(ofs, LFS_STAT_WHITEOUTS);
	/* A dir exchanged with a whiteout left it at the old name. */
	if (!err && c->overwrite && (flags & RENAME_EXCHANGE) &&
	    !c->old_whiteout)
		lfs_cleanup(ofs, olddir, newdentry);
out_dput_new:
	dput(newdentry);
out_dput_old:
	dput(olddentry);
out_unlock:
	unlock_rename(c->newdir_upper, c->olddir_upper);
	return err;
}

static int lfs_rename(struct mnt_idmap *idmap, struct inode *olddir,
		      struct dentry *old, struct inode *newdir,
		      struct dentry *new, unsigned int flags)
{
	struct super_block *sb = old->d_sb;
	struct lfs_fs *ofs = LFS_FS(sb);
	struct lfs_rename_ctx c = {
		.old = old,
		.new = new,
		.flags = flags,
		.overwrite = !(flags & RENAME_EXCHANGE),
	};
	const struct cred *old_cred;
	int err;

	if (flags & ~(RENAME_EXCHANGE | RENAME_NOREPLACE))
		return -EINVAL;

	err = lfs_rename_prepare(&c, ofs);
	if (err)
		return err;
	err = lfs_want_write(sb);
	if (err)
		return err;
	err = lfs_rename_mark(&c, ofs);
	if (err)
		goto out_drop_write;

	c.olddir_upper = lfs_i_upper(olddir);
	c.newdir_upper = lfs_i_upper(newdir);
	c.old_upper = lfs_i_upper(d_inode(old));
	old_cred = lfs_override_creds(sb);
	err = 0;
	INIT_LIST_HEAD(&c.new_names);
	if (c.overwrite && d_is_positive(new) && d_is_dir(new) &&
	    lfs_i_upper(d_inode(new))) {
		struct path path = {
			.mnt = lfs_upper_mnt(ofs),
			.dentry = lfs_i_upper(d_inode(new)),
		};

		err = lfs_dir_read_names(&path, &c.new_names);
	}
	if (!err)
		err = lfs_rename_upper(&c, ofs);
	lfs_free_names(&c.new_names);
	revert_creds(old_cred);

	if (!err) {
		if (c.overwrite && d_is_positive(new)) {
			if (d_is_dir(new))
				clear_nlink(d_inode(new));
			else
				drop_nlink(d_inode(new));
		}
		lfs_dir_modified(olddir);
		if (newdir != olddir)
			lfs_dir_modified(newdir);
		lfs_copyattr(d_inode(old));
		if (!c.overwrite)
			lfs_copyattr(d_inode(new));
	}
out_drop_write:
	lfs_drop_write(sb);
	return err;
}

const struct inode_operations lfs_dir_inode_operations = {
	.lookup		= lfs_lookup,
	.create		= lfs_create,
	.mkdir		= lfs_mkdir,
	.mknod		= lfs_mknod,
	.symlink	= lfs_symlink,
	.link		= lfs_link,
	.unlink		= lfs_unlink,
	.rmdir		= lfs_rmdir,
	.rename		= lfs_rename,
	.tmpfile	= lfs_tmpfile,
	.permission	= lfs_permission,
	.getattr	= lfs_getattr,
	.setattr	= lfs_setattr,
	.listxattr	= lfs_listxattr,
	.get_inode_acl	= lfs_get_inode_acl,
	LFS_DENTRY_ACL_IOPS
	.fileattr_get	= lfs_fileattr_get,
	.fileattr_set	= lfs_fileattr_set,
};
