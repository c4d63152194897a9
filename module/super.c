// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs: a stacking union filesystem with overlayfs's on-disk
 * conventions. Superblock setup, layer setup and module init.
 */

#include <linux/bsearch.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/statfs.h>
#include <linux/seq_file.h>
#include "layerfs.h"
#include "params.h"

static struct kmem_cache *lfs_inode_cachep;

static struct inode *lfs_alloc_inode(struct super_block *sb)
{
	struct lfs_inode *oi = alloc_inode_sb(sb, lfs_inode_cachep,
					      GFP_KERNEL);

	if (!oi)
		return NULL;
	oi->__upperdentry = NULL;
	oi->oe = NULL;
	oi->key = NULL;
	oi->flags = 0;
	oi->version = 0;
	oi->cache = NULL;
	oi->nameidx = NULL;
	return &oi->vfs_inode;
}

/* RCU-delayed: RCU path walk may still read oi->oe (d_revalidate). */
static void lfs_free_inode(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);

	kvfree(oi->oe);
	kmem_cache_free(lfs_inode_cachep, oi);
}

static void lfs_destroy_inode(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);

	dput(oi->__upperdentry);
	lfs_nameidx_evict(inode);
	lfs_put_entry(oi->oe);
	if (S_ISDIR(inode->i_mode))
		lfs_dir_cache_free(inode);
}

void lfs_free_fs(struct lfs_fs *ofs)
{
	struct vfsmount **mounts;
	unsigned int i, n;

	lfs_stats_free(ofs);
	dput(ofs->workdir);
	if (ofs->workdir_locked)
		lfs_inuse_unlock(ofs->workbasedir);
	dput(ofs->workbasedir);
	if (ofs->upperdir_locked)
		lfs_inuse_unlock(ofs->layers[0].mnt->mnt_root);

	/*
	 * One kern_unmount_array(), one RCU grace period for all mounts, in
	 * the lowerdirs array (room for numlayer + 1 pointers), as overlayfs
	 * does: RCU walkers may read ofs->layers until the grace period ends,
	 * so it is not overwritten. No lowerdirs, nothing was cloned.
	 */
	mounts = (struct vfsmount **)ofs->config.lowerdirs;
	for (i = 0, n = 0; mounts && i < ofs->numlayer; i++) {
		struct vfsmount *mnt = ofs->layers[i].mnt;

		kfree(ofs->config.lowerdirs[i]);
		lfs_nameidx_owner_put(ofs->layers[i].nidx);
		/*
		 * A registry clone is not ours to make short-term: a plain
		 * put, while the chain (put below) still holds it.
		 */
		if (ofs->layers[i].reg_mnt)
			mntput(mnt);
		else
			mounts[n++] = mnt;
	}
	if (mounts) {
		mounts[n] = ofs->upper_ro;
		kern_unmount_array(mounts, n + 1);
	}
	kvfree(ofs->layers);
	kvfree(ofs->traps);
	kfree(ofs->fs_sb);
	kvfree(ofs->config.lowerdirs);
	kfree(ofs->config.lowerdir_all);
	kfree(ofs->config.layer);
	lfs_reg_put_chain(ofs->chain);
	kfree(ofs->config.upperdir);
	kfree(ofs->config.workdir);
	if (ofs->creator_cred)
		put_cred(ofs->creator_cred);
	kfree(ofs);
}

static int lfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct lfs_fs *ofs = LFS_FS(sb);
	const struct cred *old_cred;
	struct path path;
	int err;

	lfs_real_path(d_inode(sb->s_root), &path);
	old_cred = lfs_override_creds(sb);
	err = vfs_statfs(&path, buf);
	revert_creds(old_cred);
	if (!err) {
		buf->f_type = LAYERFS_SUPER_MAGIC;
		buf->f_namelen = ofs->namelen;
	}
	return err;
}

/* A name longer than every layer takes is ENAMETOOLONG, not ENOENT. */
static int lfs_check_namelen(struct fs_context *fc, struct lfs_fs *ofs,
			     const struct path *path, const char *name)
{
	struct kstatfs statfs;
	int err;

	err = vfs_statfs(path, &statfs);
	if (err) {
		errorfc(fc, "statfs failed on %s", name);
		return err;
	}
	ofs->namelen = max(ofs->namelen, statfs.f_namelen);
	return 0;
}

/*
 * As overlayfs's ovl_sync_status(): 1 if a sync must really sync, 0 if a
 * volatile mount may skip it as no writeback error was seen on the upper
 * fs since the mount, or that error.
 */
