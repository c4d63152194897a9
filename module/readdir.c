// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs readdir: merged, cached directory listings.
 *
 * The real directories of a layerfs directory are read top-down; each
 * name is kept once (the topmost occurrence decides its type and d_ino),
 * whiteouts hide names and are themselves hidden. The resulting list is
 * cached on the inode and shared by every open of the directory, so that
 * repeated opens do not re-read all layers. The cache is rebuilt when
 * layerfs changes the directory (lfs_inode.version) or when a real
 * directory's mtime, ctime, size or i_version moved, which also keeps it
 * coherent with offline changes to a layer.
 *
 * Positions: 0 and 1 are "." and "..", entry i of the cache is at i + 2.
 * telldir()/seekdir() are stable while the cache is.
 *
 * Locking: the cache pointer of an inode is protected by
 * lfs_inode.cache_lock; caches are immutable once built and refcounted
 * (one reference held by the inode, one by each open file using it).
 *
 * Memory: a cache is charged to the memory cgroup of the task that built
 * it, and the cache an inode holds is on lfs_dcache_lru (memcg and NUMA
 * aware) for as long as it is installed. The shrinker frees those only
 * the inode references, i.e. of directories that no file has open; the
 * next listing rebuilds them. Eviction of the inode frees the rest.
 * Lock order: lfs_inode.cache_lock, then the LRU's lock; the shrinker
 * walks under the LRU's lock and only trylocks cache_lock.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/iversion.h>
#include <linux/list_lru.h>
#include <linux/namei.h>
#include <linux/rbtree.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include "layerfs.h"

struct lfs_cache_entry {
	struct rb_node node;
	struct list_head list;		/* in readdir order */
	struct lfs_cache_entry *next_check;
	u64 ino;
	unsigned int type;
	bool whiteout;
	bool upper;			/* found in the upper layer */
	bool fixup;			/* d_ino needs the layerfs inode */
	u16 len;
	char name[];
};

struct lfs_dir_cache {
	refcount_t ref;
	struct list_head lru;		/* on lfs_dcache_lru while installed */
	struct inode *inode;		/* the dir it is installed on */
	struct lfs_fs *ofs;		/* counted in its statistics if set */
	size_t bytes;			/* allocated for it, for statistics */
	u64 version;			/* lfs_inode.version at build */
	unsigned int nstamps;
	unsigned int count;		/* visible entries */
	struct lfs_cache_entry **entries;
	struct list_head list;		/* all entries, for freeing */
	struct rb_root root;
	struct lfs_dir_stamp *stamps;
};

static struct kmem_cache *lfs_dcache_cachep;
static struct list_lru lfs_dcache_lru;
static struct shrinker *lfs_dcache_shrinker;

struct lfs_readdir_data {
	struct dir_context ctx;
	struct lfs_fs *ofs;
	struct lfs_dir_cache *cache;
	const struct lfs_layer *layer;
	struct lfs_cache_entry *checks;	/* entries to look up after iterate */
	bool xwhiteouts;
	bool impure;			/* upper dir has copied-up entries */
	bool has_fixups;
	unsigned int count;
	int err;
};

struct lfs_dir_file {
	struct lfs_dir_cache *cache;
};

/* Take @cache out of its mount's statistics (once). */
static void lfs_cache_uncount(struct lfs_dir_cache *cache)
{
	if (!cache->ofs)
		return;
	atomic_long_dec(&cache->ofs->readdir_caches);
	atomic64_sub(cache->bytes, &cache->ofs->readdir_cache_bytes);
	cache->ofs = NULL;
}

static void lfs_cache_put(struct lfs_dir_cache *cache)
{
	struct lfs_cache_entry *e, *tmp;

	if (!cache || !refcount_dec_and_test(&cache->ref))
		return;
	WARN_ON_ONCE(!list_empty(&cache->lru));
	lfs_cache_uncount(cache);
	list_for_each_entry_safe(e, tmp, &cache->list, list)
		kfree(e);
	kvfree(cache->entries);
	kvfree(cache->stamps);
	kmem_cache_free(lfs_dcache_cachep, cache);
}

