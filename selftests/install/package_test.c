// SPDX-License-Identifier: GPL-2.0
/*
 * The packages as a user installs them (run in a guest, as root):
 * `apt-get install ./layerfs-dkms_V_all.deb ./layerctl_V_amd64.deb`
 * (made by `make deb`, which `make check` runs first), DKMS building
 * layerfs.ko for the running kernel, then modprobe, modinfo, man
 * layerctl and man 5 layerfs, layerctl --version, a layerfs line in
 * /etc/fstab mounted by `mount -a` (the module loaded by the kernel
 * through its fs-layerfs alias), a
 * store's image and container mounted by the installed layerctl, and at
 * last `apt-get purge`, after which nothing of the packages is left.
 *
 * The guest's root is the host's, read-only over 9p, with tmpfs on
 * /var/lib and a few more. The first test makes the root writable where
 * dpkg, apt and DKMS write: overlayfs on /usr (/lib is /usr/lib), /etc,
 * /var/lib/dpkg, /var/lib/apt and /var/lib/dkms, with the host's
 * directories as lower layers (the last three reached through a plain
 * bind mount of /, which shows the 9p root without the guest's tmpfs on
 * /var/lib) and tmpfs
 * upper layers. The mounts are in the guest's own mount namespace, so
 * that the kernel's modprobe (for mount -a) sees the installed module
 * too. The tests run in order and share that state; the last one
 * purges, compares every file left in the upper layers with the host's
 * and undoes the mounts, and so does an exit handler if it never ran.
 *
 * Nothing here depends on the kernel series: the module is built for
 * whatever `uname -r` is, against /lib/modules/$(uname -r)/build.
 *
 * Needs root, dkms, man-db and the kernel's headers (scripts/setup
 * installs them), out/deb/ (make deb), and LAYERFS_SRC and MKSTORE as
 * selftests/run sets them.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "util.h"

#define BASE		"/run/layerfs-pkg"
#define HOST		BASE "/host"		/* the 9p root, no submounts */
#define OUT_SIZE	(1 << 20)
#define APT		"DEBIAN_FRONTEND=noninteractive apt-get"
#define ARCH		"$(dpkg --print-architecture)"
/* apt and DKMS under TCG: the build of the module alone takes ~13 min. */
#define SLOW_SECS	1800

/* The directories made writable, each with an overlay of its own. */
static const char * const writable[] = {
	"/usr", "/etc", "/var/lib/dpkg", "/var/lib/apt", "/var/lib/dkms",
};

#define NWRITABLE	ARRAY_SIZE(writable)

/*
 * dpkg's and apt's own bookkeeping, changed by any install and removal:
 * not compared with the host's (the test asks dpkg instead). In
 * /var/lib/dkms, dkms's own signing key (made at its first build, for
 * every module after) may stay; nothing of layerfs may.
 */
static const char * const bookkeeping[] = {
	"/var/lib/dpkg",	/* status, info/, triggers/, lock */
	"/var/lib/apt",		/* extended_states */
};

static const struct {
	const char *dir, *rel;
} others[] = {
	{ "/var/lib/dkms", "/mok.key" },
	{ "/var/lib/dkms", "/mok.pub" },
};

static char out_buf[OUT_SIZE];
static char version[64], kver[256], debdir[PATH_MAX];
static pid_t main_pid;

/* ---- commands ------------------------------------------------------------ */

/* Run a shell command; its exit status (or -1), stdout+stderr in out_buf. */
static int run_cmd(const char *cmd)
{
	char full[8400], path[] = "/tmp/package-test-out.XXXXXX";
	ssize_t n;
	int fd, status;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	snprintf(full, sizeof(full), "exec >%s 2>&1 </dev/null; %s", path, cmd);
	status = system(full);
	n = read(fd, out_buf, OUT_SIZE - 1);
	out_buf[n < 0 ? 0 : n] = '\0';
	close(fd);
	unlink(path);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define RUN(fmt, ...) ({						\
	char __cmd[8192];						\
									\
	if (snprintf(__cmd, sizeof(__cmd), fmt, ##__VA_ARGS__) >=	\
	    (int)sizeof(__cmd))						\
		abort();						\
	run_cmd(__cmd);							\
})

#define P(buf, fmt, ...) ({						\
	char *__buf = (buf);						\
									\
	if (snprintf(__buf, sizeof(buf), fmt, ##__VA_ARGS__) >=	\
	    (int)sizeof(buf))						\
		abort();						\
	__buf;								\
})

/* out_buf without its trailing newlines. */
static char *chomp(void)
{
	size_t n = strlen(out_buf);

	while (n && out_buf[n - 1] == '\n')
		out_buf[--n] = '\0';
	return out_buf;
}

/* The last @n bytes of out_buf, for a log line. */
static const char *tail(size_t n)
{
	size_t len = strlen(out_buf);

	return len > n ? out_buf + len - n : out_buf;
}

static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return n;
}

