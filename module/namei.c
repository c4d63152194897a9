// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs lookup: resolve one name top-down through the layers.
 *
 * The highest layer holding the name wins. A non-directory hides all
 * below it; directories merge until one is opaque. A whiteout (0/0 char
 * device, or zero-size file with trusted.overlay.whiteout) hides the name
 * in the layers below and is itself invisible. A metacopy file
 * (trusted.overlay.metacopy, metacopy=on) holds the metadata only: the
 * lookup goes on below it, under its redirect if it has one, to the
 * regular file that holds its data.
 */

#include <linux/cleanup.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include "layerfs.h"

struct lfs_lookup_ctx {
	struct super_block *sb;
	unsigned int whiteouts_hit;	/* statistics */
	unsigned int opaque_stops;
	unsigned int skipped;		/* layers the name index skipped */
	unsigned int indexed;		/* layers an index answered for */
	const struct qstr *name;
	/* What is looked up now: @name, or where a redirect points */
	struct qstr cur;
	char *redirect;			/* kmalloc()ed @cur, or NULL */
	bool absolute;			/* @redirect is from the layer roots */
	bool follow;			/* redirect_dir=follow (or on) */
	bool last;			/* no redirect read in this layer */
	struct dentry *upper;		/* hit in the upper layer */
	struct lfs_path *stack;		/* hits in lower layers */
	unsigned int numlower;		/* entries used in @stack */
	unsigned int room;		/* entries @stack has */
	/* Most names are in few layers: no allocation sized by the stack. */
	struct lfs_path inline_stack[4];
	int metacopy;			/* last hit is a metacopy file */
	bool upper_metacopy;		/* the upper hit is one */
	bool is_dir;			/* first hit is a directory */
	bool stop;			/* do not descend further */
	bool opaque;			/* first hit is an opaque dir */
	bool nameidx;			/* ask the name index first */
	bool merged;			/* the merged map answered */
	u32 hash;			/* of @name, for the name index */
};

/*
 * A directory with trusted.overlay.redirect (written by a rename with
 * redirect_dir=on, by overlayfs or layerfs) is continued in the lower
 * layers under the name it points at, as in overlayfs's
 * ovl_check_redirect(): an absolute one replaces the whole path, a
 * relative one the last name of the path looked up so far (@prelen bytes
 * come before it, @post after it).
 */
static int lfs_check_redirect(struct lfs_lookup_ctx *c, const struct path *path,
			      size_t prelen, const char *post)
{
	char *buf;

	c->absolute = false;
	buf = lfs_get_redirect(LFS_FS(c->sb), path, prelen + strlen(post));
	if (IS_ERR_OR_NULL(buf))
		return PTR_ERR(buf);
	if (buf[0] == '/') {
		c->absolute = true;
		/* An opaque ancestor stopped the walk; this goes on below. */
		c->stop = false;
	} else {
		memmove(buf + prelen, buf, strlen(buf) + 1);
		memcpy(buf, c->cur.name, prelen);
	}
	strcat(buf, post);
	kfree(c->redirect);
	c->redirect = buf;
	c->cur.name = buf;
	c->cur.len = strlen(buf);
	return 0;
}

/*
 * Look up one path element (@name, @len) of the current name in one real
 * directory; *ret is NULL on a miss. @post is the rest of the path after
 * it ("" for the last element), @prelen the length before it.
 */
static int lfs_lookup_single(struct lfs_lookup_ctx *c,
			     const struct lfs_layer *layer,
			     struct dentry *base, const char *name,
			     unsigned int len, size_t prelen, const char *post,
			     struct dentry **ret)
{
	bool last_element = !post[0];
	struct dentry *this;
	struct path path;
	char val;

	*ret = NULL;
	this = lfs_do_lookup(layer, name, base, len);
	if (IS_ERR(this)) {
		int err = PTR_ERR(this);

		return err == -ENOENT || err == -ENAMETOOLONG ? 0 : err;
	}
	if (d_is_negative(this))
		goto put;

	if (lfs_dentry_weird(this)) {
		dput(this);
		return -EREMOTE;
	}

	path.mnt = layer->mnt;
	path.dentry = this;
	if (lfs_path_is_whiteout(LFS_FS(c->sb), &path)) {
		c->stop = true;
		c->whiteouts_hit++;
		goto put;
	}

