/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * layerfs in-memory structures.
 *
 * Layer numbering follows overlayfs: layers[0] is the upper layer (its
 * mnt is NULL on a read-only mount), layers[1..numlayer-1] are the lower
 * layers, topmost first.
 */
#ifndef _LFS_ENTRY_H
#define _LFS_ENTRY_H

#include <linux/errseq.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include "compat.h"

struct lfs_dir_cache;

/* Per-CPU counters of a mount, reported over netlink. */
enum lfs_stat {
	LFS_STAT_LOOKUPS,
	LFS_STAT_NEGATIVE,
	LFS_STAT_WHITEOUTS_HIT,
	LFS_STAT_OPAQUE_STOPS,
	LFS_STAT_READDIR_BUILDS,
	LFS_STAT_READDIR_HITS,
	LFS_STAT_COPY_UPS,
	LFS_STAT_COPY_UP_BYTES,
	LFS_STAT_COPY_UP_NS,
	LFS_STAT_WHITEOUTS,
	LFS_STAT_OPAQUE_DIRS,
	LFS_STAT_EXDEV,
	LFS_STAT_NAMEIDX_BUILDS,	/* name indexes built (nameidx.c) */
	LFS_STAT_NAMEIDX_HITS,		/* lookups that skipped a layer */
	LFS_STAT_NAMEIDX_SKIPS,		/* layers skipped by lookups */
	LFS_STAT_NAMEIDX_FALLBACKS,	/* real dirs not indexed */
	LFS_STAT_NAMEIDX_SHARED,	/* indexes taken from a layer's table */
	LFS_STAT_NAMEIDX_MERGED,	/* merged maps built */
	LFS_STAT_NAMEIDX_MERGED_HITS,	/* lookups answered by a merged map */
	LFS_STAT_NAMEIDX_MERGED_SHARED,	/* merged maps taken from the table */
	LFS_STAT_NR,
};

struct lfs_stats {
	u64 v[LFS_STAT_NR];
};

struct lfs_nameidx_owner;

/* One layer of a mounted union. */
struct lfs_layer {
	struct vfsmount *mnt;		/* private clone of the layer root */
	/* @mnt is the registry's clone, shared by its mounts (registry.c) */
	bool reg_mnt;
	unsigned int idx;		/* 0 = upper, 1.. = lower, top first */
	unsigned int fsid;		/* index of the layer's fs in lfs_fs */
	bool has_xwhiteouts;		/* an "x" marked dir seen in layer */
	/* Owner of the layer's name indexes (nameidx.c); may be NULL. */
	struct lfs_nameidx_owner *nidx;
};

/* A real object in one layer. */
struct lfs_path {
	const struct lfs_layer *layer;
	struct dentry *dentry;
};

/* The lower stack of an object, topmost first. */
struct lfs_entry {
	unsigned int numlower;
	struct lfs_path lowerstack[];
};

/* fsync=, as overlayfs's; AUTO is 0, the default of a zeroed config. */
enum lfs_fsync_mode {
	LFS_FSYNC_AUTO,		/* fsync a data copy-up before its rename */
	LFS_FSYNC_STRICT,	/* and a metadata-only copy-up too */
	LFS_FSYNC_VOLATILE,	/* never; a crash makes the upper unusable */
};

/* What a real directory looked like (readdir.c, nameidx.c). */
struct lfs_dir_stamp {
	struct inode *inode;
	struct timespec64 mtime;
	struct timespec64 ctime;
	loff_t size;
	u64 iversion;
};

struct lfs_nameidx_dir;

/* overlayfs's option values, in the order of its tables (params.c) */
enum lfs_redirect_mode {
	LFS_REDIRECT_OFF,		/* parsed only: becomes NOFOLLOW/FOLLOW */
	LFS_REDIRECT_FOLLOW,
	LFS_REDIRECT_NOFOLLOW,
	LFS_REDIRECT_ON,
};

enum lfs_uuid_mode {
	LFS_UUID_OFF,
	LFS_UUID_NULL,
	LFS_UUID_AUTO,
	LFS_UUID_ON,
};

enum lfs_xino_mode {
	LFS_XINO_OFF,
	LFS_XINO_AUTO,
	LFS_XINO_ON,
};

enum lfs_verity_mode {
	LFS_VERITY_OFF,
	LFS_VERITY_ON,
	LFS_VERITY_REQUIRE,
};

struct lfs_config {
	enum lfs_fsync_mode fsync_mode;	/* fsync= or volatile */
	/* overlayfs's feature options (params.c), after verification */
	enum lfs_redirect_mode redirect_mode;
	enum lfs_uuid_mode uuid;
	enum lfs_xino_mode xino;
	enum lfs_verity_mode verity_mode;
	bool default_permissions;
	bool index;
	bool nfs_export;
	bool metacopy;
	bool userxattr;
	char *upperdir;
	char *workdir;
	char *lowerdir_all;		/* legacy lowerdir= value as given */
	char **lowerdirs;		/* per layer names, for lowerdir+ */
	char *layer;			/* layer=NAME of a registry mount */
	bool nameindex_off;		/* nameindex=off */
};

/*
 * Per-superblock state. Immutable after fill_super except for the
 * counters; freed by lfs_free_fs() from kill_sb.
 */