/* ---- the writable root ------------------------------------------------- */

/* The overlay of writable[@i] is mounted: its upper directory exists. */
static void upper_of(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, BASE "/upper/%zu", i);
}

static bool root_writable(void)
{
	char up[PATH_MAX];

	upper_of(0, up, sizeof(up));
	return !access(up, F_OK);
}

/*
 * Debian's dkms postinst builds for the running kernel and for the newest
 * one it finds as /boot/config-*: on the 6.1 guest that is a second DKMS
 * build, for 6.12 (~13 min more under TCG). /dev/null bound over the other
 * kernels' configs fails its [ -f ] test, so DKMS builds for the running
 * kernel alone, as on a machine with one kernel. Undone by restore_root().
 */
static int hide_other_kernels(char *why, size_t len)
{
	char mine[PATH_MAX];
	glob_t g;
	size_t i;
	int ret = 0;

	P(mine, "/boot/config-%s", kver);
	if (glob("/boot/config-*", 0, NULL, &g))
		return 0;	/* none: nothing to hide */
	for (i = 0; i < g.gl_pathc && !ret; i++) {
		if (!strcmp(g.gl_pathv[i], mine))
			continue;
		if (mount("/dev/null", g.gl_pathv[i], NULL, MS_BIND, NULL)) {
			snprintf(why, len, "bind /dev/null over %s: %s",
				 g.gl_pathv[i], strerror(errno));
			ret = -1;
		}
	}
	globfree(&g);
	return ret;
}

/* Undo hide_other_kernels(). */
static void show_other_kernels(void)
{
	struct stat st;
	glob_t g;
	size_t i;

	if (glob("/boot/config-*", 0, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++)
		if (!stat(g.gl_pathv[i], &st) && S_ISCHR(st.st_mode))
			umount2(g.gl_pathv[i], MNT_DETACH);
	globfree(&g);
}

static int make_root_writable(char *why, size_t len)
{
	char lower[PATH_MAX + 64], up[PATH_MAX], work[PATH_MAX];
	char opts[4 * PATH_MAX];
	size_t i;

	if (RUN("grep -qw overlay /proc/filesystems || modprobe overlay")) {
		snprintf(why, len, "modprobe overlay: %s", out_buf);
		return -1;
	}
	if (mkdir(BASE, 0700) && errno != EEXIST)
		goto out_errno;
	if (mount("tmpfs", BASE, "tmpfs", 0, "mode=0700"))
		goto out_errno;
	if (mkdir(HOST, 0755) || mkdir(BASE "/upper", 0755) ||
	    mkdir(BASE "/work", 0755))
		goto out_errno;
	/* Not MS_REC: the 9p root alone, as the host has it. */
	if (mount("/", HOST, NULL, MS_BIND, NULL))
		goto out_errno;
	for (i = 0; i < NWRITABLE; i++) {
		P(lower, HOST "%s", writable[i]);
		upper_of(i, up, sizeof(up));
		snprintf(work, sizeof(work), BASE "/work/%zu", i);
		if (mkdir(up, 0755) || mkdir(work, 0755))
			goto out_errno;
		/* Under the guest's tmpfs on /var/lib: a mount point. */
		if (RUN("mkdir -p %s", writable[i]))
			goto out_errno;
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
			 lower, up, work);
		if (mount("overlay", writable[i], "overlay", 0, opts)) {
			snprintf(why, len, "overlay on %s: %s", writable[i],
				 strerror(errno));
			return -1;
		}
	}
	return hide_other_kernels(why, len);

out_errno:
	snprintf(why, len, "%s: %s", BASE, strerror(errno));
	return -1;
}

