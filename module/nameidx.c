// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs name index: which names a real lower directory holds.
 *
 * A lookup in a merged directory asks every lower layer for the name,
 * top-down; most layers do not hold it, and each real lookup of an absent
 * name costs a hash walk, a call into the real filesystem and a negative
 * dentry left in that layer. The name index answers "this real directory
 * does not hold the name" without a real lookup.
 *
 * One index per (layerfs directory inode, lower layer), built by a
 * lookup that reaches that layer after enough real lookups went there
 * (lfs_nameidx_build_after()), by reading the real directory once with
 * the mounter's credentials. It is an exact set: an open
 * addressing hash table of (hash, offset) pairs over a packed copy of the
 * names. A name found in the index still gets the real lookup (which
 * decides whiteout, opaque, type); only absent names skip the layer, so
 * the result of a lookup is the same with or without the index.
 *
 * Coherence: lower layers must not change under a mount, but when they do
 * (offline), the real directory's mtime, ctime, size and i_version move
 * (the readdir cache's stamp, readdir.c); every use of an index checks the
 * stamp taken before the directory was read, and a stale index is rebuilt.
 *
 * Bounds: a directory with more than nameidx_max_names names (module
 * parameter) or longer names than an index stores is not indexed; a
 * marker remembers that (until the directory changes) and lookups in that
 * layer fall back to real lookups. Real directories whose lookups are not
 * exact byte matches of what readdir lists (d_hash/d_compare: case
 * folding; fscrypt), or that are revalidated (remote filesystems), or on
 * a stacked filesystem, are never indexed.
 *
 * Locking and lifetime:
 * - lfs_inode.nameidx is an array of one slot per lower layer of the
 *   directory (an RCU-protected index pointer and a lookup counter),
 *   allocated on first use (published with cmpxchg) and freed with the
 *   inode (lfs_nameidx_evict()).
 * - Lookups (parent locked shared, so concurrent) read a slot under
 *   rcu_read_lock() and never write it except through install.
 * - Every installed index is on a global LRU list; installing, replacing
 *   and removing an index (inode eviction, shrinker) all run under
 *   lfs_nameidx_lock, so a slot only changes under that lock. The index
 *   on the list knows its slot; the slot array outlives it because the
 *   inode's eviction removes all its indexes under the same lock before
 *   freeing the array. Removed indexes are freed after an RCU grace
 *   period (kvfree_rcu).
 * - Concurrent builders of the same slot each build their own index; the
 *   last to install wins, the earlier one is freed. Each builder answers
 *   its own lookup from its own index before installing it.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
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

struct lfs_nameidx_ent {
	u32 hash;
	u32 off;			/* 1 + offset of [len][name], 0: free */
};

struct lfs_nameidx {
	struct list_head lru;		/* lfs_nameidx_lru, under the lock */
	struct lfs_nameidx __rcu **slot;	/* where it is installed */
	struct lfs_fs *ofs;		/* for the bytes counter */
	struct rcu_head rcu;
	struct lfs_dir_stamp stamp;	/* real dir before it was read */
	size_t bytes;
	bool noindex;			/* too big or not indexable */
	u32 hmask;			/* hash bits used */
	u32 mask;			/* table slots - 1 */
	u32 nr;				/* names */
	char *names;			/* after tab[] */
	struct lfs_nameidx_ent tab[];
};

/* One per lower layer of a layerfs directory: lfs_inode.nameidx[]. */
struct lfs_nameidx_slot {
	struct lfs_nameidx __rcu *idx;
	atomic_t lookups;		/* real lookups before the first build */
};

static DEFINE_SPINLOCK(lfs_nameidx_lock);
static LIST_HEAD(lfs_nameidx_lru);
static unsigned long lfs_nameidx_count;	/* on the list */
static struct shrinker *lfs_nameidx_shrinker;

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
		rd->toobig = true;
		return false;
	}
	if (rd->used + namelen + 1 > rd->size) {
		size_t size = max_t(size_t, rd->size * 2, 4096);
		char *buf = kvrealloc(rd->buf, size, GFP_KERNEL_ACCOUNT);

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

/* Read the names of one real directory into @rd. */
static int lfs_nameidx_read(struct lfs_nameidx_reader *rd,
			    const struct path *realpath)
{
	struct file *realfile;
	int err;

	realfile = dentry_open(realpath, O_RDONLY | O_DIRECTORY,
			       current_cred());
	if (IS_ERR(realfile))
		return PTR_ERR(realfile);
	/* Some filesystems return after a batch: loop until empty. */
	do {
		rd->count = 0;
		rd->err = 0;
		err = iterate_dir(realfile, &rd->ctx);
		if (err >= 0)
			err = rd->err;
	} while (!err && rd->count && !rd->toobig);
	fput(realfile);
	return err;
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

static struct lfs_nameidx *lfs_nameidx_alloc(u32 nslots, size_t names)
{
	struct lfs_nameidx *idx;
	size_t bytes = struct_size(idx, tab, nslots) + names;

	idx = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!idx)
		return NULL;
	INIT_LIST_HEAD(&idx->lru);
	idx->bytes = bytes;
	idx->mask = nslots - 1;
	idx->names = (char *)&idx->tab[nslots];
	return idx;
}

/*
 * Can lookups in this real directory be answered from what readdir
 * lists? Only where a lookup is an exact byte match (no d_hash or
 * d_compare: case folding) of a name that does not depend on a key
 * (fscrypt), on a local (the directory needs no revalidation),
 * non-stacked filesystem. ext4's sb-wide d_revalidate is fscrypt's,
 * which unencrypted dentries have cleared from their flags.
 */
static bool lfs_nameidx_indexable(struct dentry *realdir)
{
	struct inode *inode = d_inode(realdir);
	struct super_block *sb = realdir->d_sb;
	const struct dentry_operations *dop = sb->s_d_op;

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
		.max = READ_ONCE(nameidx_max_names),
	};
	struct path realpath = { .mnt = lp->layer->mnt, .dentry = lp->dentry };
	unsigned int bits = READ_ONCE(nameidx_hash_bits);
	struct lfs_dir_stamp stamp;
	struct lfs_nameidx *idx;
	u32 nslots, off;
	int err = 0;

	/* Taken first: a change while reading makes the index stale. */
	lfs_stamp(&stamp, d_inode(lp->dentry));
	if (lfs_nameidx_indexable(lp->dentry))
		err = lfs_nameidx_read(&rd, &realpath);
	else
		rd.toobig = true;

	if (err || rd.toobig) {
		kvfree(rd.buf);
		/* Transient: no marker, the next lookup tries again. */
		if (err == -ENOMEM || err == -EINTR || fatal_signal_pending(current))
			return ERR_PTR(err ?: -EINTR);
		lfs_stat_inc(ofs, LFS_STAT_NAMEIDX_FALLBACKS);
		idx = lfs_nameidx_alloc(1, 0);
		if (!idx)
			return ERR_PTR(-ENOMEM);
		idx->noindex = true;
		idx->stamp = stamp;
		return idx;
	}

	nslots = roundup_pow_of_two(max(2 * rd.nr, 2U));
	idx = lfs_nameidx_alloc(nslots, rd.used);
	if (!idx) {
		kvfree(rd.buf);
		return ERR_PTR(-ENOMEM);
	}
	idx->stamp = stamp;
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

/* Unlink @idx from the LRU list; the caller frees it. Lock held. */
static void lfs_nameidx_unlist(struct lfs_nameidx *idx)
{
	lockdep_assert_held(&lfs_nameidx_lock);
	list_del_init(&idx->lru);
	lfs_nameidx_count--;
	atomic_long_sub(idx->bytes, &idx->ofs->nameidx_bytes);
}

/* The slot array of @dir, allocated on first use. */
static struct lfs_nameidx_slot *lfs_nameidx_slots(struct inode *dir)
{
	struct lfs_inode *oi = LFS_I(dir);
	struct lfs_nameidx_slot *slots, *old;

	/* Pairs with cmpxchg_release() below: the array is zeroed. */
	slots = smp_load_acquire(&oi->nameidx);
	if (slots)
		return slots;
	slots = kvcalloc(lfs_numlower(oi->oe), sizeof(*slots),
			 GFP_KERNEL_ACCOUNT);
	if (!slots)
		return NULL;
	old = cmpxchg_release(&oi->nameidx, NULL, slots);
	if (old) {
		kvfree(slots);
		slots = old;
	}
	return slots;
}

/* Install @idx as the index of @slot of @dir. */
static void lfs_nameidx_install(struct inode *dir,
				struct lfs_nameidx_slot *slot,
				struct lfs_nameidx *idx)
{
	struct lfs_nameidx *old;

	idx->ofs = LFS_FS(dir->i_sb);
	idx->slot = &slot->idx;
	spin_lock(&lfs_nameidx_lock);
	old = rcu_dereference_protected(slot->idx,
					lockdep_is_held(&lfs_nameidx_lock));
	if (old)
		lfs_nameidx_unlist(old);
	list_add_tail(&idx->lru, &lfs_nameidx_lru);
	lfs_nameidx_count++;
	atomic_long_add(idx->bytes, &idx->ofs->nameidx_bytes);
	rcu_assign_pointer(slot->idx, idx);
	spin_unlock(&lfs_nameidx_lock);
	if (old)
		kvfree_rcu(old, rcu);
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
	unsigned int after = READ_ONCE(nameidx_build_after);
	loff_t kib = i_size_read(d_inode(realdir)) >> 10;

	return after * (1 + min_t(loff_t, kib, 1U << 20));
}

/*
 * May lower layer @i of directory @dir hold @name (@hash:
 * lfs_nameidx_hash())? false only when a valid index of that real
 * directory says it does not, so that the caller can skip the real
 * lookup. The caller holds the mounter's credentials and @dir's i_rwsem
 * (shared at least).
 *
 * Building an index costs a few real lookups (an open, a read and a
 * close of the real directory) and more for big directories, so a layer
 * directory is only indexed once enough real lookups went to it
 * (lfs_nameidx_build_after()): a directory looked into once costs what
 * it costs without the index. A stale or shrunk index is rebuilt at once.
 */
bool lfs_nameidx_may_hold(struct inode *dir, unsigned int i,
			  const struct qstr *name, u32 hash)
{
	struct lfs_nameidx_slot *slots, *slot;
	struct lfs_nameidx *idx;
	bool hold = true, valid = false;

	/* Pairs with cmpxchg_release() in lfs_nameidx_slots(). */
	slots = smp_load_acquire(&LFS_I(dir)->nameidx);
	if (slots) {
		rcu_read_lock();
		idx = rcu_dereference(slots[i].idx);
		if (idx && lfs_stamp_valid(&idx->stamp)) {
			valid = true;
			hold = idx->noindex || lfs_nameidx_find(idx, name, hash);
		}
		rcu_read_unlock();
		if (valid)
			return hold;
	} else {
		slots = lfs_nameidx_slots(dir);
		if (!slots)
			return true;
	}
	slot = &slots[i];
	if (atomic_read(&slot->lookups) <
	    lfs_nameidx_build_after(LFS_I(dir)->oe->lowerstack[i].dentry)) {
		atomic_inc(&slot->lookups);
		return true;
	}

	idx = lfs_nameidx_build(LFS_FS(dir->i_sb),
				&LFS_I(dir)->oe->lowerstack[i]);
	if (IS_ERR(idx))
		return true;
	hold = idx->noindex || lfs_nameidx_find(idx, name, hash);
	lfs_nameidx_install(dir, slot, idx);
	return hold;
}

/* Free the indexes of an inode being destroyed. */
void lfs_nameidx_evict(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);
	struct lfs_nameidx_slot *slots = oi->nameidx;
	struct lfs_nameidx *idx;
	unsigned int i;

	if (!slots)
		return;
	spin_lock(&lfs_nameidx_lock);
	for (i = 0; i < lfs_numlower(oi->oe); i++) {
		idx = rcu_dereference_protected(slots[i].idx,
						lockdep_is_held(&lfs_nameidx_lock));
		if (!idx)
			continue;
		lfs_nameidx_unlist(idx);
		RCU_INIT_POINTER(slots[i].idx, NULL);
		kvfree_rcu(idx, rcu);
	}
	spin_unlock(&lfs_nameidx_lock);
	kvfree(slots);
	oi->nameidx = NULL;
}

