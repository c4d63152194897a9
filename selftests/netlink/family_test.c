// SPDX-License-Identifier: GPL-2.0
/*
 * The "layerfs" generic netlink family itself: strict attribute
 * validation, CAP_SYS_ADMIN for reset and for the event group, and the
 * events of a mount / copy-up / umount sequence as layerctl monitor
 * prints them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

/* Send one request, @put adds its attributes; 0 or -errno of the answer. */
static int request(struct lfs_genl *f, int type, int cmd, int version,
		   void (*put)(struct nlmsghdr *nlh), mnl_cb_t cb, void *data)
{
	char buf[LFS_GENL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = lfs_genl_msg(f, buf, type, cmd, version, NLM_F_ACK);
	if (put)
		put(nlh);
	return lfs_genl_talk(f, nlh, cb, data);
}

static void put_unknown(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, LAYERFS_A_MAX + 5, 1);
}

static void put_bad_size(struct nlmsghdr *nlh)
{
	mnl_attr_put_u16(nlh, LAYERFS_A_MOUNT_ID, 1);
}

static void put_no_mount(struct nlmsghdr *nlh)
{
	mnl_attr_put_u64(nlh, LAYERFS_A_MOUNT_ID, ~0ull);
}

static void drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c))
		_exit(20);
	c[0].effective &= ~(1u << CAP_SYS_ADMIN);
	c[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, c))
		_exit(21);
}

FIXTURE(family) {
	struct lu_scratch s;
	struct lfs_genl f;
};

FIXTURE_SETUP(family)
{
	int ret = lu_fs_available("layerfs");

	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 2));
	ASSERT_EQ(0, lfs_genl_open(&self->f));
	ASSERT_LT(0, self->f.id);
	ASSERT_LT(0, self->f.grp);
}

FIXTURE_TEARDOWN(family)
{
	lfs_genl_close(&self->f);
	lu_scratch_fini(&self->s);
}

TEST_F(family, bad_attributes_are_refused)
{
	struct lfs_genl *f = &self->f;

	EXPECT_EQ(-EINVAL, request(f, f->id, LAYERFS_CMD_GET_STATS, 1, put_unknown, NULL, NULL));
	EXPECT_EQ(-EINVAL, request(f, f->id, LAYERFS_CMD_GET_STATS, 1, put_bad_size, NULL, NULL));
	/* GET_STATS as a do needs a mount id */
	EXPECT_EQ(-EINVAL, request(f, f->id, LAYERFS_CMD_GET_STATS, 1, NULL, NULL, NULL));
	EXPECT_EQ(-ENOENT, request(f, f->id, LAYERFS_CMD_GET_STATS, 1, put_no_mount, NULL, NULL));
	EXPECT_EQ(-ENOENT, request(f, f->id, LAYERFS_CMD_RESET_STATS, 1, put_no_mount, NULL, NULL));
	/* an unknown command */
	EXPECT_EQ(-EOPNOTSUPP, request(f, f->id, 77, 1, NULL, NULL, NULL));
	/* a reset of everything is fine for root */
	EXPECT_EQ(0, request(f, f->id, LAYERFS_CMD_RESET_STATS, 1, NULL, NULL, NULL));
}

TEST_F(family, reset_and_events_need_cap_sys_admin)
{
	struct lfs_genl *f = &self->f;
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		drop_sys_admin();
		if (request(f, f->id, LAYERFS_CMD_RESET_STATS, 1, NULL, NULL, NULL) != -EPERM)
			_exit(1);
		if (mnl_socket_setsockopt(f->sock, NETLINK_ADD_MEMBERSHIP, &f->grp,
					  sizeof(f->grp)) == 0 || errno != EPERM)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* root joins */
	EXPECT_EQ(0, mnl_socket_setsockopt(f->sock, NETLINK_ADD_MEMBERSHIP, &f->grp,
					   sizeof(f->grp)));
}

/*
 * Start "layerctl monitor @args" and wait until it says (--ready-fd) that
 * it has joined the events group: no sleep, however slow the machine.
 * The stream to read its output from, or NULL if it never got ready.
 */
