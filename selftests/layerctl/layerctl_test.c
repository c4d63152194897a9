// SPDX-License-Identifier: GPL-2.0
/*
 * layerctl against the kernel (run in a guest, as root): every test
 * builds a Docker overlay2 store with scripts/mkstore (the busybox demo
 * image and a container of it), mounts images and containers with
 * layerctl and compares what they show with overlayfs mounts built from
 * the same store the way dockerd builds them (lowerdir= from the lower
 * files, upperdir=<mount-id>/diff, workdir=<mount-id>/work).
 *
 * Each test runs in a mount namespace of its own on a private tmpfs, so
 * its mounts go away with it; the layers it registered are pruned.
 *
 * Environment (selftests/run sets it): LAYERFS_KO (default
 * <repo>/layerfs.ko) is the module layerctl loads when /dev/layerfs is
 * missing (passed as --module: layerctl itself ignores LAYERFS_KO);
 * LAYERCTL and MKSTORE override <repo>/helper/layerctl and
 * <repo>/scripts/mkstore; LAYERFS_SRC is the repository.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <linux/layerfs.h>
#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define LAYERFS_MAGIC		0x4c415946	/* module/layerfs.h */
#define OVERLAYFS_MAGIC		0x794c7630
#define OUT_SIZE		65536
#define NLAYERS			3

/* ---- running commands --------------------------------------------------- */

static char repo[PATH_MAX], layerctl[PATH_MAX], mkstore[PATH_MAX];
static char modopt[PATH_MAX + 16];	/* " --module $LAYERFS_KO", or "" */

/*
 * The repository: $LAYERFS_SRC (selftests/run sets it), else the first
 * directory above this binary that holds scripts/mkstore (the binary is
 * build/selftests/layerctl/layerctl_test).
 */
static void find_tools(void)
{
	const char *env = getenv("LAYERFS_SRC");
	char exe[PATH_MAX], probe[PATH_MAX + 32], *slash;
	ssize_t n;

	if (env) {
		snprintf(repo, sizeof(repo), "%s", env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			abort();
		exe[n] = '\0';
		while ((slash = strrchr(exe, '/')) && slash != exe) {
			*slash = '\0';
			snprintf(probe, sizeof(probe), "%s/scripts/mkstore", exe);
			if (!access(probe, F_OK))
				break;
		}
		snprintf(repo, sizeof(repo), "%s", exe);
	}
	env = getenv("LAYERCTL");
	if (env)
		snprintf(layerctl, sizeof(layerctl), "%s", env);
	else if (snprintf(layerctl, sizeof(layerctl), "%s/helper/layerctl",
			  repo) >= (int)sizeof(layerctl))
		abort();
	env = getenv("MKSTORE");
	if (env)
		snprintf(mkstore, sizeof(mkstore), "%s", env);
	else if (snprintf(mkstore, sizeof(mkstore), "%s/scripts/mkstore",
			  repo) >= (int)sizeof(mkstore))
		abort();
}

/*
 * Run a shell command with stdout and stderr in @out; its exit status,
 * or -1. A macro, so that snprintf() checks the format.
 */
#define RUN(out, fmt, ...) ({						\
	char __cmd[8192];						\
									\
	if (snprintf(__cmd, sizeof(__cmd), fmt, ##__VA_ARGS__) >=	\
	    (int)sizeof(__cmd))						\
		abort();						\
	run_cmd(__cmd, out);						\
})

static int run_cmd(const char *cmd, char *out)
{
	char full[8400], path[] = "/tmp/layerctl-test-out.XXXXXX";
	ssize_t n;
	int fd, status;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	snprintf(full, sizeof(full), "exec >%s 2>&1; %s", path, cmd);
	status = system(full);
	n = read(fd, out, OUT_SIZE - 1);
	out[n < 0 ? 0 : n] = '\0';
	close(fd);
	unlink(path);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* snprintf() a path into an array, which it returns; aborts if too long. */
#define P(buf, fmt, ...) ({						\
	char *__buf = (buf);						\
									\
	if (snprintf(__buf, sizeof(buf), fmt, ##__VA_ARGS__) >=	\
	    (int)sizeof(buf))						\
		abort();						\
	__buf;								\
})

/* ---- snapshots of a tree ------------------------------------------------ */

struct node {
	char path[PATH_MAX];
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	nlink_t nlink;			/* non-directories only */
	dev_t rdev;
	struct timespec mtime;
	char data[PATH_MAX];		/* sha256 of a file, a link's target */
	char xattrs[1024];		/* "name=value;" in listxattr order */
};

struct tree {
	size_t n, cap;
	struct node *v;
};

static struct tree *walk_tree;
static size_t walk_root_len;

static void hash_file(const char *path, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len, i;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0 || !ctx) {
		snprintf(out, PATH_MAX, "error: %s", strerror(errno));
		EVP_MD_CTX_free(ctx);
		if (fd >= 0)
			close(fd);
		return;
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, md, &len);
	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	if (n < 0)
		snprintf(out, PATH_MAX, "error: %s", strerror(errno));
	EVP_MD_CTX_free(ctx);
	close(fd);
}

static void list_xattrs(const char *path, char *out, size_t size)
{
	char names[4096], value[256], *name;
	size_t len = 0;
	ssize_t n, v;

	out[0] = '\0';
	n = llistxattr(path, names, sizeof(names));
	for (name = names; n > 0 && name < names + n;
	     name += strlen(name) + 1) {
		/*
		 * Seen only in upper directories: overlayfs stores a file
		 * handle, and none for a lower hard link it copies up;
		 * layerfs always an empty one ("origin unknown", a
		 * deviation listed in Documentation/filesystems/layerfs.rst).
		 */
		if (!strcmp(name, "trusted.overlay.origin"))
			continue;
		v = lgetxattr(path, name, value, sizeof(value) - 1);
		value[v < 0 ? 0 : v] = '\0';
		len += snprintf(out + len, size - len, "%s=%s;", name,
				v < 0 ? strerror(errno) : value);
		if (len >= size)
			break;
	}
}

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct tree *t = walk_tree;
	struct node *nd;
	ssize_t n;

	(void)type;
	(void)ftw;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		if (!t->v)
			return -1;
	}
	nd = &t->v[t->n++];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->path, sizeof(nd->path), ".%s", path + walk_root_len);
	nd->mode = st->st_mode;
	nd->uid = st->st_uid;
	nd->gid = st->st_gid;
	nd->size = st->st_size;
	nd->nlink = S_ISDIR(st->st_mode) ? 0 : st->st_nlink;
	nd->rdev = st->st_rdev;
	nd->mtime = st->st_mtim;
	if (S_ISREG(st->st_mode))
		hash_file(path, nd->data);
	if (S_ISLNK(st->st_mode)) {
		n = readlink(path, nd->data, sizeof(nd->data) - 1);
		nd->data[n < 0 ? 0 : n] = '\0';
	}
	list_xattrs(path, nd->xattrs, sizeof(nd->xattrs));
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->path,
		      ((const struct node *)b)->path);
}

static int snapshot(const char *root, struct tree *t)
{
	memset(t, 0, sizeof(*t));
	walk_tree = t;
	walk_root_len = strlen(root);
	if (nftw(root, walk_one, 32, FTW_PHYS | FTW_MOUNT))
		return -1;
	qsort(t->v, t->n, sizeof(*t->v), node_cmp);
	return 0;
}

static void node_str(const struct node *n, char *buf, size_t size)
{
	snprintf(buf, size,
		 "%s mode %o uid %u gid %u size %lld nlink %lu rdev %u:%u mtime %lld.%09ld data '%.80s' xattrs '%.200s'",
		 n->path, n->mode, n->uid, n->gid, (long long)n->size,
		 (unsigned long)n->nlink, major(n->rdev), minor(n->rdev),
		 (long long)n->mtime.tv_sec, n->mtime.tv_nsec, n->data,
		 n->xattrs);
}

/* A whiteout in an upper directory: a character device 0/0. */
static bool node_whiteout(const struct node *n)
{
	return S_ISCHR(n->mode) && !n->rdev;
}

/*
 * overlayfs hard links the whiteouts it makes to one in its workdir
 * (fs/overlayfs/dir.c, ovl_whiteout()); their link count is no part of
 * the format.
 */
static bool node_same(const struct node *a, const struct node *b,
		      bool mtime)
{
	return !strcmp(a->path, b->path) && a->mode == b->mode &&
	       a->uid == b->uid && a->gid == b->gid && a->size == b->size &&
	       (a->nlink == b->nlink ||
		(node_whiteout(a) && node_whiteout(b))) &&
	       a->rdev == b->rdev &&
	       (!mtime || (a->mtime.tv_sec == b->mtime.tv_sec &&
			   a->mtime.tv_nsec == b->mtime.tv_nsec)) &&
	       !strcmp(a->data, b->data) && !strcmp(a->xattrs, b->xattrs);
}

/*
 * 0 if the trees are the same, else 1 and the first difference in @why.
 * Modification times are compared unless the trees were made apart.
 */
static int tree_diff_how(const struct tree *a, const struct tree *b,
			 bool mtime, char *why, size_t size)
{
	char sa[PATH_MAX * 2], sb[PATH_MAX * 2];
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (node_same(&a->v[i], &b->v[i], mtime))
			continue;
		node_str(&a->v[i], sa, sizeof(sa));
		node_str(&b->v[i], sb, sizeof(sb));
		snprintf(why, size, "\n  %s\n  %s", sa, sb);
		return 1;
	}
	if (a->n == b->n)
		return 0;
	node_str(i < a->n ? &a->v[i] : &b->v[i], sa, sizeof(sa));
	snprintf(why, size, "only in the %s tree: %s",
		 i < a->n ? "first" : "second", sa);
	return 1;
}

static int tree_diff(const struct tree *a, const struct tree *b, char *why,
		     size_t size)
{
	return tree_diff_how(a, b, true, why, size);
}