/* Undo make_root_writable(), whatever part of it was done. */
static void restore_root(void)
{
	size_t i;

	show_other_kernels();
	for (i = NWRITABLE; i-- > 0;)
		if (umount2(writable[i], 0) && errno != EINVAL)
			umount2(writable[i], MNT_DETACH);
	umount2(HOST, MNT_DETACH);
	umount2(BASE, MNT_DETACH);
	rmdir(BASE);
}

/* ---- the packages -------------------------------------------------------- */

static bool installed(const char *pkg)
{
	return !RUN("dpkg-query -W -f '${db:Status-Abbrev}' %s | grep -q '^ii'", pkg);
}

/* Neither package installed and no module loaded: the machine as before. */
static void purge_all(void)
{
	RUN("rmmod layerfs");
	if (installed("layerfs-dkms") || installed("layerctl"))
		RUN(APT " purge -y -q layerfs-dkms layerctl");
}

/*
 * An exit handler of the harness's own process (its tests run in
 * children, which leave with _exit()): the guest goes on with other
 * tests, and none of them must meet the installed module or a writable
 * /usr.
 */
static void __attribute__((destructor)) cleanup(void)
{
	if (getpid() != main_pid || !root_writable())
		return;
	purge_all();
	restore_root();
}

static void __attribute__((constructor)) init(void)
{
	const char *src = getenv("LAYERFS_SRC");
	char path[PATH_MAX + 32];
	struct utsname u;

	main_pid = getpid();
	if (!uname(&u))
		snprintf(kver, sizeof(kver), "%s", u.release);
	if (!src)
		return;
	snprintf(path, sizeof(path), "%s/scripts/VERSION", src);
	if (read_file(path, version, sizeof(version)) < 0)
		version[0] = '\0';
	snprintf(debdir, sizeof(debdir), "%s/out/deb", src);
}

/*
 * The GNU build ID of a module file (an ELF note; .ko, .ko.xz, .ko.zst),
 * in hex, by readelf -n: what /sys/module/M/notes/.note.gnu.build-id of
 * the loaded module must match.
 */
static int file_build_id(const char *ko, char *hex, size_t len)
{
	if (RUN("f=%s; case $f in *.xz) xz -dc $f;; *.zst) zstd -qdc $f;; *) cat $f;; esac "
		"> /tmp/package-test.ko && readelf -n /tmp/package-test.ko | "
		"sed -n 's/^ *Build ID: *//p'; rm -f /tmp/package-test.ko", ko))
		return -1;
	snprintf(hex, len, "%s", chomp());
	return hex[0] ? 0 : -1;
}

