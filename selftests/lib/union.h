/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the union-semantics selftests (selftests/union/): a private
 * scratch tmpfs with layer directories, layer construction in overlayfs's
 * on-disk format (whiteouts, opaque directories, xattr whiteouts), union
 * mounts through mount(2) and through the new mount API, and tree and
 * directory walks to compare what a union shows.
 *
 * Every test runs against both "layerfs" and the in-kernel "overlay" with
 * the same layers, so nothing here is specific to one of them.
 *
 * Functions return 0 (or a count) on success and -errno on failure unless
 * said otherwise, so that tests can ASSERT_EQ(0, ...) and still see the
 * errno in the failure message.
 */
#ifndef LAYERFS_SELFTESTS_UNION_H
#define LAYERFS_SELFTESTS_UNION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Lower layers per mount. layerfs takes up to LFS_MAX_LAYERS and refuses
 * one more with LFS_TOO_MANY_LAYERS_ERRNO; overlayfs stops at
 * OVL_MAX_STACK (fs/overlayfs/params.h) with EINVAL.
 */
#define LFS_MAX_LAYERS			4096
#define LFS_TOO_MANY_LAYERS_ERRNO	EINVAL
#define OVL_MAX_STACK			500

/* include/uapi/linux/magic.h */
#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC		0x794c7630
#endif

#define OVL_XATTR_OPAQUE		"trusted.overlay.opaque"
#define OVL_XATTR_WHITEOUT		"trusted.overlay.whiteout"

/* Room for a path built by the helpers below. */
#define LU_PATH_MAX			512

/*
 * A private scratch area, made by lu_scratch_init() in the calling
 * process: a mount namespace of its own (so that every mount made by a
 * test goes away with the test process, whatever happens to it), a tmpfs
 * on a fresh directory under /tmp, layer directories root/l0 .. l<n-1>
 * (l0 is the TOPMOST layer, the first in lowerdir=) and an empty mount
 * point root/mnt.
 */
#define LU_SCRATCH_BACKING_MAX	96

struct lu_scratch {
	char root[64];
	char mnt[80];
	char backing[LU_SCRATCH_BACKING_MAX];	/* see lu_scratch_mount() */
	const char *fstype;
	const char *opts;	/* lu_scratch_options(), or NULL */
	bool userxattr;		/* the marks are user.overlay.* */
	int nlayers;
	bool mounted;
};

/*
 * Is @fstype usable? overlay is modprobed if needed; layerfs is loaded
 * with lfs_load_module() (util.h) when LAYERFS_KO is set.
 * Returns 0, -ENODEV if the filesystem is not there and cannot be loaded
 * (for layerfs: LAYERFS_KO unset), or another -errno if loading failed.
 */
int lu_fs_available(const char *fstype);

int lu_scratch_init(struct lu_scratch *s, const char *fstype, int nlayers);
/*
 * More mount options for lu_mount() of @s (@opts: "a,b", or NULL); with
 * "userxattr" among them, the mark helpers (lu_opaque(), lu_xwhiteout(),
 * lu_ovl_xattr()) write user.overlay.* instead of trusted.overlay.*.
 */
void lu_scratch_options(struct lu_scratch *s, const char *opts);
/* The name of mark @name ("opaque", ...) with @s's prefix, static. */
const char *lu_ovl_xattr(const struct lu_scratch *s, const char *name);

/*
 * What the running kernel's overlayfs can do. The tests hold layerfs to
 * overlayfs 6.12, with which layerfs keeps every feature on every kernel
 * it builds for; the overlayfs of an older kernel (Debian 12's default
 * 6.1) lacks some, and an overlay variant that needs one SKIPs then
 * (LU_OVERLAY_NEEDS()). Each feature is tried once per process, by a
 * child on a scratch area of its own (lu_scratch_init()), not told by
 * the kernel version.
 */
enum lu_ovl_feature {
	LU_OVL_XWHITEOUT,	/* xattr whiteouts (Linux 6.7) */
	LU_OVL_LOWERDIR_PLUS,	/* lowerdir+ of the new mount API (6.8) */
	LU_OVL_DATA_ONLY,	/* "::" data-only lower layers (6.5) */
	LU_OVL_TMPFILE,		/* O_TMPFILE (6.6) */
	LU_OVL_ESCAPED_XATTR,	/* trusted.overlay.* through the union (6.7) */
	LU_OVL_VERITY,		/* verity= (6.6) */
	LU_OVL_FSYNC,		/* fsync= */
	LU_OVL_UUID_NULL,	/* uuid=null and uuid=auto (6.6) */
	LU_OVL_NR_FEATURES
};

