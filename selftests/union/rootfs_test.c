// SPDX-License-Identifier: GPL-2.0
/*
 * A busybox root file system in three layers, the way a container image
 * comes: a base with /bin/busybox (busybox-static) and its applet links,
 * an update that deletes a file (whiteout) and replaces a directory
 * (opaque), and a top layer. The union is mounted, a child chroot()s into
 * it and runs a shell script there; the script's view must be the merged
 * one. The whole tree is also compared with a hand-made flattened copy.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define BUSYBOX		"/bin/busybox"
#define BASE		2
#define UPDATE		1
#define TOP		0

static const char *const applets[] = {
	"sh", "ls", "cat", "echo", "test", "wc", "sort", "head", "id", "stat",
	"readlink", "true", "false",
};

FIXTURE(rootfs) {
	struct lu_scratch s;
};

LU_UNION_VARIANTS(rootfs);

/*
 * Puts the image into the layers, and, if @flat is not NULL, what the
 * union must show into the directory @flat.
 */
static int make_image(struct lu_scratch *s, const char *flatdir)
{
	char path[LU_PATH_MAX], target[64], flat[128];
	unsigned int i;
	int ret = 0;

#define TRY(x) do { ret = (x); if (ret) return ret; } while (0)
	/* flatdir may be one of lu_path()'s rotating buffers */
	snprintf(flat, sizeof(flat), "%s", flatdir ? flatdir : "");
	/* base */
	TRY(lu_copy(s, BASE, "bin/busybox", BUSYBOX, 0755));
	for (i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(path, sizeof(path), "bin/%s", applets[i]);
		TRY(lu_symlink(s, BASE, path, "busybox"));
	}
	TRY(lu_file(s, BASE, "etc/hostname", 0644, "base\n"));
	TRY(lu_file(s, BASE, "etc/motd", 0644, "welcome to base\n"));
	TRY(lu_file(s, BASE, "etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n"));
	TRY(lu_file(s, BASE, "usr/share/doc/base/README", 0644, "base doc\n"));
	TRY(lu_file(s, BASE, "usr/share/doc/old/README", 0644, "old doc\n"));
	TRY(lu_file(s, BASE, "usr/lib/libold.so", 0755, "old lib\n"));
	TRY(lu_mkdir(s, BASE, "tmp", 01777));
	TRY(lu_mkdir(s, BASE, "root", 0700));
	/* update: delete motd and libold.so, replace the doc tree */
	TRY(lu_whiteout(s, UPDATE, "etc/motd"));
	TRY(lu_xwhiteout(s, UPDATE, "usr/lib/libold.so"));
	TRY(lu_file(s, UPDATE, "usr/lib/libnew.so", 0755, "new lib\n"));
	TRY(lu_file(s, UPDATE, "usr/share/doc/new/README", 0644, "new doc\n"));
	TRY(lu_opaque(s, UPDATE, "usr/share/doc"));
	TRY(lu_file(s, UPDATE, "etc/hostname", 0644, "update\n"));
	/* top: the application */
	TRY(lu_file(s, TOP, "app/run.sh", 0755,
		    "#!/bin/sh\necho \"app on $(cat /etc/hostname)\"\nexit 7\n"));
	TRY(lu_file(s, TOP, "etc/app.conf", 0600, "key=value\n"));
	TRY(lu_symlink(s, TOP, "usr/bin/app", "/app/run.sh"));

	if (!flatdir)
		return 0;
	snprintf(path, sizeof(path), "%s/bin/busybox", flat);
	TRY(lu_copy_file(BUSYBOX, path, 0755));
	for (i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", flat, applets[i]);
		if (symlink("busybox", path))
			return -errno;
	}
#define FLAT(rel, mode, content) do {					\
		snprintf(path, sizeof(path), "%s/%s", flat, rel);	\
		TRY(lu_write_file(path, mode, content, strlen(content)));	\
	} while (0)
	FLAT("etc/hostname", 0644, "update\n");
	FLAT("etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n");
	FLAT("etc/app.conf", 0600, "key=value\n");
	FLAT("usr/lib/libnew.so", 0755, "new lib\n");
	FLAT("usr/share/doc/new/README", 0644, "new doc\n");
	FLAT("app/run.sh", 0755,
	     "#!/bin/sh\necho \"app on $(cat /etc/hostname)\"\nexit 7\n");