int lfs_sync_status(struct lfs_fs *ofs)
{
	struct vfsmount *mnt = lfs_upper_mnt(ofs);

	if (lfs_should_sync(ofs))
		return 1;
	if (!mnt)
		return 0;
	return errseq_check(&mnt->mnt_sb->s_wb_err, ofs->errseq);
}

static int lfs_sync_fs(struct super_block *sb, int wait)
{
	struct vfsmount *upper_mnt = lfs_upper_mnt(LFS_FS(sb));
	struct super_block *upper_sb;
	int ret;

	if (!upper_mnt)
		return 0;
	/* volatile: no sync, but syncfs(2) reports upper writeback errors. */
	ret = lfs_sync_status(LFS_FS(sb));
	if (ret <= 0)
		return ret < 0 ? -EIO : 0;
	/*
	 * syncfs(2) on layerfs syncs the upper fs. Only the wait pass does
	 * the work, as overlayfs: sync_filesystem() does both passes.
	 */
	if (!wait)
		return 0;
	upper_sb = upper_mnt->mnt_sb;
	down_read(&upper_sb->s_umount);
	ret = sync_filesystem(upper_sb);
	up_read(&upper_sb->s_umount);
	return ret;
}

static const struct super_operations lfs_super_operations = {
	.sync_fs	= lfs_sync_fs,
	.alloc_inode	= lfs_alloc_inode,
	.free_inode	= lfs_free_inode,
	.destroy_inode	= lfs_destroy_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= lfs_statfs,
	.show_options	= lfs_show_options,
};

/* Index of the real superblock in ofs->fs_sb, adding it when new. */
static unsigned int lfs_get_fsid(struct lfs_fs *ofs, struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ofs->numfs; i++)
		if (ofs->fs_sb[i] == sb)
			return i;
	ofs->fs_sb[ofs->numfs] = sb;
	return ofs->numfs++;
}

static int lfs_cmp_ptr(const void *a, const void *b)
{
	unsigned long pa = *(const unsigned long *)a;
	unsigned long pb = *(const unsigned long *)b;

	return pa < pb ? -1 : pa > pb;
}

/*
 * Is @inode the real root of a layer, the upper dir or the work dir of
 * this mount? A lookup that meets one of them has walked from one layer
 * into another (overlayfs's trap inodes): -ELOOP, as overlayfs. The
 * traps hold no references: the layers, workbasedir and workdir are
 * held by the superblock for its whole life.
 */
bool lfs_is_trap(const struct lfs_fs *ofs, const struct inode *inode)
{
	unsigned long key = (unsigned long)inode;

	return ofs->nr_traps &&
	       bsearch(&key, ofs->traps, ofs->nr_traps, sizeof(*ofs->traps),
		       lfs_cmp_ptr);
}

/* Sorted real inodes of the layer roots, upper, workdir and work. */
static int lfs_setup_traps(struct lfs_fs *ofs, struct lfs_fs_context *ctx)
{
	unsigned long *traps;
	unsigned int i, n = 0;

	traps = kvmalloc_array(ctx->nr + 3, sizeof(*traps), GFP_KERNEL);
	if (!traps)
		return -ENOMEM;
	for (i = 0; i < ctx->nr; i++)
		traps[n++] = (unsigned long)d_inode(ctx->lower[i].path.dentry);
	if (lfs_upper_mnt(ofs)) {
		traps[n++] = (unsigned long)d_inode(lfs_upper_mnt(ofs)->mnt_root);
		traps[n++] = (unsigned long)d_inode(ofs->workbasedir);
		traps[n++] = (unsigned long)d_inode(ofs->workdir);
	}
	sort(traps, n, sizeof(*traps), lfs_cmp_ptr, NULL);
	ofs->traps = traps;
	ofs->nr_traps = n;
	return 0;
}

/* The first lower layer whose root is @key, for messages. */
static const char *lfs_lower_name(struct lfs_fs_context *ctx,
				  unsigned long key)
{
	unsigned int i;

	for (i = 0; i < ctx->nr; i++)
		if ((unsigned long)d_inode(ctx->lower[i].path.dentry) == key)
			return ctx->lower[i].name;
	return "";
}

/* Is a proper ancestor of @dentry a trap? */
static bool lfs_below_trap(struct lfs_fs *ofs, struct dentry *dentry)
{
	struct dentry *next = dget(dentry);
	struct dentry *parent = dget_parent(next);
	bool found = false;

	while (parent != next && !found) {
		found = lfs_is_trap(ofs, d_inode(parent));
		dput(next);
		next = parent;
		parent = dget_parent(next);
	}
	dput(parent);
	dput(next);
	return found;
}

