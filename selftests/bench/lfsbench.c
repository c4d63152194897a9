// SPDX-License-Identifier: GPL-2.0
/*
 * lfsbench - the timed operations of `make bench` (scripts/bench-guest),
 * one per invocation, each printing one number: nanoseconds of guest
 * time (CLOCK_MONOTONIC, which counts instructions in an -icount guest)
 * or, for "cached", kilobytes, for "negdentries", dentries. Fixtures are
 * built by the "mk*" and "*chain" commands, which print nothing. Not a
 * selftest: it asserts nothing. A cache drop syncs first and lets 300 ms
 * pass after it, before the clock starts (drop_caches()).
 *
 *   lfsbench pread FILE BS seq|rand           ns per MiB read (warm)
 *   lfsbench mmap FILE                        ns per MiB touched (warm)
 *   lfsbench stat PATH N                      ns per stat (warm)
 *   lfsbench coldstat DIR K [PREFIX]          ns per stat of DIR/f0..K-1
 *                                             (PREFIX0..K-1) after
 *                                             drop_caches 2 (dentries and
 *                                             inodes, not the page cache)
 *   lfsbench firststat PATH                   ns of one stat of PATH after
 *                                             drop_caches 2, nothing
 *                                             between
 *   lfsbench negstat DIR N                    ns per stat of a missing name
 *   lfsbench negdentries DIR N                negative dentries (5th field
 *                                             of /proc/sys/fs/dentry-state)
 *                                             a stat of a missing name
 *                                             adds, mean of N
 *   lfsbench readdir DIR N                    ns per open+getdents+close
 *                                             (N=0: one, after drop_caches
 *                                             3)
 *   lfsbench lsl DIR N                        ns per listing with lstat of
 *                                             every entry
 *   lfsbench append FILE                      ns to append one byte
 *   lfsbench chmod DIR K                      ns to chmod DIR/f0..K-1
 *   lfsbench find DIR                         ns to count regular files
 *                                             (d_type, no stat)
 *   lfsbench du DIR                           ns to sum st_blocks of all
 *   lfsbench statall DIR                      ns to lstat every file again
 *   lfsbench mount FSTYPE MNT LAYERDIR N R [OPTION...]
 *                                             ns per mount of LAYERDIR/N-1
 *                                             .. LAYERDIR/0 (top first,
 *                                             lowerdir+, read-only, each
 *                                             OPTION "key=value" or "flag"),
 *                                             mean of R mount+umount; R=0:
 *                                             mount once and leave it
 *                                             mounted
 *   lfsbench cached FILE...                   kB the page cache grew by
 *                                             while reading the FILEs
 *   lfsbench mkstack DIR N                    DIR/0..N-1 empty layers and
 *                                             DIR/0/f0..f99 (1 KiB each)
 *   lfsbench mkdirents DIR NATIVE L E WPCT [SUB]
 *                                             E names over L layers, WPCT%
 *                                             of them whited out above, in
 *                                             DIR/<layer>/SUB; NATIVE: the
 *                                             merged result ("-": none)
 *   lfsbench mkfiles DIR K                    DIR/f0..K-1, 100 bytes each
 *   lfsbench addchain NAME LAYERDIR N         register LAYERDIR/0..N-1 with
 *                                             /dev/layerfs as layers
 *                                             NAME-0 (the base) .. NAME-N-1,
 *                                             each on the one before; mount
 *                                             with -o layer=NAME-<N-1>
 *   lfsbench delchain NAME N                  unregister them, top first
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/layerfs.h>
#include <linux/mount.h>

#define MIB		(1024 * 1024)

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "lfsbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(1);
}

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * "3": the page cache too; "2": dentries and inodes only (and what the
 * shrinkers free), so that every lookup is a real one again but no disk
 * read enters the time: how long the host takes to complete one does not
 * repeat from run to run, -icount or not. Then 300 ms for what the drop
 * left to RCU callbacks and workers (below rcutree.qhimark pending
 * callbacks, RCU frees a few per tick: the ~9000 dentries 128 layers of
 * negative lookups leave take over 100 ms of guest time): under
 * single-threaded TCG the guest's other CPU runs them on the same clock,
 * so they would count in the time of whatever comes next. Spent yielding,
 * not sleeping: a guest with every CPU idle jumps its clock ahead while
 * the host completes some I/O, by an amount that depends on the host.
 */
