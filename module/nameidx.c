// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs name index: which names a real lower directory holds.
 *
 * A lookup in a merged directory asks every lower layer for the name,
 * top-down; most layers do not hold it, and each real lookup of an absent
 * name costs a hash walk, a call into the real filesystem and a negative
 * dentry left in that layer. The name index answers "this real directory
 * does not hold the name" without a real lookup, in two levels:
 *
 * - Per real directory (struct lfs_nameidx): an exact set of the names
 *   it holds, an open addressing hash table of (hash, offset) pairs over
 *   a packed copy of the names, read once with the mounter's credentials.
 *   A name found in it still gets the real lookup (which decides whiteout,
 *   opaque, type); only absent names skip the layer, so a lookup's result
 *   is the same with or without the index.
 * - Per merged layerfs directory (struct lfs_nameidx_merged), once every
 *   lower layer of it is indexed: for each name hash, the first layer
 *   whose index holds a name with that hash. A lookup starts at that
 *   layer (every layer above it lacks the name for sure) or, when no
 *   layer has the hash, is negative at once: one probe whatever the
 *   number of layers.
 *
 * Sharing: the indexes of a layer's real directories belong to the layer's
 * owner (struct lfs_nameidx_owner, a table keyed by the real directory
 * inode): the registry entry of a registered layer, so that every mount of
 * every image built on it uses the same index, or the mount, for the
 * layers of a lowerdir= mount. A layerfs directory inode refers to the
 * index of each of its layers through a slot (struct lfs_nameidx_slot).
 * A merged map of registered layers is shared as well (lfs_nameidx_maps,
 * keyed by the owner of its top layer and its real directories): the same
 * directory in another mount of the image takes it at its first lookup.
 *
 * Coherence: lower layers must not change under a mount, but when they do,
 * the index notices. Each index carries an fsnotify mark on its real
 * directory, added before the directory is read: a name created, removed
 * or renamed there marks the index stale (and bumps lfs_nameidx_gen, which
 * every merged map checks in O(1)). A stale index is rebuilt at its next
 * use. The per-layer path also checks the directory's stamp (mtime,
 * ctime, size, i_version; readdir.c) on every use, as the readdir cache
 * does, which catches what no event reports (a filesystem changed while
 * it was not mounted comes back with new inodes anyway).
 *
 * Bounds: a directory with more than nameidx_max_names names (module
 * parameter) or longer names than an index stores is not indexed; a
 * marker remembers that (until the directory changes) and lookups in that
 * layer fall back to real lookups; a directory with such a layer gets no
 * merged map. Real directories whose lookups are not exact byte matches
 * of what readdir lists (d_hash/d_compare: case folding; fscrypt), or that
 * are revalidated (remote filesystems), or on a stacked filesystem, are
 * never indexed. Unused indexes (no layerfs inode refers to them) stay in
 * their owner's table as a cache until the shrinker or the owner's end
 * frees them.
 *
 * Locking and lifetime:
 * - lfs_nameidx_lock (a spinlock) protects every index's users count, its
 *   owner pointer (NULL once it left the owner's table), the LRU list of
 *   unused hashed indexes, the owners' tables (rhashtable; lookups in them
 *   run under RCU only) and the slots' index pointers (read under RCU);
 *   and the same for merged maps: users, hashed, the table of shared maps,
 *   their LRU list, the owners' lists of them, lfs_nameidx_dir.merged.
 * - A slot and a merged map each hold a use of their indexes; a map is
 *   freed (after a grace period) when it has no users and is in no table,
 *   dropping the uses of its indexes.
 * - An index is freed when it has no users and is in no table: the last
 *   of the two drops puts it on a list for a worker (marks are destroyed
 *   with the fsnotify group's mutex held, which cannot be taken from the
 *   contexts that drop them); the mark's final put frees the memory after
 *   an RCU grace period (lfs_nameidx_free_mark()).
 * - lfs_inode.nameidx (struct lfs_nameidx_dir) is allocated on first use
 *   (published with cmpxchg) and freed with the inode
 *   (lfs_nameidx_evict()), dropping its slots' users.
 * - Concurrent builders of the same directory each build their own index;
 *   the first to insert it into the owner's table wins and the other
 *   uses the winner's.
 */

#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/llist.h>
#include <linux/magic.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/workqueue.h>
#include "layerfs.h"

static unsigned int nameidx_max_names = 65536;
module_param(nameidx_max_names, uint, 0644);
MODULE_PARM_DESC(nameidx_max_names,
		 "Directories with more names are not indexed (default 65536)");

static unsigned int nameidx_build_after = 1;
module_param(nameidx_build_after, uint, 0644);
MODULE_PARM_DESC(nameidx_build_after,
		 "Real lookups in a layer directory before it is indexed, per KiB of directory + 1 (default 1; 0: at once)");

/* Testing only: keep this many low bits of the name hash (0: all). */
static unsigned int nameidx_hash_bits;
module_param(nameidx_hash_bits, uint, 0644);
MODULE_PARM_DESC(nameidx_hash_bits,
		 "Debug: truncate name hashes to force collisions (0: off)");

/* Longest name an index stores; its length is kept in one byte. */
#define LFS_NAMEIDX_NAME_MAX	255
/* Bytes of packed names an index may hold. */
#define LFS_NAMEIDX_MAX_BYTES	(8U << 20)
/* Names a merged map may hold, in units of nameidx_max_names. */
#define LFS_NAMEIDX_MERGED_MAX	16

/* What changes the names of a directory. */
#define LFS_NAMEIDX_EVENTS	(FS_CREATE | FS_DELETE | FS_MOVED_FROM | \
				 FS_MOVED_TO | FS_DELETE_SELF | FS_UNMOUNT)

struct lfs_nameidx_ent {
	u32 hash;
	u32 off;			/* 1 + offset of [len][name], 0: free */
};

struct lfs_nameidx {
	struct fsnotify_mark mark;	/* on the real directory */
	struct rhash_head node;		/* in owner->table */
	struct inode *key;		/* the real directory (the mark pins it) */
	struct lfs_nameidx_owner *owner; /* NULL: out of the table */
	struct list_head lru;		/* lfs_nameidx_lru: hashed, unused */
	struct list_head own;		/* owner->all: hashed */
	struct llist_node free;		/* lfs_nameidx_free_list */
	struct rcu_head rcu;
	unsigned int users;		/* slots that refer to it */
	unsigned long stale;		/* bit 0: its directory changed */
	bool marked;			/* the mark is on the directory */
	bool noindex;			/* too big or not indexable */
	struct lfs_dir_stamp stamp;	/* real dir before it was read */
	size_t bytes;
	u32 hmask;			/* hash bits used */
	u32 mask;			/* table slots - 1 */
	u32 nr;				/* names */
	char *names;			/* after tab[] */
	struct lfs_nameidx_ent *tab;	/* one allocation with names */
};