/* ---- the fixture -------------------------------------------------------- */

struct layer {
	char name[32];
	char cache[80];
};

FIXTURE(store) {
	char dir[PATH_MAX];		/* private tmpfs (lu_scratch_mount()) */
	char backing[LU_SCRATCH_BACKING_MAX];
	char root[PATH_MAX];		/* the store */
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];	/* mount points */
	char image[80];
	char cid[80];
	char mid[80];
	char init[32];
	struct layer l[NLAYERS];
	char out[OUT_SIZE];
	bool ready;
};

static int json_str(struct json_object *obj, const char *key, char *dst,
		    size_t size)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return -1;
	snprintf(dst, size, "%s", json_object_get_string(v));
	return 0;
}

/* What mkstore --json said it made. */
static int read_summary(struct _test_data_store *self)
{
	struct json_object *j, *layers, *l;
	char path[PATH_MAX];
	int i, ret = -1;

	j = json_object_from_file(P(path, "%s/summary.json", self->dir));
	if (!j)
		return -1;
	if (json_str(j, "image", self->image, sizeof(self->image)) ||
	    json_str(j, "container", self->cid, sizeof(self->cid)) ||
	    json_str(j, "mount_id", self->mid, sizeof(self->mid)) ||
	    json_str(j, "init", self->init, sizeof(self->init)) ||
	    !json_object_object_get_ex(j, "layers", &layers) ||
	    json_object_array_length(layers) != NLAYERS)
		goto out_put;
	for (i = 0; i < NLAYERS; i++) {
		l = json_object_array_get_idx(layers, i);
		if (json_str(l, "name", self->l[i].name,
			     sizeof(self->l[i].name)) ||
		    json_str(l, "cache_id", self->l[i].cache,
			     sizeof(self->l[i].cache)))
			goto out_put;
	}
	ret = 0;
out_put:
	json_object_put(j);
	return ret;
}

/* Is layerfs there, or can layerctl load it (LAYERFS_KO)? */
static bool have_module(void)
{
	char path[PATH_MAX];

	if (!getenv("LAYERFS_KO") &&
	    !access(P(path, "%s/layerfs.ko", repo), R_OK))
		setenv("LAYERFS_KO", path, 1);
	if (getenv("LAYERFS_KO") && !access(getenv("LAYERFS_KO"), R_OK)) {
		P(modopt, " --module %s", getenv("LAYERFS_KO"));
		return true;
	}
	return !access("/dev/layerfs", F_OK);
}

/* overlayfs to compare with; modprobe it if need be. */
static bool have_overlay(char *out)
{
	char line[256];
	bool found = false;
	FILE *f;

	RUN(out, "grep -qw overlay /proc/filesystems || modprobe overlay");
	f = fopen("/proc/filesystems", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\toverlay\n"))
			found = true;
	if (f)
		fclose(f);
	return found;
}

FIXTURE_SETUP(store)
{
	char path[PATH_MAX];

	find_tools();
	if (geteuid())
		SKIP(return, "needs root (mounts, the registry, mknod)");
	if (!have_module())
		SKIP(return, "no /dev/layerfs and no layerfs.ko (LAYERFS_KO)");
	ASSERT_EQ(0, access(layerctl, X_OK))
		TH_LOG("%s: build it with make -C helper", layerctl);
	ASSERT_TRUE(have_overlay(self->out)) TH_LOG("no overlayfs: %s", self->out);

	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	P(self->dir, "/tmp/layerctl-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, lu_scratch_mount(self->dir, self->backing,
				      sizeof(self->backing)));
	P(self->root, "%s/store", self->dir);
	P(self->a, "%s/a", self->dir);
	P(self->b, "%s/b", self->dir);
	P(self->c, "%s/c", self->dir);
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));
	ASSERT_EQ(0, mkdir(self->c, 0755));

	ASSERT_EQ(0, RUN(self->out,
			 "%s --root %s --demo --container --save-tars %s/tars --json > %s/summary.json",
			 mkstore, self->root, self->dir, self->dir))
		TH_LOG("mkstore: %s", self->out);
	ASSERT_EQ(0, read_summary(self));
	P(path, "%s/overlay2/%s/diff", self->root, self->mid);
	ASSERT_EQ(0, access(path, F_OK));
	self->ready = true;
}

FIXTURE_TEARDOWN(store)
{
	char out[OUT_SIZE];

	if (!self->ready)
		return;
	umount2(self->a, 0);
	umount2(self->b, 0);
	umount2(self->c, 0);
	RUN(out, "%s --root %s prune", layerctl, self->root);
	lu_scratch_umount(self->dir, self->backing);
}

/*
 * layerctl with the fixture's store (and the module to load, if need
 * be); its exit status, output in out.
 */
#define LAYERCTL(fmt, ...)						\
	RUN(self->out, "%s --root %s%s " fmt, layerctl, self->root,	\
	    modopt, ##__VA_ARGS__)

/*
 * An overlayfs mount of the store as dockerd makes it: lowerdir= is
 * "l/<top>" and the top layer's lower file for an image, the read-write
 * layer's lower file for a container (the init layer first), each
 * l/<short> made absolute; upperdir and workdir only if @upper.
 */
static int ovl_mount(struct _test_data_store *self, const char *target,
		     bool container, bool upper)
{
	char path[PATH_MAX], lower[8192], opts[16384], *p, *tok, *save;
	size_t len = 0;
	ssize_t n;
	int fd;

	P(path, "%s/overlay2/%s/lower", self->root,
	  container ? self->mid : self->l[NLAYERS - 1].cache);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, lower, sizeof(lower) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	lower[n] = '\0';

	len = snprintf(opts, sizeof(opts), "lowerdir=");
	if (!container)
		len += snprintf(opts + len, sizeof(opts) - len,
				"%s/overlay2/l/%s:", self->root,
				self->l[NLAYERS - 1].name);
	for (p = lower; (tok = strtok_r(p, ":", &save)); p = NULL)
		len += snprintf(opts + len, sizeof(opts) - len,
				"%s/overlay2/%s:", self->root, tok);
	opts[--len] = '\0';
	if (upper)
		len += snprintf(opts + len, sizeof(opts) - len,
				",upperdir=%s/overlay2/%s/diff,workdir=%s/overlay2/%s/work",
				self->root, self->mid, self->root, self->mid);
	snprintf(opts + len, sizeof(opts) - len, ",index=off");
	if (mount("overlay", target, "overlay", upper ? 0 : MS_RDONLY, opts))
		return -errno;
	return 0;
}

static long fs_type(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) ? -errno : (long)sfs.f_type;
}

static int write_file(const char *path, const char *data, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -EIO;
}

static const char *cat(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return strerror(errno);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Compare two mounted trees; on a difference, log it and fail. */
static void expect_same_tree(struct __test_metadata *_metadata,
			     const char *x, const char *y)
{
	char why[PATH_MAX * 5];
	struct tree a, b;

	ASSERT_EQ(0, snapshot(x, &a));
	ASSERT_EQ(0, snapshot(y, &b));
	EXPECT_EQ(0, tree_diff(&a, &b, why, sizeof(why)))
		TH_LOG("%s vs %s: %s", x, y, why);
	EXPECT_LT(20, a.n);
	free(a.v);
	free(b.v);
}

/* ---- tests -------------------------------------------------------------- */

TEST_F(store, image_mount_matches_overlayfs)
{
	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	EXPECT_EQ(LAYERFS_MAGIC, fs_type(self->a));
	ASSERT_EQ(0, ovl_mount(self, self->b, false, false));
	EXPECT_EQ(OVERLAYFS_MAGIC, fs_type(self->b));
	expect_same_tree(_metadata, self->a, self->b);
}

TEST_F(store, image_mount_shows_the_demo_layers)
{
	char p[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("mount demo:latest %s", self->a))
		TH_LOG("%s", self->out);
	/* update changed os-release, whited out motd, made opt/old opaque */
	EXPECT_STREQ("NAME=demo\nVERSION=2\n", cat(P(p, "%s/etc/os-release", self->a)));
	EXPECT_NE(0, access(P(p, "%s/etc/motd", self->a), F_OK));
	EXPECT_NE(0, access(P(p, "%s/opt/old/a.txt", self->a), F_OK));
	EXPECT_EQ(0, access(P(p, "%s/opt/old/new.txt", self->a), F_OK));
	EXPECT_NE(0, access(P(p, "%s/usr/share/demo/gone", self->a), F_OK));
	EXPECT_EQ(0, access(P(p, "%s/usr/local/bin/hello", self->a), X_OK));
	EXPECT_EQ(0, RUN(self->out, "%s/bin/busybox echo ok", self->a));
}

TEST_F(store, image_mount_without_upper_is_read_only)
{
	char p[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	EXPECT_EQ(-EROFS, write_file(P(p, "%s/etc/new", self->a), "x", 0));
	EXPECT_EQ(-1, unlink(P(p, "%s/etc/passwd", self->a)));
	EXPECT_EQ(EROFS, errno);
}

/*
 * The text listings, with absent fields (no upper of an image mount, no
 * parent of a bottom layer) shown as "-".
 */
TEST_F(store, text_listings_show_read_only_and_container_mounts)
{
	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->b))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("mounts")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->a)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->b)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->l[2].name)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->init)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("layers --all")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->l[0].name)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("layers demo")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("stats %s", self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("stats")) TH_LOG("%s", self->out);
}