static void drop_caches(const char *what)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	uint64_t t;

	sync();
	if (fd < 0 || write(fd, what, 1) != 1)
		die("%s", "/proc/sys/vm/drop_caches");
	close(fd);
	t = now();
	while (now() - t < 300 * 1000 * 1000)
		sched_yield();
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static char buf[1 << 20] __attribute__((aligned(4096)));

static void read_all(int fd, const char *path)
{
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0)
		off += n;
	if (n < 0)
		die("read %s", path);
}

static int op_pread(const char *path, size_t bs, int random)
{
	struct stat st;
	uint64_t t, blocks, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die("%s", path);
	if (bs > sizeof(buf) || st.st_size < (off_t)bs)
		die("block size for %s", path);
	read_all(fd, path);		/* warm the page cache */
	blocks = st.st_size / bs;
	t = now();
	for (i = 0; i < blocks; i++) {
		off_t off = (random ? rnd() % blocks : i) * bs;

		if (pread(fd, buf, bs, off) != (ssize_t)bs)
			die("pread %s", path);
	}
	t = now() - t;
	close(fd);
	printf("%.0f\n", (double)t * MIB / ((double)blocks * bs));
	return 0;
}

static int op_mmap(const char *path)
{
	volatile unsigned char *p;
	struct stat st;
	unsigned long sum = 0;
	uint64_t t;
	off_t i;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die("%s", path);
	read_all(fd, path);
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s", path);
	t = now();
	for (i = 0; i < st.st_size; i += 4096)
		sum += p[i];
	t = now() - t;
	munmap((void *)p, st.st_size);
	close(fd);
	if (sum == 1)	/* keeps the reads */
		fprintf(stderr, "\n");
	printf("%.0f\n", (double)t * MIB / st.st_size);
	return 0;
}

static int op_stat(const char *path, long n)
{
	struct stat st;
	uint64_t t;
	long i;

	if (stat(path, &st))
		die("%s", path);
	t = now();
	for (i = 0; i < n; i++)
		stat(path, &st);
	t = now() - t;
	printf("%.0f\n", (double)t / n);
	return 0;
}

static int op_coldstat(const char *dir, long k, const char *prefix)
{
	char path[4096];
	struct stat st;
	uint64_t t, sum = 0;
	long i;

	drop_caches("2");
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "%s/%s%ld", dir, prefix, i);
		t = now();
		if (stat(path, &st))
			die("%s", path);
		sum += now() - t;
	}
	printf("%.0f\n", (double)sum / k);
	return 0;
}

/*
 * The first lookup of a name: nothing of it is cached, and nothing else
 * runs between the cache drop and the stat.
 */
static int op_firststat(const char *path)
{
	struct stat st;
	uint64_t t;

	drop_caches("2");
	t = now();
	if (stat(path, &st))
		die("%s", path);
	printf("%llu\n", (unsigned long long)(now() - t));
	return 0;
}

static int op_negstat(const char *dir, long n)
{
	char path[4096];
	struct stat st;
	uint64_t t, sum = 0;
	long i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/missing-%ld-%d", dir, i, getpid());
		t = now();
		if (!stat(path, &st))
			die("%s exists", path);
		sum += now() - t;
	}
	printf("%.0f\n", (double)sum / n);
	return 0;
}

/* The 5th field of /proc/sys/fs/dentry-state: unused negative dentries. */
static long long negative_dentries(void)
{
	long long f[5];
	FILE *fp = fopen("/proc/sys/fs/dentry-state", "r");

	if (!fp || fscanf(fp, "%lld %lld %lld %lld %lld", &f[0], &f[1], &f[2],
			  &f[3], &f[4]) != 5)
		die("%s", "/proc/sys/fs/dentry-state");
	fclose(fp);
	return f[4];
}

static int op_negdentries(const char *dir, long n)
{
	char path[4096];
	struct stat st;
	long long before;
	long i;

	before = negative_dentries();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/absent-%ld-%d", dir, i, getpid());
		if (!stat(path, &st))
			die("%s exists", path);
	}
	printf("%.2f\n", (double)(negative_dentries() - before) / n);
	return 0;
}