	/* Below a metacopy only a regular file can hold its data. */
	if (last_element && c->metacopy && !d_is_reg(this)) {
		c->stop = true;
		goto put;
	}

	if (!d_can_lookup(this)) {
		int err;

		/* A non-directory below a directory, or on the way, hides. */
		c->stop = true;
		if (c->is_dir || !last_element)
			goto put;
		/* A metacopy does not: its data is further down. */
		c->metacopy = lfs_check_metacopy(LFS_FS(c->sb), &path);
		if (c->metacopy < 0) {
			err = c->metacopy;
			dput(this);
			return err;
		}
		c->stop = !c->metacopy;
		if (c->metacopy && !c->last) {
			err = lfs_check_redirect(c, &path, prelen, post);
			if (err) {
				dput(this);
				return err;
			}
		}
		*ret = this;
		return 0;
	}

	/* Walked into a layer root, the upper or the work dir: a loop. */
	if (lfs_is_trap(LFS_FS(c->sb), d_inode(this))) {
		dput(this);
		return -ELOOP;
	}

	val = lfs_get_opaque_val(LFS_FS(c->sb), &path);
	if (val == 'y') {
		c->stop = true;
		c->opaque_stops++;
		if (last_element && !c->is_dir)
			c->opaque = true;
	}
	if (last_element)
		c->is_dir = true;
	/* Read even when not followed: a redirect found then is EPERM. */
	if (val != 'y' && !c->last) {
		int err = lfs_check_redirect(c, &path, prelen, post);

		if (err) {
			dput(this);
			return err;
		}
	}
	*ret = this;
	return 0;

put:
	dput(this);
	return 0;
}

/*
 * Look the current name up in one layer: a name in @base, or an absolute
 * redirect's path from the layer's root @base, element by element (as
 * overlayfs's ovl_lookup_layer()).
 */
static int lfs_lookup_layer(struct lfs_lookup_ctx *c,
			    const struct lfs_layer *layer, struct dentry *base,
			    struct dentry **ret)
{
	/* Counting down from the end: the part before may change */
	size_t rem = c->cur.len - 1;
	struct dentry *dentry = NULL;
	int err;

	if (c->cur.name[0] != '/')
		return lfs_lookup_single(c, layer, base, c->cur.name,
					 c->cur.len, 0, "", ret);

	*ret = NULL;
	while (!IS_ERR_OR_NULL(base) && d_can_lookup(base)) {
		const char *s = (const char *)c->cur.name + c->cur.len - rem;
		const char *next = strchrnul(s, '/');
		size_t thislen = next - s;
		bool end = !next[0];

		if (s[-1] != '/')
			err = -EIO;
		else
			err = lfs_lookup_single(c, layer, base, s, thislen,
						c->cur.len - rem, next, &base);
		dput(dentry);
		if (err)
			return err;
		dentry = base;
		if (end)
			break;
		rem -= thislen + 1;
		if (rem >= c->cur.len) {
			dput(dentry);
			return -EIO;
		}
	}
	*ret = dentry;
	return 0;
}

/*
 * A copied-up non-directory stops the lookup in the upper layer. When it
 * carries an origin mark (trusted.overlay.origin) and has one link, the
 * same name in the lower layers is taken as its origin, so that st_ino
 * stays the same across remounts. A renamed object has no origin by name
 * and is known by its upper inode.
 */
static int lfs_lookup_origin(struct lfs_lookup_ctx *c, struct inode *dir)
{
	struct lfs_lookup_ctx o = {
		.sb = c->sb,
		.name = c->name,
		.cur = *c->name,
		.last = true,		/* files have no redirects */
	};
	struct lfs_entry *poe = LFS_E(dir);
	struct dentry *this = NULL;
	struct path path;
	unsigned int i;
	int err = 0;

	if (d_is_dir(c->upper) || d_inode(c->upper)->i_nlink != 1)
		return 0;
	path.mnt = lfs_upper_mnt(LFS_FS(c->sb));
	path.dentry = c->upper;
	if (lfs_do_getxattr(&path, lfs_xattr(LFS_FS(c->sb), LFS_XATTR_ORIGIN),
			    NULL, 0) < 0)
		return 0;

	for (i = 0; !o.stop && !this && i < lfs_numlower(poe); i++) {
		err = lfs_lookup_layer(&o, poe->lowerstack[i].layer,
				       poe->lowerstack[i].dentry, &this);
		if (err)
			return err;
	}
	if (!this)
		return 0;
	if (d_is_dir(this)) {
		dput(this);
		return 0;
	}
	c->stack[0].layer = poe->lowerstack[i - 1].layer;
	c->stack[0].dentry = this;
	c->numlower = 1;
	return 0;
}