TEST_F(store, image_mount_with_upper_writes_to_the_upper_directory)
{
	char p[PATH_MAX], up[PATH_MAX], work[PATH_MAX];
	struct stat st;

	ASSERT_EQ(0, mkdir(P(up, "%s/up", self->dir), 0755));
	ASSERT_EQ(0, mkdir(P(work, "%s/work", self->dir), 0755));
	ASSERT_EQ(0, LAYERCTL("mount --upper %s --work %s demo %s", up, work,
			      self->a)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, write_file(P(p, "%s/etc/new", self->a), "new\n", 0));
	EXPECT_STREQ("new\n", cat(P(p, "%s/etc/new", up)));
	EXPECT_EQ(0, unlink(P(p, "%s/etc/passwd", self->a)));
	ASSERT_EQ(0, lstat(P(p, "%s/etc/passwd", up), &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
}

TEST_F(store, container_mount_matches_overlayfs)
{
	char p[PATH_MAX], why[PATH_MAX * 5];
	struct tree lfs, ovl;

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);
	/* The init layer's placeholders are there. */
	EXPECT_EQ(0, access(P(p, "%s/.dockerenv", self->a), F_OK));
	EXPECT_EQ(0, access(P(p, "%s/etc/hostname", self->a), F_OK));
	EXPECT_EQ(0, access(P(p, "%s/dev/pts", self->a), F_OK));

	/*
	 * dockerd's overlayfs mount of the container, one after the other:
	 * an upper directory belongs to one mount at a time.
	 */
	ASSERT_EQ(0, snapshot(self->a, &lfs));
	ASSERT_EQ(0, LAYERCTL("umount %s", self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, ovl_mount(self, self->b, true, true));
	ASSERT_EQ(0, snapshot(self->b, &ovl));
	EXPECT_EQ(0, tree_diff(&lfs, &ovl, why, sizeof(why)))
		TH_LOG("layerfs vs overlayfs: %s", why);
	EXPECT_LT(20, lfs.n);
	free(lfs.v);
	free(ovl.v);
}

TEST_F(store, a_shell_runs_in_the_container_and_its_writes_persist)
{
	char p[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, RUN(self->out,
			 "chroot %s /bin/sh -c 'hello && echo made > /root/made && mkdir -p /var/lib/x && cat /etc/os-release'",
			 self->a));
	EXPECT_STREQ("hello from layerfs\nNAME=demo\nVERSION=2\n", self->out);
	ASSERT_EQ(0, LAYERCTL("umount %s", self->a));
	EXPECT_STREQ("made\n", cat(P(p, "%s/overlay2/%s/diff/root/made",
				     self->root, self->mid)));
	ASSERT_EQ(0, LAYERCTL("mount %.8s %s", self->cid, self->a));
	EXPECT_STREQ("made\n", cat(P(p, "%s/root/made", self->a)));
	EXPECT_EQ(0, access(P(p, "%s/var/lib/x", self->a), F_OK));
}

TEST_F(store, container_writes_land_in_its_diff_and_overlayfs_agrees)
{
	char p[PATH_MAX], q[PATH_MAX], diff[PATH_MAX], val[8];
	char why[PATH_MAX * 5];
	struct tree lfs, ovl;
	struct stat st;

	P(diff, "%s/overlay2/%s/diff", self->root, self->mid);
	ASSERT_EQ(0, LAYERCTL("mount %.12s %s", self->cid, self->a))
		TH_LOG("%s", self->out);

	/* new file, copy-up, whiteout, opaque directory, rename, chmod */
	EXPECT_EQ(0, write_file(P(p, "%s/etc/newfile", self->a), "data\n", 0));
	EXPECT_EQ(0, write_file(P(p, "%s/etc/os-release", self->a),
				"APPENDED=1\n", O_APPEND));
	EXPECT_EQ(0, unlink(P(p, "%s/etc/passwd", self->a)));
	EXPECT_EQ(0, RUN(self->out, "rm -r %s/usr/share/demo", self->a));
	EXPECT_EQ(0, mkdir(P(p, "%s/usr/share/demo", self->a), 0700));
	EXPECT_EQ(0, write_file(P(p, "%s/usr/share/demo/fresh", self->a),
				"fresh\n", 0));
	EXPECT_EQ(0, rename(P(p, "%s/etc/group", self->a),
			    P(q, "%s/etc/group.old", self->a)));
	EXPECT_EQ(0, chmod(P(p, "%s/etc/demo.conf", self->a), 0600));

	/* Where it landed. */
	EXPECT_STREQ("data\n", cat(P(p, "%s/etc/newfile", diff)));
	EXPECT_STREQ("NAME=demo\nVERSION=2\nAPPENDED=1\n",
		     cat(P(p, "%s/etc/os-release", diff)));
	ASSERT_EQ(0, lstat(P(p, "%s/etc/passwd", diff), &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	ASSERT_EQ(0, lstat(P(p, "%s/etc/group", diff), &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	EXPECT_EQ(0, access(P(p, "%s/etc/group.old", diff), F_OK));
	EXPECT_EQ(1, lgetxattr(P(p, "%s/usr/share/demo", diff),
			       "trusted.overlay.opaque", val, sizeof(val)));
	ASSERT_EQ(0, lstat(P(p, "%s/etc/demo.conf", diff), &st));
	EXPECT_EQ(0100600, st.st_mode);
	/* The image's layers are untouched. */
	EXPECT_STREQ("NAME=demo\nVERSION=2\n",
		     cat(P(p, "%s/overlay2/%s/diff/etc/os-release", self->root,
			   self->l[1].cache)));

	/*
	 * What layerfs shows over the written upper is what dockerd's
	 * overlayfs mount of the same directories shows (one at a time: an
	 * upper directory belongs to one mount).
	 */
	ASSERT_EQ(0, snapshot(self->a, &lfs));
	ASSERT_EQ(0, LAYERCTL("umount %s", self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, ovl_mount(self, self->b, true, true));
	ASSERT_EQ(0, snapshot(self->b, &ovl));
	EXPECT_EQ(0, tree_diff(&lfs, &ovl, why, sizeof(why)))
		TH_LOG("layerfs vs overlayfs: %s", why);
	ASSERT_EQ(0, umount2(self->b, 0));
	free(lfs.v);

	/* And layerctl mounts it again as it was. */
	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, snapshot(self->a, &lfs));
	EXPECT_EQ(0, tree_diff(&lfs, &ovl, why, sizeof(why)))
		TH_LOG("layerfs remounted vs overlayfs: %s", why);
	free(lfs.v);
	free(ovl.v);
}

/* The changes a container makes, run in its root. */
static const char * const container_changes[] = {
	"echo data > etc/newfile",
	"echo more >> etc/os-release",
	"rm etc/passwd",
	"rm -r usr/share/demo && mkdir usr/share/demo",
	"echo fresh > usr/share/demo/fresh",
	"mv etc/group etc/group.old",
	"chmod 600 etc/demo.conf",
	"ln usr/local/bin/hello root/hello.ln",
	"echo again >> usr/local/bin/hello-again",
	"mkdir -p var/lib/app",
	"ln -s ../../etc/os-release var/lib/app/link",
	"rm -r opt/old",
	"mv var/log/base.log var/log/moved.log",
	"setfattr -n user.k -v v etc/hostname",
};

static void change_container(struct __test_metadata *_metadata,
			     const char *mnt, char *out)
{
	const char *step;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(container_changes); i++) {
		step = container_changes[i];
		EXPECT_EQ(0, RUN(out, "cd %s && %s", mnt, step))
			TH_LOG("%s: %s", step ?: "", out);
	}
}

TEST_F(store, container_written_by_overlayfs_mounts_the_same_with_layerctl)
{
	char why[PATH_MAX * 5];
	struct tree lfs, ovl;

	/* dockerd ran the container with overlayfs first. */
	ASSERT_EQ(0, ovl_mount(self, self->b, true, true));
	change_container(_metadata, self->b, self->out);
	ASSERT_EQ(0, snapshot(self->b, &ovl));
	ASSERT_EQ(0, umount2(self->b, 0));

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, snapshot(self->a, &lfs));
	EXPECT_EQ(0, tree_diff(&lfs, &ovl, why, sizeof(why)))
		TH_LOG("layerfs vs overlayfs: %s", why);
	free(lfs.v);
	free(ovl.v);
}

TEST_F(store, same_changes_through_layerfs_and_overlayfs_give_the_same_tree)
{
	char why[PATH_MAX * 5], out[OUT_SIZE], diff[PATH_MAX];
	struct tree lfs, ovl, lfs_diff, ovl_diff;

	P(diff, "%s/overlay2/%s/diff", self->root, self->mid);
	/* The same changes through layerctl's mount ... */
	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);
	change_container(_metadata, self->a, self->out);
	ASSERT_EQ(0, snapshot(self->a, &lfs));
	ASSERT_EQ(0, LAYERCTL("umount %s", self->a));
	ASSERT_EQ(0, snapshot(diff, &lfs_diff));

	/* ... and through overlayfs on a fresh copy of the store. */
	ASSERT_EQ(0, RUN(out, "rm -rf %s/overlay2/%s/diff/* %s/overlay2/%s/diff/.[!.]*",
			 self->root, self->mid, self->root, self->mid));
	ASSERT_EQ(0, ovl_mount(self, self->b, true, true));
	change_container(_metadata, self->b, out);
	ASSERT_EQ(0, snapshot(self->b, &ovl));
	EXPECT_EQ(0, tree_diff_how(&lfs, &ovl, false, why, sizeof(why)))
		TH_LOG("layerfs vs overlayfs: %s", why);

	/*
	 * The upper directories themselves: what dockerd tars up for
	 * "docker commit" and "docker diff" (char 0/0 whiteouts,
	 * trusted.overlay.opaque=y).
	 */
	ASSERT_EQ(0, umount2(self->b, 0));
	ASSERT_EQ(0, snapshot(diff, &ovl_diff));
	EXPECT_EQ(0, tree_diff_how(&lfs_diff, &ovl_diff, false, why,
				   sizeof(why)))
		TH_LOG("upper written by layerfs vs by overlayfs: %s", why);
	free(lfs.v);
	free(ovl.v);
	free(lfs_diff.v);
	free(ovl_diff.v);
}

/*
 * overlayfs marks a new directory in a merged one opaque only when it
 * does not allow offline changes to the lower layers (index, metacopy,
 * redirect_dir=on: fs/overlayfs/dir.c, ovl_create_upper()); not with
 * Debian's defaults and dockerd's options. An extra opaque mark ends up
 * as a ".wh..wh..opq" entry in what "docker commit" tars up.
 */
TEST_F(store, new_directory_in_a_merged_one_is_not_made_opaque)
{
	char p[PATH_MAX], val[8];

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, mkdir(P(p, "%s/var/lib", self->a), 0755));
	ASSERT_EQ(0, mkdir(P(p, "%s/newtop", self->a), 0755));
	EXPECT_EQ(-1, lgetxattr(P(p, "%s/overlay2/%s/diff/var/lib", self->root,
				  self->mid), "trusted.overlay.opaque", val,
				sizeof(val)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, lgetxattr(P(p, "%s/overlay2/%s/diff/newtop", self->root,
				  self->mid), "trusted.overlay.opaque", val,
				sizeof(val)));
	EXPECT_EQ(ENODATA, errno);
	/* Over a whiteout it must be opaque, as overlayfs makes it. */
	ASSERT_EQ(0, RUN(self->out, "rm -r %s/opt/old && mkdir %s/opt/old",
			 self->a, self->a));
	EXPECT_EQ(1, lgetxattr(P(p, "%s/overlay2/%s/diff/opt/old", self->root,
				 self->mid), "trusted.overlay.opaque", val,
			       sizeof(val)));
}

TEST_F(store, container_upper_in_use_by_overlayfs_is_refused_with_the_reason)
{
	ASSERT_EQ(0, ovl_mount(self, self->b, true, true));
	EXPECT_EQ(3, LAYERCTL("mount %s %s", self->cid, self->a));
	TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "Device or resource busy"));
	/* The fs context's log is printed. */
	EXPECT_NE(NULL, strstr(self->out, "layerctl: kernel"));
	EXPECT_NE(LAYERFS_MAGIC, fs_type(self->a));
}

TEST_F(store, upper_and_work_on_different_mounts_print_the_kernel_log)
{
	char up[PATH_MAX], work[PATH_MAX];

	ASSERT_EQ(0, mkdir(P(up, "%s/up", self->dir), 0755));
	ASSERT_EQ(0, mount("tmpfs", self->c, "tmpfs", 0, NULL));
	ASSERT_EQ(0, mkdir(P(work, "%s/work", self->c), 0755));
	EXPECT_EQ(3, LAYERCTL("mount --upper %s --work %s demo %s", up, work,
			      self->a));
	TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "layerctl: kernel"));
	EXPECT_NE(NULL, strstr(self->out, "mount layer="));
}