static long list_dir(const char *dir, int with_stat)
{
	struct dirent *de;
	struct stat st;
	long n = 0;
	DIR *d = opendir(dir);

	if (!d)
		die("%s", dir);
	while ((de = readdir(d))) {
		if (with_stat && fstatat(dirfd(d), de->d_name, &st,
					 AT_SYMLINK_NOFOLLOW))
			die("stat in %s", dir);
		n++;
	}
	closedir(d);
	return n;
}

static int op_readdir(const char *dir, long n, int with_stat)
{
	uint64_t t;
	long i;

	if (!n) {
		drop_caches("3");
		t = now();
		list_dir(dir, with_stat);
		printf("%llu\n", (unsigned long long)(now() - t));
		return 0;
	}
	list_dir(dir, with_stat);
	t = now();
	for (i = 0; i < n; i++)
		list_dir(dir, with_stat);
	t = now() - t;
	printf("%.0f\n", (double)t / n);
	return 0;
}

static int op_append(const char *path)
{
	uint64_t t = now();
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, "x", 1) != 1)
		die("append to %s", path);
	close(fd);
	printf("%llu\n", (unsigned long long)(now() - t));
	return 0;
}

static int op_chmod(const char *dir, long k)
{
	char path[4096];
	uint64_t t = now();
	long i;

	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		if (chmod(path, 0600))
			die("chmod %s", path);
	}
	printf("%llu\n", (unsigned long long)(now() - t));
	return 0;
}

/* A recursive walk: regular files counted, blocks summed, or paths kept. */
struct walk {
	int with_stat, keep_paths;
	long files;
	long long blocks;
	char **paths;
	size_t npaths, cap;
};

static void walk(int dfd, const char *rel, struct walk *w)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	if (fd < 0 || !(d = fdopendir(fd)))
		die("open %s", rel);
	while ((de = readdir(d))) {
		unsigned char type = de->d_type;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (w->with_stat || type == DT_UNKNOWN) {
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
				die("stat %s", de->d_name);
			w->blocks += st.st_blocks;
			type = S_ISDIR(st.st_mode) ? DT_DIR :
			       S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (type == DT_REG)
			w->files++;
		if (w->keep_paths && type == DT_REG) {
			char p[4096];

			if (w->npaths == w->cap) {
				w->cap = w->cap ? 2 * w->cap : 1024;
				w->paths = realloc(w->paths, w->cap * sizeof(char *));
				if (!w->paths)
					die("%s", "realloc");
			}
			snprintf(p, sizeof(p), "%s/%s", rel, de->d_name);
			w->paths[w->npaths++] = strdup(p);
		}
		if (type == DT_DIR) {
			char p[4096];

			snprintf(p, sizeof(p), "%s/%s", rel, de->d_name);
			walk(dfd, p, w);
		}
	}
	closedir(d);
}

static int op_walk(const char *dir, int mode)
{
	struct walk w = { .with_stat = mode == 1, .keep_paths = mode == 2 };
	struct stat st;
	uint64_t t;
	size_t i;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	if (dfd < 0)
		die("%s", dir);
	if (mode == 2) {
		walk(dfd, ".", &w);
		t = now();
		for (i = 0; i < w.npaths; i++)
			if (fstatat(dfd, w.paths[i], &st, AT_SYMLINK_NOFOLLOW))
				die("stat %s", w.paths[i]);
		t = now() - t;
	} else {
		t = now();
		walk(dfd, ".", &w);
		t = now() - t;
	}
	fprintf(stderr, "%ld files, %lld blocks, %zu paths\n", w.files, w.blocks,
		w.npaths);
	printf("%llu\n", (unsigned long long)t);
	return 0;
}

