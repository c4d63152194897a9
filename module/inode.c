// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs inodes: creation, attributes, permissions, xattrs and ACLs.
 */

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/xattr.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/ratelimit.h>
#include <linux/fileattr.h>
#include <linux/security.h>
#include "layerfs.h"

void lfs_inode_init_once(void *foo)
{
	struct lfs_inode *oi = foo;

	inode_init_once(&oi->vfs_inode);
	mutex_init(&oi->lock);
	spin_lock_init(&oi->cache_lock);
}

/*
 * Inode flags taken from the real inode when the layerfs inode is made,
 * as in overlayfs. Append-only and immutable are not set on an upper
 * inode (layerfs could not build or move objects under it): they are
 * kept in trusted.overlay.protattr, in overlayfs's format.
 */
#define LFS_COPY_I_FLAGS	(S_SYNC | S_NOATIME | S_APPEND | S_IMMUTABLE)
#define LFS_PROT_I_FLAGS	(S_APPEND | S_IMMUTABLE)
#define LFS_COPY_FS_FLAGS	(FS_SYNC_FL | FS_NOATIME_FL)
#define LFS_COPY_FSX_FLAGS	(FS_XFLAG_SYNC | FS_XFLAG_NOATIME)
#define LFS_PROT_FS_FLAGS	(FS_APPEND_FL | FS_IMMUTABLE_FL)
#define LFS_PROT_FSX_FLAGS	(FS_XFLAG_APPEND | FS_XFLAG_IMMUTABLE)
#define LFS_PROTATTR_MAX	32

/* Refresh ownership, mode, times and size from the real inode. */
void lfs_copyattr(struct inode *inode)
{
	struct inode *realinode;
	struct path realpath;
	struct mnt_idmap *idmap;
	vfsuid_t vfsuid;
	vfsgid_t vfsgid;

	lfs_real_path(inode, &realpath);
	if (!realpath.dentry)
		return;
	realinode = d_inode(realpath.dentry);
	idmap = mnt_idmap(realpath.mnt);
	vfsuid = i_uid_into_vfsuid(idmap, realinode);
	vfsgid = i_gid_into_vfsgid(idmap, realinode);

	inode->i_uid = vfsuid_into_kuid(vfsuid);
	inode->i_gid = vfsgid_into_kgid(vfsgid);
	inode->i_mode = realinode->i_mode;
	inode_set_atime_to_ts(inode, inode_get_atime(realinode));
	inode_set_mtime_to_ts(inode, inode_get_mtime(realinode));
	inode_set_ctime_to_ts(inode, inode_get_ctime(realinode));
	i_size_write(inode, i_size_read(realinode));
}

/* Append-only and immutable of an upper object, from its protattr. */
static void lfs_check_protattr(struct inode *inode, struct dentry *upper)
{
	struct lfs_fs *ofs = LFS_FS(inode->i_sb);
	struct path path = { .mnt = lfs_upper_mnt(ofs), .dentry = upper };
	u32 iflags = inode->i_flags & LFS_PROT_I_FLAGS;
	char buf[LFS_PROTATTR_MAX + 1];
	const struct cred *old_cred;
	int res, n;

	old_cred = lfs_override_creds(inode->i_sb);
	res = lfs_do_getxattr(&path, lfs_xattr(ofs, LFS_XATTR_PROTATTR), buf,
			      LFS_PROTATTR_MAX);
	revert_creds(old_cred);
	if (res < 0)
		return;
	for (n = 0; n < res; n++) {
		if (buf[n] == 'a')
			iflags |= S_APPEND;
		else if (buf[n] == 'i')
			iflags |= S_IMMUTABLE;
		else
			break;
	}
	if (!res || n < res)
		pr_warn_ratelimited("incompatible protattr format (%pd2, len=%d)\n",
				    upper, res);
	else
		inode_set_flags(inode, iflags, LFS_PROT_I_FLAGS);
}

/*
 * Store the append-only and immutable flags of @fa in the protattr of
 * @upper (remove it when they are cleared) and on @inode, and take them
 * out of @fa, which then goes to the upper inode. Mounter's creds.
 */
static int lfs_set_protattr(struct inode *inode, struct dentry *upper,
			    struct fileattr *fa)
{
	struct lfs_fs *ofs = LFS_FS(inode->i_sb);
	char buf[LFS_PROTATTR_MAX];
	int len = 0, err = 0;
	u32 iflags = 0;