static unsigned long lfs_nameidx_shrink_count(struct shrinker *shrink,
					      struct shrink_control *sc)
{
	return READ_ONCE(lfs_nameidx_count) ?: SHRINK_EMPTY;
}

/*
 * Drop the least recently built indexes; lookups rebuild them once
 * enough real lookups went to the directory again.
 */
static unsigned long lfs_nameidx_shrink_scan(struct shrinker *shrink,
					     struct shrink_control *sc)
{
	struct lfs_nameidx_slot *slot;
	unsigned long freed = 0;
	struct lfs_nameidx *idx;

	spin_lock(&lfs_nameidx_lock);
	while (freed < sc->nr_to_scan && !list_empty(&lfs_nameidx_lru)) {
		idx = list_first_entry(&lfs_nameidx_lru, typeof(*idx), lru);
		slot = container_of(idx->slot, struct lfs_nameidx_slot, idx);
		lfs_nameidx_unlist(idx);
		RCU_INIT_POINTER(slot->idx, NULL);
		/* Under pressure: count lookups again before a rebuild. */
		atomic_set(&slot->lookups, 0);
		kvfree_rcu(idx, rcu);
		freed++;
	}
	spin_unlock(&lfs_nameidx_lock);
	return freed;
}

int lfs_nameidx_init(void)
{
	lfs_nameidx_shrinker = shrinker_alloc(0, "layerfs-nameidx");
	if (!lfs_nameidx_shrinker)
		return -ENOMEM;
	lfs_nameidx_shrinker->count_objects = lfs_nameidx_shrink_count;
	lfs_nameidx_shrinker->scan_objects = lfs_nameidx_shrink_scan;
	lfs_nameidx_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(lfs_nameidx_shrinker);
	return 0;
}

/* After the last superblock is gone: no index is left. */
void lfs_nameidx_exit(void)
{
	shrinker_free(lfs_nameidx_shrinker);
	WARN_ON_ONCE(!list_empty(&lfs_nameidx_lru));
}