static struct json_object *layers_json(struct _test_data_store *self,
				       const char *what)
{
	char out[OUT_SIZE];

	if (RUN(out, "%s --root %s layers --json %s 2>/dev/null", layerctl,
		self->root, what))
		return NULL;
	return json_tokener_parse(out);
}

/* Field @key of layer @name in a layers --json array, or -1. */
static long long layer_field(struct json_object *arr, const char *name,
			     const char *key)
{
	struct json_object *o, *v;
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "name", &v) ||
		    strcmp(json_object_get_string(v), name))
			continue;
		if (!json_object_object_get_ex(o, key, &v))
			return -1;
		return json_object_get_int64(v);
	}
	return -1;
}

TEST_F(store, layers_are_registered_once_and_shared_by_mounts)
{
	struct json_object *j;
	char p[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("-v mount demo %s", self->b)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "already registered"));
	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->c))
		TH_LOG("%s", self->out);

	j = layers_json(self, "");
	ASSERT_NE(NULL, j);
	EXPECT_EQ(NLAYERS + 1, json_object_array_length(j));
	EXPECT_EQ(3, layer_field(j, self->l[0].name, "mounts"));
	EXPECT_EQ(1, layer_field(j, self->l[0].name, "depth"));
	EXPECT_EQ(3, layer_field(j, self->l[2].name, "mounts"));
	EXPECT_EQ(1, layer_field(j, self->l[2].name, "children"));
	EXPECT_EQ(1, layer_field(j, self->init, "mounts"));
	EXPECT_EQ(4, layer_field(j, self->init, "depth"));
	json_object_put(j);

	/* A second image made of the two lower layers adds nothing. */
	ASSERT_EQ(0, RUN(self->out, "%s --root %s --tag demo2 %s/tars/base.tar %s/tars/update.tar",
			 mkstore, self->root, self->dir, self->dir));
	ASSERT_EQ(0, umount2(self->c, 0));
	ASSERT_EQ(0, LAYERCTL("mount demo2 %s", self->c)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, access(P(p, "%s/usr/share/demo/update", self->c), F_OK));
	EXPECT_NE(0, access(P(p, "%s/etc/demo.conf", self->c), F_OK));
	j = layers_json(self, "demo2");
	ASSERT_NE(NULL, j);
	EXPECT_EQ(2, json_object_array_length(j));
	EXPECT_EQ(3, layer_field(j, self->l[1].name, "mounts"));
	json_object_put(j);
}

TEST_F(store, prune_keeps_the_layers_mounts_use)
{
	struct json_object *j;

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a));
	ASSERT_EQ(0, LAYERCTL("-v prune")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "0 layer(s) removed"));
	j = layers_json(self, "");
	EXPECT_EQ(NLAYERS + 1, json_object_array_length(j));
	json_object_put(j);

	ASSERT_EQ(0, LAYERCTL("umount %s", self->a));
	ASSERT_EQ(0, LAYERCTL("-v prune")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "4 layer(s) removed"));
	j = layers_json(self, "");
	EXPECT_EQ(0, json_object_array_length(j));
	json_object_put(j);
}

TEST_F(store, rm_refuses_a_layer_in_use)
{
	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a));
	EXPECT_EQ(3, LAYERCTL("rm %s", self->l[NLAYERS - 1].name));
	EXPECT_NE(NULL, strstr(self->out, "in use by 0 child layer(s) and 1 mount(s)"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(3, LAYERCTL("rm %s", self->l[0].name));
	EXPECT_NE(NULL, strstr(self->out, "in use by 1 child layer(s)"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("umount %s", self->a));
	EXPECT_EQ(0, LAYERCTL("rm %s", self->l[NLAYERS - 1].name));
	EXPECT_EQ(3, LAYERCTL("rm %s", self->l[NLAYERS - 1].name));
	EXPECT_NE(NULL, strstr(self->out, "not registered")) TH_LOG("%s", self->out);
}

TEST_F(store, conflicting_registration_is_explained)
{
	struct layerfs_layer_add add = { .size = sizeof(add) };
	struct layerfs_layer_del del = { .size = sizeof(del) };
	int ctl, dirfd;

	/* The top layer's name, registered by hand for another directory. */
	ctl = open("/dev/layerfs", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a));
		ASSERT_EQ(0, LAYERCTL("umount %s", self->a));
		ASSERT_EQ(0, LAYERCTL("prune"));
		ctl = open("/dev/layerfs", O_RDWR | O_CLOEXEC);
	}
	ASSERT_LE(0, ctl);
	dirfd = open(self->dir, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, dirfd);
	add.dirfd = dirfd;
	snprintf((char *)add.name, sizeof(add.name), "%s",
		 self->l[NLAYERS - 1].name);
	ASSERT_EQ(0, ioctl(ctl, LAYERFS_IOC_ADD_LAYER, &add));

	EXPECT_EQ(3, LAYERCTL("mount demo %s", self->a));
	EXPECT_NE(NULL, strstr(self->out, "registered already with another directory"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, LAYERCTL("layers demo"));
	EXPECT_NE(NULL, strstr(self->out, "registered differently"))
		TH_LOG("%s", self->out);

	snprintf((char *)del.name, sizeof(del.name), "%s",
		 self->l[NLAYERS - 1].name);
	ASSERT_EQ(0, ioctl(ctl, LAYERFS_IOC_DEL_LAYER, &del));
	EXPECT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	close(dirfd);
	close(ctl);
}

TEST_F(store, an_inconsistent_store_is_refused_before_the_kernel_sees_it)
{
	struct layerfs_layer_info info = { .size = sizeof(info) };
	char p[PATH_MAX];
	int ctl;

	/* A lower file that disagrees with the chain. */
	ASSERT_EQ(0, write_file(P(p, "%s/overlay2/%s/lower", self->root,
				  self->l[2].cache), "l/AAAAAAAAAAAAAAAAAAAAAAAAAA",
				O_TRUNC));
	EXPECT_EQ(2, LAYERCTL("mount demo %s", self->a));
	EXPECT_NE(NULL, strstr(self->out, p)) TH_LOG("%s", self->out);
	EXPECT_NE(LAYERFS_MAGIC, fs_type(self->a));
	/* Nothing was registered, not even the layers below. */
	ctl = open("/dev/layerfs", O_RDWR | O_CLOEXEC);
	if (ctl >= 0) {
		snprintf((char *)info.name, sizeof(info.name), "%s",
			 self->l[0].name);
		EXPECT_EQ(-1, ioctl(ctl, LAYERFS_IOC_GET_LAYER, &info));
		EXPECT_EQ(ENOENT, errno);
		close(ctl);
	}
}

TEST_F(store, umount_refuses_what_is_not_layerfs)
{
	ASSERT_EQ(0, ovl_mount(self, self->b, false, false));
	EXPECT_EQ(3, LAYERCTL("umount %s", self->b));
	EXPECT_NE(NULL, strstr(self->out, "not a layerfs mount"));
	EXPECT_EQ(OVERLAYFS_MAGIC, fs_type(self->b));
}

/*
 * Layer tars for a deep image: layer i adds layers/<i>, rewrites shared,
 * every 10th whites out an earlier file, every 7th makes dir/ opaque.
 */
static const char deep_py[] =
	"import io, sys, tarfile\n"
	"def add(t, name, data=b'', kind=tarfile.REGTYPE):\n"
	"    ti = tarfile.TarInfo(name); ti.type = kind; ti.mtime = 1\n"
	"    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644\n"
	"    ti.size = len(data); t.addfile(ti, io.BytesIO(data))\n"
	"d, n = sys.argv[1], int(sys.argv[2])\n"
	"for i in range(n):\n"
	"    with tarfile.open('%s/%03d.tar' % (d, i), 'w') as t:\n"
	"        add(t, 'layers', kind=tarfile.DIRTYPE)\n"
	"        add(t, 'layers/%d' % i, b'layer %d' % i)\n"
	"        add(t, 'shared', b'top is %d' % i)\n"
	"        add(t, 'dir', kind=tarfile.DIRTYPE)\n"
	"        add(t, 'dir/f%d' % i, b'x' * i)\n"
	"        if i and i % 10 == 0:\n"
	"            add(t, 'layers/.wh.%d' % (i - 5))\n"
	"        if i and i % 7 == 0:\n"
	"            add(t, 'dir/.wh..wh..opq')\n";

TEST_F(store, deep_image_matches_overlayfs_mounted_like_dockerd)
{
	const int depth = 120;	/* dockerd refuses more than 125 */
	char cwd[PATH_MAX], p[PATH_MAX], q[PATH_MAX], lower[8192];
	char opts[8192];
	ssize_t n;
	int fd;

	ASSERT_EQ(0, mkdir(P(p, "%s/deep", self->dir), 0755));
	ASSERT_EQ(0, write_file(P(q, "%s/deep.py", self->dir), deep_py, 0));
	ASSERT_EQ(0, RUN(self->out, "python3 %s %s %d", q, p, depth))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, RUN(self->out, "%s --root %s --tag deep %s/*.tar", mkstore,
			 self->root, p)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("mount deep %s", self->a)) TH_LOG("%s", self->out);
	EXPECT_STREQ("top is 119", cat(P(p, "%s/shared", self->a)));

	/* dockerd: relative l/ names from overlay2/ to fit in a page. */
	ASSERT_EQ(0, LAYERCTL("inspect deep | sed -n 's/^top layer  //p'"));
	self->out[strcspn(self->out, "\n")] = '\0';
	ASSERT_EQ(26, strlen(self->out));
	P(p, "%s/overlay2/l/%s", self->root, self->out);
	n = readlink(p, lower, sizeof(lower));
	ASSERT_LT(0, n);
	lower[n - 5] = '\0';	/* "../<cache>/diff" */
	fd = open(P(p, "%s/overlay2/%s/lower", self->root, lower + 3),
		  O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, lower, sizeof(lower) - 1);
	close(fd);
	ASSERT_LT(0, n);
	lower[n] = '\0';
	P(opts, "lowerdir=l/%s:%s,index=off", self->out, lower);
	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	ASSERT_EQ(0, chdir(P(p, "%s/overlay2", self->root)));
	ASSERT_EQ(0, mount("overlay", self->b, "overlay", MS_RDONLY, opts));
	ASSERT_EQ(0, chdir(cwd));
	expect_same_tree(_metadata, self->a, self->b);
}