/* Room for one more hit in @c->stack; at most @max in all. */
static int lfs_lookup_grow(struct lfs_lookup_ctx *c, unsigned int max)
{
	unsigned int room = min(max, 2 * c->room);
	struct lfs_path *stack;

	if (c->numlower < c->room)
		return 0;
	stack = kvmalloc_array(room, sizeof(*stack), GFP_KERNEL);
	if (!stack)
		return -ENOMEM;
	memcpy(stack, c->stack, c->numlower * sizeof(*stack));
	if (c->stack != c->inline_stack)
		kvfree(c->stack);
	c->stack = stack;
	c->room = room;
	return 0;
}

/*
 * With the name index: may lower layer @i of @dir hold the name? Only
 * while the name is looked up as it is: not through a redirect (nor,
 * then, in the root's layers an absolute one switches to).
 */
static bool lfs_lookup_may_hold(struct lfs_lookup_ctx *c, struct inode *dir,
				unsigned int i)
{
	bool hold, indexed;

	if (!c->nameidx || c->redirect)
		return true;
	hold = lfs_nameidx_may_hold(dir, i, c->name, c->hash, &indexed);
	c->indexed += indexed;
	if (!hold)
		c->skipped++;
	return hold;
}

static int lfs_lookup_layers(struct lfs_lookup_ctx *c, struct inode *dir)
{
	struct lfs_fs *ofs = LFS_FS(c->sb);
	struct lfs_entry *roe = LFS_E(d_inode(c->sb->s_root));
	struct dentry *upperdir = lfs_i_upper(dir);
	struct lfs_entry *poe = LFS_E(dir);
	struct dentry *this;
	unsigned int i = 0;
	int first = -1;
	int err;

	if (upperdir) {
		c->last = !c->follow && !lfs_numlower(poe);
		err = lfs_lookup_layer(c, &ofs->layers[0], upperdir, &this);
		if (err)
			return err;
		c->upper = this;
		c->upper_metacopy = this && c->metacopy;
		if (this && c->stop && lfs_numlower(LFS_E(dir)))
			return lfs_lookup_origin(c, dir);
		if (c->redirect && c->absolute)
			poe = roe;
	}

	/* No layer above the first that holds the name needs a look. */
	if (c->nameidx && !c->redirect && !c->stop) {
		first = lfs_nameidx_first(dir, c->hash);
		if (first >= 0) {
			c->merged = true;
			c->skipped = first;
			i = first;
		} else if (!lfs_nameidx_begin(dir)) {
			c->nameidx = false;
		}
	}
	for (; !c->stop && i < lfs_numlower(poe); i++) {
		const struct lfs_path *parent = &poe->lowerstack[i];

		/*
		 * Not in this layer: no real lookup, no negative dentry. The
		 * first layer the merged map names holds a name with this
		 * hash: most likely this one, and the real lookup tells.
		 */
		if ((!c->merged || i != first) && !lfs_lookup_may_hold(c, dir, i))
			continue;
		if (!c->follow)
			c->last = i == lfs_numlower(poe) - 1;
		else
			c->last = parent->layer->idx == lfs_numlower(roe);
		err = lfs_lookup_layer(c, parent->layer, parent->dentry, &this);
		if (err)
			return err;
		/* Following a metacopy to its data only with metacopy=on. */
		if (this && (c->upper_metacopy || c->metacopy) &&
		    !ofs->config.metacopy) {
			dput(this);
			pr_warn_ratelimited("refusing to follow metacopy origin for (%.*s)\n",
					    c->name->len, c->name->name);
			return -EPERM;
		}
		/*
		 * Of a chain of metacopy files only the topmost lower one is
		 * kept (the origin), and the data file below them all.
		 */
		if (this && c->metacopy && c->numlower) {
			dput(this);
		} else if (this) {
			err = lfs_lookup_grow(c, lfs_numlower(roe));
			if (err) {
				dput(this);
				return err;
			}
			c->stack[c->numlower].layer = parent->layer;
			c->stack[c->numlower].dentry = this;
			c->numlower++;
		}
		/*
		 * Following a redirect is like following a symlink into a
		 * lower layer without its permission checks: only when
		 * asked to (redirect_dir=follow, the default), as overlayfs.
		 */
		if (c->redirect && !c->follow) {
			pr_warn_ratelimited("refusing to follow redirect for (%pd2)\n",
					    parent->dentry);
			return -EPERM;
		}
		if (c->stop)
			break;
		if (c->redirect && c->absolute && poe != roe) {
			poe = roe;
			/* the root's stack has every layer: continue below */
			i = parent->layer->idx - 1;
		}
	}
	if (c->metacopy || (c->upper_metacopy && !c->numlower)) {
		pr_warn_ratelimited("metacopy with no lower data found - abort lookup (%.*s)\n",
				    c->name->len, c->name->name);
		return -EIO;
	}
	/* Every layer had an index: merge them for the next lookups. */
	if (c->nameidx && !c->merged && !c->redirect &&
	    c->indexed == lfs_numlower(LFS_E(dir)))
		lfs_nameidx_merge(dir);
	return 0;
}