/*
 * NULL if @fstype is not "overlay" or its overlayfs has @f, else why
 * not ("this kernel's overlayfs has no xattr whiteouts (Linux 6.7)").
 * A probe that cannot run says NULL: the test then runs and shows why.
 */
const char *lu_overlay_lacks(const char *fstype, enum lu_ovl_feature f);

/* In a TEST_F(): SKIPs the overlay variant if its overlayfs lacks @f. */
#define LU_OVERLAY_NEEDS(fstype, f) do {				\
	const char *__lu_why = lu_overlay_lacks(fstype, f);		\
									\
	if (__lu_why)							\
		SKIP(return, "%s", __lu_why);				\
} while (0)

/*
 * The file system of a scratch directory @dir: a tmpfs, as a rule. tmpfs
 * has user.* xattrs only since Linux 6.6, and the tests use them: on an
 * older kernel @dir is a bind mount of a fresh directory on the ext4
 * scratch disk instead (LAYERFS_SCRATCH_EXT4; make check attaches one),
 * whose path goes to @backing (else ""), for lu_scratch_umount() to
 * remove. Without that disk it stays a tmpfs without user.* xattrs.
 */
int lu_scratch_mount(const char *dir, char *backing, size_t size);
void lu_scratch_umount(const char *dir, const char *backing);
/* Unmounts the union (if mounted) and the tmpfs, removes the directory. */
void lu_scratch_fini(struct lu_scratch *s);

/*
 * Paths. Each returns one of a few rotating thread-local buffers, so a
 * handful can be used in one expression; copy a path that must live long.
 */
const char *lu_path(const struct lu_scratch *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));		/* root/<fmt> */
const char *lu_lpath(const struct lu_scratch *s, int layer, const char *rel);
const char *lu_mpath(const struct lu_scratch *s, const char *rel);

/*
 * Layer construction. @rel is relative to layer @layer (0 = top); missing
 * parent directories are made (mode 0755). Modes are set exactly (no
 * umask). Content is a NUL-terminated string unless given with a length.
 */
int lu_mkdir(const struct lu_scratch *s, int layer, const char *rel, mode_t mode);
int lu_file(const struct lu_scratch *s, int layer, const char *rel, mode_t mode,
	    const char *content);
int lu_file_data(const struct lu_scratch *s, int layer, const char *rel,
		 mode_t mode, const void *data, size_t len);
int lu_symlink(const struct lu_scratch *s, int layer, const char *rel,
	       const char *target);
/* A character device 0/0. */
int lu_whiteout(const struct lu_scratch *s, int layer, const char *rel);
/*
 * An xattr whiteout as in Documentation/filesystems/overlayfs.rst: a
 * zero-size regular file with trusted.overlay.whiteout, and its parent
 * directory marked with trusted.overlay.opaque=x ("this merge directory
 * holds xattr whiteouts"; readdir looks for them only there). overlayfs
 * only honours the mark below the lowermost layer, so do not use this in
 * the bottom layer.
 */
int lu_xwhiteout(const struct lu_scratch *s, int layer, const char *rel);
/* trusted.overlay.opaque=y on a directory. */
int lu_opaque(const struct lu_scratch *s, int layer, const char *rel);
/* lsetxattr() with a string value. */
int lu_setxattr(const struct lu_scratch *s, int layer, const char *rel,
		const char *name, const char *value);
/* Copy regular file @src into the layer. */
int lu_copy(const struct lu_scratch *s, int layer, const char *rel,
	    const char *src, mode_t mode);

/* Plain-path versions of the above, for directories outside the layers. */
int lu_mkdir_p(const char *path, mode_t mode);
int lu_write_file(const char *path, mode_t mode, const void *data, size_t len);
int lu_copy_file(const char *src, const char *dst, mode_t mode);
/* One write(2) of the string @s to the existing file @path (proc, sysfs, cgroupfs). */
int lu_write_str(const char *path, const char *s);
/* The same, appended (O_APPEND): a copy-up through a union, say. */
int lu_append_str(const char *path, const char *s);

/*
 * An fd of a new user namespace whose uid and gid @map ("0 10000 1000")
 * the caller writes: a child unshares it and says so through a pipe (no
 * polling), the maps are written and the namespace opened. -errno.
 */
int lu_userns_fd(const char *map);