/* Inode eviction: drop the inode's cache (freed if no file uses it). */
void lfs_dir_cache_free(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);
	struct lfs_dir_cache *cache;

	spin_lock(&oi->cache_lock);
	cache = oi->cache;
	oi->cache = NULL;
	if (cache)
		list_lru_del_obj(&lfs_dcache_lru, &cache->lru);
	spin_unlock(&oi->cache_lock);
	lfs_cache_put(cache);
}

static struct lfs_cache_entry *lfs_cache_find(struct rb_root *root,
					      const char *name, int len)
{
	struct rb_node *node = root->rb_node;

	while (node) {
		struct lfs_cache_entry *e = rb_entry(node, typeof(*e), node);
		int cmp = strncmp(name, e->name, len);

		if (!cmp)
			cmp = len - e->len;
		if (!cmp)
			return e;
		node = cmp < 0 ? node->rb_left : node->rb_right;
	}
	return NULL;
}

static void lfs_cache_insert(struct rb_root *root, struct lfs_cache_entry *new)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct lfs_cache_entry *e = rb_entry(*link, typeof(*e), node);
		int cmp = strncmp(new->name, e->name, new->len);

		if (!cmp)
			cmp = new->len - e->len;
		parent = *link;
		link = cmp < 0 ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, root);
}

static bool lfs_fill_merge(struct dir_context *ctx, const char *name,
			   int namelen, loff_t offset, u64 ino,
			   unsigned int d_type)
{
	struct lfs_readdir_data *rdd = container_of(ctx, typeof(*rdd), ctx);
	struct lfs_dir_cache *cache = rdd->cache;
	struct lfs_cache_entry *e;

	rdd->count++;
	if (is_dot_dotdot(name, namelen))
		return true;
	e = lfs_cache_find(&cache->root, name, namelen);
	if (e)
		return true;

	e = kmalloc(struct_size(e, name, namelen + 1), GFP_KERNEL_ACCOUNT);
	if (!e) {
		rdd->err = -ENOMEM;
		return false;
	}
	cache->bytes += struct_size(e, name, namelen + 1);
	memcpy(e->name, name, namelen);
	e->name[namelen] = '\0';
	e->len = namelen;
	e->ino = lfs_map_ino(rdd->ofs, rdd->layer, ino);
	e->type = d_type;
	e->whiteout = false;
	e->upper = rdd->layer->idx == 0;
	/*
	 * A copied-up object keeps the inode number of its origin, also
	 * under another name (rename, link): in a dir marked impure, every
	 * upper entry gets its d_ino from the layerfs inode, as overlayfs
	 * does.
	 */
	e->fixup = e->upper && rdd->impure;
	if (e->fixup)
		rdd->has_fixups = true;
	e->next_check = NULL;
	lfs_cache_insert(&cache->root, e);
	list_add_tail(&e->list, &cache->list);

	/* Whiteouts are only known after a lookup, done after iterate. */
	if (d_type == DT_CHR || d_type == DT_UNKNOWN ||
	    (d_type == DT_REG && rdd->xwhiteouts)) {
		e->next_check = rdd->checks;
		rdd->checks = e;
	}
	return true;
}

static void lfs_check_entries(struct lfs_readdir_data *rdd,
			      struct dentry *realdir)
{
	struct lfs_cache_entry *e;
	struct dentry *d;
	struct path path;

	path.mnt = rdd->layer->mnt;
	for (e = rdd->checks; e; e = e->next_check) {
		d = lfs_do_lookup(rdd->layer, e->name, realdir, e->len);
		if (IS_ERR(d))
			continue;
		if (d_is_positive(d)) {
			path.dentry = d;
			e->whiteout = lfs_path_is_whiteout(rdd->ofs, &path);
			if (e->type == DT_UNKNOWN)
				e->type = fs_umode_to_dtype(d_inode(d)->i_mode);
		}
		dput(d);
	}
	rdd->checks = NULL;
}

void lfs_stamp(struct lfs_dir_stamp *st, struct inode *inode)
{
	st->inode = inode;
	st->mtime = inode_get_mtime(inode);
	st->ctime = inode_get_ctime(inode);
	st->size = i_size_read(inode);
	st->iversion = IS_I_VERSION(inode) ? inode_query_iversion(inode) : 0;
}