struct lfs_fs {
	unsigned int numlayer;		/* upper slot + lower layers */
	struct lfs_layer *layers;
	unsigned int numfs;		/* distinct real superblocks */
	struct super_block **fs_sb;	/* indexed by fsid */
	unsigned int xino_bits;		/* high st_ino bits holding fsid */
	const struct cred *creator_cred;
	struct lfs_config config;
	/* Writable mounts only: */
	struct dentry *workbasedir;	/* workdir= as given, locked in use */
	struct dentry *workdir;		/* workbasedir/work, temp objects */
	bool upperdir_locked;
	bool workdir_locked;
	bool upper_reval;		/* upper fs revalidates dentries */
	atomic_t tmp_seq;		/* names of temp objects in workdir */
	errseq_t errseq;		/* volatile: upper's s_wb_err at mount */
	long namelen;			/* longest name any layer takes */
	struct lfs_reg_chain *chain;	/* registry layers this mount pins */
	/* Read-only clone of the upper root, for LAYERFS_IOC_OPEN_LAYER */
	struct vfsmount *upper_ro;
	/* Real inodes of layer roots, upper, work dirs; sorted (super.c) */
	unsigned long *traps;
	unsigned int nr_traps;
	/* Observability (netlink.c): */
	u64 id;				/* mount id, unique while loaded */
	dev_t dev;
	struct list_head mounts;	/* on the list of mounts, netlink.c */
	struct lfs_stats __percpu *stats;
	/*
	 * Lookups resolved per layer index: per-CPU for the first
	 * LFS_DEPTH_PCPU indexes (the per-CPU allocator takes at most
	 * 32 KiB), shared atomics for deeper ones, which are rarer.
	 */
	u64 __percpu *depth;
	atomic64_t *depth_deep;
	atomic64_t copy_up_ns_max;
	atomic_long_t open_files;
	atomic_long_t readdir_caches;	/* merged listings in memory */
	atomic64_t readdir_cache_bytes;	/* ... and what they take */
	atomic_long_t nameidx_bytes;	/* held by name indexes */
};

static inline void lfs_stat_add(struct lfs_fs *ofs, enum lfs_stat stat, u64 v)
{
	this_cpu_add(ofs->stats->v[stat], v);
}

static inline void lfs_stat_inc(struct lfs_fs *ofs, enum lfs_stat stat)
{
	lfs_stat_add(ofs, stat, 1);
}

#define LFS_DEPTH_PCPU	256

static inline void lfs_stat_depth(struct lfs_fs *ofs, unsigned int idx)
{
	if (idx < LFS_DEPTH_PCPU)
		this_cpu_inc(ofs->depth[idx]);
	else
		atomic64_inc(&ofs->depth_deep[idx - LFS_DEPTH_PCPU]);
}

/* Inode flags, bits of lfs_inode.flags. */
enum lfs_inode_flag {
	LFS_I_OPAQUE,			/* topmost real dir is opaque */
	LFS_I_MERGE,			/* dir exists in more than one layer */
	/*
	 * The upper file is a metacopy (metacopy=on): its data is still the
	 * lower one's. Set before the upper is published, cleared (with
	 * release order) once the data is copied in; see lfs_is_metacopy().
	 */
	LFS_I_METACOPY,
};

struct lfs_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;	/* NULL until copied up */
	struct lfs_entry *oe;		/* lower stack, immutable */
	struct inode *key;		/* hash key (real inode), non-dirs */
	unsigned long flags;
	u64 version;			/* bumped on changes in a dir */
	spinlock_t cache_lock;		/* protects cache pointer */
	struct lfs_dir_cache *cache;	/* merged readdir cache, dirs */
	/* Per lower layer name indexes of a dir, see nameidx.c. */
	struct lfs_nameidx_dir *nameidx;
	struct mutex lock;		/* serializes copy-up */
};

static inline struct lfs_fs *LFS_FS(const struct super_block *sb)
{
	return (struct lfs_fs *)sb->s_fs_info;
}

static inline struct lfs_inode *LFS_I(const struct inode *inode)
{
	return container_of(inode, struct lfs_inode, vfs_inode);
}

static inline struct lfs_entry *LFS_E(const struct inode *inode)
{
	return inode ? LFS_I(inode)->oe : NULL;
}

static inline unsigned int lfs_numlower(const struct lfs_entry *oe)
{
	return oe ? oe->numlower : 0;
}

static inline struct lfs_path *lfs_lowerstack(struct lfs_entry *oe)
{
	return oe ? oe->lowerstack : NULL;
}

static inline struct dentry *lfs_i_upper(const struct inode *inode)
{
	/* Pairs with smp_store_release() when an upper is installed. */
	return inode ? smp_load_acquire(&LFS_I(inode)->__upperdentry) : NULL;
}

/* An upper without its data yet (metacopy=on). */
static inline bool lfs_is_metacopy(const struct inode *inode)
{
	return lfs_i_upper(inode) &&
	       test_bit_acquire(LFS_I_METACOPY, &LFS_I(inode)->flags);
}

static inline struct mnt_idmap *lfs_layer_idmap(const struct lfs_layer *l)
{
	return mnt_idmap(l->mnt);
}

#endif /* _LFS_ENTRY_H */