	if (fa->flags & FS_APPEND_FL) {
		buf[len++] = 'a';
		iflags |= S_APPEND;
	}
	if (fa->flags & FS_IMMUTABLE_FL) {
		buf[len++] = 'i';
		iflags |= S_IMMUTABLE;
	}
	if (len) {
		err = lfs_do_setxattr(ofs, upper,
				      lfs_xattr(ofs, LFS_XATTR_PROTATTR),
				      buf, len, 0);
		/* Not on the upper inode either: refuse, as overlayfs. */
		if (err == -EOPNOTSUPP)
			err = -EPERM;
	} else if (inode->i_flags & LFS_PROT_I_FLAGS) {
		err = lfs_do_removexattr(ofs, upper,
					 lfs_xattr(ofs, LFS_XATTR_PROTATTR));
		if (err == -EOPNOTSUPP || err == -ENODATA)
			err = 0;
	}
	if (err)
		return err;
	inode_set_flags(inode, iflags, LFS_PROT_I_FLAGS);
	fa->flags &= ~LFS_PROT_FS_FLAGS;
	fa->fsx_xflags &= ~LFS_PROT_FSX_FLAGS;
	return 0;
}

/*
 * vfs_fileattr_get/set() skip the LSM's ioctl check, which the ioctl on
 * the real file would run: run it on a file of the real path, with the
 * mounter's credentials, as overlayfs's ovl_security_fileattr().
 */
static int lfs_security_fileattr(const struct path *realpath,
				 struct fileattr *fa, bool set)
{
	unsigned int flags = O_RDONLY;
	struct file *file;
	unsigned int cmd;
	int err;

	if (force_o_largefile())
		flags |= O_LARGEFILE;
	file = dentry_open(realpath, flags, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (set)
		cmd = fa->fsx_valid ? FS_IOC_FSSETXATTR : FS_IOC_SETFLAGS;
	else
		cmd = fa->fsx_valid ? FS_IOC_FSGETXATTR : FS_IOC_GETFLAGS;
	err = security_file_ioctl(file, cmd, 0);
	fput(file);
	return err;
}

static int lfs_real_fileattr_get(const struct path *realpath,
				 struct fileattr *fa)
{
	int err = lfs_security_fileattr(realpath, fa, false);

	if (err)
		return err;
	err = vfs_fileattr_get(realpath->dentry, fa);
	return err == -ENOIOCTLCMD ? -ENOTTY : err;
}

static int lfs_real_fileattr_set(const struct path *realpath,
				 struct fileattr *fa)
{
	int err = lfs_security_fileattr(realpath, fa, true);

	if (err)
		return err;
	return vfs_fileattr_set(mnt_idmap(realpath->mnt), realpath->dentry,
				fa);
}

/*
 * Copy-up: the flags of the lower object @old go to the temp copy @new,
 * append-only and immutable as protattr. A filesystem without fileattr
 * support on either side is no error, as in overlayfs.
 */
int lfs_copy_fileattr(struct inode *inode, const struct path *old,
		      struct dentry *new)
{
	struct lfs_fs *ofs = LFS_FS(inode->i_sb);
	struct path newpath = { .mnt = lfs_upper_mnt(ofs), .dentry = new };
	struct fileattr oldfa = { .flags_valid = true };
	struct fileattr newfa = { .flags_valid = true };
	int err;

	if (!(inode->i_flags & LFS_COPY_I_FLAGS) ||
	    !(S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode)))
		return 0;
	err = lfs_real_fileattr_get(old, &oldfa);
	if (err)
		return err == -ENOTTY || err == -EINVAL ? 0 : err;
	if (oldfa.flags & LFS_PROT_FS_FLAGS) {
		err = lfs_set_protattr(inode, new, &oldfa);
		if (err)
			return err;
	}
	if (!(oldfa.flags & LFS_COPY_FS_FLAGS))
		return 0;
	err = lfs_real_fileattr_get(&newpath, &newfa);
	if (err)
		return err == -ENOTTY || err == -EINVAL ? 0 : err;
	newfa.flags &= ~LFS_COPY_FS_FLAGS;
	newfa.flags |= oldfa.flags & LFS_COPY_FS_FLAGS;
	newfa.fsx_xflags &= ~LFS_COPY_FSX_FLAGS;
	newfa.fsx_xflags |= oldfa.fsx_xflags & LFS_COPY_FSX_FLAGS;
	return lfs_real_fileattr_set(&newpath, &newfa);
}