/*
 * Refuse a lower layer given twice, that is the upper or work dir, or
 * that lies inside another layer, the upper or the work dir: lookups
 * would loop through it or show layerfs's own work files. Same errno as
 * overlayfs (ELOOP, ovl_check_overlapping_layers()). An upper or work
 * dir inside a lower layer mounts, as on overlayfs, and is met by
 * lfs_is_trap() at lookup. The traps are sorted so that 4096 layers
 * check in O(n log n).
 */
static int lfs_check_overlap(struct fs_context *fc, struct lfs_fs *ofs,
			     struct lfs_fs_context *ctx)
{
	unsigned int i;
	int err;

	err = lfs_setup_traps(ofs, ctx);
	if (err)
		return err;

	for (i = 1; i < ofs->nr_traps; i++) {
		if (ofs->traps[i] == ofs->traps[i - 1]) {
			errorfc(fc, "conflicting lowerdir path %s",
				lfs_lower_name(ctx, ofs->traps[i]));
			return -ELOOP;
		}
	}

	for (i = 0; i < ctx->nr; i++) {
		if (lfs_below_trap(ofs, ctx->lower[i].path.dentry)) {
			errorfc(fc, "overlapping lowerdir path %s",
				ctx->lower[i].name);
			return -ELOOP;
		}
	}
	return 0;
}

static int lfs_get_lower_layers(struct super_block *sb,
				struct fs_context *fc,
				struct lfs_fs_context *ctx)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	struct lfs_nameidx_owner *own = NULL;
	int depth = 0;
	unsigned int i;
	int err;

	err = lfs_check_overlap(fc, ofs, ctx);
	if (err)
		return err;

	for (i = 0; i < ctx->nr; i++) {
		struct lfs_ctx_layer *l = &ctx->lower[i];
		struct lfs_layer *layer = &ofs->layers[ofs->numlayer];
		struct vfsmount *mnt;

		/* One statfs per backing filesystem: layers often share one. */
		if (!i || l->path.mnt->mnt_sb != ctx->lower[i - 1].path.mnt->mnt_sb) {
			err = lfs_check_namelen(fc, ofs, &l->path, l->name);
			if (err)
				goto out_put_own;
		}
		if (l->reg_mnt) {
			/* Read-only and noatime already; the chain pins it. */
			mnt = mntget(l->path.mnt);
		} else {
			mnt = clone_private_mount(&l->path);
			if (IS_ERR(mnt)) {
				errorfc(fc, "failed to clone lowerdir %s",
					l->name);
				err = PTR_ERR(mnt);
				goto out_put_own;
			}
			/* fchmod() etc. on a lower file fail, not write. */
			mnt->mnt_flags |= MNT_READONLY | MNT_NOATIME;
		}
		layer->mnt = mnt;
		layer->reg_mnt = l->reg_mnt;
		layer->idx = ofs->numlayer;
		layer->fsid = lfs_get_fsid(ofs, mnt->mnt_sb);
		/*
		 * Name indexes: a registered layer's are its registry
		 * entry's, shared by all its mounts; the other layers' are
		 * this mount's (NULL without memory: indexes not shared).
		 */
		if (l->nidx) {
			layer->nidx = l->nidx;
			l->nidx = NULL;
		} else {
			if (!own)
				own = lfs_nameidx_owner_alloc(false);
			layer->nidx = lfs_nameidx_owner_get(own);
		}
		ofs->config.lowerdirs[ofs->numlayer] = l->name;
		l->name = NULL;
		ofs->numlayer++;

		depth = max(depth, mnt->mnt_sb->s_stack_depth);
		depth = max(depth, sb->s_stack_depth);
		sb->s_maxbytes = max(sb->s_maxbytes, mnt->mnt_sb->s_maxbytes);
	}

	sb->s_stack_depth = depth + 1;
	if (sb->s_stack_depth > FILESYSTEM_MAX_STACK_DEPTH) {
		errorfc(fc, "maximum fs stacking depth exceeded");
		err = -EINVAL;
	}
out_put_own:
	lfs_nameidx_owner_put(own);	/* the layers hold theirs */
	return err;
}

/*
 * Remove what an earlier mount (or a crash during copy-up) left in
 * workdir/work: temp objects, and directories moved there for removal,
 * whose entries are whiteouts or other temp objects. @dir is locked.
 */
static int lfs_workdir_cleanup(struct lfs_fs *ofs, struct inode *dir,
			       struct dentry *dentry, int level);