/* The build ID of the loaded layerfs (the note's descriptor, in hex). */
static int loaded_build_id(char *hex, size_t len)
{
	unsigned char note[256];
	unsigned int namesz, descsz, i;
	ssize_t n;
	int fd;

	fd = open("/sys/module/layerfs/notes/.note.gnu.build-id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, note, sizeof(note));
	close(fd);
	if (n < 12)
		return -1;
	memcpy(&namesz, note, 4);
	memcpy(&descsz, note + 4, 4);
	/* namesz, descsz, type, name (4-byte aligned), descriptor */
	if (12 + ((namesz + 3) & ~3u) + descsz > (size_t)n || 2 * descsz >= len)
		return -1;
	for (i = 0; i < descsz; i++)
		sprintf(hex + 2 * i, "%02x", note[12 + ((namesz + 3) & ~3u) + i]);
	return 0;
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(pkg) {
	char dir[PATH_MAX];
	char scratch[PATH_MAX];		/* lu_scratch_mount() in dir */
	char backing[LU_SCRATCH_BACKING_MAX];
	char ko[PATH_MAX];		/* the module DKMS installed */
};

/*
 * Every test but the first needs the packages installed: when the first
 * failed (or a test runs alone), fail rather than test something else.
 */
FIXTURE_SETUP(pkg)
{
	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_NE(0, version[0]) TH_LOG("no version: LAYERFS_SRC/scripts/VERSION");
	/* The debug kernel (make check KERNEL=debug) is built outside /lib/modules. */
	if (RUN("test -d /lib/modules/%s/build", kver))
		SKIP(return, "no headers for the running kernel %s (/lib/modules/%s/build): %s",
		     kver, kver, "DKMS cannot build for it");
	P(self->dir, "/tmp/package-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(pkg)
{
	if (self->scratch[0])
		lu_scratch_umount(self->scratch, self->backing);
	if (self->dir[0])
		RUN("umount -q %s/mnt/* 2>/dev/null; rm -rf %s", self->dir, self->dir);
}

/* The module DKMS installed for the running kernel, in @self->ko. */
static int find_installed_ko(FIXTURE_DATA(pkg) *self)
{
	if (RUN("ls /lib/modules/%s/updates/dkms/layerfs.ko*", kver))
		return -1;
	snprintf(self->ko, sizeof(self->ko), "%s", chomp());
	return strchr(self->ko, '\n') ? -1 : 0;
}

#define ASSERT_INSTALLED() do {						\
	ASSERT_TRUE(root_writable() && installed("layerfs-dkms") &&	\
		    installed("layerctl"))				\
		TH_LOG("the packages are not installed (the first test failed?)"); \
	ASSERT_EQ(0, find_installed_ko(self)) TH_LOG("%s", out_buf);	\
} while (0)

/* ---- tests ------------------------------------------------------------- */

TEST_F_TIMEOUT(pkg, apt_installs_both_packages_and_dkms_builds_the_module, SLOW_SECS)
{
	char why[512];

	ASSERT_FALSE(root_writable()) TH_LOG(BASE " exists: an earlier run left it");
	ASSERT_EQ(0, RUN("test -f %s/layerfs-dkms_%s_all.deb && test -f %s/layerctl_%s_%s.deb",
			 debdir, version, debdir, version, ARCH))
		TH_LOG("no packages of %s in %s: run make deb", version, debdir);
	ASSERT_EQ(0, RUN("command -v dkms && command -v man"))
		TH_LOG("dkms or man-db is missing (scripts/setup installs them)");
	/* Whatever an earlier test loaded is not the installed module. */
	if (lfs_fs_registered(LFS_FSTYPE))
		ASSERT_EQ(0, lfs_unload_module()) TH_LOG("rmmod layerfs: %s", strerror(errno));

	ASSERT_EQ(0, make_root_writable(why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, RUN(APT " install -y -q "
			 "%s/layerfs-dkms_%s_all.deb %s/layerctl_%s_%s.deb",
			 debdir, version, debdir, version, ARCH))
		TH_LOG("apt-get install: ...%s", tail(3000));
	TH_LOG("apt-get install: ...%s", tail(600));
	EXPECT_TRUE(installed("layerfs-dkms"));
	EXPECT_TRUE(installed("layerctl"));

	/* DKMS: added, built and installed for this kernel, as the package's own. */
	ASSERT_EQ(0, RUN("dkms status layerfs"));
	TH_LOG("dkms status: %s", chomp());
	P(why, "layerfs/%s, %s, ", version, kver);
	EXPECT_NE(NULL, strstr(out_buf, why)) TH_LOG("no %s in dkms status", why);
	EXPECT_NE(NULL, strstr(out_buf, ": installed"));
	ASSERT_EQ(0, find_installed_ko(self)) TH_LOG("no module in updates/dkms: %s", out_buf);
	ASSERT_EQ(0, RUN("dpkg -S /usr/src/layerfs-%s/dkms.conf", version));
	EXPECT_EQ(0, strncmp(out_buf, "layerfs-dkms:", 13)) TH_LOG("%s", out_buf);
	/* Debian's Depends, as dpkg resolved them */
	EXPECT_EQ(0, RUN("dpkg-query -W -f '${Depends}' layerfs-dkms | grep -q dkms"));
	EXPECT_EQ(0, RUN("dpkg-query -W -f '${Depends}' layerctl | tr , '\\n' | "
			 "grep -cE 'libjson-c|libkmod|libmnl|libmount|libssl' | grep -qx 5"))
		TH_LOG("layerctl's Depends lack a library");
}

TEST_F_TIMEOUT(pkg, modprobe_loads_the_dkms_module_of_the_packages_version, 120)
{
	char v[64], a[128], b[128];

	ASSERT_INSTALLED();
	ASSERT_FALSE(lfs_fs_registered(LFS_FSTYPE));
	ASSERT_EQ(0, RUN("modinfo -F version layerfs"));
	EXPECT_STREQ(version, chomp());
	ASSERT_EQ(0, RUN("modinfo -n layerfs"));
	EXPECT_STREQ(self->ko, chomp());

	ASSERT_EQ(0, RUN("modprobe layerfs")) TH_LOG("%s", out_buf);
	EXPECT_TRUE(lfs_fs_registered(LFS_FSTYPE));
	ASSERT_LE(0, read_file("/sys/module/layerfs/version", v, sizeof(v)));
	EXPECT_STREQ(version, v);
	/* the file DKMS built, not the tree's layerfs.ko */
	ASSERT_EQ(0, loaded_build_id(a, sizeof(a)));
	ASSERT_EQ(0, file_build_id(self->ko, b, sizeof(b))) TH_LOG("%s", out_buf);
	EXPECT_STREQ(b, a);
	TH_LOG("layerfs %s loaded from %s, build ID %s", v, self->ko, a);
	EXPECT_EQ(0, RUN("rmmod layerfs")) TH_LOG("%s", out_buf);
}

TEST_F_TIMEOUT(pkg, layerctl_reports_the_version_of_the_module, 60)
{
	char want[96];

	ASSERT_INSTALLED();
	ASSERT_EQ(0, RUN("command -v layerctl"));
	EXPECT_STREQ("/usr/sbin/layerctl", chomp());
	ASSERT_EQ(0, RUN("layerctl --version"));
	P(want, "layerctl %s", version);
	EXPECT_STREQ(want, chomp());
}

TEST_F_TIMEOUT(pkg, man_shows_layerctl_8_and_layerfs_5, 120)
{
	ASSERT_INSTALLED();
	ASSERT_EQ(0, RUN("man -w layerctl"));
	EXPECT_STREQ("/usr/share/man/man8/layerctl.8.gz", chomp());
	/* Wide enough for the NAME line: a wrapped one is justified. */
	ASSERT_EQ(0, RUN("MANWIDTH=200 man -P cat 8 layerctl")) TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "layerctl - mount the images and containers of Docker"))
		TH_LOG("%.400s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "SYNOPSIS"));
	/* layerfs(5), the mount options, comes with the module's package */
	ASSERT_EQ(0, RUN("man -w 5 layerfs"));
	EXPECT_STREQ("/usr/share/man/man5/layerfs.5.gz", chomp());
	ASSERT_EQ(0, RUN("dpkg -S /usr/share/man/man5/layerfs.5.gz"));
	EXPECT_EQ(0, strncmp(out_buf, "layerfs-dkms:", 13)) TH_LOG("%s", out_buf);
	ASSERT_EQ(0, RUN("MANWIDTH=80 man -P cat 5 layerfs")) TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "MOUNT OPTIONS")) TH_LOG("%.400s", out_buf);
}

/*
 * A line in /etc/fstab, mounted by mount -a with the module not loaded:
 * the kernel loads it by its alias (fs-layerfs) through modprobe, which
 * finds the DKMS module. /etc/fstab gets its content back afterwards.
 */
TEST_F_TIMEOUT(pkg, mount_a_mounts_a_layerfs_line_of_etc_fstab, 120)
{
	char v[64], mnt[PATH_MAX + 8], buf[256];
	int e;

	ASSERT_INSTALLED();
	if (lfs_fs_registered(LFS_FSTYPE))
		ASSERT_EQ(0, lfs_unload_module());
	P(mnt, "%s/mnt/fstab", self->dir);
	ASSERT_EQ(0, RUN("cd %s && mkdir -p upper/d lower/d %s && echo top > upper/d/a && "
			 "echo hidden > lower/d/a && echo bottom > lower/d/b && "
			 "cp /etc/fstab fstab.orig && "
			 "printf 'layerfs %s layerfs ro,lowerdir=%s/upper:%s/lower 0 0\\n' >> /etc/fstab",
			 self->dir, mnt, mnt, self->dir, self->dir))
		TH_LOG("%s", out_buf);
	/* -t layerfs: the host's other lines are not the guest's to mount */
	e = RUN("mount -a -t layerfs");
	TH_LOG("mount -a: %s", e ? out_buf : "ok");
	RUN("cat %s/fstab.orig > /etc/fstab", self->dir);
	ASSERT_EQ(0, e);
	EXPECT_EQ(0, RUN("cmp %s/fstab.orig /etc/fstab", self->dir));
	ASSERT_EQ(0, RUN("findmnt -n -r -o FSTYPE,OPTIONS %s", mnt));
	EXPECT_EQ(0, strncmp(out_buf, "layerfs ro", 10)) TH_LOG("%s", out_buf);
	P(buf, "%s/d/a", mnt);
	ASSERT_LE(0, read_file(buf, v, sizeof(v)));
	EXPECT_STREQ("top", v);
	P(buf, "%s/d/b", mnt);
	ASSERT_LE(0, read_file(buf, v, sizeof(v)));
	EXPECT_STREQ("bottom", v);
	ASSERT_LE(0, read_file("/sys/module/layerfs/version", v, sizeof(v)));
	EXPECT_STREQ(version, v);
	EXPECT_EQ(0, umount2(mnt, 0));
	EXPECT_EQ(0, lfs_unload_module());
}

/*
 * The installed layerctl mounts the image and the container of a Docker
 * overlay2 store (scripts/mkstore's busybox demo), loading the module
 * itself (libkmod, fs-layerfs); a write lands in the container's diff.
 */
TEST_F_TIMEOUT(pkg, layerctl_mounts_an_image_and_a_container_of_a_store, 300)
{
	const char *mkstore = getenv("MKSTORE");
	char img[PATH_MAX + 8], ctr[PATH_MAX + 8];

	ASSERT_INSTALLED();
	ASSERT_NE(NULL, mkstore);
	if (lfs_fs_registered(LFS_FSTYPE))
		ASSERT_EQ(0, lfs_unload_module());
	/*
	 * The store holds user.* xattrs, which tmpfs has only since 6.6:
	 * lu_scratch_mount() puts it on the ext4 scratch disk then, in a
	 * mount namespace of this test's own (the mounts that make the
	 * guest's root writable for the packages are copied into it).
	 */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	P(self->scratch, "%s/scratch", self->dir);
	ASSERT_EQ(0, mkdir(self->scratch, 0700));
	ASSERT_EQ(0, lu_scratch_mount(self->scratch, self->backing,
				      sizeof(self->backing)));
	P(img, "%s/mnt/image", self->scratch);
	P(ctr, "%s/mnt/container", self->scratch);
	ASSERT_EQ(0, RUN("mkdir -p %s %s && %s --root %s/store --demo --container",
			 img, ctr, mkstore, self->scratch))
		TH_LOG("mkstore: %s", out_buf);

	ASSERT_EQ(0, RUN("layerctl --root %s/store mount demo:latest %s", self->scratch, img))
		TH_LOG("%s", out_buf);
	EXPECT_EQ(0, RUN("findmnt -n -o FSTYPE %s | grep -qx layerfs", img));
	EXPECT_EQ(0, RUN("test -x %s/bin/busybox && %s/bin/busybox true", img, img))
		TH_LOG("%s", out_buf);
	ASSERT_EQ(0, RUN("layerctl --root %s/store mount demo-container %s", self->scratch, ctr))
		TH_LOG("%s", out_buf);
	ASSERT_EQ(0, RUN("echo written > %s/package-test && "
			 "cat %s/store/overlay2/*/diff/package-test", ctr, self->scratch))
		TH_LOG("the write is in no diff dir: %s", out_buf);
	EXPECT_STREQ("written", chomp());
	EXPECT_EQ(0, RUN("layerctl mounts | grep -c %s/mnt/ | grep -qx 2", self->scratch))
		TH_LOG("%s", out_buf);
	EXPECT_EQ(0, RUN("layerctl umount %s && layerctl umount %s", ctr, img))
		TH_LOG("%s", out_buf);
	EXPECT_EQ(0, RUN("layerctl --root %s/store prune", self->scratch)) TH_LOG("%s", out_buf);
	EXPECT_EQ(0, lfs_unload_module());
}

/* ---- what is left -------------------------------------------------------- */

struct leftovers {
	const char *dir;		/* of writable[] */
	const char *upper;		/* the overlay's upper layer */
	char lower[PATH_MAX + 64];	/* the host's directory */
	char list[4096];
	size_t len;
};

static struct leftovers *walk;

static bool same_file(const char *a, const char *b)
{
	/* quoted for the shell: no file of theirs has a quote in its name */
	if (strchr(a, '\'') || strchr(b, '\''))
		return false;
	return !RUN("cmp -s '%s' '%s'", a, b);
}

static void note(const char *what, const char *rel)
{
	size_t room = sizeof(walk->list) - walk->len;
	int n;

	n = snprintf(walk->list + walk->len, room, " %s%s", what, rel);
	walk->len += n < 0 || (size_t)n >= room ? room - 1 : (size_t)n;
}

/*
 * Each entry of an upper layer is a copy-up or a new file: a leftover
 * unless the host has the same (a directory that is also the host's, a
 * file with the host's content, a symbolic link to the same target).
 */
static int left_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char lower[2 * PATH_MAX + 64], t1[PATH_MAX], t2[PATH_MAX];
	const char *rel = path + strlen(walk->upper);
	struct stat lst;
	ssize_t n1, n2;
	size_t i;

	if (!*rel)
		return 0;
	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (!strcmp(others[i].dir, walk->dir) && !strcmp(others[i].rel, rel))
			return 0;
	snprintf(lower, sizeof(lower), "%s%s", walk->lower, rel);
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
		note("removed:", rel);		/* a whiteout: gone from the host's */
		return 0;
	}
	if (lstat(lower, &lst)) {
		note(S_ISDIR(st->st_mode) ? "new dir:" : "new:", rel);
		return 0;
	}
	if (S_ISDIR(st->st_mode)) {
		if (!S_ISDIR(lst.st_mode))
			note("changed:", rel);
	} else if (S_ISLNK(st->st_mode)) {
		n1 = readlink(path, t1, sizeof(t1));
		n2 = readlink(lower, t2, sizeof(t2));
		if (n1 != n2 || n1 < 0 || memcmp(t1, t2, n1))
			note("changed:", rel);
	} else if (!S_ISREG(st->st_mode) || !S_ISREG(lst.st_mode) ||
		   !same_file(path, lower)) {
		note("changed:", rel);
	}
	return 0;
}

