// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs explain: LAYERFS_IOC_EXPLAIN on a file or directory of a mount
 * says which layer an object comes from, whether it was copied up, and,
 * with LAYERFS_EXPLAIN_LAYERS, what every layer holds at its path.
 *
 * The per-layer answer is a second walk of the object's path, level by
 * level through all layers at once, with the rules of lfs_lookup()
 * (namei.c): at each level the layers the union merges there (its
 * "stack") are those of the parent's stack holding a directory there, top
 * down until one is opaque; a whiteout or a non-directory ends the stack,
 * and a non-directory wins if no directory came before it. Layers outside
 * the stack are walked on, so that the copies the union hides are found
 * too; that is why the walk needs CAP_SYS_ADMIN in the initial user
 * namespace. The real lookups run with the mounter's credentials, as the
 * union's own; nothing is cached and no lock is held across levels.
 *
 * LAYERFS_IOC_OPEN_LAYER gives the same privileged caller a descriptor of
 * one layer's root, to read the layer as it is.
 */

#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "layerfs.h"

struct lfs_explain_ctx {
	struct lfs_fs *ofs;
	struct layerfs_explain_layer __user *out;
	u32 room;
	u32 total;
	unsigned int depth;		/* components of the whole path */
	struct dentry **cur;		/* per layer: dir reached, or NULL */
	unsigned long *stack;		/* layers the union merges here */
};

/* Registered name of lower layer @idx of a layer=NAME mount, or NULL. */
static const struct lfs_reg_layer *lfs_explain_reg(const struct lfs_fs *ofs,
						   unsigned int idx)
{
	if (!ofs->chain || idx < 1 || idx > ofs->chain->nr)
		return NULL;
	return ofs->chain->layers[idx - 1];
}

static int lfs_explain_put(struct lfs_explain_ctx *c, unsigned int layer,
			   u32 kind, u32 role, unsigned int depth,
			   struct dentry *this)
{
	const struct lfs_reg_layer *reg = lfs_explain_reg(c->ofs, layer);
	struct inode *inode = d_inode(this);
	struct layerfs_explain_layer e = {
		.layer	= layer,
		.kind	= kind,
		.role	= role,
		.depth	= depth,
		.mode	= inode->i_mode,
		.nlink	= inode->i_nlink,
		.size	= i_size_read(inode),
	};

	if (reg)
		strscpy(e.layer_name, lfs_reg_layer_name(reg),
			sizeof(e.layer_name));
	if (c->total < c->room &&
	    copy_to_user(&c->out[c->total], &e, sizeof(e)))
		return -EFAULT;
	c->total++;
	return 0;
}

/* What a real dentry is, for the walk; 0 for nothing there. */
static u32 lfs_explain_kind(struct lfs_fs *ofs, const struct lfs_layer *layer,
			    struct dentry *this)
{
	struct path path = { .mnt = layer->mnt, .dentry = this };

	if (d_is_negative(this))
		return 0;
	if (lfs_path_is_whiteout(ofs, &path))
		return LAYERFS_KIND_WHITEOUT;
	if (!d_can_lookup(this))
		return LAYERFS_KIND_OBJECT;
	return lfs_get_opaque_val(ofs, &path) == 'y' ? LAYERFS_KIND_OPAQUE_DIR :
						  LAYERFS_KIND_DIR;
}

/*
 * One level of the walk: component @name (@len bytes) in every layer
 * still on a directory. @level counts from 1; the last level is the
 * object itself, where every layer holding something is reported.
 */