int lfs_fileattr_get(struct dentry *dentry, struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	const struct cred *old_cred;
	struct path realpath;
	int err;

	lfs_real_path(inode, &realpath);
	old_cred = lfs_override_creds(inode->i_sb);
	err = lfs_real_fileattr_get(&realpath, fa);
	revert_creds(old_cred);
	/* What protattr (or the lower inode) says. */
	if (inode->i_flags & S_APPEND) {
		fa->flags |= FS_APPEND_FL;
		fa->fsx_xflags |= FS_XFLAG_APPEND;
	}
	if (inode->i_flags & S_IMMUTABLE) {
		fa->flags |= FS_IMMUTABLE_FL;
		fa->fsx_xflags |= FS_XFLAG_IMMUTABLE;
	}
	return err;
}

/* Called by the VFS with the inode locked, after its permission checks. */
int lfs_fileattr_set(struct mnt_idmap *idmap, struct dentry *dentry,
		     struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	struct lfs_fs *ofs = LFS_FS(inode->i_sb);
	const struct cred *old_cred;
	struct path upperpath;
	struct dentry *upper;
	unsigned int flags;
	int err;

	err = lfs_copy_up(dentry);
	if (err)
		return err;
	err = lfs_want_write(inode->i_sb);
	if (err)
		return err;
	upper = lfs_i_upper(inode);
	upperpath.mnt = lfs_upper_mnt(ofs);
	upperpath.dentry = upper;
	old_cred = lfs_override_creds(inode->i_sb);
	err = lfs_set_protattr(inode, upper, fa);
	if (!err)
		err = lfs_real_fileattr_set(&upperpath, fa);
	revert_creds(old_cred);
	lfs_drop_write(inode->i_sb);

	flags = d_inode(upper)->i_flags & LFS_COPY_I_FLAGS;
	flags |= inode->i_flags & LFS_PROT_I_FLAGS;
	inode_set_flags(inode, flags, LFS_COPY_I_FLAGS);
	lfs_copyattr(inode);
	return err;
}

static const struct address_space_operations lfs_aops = {
	/* do_dentry_open() allows O_DIRECT only with ->direct_IO */
	.direct_IO	= noop_direct_IO,
};

static const struct inode_operations lfs_file_inode_operations;
static const struct inode_operations lfs_symlink_inode_operations;
static const struct inode_operations lfs_special_inode_operations;

static void lfs_fill_inode(struct inode *inode, struct inode *realinode)
{
	umode_t mode = realinode->i_mode;

	inode->i_mode = mode;
	set_nlink(inode, realinode->i_nlink);
	/*
	 * The ACLs live on the real inode, which changes underneath (copy-up,
	 * set_acl): never cache them here, ask lfs_get_inode_acl() each time.
	 */
#ifdef CONFIG_FS_POSIX_ACL
	inode->i_acl = ACL_DONT_CACHE;
	inode->i_default_acl = ACL_DONT_CACHE;
#endif
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &lfs_file_inode_operations;
		inode->i_fop = &lfs_file_operations;
		inode->i_mapping->a_ops = &lfs_aops;
		break;
	case S_IFDIR:
		inode->i_op = &lfs_dir_inode_operations;
		inode->i_fop = &lfs_dir_operations;
		break;
	case S_IFLNK:
		inode->i_op = &lfs_symlink_inode_operations;
		break;
	default:
		inode->i_op = &lfs_special_inode_operations;
		init_special_inode(inode, mode, realinode->i_rdev);
		break;
	}
	lfs_copyattr(inode);
	inode_set_flags(inode, realinode->i_flags & LFS_COPY_I_FLAGS,
			LFS_COPY_I_FLAGS);
	if (lfs_i_upper(inode))
		lfs_check_protattr(inode, lfs_i_upper(inode));
}

/*
 * Lockdep: a layerfs mount with a layerfs (or overlayfs) layer takes the
 * i_rwsem of one of its directories and then of a directory of the inner
 * mount (a lookup with the parent locked), which lockdep would take for
 * one class locked twice. Each stacking depth gets its own classes, as in
 * overlayfs. Called before anyone else can see the inode.
 */