TEST_F(store, mount_loads_the_module_when_it_is_missing)
{
	if (syscall(SYS_delete_module, "layerfs", O_NONBLOCK) &&
	    errno != ENOENT)
		SKIP(return, "layerfs is in use elsewhere and cannot be unloaded: %s",
		     strerror(errno));
	ASSERT_NE(0, access("/sys/module/layerfs", F_OK));
	ASSERT_EQ(0, LAYERCTL("-v mount demo %s", self->a))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "loading"));
	EXPECT_EQ(0, access("/sys/module/layerfs", F_OK));
	EXPECT_EQ(LAYERFS_MAGIC, fs_type(self->a));
}

/* ---- checks and use: nothing swapped in between is used ----------------- */

/*
 * Build swap_shim.so (selftests/layerctl/swap_shim.c) into the scratch
 * directory: layerctl run with it swaps two directories at one chosen
 * moment. 0, or -1 with the reason in out.
 */
static int build_shim(struct _test_data_store *self, char *so, size_t size)
{
	if (snprintf(so, size, "%s/swap_shim.so", self->dir) >= (int)size)
		return -1;
	return RUN(self->out, "cc -shared -fPIC -O2 -o %s %s/selftests/layerctl/swap_shim.c -ldl",
		   so, repo) ? -1 : 0;
}

/* layerctl under the shim: swap @a and @b at @at, then go on. */
#define LAYERCTL_SWAPPED(so, at, a, b, fmt, ...)			\
	RUN(self->out, "LD_PRELOAD=%s LFS_SWAP_AT=%s LFS_SWAP_A=%s LFS_SWAP_B=%s "\
	    "%s --root %s%s " fmt, so, at, a, b, layerctl, self->root,	\
	    modopt, ##__VA_ARGS__)

/*
 * overlay2/<top> is exchanged with a look-alike (the same link and
 * lower files, one more file in its diff) after layerctl has verified
 * the store and before it registers anything: the layer registered and
 * mounted is the one verified. (layerctl before the fix looked the diff
 * directory up again by path and mounted the look-alike.)
 */
TEST_F(store, mount_uses_the_verified_layer_not_one_swapped_in_after_the_check)
{
	char so[PATH_MAX], top[PATH_MAX], decoy[PATH_MAX + 8], p[PATH_MAX];

	if (build_shim(self, so, sizeof(so)))
		SKIP(return, "cannot build the LD_PRELOAD shim: %.200s", self->out);
	P(top, "%s/overlay2/%s", self->root, self->l[NLAYERS - 1].cache);
	P(decoy, "%s.decoy", top);
	ASSERT_EQ(0, RUN(self->out, "cp -a %s %s && echo decoy > %s/diff/decoy",
			 top, decoy, decoy)) TH_LOG("%s", self->out);

	EXPECT_EQ(0, LAYERCTL_SWAPPED(so, "open-ctl", top, decoy, "mount demo %s",
				      self->a)) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "swap_shim: open-ctl: swapped"))
		TH_LOG("the swap did not happen: %s", self->out);
	EXPECT_EQ(LAYERFS_MAGIC, fs_type(self->a));
	EXPECT_NE(0, access(P(p, "%s/decoy", self->a), F_OK))
		TH_LOG("the look-alike swapped in after the check was mounted");
	EXPECT_EQ(0, access(P(p, "%s/usr/local/bin/hello", self->a), X_OK));

	/* Put the verified directory back where prune looks for it. */
	umount2(self->a, 0);
	ASSERT_EQ(0, renameat2(AT_FDCWD, top, AT_FDCWD, decoy, RENAME_EXCHANGE));
}

/*
 * x and y are exchanged after layerctl mount has checked the mount point
 * x/m and before it mounts: the mount lands on the directory checked
 * (now at y/m), not on the one the name x/m stands for by then.
 * (layerctl before the fix mounted on the path again.)
 */
TEST_F(store, mount_lands_on_the_checked_mount_point_not_one_swapped_in)
{
	char so[PATH_MAX], x[PATH_MAX], y[PATH_MAX], xm[PATH_MAX + 4];
	char ym[PATH_MAX + 4], p[PATH_MAX + 16];

	if (build_shim(self, so, sizeof(so)))
		SKIP(return, "cannot build the LD_PRELOAD shim: %.200s", self->out);
	ASSERT_EQ(0, mkdir(P(x, "%s/x", self->dir), 0755));
	ASSERT_EQ(0, mkdir(P(y, "%s/y", self->dir), 0755));
	ASSERT_EQ(0, mkdir(P(xm, "%s/m", x), 0755));
	ASSERT_EQ(0, mkdir(P(ym, "%s/m", y), 0755));

	EXPECT_EQ(0, LAYERCTL_SWAPPED(so, "open-ctl", x, y, "mount demo %s", xm))
		TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "swap_shim: open-ctl: swapped"))
		TH_LOG("the swap did not happen: %s", self->out);
	EXPECT_EQ(LAYERFS_MAGIC, fs_type(ym))
		TH_LOG("the checked directory (now y/m) is not the mount");
	EXPECT_NE(LAYERFS_MAGIC, fs_type(xm))
		TH_LOG("the directory swapped in after the check was mounted on");
	EXPECT_EQ(0, access(P(p, "%s/usr/local/bin/hello", ym), X_OK));

	umount2(xm, MNT_DETACH);
	umount2(ym, MNT_DETACH);
}

/*
 * x/m is a layerfs mount, y/m an overlayfs one; x and y are exchanged
 * after layerctl umount has checked x/m and before it unmounts: the
 * layerfs mount goes, the overlayfs one stays. (layerctl before the fix
 * unmounted the path again, which was the overlayfs mount by then.)
 */
TEST_F(store, umount_unmounts_the_checked_mount_not_one_swapped_in_after_the_check)
{
	char so[PATH_MAX], x[PATH_MAX], y[PATH_MAX], xm[PATH_MAX + 4];
	char ym[PATH_MAX + 4];

	if (build_shim(self, so, sizeof(so)))
		SKIP(return, "cannot build the LD_PRELOAD shim: %.200s", self->out);
	ASSERT_EQ(0, mkdir(P(x, "%s/x", self->dir), 0755));
	ASSERT_EQ(0, mkdir(P(y, "%s/y", self->dir), 0755));
	ASSERT_EQ(0, mkdir(P(xm, "%s/m", x), 0755));
	ASSERT_EQ(0, mkdir(P(ym, "%s/m", y), 0755));
	ASSERT_EQ(0, LAYERCTL("mount demo %s", xm)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, ovl_mount(self, ym, false, false));

	EXPECT_EQ(0, LAYERCTL_SWAPPED(so, "umount2", x, y, "umount %s", xm))
		TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "swap_shim: umount2: swapped"))
		TH_LOG("the swap did not happen: %s", self->out);
	/* x is the old y now: its overlayfs mount is still there. */
	EXPECT_EQ(OVERLAYFS_MAGIC, fs_type(xm));
	EXPECT_NE(LAYERFS_MAGIC, fs_type(ym));

	umount2(xm, 0);
	umount2(ym, 0);
}