static int lfs_workdir_cleanup_recurse(struct lfs_fs *ofs,
				       struct dentry *parent, int level)
{
	struct path path = { .mnt = lfs_upper_mnt(ofs), .dentry = parent };
	struct inode *dir = d_inode(parent);
	struct lfs_name *n, *tmp;
	LIST_HEAD(names);
	int err;

	err = lfs_dir_read_names(&path, &names);
	list_for_each_entry(n, &names, list) {
		struct dentry *d;

		if (err)
			break;
		inode_lock_nested(dir, I_MUTEX_PARENT);
		d = lookup_one_len(n->name, parent, n->len);
		if (IS_ERR(d)) {
			err = PTR_ERR(d);
		} else {
			if (d_is_positive(d))
				err = lfs_workdir_cleanup(ofs, dir, d, level);
			dput(d);
		}
		inode_unlock(dir);
	}
	list_for_each_entry_safe(n, tmp, &names, list)
		kfree(n);
	return err;
}

static int lfs_workdir_cleanup(struct lfs_fs *ofs, struct inode *dir,
			       struct dentry *dentry, int level)
{
	int err;

	if (!d_is_dir(dentry) || level > 1)
		return lfs_cleanup(ofs, dir, dentry);

	inode_unlock(dir);
	err = lfs_workdir_cleanup_recurse(ofs, dentry, level + 1);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	if (!err)
		err = lfs_cleanup(ofs, dir, dentry);
	return err;
}

/*
 * What work inherited from workdir must not reach the temp objects made
 * in it: default and access ACLs and the setgid bit, as overlayfs's
 * ovl_workdir_create(). No ACL there, or none supported, is fine.
 */
static int lfs_workdir_reset_attrs(struct lfs_fs *ofs, struct dentry *work)
{
	struct iattr attr = { .ia_valid = ATTR_MODE, .ia_mode = S_IFDIR | 0 };
	int err;

	err = lfs_do_remove_acl(ofs, work, XATTR_NAME_POSIX_ACL_DEFAULT);
	if (err && err != -ENODATA && err != -EOPNOTSUPP)
		return err;
	err = lfs_do_remove_acl(ofs, work, XATTR_NAME_POSIX_ACL_ACCESS);
	if (err && err != -ENODATA && err != -EOPNOTSUPP)
		return err;
	inode_lock(d_inode(work));
	err = lfs_do_notify_change(ofs, work, &attr);
	inode_unlock(d_inode(work));
	return err;
}

/* Create an empty workdir/work, cleaning out an old one. */
static struct dentry *lfs_workdir_create(struct lfs_fs *ofs)
{
	struct dentry *base = ofs->workbasedir;
	struct inode *dir = d_inode(base);
	struct dentry *work;
	bool retried = false;
	int err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
retry:
	work = lookup_one_len(LFS_WORKDIR_NAME, base, strlen(LFS_WORKDIR_NAME));
	if (IS_ERR(work))
		goto out_unlock;
	if (d_is_positive(work)) {
		err = retried ? -EEXIST :
		      lfs_workdir_cleanup(ofs, dir, work, 0);
		dput(work);
		work = ERR_PTR(err);
		if (err)
			goto out_unlock;
		retried = true;
		goto retry;
	}
	err = lfs_create_real(ofs, dir, work, LFS_CATTR(S_IFDIR | 0));
	if (!err)
		err = lfs_workdir_reset_attrs(ofs, work);
	if (err) {
		dput(work);
		work = ERR_PTR(err);
	}
out_unlock:
	inode_unlock(dir);
	return work;
}

/* Does the upper fs support RENAME_WHITEOUT? 1 yes, 0 no, <0 error. */
static int lfs_check_rename_whiteout(struct lfs_fs *ofs)
{
	struct inode *wdir = d_inode(ofs->workdir);
	struct dentry *temp, *dest, *whiteout;
	struct name_snapshot name;
	int err;

	inode_lock_nested(wdir, I_MUTEX_PARENT);
	temp = lfs_create_temp(ofs, LFS_CATTR(S_IFREG | 0));
	err = PTR_ERR(temp);
	if (IS_ERR(temp))
		goto out_unlock;
	dest = lfs_lookup_temp(ofs);
	err = PTR_ERR(dest);
	if (IS_ERR(dest)) {
		lfs_cleanup(ofs, wdir, temp);
		dput(temp);
		goto out_unlock;
	}

	take_dentry_name_snapshot(&name, temp);
	err = lfs_do_rename(ofs, wdir, temp, wdir, dest, RENAME_WHITEOUT);
	if (err) {
		err = err == -EINVAL ? 0 : err;
		lfs_cleanup(ofs, wdir, temp);
	} else {
		whiteout = lookup_one_len(name.name.name, ofs->workdir,
					  name.name.len);
		err = PTR_ERR(whiteout);
		if (!IS_ERR(whiteout)) {
			err = lfs_is_upper_whiteout(whiteout);
			if (d_is_positive(whiteout))
				lfs_cleanup(ofs, wdir, whiteout);
			dput(whiteout);
		}
		/* The renamed temp dentry now carries dest's name. */
		lfs_cleanup(ofs, wdir, temp);
	}
	release_dentry_name_snapshot(&name);
	dput(temp);
	dput(dest);
out_unlock:
	inode_unlock(wdir);
	return err;
}