static int lfs_explain_level(struct lfs_explain_ctx *c, const char *name,
			     int len, unsigned int level)
{
	bool last = level == c->depth, stop = false, dir_seen = false;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < c->ofs->numlayer; i++) {
		const struct lfs_layer *layer = &c->ofs->layers[i];
		bool member = test_and_clear_bit(i, c->stack) && !stop;
		struct dentry *this;
		u32 kind, role = 0;

		if (!c->cur[i])
			continue;
		this = lfs_do_lookup(layer, name, c->cur[i], len);
		dput(c->cur[i]);
		c->cur[i] = NULL;
		if (IS_ERR(this)) {
			err = PTR_ERR(this);
			if (err == -ENOENT || err == -ENAMETOOLONG)
				err = 0;
			continue;
		}
		kind = lfs_explain_kind(c->ofs, layer, this);
		if (kind == LAYERFS_KIND_DIR || kind == LAYERFS_KIND_OPAQUE_DIR) {
			/* Never into a layer root, the upper or the work dir. */
			if (lfs_dentry_weird(this) ||
			    lfs_is_trap(c->ofs, d_inode(this))) {
				err = member ? -ELOOP : 0;
				dput(this);
				continue;
			}
		}

		if (member) {
			switch (kind) {
			case LAYERFS_KIND_WHITEOUT:
				stop = true;
				role = LAYERFS_ROLE_HIDES;
				break;
			case LAYERFS_KIND_OBJECT:
				stop = true;
				if (dir_seen) {
					/* below a directory: hidden, and ends the merge */
					role = last ? LAYERFS_ROLE_HIDDEN :
						      LAYERFS_ROLE_HIDES;
					break;
				}
				__set_bit(i, c->stack);
				role = last ? LAYERFS_ROLE_SHOWN : LAYERFS_ROLE_HIDES;
				break;
			case LAYERFS_KIND_OPAQUE_DIR:
				stop = true;
				fallthrough;
			case LAYERFS_KIND_DIR:
				__set_bit(i, c->stack);
				if (last)
					role = dir_seen ? LAYERFS_ROLE_MERGED :
							  LAYERFS_ROLE_SHOWN;
				else if (stop)
					role = LAYERFS_ROLE_HIDES;
				dir_seen = true;
				break;
			}
		} else if (last && kind) {
			role = LAYERFS_ROLE_HIDDEN;
		}

		if (role)
			err = lfs_explain_put(c, i, kind, role, level, this);
		if (!last && (kind == LAYERFS_KIND_DIR ||
			      kind == LAYERFS_KIND_OPAQUE_DIR))
			c->cur[i] = this;
		else
			dput(this);
	}
	return err;
}

/* The whole path is the mount root: every layer's root is merged. */
static int lfs_explain_root(struct lfs_explain_ctx *c)
{
	unsigned int i;
	bool first = true;
	int err = 0;

	for (i = 0; !err && i < c->ofs->numlayer; i++) {
		if (!c->cur[i])
			continue;
		err = lfs_explain_put(c, i, lfs_explain_kind(c->ofs,
							     &c->ofs->layers[i],
							     c->cur[i]),
				      first ? LAYERFS_ROLE_SHOWN :
					      LAYERFS_ROLE_MERGED, 0, c->cur[i]);
		first = false;
	}
	return err;
}

static unsigned int lfs_explain_depth(const char *path)
{
	unsigned int n = 0;

	for (; *path; path++)
		if (*path == '/' && path[1])
			n++;
	return n;
}

/* Walk @path ("/", "/a/b") through all layers of the mount. */
static int lfs_explain_layers(struct super_block *sb, const char *path,
			      struct layerfs_explain *req)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	struct lfs_explain_ctx c = {
		.ofs	= ofs,
		.out	= u64_to_user_ptr(req->layers),
		.room	= req->layers_room,
		.depth	= lfs_explain_depth(path),
	};
	const struct cred *old_cred;
	unsigned int i, level = 0;
	int err = -ENOMEM;

	c.cur = kvcalloc(ofs->numlayer, sizeof(*c.cur), GFP_KERNEL_ACCOUNT);
	c.stack = bitmap_zalloc(ofs->numlayer, GFP_KERNEL_ACCOUNT);
	if (!c.cur || !c.stack)
		goto out_free;
	for (i = 0; i < ofs->numlayer; i++) {
		if (!ofs->layers[i].mnt)
			continue;	/* no upper on a read-only mount */
		c.cur[i] = dget(ofs->layers[i].mnt->mnt_root);
		__set_bit(i, c.stack);
	}

	old_cred = lfs_override_creds(sb);
	err = 0;
	if (!c.depth)
		err = lfs_explain_root(&c);
	while (!err && *path) {
		const char *name = path + 1;
		int len = strchrnul(name, '/') - name;

		path = name + len;
		if (!len)
			continue;
		err = lfs_explain_level(&c, name, len, ++level);
		/* thousands of layers times a deep path: stay killable */
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
		cond_resched();
	}
	revert_creds(old_cred);

	for (i = 0; i < ofs->numlayer; i++)
		dput(c.cur[i]);
	req->layers_total = c.total;
	req->depth = c.depth;
out_free:
	bitmap_free(c.stack);
	kvfree(c.cur);
	return err;
}