bool lfs_stamp_valid(const struct lfs_dir_stamp *st)
{
	struct inode *inode = st->inode;
	struct timespec64 mtime = inode_get_mtime(inode);
	struct timespec64 ctime = inode_get_ctime(inode);

	return timespec64_equal(&st->mtime, &mtime) &&
	       timespec64_equal(&st->ctime, &ctime) &&
	       st->size == i_size_read(inode) &&
	       (!IS_I_VERSION(inode) ||
		inode_peek_iversion(inode) == st->iversion);
}

static bool lfs_cache_valid(struct lfs_dir_cache *cache, struct inode *inode)
{
	unsigned int i;

	if (cache->version != READ_ONCE(LFS_I(inode)->version))
		return false;
	for (i = 0; i < cache->nstamps; i++)
		if (!lfs_stamp_valid(&cache->stamps[i]))
			return false;
	return true;
}

/*
 * Read the real directory @realpath through @ctx, with the caller's
 * credentials, until a pass sees no entry (some filesystems return after
 * a batch) or the actor leaves an error in *@err; the actor counts the
 * entries of a pass in *@count. The one reader of real directories:
 * merged listings, lfs_dir_read_names() and the name index (nameidx.c).
 */
int lfs_read_real_dir(const struct path *realpath, struct dir_context *ctx,
		      unsigned int *count, int *err)
{
	struct file *realfile;
	int ret;

	realfile = dentry_open(realpath, O_RDONLY | O_DIRECTORY,
			       current_cred());
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	do {
		*count = 0;
		*err = 0;
		ret = iterate_dir(realfile, ctx);
		if (ret >= 0)
			ret = *err;
	} while (!ret && *count);
	fput(realfile);
	return ret;
}

static int lfs_read_layer(struct lfs_readdir_data *rdd,
			  const struct path *realpath)
{
	int err = lfs_read_real_dir(realpath, &rdd->ctx, &rdd->count,
				    &rdd->err);

	if (!err)
		lfs_check_entries(rdd, realpath->dentry);
	return err;
}

/* Emission array: visible entries in order. */
static int lfs_cache_index(struct lfs_dir_cache *cache)
{
	struct lfs_cache_entry *e;
	unsigned int n = 0;

	list_for_each_entry(e, &cache->list, list)
		n += !e->whiteout;
	cache->entries = kvmalloc_array(max(n, 1U), sizeof(*cache->entries),
					GFP_KERNEL_ACCOUNT);
	if (!cache->entries)
		return -ENOMEM;
	cache->bytes += max(n, 1U) * sizeof(*cache->entries);
	list_for_each_entry(e, &cache->list, list)
		if (!e->whiteout)
			cache->entries[cache->count++] = e;
	return 0;
}

/*
 * d_ino of fixup entries: st_ino of the layerfs inode (the dir is locked
 * exclusively: see lfs_dir_operations).
 */
static void lfs_cache_fixups(struct lfs_dir_cache *cache,
			     struct dentry *dir)
{
	struct lfs_cache_entry *e;
	struct dentry *d;

	list_for_each_entry(e, &cache->list, list) {
		if (!e->fixup || e->whiteout)
			continue;
		d = lookup_one(&nop_mnt_idmap, e->name, dir, e->len);
		if (IS_ERR(d))
			continue;
		if (d_is_positive(d))
			e->ino = d_inode(d)->i_ino;
		dput(d);
	}
}