TEST_F_TIMEOUT(pkg, apt_purge_removes_both_packages_and_leaves_nothing, SLOW_SECS)
{
	struct leftovers *l;
	char up[PATH_MAX];
	size_t i, j;
	bool skip;

	ASSERT_INSTALLED();
	if (lfs_fs_registered(LFS_FSTYPE))
		ASSERT_EQ(0, lfs_unload_module());
	ASSERT_EQ(0, RUN(APT " purge -y -q layerfs-dkms layerctl"))
		TH_LOG("apt-get purge: ...%s", tail(3000));
	TH_LOG("apt-get purge: ...%s", tail(400));

	EXPECT_FALSE(installed("layerfs-dkms"));
	EXPECT_FALSE(installed("layerctl"));
	EXPECT_NE(0, RUN("dpkg-query -W -f '${db:Status-Abbrev}\\n' layerfs-dkms layerctl | "
			 "grep -v '^un'"))
		TH_LOG("dpkg still knows them: %s", out_buf);
	EXPECT_EQ(0, RUN("test -z \"$(dkms status layerfs)\" && test ! -e /var/lib/dkms/layerfs"))
		TH_LOG("DKMS still has layerfs: %s", out_buf);
	EXPECT_NE(0, RUN("modinfo layerfs")) TH_LOG("modinfo still finds %s", out_buf);
	EXPECT_NE(0, RUN("ls -d /usr/src/layerfs-* /lib/modules/*/updates/dkms/layerfs.ko* "
			 "/usr/sbin/layerctl /usr/share/man/man8/layerctl.8* /usr/share/man/man5/layerfs.5* "
			 "/usr/share/doc/layerctl "
			 "/usr/share/doc/layerfs-dkms /var/lib/dpkg/info/layerctl.* "
			 "/var/lib/dpkg/info/layerfs-dkms.* 2>/dev/null"))
		TH_LOG("left: %s", out_buf);

	/* Every file in /usr and /etc is the host's again. */
	l = calloc(1, sizeof(*l));
	ASSERT_NE(NULL, l);
	walk = l;
	for (i = 0; i < NWRITABLE; i++) {
		skip = false;
		for (j = 0; j < ARRAY_SIZE(bookkeeping); j++)
			skip |= !strcmp(bookkeeping[j], writable[i]);
		if (skip)
			continue;
		upper_of(i, up, sizeof(up));
		l->dir = writable[i];
		l->upper = up;
		P(l->lower, HOST "%s", writable[i]);
		l->len = 0;
		l->list[0] = '\0';
		EXPECT_EQ(0, nftw(up, left_entry, 32, FTW_PHYS));
		EXPECT_EQ(0, l->len) TH_LOG("%s differs from the host's:%s", writable[i], l->list);
	}
	walk = NULL;
	free(l);

	restore_root();
	EXPECT_FALSE(root_writable());
}

LU_HARNESS_MAIN