static void lfs_lockdep_annotate_inode(struct inode *inode)
{
#ifdef CONFIG_LOCKDEP
	static struct lock_class_key i_mutex_key[FILESYSTEM_MAX_STACK_DEPTH];
	static struct lock_class_key i_mutex_dir_key[FILESYSTEM_MAX_STACK_DEPTH];
	static struct lock_class_key i_lock_key[FILESYSTEM_MAX_STACK_DEPTH];
	int depth = inode->i_sb->s_stack_depth - 1;

	if (WARN_ON_ONCE(depth < 0 || depth >= FILESYSTEM_MAX_STACK_DEPTH))
		depth = 0;
	if (S_ISDIR(inode->i_mode))
		lockdep_set_class(&inode->i_rwsem, &i_mutex_dir_key[depth]);
	else
		lockdep_set_class(&inode->i_rwsem, &i_mutex_key[depth]);
	lockdep_set_class(&LFS_I(inode)->lock, &i_lock_key[depth]);
#endif
}

static int lfs_inode_test(struct inode *inode, void *data)
{
	return LFS_I(inode)->key == data;
}

static int lfs_inode_set(struct inode *inode, void *data)
{
	LFS_I(inode)->key = data;
	return 0;
}

/*
 * Which real inode identifies an object: directories and single-linked
 * lower files are known by their (topmost) lower inode, so st_ino stays
 * the same across copy-up; upper-only objects and lower hard links by
 * the upper inode, as overlayfs does without its index feature.
 */
static struct inode *lfs_origin(struct super_block *sb, struct dentry *upper,
				struct lfs_entry *oe,
				const struct lfs_layer **layer)
{
	struct dentry *lower = lfs_numlower(oe) ? oe->lowerstack[0].dentry :
			       NULL;

	if (lower && (d_is_dir(lower) || !upper ||
		      d_inode(lower)->i_nlink == 1)) {
		*layer = oe->lowerstack[0].layer;
		return d_inode(lower);
	}
	*layer = &LFS_FS(sb)->layers[0];
	return d_inode(upper);
}

/*
 * Get the layerfs inode for a looked-up object; consumes the references
 * in @upper and @oe in all cases.
 *
 * Non-directories are hashed by their origin inode, so that hard links
 * share a layerfs inode and an inode survives its copy-up. Lower hard
 * links are not hashed: copy-up breaks them, as on overlayfs. Directories
 * cannot be hard linked and get a fresh inode per dentry.
 */
struct inode *lfs_get_inode(struct super_block *sb, struct dentry *upper,
			    struct lfs_entry *oe, unsigned long flags)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	const struct lfs_layer *origin_layer;
	struct inode *origin, *realinode;
	struct lfs_inode *oi;
	struct inode *inode;
	bool hashed;

	realinode = d_inode(upper ?: oe->lowerstack[0].dentry);
	origin = lfs_origin(sb, upper, oe, &origin_layer);
	hashed = !S_ISDIR(realinode->i_mode) &&
		 (upper || origin->i_nlink == 1);

	if (!hashed) {
		inode = new_inode(sb);
	} else {
		inode = iget5_locked(sb, (unsigned long)origin, lfs_inode_test,
				     lfs_inode_set, origin);
		if (inode && !(inode->i_state & I_NEW)) {
			/* Already set up by an earlier lookup (hard link). */
			dput(upper);
			lfs_free_entry(oe);
			return inode;
		}
	}
	if (!inode) {
		dput(upper);
		lfs_free_entry(oe);
		return ERR_PTR(-ENOMEM);
	}

	oi = LFS_I(inode);
	oi->__upperdentry = upper;
	oi->oe = oe;
	oi->flags = flags;
	inode->i_ino = lfs_map_ino(ofs, origin_layer, origin->i_ino);
	lfs_fill_inode(inode, realinode);
	lfs_lockdep_annotate_inode(inode);
	if (inode->i_state & I_NEW)
		unlock_new_inode(inode);
	return inode;
}

/* After copy-up of a lower hard link, st_ino is the upper's. */
void lfs_update_ino(struct inode *inode)
{
	const struct lfs_layer *layer;
	struct inode *origin;

	origin = lfs_origin(inode->i_sb, lfs_i_upper(inode), LFS_E(inode),
			    &layer);
	inode->i_ino = lfs_map_ino(LFS_FS(inode->i_sb), layer, origin->i_ino);
}

