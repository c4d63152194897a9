// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs, setgid and write access through a writable union, where the
 * union runs real-fs calls with the mounter's credentials:
 *
 * - an ACL changed through the union takes effect at once, both ways (no
 *   stale copy cached on the union inode);
 * - workdir's default ACL and setgid bit do not reach copied-up objects;
 * - an object created where a lower name was deleted (built in workdir,
 *   renamed over the whiteout) gets the parent's default ACL and setgid,
 *   exactly like one created at a fresh name;
 * - setting an access ACL clears setgid when the caller could not keep it
 *   (CVE-2016-7097), although the mounter could;
 * - a truncate through the union respects a running executable (ETXTBSY);
 * - removing an xattr or ACL a lower object lacks is ENODATA and does not
 *   copy the object up.
 *
 * Every test runs on layerfs and on overlay with the same expectations,
 * with the upper layer on tmpfs and on the ext4 scratch disk; those with
 * a layer on ramfs (noacl) only with the upper on tmpfs, and the one with
 * the upper on ramfs only on overlay (noacl_ovl).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define ACL_ACCESS	"system.posix_acl_access"
#define ACL_DEFAULT	"system.posix_acl_default"
#define NO_ID		ACL_UNDEFINED_ID

struct acl_ent {
	unsigned short tag;
	unsigned short perm;
	unsigned int id;
};

/* Write an ACL as the raw xattr setfacl writes; entries sorted by tag. */
static int set_acl(const char *path, const char *name,
		   const struct acl_ent *e, int n)
{
	char buf[sizeof(struct posix_acl_xattr_header) +
		 16 * sizeof(struct posix_acl_xattr_entry)];
	struct posix_acl_xattr_header *h = (void *)buf;
	struct posix_acl_xattr_entry *x = (void *)(h + 1);
	int i;

	h->a_version = POSIX_ACL_XATTR_VERSION;
	for (i = 0; i < n && i < 16; i++) {
		x[i].e_tag = e[i].tag;
		x[i].e_perm = e[i].perm;
		x[i].e_id = e[i].id;
	}
	if (setxattr(path, name, buf, sizeof(*h) + i * sizeof(*x), 0))
		return -errno;
	return 0;
}

/* The permissions of the named user @uid in an ACL, or -errno / -ENOENT. */
static int acl_user_perm(const char *path, const char *name, uid_t uid)
{
	char buf[1024];
	struct posix_acl_xattr_entry *x;
	ssize_t n = getxattr(path, name, buf, sizeof(buf));
	size_t i, cnt;

	if (n < 0)
		return -errno;
	x = (void *)(buf + sizeof(struct posix_acl_xattr_header));
	cnt = (n - sizeof(struct posix_acl_xattr_header)) / sizeof(*x);
	for (i = 0; i < cnt; i++)
		if (x[i].e_tag == ACL_USER && x[i].e_id == uid)
			return x[i].e_perm;
	return -ENOENT;
}

static int has_xattr(const char *path, const char *name)
{
	char v[1024];

	return getxattr(path, name, v, sizeof(v)) >= 0 ? 0 : -errno;
}

