// SPDX-License-Identifier: GPL-2.0
/*
 * A random fuzzer for layerfs's user interfaces: the /dev/layerfs
 * ioctls (commands, sizes, flags, fds, names, ids, bad pointers), the
 * "layerfs" generic netlink family (commands, flags, attributes, nests,
 * truncated and lying lengths), mount(2) option strings, and fsconfig(2)
 * keys, value types and command sequences.
 *
 * Deterministic: LAYERFS_FUZZ_SEED (default 1) seeds it and
 * LAYERFS_FUZZ_ITERS (default 5000) is the number of calls per
 * interface; `make stress` runs many more. Every call must return
 * success or -1 with an errno; what happens in the kernel log is
 * checked by the VM runner (any splat fails the run). Afterwards the
 * module still mounts, its registry holds no layer of the fuzzer, and
 * nothing it mounted is left.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ioctl.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

/* ---- deterministic randomness -------------------------------------------- */

static uint64_t seed_state;

static uint64_t rnd(void)
{
	seed_state ^= seed_state << 13;
	seed_state ^= seed_state >> 7;
	seed_state ^= seed_state << 17;
	return seed_state;
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static void seed(unsigned int salt)
{
	seed_state = (uint64_t)env_long("LAYERFS_FUZZ_SEED", 1) * 0x9e3779b97f4a7c15ull + salt;
	if (!seed_state)
		seed_state = 1;
}

static void fill(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = rnd();
}

/* ---- the fixture: layer dirs, fds of every kind, a registered layer ------ */

#define NFDS	8

FIXTURE(fuzz) {
	char dir[PATH_MAX];
	char paths[8][PATH_MAX + 16];	/* candidate path values */
	int fds[NFDS];			/* candidate fd values */
	int dev;
	long iters;
	char base[LAYERFS_NAME_SIZE];	/* a registered layer */
	unsigned char *guard;		/* a page followed by PROT_NONE */
};

static int add_layer(int dev, const char *name, const char *parent, int dirfd)
{
	struct layerfs_layer_add a = { .size = sizeof(a), .dirfd = dirfd };

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	snprintf((char *)a.parent, sizeof(a.parent), "%s", parent);
	return ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a) ? -errno : 0;
}

static int del_layer(int dev, const char *name)
{
	struct layerfs_layer_del d = { .size = sizeof(d) };

	snprintf((char *)d.name, sizeof(d.name), "%s", name);
	return ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d) ? -errno : 0;
}

FIXTURE_SETUP(fuzz)
{
	static const char *const sub[] = { "l0", "l1", "u", "w", "file" };
	int ret = lu_fs_available("layerfs"), i, sv[2];
	char p[PATH_MAX + 16];

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	self->iters = env_long("LAYERFS_FUZZ_ITERS", 5000);
	snprintf(self->dir, sizeof(self->dir), "/tmp/fuzz.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", self->dir, sub[i]);
		ASSERT_EQ(0, mkdir(p, 0755));
	}
	snprintf(p, sizeof(p), "%s/l0/a", self->dir);
	ASSERT_EQ(0, lu_write_file(p, 0644, "a\n", 2));
	snprintf(p, sizeof(p), "%s/file", self->dir);
	ASSERT_EQ(0, lu_write_file(p, 0644, "f\n", 2));
	for (i = 0; i < 5; i++)
		snprintf(self->paths[i], sizeof(self->paths[i]), "%s/%s", self->dir, sub[i]);
	snprintf(self->paths[5], sizeof(self->paths[5]), "/nonexistent/fuzz");
	snprintf(self->paths[6], sizeof(self->paths[6]), "/proc/self");
	snprintf(self->paths[7], sizeof(self->paths[7]), "%s/l0/../l1", self->dir);

	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("%s: %s", LAYERFS_DEVICE, strerror(errno));
	self->fds[0] = open(self->paths[0], O_RDONLY | O_DIRECTORY);
	self->fds[1] = open(self->paths[1], O_PATH | O_DIRECTORY);
	self->fds[2] = open(self->paths[4], O_RDONLY);
	self->fds[3] = open("/dev/null", O_RDWR);
	self->fds[4] = self->dev;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	self->fds[5] = sv[0];
	self->fds[6] = -1;
	self->fds[7] = 4000;		/* not open */
	for (i = 0; i < 4; i++)
		ASSERT_LE(0, self->fds[i]);
	snprintf(self->base, sizeof(self->base), "fzbase%d", getpid());
	ASSERT_EQ(0, add_layer(self->dev, self->base, "", self->fds[0]));
	self->guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard);
	ASSERT_EQ(0, mprotect(self->guard + 4096, 4096, PROT_NONE));
}