int lfs_getattr(struct mnt_idmap *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct dentry *dentry = path->dentry;
	struct inode *inode = d_inode(dentry);
	const struct cred *old_cred;
	struct path realpath;
	int err;

	lfs_real_path(inode, &realpath);
	old_cred = lfs_override_creds(dentry->d_sb);
	err = lfs_do_getattr(&realpath, stat, request_mask, flags);
	/*
	 * A metacopy has the size but not the blocks of its data: those of
	 * the lower data file, as overlayfs reports them.
	 */
	if (!err && S_ISREG(inode->i_mode)) {
		struct path datapath;
		struct kstat dstat;

		lfs_real_data_path(inode, &datapath);
		if (datapath.dentry && datapath.dentry != realpath.dentry) {
			err = lfs_do_getattr(&datapath, &dstat, STATX_BLOCKS,
					     flags);
			if (!err)
				stat->blocks = dstat.blocks;
		}
	}
	revert_creds(old_cred);
	if (err)
		return err;

	generic_fill_statx_attr(inode, stat);
	stat->dev = dentry->d_sb->s_dev;
	stat->ino = inode->i_ino;
	/* As overlayfs: subdirectories of a merged dir are not counted. */
	if (test_bit(LFS_I_MERGE, &LFS_I(inode)->flags))
		stat->nlink = 1;
	return 0;
}

/*
 * The caller is checked against the layerfs inode, the mounter against
 * the real one. Lower layers are read-only by construction, so a write
 * that will be redirected to the upper layer is checked as a read there.
 */
int lfs_permission(struct mnt_idmap *idmap, struct inode *inode, int mask)
{
	const struct cred *old_cred;
	struct inode *realinode;
	struct path realpath;
	int err;

	lfs_real_path(inode, &realpath);
	if (!realpath.dentry)
		return -ECHILD;
	realinode = d_inode(realpath.dentry);

	err = generic_permission(&nop_mnt_idmap, inode, mask);
	if (err)
		return err;

	old_cred = lfs_override_creds(inode->i_sb);
	if (!lfs_i_upper(inode) && !special_file(realinode->i_mode) &&
	    (mask & MAY_WRITE)) {
		mask &= ~(MAY_WRITE | MAY_APPEND);
		mask |= MAY_READ;
	}
	err = inode_permission(mnt_idmap(realpath.mnt), realinode, mask);
	revert_creds(old_cred);
	return err;
}

int lfs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	struct inode *winode = NULL;
	const struct cred *old_cred;
	struct dentry *upper;
	int err;

	err = setattr_prepare(&nop_mnt_idmap, dentry, attr);
	if (err)
		return err;

	/*
	 * Truncating to zero needs no data copied up, another size all of
	 * it (also of a metacopy); the rest needs none with metacopy=on.
	 */
	if ((attr->ia_valid & ATTR_SIZE) && attr->ia_size == 0)
		err = lfs_copy_up_flags(dentry, O_TRUNC);
	else if ((attr->ia_valid & ATTR_SIZE) && S_ISREG(inode->i_mode))
		err = lfs_copy_up_with_data(dentry);
	else
		err = lfs_copy_up(dentry);
	if (err)
		return err;

	/* The real fs must not see the layerfs file in ia_file. */
	attr->ia_valid &= ~ATTR_FILE;
	/* Mode and the suid kill bits cannot go together (see ovl). */
	if (attr->ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		attr->ia_valid &= ~ATTR_MODE;

	upper = lfs_i_upper(inode);
	/*
	 * A size change needs write access to the real inode, which an
	 * exec of it refuses (ETXTBSY), as in overlayfs.
	 */
	if (attr->ia_valid & ATTR_SIZE) {
		winode = d_inode(upper);
		err = get_write_access(winode);
		if (err)
			return err;
	}
	err = lfs_want_write(dentry->d_sb);
	if (err)
		goto out_put_write;
	inode_lock(d_inode(upper));
	old_cred = lfs_override_creds(dentry->d_sb);
	err = lfs_do_notify_change(ofs, upper, attr);
	revert_creds(old_cred);
	if (!err)
		lfs_copyattr(inode);
	inode_unlock(d_inode(upper));
	lfs_drop_write(dentry->d_sb);
out_put_write:
	if (winode)
		put_write_access(winode);
	return err;
}

static const char *lfs_get_link(struct dentry *dentry, struct inode *inode,
				struct delayed_call *done)
{
	const struct cred *old_cred;
	const char *p;

	if (!dentry)
		return ERR_PTR(-ECHILD);

	old_cred = lfs_override_creds(dentry->d_sb);
	p = vfs_get_link(lfs_dentry_real(dentry), done);
	revert_creds(old_cred);
	return p;
}