/* The indexes of one layer (registry entry) or one mount's layers. */
struct lfs_nameidx_owner {
	refcount_t ref;
	bool registry;			/* a registry entry's: maps are shared */
	struct rhashtable table;	/* real dir inode -> index */
	struct list_head all;		/* its hashed indexes */
	struct list_head maps;		/* hashed merged maps keyed by it */
};

static const struct rhashtable_params lfs_nameidx_params = {
	.key_len = sizeof(struct inode *),
	.key_offset = offsetof(struct lfs_nameidx, key),
	.head_offset = offsetof(struct lfs_nameidx, node),
	.automatic_shrinking = true,
};

struct lfs_nameidx_ment {
	u32 hash;
	u32 first;			/* 1 + first layer with the hash, 0: free */
};

/* What a merged map is found by: its top layer's owner, its real dirs. */
struct lfs_nameidx_mkey {
	struct lfs_nameidx_owner *owner;
	u64 hash;
};

/*
 * For each name hash of a merged directory, the first layer holding it.
 * Made of the indexes @sets (a use of each is held), one per lower layer;
 * valid while none of them is stale. A map of registered layers is
 * shared: every directory inode, of any mount, whose lower layers are the
 * same real directories of the same registry entries finds it in
 * lfs_nameidx_maps.
 */
struct lfs_nameidx_merged {
	struct rcu_head rcu;
	struct rhash_head node;		/* in lfs_nameidx_maps, if hashed */
	struct lfs_nameidx_mkey key;
	struct list_head own;		/* key.owner->maps, if hashed */
	struct list_head lru;		/* lfs_nameidx_map_lru: hashed, unused */
	unsigned int users;		/* directories using it */
	bool hashed;
	long gen;			/* lfs_nameidx_gen it was valid at */
	size_t bytes;
	u32 hmask;
	u32 mask;
	unsigned int nr;
	struct lfs_nameidx **sets;	/* nr, after tab[] */
	struct lfs_nameidx_ment tab[];
};

static const struct rhashtable_params lfs_nameidx_map_params = {
	.key_len = sizeof(struct lfs_nameidx_mkey),
	.key_offset = offsetof(struct lfs_nameidx_merged, key),
	.head_offset = offsetof(struct lfs_nameidx_merged, node),
	.automatic_shrinking = true,
};

/* One per lower layer of a layerfs directory. */
struct lfs_nameidx_slot {
	struct lfs_nameidx __rcu *idx;	/* a user of it; lfs_nameidx_lock */
};

/* lfs_inode.nameidx of a directory */
struct lfs_nameidx_dir {
	struct lfs_nameidx_merged __rcu *merged; /* a user of it */
	bool looked;			/* for a shared map, once */
	unsigned int used;		/* slots that have had an index */
	atomic_t lookups;		/* its indexed lookups (to INT_MAX / 2) */
	unsigned int nr;
	struct lfs_nameidx_slot slots[];
};

static DEFINE_SPINLOCK(lfs_nameidx_lock);
static LIST_HEAD(lfs_nameidx_lru);
static unsigned long lfs_nameidx_unused;	/* on the LRU list */
/* Shared merged maps; unused ones on their LRU list. */
static struct rhashtable lfs_nameidx_maps;
static LIST_HEAD(lfs_nameidx_map_lru);
static unsigned long lfs_nameidx_maps_unused;
static struct shrinker *lfs_nameidx_shrinker;
static struct fsnotify_group *lfs_nameidx_group;
/* Bumped after an index went stale: merged maps check their layers. */
static atomic_long_t lfs_nameidx_gen = ATOMIC_LONG_INIT(0);
/* Indexes not freed yet, checked at module exit. */
static atomic_long_t lfs_nameidx_live = ATOMIC_LONG_INIT(0);
static LLIST_HEAD(lfs_nameidx_free_list);
static void lfs_nameidx_free_workfn(struct work_struct *work);
static DECLARE_WORK(lfs_nameidx_free_work, lfs_nameidx_free_workfn);

struct lfs_nameidx_reader {
	struct dir_context ctx;
	char *buf;
	size_t used;
	size_t size;
	unsigned int nr;
	unsigned int max;
	unsigned int count;		/* entries seen in this batch */
	bool toobig;
	int err;
};

static bool lfs_nameidx_fill(struct dir_context *ctx, const char *name,
			     int namelen, loff_t offset, u64 ino,
			     unsigned int d_type)
{
	struct lfs_nameidx_reader *rd = container_of(ctx, typeof(*rd), ctx);

	rd->count++;
	if (is_dot_dotdot(name, namelen))
		return true;
	if (rd->nr >= rd->max || namelen > LFS_NAMEIDX_NAME_MAX ||
	    rd->used + namelen + 1 > LFS_NAMEIDX_MAX_BYTES) {
		/* Ends the read (lfs_read_real_dir()); not an error. */
		rd->toobig = true;
		rd->err = -EFBIG;
		return false;
	}
	if (rd->used + namelen + 1 > rd->size) {
		size_t size = max_t(size_t, rd->size * 2, 4096);
		char *buf = lfs_kvrealloc(rd->buf, rd->size, size,
					  GFP_KERNEL_ACCOUNT);

		if (!buf) {
			rd->err = -ENOMEM;
			return false;
		}
		rd->buf = buf;
		rd->size = size;
	}
	rd->buf[rd->used] = namelen;
	memcpy(rd->buf + rd->used + 1, name, namelen);
	rd->used += namelen + 1;
	rd->nr++;
	return true;
}

/* Unsalted: one hash of a name serves the indexes of every layer. */
u32 lfs_nameidx_hash(const struct qstr *name)
{
	return full_name_hash(NULL, name->name, name->len);
}

static void lfs_nameidx_insert(struct lfs_nameidx *idx, u32 off)
{
	const char *rec = idx->names + off;
	u32 hash = full_name_hash(NULL, rec + 1, (u8)rec[0]) & idx->hmask;
	u32 i = hash & idx->mask;

	while (idx->tab[i].off)
		i = (i + 1) & idx->mask;
	idx->tab[i].hash = hash;
	idx->tab[i].off = off + 1;
}

/*
 * Does the index hold @name (@hash: lfs_nameidx_hash())? The table is at
 * most half full.
 */
static bool lfs_nameidx_find(const struct lfs_nameidx *idx,
			     const struct qstr *name, u32 hash)
{
	u32 i;

	hash &= idx->hmask;
	if (name->len > LFS_NAMEIDX_NAME_MAX)
		return false;
	for (i = hash & idx->mask; idx->tab[i].off; i = (i + 1) & idx->mask) {
		const char *rec = idx->names + idx->tab[i].off - 1;

		if (idx->tab[i].hash == hash && (u8)rec[0] == name->len &&
		    !memcmp(rec + 1, name->name, name->len))
			return true;
	}
	return false;
}