static int open_read(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static const struct acl_ent *acl_arg;
static int acl_arg_n;

static int set_access_acl(const char *path)
{
	return set_acl(path, ACL_ACCESS, acl_arg, acl_arg_n) ? errno : 0;
}

/*
 * Run @fn(@path) in a child as @uid/@gid with no supplementary groups;
 * returns what it returns (an errno, 0 for success), 200+ for setup
 * failures.
 */
static int as_user(uid_t uid, gid_t gid, int (*fn)(const char *),
		   const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 201;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(200);
		_exit(fn(path));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 202;
	return WEXITSTATUS(status);
}

FIXTURE(acl) {
	struct lu_scratch s;
	struct lu_rw rw;
};

FIXTURE_VARIANT(acl) {
	const char *fstype;
	const char *disk;	/* upper on this scratch disk, or tmpfs */
};

FIXTURE_VARIANT_ADD(acl, layerfs) {
	.fstype = "layerfs",
};

FIXTURE_VARIANT_ADD(acl, overlay) {
	.fstype = "overlay",
};

FIXTURE_VARIANT_ADD(acl, layerfs_ext4) {
	.fstype = "layerfs", .disk = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_VARIANT_ADD(acl, overlay_ext4) {
	.fstype = "overlay", .disk = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_SETUP(acl)
{
	int ret;

	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 1))
		return;
	ret = lu_rw_init(&self->rw, &self->s, variant->disk);
	if (ret == -ENODEV)
		SKIP(return, "no scratch disk: %s is not set (scripts/vm-run --disk)",
		     variant->disk);
	ASSERT_EQ(0, ret);
	umask(022);
}

FIXTURE_TEARDOWN(acl)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* A path in the upper layer. Rotating buffers, like lu_mpath(). */
static const char *upath(FIXTURE_DATA(acl) *self, const char *rel)
{
	static __thread char buf[4][LU_PATH_MAX * 2];
	static __thread int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", self->rw.upper, rel);
	return p;
}

TEST_F(acl, acl_change_through_the_union_takes_effect_at_once)
{
	struct lu_scratch *s = &self->s;
	const char *f = lu_mpath(s, "f");
	const struct acl_ent grant_1002[] = {
		{ ACL_USER_OBJ, 6, NO_ID }, { ACL_USER, 6, 1002 },
		{ ACL_GROUP_OBJ, 4, NO_ID }, { ACL_MASK, 6, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};
	const struct acl_ent grant_1003[] = {
		{ ACL_USER_OBJ, 6, NO_ID }, { ACL_USER, 4, 1003 },
		{ ACL_GROUP_OBJ, 4, NO_ID }, { ACL_MASK, 4, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};

	ASSERT_EQ(0, lu_file(s, 0, "f", 0640, "secret"));
	ASSERT_EQ(0, chown(lu_lpath(s, 0, "f"), 0, 1000));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));

	/* Denied first: whatever the union caches about "no ACL". */
	EXPECT_EQ(EACCES, as_user(1001, 1001, open_read, f));
	EXPECT_EQ(EACCES, as_user(1002, 1002, open_read, f));
	EXPECT_EQ(EACCES, as_user(1003, 1003, open_read, f));

	/* setfacl -m u:1002:rw f */
	ASSERT_EQ(0, set_acl(f, ACL_ACCESS, grant_1002, 5));
	EXPECT_EQ(6, acl_user_perm(upath(self, "f"), ACL_ACCESS, 1002));
	EXPECT_EQ(0, as_user(1002, 1002, open_read, f));
	EXPECT_EQ(EACCES, as_user(1001, 1001, open_read, f));

	/* setfacl -x u:1002 (and -m u:1003:r) f: 1002 loses access at once */
	ASSERT_EQ(0, set_acl(f, ACL_ACCESS, grant_1003, 5));
	EXPECT_EQ(EACCES, as_user(1002, 1002, open_read, f));
	EXPECT_EQ(0, as_user(1003, 1003, open_read, f));

	/* setfacl -b f */
	ASSERT_EQ(0, removexattr(f, ACL_ACCESS));
	EXPECT_EQ(EACCES, as_user(1003, 1003, open_read, f));
	EXPECT_EQ(-ENODATA, has_xattr(f, ACL_ACCESS));
}

TEST_F(acl, acl_entry_removed_through_the_union_denies_at_once)
{
	struct lu_scratch *s = &self->s;
	const char *f = lu_mpath(s, "f");
	const struct acl_ent grant_1002[] = {
		{ ACL_USER_OBJ, 6, NO_ID }, { ACL_USER, 6, 1002 },
		{ ACL_GROUP_OBJ, 4, NO_ID }, { ACL_MASK, 6, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};
	const struct acl_ent grant_1003[] = {
		{ ACL_USER_OBJ, 6, NO_ID }, { ACL_USER, 4, 1003 },
		{ ACL_GROUP_OBJ, 4, NO_ID }, { ACL_MASK, 4, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};

	ASSERT_EQ(0, lu_file(s, 0, "f", 0640, "secret"));
	ASSERT_EQ(0, chown(lu_lpath(s, 0, "f"), 0, 1000));
	ASSERT_EQ(0, set_acl(lu_lpath(s, 0, "f"), ACL_ACCESS, grant_1002, 5));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));

	/* Allowed first: the lower ACL is read (and whatever caches it). */
	EXPECT_EQ(0, as_user(1002, 1002, open_read, f));
	/* setfacl -x u:1002 (and -m u:1003:r) f, through the union */
	ASSERT_EQ(0, set_acl(f, ACL_ACCESS, grant_1003, 5));
	EXPECT_EQ(EACCES, as_user(1002, 1002, open_read, f));
	EXPECT_EQ(0, as_user(1003, 1003, open_read, f));
	/* setfacl -b f */
	ASSERT_EQ(0, removexattr(f, ACL_ACCESS));
	EXPECT_EQ(EACCES, as_user(1003, 1003, open_read, f));
}

TEST_F(acl, acl_on_a_directory_takes_effect_at_once)
{
	struct lu_scratch *s = &self->s;
	const char *inside = lu_mpath(s, "d/f");
	const struct acl_ent grant_1002[] = {
		{ ACL_USER_OBJ, 7, NO_ID }, { ACL_USER, 5, 1002 },
		{ ACL_GROUP_OBJ, 0, NO_ID }, { ACL_MASK, 5, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};
	const struct acl_ent none[] = {
		{ ACL_USER_OBJ, 7, NO_ID }, { ACL_GROUP_OBJ, 0, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};

	ASSERT_EQ(0, lu_file(s, 0, "d/f", 0644, "inside"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "d", 0700));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));

	EXPECT_EQ(EACCES, as_user(1002, 1002, open_read, inside));
	ASSERT_EQ(0, set_acl(lu_mpath(s, "d"), ACL_ACCESS, grant_1002, 5));
	EXPECT_EQ(0, as_user(1002, 1002, open_read, inside));
	/* a minimal ACL is the mode: the entry is gone */
	ASSERT_EQ(0, set_acl(lu_mpath(s, "d"), ACL_ACCESS, none, 3));
	EXPECT_EQ(EACCES, as_user(1002, 1002, open_read, inside));
}

TEST_F(acl, workdir_default_acl_and_setgid_do_not_reach_copied_up_objects)
{
	struct lu_scratch *s = &self->s;
	const struct acl_ent dflt[] = {
		{ ACL_USER_OBJ, 7, NO_ID }, { ACL_USER, 7, 65534 },
		{ ACL_GROUP_OBJ, 5, NO_ID }, { ACL_MASK, 7, NO_ID },
		{ ACL_OTHER, 5, NO_ID },
	};
	struct stat st;

	/* setfacl -d -m u:nobody:rwx W; chgrp 1234 W; chmod g+s W */
	ASSERT_EQ(0, set_acl(self->rw.work, ACL_DEFAULT, dflt, 5));
	ASSERT_EQ(0, chown(self->rw.work, 0, 1234));
	ASSERT_EQ(0, chmod(self->rw.work, 02755));
	ASSERT_EQ(0, lu_file(s, 0, "f", 0640, "f"));
	ASSERT_EQ(0, lu_file(s, 0, "d/x", 0644, "x"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "d", 0755));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));

	/* touch m/f: a copy-up */
	ASSERT_EQ(0, utimensat(AT_FDCWD, lu_mpath(s, "f"), NULL, 0));
	ASSERT_EQ(0, stat(upath(self, "f"), &st));
	EXPECT_EQ(-ENODATA, has_xattr(upath(self, "f"), ACL_ACCESS));
	EXPECT_EQ((mode_t)(S_IFREG | 0640), st.st_mode);
	EXPECT_EQ(0U, st.st_gid);
	ASSERT_EQ(0, stat(lu_mpath(s, "f"), &st));
	EXPECT_EQ((mode_t)(S_IFREG | 0640), st.st_mode);

	/* a directory copied up for a new child */
	ASSERT_EQ(0, lu_write_file(lu_mpath(s, "d/new"), 0644, "n", 1));
	ASSERT_EQ(0, stat(upath(self, "d"), &st));
	EXPECT_EQ(-ENODATA, has_xattr(upath(self, "d"), ACL_ACCESS));
	EXPECT_EQ(-ENODATA, has_xattr(upath(self, "d"), ACL_DEFAULT));
	EXPECT_EQ((mode_t)(S_IFDIR | 0755), st.st_mode);
	EXPECT_EQ(0U, st.st_gid);
	EXPECT_EQ(-ENODATA, has_xattr(upath(self, "d/new"), ACL_ACCESS));
}