static void lfs_lookup_ctx_release(struct lfs_lookup_ctx *c)
{
	unsigned int i;

	dput(c->upper);
	for (i = 0; i < c->numlower; i++)
		dput(c->stack[i].dentry);
	if (c->stack != c->inline_stack)
		kvfree(c->stack);
	kfree(c->redirect);
}

/* Build the layerfs inode for what the walk found; consumes the refs. */
static struct inode *lfs_lookup_inode(struct lfs_lookup_ctx *c)
{
	unsigned long flags = 0;
	struct lfs_entry *oe;

	oe = lfs_alloc_entry(c->numlower);
	if (!oe)
		return ERR_PTR(-ENOMEM);
	memcpy(oe->lowerstack, c->stack, c->numlower * sizeof(*c->stack));
	c->numlower = 0;

	if (c->opaque)
		__set_bit(LFS_I_OPAQUE, &flags);
	if (c->upper_metacopy)
		__set_bit(LFS_I_METACOPY, &flags);
	if (c->is_dir && (c->upper ? 1 : 0) + oe->numlower > 1)
		__set_bit(LFS_I_MERGE, &flags);

	return lfs_get_inode(c->sb, no_free_ptr(c->upper), oe, flags);
}

static void lfs_lookup_count(struct lfs_lookup_ctx *c, struct inode *inode)
{
	struct lfs_fs *ofs = LFS_FS(c->sb);
	unsigned int depth;

	lfs_stat_inc(ofs, LFS_STAT_LOOKUPS);
	if (c->whiteouts_hit)
		lfs_stat_add(ofs, LFS_STAT_WHITEOUTS_HIT, c->whiteouts_hit);
	if (c->opaque_stops)
		lfs_stat_add(ofs, LFS_STAT_OPAQUE_STOPS, c->opaque_stops);
	if (c->skipped) {
		lfs_stat_inc(ofs, LFS_STAT_NAMEIDX_HITS);
		lfs_stat_add(ofs, LFS_STAT_NAMEIDX_SKIPS, c->skipped);
	}
	if (c->merged)
		lfs_stat_inc(ofs, LFS_STAT_NAMEIDX_MERGED_HITS);
	if (IS_ERR_OR_NULL(inode)) {
		lfs_stat_inc(ofs, LFS_STAT_NEGATIVE);
		return;
	}
	/* Where it resolved: 0 upper, else the topmost lower layer's index. */
	depth = lfs_i_upper(inode) ? 0 : LFS_E(inode)->lowerstack[0].layer->idx;
	lfs_stat_depth(ofs, depth);
}