static bool lfs_nameidx_is_stale(const struct lfs_nameidx *idx)
{
	return test_bit(0, &idx->stale);
}

/*
 * A name in the directory changed: the index no longer says the truth.
 * Only the first event bumps the generation (every merged map rechecks
 * its layers after a bump); test_and_set_bit() orders the flag before it.
 */
static void lfs_nameidx_set_stale(struct lfs_nameidx *idx)
{
	if (!test_and_set_bit(0, &idx->stale))
		atomic_long_inc(&lfs_nameidx_gen);
}

static int lfs_nameidx_event(struct fsnotify_mark *mark, u32 mask,
			     struct inode *inode, struct inode *dir,
			     const struct qstr *name, u32 cookie)
{
	lfs_nameidx_set_stale(container_of(mark, struct lfs_nameidx, mark));
	return 0;
}

/* The mark goes, by us or because the real filesystem is shut down. */
static void lfs_nameidx_freeing_mark(struct fsnotify_mark *mark,
				     struct fsnotify_group *group)
{
	lfs_nameidx_set_stale(container_of(mark, struct lfs_nameidx, mark));
}

static void lfs_nameidx_free_rcu(struct rcu_head *head)
{
	struct lfs_nameidx *idx = container_of(head, typeof(*idx), rcu);

	kvfree(idx->tab);
	kfree(idx);
	atomic_long_dec(&lfs_nameidx_live);
}

/* The mark's last reference: lookups under RCU may still read it. */
static void lfs_nameidx_free_mark(struct fsnotify_mark *mark)
{
	struct lfs_nameidx *idx = container_of(mark, typeof(*idx), mark);

	call_rcu(&idx->rcu, lfs_nameidx_free_rcu);
}

static const struct fsnotify_ops lfs_nameidx_fsnotify_ops = {
	.handle_inode_event	= lfs_nameidx_event,
	.freeing_mark		= lfs_nameidx_freeing_mark,
	.free_mark		= lfs_nameidx_free_mark,
};

static void lfs_nameidx_free_workfn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&lfs_nameidx_free_list);
	struct lfs_nameidx *idx, *next;

	llist_for_each_entry_safe(idx, next, list, free) {
		if (idx->marked)
			fsnotify_destroy_mark(&idx->mark, lfs_nameidx_group);
		fsnotify_put_mark(&idx->mark);
	}
}

/* No users, in no table: free it (from a worker, see the top). */
static void lfs_nameidx_free_later(struct lfs_nameidx *idx)
{
	if (llist_add(&idx->free, &lfs_nameidx_free_list))
		schedule_work(&lfs_nameidx_free_work);
}

/*
 * Take @idx out of its owner's table. Returns true when nobody uses it
 * any more: the caller frees it after dropping the lock.
 */
static bool lfs_nameidx_unhash(struct lfs_nameidx *idx)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	if (idx->owner) {
		rhashtable_remove_fast(&idx->owner->table, &idx->node,
				       lfs_nameidx_params);
		list_del_init(&idx->own);
		idx->owner = NULL;
	}
	if (!list_empty(&idx->lru)) {
		list_del_init(&idx->lru);
		lfs_nameidx_unused--;
	}
	return !idx->users;
}

/*
 * A new, empty index of @inode; with @mark, its mark is on @inode (added
 * before the directory is read). Only marked indexes go into a table:
 * the mark pins the inode that is their key. Either way the index is
 * freed through the mark's last put (lfs_nameidx_free_mark()).
 */
static struct lfs_nameidx *lfs_nameidx_new(struct inode *inode, bool mark)
{
	struct lfs_nameidx *idx;
	int err;

	idx = kzalloc(sizeof(*idx), GFP_KERNEL_ACCOUNT);
	if (!idx)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&lfs_nameidx_live);
	INIT_LIST_HEAD(&idx->lru);
	INIT_LIST_HEAD(&idx->own);
	idx->key = inode;
	fsnotify_init_mark(&idx->mark, lfs_nameidx_group);
	idx->mark.mask = LFS_NAMEIDX_EVENTS;
	if (!mark)
		return idx;
	err = fsnotify_add_inode_mark(&idx->mark, inode, 0);
	if (err) {
		/* Never attached: the put alone frees it (free_mark). */
		fsnotify_put_mark(&idx->mark);
		return ERR_PTR(err);
	}
	idx->marked = true;
	return idx;
}

/* Free an index nobody saw: the builder's own, on error or a lost race. */
static void lfs_nameidx_discard(struct lfs_nameidx *idx)
{
	if (idx->marked)
		fsnotify_destroy_mark(&idx->mark, lfs_nameidx_group);
	fsnotify_put_mark(&idx->mark);
}

static int lfs_nameidx_alloc_tab(struct lfs_nameidx *idx, u32 nslots,
				 size_t names)
{
	size_t bytes = array_size(nslots, sizeof(*idx->tab)) + names;

	idx->tab = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!idx->tab)
		return -ENOMEM;
	idx->bytes = sizeof(*idx) + bytes;
	idx->mask = nslots - 1;
	idx->names = (char *)&idx->tab[nslots];
	return 0;
}

/*
 * Can lookups in this real directory be answered from what readdir
 * lists, and does every change of its names go through this kernel's
 * VFS (which sends the events the index relies on)? Only on local
 * filesystems: block device filesystems but FUSE's, and tmpfs/ramfs; not
 * network, FUSE or pseudo filesystems (9p without a cache, the root of a
 * FUSE mount and procfs have no revalidation, yet change behind the
 * dcache). And only where a lookup is an exact byte match (no d_hash or
 * d_compare: case folding) of a name that does not depend on a key
 * (fscrypt), on a non-stacked filesystem. ext4's sb-wide d_revalidate is
 * fscrypt's, which unencrypted dentries have cleared from their flags.
 */
static bool lfs_nameidx_local(const struct super_block *sb)
{
	if (sb->s_magic == TMPFS_MAGIC || sb->s_magic == RAMFS_MAGIC)
		return true;
	return sb->s_type->fs_flags & FS_REQUIRES_DEV &&
	       sb->s_magic != FUSE_SUPER_MAGIC;
}

static bool lfs_nameidx_indexable(struct dentry *realdir)
{
	struct inode *inode = d_inode(realdir);
	struct super_block *sb = realdir->d_sb;
	const struct dentry_operations *dop = sb->s_d_op;

	if (!lfs_nameidx_local(sb))
		return false;
	if (sb->s_stack_depth || IS_CASEFOLDED(inode) || IS_ENCRYPTED(inode))
		return false;
	if (realdir->d_flags & (DCACHE_OP_HASH | DCACHE_OP_COMPARE |
				DCACHE_OP_REVALIDATE |
				DCACHE_OP_WEAK_REVALIDATE))
		return false;
	return !dop || !(dop->d_hash || dop->d_compare);
}