static FILE *start_monitor(const char *layerctl, const char *args)
{
	/* A bound for a monitor that misses events, as slow as the harness. */
	int fds[2], secs = 60 * lu_timeout_scale();
	char cmd[LU_PATH_MAX * 2], c;
	ssize_t n;
	FILE *p;

	if (pipe2(fds, O_CLOEXEC) || fcntl(fds[1], F_SETFD, 0))
		return NULL;
	snprintf(cmd, sizeof(cmd), "timeout %d %s monitor --ready-fd %d %s",
		 secs, layerctl, fds[1], args);
	p = popen(cmd, "r");
	close(fds[1]);
	if (!p) {
		close(fds[0]);
		return NULL;
	}
	/* One byte once it is ready; end of file if it died first. */
	do
		n = read(fds[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n != 1) {
		pclose(p);
		return NULL;
	}
	return p;
}

TEST_F(family, monitor_sees_mount_copy_up_umount)
{
	struct lu_scratch *s = &self->s;
	const char *layerctl = getenv("LAYERCTL");
	char out[4096], data[LU_PATH_MAX * 4];
	size_t n = 0;
	FILE *p;
	int fd;

	if (!layerctl || access(layerctl, X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	ASSERT_EQ(0, lu_file(s, 1, "f", 0644, "0123456789"));
	ASSERT_EQ(0, mkdir(lu_path(s, "u"), 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "w"), 0755));
	p = start_monitor(layerctl, "--json --count 3");
	ASSERT_NE(NULL, p);
	snprintf(data, sizeof(data), "lowerdir=%s:%s,upperdir=%s,workdir=%s",
		 lu_lpath(s, 0, NULL), lu_lpath(s, 1, NULL), lu_path(s, "u"), lu_path(s, "w"));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	fd = open(lu_mpath(s, "f"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, umount(s->mnt));
	while (n < sizeof(out) - 1 && fgets(out + n, sizeof(out) - n, p))
		n += strlen(out + n);
	EXPECT_EQ(0, pclose(p));
	EXPECT_NE(NULL, strstr(out, "\"type\":\"mount\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"type\":\"copy-up\"")) TH_LOG("%s", out);
	/* '/' as it is, as in the other commands' JSON (json-c would write \/) */
	EXPECT_NE(NULL, strstr(out, "\"path\":\"/f\"")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\\/")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"bytes\":10")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"type\":\"umount\"")) TH_LOG("%s", out);
}

/*
 * File names come from whoever writes in the mount (a container): in
 * the text output control characters, bytes that are not UTF-8 and
 * white space are escaped (\xHH), never sent to the terminal as they
 * are. Valid UTF-8 is kept.
 */
TEST_F(family, monitor_text_escapes_what_the_container_named)
{
	static const char name[] = "e\033]0;pwned\a \xff\xc3\xa9\\";
	static const char want[] = "path=/e\\x1b]0;pwned\\x07\\x20\\xff\xc3\xa9\\x5c";
	struct lu_scratch *s = &self->s;
	const char *layerctl = getenv("LAYERCTL");
	char out[4096], data[LU_PATH_MAX * 4];
	size_t n = 0, i;
	FILE *p;
	int fd;

	if (!layerctl || access(layerctl, X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	ASSERT_EQ(0, lu_file(s, 1, name, 0644, "x"));
	ASSERT_EQ(0, mkdir(lu_path(s, "u"), 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "w"), 0755));
	p = start_monitor(layerctl, "--count 3");
	ASSERT_NE(NULL, p);
	snprintf(data, sizeof(data), "lowerdir=%s:%s,upperdir=%s,workdir=%s",
		 lu_lpath(s, 0, NULL), lu_lpath(s, 1, NULL), lu_path(s, "u"), lu_path(s, "w"));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	fd = open(lu_mpath(s, name), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, umount(s->mnt));
	while (n < sizeof(out) - 1 && fgets(out + n, sizeof(out) - n, p))
		n += strlen(out + n);
	EXPECT_EQ(0, pclose(p));
	EXPECT_NE(NULL, strstr(out, " copy-up ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	for (i = 0; i < n; i++)
		if (out[i] == '\033' || out[i] == '\a' || (unsigned char)out[i] == 0xff)
			break;
	EXPECT_EQ(n, i) TH_LOG("a raw control byte or non-UTF-8 byte at %zu: %s", i, out);
}

TEST_F(family, layers_dump_lists_the_registry)
{
	struct lu_scratch *s = &self->s;
	const char *layerctl = getenv("LAYERCTL");
	struct layerfs_layer_add a = { .size = sizeof(a) };
	struct layerfs_layer_del d = { .size = sizeof(d) };
	char cmd[LU_PATH_MAX * 2], out[1 << 16], want[LU_PATH_MAX + 32];
	size_t n;
	FILE *p;
	int dev;

	if (!layerctl || access(layerctl, X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	dev = open(LAYERFS_DEVICE, O_RDWR);
	ASSERT_LE(0, dev);
	a.dirfd = open(lu_lpath(s, 1, NULL), O_PATH | O_DIRECTORY);
	ASSERT_LE(0, a.dirfd);
	strcpy((char *)a.name, "nl-base");
	ASSERT_EQ(0, ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a));
	strcpy((char *)a.name, "nl-top");
	strcpy((char *)a.parent, "nl-base");
	ASSERT_EQ(0, ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a));
	close(a.dirfd);

	snprintf(cmd, sizeof(cmd), "%s layers --all --json", layerctl);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	EXPECT_EQ(0, pclose(p));
	EXPECT_NE(NULL, strstr(out, "\"name\": \"nl-top\",\n    \"parent\": \"nl-base\",\n    \"depth\": 2"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"name\": \"nl-base\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"children\": 1")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "%s", lu_lpath(s, 1, NULL));
	EXPECT_NE(NULL, strstr(out, strrchr(want, '/') + 1)) TH_LOG("%s", out);

	strcpy((char *)d.name, "nl-top");
	EXPECT_EQ(0, ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d));
	strcpy((char *)d.name, "nl-base");
	EXPECT_EQ(0, ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d));
	close(dev);
}

LU_HARNESS_MAIN