/*
 * Become @id (uid and gid, no groups) without privileges, then root of a
 * new user namespace and mount namespace where only @id is mapped (as
 * `unshare -Urm` run by that user). In a child process. 0 or -errno;
 * @step (if not NULL) names the step that failed.
 */
int lu_enter_userns(unsigned int id, const char **step);

/*
 * A POSIX access ACL, written as the raw system.posix_acl_access xattr
 * (what setfacl writes): owner rw, the named @uid read, group none, mask
 * read, other none.
 */
int lu_set_acl_user_read(const char *path, uid_t uid);

/*
 * Mounting. The layers are given topmost first. Paths are escaped for
 * lowerdir= (':' ',' and '\' get a backslash) by the legacy helpers; the
 * new API takes every path as it is. @flags are mount(2)'s MS_* flags.
 */
char *lu_escape_layer(const char *path, char *buf, size_t len);
int lu_mount_data(const char *fstype, const char *target, unsigned long flags,
		  const char *data);
int lu_mount_layers(const char *fstype, const char *target,
		    const char *const *layers, int n);
/* The same with more options @opts ("a,b"), or NULL. */
int lu_mount_layers_opts(const char *fstype, const char *target,
			 const char *const *layers, int n, const char *opts);
/*
 * An upper and a work directory for a writable union (lu_rw_init()): on
 * the scratch disk whose mount point is in the environment variable
 * @disk_env (scripts/vm-run --disk sets LAYERFS_SCRATCH_EXT4, ...), or on
 * the scratch tmpfs when @disk_env is NULL. -ENODEV when the disk is not
 * there (a test SKIPs then). lu_rw_fini() removes what is on a disk.
 */
struct lu_rw {
	char base[LU_PATH_MAX];
	char upper[LU_PATH_MAX + 8];
	char work[LU_PATH_MAX + 8];
	bool on_disk;
};

int lu_rw_init(struct lu_rw *rw, struct lu_scratch *s, const char *disk_env);
void lu_rw_fini(struct lu_rw *rw);
/* Empty upper and work again (the union must not be mounted). */
int lu_rw_reset(struct lu_rw *rw);
/* Mount all the scratch layers with @rw as upper and work on s->mnt (and s->opts). */
int lu_mount_rw(struct lu_scratch *s, const struct lu_rw *rw);
/* The same with @fstype (not s->fstype) and more options @extra (or ""). */
int lu_mount_rw_opts(struct lu_scratch *s, const struct lu_rw *rw,
		     const char *fstype, const char *extra);

/* Mounts all the scratch layers on s->mnt with mount(2). */
int lu_mount(struct lu_scratch *s);
int lu_umount(struct lu_scratch *s);

/* How the new mount API hands a layer over with "lowerdir+". */
enum lu_how {
	LU_SET_STRING,		/* FSCONFIG_SET_STRING, the path */
	LU_SET_FD,		/* FSCONFIG_SET_FD, an O_RDONLY|O_DIRECTORY fd */
	LU_SET_PATH_EMPTY,	/* FSCONFIG_SET_PATH_EMPTY, an O_PATH fd */
};

/* The syscalls, as -errno returning wrappers. */
int lu_fsopen(const char *fstype);
int lu_fsconfig_string(int fsfd, const char *key, const char *value);
int lu_fsconfig_fd(int fsfd, const char *key, int fd);
int lu_fsconfig_path_empty(int fsfd, const char *key, int dfd);
/* FSCONFIG_SET_PATH: @path relative to @dfd (or AT_FDCWD). */
int lu_fsconfig_path(int fsfd, const char *key, int dfd, const char *path);
int lu_fsconfig_create(int fsfd);
/* FSCONFIG_CMD_CREATE, fsmount() and move_mount() onto @target. */
int lu_fsmount_at(int fsfd, const char *target);
/* Reads the fs context's messages, one per line, into @buf. */
size_t lu_fs_log(int fsfd, char *buf, size_t len);

/*
 * fsopen(@fstype), one "lowerdir+" per layer handed over as @how, create
 * and mount on @target. On failure -errno of the first failing step, and
 * @step (if not NULL) names it: "fsopen", "lowerdir+", "create", ...
 * @log (if not NULL) gets the context's messages.
 */
int lu_mount_new(const char *fstype, const char *target,
		 const char *const *layers, int n, enum lu_how how,
		 const char **step, char *log, size_t loglen);

/*
 * The options column of /proc/self/mountinfo for the mount on @mnt
 * (the last one there), e.g. "ro,relatime,lowerdir=/a:/b".
 */