#undef FLAT
	snprintf(path, sizeof(path), "%s/tmp", flat);
	TRY(lu_mkdir_p(path, 01777));
	snprintf(path, sizeof(path), "%s/root", flat);
	TRY(lu_mkdir_p(path, 0700));
	snprintf(path, sizeof(path), "%s/usr/bin", flat);
	TRY(lu_mkdir_p(path, 0755));
	snprintf(target, sizeof(target), "/app/run.sh");
	snprintf(path, sizeof(path), "%s/usr/bin/app", flat);
	if (symlink(target, path))
		return -errno;
#undef TRY
	return 0;
}

FIXTURE_SETUP(rootfs)
{
	int ret = lu_fs_available(variant->fstype);

	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)",
		     variant->fstype);
	ASSERT_EQ(0, ret);
	if (access(BUSYBOX, X_OK))
		SKIP(return, BUSYBOX " is not there (package busybox-static)");
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, 3));
	ASSERT_EQ(0, make_image(&self->s, lu_path(&self->s, "flat")));
	ASSERT_EQ(0, lu_mount(&self->s));
}

FIXTURE_TEARDOWN(rootfs)
{
	lu_scratch_fini(&self->s);
}

/* chroot(@root), run /bin/sh -c @script; output to @out, returns status. */
static int run_in_root(const char *root, const char *script, char *out,
		       size_t len)
{
	int p[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *const argv[] = { "sh", "-c", (char *)script, NULL };
		char *const envp[] = { "PATH=/usr/bin:/bin", "HOME=/root", NULL };

		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (chroot(root) || chdir("/"))
			_exit(125);
		execve("/bin/sh", argv, envp);
		_exit(126);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], out + got, len - got - 1)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(rootfs, shell_in_chroot_sees_the_merged_image)
{
	char out[4096];
	int status;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	status = run_in_root(self->s.mnt,
		"cat /etc/hostname\n"
		"test -e /etc/motd && echo motd || echo no motd\n"
		"ls /usr/lib\n"
		"ls /usr/share/doc\n"
		"cat /usr/share/doc/new/README\n"
		"test -d /usr/share/doc/base || echo no base doc\n"
		"ls /bin | wc -l\n"
		"readlink /bin/ls\n"
		"cat /etc/app.conf\n"
		"app\n"
		"echo app: $?\n"
		"cd /usr/share/doc/new && cat ../../../../etc/hostname\n"
		"exit 42\n",
		out, sizeof(out));
	EXPECT_EQ(42, status);
	EXPECT_STREQ("update\n"
		     "no motd\n"
		     "libnew.so\n"
		     "new\n"
		     "new doc\n"
		     "no base doc\n"
		     "14\n"
		     "busybox\n"
		     "key=value\n"
		     "app on update\n"
		     "app: 7\n"
		     "update\n", out);
}

TEST_F(rootfs, writes_inside_the_chroot_fail_read_only)
{
	char out[1024];
	int status;

	status = run_in_root(self->s.mnt,
		"echo x > /tmp/file 2>/dev/null || echo tmp ro\n"
		"cat /etc/passwd | head -n 1\n",
		out, sizeof(out));
	EXPECT_EQ(0, status);
	EXPECT_NE(NULL, strstr(out, "tmp ro\n")) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "root:x:0:0:root:/root:/bin/sh\n")) {
		TH_LOG("%s", out);
	}
}

TEST_F(rootfs, tree_equals_the_flattened_image)
{
	struct lu_tree u, f;
	char why[4096];

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	ASSERT_EQ(0, lu_tree_walk(self->s.mnt, &u));
	ASSERT_EQ(0, lu_tree_walk(lu_path(&self->s, "flat"), &f));
	EXPECT_EQ(0, lu_tree_diff(&u, &f, LU_CMP_NLINK, why, sizeof(why))) {
		TH_LOG("union vs flattened: %s", why);
	}
	EXPECT_LT(25U, u.n);
	lu_tree_free(&u);
	lu_tree_free(&f);
}

LU_HARNESS_MAIN