/*
 * Build the index of one real directory. Runs with the mounter's
 * credentials and no layerfs locks but the parent's (shared) i_rwsem.
 * Returns a marker index (noindex) when the directory is not indexed
 * (too big, not indexable, or reading it failed for good).
 */
static struct lfs_nameidx *lfs_nameidx_build(struct lfs_fs *ofs,
					     const struct lfs_path *lp)
{
	struct lfs_nameidx_reader rd = {
		.ctx.actor = lfs_nameidx_fill,
		/* 2 * max table slots fit in a u32 */
		.max = min(READ_ONCE(nameidx_max_names), 1U << 24),
	};
	struct path realpath = { .mnt = lp->layer->mnt, .dentry = lp->dentry };
	unsigned int bits = READ_ONCE(nameidx_hash_bits);
	bool indexable = lfs_nameidx_indexable(lp->dentry);
	struct lfs_nameidx *idx;
	u32 nslots, off;
	int err = 0;

	/* The mark and the stamp first: a change while reading is seen. */
	idx = lfs_nameidx_new(d_inode(lp->dentry), indexable);
	if (IS_ERR(idx))
		return idx;
	lfs_stamp(&idx->stamp, d_inode(lp->dentry));
	if (indexable)
		err = lfs_read_real_dir(&realpath, &rd.ctx, &rd.count, &rd.err);
	else
		rd.toobig = true;
	if (err == -EFBIG)
		err = 0;	/* rd.toobig */

	if (err || rd.toobig) {
		kvfree(rd.buf);
		/* Transient: no marker, the next lookup tries again. */
		if (err == -ENOMEM || err == -EINTR ||
		    fatal_signal_pending(current)) {
			lfs_nameidx_discard(idx);
			return ERR_PTR(err ?: -EINTR);
		}
		lfs_stat_inc(ofs, LFS_STAT_NAMEIDX_FALLBACKS);
		err = lfs_nameidx_alloc_tab(idx, 1, 0);
		if (err) {
			lfs_nameidx_discard(idx);
			return ERR_PTR(err);
		}
		idx->noindex = true;
		return idx;
	}

	nslots = roundup_pow_of_two(max(2 * rd.nr, 2U));
	err = lfs_nameidx_alloc_tab(idx, nslots, rd.used);
	if (err) {
		kvfree(rd.buf);
		lfs_nameidx_discard(idx);
		return ERR_PTR(err);
	}
	idx->hmask = bits && bits < 32 ? (1U << bits) - 1 : U32_MAX;
	idx->nr = rd.nr;
	if (rd.used)
		memcpy(idx->names, rd.buf, rd.used);
	kvfree(rd.buf);
	for (off = 0; off < rd.used; off += (u8)idx->names[off] + 1)
		lfs_nameidx_insert(idx, off);
	lfs_stat_inc(ofs, LFS_STAT_NAMEIDX_BUILDS);
	return idx;
}

static bool lfs_nameidx_valid(const struct lfs_nameidx *idx)
{
	return !lfs_nameidx_is_stale(idx) && lfs_stamp_valid(&idx->stamp);
}

/* The per-directory part of @dir, allocated on first use. */
static struct lfs_nameidx_dir *lfs_nameidx_dir(struct inode *dir)
{
	struct lfs_inode *oi = LFS_I(dir);
	unsigned int nr = lfs_numlower(oi->oe);
	struct lfs_nameidx_dir *d, *old;

	/* Pairs with cmpxchg_release() below: the array is zeroed. */
	d = smp_load_acquire(&oi->nameidx);
	if (d)
		return d;
	d = kvzalloc(struct_size(d, slots, nr), GFP_KERNEL_ACCOUNT);
	if (!d)
		return NULL;
	d->nr = nr;
	old = cmpxchg_release(&oi->nameidx, NULL, d);
	if (old) {
		kvfree(d);
		d = old;
	}
	return d;
}

/* Drop a use of @idx (a slot's or a map's). true: the caller frees it. */
static bool lfs_nameidx_unhold(struct lfs_nameidx *idx)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	if (--idx->users)
		return false;
	if (!idx->owner)
		return true;
	list_add_tail(&idx->lru, &lfs_nameidx_lru);
	lfs_nameidx_unused++;
	return false;
}

static void lfs_nameidx_hold(struct lfs_nameidx *idx)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	if (!idx->users++ && !list_empty(&idx->lru)) {
		list_del_init(&idx->lru);
		lfs_nameidx_unused--;
	}
}

/* A slot's use: counted in the mount's index bytes. */
static bool lfs_nameidx_put_user(struct lfs_fs *ofs, struct lfs_nameidx *idx)
{
	atomic_long_sub(idx->bytes, &ofs->nameidx_bytes);
	return lfs_nameidx_unhold(idx);
}

static void lfs_nameidx_get_user(struct lfs_fs *ofs, struct lfs_nameidx *idx)
{
	lfs_nameidx_hold(idx);
	atomic_long_add(idx->bytes, &ofs->nameidx_bytes);
}

/* Point @slot of @d at @idx (a user is taken), dropping what it had. */
static void lfs_nameidx_set_slot(struct lfs_fs *ofs, struct lfs_nameidx_dir *d,
				 struct lfs_nameidx_slot *slot,
				 struct lfs_nameidx *idx)
{
	struct lfs_nameidx *old;
	bool free_old = false;

	lockdep_assert_held(&lfs_nameidx_lock);
	old = rcu_dereference_protected(slot->idx,
					lockdep_is_held(&lfs_nameidx_lock));
	if (old == idx)
		return;
	lfs_nameidx_get_user(ofs, idx);
	rcu_assign_pointer(slot->idx, idx);
	if (!old)
		WRITE_ONCE(d->used, d->used + 1);
	if (old) {
		/*
		 * Replaced because it was no longer valid (stale, or its
		 * directory's stamp moved): the merged maps made of it, in
		 * this directory or shared with others, must not answer.
		 */
		lfs_nameidx_set_stale(old);
		free_old = lfs_nameidx_put_user(ofs, old);
	}
	if (free_old)
		lfs_nameidx_free_later(old);
}

/* What a lookup of a name learns from an index. */
struct lfs_nameidx_query {
	const struct qstr *name;
	u32 hash;
	bool hold;			/* the layer may hold the name */
	bool indexed;			/* an index (not a marker) said so */
};

static void lfs_nameidx_ask(const struct lfs_nameidx *idx,
			    struct lfs_nameidx_query *q)
{
	q->indexed = !idx->noindex;
	q->hold = idx->noindex || lfs_nameidx_find(idx, q->name, q->hash);
}

/*
 * Use a valid index of @inode from @owner's table for @slot and answer @q
 * from it (under the lock: another lookup may replace the slot's index
 * and free it as soon as the lock is dropped). false: none there.
 */