FIXTURE_TEARDOWN(fuzz)
{
	char p[PATH_MAX + 32];

	if (self->dev < 0)
		return;
	snprintf(p, sizeof(p), "%s/m", self->dir);
	umount2(p, MNT_DETACH);
	del_layer(self->dev, self->base);
	close(self->dev);
	snprintf(p, sizeof(p), "rm -rf %s", self->dir);
	if (system(p))
		TH_LOG("could not remove %s", self->dir);
}

/* Layers the fuzzer managed to register (named "fz..."), to remove. */
static char added[256][LAYERFS_NAME_SIZE];
static int nadded;

static void remember(const char *name)
{
	int i;

	for (i = 0; i < nadded; i++)
		if (!strcmp(added[i], name))
			return;
	if (nadded < 256)
		snprintf(added[nadded++], LAYERFS_NAME_SIZE, "%.*s",
			 LAYERFS_NAME_SIZE - 1, name);
}

/* Remove them, children first; 0 when none is left. */
static int forget_all(int dev, const char *keep)
{
	int round, i, left = 0;

	for (round = 0; round < 64; round++) {
		left = 0;
		for (i = 0; i < nadded; i++) {
			if (!added[i][0] || !strcmp(added[i], keep))
				continue;
			if (del_layer(dev, added[i]) == -EBUSY)
				left++;
			else
				added[i][0] = '\0';
		}
		if (!left)
			break;
	}
	return left;
}

static void rnd_name(char *dst, size_t size, const char *base)
{
	static const char *const fixed[] = {
		"", ".", "..", "a/b", "fz", "fz-1", "with space", "\x01\x02",
		"0123456789012345678901234567890123456789012345678901234567890123",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};

	switch (below(5)) {
	case 0:
		snprintf(dst, size, "%s", fixed[below(ARRAY_SIZE(fixed))]);
		break;
	case 1:
		fill(dst, size);	/* perhaps without a NUL */
		break;
	case 2:
		snprintf(dst, size, "%s", base);
		break;
	default:
		snprintf(dst, size, "fz%u", below(12));
		break;
	}
}

static void rnd_id(char *dst, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 64;

	switch (below(4)) {
	case 0:
		dst[0] = '\0';
		return;
	case 1:
		fill(dst, size);
		return;
	case 2:
		n = below(70);
		break;
	}
	strcpy(dst, chance(80) ? "sha256:" : "md5:");
	for (i = 0; i < n && 7 + i < size - 1; i++)
		dst[7 + i] = hex[below(16)];
	dst[7 + i] = '\0';
}

/* ---- ioctl --------------------------------------------------------------- */