int lu_mountinfo_opts(const char *mnt, char *buf, size_t len);
/* Escapes like the kernel's seq_show_option(): ",= \t\n\\" as \ooo. */
char *lu_seq_escape(const char *in, char *out, size_t len);
/* Is "@key=@value" (value seq-escaped here) one of the comma-separated
 * options in @opts? */
bool lu_has_option(const char *opts, const char *key, const char *value);

/*
 * Short checks: the content of a small file (up to 4 KiB) in a rotating
 * buffer, or "error: ENOENT" and the like; lstat()'s S_IFMT bits or
 * -errno.
 */
const char *lu_cat(const char *path);
int lu_ftype(const char *path);

/* Directory listings through getdents64(). */
struct lu_dent {
	char name[256];
	uint64_t ino;
	unsigned char type;		/* DT_* */
};

/*
 * All entries of @path (including "." and ".."), in getdents order.
 * Returns the count, *out is malloc()ed.
 */
ssize_t lu_getdents(const char *path, struct lu_dent **out);
/*
 * The names in @path without "." and "..", sorted, separated by single
 * spaces ("" if empty). For EXPECT_STREQ("a b c", lu_names(...)).
 * Returns a rotating buffer or an "error: ..." string.
 */
const char *lu_names(const char *path);

/*
 * Compares d_ino from getdents64() with st_ino from lstat() for every
 * entry below @root, recursively ("." and ".." included, except ".." of
 * @root itself). Returns the number of mismatches (or -errno); @why
 * describes the first.
 */
int lu_count_d_ino_mismatches(const char *root, char *why, size_t len);

/* A recursive walk of a tree, for comparing a union with what it should show. */
struct lu_node {
	char path[LU_PATH_MAX];		/* relative; "." for the root */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	nlink_t nlink;
	dev_t rdev;
	dev_t dev;
	ino_t ino;
	uint64_t hash;			/* FNV-1a 64 of a regular file's data */
	char target[LU_PATH_MAX];	/* symlink target */
	char xattrs[1024];		/* "name=value\n" sorted; user.* and
					 * trusted.* except trusted.overlay.* */
};

struct lu_tree {
	size_t n;
	struct lu_node *v;		/* sorted by path */
	char error[LU_PATH_MAX + 64];	/* what failed, if the walk did */
};

int lu_tree_walk(const char *root, struct lu_tree *t);
void lu_tree_free(struct lu_tree *t);

/* What lu_tree_diff() compares besides path, type, mode, owner, size,
 * content, symlink target and xattrs. */
#define LU_CMP_NLINK	0x1		/* st_nlink of non-directories */

/*
 * 0 if the trees show the same objects, else 1 and @why says where
 * they first differ. Inode and device numbers and times are ignored.
 */
int lu_tree_diff(const struct lu_tree *a, const struct lu_tree *b,
		 unsigned int flags, char *why, size_t len);

/* One line describing a node, as lu_tree_diff() prints them. */
char *lu_node_str(const struct lu_node *n, char *buf, size_t len);

uint64_t lu_fnv1a(uint64_t h, const void *data, size_t len);

/* echo @what > /proc/sys/vm/drop_caches */
int lu_drop_caches(int what);

/* "slab" of memory.stat of the cgroup directory @cg, in bytes, or -1. */
long long lu_cg_slab(const char *cg);

/*
 * Fixtures. Most union tests want a scratch area with a few layers, once
 * on layerfs and once on overlay: the harness runs each test of the
 * fixture for both variants, as <fixture>.layerfs.<test> and
 * <fixture>.overlay.<test>.
 *
 *	LU_UNION_FIXTURE(lookup, 3)
 *
 *	TEST_F(lookup, highest_layer_wins)
 *	{
 *		struct lu_scratch *s = &self->s;
 *
 * gives self->s with layers l0 .. l2, variant->fstype ("layerfs" or
 * "overlay") and variant->layerfs. The setup SKIPs a variant whose
 * filesystem is not there.
 *
 * A fixture with more members or more setup spells out FIXTURE(),
 * FIXTURE_SETUP() and FIXTURE_TEARDOWN(), takes its variants from
 * LU_UNION_VARIANTS() and its scratch area from lu_union_setup():
 *
 *	FIXTURE(options) {
 *		struct lu_scratch s;
 *		struct lu_rw rw;
 *	};
 *
 *	LU_UNION_VARIANTS(options);
 *
 *	FIXTURE_SETUP(options)
 *	{
 *		if (!lu_union_setup(_metadata, &self->s, variant->fstype, 2))
 *			return;
 *		ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
 *	}
 *
 * A test that applies to one of the two does not SKIP the other: it
 * belongs to a fixture of its own without variants (explain_lfs in
 * union/explain_test.c), whose setup names the filesystem.
 *
 * This part needs kselftest_harness.h, included before this header.
 */