int lfs_xattr_get(struct dentry *dentry, struct inode *inode,
		  const char *name, void *buffer, size_t size)
{
	const struct cred *old_cred;
	struct path realpath;
	int res;

	lfs_real_path(inode, &realpath);
	old_cred = lfs_override_creds(dentry->d_sb);
	res = lfs_do_getxattr(&realpath, name, buffer, size);
	revert_creds(old_cred);
	return res;
}

/*
 * Whether a lower object has the xattr @name (@acl: the ACL), before a
 * removal copies it up: removing what is not there is ENODATA and leaves
 * the object in its layer, as overlayfs does. 0 if it has it.
 */
static int lfs_lower_has_xattr(struct dentry *dentry, const char *name,
			       bool acl)
{
	struct posix_acl *real_acl;
	const struct cred *old_cred;
	struct path realpath;
	int err;

	lfs_real_path(d_inode(dentry), &realpath);
	old_cred = lfs_override_creds(dentry->d_sb);
	if (acl) {
		real_acl = vfs_get_acl(mnt_idmap(realpath.mnt),
				       realpath.dentry, name);
		err = PTR_ERR_OR_ZERO(real_acl);
		if (!err)
			posix_acl_release(real_acl);
	} else {
		err = lfs_do_getxattr(&realpath, name, NULL, 0);
	}
	revert_creds(old_cred);
	return err < 0 ? err : 0;
}

/* Set (@value) or remove (!@value) an xattr on the copied-up object. */
static int lfs_xattr_set(struct dentry *dentry, struct inode *inode,
			 const char *name, const void *value, size_t size,
			 int flags)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	const struct cred *old_cred;
	struct dentry *upper;
	int err;

	if (!value && !lfs_i_upper(inode)) {
		err = lfs_lower_has_xattr(dentry, name, false);
		if (err)
			return err;
	}
	err = lfs_copy_up(dentry);
	if (err)
		return err;
	err = lfs_want_write(dentry->d_sb);
	if (err)
		return err;
	upper = lfs_i_upper(inode);
	old_cred = lfs_override_creds(dentry->d_sb);
	if (value)
		err = lfs_do_setxattr(ofs, upper, name, value, size, flags);
	else
		err = lfs_do_removexattr(ofs, upper, name);
	revert_creds(old_cred);
	lfs_drop_write(dentry->d_sb);
	lfs_copyattr(inode);
	return err;
}

/*
 * trusted.overlay.X set through the union belongs to whoever stacks a
 * union on this one: it is stored escaped, as trusted.overlay.overlay.X,
 * in the real object and shown unescaped, as overlayfs does
 * (Documentation/filesystems/overlayfs.rst, "Nesting overlayfs mounts").
 * The union's own trusted.overlay.* never shows. With userxattr, the
 * same holds for user.overlay.* (the handler's prefix) instead.
 */
static char *lfs_xattr_escape_name(const char *prefix, const char *name)
{
	char *escaped;

	if (strlen(prefix) + LFS_XATTR_ESCAPE_LEN + strlen(name) >
	    XATTR_NAME_MAX)
		return ERR_PTR(-ERANGE);
	escaped = kasprintf(GFP_KERNEL, "%s%s%s", prefix, LFS_XATTR_ESCAPE,
			    name);
	return escaped ?: ERR_PTR(-ENOMEM);
}

static int lfs_own_xattr_get(const struct xattr_handler *handler,
			     struct dentry *dentry, struct inode *inode,
			     const char *name, void *buffer, size_t size)
{
	char *escaped = lfs_xattr_escape_name(handler->prefix, name);
	int res;

	if (IS_ERR(escaped))
		return PTR_ERR(escaped);
	res = lfs_xattr_get(dentry, inode, escaped, buffer, size);
	kfree(escaped);
	return res;
}

static int lfs_own_xattr_set(const struct xattr_handler *handler,
			     struct mnt_idmap *idmap,
			     struct dentry *dentry, struct inode *inode,
			     const char *name, const void *value,
			     size_t size, int flags)
{
	char *escaped = lfs_xattr_escape_name(handler->prefix, name);
	int err;

	if (IS_ERR(escaped))
		return PTR_ERR(escaped);
	err = lfs_xattr_set(dentry, inode, escaped, value, size, flags);
	kfree(escaped);
	return err;
}