/*
 * What a new object in @dir looks like: mode, group, the named user's
 * entries in its access and default ACLs.
 */
struct created {
	mode_t mode;
	gid_t gid;
	int access_perm, default_perm;
};

static int created_of(const char *path, uid_t uid, struct created *c)
{
	struct stat st;

	if (lstat(path, &st))
		return -errno;
	c->mode = st.st_mode;
	c->gid = st.st_gid;
	c->access_perm = acl_user_perm(path, ACL_ACCESS, uid);
	c->default_perm = acl_user_perm(path, ACL_DEFAULT, uid);
	return 0;
}

TEST_F(acl, create_over_a_whiteout_gets_default_acl_and_setgid)
{
	struct lu_scratch *s = &self->s;
	const struct acl_ent dflt[] = {
		{ ACL_USER_OBJ, 7, NO_ID }, { ACL_USER, 7, 1002 },
		{ ACL_GROUP_OBJ, 7, NO_ID }, { ACL_MASK, 7, NO_ID },
		{ ACL_OTHER, 5, NO_ID },
	};
	const char *names[][2] = {
		/* over a whiteout, at a fresh name */
		{ "d/f", "d/fresh_f" },
		{ "d/sub", "d/fresh_sub" },
		{ "d/fifo", "d/fresh_fifo" },
	};
	struct created a, b;
	int fd, i;

	ASSERT_EQ(0, lu_file(s, 0, "d/f", 0600, "lower"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "d/sub", 0700));
	ASSERT_EQ(0, lu_file(s, 0, "d/fifo", 0600, "lower"));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));

	/* chgrp 1234 d; chmod 2775 d; setfacl -d -m u:1002:rwx d */
	ASSERT_EQ(0, chown(lu_mpath(s, "d"), 0, 1234));
	ASSERT_EQ(0, chmod(lu_mpath(s, "d"), 02775));
	ASSERT_EQ(0, set_acl(lu_mpath(s, "d"), ACL_DEFAULT, dflt, 5));
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/f")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "d/sub")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/fifo")));

	for (i = 0; i < 2; i++) {
		fd = open(lu_mpath(s, names[0][i]), O_CREAT | O_EXCL | O_WRONLY, 0666);
		ASSERT_LE(0, fd);
		close(fd);
		ASSERT_EQ(0, mkdir(lu_mpath(s, names[1][i]), 0777));
		ASSERT_EQ(0, mkfifo(lu_mpath(s, names[2][i]), 0640));
	}

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, created_of(lu_mpath(s, names[i][1]), 1002, &b));
		/* the fresh name: what the real fs made in the real dir */
		EXPECT_EQ(1234U, b.gid);
		EXPECT_EQ(7, b.access_perm);
		ASSERT_EQ(0, created_of(lu_mpath(s, names[i][0]), 1002, &a));
		EXPECT_EQ(b.mode, a.mode) {
			TH_LOG("%s: mode 0%o, fresh name 0%o", names[i][0],
			       a.mode, b.mode);
		}
		EXPECT_EQ(b.gid, a.gid);
		EXPECT_EQ(b.access_perm, a.access_perm) {
			TH_LOG("%s: access ACL entry of 1002: %d", names[i][0],
			       a.access_perm);
		}
		EXPECT_EQ(b.default_perm, a.default_perm);
		/* and in the upper layer */
		ASSERT_EQ(0, created_of(upath(self, names[i][0]), 1002, &a));
		EXPECT_EQ(b.mode, a.mode);
		EXPECT_EQ(b.access_perm, a.access_perm);
	}
	ASSERT_EQ(0, created_of(lu_mpath(s, "d/sub"), 1002, &a));
	EXPECT_TRUE(a.mode & S_ISGID);
	EXPECT_EQ(7, a.default_perm);
}