static int lfs_cache_fill(struct lfs_dir_cache *cache, struct dentry *dir)
{
	struct inode *inode = d_inode(dir);
	struct lfs_readdir_data rdd = {
		.ctx.actor = lfs_fill_merge,
		.ofs = LFS_FS(inode->i_sb),
		.cache = cache,
	};
	struct lfs_entry *oe = LFS_E(inode);
	struct dentry *upper = lfs_i_upper(inode);
	struct path realpath;
	unsigned int i;
	int err;

	if (upper) {
		rdd.layer = &rdd.ofs->layers[0];
		realpath.mnt = rdd.layer->mnt;
		realpath.dentry = upper;
		lfs_stamp(&cache->stamps[cache->nstamps++], d_inode(upper));
		/* also upper-only: a merged directory may have moved in */
		rdd.impure = lfs_do_getxattr(&realpath,
					     lfs_xattr(rdd.ofs, LFS_XATTR_IMPURE),
					     NULL, 0) >= 0;
		err = lfs_read_layer(&rdd, &realpath);
		if (err)
			return err;
	}
	for (i = 0; i < lfs_numlower(oe); i++) {
		rdd.layer = oe->lowerstack[i].layer;
		realpath.mnt = rdd.layer->mnt;
		realpath.dentry = oe->lowerstack[i].dentry;
		lfs_stamp(&cache->stamps[cache->nstamps++],
			  d_inode(realpath.dentry));
		rdd.xwhiteouts = lfs_get_opaque_val(rdd.ofs, &realpath) == 'x';
		err = lfs_read_layer(&rdd, &realpath);
		if (err)
			return err;
	}
	if (rdd.has_fixups)
		lfs_cache_fixups(cache, dir);
	return lfs_cache_index(cache);
}

static struct lfs_dir_cache *lfs_cache_build(struct dentry *dir)
{
	struct inode *inode = d_inode(dir);
	unsigned int nstamps = lfs_numlower(LFS_E(inode)) + 1;
	struct lfs_dir_cache *cache;
	const struct cred *old_cred;
	int err;

	/* Charged to the lister's memcg, which gets an LRU list for it. */
	cache = kmem_cache_alloc_lru(lfs_dcache_cachep, &lfs_dcache_lru,
				     GFP_KERNEL | __GFP_ZERO);
	if (!cache)
		return ERR_PTR(-ENOMEM);
	refcount_set(&cache->ref, 1);
	INIT_LIST_HEAD(&cache->lru);
	INIT_LIST_HEAD(&cache->list);
	cache->stamps = kvcalloc(nstamps, sizeof(*cache->stamps),
				 GFP_KERNEL_ACCOUNT);
	if (!cache->stamps) {
		lfs_cache_put(cache);
		return ERR_PTR(-ENOMEM);
	}
	cache->bytes = sizeof(*cache) + nstamps * sizeof(*cache->stamps);
	cache->root = RB_ROOT;
	cache->version = READ_ONCE(LFS_I(inode)->version);

	old_cred = lfs_override_creds(inode->i_sb);
	err = lfs_cache_fill(cache, dir);
	revert_creds(old_cred);
	if (err) {
		lfs_cache_put(cache);
		return ERR_PTR(err);
	}
	cache->inode = inode;
	cache->ofs = LFS_FS(inode->i_sb);
	atomic_long_inc(&cache->ofs->readdir_caches);
	atomic64_add(cache->bytes, &cache->ofs->readdir_cache_bytes);
	return cache;
}

/*
 * A valid cache for directory @dir, with a reference for the caller.
 * @dir's inode is locked (at least shared) by the caller.
 */
static struct lfs_dir_cache *lfs_cache_get(struct dentry *dir)
{
	struct inode *inode = d_inode(dir);
	struct lfs_inode *oi = LFS_I(inode);
	struct lfs_dir_cache *cache, *old;

	spin_lock(&oi->cache_lock);
	cache = oi->cache;
	if (cache)
		refcount_inc(&cache->ref);
	spin_unlock(&oi->cache_lock);

	if (cache && lfs_cache_valid(cache, inode)) {
		lfs_stat_inc(LFS_FS(inode->i_sb), LFS_STAT_READDIR_HITS);
		return cache;
	}
	lfs_cache_put(cache);

	lfs_stat_inc(LFS_FS(inode->i_sb), LFS_STAT_READDIR_BUILDS);
	cache = lfs_cache_build(dir);
	if (IS_ERR(cache))
		return cache;

	/* The inode's reference; on the LRU exactly while installed. */
	refcount_inc(&cache->ref);
	spin_lock(&oi->cache_lock);
	old = oi->cache;
	oi->cache = cache;
	if (old)
		list_lru_del_obj(&lfs_dcache_lru, &old->lru);
	list_lru_add_obj(&lfs_dcache_lru, &cache->lru);
	spin_unlock(&oi->cache_lock);
	lfs_cache_put(old);
	return cache;
}