struct dentry *lfs_lookup(struct inode *dir, struct dentry *dentry,
			  unsigned int flags)
{
	enum lfs_redirect_mode redirect = LFS_FS(dir->i_sb)->config.redirect_mode;
	struct lfs_lookup_ctx c = {
		.sb = dentry->d_sb,
		.name = &dentry->d_name,
		.cur = dentry->d_name,
		.follow = redirect == LFS_REDIRECT_FOLLOW ||
			  redirect == LFS_REDIRECT_ON,
	};
	struct inode *inode = NULL;
	const struct cred *old_cred;
	unsigned int numlower = lfs_numlower(LFS_E(dir));
	int err = 0;

	if (dentry->d_name.len > LFS_FS(dentry->d_sb)->namelen)
		return ERR_PTR(-ENAMETOOLONG);
	/*
	 * One real lookup is as cheap as an index: only directories merged
	 * from several lower layers are indexed.
	 */
	c.nameidx = numlower > 1 && !LFS_FS(c.sb)->config.nameindex_off;
	if (c.nameidx)
		c.hash = lfs_nameidx_hash(c.name);
	c.stack = c.inline_stack;
	c.room = ARRAY_SIZE(c.inline_stack);

	old_cred = lfs_override_creds(dir->i_sb);
	err = lfs_lookup_layers(&c, dir);
	if (!err && (c.upper || c.numlower)) {
		inode = lfs_lookup_inode(&c);
		if (IS_ERR(inode))
			err = PTR_ERR(inode);
	}
	revert_creds(old_cred);
	lfs_lookup_count(&c, inode);
	lfs_lookup_ctx_release(&c);

	if (err)
		return ERR_PTR(err);
	lfs_dentry_init_reval(dentry, inode);
	return d_splice_alias(inode, dentry);
}

/*
 * Real dentries of local filesystems need no revalidation; a layer on a
 * filesystem that does (e.g. 9p, NFS) has its dentries revalidated here.
 * Only dentries with such a real dentry get here at all: the others lose
 * the revalidate flags when they are instantiated (lfs_dentry_init_flags).
 */
static int lfs_revalidate_real(struct dentry *d, unsigned int flags, bool weak)
{
	int ret = 1;

	if (weak) {
		if (d->d_flags & DCACHE_OP_WEAK_REVALIDATE)
			ret = d->d_op->d_weak_revalidate(d, flags);
	} else if (d->d_flags & DCACHE_OP_REVALIDATE) {
		ret = d->d_op->d_revalidate(d, flags);
		if (!ret) {
			if (!(flags & LOOKUP_RCU))
				d_invalidate(d);
			ret = -ESTALE;
		}
	}
	return ret;
}

static int lfs_dentry_revalidate_common(struct dentry *dentry,
					unsigned int flags, bool weak)
{
	struct inode *inode = d_inode_rcu(dentry);
	struct lfs_entry *oe;
	struct dentry *upper;
	unsigned int i;
	int ret = 1;

	/* Negative dentries and inodes being torn down: nothing to check. */
	if (!inode)
		return ret;

	upper = lfs_i_upper(inode);
	if (upper)
		ret = lfs_revalidate_real(upper, flags, weak);

	oe = LFS_E(inode);
	for (i = 0; ret > 0 && i < lfs_numlower(oe); i++)
		ret = lfs_revalidate_real(oe->lowerstack[i].dentry, flags, weak);
	return ret;
}

static int lfs_dentry_revalidate(struct dentry *dentry, unsigned int flags)
{
	return lfs_dentry_revalidate_common(dentry, flags, false);
}

static int lfs_dentry_weak_revalidate(struct dentry *dentry,
				      unsigned int flags)
{
	return lfs_dentry_revalidate_common(dentry, flags, true);
}

/* For file_dentry() users (locks, fsnotify on the real file). */
static __maybe_unused struct dentry *lfs_d_real(struct dentry *dentry,
						enum d_real_type type)
{
	struct inode *inode = d_inode(dentry);
	struct path path;

	if (!inode || d_is_dir(dentry))
		return dentry;
	if (type == D_REAL_DATA)
		lfs_real_data_path(inode, &path);
	else
		lfs_real_path(inode, &path);
	return path.dentry ?: dentry;
}

const struct dentry_operations lfs_dentry_operations = {
	.d_real			= LFS_D_REAL,
	.d_revalidate		= lfs_dentry_revalidate,
	.d_weak_revalidate	= lfs_dentry_weak_revalidate,
};