static int lfs_other_xattr_get(const struct xattr_handler *handler,
			       struct dentry *dentry, struct inode *inode,
			       const char *name, void *buffer, size_t size)
{
	return lfs_xattr_get(dentry, inode, name, buffer, size);
}

static int lfs_other_xattr_set(const struct xattr_handler *handler,
			       struct mnt_idmap *idmap,
			       struct dentry *dentry, struct inode *inode,
			       const char *name, const void *value,
			       size_t size, int flags)
{
	return lfs_xattr_set(dentry, inode, name, value, size, flags);
}

static const struct xattr_handler lfs_own_trusted_xattr_handler = {
	.prefix	= LFS_XATTR_TRUSTED_PREFIX,
	.get	= lfs_own_xattr_get,
	.set	= lfs_own_xattr_set,
};

static const struct xattr_handler lfs_own_user_xattr_handler = {
	.prefix	= LFS_XATTR_USER_PREFIX,
	.get	= lfs_own_xattr_get,
	.set	= lfs_own_xattr_set,
};

static const struct xattr_handler lfs_other_xattr_handler = {
	.prefix	= "", /* catch all */
	.get	= lfs_other_xattr_get,
	.set	= lfs_other_xattr_set,
};

static const struct xattr_handler * const lfs_trusted_xattr_handlers[] = {
	&lfs_own_trusted_xattr_handler,
	&lfs_other_xattr_handler,
	NULL
};

static const struct xattr_handler * const lfs_user_xattr_handlers[] = {
	&lfs_own_user_xattr_handler,
	&lfs_other_xattr_handler,
	NULL
};

const struct xattr_handler * const *lfs_xattr_handlers(bool userxattr)
{
	return userxattr ? lfs_user_xattr_handlers : lfs_trusted_xattr_handlers;
}

static bool lfs_can_list(struct lfs_fs *ofs, const char *s)
{
	if (lfs_is_private_xattr(ofs, s))
		return false;
	/* The real list was read with the mounter's creds: filter trusted. */
	return strncmp(s, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN) ||
	       ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

ssize_t lfs_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	size_t plen = lfs_xattr_prefix_len(ofs);
	struct dentry *realdentry = lfs_dentry_real(dentry);
	const struct cred *old_cred;
	size_t slen, len;
	ssize_t res;
	char *s;

	old_cred = lfs_override_creds(dentry->d_sb);
	res = vfs_listxattr(realdentry, list, size);
	revert_creds(old_cred);
	if (res <= 0 || size == 0)
		return res;

	/* Filter out private xattrs, unescape escaped ones, in place. */
	for (s = list, len = res; len;) {
		slen = strnlen(s, len) + 1;
		if (WARN_ON_ONCE(slen > len))
			return -EIO;
		len -= slen;
		if (!lfs_can_list(ofs, s)) {
			res -= slen;
			memmove(s, s + slen, len);
		} else if (lfs_is_escaped_xattr(ofs, s)) {
			/* Drop "overlay." after the prefix: shift the rest. */
			res -= LFS_XATTR_ESCAPE_LEN;
			slen -= LFS_XATTR_ESCAPE_LEN;
			memmove(s + plen, s + plen + LFS_XATTR_ESCAPE_LEN,
				slen - plen + len);
			s += slen;
		} else {
			s += slen;
		}
	}
	return res;
}

struct posix_acl *lfs_get_acl(struct mnt_idmap *idmap, struct dentry *dentry,
			      int type)
{
	const struct cred *old_cred;
	struct posix_acl *acl;
	struct path realpath;

	lfs_real_path(d_inode(dentry), &realpath);
	old_cred = lfs_override_creds(dentry->d_sb);
	acl = vfs_get_acl(mnt_idmap(realpath.mnt), realpath.dentry,
			  posix_acl_xattr_name(type));
	revert_creds(old_cred);
	/* No ACL on the real inode is "no ACL" here, not an error. */
	if (acl == ERR_PTR(-ENODATA) || acl == ERR_PTR(-EOPNOTSUPP))
		return NULL;
	return acl;
}