static bool lfs_nameidx_shared(struct lfs_fs *ofs,
			       struct lfs_nameidx_owner *owner,
			       struct inode *inode, struct lfs_nameidx_dir *d,
			       struct lfs_nameidx_slot *slot,
			       struct lfs_nameidx_query *q)
{
	struct lfs_nameidx *idx;

	/* Most misses are before any build: no lock, often no lookup. */
	if (!owner || !atomic_read(&owner->table.nelems))
		return false;
	rcu_read_lock();
	idx = rhashtable_lookup(&owner->table, &inode, lfs_nameidx_params);
	rcu_read_unlock();
	if (!idx)
		return false;
	spin_lock(&lfs_nameidx_lock);
	idx = rhashtable_lookup_fast(&owner->table, &inode, lfs_nameidx_params);
	if (idx && lfs_nameidx_valid(idx)) {
		lfs_nameidx_set_slot(ofs, d, slot, idx);
		lfs_nameidx_ask(idx, q);
	} else {
		idx = NULL;
	}
	spin_unlock(&lfs_nameidx_lock);
	return !!idx;
}

/*
 * Publish a freshly built @idx: in @owner's table (unless a valid one got
 * there first, which is then used instead) and in @slot; answer @q from
 * the index the slot now uses.
 */
static void lfs_nameidx_publish(struct lfs_fs *ofs,
				struct lfs_nameidx_owner *owner,
				struct lfs_nameidx_dir *d,
				struct lfs_nameidx_slot *slot,
				struct lfs_nameidx *idx,
				struct lfs_nameidx_query *q)
{
	struct lfs_nameidx *old = NULL, *lost = NULL;
	bool free_old = false;

	spin_lock(&lfs_nameidx_lock);
	if (owner && idx->marked) {
		old = rhashtable_lookup_fast(&owner->table, &idx->key,
					     lfs_nameidx_params);
		if (old && lfs_nameidx_valid(old)) {
			lost = idx;
			idx = old;
			old = NULL;
		} else {
			/*
			 * Not valid (stale, or its directory's stamp moved):
			 * no map made of it may answer any more either.
			 */
			if (old) {
				lfs_nameidx_set_stale(old);
				free_old = lfs_nameidx_unhash(old);
			}
			/* Not shared when the table cannot take it. */
			if (!rhashtable_insert_fast(&owner->table, &idx->node,
						    lfs_nameidx_params)) {
				idx->owner = owner;
				list_add(&idx->own, &owner->all);
			}
		}
	}
	lfs_nameidx_set_slot(ofs, d, slot, idx);
	lfs_nameidx_ask(idx, q);
	spin_unlock(&lfs_nameidx_lock);
	if (free_old)
		lfs_nameidx_free_later(old);
	if (lost)
		lfs_nameidx_discard(lost);
}

/*
 * Real lookups a layer directory gets before it is indexed: reading a
 * directory costs about as much as a few real lookups plus a fraction of
 * one per name, so the bigger the directory (i_size, in KiB, as a rough
 * measure of its names on any filesystem) the more lookups it must have
 * had for the index to pay. 0 (nameidx_build_after=0) indexes at once.
 */
static unsigned int lfs_nameidx_build_after(struct dentry *realdir)
{
	u64 after = READ_ONCE(nameidx_build_after);
	loff_t kib = i_size_read(d_inode(realdir)) >> 10;

	return min_t(u64, after * (1 + min_t(loff_t, kib, 1U << 20)),
		     INT_MAX / 2);
}

/*
 * A lookup in @dir that the merged map did not answer: are the layers'
 * indexes worth asking one by one? Not before the directory had enough
 * lookups to be indexed (lfs_nameidx_build_after(), at least
 * nameidx_build_after), unless an index of one of its layers exists
 * already: a directory looked into once costs what it costs without the
 * index, not an index question per layer more.
 */
bool lfs_nameidx_begin(struct inode *dir)
{
	/* Pairs with cmpxchg_release() in lfs_nameidx_dir(). */
	struct lfs_nameidx_dir *d = smp_load_acquire(&LFS_I(dir)->nameidx);
	const struct lfs_entry *oe = LFS_E(dir);
	const struct lfs_nameidx_owner *owner, *last = NULL;
	unsigned int i;

	/* this lookup was counted by lfs_nameidx_first() */
	if (!d || (unsigned int)atomic_read(&d->lookups) >
		  READ_ONCE(nameidx_build_after) || READ_ONCE(d->used))
		return true;
	for (i = 0; i < lfs_numlower(oe); i++) {
		owner = oe->lowerstack[i].layer->nidx;
		if (owner == last || !owner)
			continue;
		if (atomic_read(&owner->table.nelems))
			return true;
		last = owner;
	}
	return false;
}

/*
 * May lower layer @i of directory @dir hold @name (@hash:
 * lfs_nameidx_hash())? false only when a valid index of that real
 * directory says it does not, so that the caller can skip the real
 * lookup; *@indexed tells whether an index answered. The caller holds
 * the mounter's credentials and @dir's i_rwsem (shared at least).
 *
 * An index of the real directory in the layer's table (built for another
 * directory inode or mount) is used at once. Otherwise building one costs
 * a few real lookups (an open, a read and a close of the real directory)
 * and more for big directories, so a layer directory is only indexed once
 * enough real lookups went to it (lfs_nameidx_build_after()): a directory
 * looked into once costs what it costs without the index. A stale index
 * is rebuilt at once.
 */
bool lfs_nameidx_may_hold(struct inode *dir, unsigned int i,
			  const struct qstr *name, u32 hash, bool *indexed)
{
	struct lfs_fs *ofs = LFS_FS(dir->i_sb);
	const struct lfs_path *lp = &LFS_E(dir)->lowerstack[i];
	struct lfs_nameidx_owner *owner = lp->layer->nidx;
	struct lfs_nameidx_query q = { .name = name, .hash = hash, .hold = true };
	struct lfs_nameidx_slot *slot;
	struct lfs_nameidx_dir *d;
	struct lfs_nameidx *idx;
	bool valid = false, had = false;

	*indexed = false;
	/* Pairs with cmpxchg_release() in lfs_nameidx_dir(). */
	d = smp_load_acquire(&LFS_I(dir)->nameidx);
	if (d) {
		rcu_read_lock();
		idx = rcu_dereference(d->slots[i].idx);
		had = idx;
		valid = idx && lfs_nameidx_valid(idx);
		if (valid)
			lfs_nameidx_ask(idx, &q);
		rcu_read_unlock();
	} else {
		d = lfs_nameidx_dir(dir);
		if (!d)
			return true;
	}
	if (valid)
		goto out;
	slot = &d->slots[i];
	if (lfs_nameidx_shared(ofs, owner, d_inode(lp->dentry), d, slot, &q)) {
		lfs_stat_inc(ofs, LFS_STAT_NAMEIDX_SHARED);
		goto out;
	}
	/* this lookup counted (lfs_nameidx_first()) */
	if (!had && (unsigned int)atomic_read(&d->lookups) <=
		    lfs_nameidx_build_after(lp->dentry))
		return true;
	idx = lfs_nameidx_build(ofs, lp);
	if (IS_ERR(idx))
		return true;
	lfs_nameidx_publish(ofs, owner, d, slot, idx, &q);
out:
	*indexed = q.indexed;
	return q.hold;
}