/* A directory inside a layerfs mount is no mount point: nothing goes. */
TEST_F(store, umount_of_a_directory_inside_the_mount_is_refused)
{
	char p[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	EXPECT_EQ(3, LAYERCTL("umount %s", P(p, "%s/etc", self->a)));
	EXPECT_NE(NULL, strstr(self->out, "not a mount point")) TH_LOG("%s", self->out);
	EXPECT_EQ(LAYERFS_MAGIC, fs_type(self->a));
}

/*
 * umount detaches lazily (layerctl(8)): a file still open keeps the file
 * system, and its layers in use, until it is closed.
 */
TEST_F(store, umount_of_a_busy_mount_keeps_its_layers_until_the_last_close)
{
	struct json_object *j;
	char p[PATH_MAX];
	int fd;

	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	fd = open(P(p, "%s/etc/os-release", self->a), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, LAYERCTL("umount %s", self->a)) TH_LOG("%s", self->out);
	EXPECT_NE(LAYERFS_MAGIC, fs_type(self->a));
	j = layers_json(self, "");
	EXPECT_EQ(1, layer_field(j, self->l[NLAYERS - 1].name, "mounts"));
	json_object_put(j);
	EXPECT_STREQ("NAME=demo\nVERSION=2\n", cat(P(p, "/proc/self/fd/%d", fd)));

	close(fd);
	j = layers_json(self, "");
	EXPECT_EQ(0, layer_field(j, self->l[NLAYERS - 1].name, "mounts"));
	json_object_put(j);
}

/*
 * A copy of the store has the same short names: prune of one store
 * leaves the layers registered from the other alone (and prune of that
 * one removes them).
 */
TEST_F(store, prune_keeps_layers_registered_from_another_store)
{
	struct layerfs_layer_info info = { .size = sizeof(info) };
	char copy[PATH_MAX + 8];
	int ctl;

	P(copy, "%s.copy", self->root);
	ASSERT_EQ(0, RUN(self->out, "cp -a %s %s", self->root, copy));
	ASSERT_EQ(0, RUN(self->out, "%s --root %s%s mount demo %s", layerctl,
			 copy, modopt, self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, umount2(self->a, 0));

	EXPECT_EQ(0, LAYERCTL("-v prune")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "0 layer(s) removed")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "registered from another directory"))
		TH_LOG("%s", self->out);
	ctl = open("/dev/layerfs", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	snprintf((char *)info.name, sizeof(info.name), "%s", self->l[0].name);
	EXPECT_EQ(0, ioctl(ctl, LAYERFS_IOC_GET_LAYER, &info));
	close(ctl);

	EXPECT_EQ(0, RUN(self->out, "%s --root %s -v prune", layerctl, copy));
	EXPECT_NE(NULL, strstr(self->out, "3 layer(s) removed")) TH_LOG("%s", self->out);
}

/*
 * The store's top layer directory is replaced by a copy after it was
 * registered: the kernel holds the old one, "<path> (deleted)", which
 * prune cannot stat. It keeps the layer and says why, naming the file,
 * without -v. (layerctl before the fix kept it silently.)
 */
TEST_F(store, prune_says_why_it_keeps_a_layer_it_cannot_check)
{
	char top[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, umount2(self->a, 0));
	P(top, "%s/overlay2/%s", self->root, self->l[NLAYERS - 1].cache);
	ASSERT_EQ(0, RUN(self->out, "cp -a %s %s.new && rm -rf %s && mv %s.new %s",
			 top, top, top, top, top)) TH_LOG("%s", self->out);

	EXPECT_EQ(0, LAYERCTL("prune")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->l[NLAYERS - 1].name))
		TH_LOG("prune kept the layer silently: '%s'", self->out);
	EXPECT_NE(NULL, strstr(self->out, "(deleted)")) TH_LOG("%s", self->out);

	EXPECT_EQ(0, LAYERCTL("rm %s %s %s", self->l[2].name, self->l[1].name,
			      self->l[0].name)) TH_LOG("%s", self->out);
}

/*
 * layerctl runs as root: a module file named in its environment is no
 * reason to insert it. Only --module FILE is.
 */
TEST_F(store, layerfs_ko_in_the_environment_is_not_loaded_without_module)
{
	if (!modopt[0])
		SKIP(return, "no layerfs.ko to load (LAYERFS_KO)");
	if (syscall(SYS_delete_module, "layerfs", O_NONBLOCK) &&
	    errno != ENOENT)
		SKIP(return, "layerfs is in use elsewhere and cannot be unloaded: %s",
		     strerror(errno));
	ASSERT_NE(0, access("/sys/module/layerfs", F_OK));
	EXPECT_EQ(3, RUN(self->out, "LAYERFS_KO=%s %s --root %s -v mount demo %s",
			 getenv("LAYERFS_KO"), layerctl, self->root, self->a))
		TH_LOG("%s", self->out);
	EXPECT_NE(0, access("/sys/module/layerfs", F_OK));
	EXPECT_NE(LAYERFS_MAGIC, fs_type(self->a));
	ASSERT_EQ(0, LAYERCTL("mount demo %s", self->a)) TH_LOG("%s", self->out);
	EXPECT_EQ(LAYERFS_MAGIC, fs_type(self->a));
}

/* ---- explain ------------------------------------------------------------ */

static struct json_object *explain_json_of(struct __test_metadata *_metadata,
					   struct _test_data_store *self,
					   const char *opts, const char *rel)
{
	struct json_object *arr, *o;

	if (LAYERCTL("explain --json %s %s/%s", opts, self->a, rel)) {
		TH_LOG("explain %s: %s", rel, self->out);
		return NULL;
	}
	arr = json_tokener_parse(self->out);
	if (!arr || json_object_array_length(arr) != 1) {
		TH_LOG("explain %s: not one answer: %s", rel, self->out);
		json_object_put(arr);
		return NULL;
	}
	o = json_object_get(json_object_array_get_idx(arr, 0));
	json_object_put(arr);
	return o;
}

static const char *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "(missing)";
	return v ? json_object_get_string(v) : "(null)";
}

/* "layer:kind:role" of every finding, with the hash for --all. */
static const char *findings(struct json_object *o, char *buf, size_t size)
{
	struct json_object *arr, *f;
	size_t i, n = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(o, "layers", &arr) || !arr)
		return "(none)";
	for (i = 0; i < json_object_array_length(arr); i++) {
		f = json_object_array_get_idx(arr, i);
		n += snprintf(buf + n, size - n, "%s%s:%s:%s@%s", i ? " " : "",
			      jget(f, "layer"), jget(f, "kind"), jget(f, "role"),
			      jget(f, "at"));
	}
	return buf;
}

/*
 * The demo container: lower layers, top first, are its init layer (1),
 * the top (2), the update (3) and the base (4) layer of the image.
 */
TEST_F(store, explain_names_the_layer_of_each_path)
{
	char p[PATH_MAX], f[4096], want[PATH_MAX];
	struct json_object *o, *arr, *base;

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->cid, self->a))
		TH_LOG("%s", self->out);

	o = explain_json_of(_metadata, self, "", "etc/os-release");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("true", jget(o, "in_union"));
	EXPECT_STREQ("file", jget(o, "type"));
	EXPECT_STREQ("3", jget(o, "layer"));
	EXPECT_STREQ("4", jget(o, "lower_layers"));
	EXPECT_STREQ("etc/os-release", jget(o, "relpath"));
	EXPECT_STREQ(self->l[1].name, jget(o, "layer_name"));
	EXPECT_STREQ("mkstore layer 1", jget(o, "created_by"));
	EXPECT_EQ(0, strncmp("sha256:", jget(o, "diff_id"), 7));
	EXPECT_STREQ("3:file:shown@etc/os-release 4:file:hidden@etc/os-release",
		     findings(o, f, sizeof(f)));
	json_object_put(o);

	/* whited out by the update layer */
	o = explain_json_of(_metadata, self, "", "etc/motd");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("false", jget(o, "in_union"));
	EXPECT_STREQ("(null)", jget(o, "layer"));
	EXPECT_STREQ("3:whiteout:hides@etc/motd 4:file:hidden@etc/motd",
		     findings(o, f, sizeof(f)));
	json_object_put(o);

	/* below the opaque opt/old of the update layer */
	o = explain_json_of(_metadata, self, "", "opt/old/a.txt");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("false", jget(o, "in_union"));
	EXPECT_STREQ("3:opaque directory:hides@opt/old 4:file:hidden@opt/old/a.txt",
		     findings(o, f, sizeof(f)));
	json_object_put(o);
	o = explain_json_of(_metadata, self, "", "opt/old");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("true", jget(o, "opaque"));
	EXPECT_STREQ("false", jget(o, "merged"));
	EXPECT_STREQ("3:opaque directory:shown@opt/old 4:directory:hidden@opt/old",
		     findings(o, f, sizeof(f)));
	json_object_put(o);

	/* copy-up into the container's diff */
	ASSERT_EQ(0, write_file(P(p, "%s/etc/os-release", self->a), "x\n",
				O_APPEND));
	o = explain_json_of(_metadata, self, "", "etc/os-release");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("true", jget(o, "upper"));
	EXPECT_STREQ("0", jget(o, "layer"));
	EXPECT_STREQ("3", jget(o, "copied_up_from"));
	json_object_put(o);

	/* --all: the hash of every version, the hidden base one from the store */
	o = explain_json_of(_metadata, self, "--all", "etc/os-release");
	ASSERT_NE(NULL, o);
	ASSERT_TRUE(json_object_object_get_ex(o, "layers", &arr));
	ASSERT_EQ(3, json_object_array_length(arr));
	base = json_object_array_get_idx(arr, 2);
	EXPECT_STREQ("4", jget(base, "layer"));
	hash_file(P(p, "%s/overlay2/%s/diff/etc/os-release", self->root,
		    self->l[0].cache), want);
	EXPECT_STREQ(want, jget(base, "sha256"));
	hash_file(P(p, "%s/etc/os-release", self->a), want);
	EXPECT_STREQ(want, jget(json_object_array_get_idx(arr, 0), "sha256"));
	json_object_put(o);

	/* in words */
	ASSERT_EQ(0, LAYERCTL("explain %s/etc/passwd %s/etc/motd", self->a,
			      self->a)) TH_LOG("%s", self->out);
	P(want, "%s/etc/passwd: file from lower layer 4 of 4 (%s, diff ID sha256:",
	  self->a, self->l[0].name);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "created by `mkstore layer 0`"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "etc/motd: not in the union\n"
			       "  the whiteout 'etc/motd' in lower layer 3 of 4 ends the merge there\n"
			       "  also in lower layer 4 (hidden)\n")) TH_LOG("%s", self->out);

	/* what is not layerfs is refused with the reason */
	EXPECT_EQ(1, LAYERCTL("explain %s", self->root));
	EXPECT_NE(NULL, strstr(self->out, "not on a layerfs mount"))
		TH_LOG("%s", self->out);
}