TEST_F_TIMEOUT(fuzz, ioctls, 3600)
{
	static const unsigned int sizes[] = {
		0, 1, 4, 8, LAYERFS_LAYER_DEL_SIZE_VER0, LAYERFS_LAYER_ADD_SIZE_VER0 - 1,
		LAYERFS_LAYER_ADD_SIZE_VER0, LAYERFS_LAYER_ADD_SIZE_VER0 + 8,
		LAYERFS_LAYER_INFO_SIZE_VER0, 4096, 0xffffffff,
	};
	unsigned char buf[4096] __attribute__((aligned(8)));
	unsigned long cmd;
	long i, ok = 0, failed = 0;
	void *arg;
	int ret;

	seed(1);
	for (i = 0; i < self->iters; i++) {
		struct layerfs_layer_add *a = (void *)buf;

		memset(buf, 0, sizeof(buf));
		switch (below(8)) {
		case 0: case 1: case 2:
			cmd = LAYERFS_IOC_ADD_LAYER;
			break;
		case 3:
			cmd = LAYERFS_IOC_DEL_LAYER;
			break;
		case 4:
			cmd = LAYERFS_IOC_GET_LAYER;
			break;
		case 5:
			cmd = _IOC(below(4), LAYERFS_IOC_MAGIC, below(8), below(1024));
			break;
		case 6:
			cmd = _IOC(_IOC_WRITE, LAYERFS_IOC_MAGIC,
				   1 + below(3), sizes[below(ARRAY_SIZE(sizes))] & 0x3fff);
			break;
		default:
			cmd = (unsigned int)rnd();
			break;
		}
		/* a mostly sane struct, with one or more things wrong */
		a->size = chance(70) ? (cmd == LAYERFS_IOC_DEL_LAYER ?
					LAYERFS_LAYER_DEL_SIZE_VER0 :
					cmd == LAYERFS_IOC_GET_LAYER ?
					LAYERFS_LAYER_INFO_SIZE_VER0 :
					LAYERFS_LAYER_ADD_SIZE_VER0) :
			  sizes[below(ARRAY_SIZE(sizes))];
		a->flags = chance(70) ? (chance(50) ? LAYERFS_ADD_VERIFY_CHAIN : 0) :
			   (uint32_t)rnd();
		a->dirfd = self->fds[below(NFDS)];
		a->__reserved = chance(90) ? 0 : rnd();
		rnd_name((char *)a->name, sizeof(a->name), self->base);
		rnd_name((char *)a->parent, sizeof(a->parent), self->base);
		if (chance(30))
			snprintf((char *)a->parent, sizeof(a->parent), "%s",
				 nadded ? added[below(nadded)] : "");
		rnd_id((char *)a->diff_id, sizeof(a->diff_id));
		rnd_id((char *)a->chain_id, sizeof(a->chain_id));
		if (cmd == LAYERFS_IOC_DEL_LAYER && chance(50) && nadded)
			snprintf((char *)((struct layerfs_layer_del *)buf)->name,
				 LAYERFS_NAME_SIZE, "%s", added[below(nadded)]);
		if (chance(3))
			fill(buf, sizeof(buf));

		switch (below(20)) {
		case 0:
			arg = NULL;
			break;
		case 1:
			arg = (void *)1;
			break;
		case 2:
			arg = (void *)0xffffffffff600000ul;	/* kernel space */
			break;
		case 3:		/* the struct runs into a PROT_NONE page */
			memcpy(self->guard + 4096 - 64, buf, 64);
			arg = self->guard + 4096 - 64;
			break;
		default:
			arg = buf;
			break;
		}
		errno = 0;
		ret = ioctl(self->dev, cmd, arg);
		if (ret == 0) {
			ok++;
			if (cmd == LAYERFS_IOC_ADD_LAYER && arg == buf &&
			    memchr(a->name, 0, sizeof(a->name)))
				remember((char *)a->name);
		} else {
			ASSERT_EQ(-1, ret);
			ASSERT_NE(0, errno);
			failed++;
		}
	}
	EXPECT_EQ(0, forget_all(self->dev, self->base));
	TH_LOG("%ld ioctls: %ld succeeded, %ld failed with an errno", self->iters, ok, failed);
	/* the registry still works */
	ASSERT_EQ(0, add_layer(self->dev, "fzcheck", self->base, self->fds[1]));
	ASSERT_EQ(0, del_layer(self->dev, "fzcheck"));
}

/* ---- generic netlink ------------------------------------------------------- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*(int *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_id(struct mnl_socket *nl)
{
	char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	int id = -1, n;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LAYERFS_GENL_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n > 0)
		mnl_cb_run(buf, n, 0, 0, family_cb, &id);
	return id;
}

/* A GETFAMILY request for nlctrl with an ack: the end of an answer. */
static void sentinel(struct mnl_socket *nl, unsigned int seq)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
}

/* Random attributes, sometimes nested, sometimes lying about lengths. */
static void put_attrs(struct nlmsghdr *nlh, size_t room, int depth)
{
	unsigned int i, n = below(5);
	unsigned char payload[80];

	for (i = 0; i < n && nlh->nlmsg_len + 100 < room; i++) {
		uint16_t type = chance(80) ? below(LAYERFS_A_MAX + 3) : rnd();

		if (depth < 3 && chance(25)) {
			struct nlattr *nest = mnl_attr_nest_start(nlh, type);

			put_attrs(nlh, room, depth + 1);
			mnl_attr_nest_end(nlh, nest);
			continue;
		}
		switch (below(5)) {
		case 0:
			mnl_attr_put_u64(nlh, type, rnd());
			break;
		case 1:
			mnl_attr_put_u32(nlh, type, rnd());
			break;
		case 2:
			mnl_attr_put_strz(nlh, type, "fz");
			break;
		default:
			fill(payload, sizeof(payload));
			mnl_attr_put(nlh, type, below(sizeof(payload)), payload);
			break;
		}
	}
}