/* Refuse an upper fs that lacks what layerfs writes to it. */
static int lfs_check_upper_features(struct fs_context *fc, struct lfs_fs *ofs)
{
	struct path workpath = { .mnt = lfs_upper_mnt(ofs), .dentry = ofs->workdir };
	struct file *tmpfile;
	int err;

	err = lfs_do_setxattr(ofs, ofs->workdir,
			      lfs_xattr(ofs, LFS_XATTR_OPAQUE), "0", 1, 0);
	/*
	 * overlayfs mounts without its marks then (degraded); layerfs
	 * refuses. EPERM is a mounter in a user namespace without userxattr.
	 */
	if (err == -EPERM && !ofs->config.userxattr) {
		errorfc(fc, "upperdir: trusted xattrs not permitted: mount with 'userxattr'");
		return err;
	}
	if (err) {
		errorfc(fc, "upperdir: filesystem does not support %s xattrs (%d)",
			ofs->config.userxattr ? "user" : "trusted", err);
		return err == -EOPNOTSUPP ? err : -EINVAL;
	}
	lfs_do_removexattr(ofs, ofs->workdir, lfs_xattr(ofs, LFS_XATTR_OPAQUE));

	err = lfs_check_rename_whiteout(ofs);
	if (err <= 0) {
		errorfc(fc, "upperdir: filesystem does not support RENAME_WHITEOUT (%d)",
			err);
		return err ?: -EOPNOTSUPP;
	}

	tmpfile = kernel_tmpfile_open(lfs_upper_idmap(ofs), &workpath,
				      S_IFREG | 0, O_LARGEFILE | O_WRONLY,
				      current_cred());
	if (IS_ERR(tmpfile)) {
		err = PTR_ERR(tmpfile);
		errorfc(fc, "upperdir: filesystem does not support O_TMPFILE (%d)",
			err);
		return err;
	}
	fput(tmpfile);
	return 0;
}

static int lfs_get_upper(struct super_block *sb, struct fs_context *fc,
			 struct lfs_fs_context *ctx)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	struct vfsmount *mnt;
	int err;

	if (!ctx->upper.dentry || !ctx->work.dentry)
		return invalfc(fc, "upperdir and workdir must be given together");
	if (__mnt_is_readonly(ctx->upper.mnt)) {
		errorfc(fc, "upperdir: filesystem on %s is read-only",
			ctx->uppername);
		return -EROFS;
	}
	if (ctx->upper.mnt != ctx->work.mnt) {
		errorfc(fc, "workdir and upperdir must be on the same mount");
		return -EXDEV;
	}
	if (is_subdir(ctx->work.dentry, ctx->upper.dentry) ||
	    is_subdir(ctx->upper.dentry, ctx->work.dentry))
		return invalfc(fc, "workdir and upperdir must be separate subtrees");

	err = lfs_check_namelen(fc, ofs, &ctx->upper, ctx->uppername);
	if (err)
		return err;
	if (!lfs_inuse_trylock(ctx->upper.dentry)) {
		errorfc(fc, "upperdir %s is in use by another mount",
			ctx->uppername);
		return -EBUSY;
	}
	mnt = clone_private_mount(&ctx->upper);
	if (IS_ERR(mnt)) {
		lfs_inuse_unlock(ctx->upper.dentry);
		errorfc(fc, "failed to clone upperdir");
		return PTR_ERR(mnt);
	}
	/* Atime flags of the upper mount are not inherited. */
	mnt->mnt_flags &= ~(MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME);
	ofs->layers[0].mnt = mnt;
	ofs->upperdir_locked = true;
	/* explain.c hands this one out: nothing written behind the union */
	mnt = clone_private_mount(&ctx->upper);
	if (IS_ERR(mnt)) {
		errorfc(fc, "failed to clone upperdir");
		return PTR_ERR(mnt);
	}
	mnt->mnt_flags |= MNT_READONLY | MNT_NOATIME;
	ofs->upper_ro = mnt;
	mnt = ofs->layers[0].mnt;
	/* Then every dentry keeps d_revalidate (lfs_dentry_init_flags). */
	ofs->upper_reval = lfs_path_revalidates(&ctx->upper);
	ofs->layers[0].fsid = lfs_get_fsid(ofs, mnt->mnt_sb);
	sb->s_stack_depth = mnt->mnt_sb->s_stack_depth;
	sb->s_maxbytes = mnt->mnt_sb->s_maxbytes;
	ofs->config.upperdir = ctx->uppername;
	ofs->config.workdir = ctx->workname;
	ctx->uppername = NULL;
	ctx->workname = NULL;

	if (!lfs_inuse_trylock(ctx->work.dentry)) {
		errorfc(fc, "workdir %s is in use by another mount",
			ofs->config.workdir);
		return -EBUSY;
	}
	ofs->workbasedir = dget(ctx->work.dentry);
	ofs->workdir_locked = true;
	return 0;
}