static int lfs_set_or_remove_acl(struct dentry *dentry, struct inode *inode,
				 struct posix_acl *acl, int type)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	const char *name = posix_acl_xattr_name(type);
	const struct cred *old_cred;
	struct dentry *upper;
	int err;

	if (!acl && !lfs_i_upper(inode)) {
		err = lfs_lower_has_xattr(dentry, name, true);
		if (err)
			return err;
	}
	err = lfs_copy_up(dentry);
	if (err)
		return err;
	err = lfs_want_write(dentry->d_sb);
	if (err)
		return err;
	upper = lfs_i_upper(inode);
	old_cred = lfs_override_creds(dentry->d_sb);
	if (acl)
		err = lfs_do_set_acl(ofs, upper, name, acl);
	else
		err = lfs_do_remove_acl(ofs, upper, name);
	revert_creds(old_cred);
	lfs_drop_write(dentry->d_sb);
	/* An ACL can change the mode bits. */
	lfs_copyattr(inode);
	return err;
}

/* Called by the VFS with @dentry's inode locked, after its owner check. */
int lfs_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type)
{
	struct inode *inode = d_inode(dentry);
	struct dentry *workdir = LFS_FS(dentry->d_sb)->workdir;
	struct inode *realinode;
	int err;

	/*
	 * As overlayfs: the ACL goes on the upper fs, which must take ACLs
	 * (checked before any copy-up), and the real object must have a
	 * set_acl at all; a lower fs without ACL support does not matter.
	 */
	if (!workdir || !IS_POSIXACL(d_inode(workdir)))
		return -EOPNOTSUPP;
	realinode = lfs_inode_real(inode);
	if (!realinode || !realinode->i_op->set_acl)
		return -EOPNOTSUPP;
	if (type == ACL_TYPE_DEFAULT && !S_ISDIR(inode->i_mode))
		return acl ? -EACCES : 0;
	if (!inode_owner_or_capable(&nop_mnt_idmap, inode))
		return -EPERM;

	/*
	 * The real set_acl runs with the mounter's CAP_FSETID and so keeps
	 * setgid where the caller may not (posix_acl_update_mode()): kill it
	 * first, as overlayfs does (CVE-2016-7097).
	 */
	if (unlikely(inode->i_mode & S_ISGID) && type == ACL_TYPE_ACCESS &&
	    !in_group_p(inode->i_gid) &&
	    !capable_wrt_inode_uidgid(&nop_mnt_idmap, inode, CAP_FSETID)) {
		struct iattr iattr = { .ia_valid = ATTR_KILL_SGID };

		err = lfs_setattr(&nop_mnt_idmap, dentry, &iattr);
		if (err)
			return err;
	}
	return lfs_set_or_remove_acl(dentry, inode, acl, type);
}

/*
 * For generic_permission() and posix_acl_create(): the real inode's ACL,
 * read each time (the layerfs inode caches none, see lfs_fill_inode()).
 * In RCU mode only what the real inode has cached, as overlayfs does.
 */
struct posix_acl *lfs_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	const struct cred *old_cred;
	struct inode *realinode;
	struct posix_acl *acl;
	struct path realpath;

	lfs_real_path(inode, &realpath);
	if (!realpath.dentry)
		return rcu ? ERR_PTR(-ECHILD) : NULL;
	realinode = d_inode(realpath.dentry);
	if (!IS_POSIXACL(realinode))
		return NULL;
	if (rcu) {
		/* The ACL of an idmapped layer would need a mapped clone. */
		if (is_idmapped_mnt(realpath.mnt))
			return ERR_PTR(-ECHILD);
		return get_cached_acl_rcu(realinode, type);
	}
	old_cred = lfs_override_creds(inode->i_sb);
	acl = get_inode_acl(realinode, type);
	revert_creds(old_cred);
	return acl;
}

static const struct inode_operations lfs_file_inode_operations = {
	.permission	= lfs_permission,
	.getattr	= lfs_getattr,
	.setattr	= lfs_setattr,
	.listxattr	= lfs_listxattr,
	.get_inode_acl	= lfs_get_inode_acl,
	LFS_DENTRY_ACL_IOPS
	.fileattr_get	= lfs_fileattr_get,
	.fileattr_set	= lfs_fileattr_set,
};

static const struct inode_operations lfs_symlink_inode_operations = {
	.get_link	= lfs_get_link,
	.getattr	= lfs_getattr,
	.setattr	= lfs_setattr,
	.listxattr	= lfs_listxattr,
};

static const struct inode_operations lfs_special_inode_operations = {
	.permission	= lfs_permission,
	.getattr	= lfs_getattr,
	.setattr	= lfs_setattr,
	.listxattr	= lfs_listxattr,
	.get_inode_acl	= lfs_get_inode_acl,
	LFS_DENTRY_ACL_IOPS
};
