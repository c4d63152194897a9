// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs helpers shared by all VFS operations.
 */

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/xattr.h>
#include <linux/hash.h>
#include <linux/mount.h>
#include <linux/namei.h>
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

/* [mark][userxattr]: overlayfs's names (ovl_xattr_table) */
const char *const lfs_xattr_table[][2] = {
	[LFS_XATTR_OPAQUE] = { "trusted.overlay.opaque", "user.overlay.opaque" },
	[LFS_XATTR_WHITEOUT] = { "trusted.overlay.whiteout", "user.overlay.whiteout" },
	[LFS_XATTR_ORIGIN] = { "trusted.overlay.origin", "user.overlay.origin" },
	[LFS_XATTR_REDIRECT] = { "trusted.overlay.redirect", "user.overlay.redirect" },
	[LFS_XATTR_IMPURE] = { "trusted.overlay.impure", "user.overlay.impure" },
	[LFS_XATTR_PROTATTR] = { "trusted.overlay.protattr", "user.overlay.protattr" },
	[LFS_XATTR_METACOPY] = { "trusted.overlay.metacopy", "user.overlay.metacopy" },
};

bool lfs_is_escaped_xattr(struct lfs_fs *ofs, const char *name)
{
	size_t len = lfs_xattr_prefix_len(ofs);

	return !strncmp(name, lfs_xattr_prefix(ofs), len) &&
	       !strncmp(name + len, LFS_XATTR_ESCAPE, LFS_XATTR_ESCAPE_LEN);
}

/* The union's own xattrs; escaped ones belong to a nested union. */
bool lfs_is_private_xattr(struct lfs_fs *ofs, const char *name)
{
	return !strncmp(name, lfs_xattr_prefix(ofs),
			lfs_xattr_prefix_len(ofs)) &&
	       !lfs_is_escaped_xattr(ofs, name);
}

static bool lfs_is_chr_whiteout(struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);

	return inode && IS_WHITEOUT(inode);
}

/*
 * A whiteout is a 0/0 character device, or (overlayfs 6.7+) a zero-size
 * regular file carrying trusted.overlay.whiteout (user.overlay.whiteout
 * with userxattr).
 */
bool lfs_path_is_whiteout(struct lfs_fs *ofs, const struct path *path)
{
	struct dentry *dentry = path->dentry;

	if (lfs_is_chr_whiteout(dentry))
		return true;
	if (!d_is_reg(dentry) || i_size_read(d_inode(dentry)) != 0)
		return false;
	return lfs_do_getxattr(path, lfs_xattr(ofs, LFS_XATTR_WHITEOUT), NULL, 0) >= 0;
}

/* Value of trusted.overlay.opaque on a directory: 'y', 'x' or 0. */
char lfs_get_opaque_val(struct lfs_fs *ofs, const struct path *path)
{
	char val;
	int res;

	if (!d_is_dir(path->dentry))
		return 0;
	res = lfs_do_getxattr(path, lfs_xattr(ofs, LFS_XATTR_OPAQUE), &val, 1);
	if (res == 1 && (val == 'y' || val == 'x'))
		return val;
	return 0;
}

/*
 * trusted.overlay.redirect of a directory, as overlayfs reads it
 * (ovl_get_redirect_xattr()): an absolute path from the layer roots
 * ("/a/b", no empty component) or one name in the same parent, in a
 * buffer with @padding bytes more. NULL when there is none.
 */