#define LFS_INCOMPATDIR_NAME	"incompat"

/*
 * An entry in workdir/work/incompat names a feature a mount needs to
 * understand: "volatile" is left by a volatile mount, whose upper layer
 * may be inconsistent after a crash. Refuse the mount as overlayfs does
 * (EINVAL), until the user removes the entry.
 */
static int lfs_check_incompat(struct fs_context *fc, struct lfs_fs *ofs)
{
	struct dentry *base = ofs->workbasedir;
	struct path path = { .mnt = lfs_upper_mnt(ofs) };
	struct dentry *work, *incompat;
	struct lfs_name *n, *tmp;
	LIST_HEAD(names);
	int err = 0;

	work = lookup_one_len_unlocked(LFS_WORKDIR_NAME, base,
				       strlen(LFS_WORKDIR_NAME));
	if (IS_ERR(work))
		return PTR_ERR(work);
	if (!d_is_dir(work)) {
		dput(work);
		return 0;
	}
	incompat = lookup_one_len_unlocked(LFS_INCOMPATDIR_NAME, work,
					   strlen(LFS_INCOMPATDIR_NAME));
	dput(work);
	if (IS_ERR(incompat))
		return PTR_ERR(incompat);
	if (d_is_dir(incompat)) {
		path.dentry = incompat;
		err = lfs_dir_read_names(&path, &names);
	}
	dput(incompat);
	if (!err && !list_empty(&names)) {
		n = list_first_entry(&names, struct lfs_name, list);
		errorfc(fc, "workdir %s has incompat feature '%s' (%s/%s/%s): cannot be mounted",
			ofs->config.workdir, n->name, ofs->config.workdir,
			LFS_WORKDIR_NAME, LFS_INCOMPATDIR_NAME);
		err = -EINVAL;
	}
	list_for_each_entry_safe(n, tmp, &names, list)
		kfree(n);
	return err;
}

/* One directory or file of the volatile marker; @dir is locked. */
static struct dentry *lfs_volatile_mark_one(struct lfs_fs *ofs,
					    struct dentry *parent,
					    const char *name, umode_t mode)
{
	struct dentry *d = lookup_one_len(name, parent, strlen(name));
	int err;

	if (IS_ERR(d) || d_is_positive(d))
		return d;
	err = lfs_create_real(ofs, d_inode(parent), d, LFS_CATTR(mode));
	if (err) {
		dput(d);
		return ERR_PTR(err);
	}
	return d;
}

/*
 * A volatile mount leaves workdir/work/incompat/volatile/dirty, as
 * overlayfs's ovl_create_volatile_dirty(): nothing removes it, and every
 * later mount of this workdir is refused (lfs_check_incompat()).
 */
static int lfs_create_volatile_dirty(struct fs_context *fc,
				     struct lfs_fs *ofs)
{
	static const char *const names[] = { LFS_INCOMPATDIR_NAME, "volatile",
					     "dirty" };
	struct dentry *d, *parent = dget(ofs->workdir);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		inode_lock_nested(d_inode(parent), I_MUTEX_PARENT);
		d = lfs_volatile_mark_one(ofs, parent, names[i],
					  i + 1 < ARRAY_SIZE(names) ?
					  S_IFDIR | 0 : S_IFREG | 0);
		inode_unlock(d_inode(parent));
		dput(parent);
		if (IS_ERR(d)) {
			errorfc(fc, "workdir: cannot create the volatile marker %s (%ld)",
				names[i], PTR_ERR(d));
			return PTR_ERR(d);
		}
		parent = d;
	}
	dput(parent);
	return 0;
}