/* ---- explain --layer ---------------------------------------------------- */

/* explain --layer N --json: the answer object, or NULL (logged). */
static struct json_object *ldiff_of(struct __test_metadata *_metadata,
				    struct _test_data_store *self, int layer,
				    const char *mnt)
{
	struct json_object *o;

	if (LAYERCTL("explain --layer %d --json %s", layer, mnt)) {
		TH_LOG("explain --layer %d %s: %s", layer, mnt, self->out);
		return NULL;
	}
	o = json_tokener_parse(self->out);
	if (!o)
		TH_LOG("explain --layer %d %s: no JSON: %s", layer, mnt,
		       self->out);
	return o;
}

/* "path:change:type:hidden_by" of every change, space separated. */
static const char *changes(struct json_object *o, char *buf, size_t size)
{
	struct json_object *arr, *c;
	size_t i, n = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(o, "changes", &arr) || !arr)
		return "(none)";
	for (i = 0; i < json_object_array_length(arr); i++) {
		c = json_object_array_get_idx(arr, i);
		n += snprintf(buf + n, size - n, "%s%s:%s:%s:%s", i ? " " : "",
			      jget(c, "path"), jget(c, "change"),
			      jget(c, "type"), jget(c, "hidden_by"));
		if (n >= size)
			break;
	}
	return buf;
}

/* Is "./@path" (or an ancestor of it) a change of @o other than "none"? */
static bool ldiff_covers(struct json_object *o, const char *path)
{
	struct json_object *arr, *c;
	size_t i, len;

	if (!json_object_object_get_ex(o, "changes", &arr) || !arr)
		return false;
	for (i = 0; i < json_object_array_length(arr); i++) {
		const char *p;

		c = json_object_array_get_idx(arr, i);
		p = jget(c, "path");
		len = strlen(p);
		if (strcmp(jget(c, "change"), "none") &&
		    !strncmp(path + 2, p, len) &&
		    (!path[2 + len] || path[2 + len] == '/'))
			return true;
	}
	return false;
}

static const struct node *tree_find(const struct tree *t, const char *path)
{
	struct node key;

	snprintf(key.path, sizeof(key.path), "%s", path);
	return bsearch(&key, t->v, t->n, sizeof(*t->v), node_cmp);
}

/*
 * The oracle: overlayfs merges layers @n.. and @n+1.. of @dirs (top
 * first, @m of them) at two mount points; what tells the two views apart
 * must be what explain --layer @n lists for the layerfs mount @mnt of the
 * same layers: each "added" path is only in the first view, each
 * "deleted" only in the second, each "changed" in both, and every path
 * the views disagree about (there or not, type, content) is at or below a
 * listed change. 0, or 1 with the first disagreement in @why.
 */
static int ldiff_check(struct __test_metadata *_metadata,
		       struct _test_data_store *self, const char *mnt,
		       char dirs[][PATH_MAX], int m, int n, char *why,
		       size_t size)
{
	char x[PATH_MAX], y[PATH_MAX], opts[8192], p[PATH_MAX];
	struct json_object *o, *arr, *c;
	struct tree tx, ty;
	size_t i, len;
	int ret = 1, k;

	o = ldiff_of(_metadata, self, n, mnt);
	if (!o) {
		snprintf(why, size, "layer %d: %.4000s", n, self->out);
		return 1;
	}
	P(x, "%s/oracle-x", self->dir);
	P(y, "%s/oracle-y", self->dir);
	P(p, "%s/oracle-empty", self->dir);
	mkdir(x, 0755);
	mkdir(y, 0755);
	mkdir(p, 0755);
	for (k = 0; k < 2; k++) {
		if (n + k > m)
			continue;
		/* an empty bottom layer: overlayfs takes no single lowerdir */
		len = snprintf(opts, sizeof(opts), "lowerdir=");
		for (i = n + k - 1; i < (size_t)m; i++)
			len += snprintf(opts + len, sizeof(opts) - len, "%s:",
					dirs[i]);
		snprintf(opts + len, sizeof(opts) - len, "%s", p);
		if (mount("overlay", k ? y : x, "overlay", MS_RDONLY, opts)) {
			snprintf(why, size, "overlay %.4000s: %s", opts,
				 strerror(errno));
			goto out;
		}
	}
	if (snapshot(x, &tx) || snapshot(y, &ty)) {
		snprintf(why, size, "snapshot: %s", strerror(errno));
		goto out_umount;
	}
	json_object_object_get_ex(o, "changes", &arr);
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *ch;
		bool inx, iny;

		c = json_object_array_get_idx(arr, i);
		ch = jget(c, "change");
		P(p, "./%s", jget(c, "path"));
		inx = tree_find(&tx, p);
		iny = tree_find(&ty, p);
		if ((!strcmp(ch, "added") && (!inx || iny)) ||
		    (!strcmp(ch, "deleted") && (inx || !iny)) ||
		    (!strcmp(ch, "changed") && (!inx || !iny)) ||
		    (!strcmp(ch, "none") && (inx || iny))) {
			snprintf(why, size, "layer %d: %s %s, but in %s", n,
				 ch, p, inx && iny ? "both views" :
				 inx ? "the layer's view only" :
				 iny ? "the view below only" : "neither view");
			goto out_free;
		}
	}
	for (k = 0; k < 2; k++) {
		const struct tree *a = k ? &ty : &tx, *b = k ? &tx : &ty;

		for (i = 1; i < a->n; i++) {
			const struct node *na = &a->v[i];
			const struct node *nb = tree_find(b, na->path);

			if (nb && (na->mode & S_IFMT) == (nb->mode & S_IFMT) &&
			    !strcmp(na->data, nb->data))
				continue;
			if (ldiff_covers(o, na->path))
				continue;
			snprintf(why, size, "layer %d: %s differs (%s), no change lists it: %s",
				 n, na->path, nb ? "type or content" :
				 k ? "only below" : "only in the layer's view",
				 changes(o, self->out, sizeof(self->out)));
			goto out_free;
		}
	}
	ret = 0;
out_free:
	free(tx.v);
	free(ty.v);
out_umount:
	umount2(x, 0);
	umount2(y, 0);
out:
	json_object_put(o);
	return ret;
}

static void mkdir_mode(struct __test_metadata *_metadata, const char *path,
		       mode_t mode)
{
	ASSERT_EQ(0, mkdir(path, mode)) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, chmod(path, mode));
}

/*
 * Three lower layers with every kind of change, an upper written through
 * the mount: explain --layer of each against a hand-made answer and
 * against the overlayfs oracle above.
 */