/*
 * Drop a directory's use of @m. Unused, a shared map stays in the table
 * (for the shrinker); a private one is freed with the uses of its
 * indexes, after a grace period (lookups read it under RCU).
 */
static void lfs_nameidx_map_free(struct lfs_nameidx_merged *m)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (lfs_nameidx_unhold(m->sets[i]))
			lfs_nameidx_free_later(m->sets[i]);
	kvfree_rcu(m, rcu);
}

static void lfs_nameidx_map_put(struct lfs_nameidx_merged *m)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	if (--m->users)
		return;
	if (m->hashed) {
		list_add_tail(&m->lru, &lfs_nameidx_map_lru);
		lfs_nameidx_maps_unused++;
		return;
	}
	lfs_nameidx_map_free(m);
}

static void lfs_nameidx_map_get(struct lfs_nameidx_merged *m)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	if (!m->users++ && !list_empty(&m->lru)) {
		list_del_init(&m->lru);
		lfs_nameidx_maps_unused--;
	}
}

/* Take @m out of lfs_nameidx_maps; freed now if nothing uses it. */
static void lfs_nameidx_map_unhash(struct lfs_nameidx_merged *m)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	if (!m->hashed)
		return;
	rhashtable_remove_fast(&lfs_nameidx_maps, &m->node,
			       lfs_nameidx_map_params);
	list_del_init(&m->own);
	m->hashed = false;
	if (!m->users) {
		list_del_init(&m->lru);
		lfs_nameidx_maps_unused--;
		lfs_nameidx_map_free(m);
	}
}

/*
 * The key a shared map of @dir has: false when one of its layers is not
 * a registry entry's (a lowerdir= mount's maps are its own).
 */
static bool lfs_nameidx_map_key(struct inode *dir, struct lfs_nameidx_mkey *key)
{
	const struct lfs_entry *oe = LFS_E(dir);
	unsigned int i, nr = lfs_numlower(oe);
	u64 h = nr;

	/* The key is compared as bytes: no stray padding (32-bit ABIs). */
	memset(key, 0, sizeof(*key));
	for (i = 0; i < nr; i++) {
		const struct lfs_path *lp = &oe->lowerstack[i];

		if (!lp->layer->nidx || !lp->layer->nidx->registry)
			return false;
		h = (h ^ (unsigned long)d_inode(lp->dentry)) * GOLDEN_RATIO_64;
		h ^= h >> 29;
	}
	key->owner = oe->lowerstack[0].layer->nidx;
	key->hash = h;
	return true;
}

/*
 * Does @m answer for @dir: made of valid indexes of the same real
 * directories in the same layers' tables? The lock is held (the indexes'
 * owners).
 */
static bool lfs_nameidx_map_fits(const struct lfs_nameidx_merged *m,
				 struct inode *dir)
{
	const struct lfs_entry *oe = LFS_E(dir);
	unsigned int i;

	lockdep_assert_held(&lfs_nameidx_lock);
	if (m->nr != lfs_numlower(oe))
		return false;
	for (i = 0; i < m->nr; i++) {
		const struct lfs_path *lp = &oe->lowerstack[i];
		const struct lfs_nameidx *idx = m->sets[i];

		if (idx->key != d_inode(lp->dentry) ||
		    idx->owner != lp->layer->nidx || lfs_nameidx_is_stale(idx))
			return false;
	}
	return true;
}

/* Make @m the map of @d (a use of it is the caller's), dropping the old. */
static void lfs_nameidx_set_map(struct lfs_fs *ofs, struct lfs_nameidx_dir *d,
				struct lfs_nameidx_merged *m)
{
	struct lfs_nameidx_merged *old;

	lockdep_assert_held(&lfs_nameidx_lock);
	old = rcu_dereference_protected(d->merged,
					lockdep_is_held(&lfs_nameidx_lock));
	rcu_assign_pointer(d->merged, m);
	atomic_long_add(m->bytes, &ofs->nameidx_bytes);
	if (old) {
		atomic_long_sub(old->bytes, &ofs->nameidx_bytes);
		lfs_nameidx_map_put(old);
	}
}

/*
 * A directory looked into for the first time: another directory inode
 * (of this or another mount of the same registered layers) may have made
 * its merged map already. Then it answers at once, without a look at the
 * layers' indexes one by one.
 */
static void lfs_nameidx_find_map(struct inode *dir, struct lfs_nameidx_dir *d)
{
	struct lfs_nameidx_merged *m;
	struct lfs_nameidx_mkey key;

	WRITE_ONCE(d->looked, true);
	if (!atomic_read(&lfs_nameidx_maps.nelems) ||
	    !lfs_nameidx_map_key(dir, &key))
		return;
	rcu_read_lock();
	m = rhashtable_lookup(&lfs_nameidx_maps, &key, lfs_nameidx_map_params);
	rcu_read_unlock();
	if (!m)
		return;
	spin_lock(&lfs_nameidx_lock);
	m = rhashtable_lookup_fast(&lfs_nameidx_maps, &key,
				   lfs_nameidx_map_params);
	if (m && !rcu_access_pointer(d->merged) && lfs_nameidx_map_fits(m, dir)) {
		lfs_nameidx_map_get(m);
		lfs_nameidx_set_map(LFS_FS(dir->i_sb), d, m);
		lfs_stat_inc(LFS_FS(dir->i_sb), LFS_STAT_NAMEIDX_MERGED_SHARED);
	}
	spin_unlock(&lfs_nameidx_lock);
}

/*
 * The merged map @m still answers when no index it was made from went
 * stale: @gen is the generation read before looking.
 */
static bool lfs_nameidx_merged_recheck(struct lfs_nameidx_merged *m, long gen)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (lfs_nameidx_is_stale(m->sets[i]))
			return false;
	WRITE_ONCE(m->gen, gen);
	return true;
}

/*
 * The first lower layer of @dir that may hold a name with @hash, from the
 * merged map: lfs_numlower() when none does, -1 when there is no valid
 * map (the caller asks each layer then).
 */