/*
 * Shrinker: take a cache off its inode if only the inode references it
 * (no open file lists it, nobody is validating it: new references are
 * taken under cache_lock). Caches in use go to the tail of the LRU.
 */
static enum lru_status lfs_dcache_isolate(struct list_head *item,
					  struct list_lru_one *list,
					  spinlock_t *lock, void *arg)
{
	struct lfs_dir_cache *cache = container_of(item, typeof(*cache), lru);
	struct lfs_inode *oi = LFS_I(cache->inode);
	struct list_head *dispose = arg;

	/* Installed, so the inode is alive: eviction takes it off first. */
	if (!spin_trylock(&oi->cache_lock))
		return LRU_SKIP;
	if (oi->cache != cache || refcount_read(&cache->ref) > 1) {
		spin_unlock(&oi->cache_lock);
		return LRU_ROTATE;
	}
	oi->cache = NULL;
	/*
	 * Uncount it now: on the dispose list it pins neither the inode nor
	 * the superblock, and umount may free both before the scan puts it.
	 */
	lfs_cache_uncount(cache);
	cache->inode = NULL;
	list_lru_isolate_move(list, item, dispose);
	spin_unlock(&oi->cache_lock);
	return LRU_REMOVED;
}

static unsigned long lfs_dcache_count(struct shrinker *shrink,
				      struct shrink_control *sc)
{
	return list_lru_shrink_count(&lfs_dcache_lru, sc);
}

static unsigned long lfs_dcache_scan(struct shrinker *shrink,
				     struct shrink_control *sc)
{
	struct lfs_dir_cache *cache, *tmp;
	LIST_HEAD(dispose);
	unsigned long freed;

	freed = list_lru_shrink_walk(&lfs_dcache_lru, sc, lfs_dcache_isolate,
				     &dispose);
	list_for_each_entry_safe(cache, tmp, &dispose, lru) {
		list_del_init(&cache->lru);
		lfs_cache_put(cache);
	}
	return freed;
}

static int lfs_iterate(struct file *file, struct dir_context *ctx)
{
	struct lfs_dir_file *od = file->private_data;
	struct lfs_dir_cache *cache;

	if (!dir_emit_dots(file, ctx))
		return 0;

	/* (Re)validate at the start of a listing, as after rewinddir(). */
	if (!od->cache || ctx->pos == 2) {
		cache = lfs_cache_get(file->f_path.dentry);
		if (IS_ERR(cache))
			return PTR_ERR(cache);
		lfs_cache_put(od->cache);
		od->cache = cache;
	}
	cache = od->cache;

	while (ctx->pos - 2 < cache->count) {
		struct lfs_cache_entry *e = cache->entries[ctx->pos - 2];

		if (!dir_emit(ctx, e->name, e->len, e->ino, e->type))
			break;
		ctx->pos++;
	}
	return 0;
}

static loff_t lfs_dir_llseek(struct file *file, loff_t offset, int origin)
{
	loff_t res = -EINVAL;

	switch (origin) {
	case SEEK_CUR:
		offset += file->f_pos;
		fallthrough;
	case SEEK_SET:
		if (offset < 0)
			break;
		file->f_pos = offset;
		res = offset;
		break;
	}
	return res;
}

/* -ENOTEMPTY unless the union directory lists nothing. */
int lfs_check_empty_dir(struct dentry *dentry)
{
	struct lfs_dir_cache *cache;
	int err = 0;

	cache = lfs_cache_get(dentry);
	if (IS_ERR(cache))
		return PTR_ERR(cache);
	if (cache->count)
		err = -ENOTEMPTY;
	lfs_cache_put(cache);
	return err;
}

struct lfs_names_data {
	struct dir_context ctx;
	struct list_head *list;
	unsigned int count;
	int err;
};

static bool lfs_fill_names(struct dir_context *ctx, const char *name,
			   int namelen, loff_t offset, u64 ino,
			   unsigned int d_type)
{
	struct lfs_names_data *nd = container_of(ctx, typeof(*nd), ctx);
	struct lfs_name *n;

	nd->count++;
	if (is_dot_dotdot(name, namelen))
		return true;
	n = kmalloc(struct_size(n, name, namelen + 1), GFP_KERNEL);
	if (!n) {
		nd->err = -ENOMEM;
		return false;
	}
	memcpy(n->name, name, namelen);
	n->name[namelen] = '\0';
	n->len = namelen;
	n->type = d_type;
	list_add_tail(&n->list, nd->list);
	return true;
}