/* The union's own answer: what lookup made of the object. */
static void lfs_explain_object(struct dentry *dentry,
			       struct layerfs_explain *req)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	struct inode *inode = d_inode(dentry);
	const struct lfs_reg_layer *reg;
	struct lfs_entry *oe;

	req->numlayer = ofs->numlayer;
	if (ofs->chain)
		req->result |= LAYERFS_EXPLAIN_R_REGISTRY;
	if (!inode)
		return;

	oe = LFS_E(inode);
	req->result |= LAYERFS_EXPLAIN_R_POSITIVE;
	req->mode = inode->i_mode;
	if (S_ISDIR(inode->i_mode)) {
		req->result |= LAYERFS_EXPLAIN_R_DIR;
		if (test_bit(LFS_I_MERGE, &LFS_I(inode)->flags))
			req->result |= LAYERFS_EXPLAIN_R_MERGED;
		if (test_bit(LFS_I_OPAQUE, &LFS_I(inode)->flags))
			req->result |= LAYERFS_EXPLAIN_R_OPAQUE;
	}
	if (lfs_i_upper(inode)) {
		req->result |= LAYERFS_EXPLAIN_R_UPPER;
		req->layer = 0;
		/* A copied-up non-directory keeps its origin as lowerstack[0]. */
		if (!S_ISDIR(inode->i_mode) && lfs_numlower(oe)) {
			req->result |= LAYERFS_EXPLAIN_R_COPIED_UP;
			req->origin = oe->lowerstack[0].layer->idx;
		}
	} else if (lfs_numlower(oe)) {
		req->layer = oe->lowerstack[0].layer->idx;
	}

	reg = lfs_explain_reg(ofs, req->layer);
	if (reg) {
		strscpy(req->layer_name, lfs_reg_layer_name(reg),
			sizeof(req->layer_name));
		strscpy(req->chain_id, lfs_reg_layer_chain_id(reg),
			sizeof(req->chain_id));
	}
}

static bool lfs_explain_valid_name(const u8 *name, size_t size)
{
	size_t len = strnlen((const char *)name, size);

	if (len == size || memchr(name, '/', len))
		return false;
	return strcmp(name, ".") && strcmp(name, "..");
}

/* "/a/b" of @dentry, with "/@name" after it if @name is not "". */
static char *lfs_explain_path(struct dentry *dentry, const char *name,
			      char *buf)
{
	size_t len = strlen(name), plen;
	char *p;

	p = dentry_path_raw(dentry, buf, PATH_MAX - len - 1);
	if (IS_ERR(p) || !len)
		return p;
	if (!strcmp(p, "/"))
		p++;
	/* dentry_path_raw() left len + 1 bytes after its NUL */
	plen = strlen(p);
	p[plen] = '/';
	memcpy(p + plen + 1, name, len + 1);
	return p;
}

/*
 * What the union hides, and the layers themselves, are for CAP_SYS_ADMIN
 * in the initial user namespace. A mount made in a user namespace
 * (FS_USERNS_MOUNT) has that namespace as s_user_ns: its root must not
 * gain this.
 */
static bool lfs_explain_capable(void)
{
	return capable(CAP_SYS_ADMIN);
}