static void kill_sgid_case(struct __test_metadata *_metadata,
			  FIXTURE_DATA(acl) *self, gid_t file_gid, bool cleared)
{
	struct lu_scratch *s = &self->s;
	const struct acl_ent acl[] = {
		{ ACL_USER_OBJ, 7, NO_ID }, { ACL_USER, 4, 1002 },
		{ ACL_GROUP_OBJ, 5, NO_ID }, { ACL_MASK, 5, NO_ID },
		{ ACL_OTHER, 0, NO_ID },
	};
	struct stat st;

	acl_arg = acl;
	acl_arg_n = 5;
	/* the owner, not in the file's group unless it is 1001 */
	EXPECT_EQ(0, as_user(1001, 1001, set_access_acl, lu_mpath(s, "f")));
	EXPECT_EQ(0, stat(lu_mpath(s, "f"), &st));
	EXPECT_EQ(cleared ? 0 : S_ISGID, st.st_mode & S_ISGID) {
		TH_LOG("group %u: mode 0%o", file_gid, st.st_mode);
	}
	EXPECT_EQ(0, stat(upath(self, "f"), &st));
	EXPECT_EQ(cleared ? 0 : S_ISGID, st.st_mode & S_ISGID);
	EXPECT_EQ(4, acl_user_perm(upath(self, "f"), ACL_ACCESS, 1002));
}