int lfs_nameidx_first(struct inode *dir, u32 hash)
{
	/* Pairs with cmpxchg_release() in lfs_nameidx_dir(). */
	struct lfs_nameidx_dir *d = smp_load_acquire(&LFS_I(dir)->nameidx);
	struct lfs_nameidx_merged *m;
	int first = -1;
	long gen;
	u32 i;

	if (!d) {
		d = lfs_nameidx_dir(dir);
		if (!d)
			return -1;
	}
	/* Counted up to where no build_after reaches (it only grows). */
	if (atomic_read(&d->lookups) < INT_MAX / 2)
		atomic_inc(&d->lookups);
	if (!READ_ONCE(d->looked) && !rcu_access_pointer(d->merged))
		lfs_nameidx_find_map(dir, d);
	rcu_read_lock();
	m = rcu_dereference(d->merged);
	if (!m)
		goto out;
	/*
	 * An index of the map went stale (or was replaced, which marks it
	 * stale): the map is made of old names. Pairs with
	 * test_and_set_bit() in lfs_nameidx_set_stale().
	 */
	gen = atomic_long_read_acquire(&lfs_nameidx_gen);
	if (READ_ONCE(m->gen) != gen && !lfs_nameidx_merged_recheck(m, gen))
		goto out;
	hash &= m->hmask;
	first = d->nr;
	for (i = hash & m->mask; m->tab[i].first; i = (i + 1) & m->mask) {
		if (m->tab[i].hash == hash) {
			first = m->tab[i].first - 1;
			break;
		}
	}
out:
	rcu_read_unlock();
	return first;
}

static void lfs_nameidx_merged_add(struct lfs_nameidx_merged *m, u32 hash,
				   u32 first)
{
	u32 i;

	for (i = hash & m->mask; m->tab[i].first; i = (i + 1) & m->mask)
		if (m->tab[i].hash == hash)
			return;		/* a higher layer has it */
	m->tab[i].hash = hash;
	m->tab[i].first = first;
}

/*
 * Count the names of @d's indexes into *@total; false when one is missing
 * or unusable.
 */
static bool lfs_nameidx_merged_names(struct lfs_nameidx_dir *d, u32 *hmask,
				     size_t *total)
{
	struct lfs_nameidx *idx;
	unsigned int i;
	bool ok = true;

	*total = 0;
	rcu_read_lock();
	for (i = 0; ok && i < d->nr; i++) {
		idx = rcu_dereference(d->slots[i].idx);
		ok = idx && !idx->noindex && !lfs_nameidx_is_stale(idx) &&
		     (!i || idx->hmask == *hmask);
		if (ok) {
			*hmask = idx->hmask;
			*total += idx->nr;
		}
	}
	rcu_read_unlock();
	return ok;
}

/*
 * Publish the map @m just made of @d's slots, unless a slot changed
 * meanwhile. A map of registered layers goes into lfs_nameidx_maps; when
 * one with its key is there and fits, @d uses that one instead. Lock held.
 * false: @m was not used (the caller frees it; it holds no index).
 */
static bool lfs_nameidx_publish_map(struct inode *dir,
				    struct lfs_nameidx_dir *d,
				    struct lfs_nameidx_merged *m)
{
	struct lfs_fs *ofs = LFS_FS(dir->i_sb);
	struct lfs_nameidx_merged *old;
	unsigned int i;

	lockdep_assert_held(&lfs_nameidx_lock);
	for (i = 0; i < d->nr; i++)
		if (rcu_access_pointer(d->slots[i].idx) != m->sets[i] ||
		    lfs_nameidx_is_stale(m->sets[i]))
			return false;
	if (lfs_nameidx_map_key(dir, &m->key)) {
		old = rhashtable_lookup_get_insert_fast(&lfs_nameidx_maps,
							&m->node,
							lfs_nameidx_map_params);
		if (old && !IS_ERR(old) && lfs_nameidx_map_fits(old, dir)) {
			/* made by another directory since this one looked */
			lfs_nameidx_map_get(old);
			lfs_nameidx_set_map(ofs, d, old);
			return false;
		}
		if (old && !IS_ERR(old)) {
			lfs_nameidx_map_unhash(old);
			old = rhashtable_lookup_get_insert_fast(&lfs_nameidx_maps,
								&m->node,
								lfs_nameidx_map_params);
		}
		/* Not shared when the table cannot take it. */
		if (!old) {
			m->hashed = true;
			list_add(&m->own, &m->key.owner->maps);
		}
	}
	for (i = 0; i < m->nr; i++)
		lfs_nameidx_hold(m->sets[i]);
	m->users = 1;
	lfs_nameidx_set_map(ofs, d, m);
	return true;
}

/*
 * Build the merged map of @dir once all of its layers are indexed (the
 * caller's lookup found an index in every layer). Costs one pass over
 * the names of all layers; lookups use it until an index goes stale.
 */
void lfs_nameidx_merge(struct inode *dir)
{
	struct lfs_nameidx_dir *d = READ_ONCE(LFS_I(dir)->nameidx);
	struct lfs_nameidx_merged *m;
	struct lfs_nameidx *idx;
	unsigned int i;
	size_t total, bytes, filled = 0;
	u32 hmask = U32_MAX, nslots, j;
	bool used;
	long gen;

	if (!d)
		return;
	gen = atomic_long_read_acquire(&lfs_nameidx_gen);
	/* As in lfs_nameidx_build(): 2 * the slots fit in a u32. */
	if (!lfs_nameidx_merged_names(d, &hmask, &total) ||
	    total > (size_t)LFS_NAMEIDX_MERGED_MAX *
		    min(READ_ONCE(nameidx_max_names), 1U << 24))
		return;
	nslots = roundup_pow_of_two(max_t(size_t, 2 * total, 2));
	bytes = size_add(struct_size(m, tab, nslots),
			 array_size(d->nr, sizeof(*m->sets)));
	m = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!m)
		return;
	INIT_LIST_HEAD(&m->own);
	INIT_LIST_HEAD(&m->lru);
	m->bytes = bytes;
	m->gen = gen;
	m->hmask = hmask;
	m->mask = nslots - 1;
	m->nr = d->nr;
	m->sets = (struct lfs_nameidx **)&m->tab[nslots];

	rcu_read_lock();
	for (i = 0; i < d->nr; i++) {
		idx = rcu_dereference(d->slots[i].idx);
		if (!idx || idx->noindex || idx->hmask != hmask)
			break;
		/* More names than counted: a slot changed, the map is full. */
		filled += idx->nr;
		if (filled > total)
			break;
		m->sets[i] = idx;
		for (j = 0; j <= idx->mask; j++)
			if (idx->tab[j].off)
				lfs_nameidx_merged_add(m, idx->tab[j].hash,
						       i + 1);
	}
	/*
	 * A slot changed meanwhile: what was merged may be of either. Still
	 * under RCU: a set replaced since cannot have been freed, and its
	 * memory reused by a new set at the same address, which the check
	 * of the slots would take for the one merged.
	 */
	used = false;
	if (i == d->nr) {
		spin_lock(&lfs_nameidx_lock);
		used = lfs_nameidx_publish_map(dir, d, m);
		spin_unlock(&lfs_nameidx_lock);
	}
	rcu_read_unlock();
	if (!used) {
		kvfree(m);
		return;
	}
	lfs_stat_inc(LFS_FS(dir->i_sb), LFS_STAT_NAMEIDX_MERGED);
}