TEST_F_TIMEOUT(fuzz, netlink_messages, 3600)
{
	static const unsigned short flags[] = {
		NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK, NLM_F_REQUEST | NLM_F_DUMP,
		NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK, 0, 0xffff,
	};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	long i, answers = 0;
	int fam, n, len;

	nl = mnl_socket_open(NETLINK_GENERIC);
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID));
	fam = family_id(nl);
	ASSERT_LT(0, fam);
	seed(2);
	for (i = 0; i < self->iters; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct genlmsghdr *g;
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };

		nlh->nlmsg_type = chance(95) ? fam : below(0x30);
		nlh->nlmsg_flags = flags[below(ARRAY_SIZE(flags))];
		nlh->nlmsg_seq = i;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = chance(80) ? below(LAYERFS_CMD_MAX + 2) : rnd();
		g->version = chance(90) ? LAYERFS_GENL_VERSION : rnd();
		put_attrs(nlh, 4096, 0);
		len = nlh->nlmsg_len;
		if (chance(10))		/* truncate it, or lie about its length */
			len = below(len + 1);
		if (chance(5))
			nlh->nlmsg_len = rnd() & 0xffff;
		if (mnl_socket_sendto(nl, buf, len) < 0) {
			ASSERT_NE(0, errno);
			continue;
		}
		/*
		 * Read what comes back (errors, acks, dumps) up to the ack
		 * of a well-formed request sent behind it: no guessing how
		 * long the kernel may take to answer, or whether it will.
		 */
		sentinel(nl, 0x80000000u | i);
		while (poll(&pfd, 1, 5000 * lu_timeout_scale()) == 1) {
			const struct nlmsghdr *h;
			bool done = false;

			n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0)
				break;
			for (h = (void *)buf; mnl_nlmsg_ok(h, n); h = mnl_nlmsg_next(h, &n)) {
				answers++;
				if (h->nlmsg_seq == (0x80000000u | i) &&
				    h->nlmsg_type == NLMSG_ERROR)
					done = true;
			}
			if (done)
				break;
		}
	}
	mnl_socket_close(nl);
	TH_LOG("%ld messages sent, %ld answers read", self->iters, answers);
	/* the family still answers a dump */
	ASSERT_EQ(0, system("LAYERCTL=${LAYERCTL:-helper/layerctl}; "
			    "$LAYERCTL layers --all --json > /dev/null"));
}

/* ---- mount options and fsconfig -------------------------------------------- */

static const char *rnd_value(struct _test_data_fuzz *self, char *buf, size_t size)
{
	static const char *const fixed[] = {
		"", ":", "::", "a\\,b", "\\", "a\\:b", "..", "/", "on", "off",
		"=", ",", "layerfs", "0", "-1",
	};
	size_t i, n;

	switch (below(8)) {
	case 0:
		return fixed[below(ARRAY_SIZE(fixed))];
	case 1:			/* several layers */
		snprintf(buf, size, "%s:%s", self->paths[below(8)], self->paths[below(8)]);
		return buf;
	case 2:			/* long */
		n = below(size - 1);
		for (i = 0; i < n; i++)
			buf[i] = chance(90) ? 'a' + below(26) : ":,\\/="[below(5)];
		buf[n] = '\0';
		return buf;
	case 3:
		return self->base;
	default:
		return self->paths[below(8)];
	}
}

static const char *rnd_key(void)
{
	static const char *const keys[] = {
		"lowerdir", "lowerdir+", "upperdir", "workdir", "layer", "datadir+",
		"redirect_dir", "index", "xino", "metacopy", "userxattr", "volatile",
		"nfs_export", "default_permissions", "uuid", "ro", "rw", "source",
		"", "lowerdir ", "x-fuzz",
	};

	return keys[below(ARRAY_SIZE(keys))];
}