TEST_F(acl, setting_an_acl_clears_setgid_the_caller_could_not_set)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "f", 02750, "f"));
	ASSERT_EQ(0, chown(lu_lpath(s, 0, "f"), 1001, 1234));
	ASSERT_EQ(0, chmod(lu_lpath(s, 0, "f"), 02750));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));
	kill_sgid_case(_metadata, self, 1234, true);
}

TEST_F(acl, setting_an_acl_keeps_setgid_of_the_callers_group)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "f", 02750, "f"));
	ASSERT_EQ(0, chown(lu_lpath(s, 0, "f"), 1001, 1001));
	ASSERT_EQ(0, chmod(lu_lpath(s, 0, "f"), 02750));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));
	kill_sgid_case(_metadata, self, 1001, false);
}

TEST_F(acl, removing_what_a_lower_object_lacks_copies_nothing_up)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "f", 0644, "f"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "d", 0755));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));

	EXPECT_EQ(-1, removexattr(lu_mpath(s, "f"), "user.missing"));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, removexattr(lu_mpath(s, "f"), "trusted.missing"));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, removexattr(lu_mpath(s, "f"), ACL_ACCESS));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, removexattr(lu_mpath(s, "d"), ACL_DEFAULT));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-ENOENT, lu_ftype(upath(self, "f")));
	EXPECT_EQ(-ENOENT, lu_ftype(upath(self, "d")));

	/* what is there is removed, and that copies up */
	ASSERT_EQ(0, lu_setxattr(s, 0, "f", "user.k", "v"));
	ASSERT_EQ(0, removexattr(lu_mpath(s, "f"), "user.k"));
	EXPECT_EQ(S_IFREG, lu_ftype(upath(self, "f")));
	EXPECT_EQ(-ENODATA, has_xattr(lu_mpath(s, "f"), "user.k"));
}