char *lfs_get_redirect(struct lfs_fs *ofs, const struct path *path,
		       size_t padding)
{
	char *s, *next, *buf = NULL;
	int res;

	res = lfs_do_getxattr(path, lfs_xattr(ofs, LFS_XATTR_REDIRECT), NULL, 0);
	if (res == -ENODATA || res == -EOPNOTSUPP)
		return NULL;
	if (res < 0)
		goto fail;
	if (res == 0 || res > PATH_MAX)
		goto invalid;
	buf = kzalloc(res + padding + 1, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	res = lfs_do_getxattr(path, lfs_xattr(ofs, LFS_XATTR_REDIRECT), buf, res);
	if (res < 0)
		goto fail;
	if (res == 0 || memchr(buf, '\0', res))
		goto invalid;
	if (buf[0] == '/') {
		for (s = buf; *s++ == '/'; s = next) {
			next = strchrnul(s, '/');
			if (s == next)
				goto invalid;
		}
	} else if (strchr(buf, '/')) {
		goto invalid;
	}
	return buf;

invalid:
	pr_warn_ratelimited("invalid redirect (%s) on %pd2\n", buf ?: "", path->dentry);
	res = -EINVAL;
	goto out_free;
fail:
	pr_warn_ratelimited("failed to get redirect of %pd2 (%i)\n", path->dentry, res);
out_free:
	kfree(buf);
	return ERR_PTR(res);
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

/*
 * Where a regular file's data is: the upper file, unless it is a
 * metacopy, else the last entry of the lower stack (the topmost lower
 * file holding data: lookup keeps the topmost lower one, which may be a
 * metacopy itself, and the data one below it, as overlayfs).
 */
void lfs_real_data_path(struct inode *inode, struct path *path)
{
	struct lfs_entry *oe = LFS_E(inode);
	/*
	 * Read once: a metacopy copy-up sets LFS_I_METACOPY before it
	 * publishes the upper, so the bit is tested after the upper is seen.
	 */
	struct dentry *upper = lfs_i_upper(inode);

	if (upper && !test_bit_acquire(LFS_I_METACOPY, &LFS_I(inode)->flags)) {
		path->mnt = lfs_upper_mnt(LFS_FS(inode->i_sb));
		path->dentry = upper;
	} else if (lfs_numlower(oe)) {
		path->mnt = oe->lowerstack[oe->numlower - 1].layer->mnt;
		path->dentry = oe->lowerstack[oe->numlower - 1].dentry;
	} else {
		path->mnt = NULL;
		path->dentry = NULL;
	}
}

/*
 * Whether @path is a metacopy file: < 0 on error, 0 if not, else the
 * size of its metacopy xattr (at least LFS_METACOPY_MIN_SIZE for an
 * empty one). As ovl_check_metacopy_xattr() called by lookup, only the
 * size is checked: the content (a verity digest) matters to verity=,
 * which reads it then. Mounter's creds.
 */
int lfs_check_metacopy(struct lfs_fs *ofs, const struct path *path)
{
	int res;

	/* Only regular files carry it. */
	if (!d_is_reg(path->dentry))
		return 0;
	res = lfs_do_getxattr(path, lfs_xattr(ofs, LFS_XATTR_METACOPY), NULL, 0);
	if (res < 0) {
		if (res == -ENODATA || res == -EOPNOTSUPP)
			return 0;
		/* user.* unreadable without read permission: not one. */
		if (ofs->config.userxattr && res == -EACCES)
			return 0;
		pr_warn_ratelimited("failed to get metacopy (%i)\n", res);
		return res;
	}
	if (!res)
		return LFS_METACOPY_MIN_SIZE;
	if (res < LFS_METACOPY_MIN_SIZE) {
		pr_warn_ratelimited("metacopy file '%pd' has too small xattr\n",
				    path->dentry);
		return -EIO;
	}
	return res;
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

#define LFS_D_REVALIDATE (DCACHE_OP_REVALIDATE | DCACHE_OP_WEAK_REVALIDATE)

/*
 * Whether dentries of the filesystem at @path may need revalidation
 * (9p with a cache, NFS, FUSE): its root's, or the ones every new dentry
 * of it gets from s_d_op.
 */
bool lfs_path_revalidates(const struct path *path)
{
	const struct dentry_operations *dop = path->mnt->mnt_sb->s_d_op;

	return (path->dentry->d_flags & LFS_D_REVALIDATE) ||
	       (dop && (dop->d_revalidate || dop->d_weak_revalidate));
}

/*
 * A layerfs dentry is revalidated only when one of its real dentries
 * is (as ovl_dentry_init_flags()): d_set_d_op() gave it both flags, and
 * without them a path walk through it calls no d_revalidate at all,
 * instead of one call per real dentry that always says "valid". Only
 * the flags in @mask are changed. A negative dentry has no real dentry
 * and gets none. When the upper fs revalidates, a copy-up or a create
 * can give any dentry a real dentry that needs it: they all keep both.
 */
void lfs_dentry_init_flags(struct dentry *dentry, struct dentry *upper,
			   struct lfs_entry *oe, unsigned int mask)
{
	struct lfs_path *lowerstack = lfs_lowerstack(oe);
	unsigned int i, flags = 0;

	if (LFS_FS(dentry->d_sb)->upper_reval)
		return;
	if (upper)
		flags |= upper->d_flags;
	for (i = 0; i < lfs_numlower(oe); i++)
		flags |= lowerstack[i].dentry->d_flags;

	spin_lock(&dentry->d_lock);
	dentry->d_flags &= ~mask;
	dentry->d_flags |= flags & mask;
	spin_unlock(&dentry->d_lock);
}

void lfs_dentry_init_reval(struct dentry *dentry, struct inode *inode)
{
	lfs_dentry_init_flags(dentry, lfs_i_upper(inode), LFS_E(inode),
			      LFS_D_REVALIDATE);
}

/*
 * upperdir and workdir are locked against a second union mount, with
 * the same inode flag overlayfs uses, so layerfs and overlayfs also
 * exclude each other.
 */
bool lfs_inuse_trylock(struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	bool locked = false;

	spin_lock(&inode->i_lock);
	if (!(inode->i_state & I_OVL_INUSE)) {
		inode->i_state |= I_OVL_INUSE;
		locked = true;
	}
	spin_unlock(&inode->i_lock);
	return locked;
}

void lfs_inuse_unlock(struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);

	spin_lock(&inode->i_lock);
	WARN_ON(!(inode->i_state & I_OVL_INUSE));
	inode->i_state &= ~I_OVL_INUSE;
	spin_unlock(&inode->i_lock);
}

int lfs_want_write(struct super_block *sb)
{
	return mnt_want_write(lfs_upper_mnt(LFS_FS(sb)));
}

void lfs_drop_write(struct super_block *sb)
{
	mnt_drop_write(lfs_upper_mnt(LFS_FS(sb)));
}

/* Freeze protection of the upper filesystem alone (copy-up steps). */
void lfs_start_write(struct lfs_fs *ofs)
{
	sb_start_write(lfs_upper_mnt(ofs)->mnt_sb);
}

void lfs_end_write(struct lfs_fs *ofs)
{
	sb_end_write(lfs_upper_mnt(ofs)->mnt_sb);
}

/* A new negative dentry for a temp object; workdir must be locked. */
struct dentry *lfs_lookup_temp(struct lfs_fs *ofs)
{
	char name[20];
	struct dentry *temp;
	int len;

	len = snprintf(name, sizeof(name), "#%x",
		       atomic_inc_return(&ofs->tmp_seq));
	temp = lookup_one_len(name, ofs->workdir, len);
	if (!IS_ERR(temp) && d_is_positive(temp)) {
		pr_err("workdir/%s already exists\n", name);
		dput(temp);
		temp = ERR_PTR(-EIO);
	}
	return temp;
}

/* Create a real object of @attr's type at negative @dentry in @dir. */
int lfs_create_real(struct lfs_fs *ofs, struct inode *dir,
		    struct dentry *dentry, const struct lfs_cattr *attr)
{
	int err;

	if (d_is_positive(dentry))
		return -EEXIST;

	switch (attr->mode & S_IFMT) {
	case S_IFREG:
		err = lfs_do_create(ofs, dir, dentry, attr->mode);
		break;
	case S_IFDIR:
		err = lfs_do_mkdir(ofs, dir, dentry, attr->mode);
		/* Some filesystems leave the new directory unhashed. */
		if (!err && d_unhashed(dentry))
			err = -EIO;
		break;
	case S_IFLNK:
		err = lfs_do_symlink(ofs, dir, dentry, attr->link);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		err = lfs_do_mknod(ofs, dir, dentry, attr->mode, attr->rdev);
		break;
	default:
		err = -EPERM;
		break;
	}
	if (!err && WARN_ON(!d_is_positive(dentry)))
		err = -EIO;
	return err;
}

/* Create a temp object in workdir; workdir must be locked. */
struct dentry *lfs_create_temp(struct lfs_fs *ofs,
			       const struct lfs_cattr *attr)
{
	struct dentry *temp = lfs_lookup_temp(ofs);
	int err;

	if (IS_ERR(temp))
		return temp;
	err = lfs_create_real(ofs, d_inode(ofs->workdir), temp, attr);
	if (err) {
		dput(temp);
		return ERR_PTR(err);
	}
	return temp;
}

/* Remove a real object; @dir must be locked. */
int lfs_cleanup(struct lfs_fs *ofs, struct inode *dir, struct dentry *dentry)
{
	int err;

	dget(dentry);
	if (d_is_dir(dentry))
		err = lfs_do_rmdir(ofs, dir, dentry);
	else
		err = lfs_do_unlink(ofs, dir, dentry);
	dput(dentry);
	if (err)
		pr_err("cleanup of '%pd2' failed (%i)\n", dentry, err);
	return err;
}

bool lfs_is_upper_whiteout(struct dentry *dentry)
{
	return d_is_positive(dentry) && IS_WHITEOUT(d_inode(dentry));
}

/*
 * Whether @name exists below the upper layer of @dir (the union parent),
 * ignoring what the upper layer says: a name that must stay hidden when
 * the upper object moves away or is removed needs a whiteout. A lookup
 * error counts as "exists".
 */
bool lfs_lower_positive(struct dentry *dir, const struct qstr *name)
{
	struct lfs_entry *poe = LFS_E(d_inode(dir));
	const struct cred *old_cred;
	bool positive = false;
	unsigned int i;

	old_cred = lfs_override_creds(dir->d_sb);
	for (i = 0; i < lfs_numlower(poe); i++) {
		const struct lfs_path *p = &poe->lowerstack[i];
		struct dentry *this;
		struct path path;

		this = lfs_do_lookup(p->layer, name->name, p->dentry, name->len);
		if (IS_ERR(this)) {
			/*
			 * Something may be there that could not be looked up
			 * (-ENOMEM, -EIO): assume so, as overlayfs does. A
			 * whiteout too many hides nothing; one too few would
			 * bring a removed or renamed lower file back.
			 */
			if (PTR_ERR(this) != -ENOENT &&
			    PTR_ERR(this) != -ENAMETOOLONG)
				positive = true;
			break;
		}
		if (d_is_positive(this)) {
			path.mnt = p->layer->mnt;
			path.dentry = this;
			positive = !lfs_path_is_whiteout(LFS_FS(dir->d_sb), &path);
			dput(this);
			break;
		}
		dput(this);
	}
	revert_creds(old_cred);
	return positive;
}

/* Bump the version of a directory whose entries changed. */
void lfs_dir_modified(struct inode *dir)
{
	WRITE_ONCE(LFS_I(dir)->version, LFS_I(dir)->version + 1);
	lfs_copyattr(dir);
}

/*
 * The name of @path as the caller sees it (d_path()), allocated: for
 * show_options of a layer given by fd and for the registry's dumps. NULL
 * without memory or for a path the caller cannot reach.
 */
char *lfs_path_name(const struct path *path)
{
	char *buf, *p, *name = NULL;

	buf = kmalloc(PATH_MAX, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return NULL;
	p = d_path(path, buf, PATH_MAX);
	if (!IS_ERR(p))
		name = kstrdup(p, GFP_KERNEL_ACCOUNT);
	kfree(buf);
	return name;
}