TEST_F_TIMEOUT(fuzz, mount_option_strings, 3600)
{
	char opts[3 * PATH_MAX], val[5000], mnt[PATH_MAX + 8];
	long i, mounted = 0;
	size_t len;
	int k, n;

	snprintf(mnt, sizeof(mnt), "%s/m", self->dir);
	ASSERT_EQ(0, mkdir(mnt, 0755));
	seed(3);
	for (i = 0; i < self->iters; i++) {
		len = 0;
		opts[0] = '\0';
		n = 1 + below(5);
		for (k = 0; k < n && len < sizeof(opts) - 5100; k++) {
			/* sizeof(opts) > 5100 + a key: the value always fits */
			const char *key = rnd_key();

			len += snprintf(opts + len, sizeof(opts) - len, "%s%s", k ? "," : "", key);
			if (chance(85))
				len += snprintf(opts + len, sizeof(opts) - len, "=%s",
						rnd_value(self, val, below(2) ? 64 : sizeof(val)));
		}
		if (chance(3))
			fill(opts, below(64));
		opts[sizeof(opts) - 1] = '\0';
		errno = 0;
		if (!mount("fuzz", mnt, "layerfs", chance(50) ? MS_RDONLY : 0, opts)) {
			mounted++;
			ASSERT_EQ(0, umount(mnt)) TH_LOG("umount after \"%s\"", opts);
		} else {
			ASSERT_NE(0, errno);
		}
	}
	TH_LOG("%ld option strings, %ld mounted", self->iters, mounted);
	/* a plain mount still works */
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", self->paths[1], self->paths[0]);
	ASSERT_EQ(0, mount("fuzz", mnt, "layerfs", MS_RDONLY, opts));
	ASSERT_EQ(0, umount(mnt));
}

TEST_F_TIMEOUT(fuzz, fsconfig_sequences, 3600)
{
	char val[5000], mnt[PATH_MAX + 8], log[4096];
	long i, mounted = 0;
	int fs, m, k, n, ret, cmd;

	snprintf(mnt, sizeof(mnt), "%s/m", self->dir);
	ASSERT_EQ(0, mkdir(mnt, 0755));
	seed(4);
	for (i = 0; i < self->iters; i++) {
		fs = syscall(SYS_fsopen, "layerfs", FSOPEN_CLOEXEC);
		ASSERT_LE(0, fs);
		n = 1 + below(7);
		for (k = 0; k < n; k++) {
			const char *key = chance(95) ? rnd_key() : NULL;
			int aux = self->fds[below(NFDS)];

			cmd = chance(90) ? below(9) : (int)rnd();
			switch (cmd) {
			case FSCONFIG_SET_STRING:
				ret = syscall(SYS_fsconfig, fs, cmd, key,
					      rnd_value(self, val, below(2) ? 64 : sizeof(val)), 0);
				break;
			case FSCONFIG_SET_BINARY:
				fill(val, 64);
				ret = syscall(SYS_fsconfig, fs, cmd, key, val, below(80));
				break;
			case FSCONFIG_SET_PATH:
			case FSCONFIG_SET_PATH_EMPTY:
				ret = syscall(SYS_fsconfig, fs, cmd, key,
					      chance(80) ? self->paths[below(8)] : "",
					      chance(50) ? AT_FDCWD : aux);
				break;
			case FSCONFIG_SET_FD:
				ret = syscall(SYS_fsconfig, fs, cmd, key, NULL, aux);
				break;
			default:
				ret = syscall(SYS_fsconfig, fs, cmd, key, NULL, 0);
				break;
			}
			ASSERT_TRUE(ret == 0 || (ret == -1 && errno));
		}
		if (!syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) {
			m = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
				    chance(50) ? MOUNT_ATTR_RDONLY : 0);
			if (m >= 0) {
				mounted++;
				close(m);
			}
		}
		while (read(fs, log, sizeof(log)) > 0)
			;
		close(fs);
	}
	TH_LOG("%ld fsconfig sequences, %ld mounted", self->iters, mounted);
	EXPECT_EQ(0, forget_all(self->dev, self->base));
}

LU_HARNESS_MAIN