TEST_F(store, explain_layer_lists_what_each_layer_adds_changes_deletes)
{
	char d[4][PATH_MAX], p[PATH_MAX], opts[4 * PATH_MAX], why[8192];
	char buf[4096], up[PATH_MAX], work[PATH_MAX];
	struct json_object *o;
	int i;

	for (i = 0; i < 3; i++) {
		P(d[i], "%s/ll%d", self->dir, i + 1);
		mkdir_mode(_metadata, d[i], 0755);
	}
	P(up, "%s/llu", self->dir);
	P(work, "%s/llw", self->dir);
	mkdir_mode(_metadata, up, 0755);
	mkdir_mode(_metadata, work, 0755);
	/* lower layer 3, the bottom one */
	mkdir_mode(_metadata, P(p, "%s/a", d[2]), 0755);
	ASSERT_EQ(0, write_file(P(p, "%s/a/f1", d[2]), "1\n", 0));
	ASSERT_EQ(0, write_file(P(p, "%s/a/f2", d[2]), "2\n", 0));
	mkdir_mode(_metadata, P(p, "%s/b", d[2]), 0755);
	ASSERT_EQ(0, write_file(P(p, "%s/b/x", d[2]), "x\n", 0));
	ASSERT_EQ(0, write_file(P(p, "%s/c", d[2]), "c\n", 0));
	mkdir_mode(_metadata, P(p, "%s/d", d[2]), 0755);
	mkdir_mode(_metadata, P(p, "%s/e", d[2]), 0755);
	mkdir_mode(_metadata, P(p, "%s/e/sub", d[2]), 0755);
	ASSERT_EQ(0, write_file(P(p, "%s/e/sub/deep", d[2]), "deep\n", 0));
	/* lower layer 2 */
	mkdir_mode(_metadata, P(p, "%s/a", d[1]), 0755);
	ASSERT_EQ(0, write_file(P(p, "%s/a/f1", d[1]), "22\n", 0));
	ASSERT_EQ(0, write_file(P(p, "%s/a/new", d[1]), "new\n", 0));
	ASSERT_EQ(0, mknod(P(p, "%s/b", d[1]), S_IFCHR | 0000, 0));
	mkdir_mode(_metadata, P(p, "%s/c", d[1]), 0755);
	ASSERT_EQ(0, write_file(P(p, "%s/c/in", d[1]), "in\n", 0));
	mkdir_mode(_metadata, P(p, "%s/d", d[1]), 0700);
	mkdir_mode(_metadata, P(p, "%s/e", d[1]), 0755);
	ASSERT_EQ(0, setxattr(p, "trusted.overlay.opaque", "y", 1, 0));
	ASSERT_EQ(0, write_file(P(p, "%s/e/only", d[1]), "only\n", 0));
	ASSERT_EQ(0, mknod(P(p, "%s/ghost", d[1]), S_IFCHR | 0000, 0));
	ASSERT_EQ(0, write_file(P(p, "%s/h", d[1]), "h\n", 0));
	/* lower layer 1, the top one */
	mkdir_mode(_metadata, P(p, "%s/a", d[0]), 0755);
	ASSERT_EQ(0, write_file(P(p, "%s/a/f1", d[0]), "111\n", 0));
	ASSERT_EQ(0, mknod(P(p, "%s/h", d[0]), S_IFCHR | 0000, 0));

	ASSERT_EQ(0, RUN(self->out, "grep -qw layerfs /proc/filesystems || insmod %s",
			 getenv("LAYERFS_KO") ? getenv("LAYERFS_KO") : "/nonexistent"))
		TH_LOG("%s", self->out);
	P(opts, "lowerdir=%s:%s:%s,upperdir=%s,workdir=%s", d[0], d[1], d[2],
	  up, work);
	ASSERT_EQ(0, mount("layerfs", self->b, "layerfs", 0, opts))
		TH_LOG("%s: %s", opts, strerror(errno));
	/* the upper layer: a copy-up, a whiteout, a new directory */
	ASSERT_EQ(0, write_file(P(p, "%s/a/f1", self->b), "0\n", O_APPEND));
	ASSERT_EQ(0, unlink(P(p, "%s/a/new", self->b)));
	mkdir_mode(_metadata, P(p, "%s/newdir", self->b), 0755);

	o = ldiff_of(_metadata, self, 2, self->b);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("2", jget(o, "layer"));
	EXPECT_STREQ("3", jget(o, "layers"));
	EXPECT_STREQ("(null)", jget(o, "name"));
	EXPECT_STREQ("a/f1:changed:file:0 a/new:added:file:0 "
		     "b:deleted:whiteout:(null) c:changed:directory:(null) "
		     "c/in:added:file:(null) d:changed:directory:(null) "
		     "e:changed:opaque directory:(null) e/only:added:file:(null) "
		     "ghost:none:whiteout:(null) h:added:file:1",
		     changes(o, buf, sizeof(buf)));
	EXPECT_STREQ("4", jget(o, "added"));
	EXPECT_STREQ("4", jget(o, "changed"));
	EXPECT_STREQ("1", jget(o, "deleted"));
	json_object_put(o);

	o = ldiff_of(_metadata, self, 1, self->b);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("a/f1:changed:file:0 h:deleted:whiteout:(null)",
		     changes(o, buf, sizeof(buf)));
	json_object_put(o);
	o = ldiff_of(_metadata, self, 3, self->b);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("10", jget(o, "added")) TH_LOG("%s", changes(o, buf, sizeof(buf)));
	json_object_put(o);
	/* the upper layer: what docker diff shows of a container */
	o = ldiff_of(_metadata, self, 0, self->b);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("a/f1:changed:file:(null) a/new:deleted:whiteout:(null) "
		     "newdir:added:directory:(null)", changes(o, buf, sizeof(buf)));
	json_object_put(o);

	/* below a directory of the mount only */
	P(p, "%s/c", self->b);
	o = ldiff_of(_metadata, self, 2, p);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("c/in:added:file:(null)", changes(o, buf, sizeof(buf)));
	json_object_put(o);

	/*
	 * A bind mount of the union's c, beside the union and inside it
	 * (on its directory a): what is below it is still c's.
	 */
	P(p, "%s/bindc", self->dir);
	mkdir_mode(_metadata, p, 0755);
	P(opts, "%s/c", self->b);
	ASSERT_EQ(0, mount(opts, p, NULL, MS_BIND, NULL)) TH_LOG("%s", strerror(errno));
	o = ldiff_of(_metadata, self, 2, p);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("c/in:added:file:(null)", changes(o, buf, sizeof(buf)));
	json_object_put(o);
	umount2(p, 0);
	P(p, "%s/a", self->b);
	ASSERT_EQ(0, mount(opts, p, NULL, MS_BIND, NULL)) TH_LOG("%s", strerror(errno));
	o = ldiff_of(_metadata, self, 2, p);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("c/in:added:file:(null)", changes(o, buf, sizeof(buf)));
	json_object_put(o);
	umount2(p, 0);

	/* below a whiteout of the layer: nothing, and it says why */
	P(p, "%s/h", self->b);
	ASSERT_EQ(0, mkdir(p, 0755));
	EXPECT_EQ(0, LAYERCTL("explain --layer 1 %s", p));
	EXPECT_NE(NULL, strstr(self->out, "layer 1 holds a whiteout at h, no directory"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "0 added, 0 changed, 0 deleted"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, rmdir(p));

	/* in words */
	ASSERT_EQ(0, LAYERCTL("explain --layer 2 %s", self->b)) TH_LOG("%s", self->out);
	P(p, "%s: lower layer 2 of 3\n", self->b);
	EXPECT_EQ(0, strncmp(self->out, p, strlen(p))) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out,
			       "C /a/f1  (file, 3 bytes, replaces a file; hidden by the upper layer)\n"
			       "A /a/new  (file, 4 bytes; hidden by the upper layer)\n"
			       "D /b  (deletes a directory)\n"
			       "C /c/  (directory, replaces a file)\n"
			       "A /c/in  (file, 3 bytes)\n"
			       "C /d/  (directory, mode or owner changed)\n"
			       "C /e/  (opaque directory, hides what lower layers hold in it)\n"
			       "A /e/only  (file, 5 bytes)\n"
			       "- /ghost  (a whiteout of nothing)\n"
			       "A /h  (file, 2 bytes; hidden by lower layer 1 of 3)\n"
			       "4 added, 4 changed, 1 deleted\n"))
		TH_LOG("%s", self->out);

	/* the oracle, for each lower layer */
	for (i = 1; i <= 3; i++)
		EXPECT_EQ(0, ldiff_check(_metadata, self, self->b, d, 3, i, why,
					 sizeof(why))) TH_LOG("%s", why);

	/* refusals, with the reason */
	EXPECT_EQ(1, LAYERCTL("explain --layer 4 %s", self->b));
	EXPECT_NE(NULL, strstr(self->out, "no layer 4: the mount has 3 lower layers"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(1, LAYERCTL("explain --layer 1 --all %s", self->b));
	EXPECT_EQ(1, LAYERCTL("explain --layer 1 %s %s", self->b, self->b));
	EXPECT_EQ(1, LAYERCTL("explain --layer 1 %s", self->root));
	EXPECT_NE(NULL, strstr(self->out, "not on a layerfs mount"))
		TH_LOG("%s", self->out);
	P(opts, "lowerdir=%s:%s", d[0], d[1]);
	ASSERT_EQ(0, mount("layerfs", self->c, "layerfs", MS_RDONLY, opts))
		TH_LOG("%s: %s", opts, strerror(errno));
	EXPECT_EQ(1, LAYERCTL("explain --layer 0 %s", self->c));
	EXPECT_NE(NULL, strstr(self->out, "the mount has no upper layer"))
		TH_LOG("%s", self->out);
}

/* The demo image and container: every layer against the oracle. */
TEST_F(store, explain_layer_of_the_demo_store_agrees_with_overlayfs)
{
	char d[NLAYERS + 1][PATH_MAX], why[8192];
	int i;

	ASSERT_EQ(0, LAYERCTL("mount %s %s", self->image, self->a))
		TH_LOG("%s", self->out);
	for (i = 0; i < NLAYERS; i++)
		P(d[i], "%s/overlay2/%s/diff", self->root,
		  self->l[NLAYERS - 1 - i].cache);
	for (i = 1; i <= NLAYERS; i++)
		EXPECT_EQ(0, ldiff_check(_metadata, self, self->a, d, NLAYERS,
					 i, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, LAYERCTL("explain --layer 1 %s", self->a));
	EXPECT_NE(NULL, strstr(self->out, self->l[NLAYERS - 1].name))
		TH_LOG("%s", self->out);
	/* below the root too, the layer is named from the registry */
	ASSERT_EQ(0, LAYERCTL("explain --layer 1 --json %s/etc", self->a));
	EXPECT_NE(NULL, strstr(self->out, self->l[NLAYERS - 1].name))
		TH_LOG("%s", self->out);
}

/* The store listings, and a container mounted by its name. */
TEST_F(store, images_and_ps_list_the_store_and_names_mount_containers)
{
	char p[PATH_MAX];

	ASSERT_EQ(0, LAYERCTL("images")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "demo:latest")) TH_LOG("%s", self->out);
	/* the ID column: 12 hex digits of "sha256:<hex>" */
	EXPECT_EQ(0, strncmp(strchr(self->out, '\n') + 1, self->image + 7, 12))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, LAYERCTL("ps")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "demo-container")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, self->init)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "created")) TH_LOG("%s", self->out);

	ASSERT_EQ(0, LAYERCTL("mount demo-container %s", self->a))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, access(P(p, "%s/.dockerenv", self->a), F_OK));
	EXPECT_EQ(0, write_file(P(p, "%s/by-name", self->a), "x\n", 0));
	EXPECT_STREQ("x\n", cat(P(p, "%s/overlay2/%s/diff/by-name", self->root,
				  self->mid)));
}

LU_HARNESS_MAIN