/*
 * The names in one real directory (no "." and ".."), for maintenance of
 * upper and work directories. The caller frees the list entries.
 */
int lfs_dir_read_names(const struct path *path, struct list_head *list)
{
	struct lfs_names_data nd = {
		.ctx.actor = lfs_fill_names,
		.list = list,
	};

	return lfs_read_real_dir(path, &nd.ctx, &nd.count, &nd.err);
}

static int lfs_dir_open(struct inode *inode, struct file *file)
{
	struct lfs_dir_file *od;

	od = kzalloc(sizeof(*od), GFP_KERNEL_ACCOUNT);
	if (!od)
		return -ENOMEM;
	file->private_data = od;
	return 0;
}

static int lfs_dir_release(struct inode *inode, struct file *file)
{
	struct lfs_dir_file *od = file->private_data;

	lfs_cache_put(od->cache);
	kfree(od);
	return 0;
}

static int lfs_dir_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	struct inode *inode = file_inode(file);
	struct dentry *upper = lfs_i_upper(inode);
	const struct cred *old_cred;
	struct file *realfile;
	struct path path;
	int err;

	/* Only the upper directory can have unsynced changes. */
	if (!upper)
		return 0;
	/* volatile: no sync, only the upper fs's writeback error if any. */
	err = lfs_sync_status(LFS_FS(inode->i_sb));
	if (err <= 0)
		return err;
	path.mnt = lfs_upper_mnt(LFS_FS(inode->i_sb));
	path.dentry = upper;
	old_cred = lfs_override_creds(inode->i_sb);
	realfile = dentry_open(&path, O_RDONLY | O_DIRECTORY, current_cred());
	err = PTR_ERR_OR_ZERO(realfile);
	if (!err) {
		err = vfs_fsync_range(realfile, start, end, datasync);
		fput(realfile);
	}
	revert_creds(old_cred);
	return err;
}

int lfs_readdir_init(void)
{
	int err = -ENOMEM;

	lfs_dcache_cachep = KMEM_CACHE(lfs_dir_cache,
				       SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT);
	if (!lfs_dcache_cachep)
		return -ENOMEM;
	lfs_dcache_shrinker = shrinker_alloc(SHRINKER_MEMCG_AWARE |
					     SHRINKER_NUMA_AWARE,
					     "layerfs-readdir");
	if (!lfs_dcache_shrinker)
		goto out_cache;
	err = list_lru_init_memcg(&lfs_dcache_lru, lfs_dcache_shrinker);
	if (err)
		goto out_shrinker;
	lfs_dcache_shrinker->count_objects = lfs_dcache_count;
	lfs_dcache_shrinker->scan_objects = lfs_dcache_scan;
	shrinker_register(lfs_dcache_shrinker);
	return 0;

out_shrinker:
	shrinker_free(lfs_dcache_shrinker);
out_cache:
	kmem_cache_destroy(lfs_dcache_cachep);
	return err;
}

/* Module exit: every superblock, so every cache, is gone. */
void lfs_readdir_exit(void)
{
	shrinker_free(lfs_dcache_shrinker);
	list_lru_destroy(&lfs_dcache_lru);
	kmem_cache_destroy(lfs_dcache_cachep);
}

/*
 * Listings run with the directory locked exclusively, as overlayfs's
 * do: building a cache looks names up in the union directory
 * (lfs_cache_fixups()), and lookup_one() needs the parent locked. Under
 * the shared lock two readers could look the same name up at once and
 * hash two dentries for it, one of which then goes stale.
 */
WRAP_DIR_ITER(lfs_iterate)

const struct file_operations lfs_dir_operations = {
	.read		= generic_read_dir,
	.open		= lfs_dir_open,
	.iterate_shared	= shared_lfs_iterate,
	.llseek		= lfs_dir_llseek,
	.fsync		= lfs_dir_fsync,
	.release	= lfs_dir_release,
	.unlocked_ioctl	= lfs_explain_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