/* Drop the indexes of an inode being destroyed. */
void lfs_nameidx_evict(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);
	struct lfs_fs *ofs = LFS_FS(inode->i_sb);
	struct lfs_nameidx_dir *d = oi->nameidx;
	struct lfs_nameidx_merged *m;
	struct lfs_nameidx *idx;
	unsigned int i;

	if (!d)
		return;
	spin_lock(&lfs_nameidx_lock);
	for (i = 0; i < d->nr; i++) {
		idx = rcu_dereference_protected(d->slots[i].idx,
						lockdep_is_held(&lfs_nameidx_lock));
		if (idx && lfs_nameidx_put_user(ofs, idx))
			lfs_nameidx_free_later(idx);
	}
	m = rcu_dereference_protected(d->merged,
				      lockdep_is_held(&lfs_nameidx_lock));
	if (m) {
		atomic_long_sub(m->bytes, &ofs->nameidx_bytes);
		lfs_nameidx_map_put(m);
	}
	spin_unlock(&lfs_nameidx_lock);
	kvfree(d);
	oi->nameidx = NULL;
}

/*
 * The owner of a registry entry's indexes (@registry) or of a mount's:
 * only maps made of registry entries' indexes are shared. A registered
 * layer's parents outlive it (each holds a reference to its parent), so a
 * map, keyed by the owner of its top layer, goes before the other owners
 * of its indexes.
 */
struct lfs_nameidx_owner *lfs_nameidx_owner_alloc(bool registry)
{
	struct lfs_nameidx_owner *owner;

	owner = kzalloc(sizeof(*owner), GFP_KERNEL_ACCOUNT);
	if (!owner)
		return NULL;
	if (rhashtable_init(&owner->table, &lfs_nameidx_params)) {
		kfree(owner);
		return NULL;
	}
	refcount_set(&owner->ref, 1);
	owner->registry = registry;
	INIT_LIST_HEAD(&owner->all);
	INIT_LIST_HEAD(&owner->maps);
	return owner;
}

struct lfs_nameidx_owner *lfs_nameidx_owner_get(struct lfs_nameidx_owner *owner)
{
	if (owner)
		refcount_inc(&owner->ref);
	return owner;
}

/*
 * The last reference goes with the registry entry or the mount: no
 * layerfs inode uses the indexes any more, free them all. Sleeps.
 */
void lfs_nameidx_owner_put(struct lfs_nameidx_owner *owner)
{
	struct lfs_nameidx_merged *m, *mnext;
	struct lfs_nameidx *idx, *next;

	if (!owner || !refcount_dec_and_test(&owner->ref))
		return;
	spin_lock(&lfs_nameidx_lock);
	list_for_each_entry_safe(m, mnext, &owner->maps, own)
		lfs_nameidx_map_unhash(m);
	list_for_each_entry_safe(idx, next, &owner->all, own)
		if (lfs_nameidx_unhash(idx))
			lfs_nameidx_free_later(idx);
	spin_unlock(&lfs_nameidx_lock);
	rhashtable_destroy(&owner->table);
	kfree(owner);
}

static unsigned long lfs_nameidx_shrink_count(struct shrinker *shrink,
					      struct shrink_control *sc)
{
	return READ_ONCE(lfs_nameidx_unused) +
	       READ_ONCE(lfs_nameidx_maps_unused) ?: SHRINK_EMPTY;
}

/*
 * Drop the least recently used of the merged maps and indexes no layerfs
 * inode uses (maps first: an unused map holds its indexes): lookups
 * rebuild them once enough real lookups went to the directory again.
 * Those in use go when their inodes go (the inode cache's shrinker).
 */
static unsigned long lfs_nameidx_shrink_scan(struct shrinker *shrink,
					     struct shrink_control *sc)
{
	struct lfs_nameidx_merged *m;
	unsigned long freed = 0;
	struct lfs_nameidx *idx;

	spin_lock(&lfs_nameidx_lock);
	while (freed < sc->nr_to_scan && !list_empty(&lfs_nameidx_map_lru)) {
		m = list_first_entry(&lfs_nameidx_map_lru, typeof(*m), lru);
		lfs_nameidx_map_unhash(m);
		freed++;
	}
	while (freed < sc->nr_to_scan && !list_empty(&lfs_nameidx_lru)) {
		idx = list_first_entry(&lfs_nameidx_lru, typeof(*idx), lru);
		if (lfs_nameidx_unhash(idx))
			lfs_nameidx_free_later(idx);
		freed++;
	}
	spin_unlock(&lfs_nameidx_lock);
	return freed;
}

int lfs_nameidx_init(void)
{
	int err;

	err = rhashtable_init(&lfs_nameidx_maps, &lfs_nameidx_map_params);
	if (err)
		return err;
	lfs_nameidx_group = fsnotify_alloc_group(&lfs_nameidx_fsnotify_ops,
						 FSNOTIFY_GROUP_DUPS);
	if (IS_ERR(lfs_nameidx_group)) {
		rhashtable_destroy(&lfs_nameidx_maps);
		return PTR_ERR(lfs_nameidx_group);
	}
	lfs_nameidx_shrinker = shrinker_alloc(0, "layerfs-nameidx");
	if (!lfs_nameidx_shrinker) {
		fsnotify_put_group(lfs_nameidx_group);
		rhashtable_destroy(&lfs_nameidx_maps);
		return -ENOMEM;
	}
	lfs_nameidx_shrinker->count_objects = lfs_nameidx_shrink_count;
	lfs_nameidx_shrinker->scan_objects = lfs_nameidx_shrink_scan;
	lfs_nameidx_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(lfs_nameidx_shrinker);
	return 0;
}

/*
 * After the last superblock and the registry are gone: every index is on
 * the free list or freed. Destroy their marks, wait for fsnotify to drop
 * them, then for the RCU callbacks that free them.
 */
void lfs_nameidx_exit(void)
{
	shrinker_free(lfs_nameidx_shrinker);
	/* Every owner is gone, and with them every shared map. */
	WARN_ON_ONCE(atomic_read(&lfs_nameidx_maps.nelems));
	rhashtable_destroy(&lfs_nameidx_maps);
	flush_work(&lfs_nameidx_free_work);
	WARN_ON_ONCE(!list_empty(&lfs_nameidx_lru));
	fsnotify_put_group(lfs_nameidx_group);
	fsnotify_wait_marks_destroyed();
	rcu_barrier();
	/* A leak here would be a mark left on a real inode. */
	WARN_ON_ONCE(atomic_long_read(&lfs_nameidx_live));
}