static int lfs_ioc_explain(struct file *file, void __user *uarg)
{
	struct dentry *dentry = file->f_path.dentry;
	const char *name;
	struct layerfs_explain *req;
	char *buf = NULL, *path;
	u32 usize;
	int err;

	BUILD_BUG_ON(sizeof(struct layerfs_explain) != LAYERFS_EXPLAIN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct layerfs_explain_layer) != 104);

	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		return -ENOMEM;
	err = lfs_copy_req(req, sizeof(*req), LAYERFS_EXPLAIN_SIZE_VER0, uarg);
	if (err)
		goto out_free;
	err = -EINVAL;
	if (req->flags & ~LAYERFS_EXPLAIN_VALID_FLAGS ||
	    !lfs_explain_valid_name(req->name, sizeof(req->name)))
		goto out_free;
	if (!(req->flags & LAYERFS_EXPLAIN_LAYERS) &&
	    (req->layers || req->layers_room))
		goto out_free;
	err = -EPERM;
	if (req->flags & LAYERFS_EXPLAIN_LAYERS && !lfs_explain_capable())
		goto out_free;
	/* Everything after @layers_room is an answer. */
	req->layers_total = 0;
	req->numlayer = 0;
	req->result = 0;
	req->layer = 0;
	req->origin = 0;
	req->mode = 0;
	req->depth = 0;
	memset(req->layer_name, 0, sizeof(req->layer_name));
	memset(req->chain_id, 0, sizeof(req->chain_id));

	name = (const char *)req->name;
	dget(dentry);
	if (*name) {
		struct dentry *child;

		err = -ENOTDIR;
		if (!d_is_dir(dentry))
			goto out_dput;
		/* As the caller: it needs search permission on the dir. */
		child = lookup_one_unlocked(file_mnt_idmap(file), name, dentry,
					    strlen(name));
		err = PTR_ERR(child);
		if (IS_ERR(child))
			goto out_dput;
		dput(dentry);
		dentry = child;
	}
	lfs_explain_object(dentry, req);

	if (req->flags & LAYERFS_EXPLAIN_LAYERS) {
		/*
		 * The path of the directory the name was looked up in (the
		 * file pins it), not of the child's d_parent, which a rename
		 * may change under us; none for what was removed.
		 */
		struct dentry *dir = file->f_path.dentry;

		err = -ENOENT;
		if (d_unlinked(dir))
			goto out_dput;
		err = -ENOMEM;
		buf = __getname();
		if (!buf)
			goto out_dput;
		path = lfs_explain_path(dir, name, buf);
		err = PTR_ERR(path);
		if (IS_ERR(path))
			goto out_dput;
		err = lfs_explain_layers(dentry->d_sb, path, req);
		if (err)
			goto out_dput;
	}

	err = 0;
	usize = min_t(u32, req->size, sizeof(*req));
	if (copy_to_user(uarg, req, usize))
		err = -EFAULT;
out_dput:
	dput(dentry);
	if (buf)
		__putname(buf);
out_free:
	kfree(req);
	return err;
}

/*
 * LAYERFS_IOC_OPEN_LAYER: a new descriptor of a layer's root, for a walk
 * of what that layer holds (layerctl explain --layer). It is opened on a
 * read-only clone of the layer: the mount's own for a lower layer, and
 * for the upper layer a second, read-only clone made at mount time
 * (super.c), so that nothing is written into the upper behind the union.
 * A file holds its mount, so the descriptor stays valid after the union
 * is unmounted (lfs_free_fs() kern_unmount()s its own clones, the registry
 * those of its layers once they are deleted; the last fput() frees them).
 * The clones are internal mounts: open_tree() and move_mount() refuse
 * them, and ".." stops at their root.
 */
static int lfs_ioc_open_layer(struct file *file, void __user *uarg)
{
	struct lfs_fs *ofs = LFS_FS(file_inode(file)->i_sb);
	struct layerfs_open_layer req;
	struct file *realfile;
	struct vfsmount *mnt;
	struct path path;
	unsigned int idx;
	int err, fd;

	BUILD_BUG_ON(sizeof(req) != LAYERFS_OPEN_LAYER_SIZE_VER0);

	err = lfs_copy_req(&req, sizeof(req), LAYERFS_OPEN_LAYER_SIZE_VER0,
			   uarg);
	if (err)
		return err;
	if (req.flags)
		return -EINVAL;
	if (!lfs_explain_capable())
		return -EPERM;
	req.numlayer = ofs->numlayer;
	if (copy_to_user(uarg, &req, min_t(u32, req.size, sizeof(req))))
		return -EFAULT;
	if (req.layer >= ofs->numlayer)
		return -ENOENT;
	idx = array_index_nospec(req.layer, ofs->numlayer);
	mnt = idx ? ofs->layers[idx].mnt : ofs->upper_ro;
	if (!mnt)
		return -ENOENT;

	path.mnt = mnt;
	path.dentry = mnt->mnt_root;
	/* dentry_open() checks no permission: the caller's own, here */
	err = inode_permission(mnt_idmap(mnt), d_inode(path.dentry),
			       MAY_READ | MAY_EXEC);
	if (err)
		return err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	realfile = dentry_open(&path, O_RDONLY | O_DIRECTORY | O_LARGEFILE,
			       current_cred());
	if (IS_ERR(realfile)) {
		put_unused_fd(fd);
		return PTR_ERR(realfile);
	}
	fd_install(fd, realfile);
	return fd;
}

long lfs_explain_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case LAYERFS_IOC_EXPLAIN:
		return lfs_ioc_explain(file, (void __user *)arg);
	case LAYERFS_IOC_OPEN_LAYER:
		return lfs_ioc_open_layer(file, (void __user *)arg);
	}
	return -ENOTTY;
}