static int fs_config(int fd, unsigned int cmd, const char *key,
		    const char *value, int aux)
{
	return syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

/* OPTION of "lfsbench mount": "key=value" as a string, else a flag. */
static void fs_option(int fs, const char *opt)
{
	char key[256];
	const char *eq = strchr(opt, '=');
	int ret;

	if (!eq) {
		ret = fs_config(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
	} else {
		snprintf(key, sizeof(key), "%.*s", (int)(eq - opt), opt);
		ret = fs_config(fs, FSCONFIG_SET_STRING, key, eq + 1, 0);
	}
	if (ret)
		die("mount option %s", opt);
}

static int op_mount(const char *fstype, const char *mnt, const char *dir,
		    long n, long rounds, int nopts, char **opts)
{
	char path[4096];
	uint64_t t, sum = 0;
	long r, i;
	int fs, m, keep = !rounds;

	if (keep)
		rounds = 1;
	for (r = 0; r < rounds; r++) {
		t = now();
		fs = syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
		if (fs < 0)
			die("fsopen %s", fstype);
		for (i = n - 1; i >= 0; i--) {
			snprintf(path, sizeof(path), "%s/%ld", dir, i);
			if (fs_config(fs, FSCONFIG_SET_STRING, "lowerdir+", path, 0))
				die("lowerdir+ %s", path);
		}
		for (i = 0; i < nopts; i++)
			fs_option(fs, opts[i]);
		if (fs_config(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
			die("create %s", fstype);
		m = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
		if (m < 0 || syscall(SYS_move_mount, m, "", AT_FDCWD, mnt,
				     MOVE_MOUNT_F_EMPTY_PATH))
			die("mount on %s", mnt);
		sum += now() - t;
		close(m);
		close(fs);
		if (!keep && umount(mnt))
			die("umount %s", mnt);
	}
	if (!keep)
		printf("%.0f\n", (double)sum / rounds);
	return 0;
}

static long long meminfo_cached(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("%s", "/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Cached: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int op_cached(int n, char **files)
{
	long long before;
	int i, fd;

	drop_caches("3");
	before = meminfo_cached();
	for (i = 0; i < n; i++) {
		fd = open(files[i], O_RDONLY);
		if (fd < 0)
			die("%s", files[i]);
		read_all(fd, files[i]);
		close(fd);
	}
	printf("%lld\n", meminfo_cached() - before);
	return 0;
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir %s", path);
}

static void write_file(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(buf, 'a', size);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		die("write %s", path);
	close(fd);
}

static int op_mkstack(const char *dir, long n)
{
	char path[4096];
	long i;

	mkdir_p(dir);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%ld", dir, i);
		mkdir_p(path);
	}
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/0/f%ld", dir, i);
		write_file(path, 1024);
	}
	return 0;
}

/*
 * E names "e<i>" spread over L layers (name i lives in layer i % L, in
 * its directory SUB, "" for the layer's root); every (100 / WPCT)th name
 * is whited out in the layer above it (the top layer's names are whited
 * out in layer L-2 below them: no effect, as in a real image where a
 * later layer re-adds a file; so only names below the top count). NATIVE
 * (unless NULL) gets the names that stay visible.
 */
static int op_mkdirents(const char *dir, const char *native, long l, long e,
			long wpct, const char *sub)
{
	char path[4096];
	long i, layer, every = wpct ? 100 / wpct : 0;

	mkdir_p(dir);
	if (native)
		mkdir_p(native);
	for (i = 0; i < l; i++) {
		snprintf(path, sizeof(path), "%s/%ld", dir, i);
		mkdir_p(path);
		if (*sub) {
			snprintf(path, sizeof(path), "%s/%ld/%s", dir, i, sub);
			mkdir_p(path);
		}
	}
	for (i = 0; i < e; i++) {
		layer = i % l;
		snprintf(path, sizeof(path), "%s/%ld/%s/e%ld", dir, layer, sub, i);
		write_file(path, 16);
		if (every && i % every == 0 && layer < l - 1) {
			snprintf(path, sizeof(path), "%s/%ld/%s/e%ld", dir,
				 layer + 1, sub, i);
			if (mknod(path, S_IFCHR | 0600, makedev(0, 0)))
				die("mknod %s", path);
			continue;
		}
		if (!native)
			continue;
		snprintf(path, sizeof(path), "%s/e%ld", native, i);
		write_file(path, 16);
	}
	return 0;
}

static int op_mkfiles(const char *dir, long k)
{
	char path[4096];
	long i;

	mkdir_p(dir);
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		write_file(path, 100);
	}
	return 0;
}

static int open_dev(void)
{
	int dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);

	if (dev < 0)
		die("%s", LAYERFS_DEVICE);
	return dev;
}

/* LAYERFS_IOC_ADD_LAYER for LAYERDIR/0 .. LAYERDIR/N-1, bottom first. */
static int op_addchain(const char *name, const char *dir, long n)
{
	struct layerfs_layer_add a;
	char path[4096];
	int dev = open_dev();
	long i;

	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		snprintf(path, sizeof(path), "%s/%ld", dir, i);
		a.dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (a.dirfd < 0)
			die("%s", path);
		snprintf((char *)a.name, sizeof(a.name), "%s-%ld", name, i);
		if (i)
			snprintf((char *)a.parent, sizeof(a.parent), "%s-%ld",
				 name, i - 1);
		if (ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a))
			die("register %s", path);
		close(a.dirfd);
	}
	close(dev);
	return 0;
}