static int lfs_get_workdir(struct fs_context *fc, struct lfs_fs *ofs)
{
	const struct cred *old_cred;
	struct dentry *work;
	int err;

	err = mnt_want_write(lfs_upper_mnt(ofs));
	if (err)
		return err;
	old_cred = override_creds(ofs->creator_cred);
	err = lfs_check_incompat(fc, ofs);
	if (err)
		goto out;
	work = lfs_workdir_create(ofs);
	err = PTR_ERR_OR_ZERO(work);
	if (!err) {
		ofs->workdir = work;
		err = lfs_check_upper_features(fc, ofs);
	} else {
		errorfc(fc, "workdir: cannot create %s/%s (%d)",
			ofs->config.workdir, LFS_WORKDIR_NAME, err);
	}
	if (!err && lfs_is_volatile(&ofs->config))
		err = lfs_create_volatile_dirty(fc, ofs);
out:
	revert_creds(old_cred);
	mnt_drop_write(lfs_upper_mnt(ofs));
	return err;
}

/*
 * A volatile mount never syncs, but reports the upper fs's writeback
 * errors since the mount on syncfs(2) and fsync(2): sample them now, and
 * refuse to start from an error nobody saw, as overlayfs does.
 */
static int lfs_check_volatile(struct fs_context *fc, struct lfs_fs *ofs)
{
	struct super_block *upper_sb = lfs_upper_mnt(ofs)->mnt_sb;

	if (lfs_should_sync(ofs))
		return 0;
	ofs->errseq = errseq_sample(&upper_sb->s_wb_err);
	if (errseq_check(&upper_sb->s_wb_err, ofs->errseq)) {
		errorfc(fc, "upperdir: unseen writeback error: sync it to mount volatile");
		return -EIO;
	}
	return 0;
}

static struct dentry *lfs_get_root(struct super_block *sb)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	struct dentry *upper = ofs->layers[0].mnt ?
			       ofs->layers[0].mnt->mnt_root : NULL;
	unsigned int numlower = ofs->numlayer - 1;
	unsigned long flags = 0;
	struct lfs_entry *oe;
	struct dentry *root;
	struct inode *inode;
	unsigned int i;

	oe = lfs_alloc_entry(numlower);
	if (!oe)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < numlower; i++) {
		oe->lowerstack[i].layer = &ofs->layers[i + 1];
		oe->lowerstack[i].dentry = dget(ofs->layers[i + 1].mnt->mnt_root);
	}
	if (numlower > 1)
		__set_bit(LFS_I_MERGE, &flags);

	if (upper)
		__set_bit(LFS_I_MERGE, &flags);

	inode = lfs_get_inode(sb, dget(upper), oe, flags);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	root = d_make_root(inode);
	if (!root)
		return ERR_PTR(-ENOMEM);
	/*
	 * As overlayfs: the root is only ever weakly revalidated (a walk
	 * that ends on it after crossing the mount); keep that only when a
	 * layer root needs it.
	 */
	lfs_dentry_init_flags(root, upper, LFS_E(inode),
			      DCACHE_OP_WEAK_REVALIDATE);
	return root;
}

int lfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	struct lfs_fs *ofs = sb->s_fs_info;
	struct dentry *root;
	int err;

	/* The context's fd may have been passed to another user namespace. */
	if (fc->user_ns != current_user_ns())
		return -EIO;

	err = lfs_resolve_layer(fc);
	if (err)
		return err;
	if (!ctx->nr)
		return invalfc(fc, "missing lowerdir or layer");
	err = lfs_check_features(fc, &ofs->config, ctx->upper.dentry);
	if (err)
		return err;

	err = -ENOMEM;
	ofs->creator_cred = prepare_creds();
	ofs->layers = kvcalloc(ctx->nr + 1, sizeof(*ofs->layers), GFP_KERNEL);
	ofs->fs_sb = kcalloc(ctx->nr + 1, sizeof(*ofs->fs_sb), GFP_KERNEL);
	/* + 2: lfs_free_fs() reuses it for the mounts and upper_ro */
	ofs->config.lowerdirs = kvcalloc(ctx->nr + 2, sizeof(char *),
					 GFP_KERNEL);
	if (!ofs->creator_cred || !ofs->layers || !ofs->fs_sb ||
	    !ofs->config.lowerdirs)
		return err;

	/*
	 * layers[0] is the upper slot. fsids number the distinct real
	 * filesystems, the upper's first, so that a union on one filesystem
	 * needs no xino bits and reports the real inode numbers.
	 */
	ofs->numlayer = 1;
	ofs->numfs = 0;
	sb->s_maxbytes = 0;
	ofs->config.lowerdir_all = ctx->lowerdir_all;
	ctx->lowerdir_all = NULL;
	ofs->config.layer = ctx->layer;
	ctx->layer = NULL;
	ofs->chain = ctx->chain;
	ctx->chain = NULL;

	if (ctx->upper.dentry || ctx->work.dentry) {
		err = lfs_get_upper(sb, fc, ctx);
		if (!err)
			err = lfs_check_volatile(fc, ofs);
		if (!err)
			err = lfs_get_workdir(fc, ofs);
		if (err)
			return err;
	} else if (lfs_is_volatile(&ofs->config)) {
		infof(fc, "option \"volatile\" is meaningless in a non-upper mount, ignoring it.");
		ofs->config.fsync_mode = LFS_FSYNC_AUTO;
	}

	err = lfs_get_lower_layers(sb, fc, ctx);
	if (!err)
		err = lfs_stats_alloc(ofs);
	if (err)
		return err;

	ofs->xino_bits = ofs->numfs > 1 ? ilog2(ofs->numfs - 1) + 1 : 0;

	sb->s_magic = LAYERFS_SUPER_MAGIC;
	sb->s_op = &lfs_super_operations;
	sb->s_d_op = &lfs_dentry_operations;
	lfs_set_s_xattr(sb, lfs_xattr_handlers(ofs->config.userxattr));
	sb->s_time_gran = 1;
	sb->s_flags |= SB_POSIXACL;
	if (!lfs_upper_mnt(ofs))
		sb->s_flags |= SB_RDONLY;
	sb->s_iflags |= SB_I_SKIP_SYNC;
	/* EVM cannot trust an HMAC over a stacked inode (as ovl_fill_super). */
	sb->s_iflags |= SB_I_EVM_HMAC_UNSUPPORTED;

	root = lfs_get_root(sb);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = root;
	lfs_mount_add(ofs, sb);
	return 0;
}

static void lfs_kill_sb(struct super_block *sb)
{
	struct lfs_fs *ofs = LFS_FS(sb);

	if (ofs)
		lfs_mount_del(ofs);
	/* Evicts all inodes, dropping real dentries, before the layers. */
	kill_anon_super(sb);
	if (ofs)
		lfs_free_fs(ofs);
}

static struct file_system_type layerfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "layerfs",
	.init_fs_context	= lfs_init_fs_context,
	.parameters		= lfs_parameter_spec,
	.kill_sb		= lfs_kill_sb,
	/*
	 * lowerdir=/upperdir= mounts in a user namespace, as overlayfs (5.11)
	 * allows: the mounter's credentials (creator_cred) reach only what
	 * that namespace's root may touch. layer= stays for CAP_SYS_ADMIN in
	 * the initial namespace (lfs_resolve_layer()).
	 */
	.fs_flags		= FS_USERNS_MOUNT,
};
MODULE_ALIAS_FS("layerfs");

static int __init layerfs_init(void)
{
	int err;

	lfs_inode_cachep = kmem_cache_create("layerfs_inode",
					     sizeof(struct lfs_inode), 0,
					     SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					     lfs_inode_init_once);
	if (!lfs_inode_cachep)
		return -ENOMEM;

	err = lfs_compat_init();
	if (err)
		goto out_cache;
	err = lfs_readdir_init();
	if (err)
		goto out_compat;
	err = lfs_nameidx_init();
	if (err)
		goto out_readdir;
	err = lfs_genl_init();
	if (err)
		goto out_nameidx;
	err = lfs_ctl_init();
	if (err)
		goto out_genl;
	err = register_filesystem(&layerfs_fs_type);
	if (err)
		goto out_ctl;
	return 0;

out_ctl:
	lfs_ctl_exit();
out_genl:
	lfs_genl_exit();
out_nameidx:
	lfs_nameidx_exit();
out_readdir:
	lfs_readdir_exit();
out_compat:
	lfs_compat_exit();
out_cache:
	kmem_cache_destroy(lfs_inode_cachep);
	return err;
}

static void __exit layerfs_exit(void)
{
	unregister_filesystem(&layerfs_fs_type);
	lfs_ctl_exit();
	lfs_reg_exit();
	lfs_genl_exit();
	lfs_nameidx_exit();
	/* Wait for delayed inode frees (lfs_free_inode via RCU). */
	rcu_barrier();
	lfs_readdir_exit();
	lfs_compat_exit();
	kmem_cache_destroy(lfs_inode_cachep);
}

module_init(layerfs_init);
module_exit(layerfs_exit);

MODULE_DESCRIPTION("layerfs stacking union filesystem");
MODULE_AUTHOR("The layerfs developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(LAYERFS_VERSION);
