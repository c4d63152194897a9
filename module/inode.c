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
#include "layerfs.h"

void lfs_inode_init_once(void *foo)
{
	struct lfs_inode *oi = foo;

	inode_init_once(&oi->vfs_inode);
	mutex_init(&oi->lock);
	spin_lock_init(&oi->cache_lock);
}

/* Inode flags that follow the real inode, as in overlayfs. */
#define LFS_COPY_I_FLAGS (S_SYNC | S_NOATIME | S_APPEND | S_IMMUTABLE)

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
	inode->i_flags = (inode->i_flags & ~LFS_COPY_I_FLAGS) |
			 (realinode->i_flags & LFS_COPY_I_FLAGS);
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
 * Get the layerfs inode for a looked-up object; consumes the references
 * in @upper and @oe in all cases.
 *
 * Non-directories are hashed by their origin (the lower real inode, or
 * the upper one for upper-only objects), so hard links share an inode
 * and an inode survives copy-up. Directories cannot be hard linked and
 * get a fresh inode per dentry.
 */
struct inode *lfs_get_inode(struct super_block *sb, struct dentry *upper,
			    struct lfs_entry *oe, unsigned long flags)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	unsigned int numlower = lfs_numlower(oe);
	struct inode *key, *realinode;
	const struct lfs_layer *origin_layer;
	struct lfs_inode *oi;
	struct inode *inode;

	realinode = d_inode(upper ?: oe->lowerstack[0].dentry);
	key = numlower ? d_inode(oe->lowerstack[0].dentry) : realinode;
	origin_layer = numlower ? oe->lowerstack[0].layer : &ofs->layers[0];

	if (S_ISDIR(realinode->i_mode)) {
		inode = new_inode(sb);
	} else {
		inode = iget5_locked(sb, (unsigned long)key, lfs_inode_test,
				     lfs_inode_set, key);
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
	inode->i_ino = lfs_map_ino(ofs, origin_layer, key->i_ino);
	lfs_fill_inode(inode, realinode);
	if (inode->i_state & I_NEW)
		unlock_new_inode(inode);
	return inode;
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

/* trusted.overlay.* belongs to the union format and is never exposed. */
static int lfs_own_xattr_get(const struct xattr_handler *handler,
			     struct dentry *dentry, struct inode *inode,
			     const char *name, void *buffer, size_t size)
{
	return -EOPNOTSUPP;
}

static int lfs_own_xattr_set(const struct xattr_handler *handler,
			     struct mnt_idmap *idmap,
			     struct dentry *dentry, struct inode *inode,
			     const char *name, const void *value,
			     size_t size, int flags)
{
	return -EOPNOTSUPP;
}

static int lfs_other_xattr_get(const struct xattr_handler *handler,
			       struct dentry *dentry, struct inode *inode,
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

static int lfs_other_xattr_set(const struct xattr_handler *handler,
			       struct mnt_idmap *idmap,
			       struct dentry *dentry, struct inode *inode,
			       const char *name, const void *value,
			       size_t size, int flags)
{
	/* Only reachable on a writable mount; the upper comes later. */
	return -EROFS;
}

static const struct xattr_handler lfs_own_trusted_xattr_handler = {
	.prefix	= LFS_XATTR_PREFIX,
	.get	= lfs_own_xattr_get,
	.set	= lfs_own_xattr_set,
};

static const struct xattr_handler lfs_other_xattr_handler = {
	.prefix	= "", /* catch all */
	.get	= lfs_other_xattr_get,
	.set	= lfs_other_xattr_set,
};

const struct xattr_handler * const lfs_xattr_handlers[] = {
	&lfs_own_trusted_xattr_handler,
	&lfs_other_xattr_handler,
	NULL
};

static bool lfs_can_list(const char *s)
{
	if (lfs_is_private_xattr(s))
		return false;
	/* The real list was read with the mounter's creds: filter trusted. */
	return strncmp(s, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN) ||
	       capable(CAP_SYS_ADMIN);
}

ssize_t lfs_listxattr(struct dentry *dentry, char *list, size_t size)
{
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

	/* Filter out private xattrs in place. */
	for (s = list, len = res; len;) {
		slen = strnlen(s, len) + 1;
		if (WARN_ON_ONCE(slen > len))
			return -EIO;
		len -= slen;
		if (!lfs_can_list(s)) {
			res -= slen;
			memmove(s, s + slen, len);
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

/* For generic_permission(): the real inode's ACL, also in RCU mode. */
struct posix_acl *lfs_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	struct inode *realinode = lfs_inode_real(inode);

	if (!realinode || !IS_POSIXACL(realinode))
		return NULL;
	if (rcu)
		return get_cached_acl_rcu(realinode, type);
	return get_inode_acl(realinode, type);
}

static const struct inode_operations lfs_file_inode_operations = {
	.permission	= lfs_permission,
	.getattr	= lfs_getattr,
	.listxattr	= lfs_listxattr,
	.get_inode_acl	= lfs_get_inode_acl,
	.get_acl	= lfs_get_acl,
};

static const struct inode_operations lfs_symlink_inode_operations = {
	.get_link	= lfs_get_link,
	.getattr	= lfs_getattr,
	.listxattr	= lfs_listxattr,
};

static const struct inode_operations lfs_special_inode_operations = {
	.permission	= lfs_permission,
	.getattr	= lfs_getattr,
	.listxattr	= lfs_listxattr,
	.get_inode_acl	= lfs_get_inode_acl,
	.get_acl	= lfs_get_acl,
};