TEST_F(acl, truncate_of_a_running_executable_is_etxtbsy)
{
	struct lu_scratch *s = &self->s;
	char exe[LU_PATH_MAX * 2];
	int status, ready[2], e = 0;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, lu_copy(s, 0, "sleep", "/bin/sleep", 0755));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));
	/* copied up with its data */
	ASSERT_EQ(0, chmod(lu_mpath(s, "sleep"), 0750));
	snprintf(exe, sizeof(exe), "%s", upath(self, "sleep"));

	/*
	 * Know when the exec is done, without polling: the child's end of a
	 * close-on-exec pipe closes at the exec (end of file here), or the
	 * child writes errno through it if the exec failed.
	 */
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		execl(exe, "sleep", "infinity", (char *)NULL);
		e = errno;
		(void)!write(ready[1], &e, sizeof(e));
		_exit(127);
	}
	close(ready[1]);
	do
		n = read(ready[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	EXPECT_EQ(0, n) TH_LOG("exec %s: %s", exe, n > 0 ? strerror(e) : "read failed");
	EXPECT_EQ(-1, truncate(lu_mpath(s, "sleep"), 0));
	EXPECT_EQ(ETXTBSY, errno);
	EXPECT_EQ(-1, truncate(lu_mpath(s, "sleep"), 1));
	EXPECT_EQ(ETXTBSY, errno);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* and works again once it has stopped */
	EXPECT_EQ(0, truncate(lu_mpath(s, "sleep"), 0));
}

/*
 * A layer on a filesystem without POSIX ACLs (ramfs): whether an ACL can
 * be set depends on the upper fs and on the real inode having set_acl,
 * as in overlayfs's ovl_set_acl(). An upper without ACLs refuses before
 * any copy-up; a lower object whose fs cannot hold ACLs is refused too
 * (ramfs has no set_acl; a lower fs with set_acl but mounted without ACL
 * support, btrfs -o noacl, would be copied up and get the ACL: not
 * available in the guest).
 */
FIXTURE(noacl) {
	struct lu_scratch s;
	struct lu_rw rw;	/* on tmpfs */
	char ram[LU_PATH_MAX];	/* ramfs */
	bool ram_mounted;
};

LU_UNION_VARIANTS(noacl);

static void noacl_init(struct __test_metadata *_metadata,
		       FIXTURE_DATA(noacl) *self, const char *fstype)
{
	if (!lu_union_setup(_metadata, &self->s, fstype, 1))
		return;
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
	snprintf(self->ram, sizeof(self->ram), "%s", lu_path(&self->s, "ram"));
	ASSERT_EQ(0, mkdir(self->ram, 0755));
	ASSERT_EQ(0, mount("ramfs", self->ram, "ramfs", 0, "mode=0755"));
	self->ram_mounted = true;
	umask(022);
}

static void noacl_fini(FIXTURE_DATA(noacl) *self)
{
	lu_scratch_fini(&self->s);
	if (self->ram_mounted)
		umount2(self->ram, MNT_DETACH);
	lu_rw_fini(&self->rw);
}

FIXTURE_SETUP(noacl)
{
	noacl_init(_metadata, self, variant->fstype);
}

FIXTURE_TEARDOWN(noacl)
{
	noacl_fini(self);
}

/*
 * noacl on overlay only, for an upper on ramfs: layerfs refuses an upper
 * without xattrs (upper_errors.upper_without_xattrs in upper_test.c).
 */
FIXTURE(noacl_ovl) {
	FIXTURE_DATA(noacl) d;
};

FIXTURE_SETUP(noacl_ovl)
{
	noacl_init(_metadata, &self->d, "overlay");
}

FIXTURE_TEARDOWN(noacl_ovl)
{
	noacl_fini(&self->d);
}

static int mount_layers(FIXTURE_DATA(noacl) *self, const char *lower,
			const char *upper, const char *work)
{
	char data[4 * LU_PATH_MAX];
	int ret;

	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s",
		 lower, upper, work);
	ret = lu_mount_data(self->s.fstype, self->s.mnt, 0, data);
	if (!ret)
		self->s.mounted = true;
	return ret;
}

TEST_F(noacl_ovl, acl_refused_by_an_upper_without_acls_copies_nothing_up)
{
	FIXTURE_DATA(noacl) *d = &self->d;
	char upper[LU_PATH_MAX + 8], work[LU_PATH_MAX + 8];
	char path[LU_PATH_MAX + 16];
	int ret;

	snprintf(upper, sizeof(upper), "%s/u", d->ram);
	snprintf(work, sizeof(work), "%s/w", d->ram);
	ASSERT_EQ(0, mkdir(upper, 0755));
	ASSERT_EQ(0, mkdir(work, 0755));
	ASSERT_EQ(0, lu_file(&d->s, 0, "f", 0644, "f"));
	ret = mount_layers(d, lu_lpath(&d->s, 0, NULL), upper, work);
	ASSERT_EQ(0, ret);

	EXPECT_EQ(-EOPNOTSUPP,
		  lu_set_acl_user_read(lu_mpath(&d->s, "f"), 1000));
	snprintf(path, sizeof(path), "%s/f", upper);
	EXPECT_EQ(-1, access(path, F_OK));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(noacl, acl_on_an_object_of_a_lower_without_set_acl_is_refused)
{
	char path[LU_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/f", self->ram);
	ASSERT_EQ(0, lu_write_file(path, 0644, "f", 1));
	ASSERT_EQ(0, mount_layers(self, self->ram, self->rw.upper,
				  self->rw.work));

	EXPECT_EQ(-EOPNOTSUPP,
		  lu_set_acl_user_read(lu_mpath(&self->s, "f"), 1000));
	snprintf(path, sizeof(path), "%s/f", self->rw.upper);
	EXPECT_EQ(-1, access(path, F_OK));
	EXPECT_EQ(ENOENT, errno);
	/* Once copied up (a write), the copy takes ACLs. */
	EXPECT_EQ(0, truncate(lu_mpath(&self->s, "f"), 0));
	EXPECT_EQ(0, lu_set_acl_user_read(lu_mpath(&self->s, "f"), 1000));
	EXPECT_EQ(4, acl_user_perm(path, ACL_ACCESS, 1000));
}

LU_HARNESS_MAIN