static int op_delchain(const char *name, long n)
{
	struct layerfs_layer_del d;
	int dev = open_dev();
	long i;

	for (i = n - 1; i >= 0; i--) {
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		snprintf((char *)d.name, sizeof(d.name), "%s-%ld", name, i);
		if (ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d))
			die("unregister %s", (char *)d.name);
	}
	close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

#define ARGS(n) if (argc != (n) + 2) goto usage
	if (!strcmp(op, "pread")) {
		ARGS(3);
		return op_pread(argv[2], atol(argv[3]), !strcmp(argv[4], "rand"));
	} else if (!strcmp(op, "mmap")) {
		ARGS(1);
		return op_mmap(argv[2]);
	} else if (!strcmp(op, "stat")) {
		ARGS(2);
		return op_stat(argv[2], atol(argv[3]));
	} else if (!strcmp(op, "coldstat")) {
		if (argc != 4 && argc != 5)
			goto usage;
		return op_coldstat(argv[2], atol(argv[3]),
				   argc == 5 ? argv[4] : "f");
	} else if (!strcmp(op, "firststat")) {
		ARGS(1);
		return op_firststat(argv[2]);
	} else if (!strcmp(op, "negstat")) {
		ARGS(2);
		return op_negstat(argv[2], atol(argv[3]));
	} else if (!strcmp(op, "negdentries")) {
		ARGS(2);
		return op_negdentries(argv[2], atol(argv[3]));
	} else if (!strcmp(op, "readdir") || !strcmp(op, "lsl")) {
		ARGS(2);
		return op_readdir(argv[2], atol(argv[3]), op[0] == 'l');
	} else if (!strcmp(op, "append")) {
		ARGS(1);
		return op_append(argv[2]);
	} else if (!strcmp(op, "chmod")) {
		ARGS(2);
		return op_chmod(argv[2], atol(argv[3]));
	} else if (!strcmp(op, "find")) {
		ARGS(1);
		return op_walk(argv[2], 0);
	} else if (!strcmp(op, "du")) {
		ARGS(1);
		return op_walk(argv[2], 1);
	} else if (!strcmp(op, "statall")) {
		ARGS(1);
		return op_walk(argv[2], 2);
	} else if (!strcmp(op, "mount")) {
		if (argc < 7)
			goto usage;
		return op_mount(argv[2], argv[3], argv[4], atol(argv[5]),
				atol(argv[6]), argc - 7, argv + 7);
	} else if (!strcmp(op, "cached") && argc > 2) {
		return op_cached(argc - 2, argv + 2);
	} else if (!strcmp(op, "mkstack")) {
		ARGS(2);
		return op_mkstack(argv[2], atol(argv[3]));
	} else if (!strcmp(op, "mkdirents")) {
		if (argc != 7 && argc != 8)
			goto usage;
		return op_mkdirents(argv[2],
				    strcmp(argv[3], "-") ? argv[3] : NULL,
				    atol(argv[4]), atol(argv[5]), atol(argv[6]),
				    argc == 8 ? argv[7] : "");
	} else if (!strcmp(op, "mkfiles")) {
		ARGS(2);
		return op_mkfiles(argv[2], atol(argv[3]));
	} else if (!strcmp(op, "addchain")) {
		ARGS(3);
		return op_addchain(argv[2], argv[3], atol(argv[4]));
	} else if (!strcmp(op, "delchain")) {
		ARGS(2);
		return op_delchain(argv[2], atol(argv[3]));
	}
usage:
	fprintf(stderr, "usage: see the comment at the top of lfsbench.c\n");
	return 2;
}