#ifdef __KSELFTEST_HARNESS_H

/*
 * lu_fs_available() of @fstype: SKIPs if it is not there, ASSERTs that
 * loading it worked. False if the test is skipped; the fixture setup
 * returns then (a fixture that needs both: one call for each).
 */
static inline bool lu_fs_need(struct __test_metadata *_metadata,
			      const char *fstype)
{
	int ret = lu_fs_available(fstype);

	if (ret == -ENODEV)
		SKIP(return false, "%s is not available (layerfs: set LAYERFS_KO)",
		     fstype);
	ASSERT_EQ(0, ret);
	return true;
}

/* lu_scratch_init() of @s for @fstype, after lu_fs_need(). */
static inline bool lu_union_setup(struct __test_metadata *_metadata,
				  struct lu_scratch *s, const char *fstype,
				  int nlayers)
{
	if (!lu_fs_need(_metadata, fstype))
		return false;
	ASSERT_EQ(0, lu_scratch_init(s, fstype, nlayers));
	return true;
}

/*
 * The variants "layerfs" and "overlay" of fixture @name: variant->fstype,
 * variant->layerfs and variant->opts (NULL: no more options).
 */
#define LU_UNION_VARIANTS(name)						\
	FIXTURE_VARIANT(name) {						\
		const char *fstype;					\
		bool layerfs;						\
		const char *opts;					\
	};								\
	FIXTURE_VARIANT_ADD(name, layerfs) {				\
		.fstype = "layerfs",					\
		.layerfs = true,					\
	};								\
	FIXTURE_VARIANT_ADD(name, overlay) {				\
		.fstype = "overlay",					\
		.layerfs = false,					\
	}

/*
 * LU_UNION_VARIANTS() and the same pair with overlayfs's options in
 * variant->opts, for lu_scratch_options(): "userxattr" (the marks in
 * user.overlay.*) and "metacopy=on" (which turns on redirect_dir=on).
 * For the tests whose union semantics hold under every option.
 */
#define LU_UNION_OPT_VARIANTS(name)					\
	LU_UNION_VARIANTS(name);					\
	FIXTURE_VARIANT_ADD(name, layerfs_userxattr) {			\
		.fstype = "layerfs", .layerfs = true,			\
		.opts = "userxattr",					\
	};								\
	FIXTURE_VARIANT_ADD(name, overlay_userxattr) {			\
		.fstype = "overlay", .layerfs = false,			\
		.opts = "userxattr",					\
	};								\
	FIXTURE_VARIANT_ADD(name, layerfs_metacopy) {			\
		.fstype = "layerfs", .layerfs = true,			\
		.opts = "metacopy=on",					\
	};								\
	FIXTURE_VARIANT_ADD(name, overlay_metacopy) {			\
		.fstype = "overlay", .layerfs = false,			\
		.opts = "metacopy=on",					\
	}

/* Fixture @name with self->s of @nlayers layers, variants @variants. */
#define __LU_UNION_FIXTURE(name, nlayers, variants)			\
	FIXTURE(name) {							\
		struct lu_scratch s;					\
	};								\
	variants(name);							\
	FIXTURE_SETUP(name)						\
	{								\
		if (lu_union_setup(_metadata, &self->s, variant->fstype, \
				   (nlayers)))				\
			lu_scratch_options(&self->s, variant->opts);	\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		lu_scratch_fini(&self->s);				\
	}

/*
 * Fixture @name: self->s with @nlayers layers, for the variants
 * "layerfs" and "overlay" (LU_UNION_OPT_FIXTURE: and with each option of
 * LU_UNION_OPT_VARIANTS()). It defines functions: no semicolon after it.
 */
#define LU_UNION_FIXTURE(name, nlayers)					\
	__LU_UNION_FIXTURE(name, nlayers, LU_UNION_VARIANTS)
#define LU_UNION_OPT_FIXTURE(name, nlayers)				\
	__LU_UNION_FIXTURE(name, nlayers, LU_UNION_OPT_VARIANTS)

#endif /* __KSELFTEST_HARNESS_H */

#endif /* LAYERFS_SELFTESTS_UNION_H */
