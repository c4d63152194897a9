// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps of the "layerfs" generic netlink family that span many parts:
 * the layer dump resumes after the last name it sent, so that layers
 * deleted between two recv() calls neither hide nor repeat a layer that
 * exists through the whole dump; and a message too big for a dump part
 * (the statistics of a mount with 1500 layers) ends the dump with
 * EMSGSIZE in NLMSG_DONE instead of ending it silently, while GET_STATS
 * of that one mount answers in full.
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
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <sys/stat.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

#define NLAYERS_REG	2000
#define NLAYERS_DEEP	1500

/* What a dump brought: its messages go to @msg_cb, its end here. */
struct dump {
	mnl_cb_t msg_cb;
	void *data;
	int done_err;		/* the errno in NLMSG_DONE, negative */
	bool done;
};

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const int *err = mnl_nlmsg_get_payload(nlh);

	d->done = true;
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*err)))
		d->done_err = *err;
	return MNL_CB_STOP;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	d->done = true;
	d->done_err = e->error;
	return MNL_CB_STOP;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;

	return d->msg_cb(nlh, d->data);
}

/* Start dump @cmd: the request only, the answer comes with dump_recv(). */
static int dump_start(struct lfs_genl *f, int cmd)
{
	char buf[LFS_GENL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = lfs_genl_msg(f, buf, f->id, cmd, LAYERFS_GENL_VERSION,
			   NLM_F_DUMP);
	return mnl_socket_sendto(f->sock, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

/*
 * One recv() of at most @size bytes (one part of the dump), its messages
 * run through d->msg_cb. 0, or -errno of the socket.
 */
static int dump_recv(struct lfs_genl *f, struct dump *d, size_t size)
{
	static char buf[1 << 16];
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_DONE] = done_cb,
		[NLMSG_ERROR] = error_cb,
	};
	int ret;

	ret = mnl_socket_recvfrom(f->sock, buf, size);
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run2(buf, ret, f->seq, f->portid, msg_cb, d, ctl,
			  NLMSG_MIN_TYPE);
	return ret < 0 ? -errno : 0;
}

/* A whole dump, read with a buffer of @size; the DONE errno in d. */
static int dump_all(struct lfs_genl *f, int cmd, struct dump *d, size_t size)
{
	int ret = dump_start(f, cmd);

	while (!ret && !d->done)
		ret = dump_recv(f, d, size);
	return ret;
}

FIXTURE(dump) {
	struct lu_scratch s;
	struct lfs_genl f;
	int dev;
	char prefix[16];
	unsigned char *seen;	/* per layer: times the dump sent it */
	unsigned char *gone;	/* per layer: deleted during the dump */
};

FIXTURE_SETUP(dump)
{
	int ret = lu_fs_available("layerfs");

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 1));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, lfs_genl_open(&self->f));
	ASSERT_LT(0, self->f.id);
	snprintf(self->prefix, sizeof(self->prefix), "dump%d-", getpid());
	self->seen = calloc(NLAYERS_REG, 1);
	self->gone = calloc(NLAYERS_REG, 1);
	ASSERT_TRUE(self->seen && self->gone);
}

FIXTURE_TEARDOWN(dump)
{
	free(self->seen);
	free(self->gone);
	lfs_genl_close(&self->f);
	if (self->dev >= 0)
		close(self->dev);
	lu_scratch_fini(&self->s);
}

/* "<prefix><n>", zero-padded so that name order is index order */
static const char *lname(FIXTURE_DATA(dump) *self, int n)
{
	static char buf[4][32];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, 32, "%s%05d", self->prefix, n);
	return p;
}

static int layer_cb(const struct nlmsghdr *nlh, void *data)
{
	FIXTURE_DATA(dump) *self = data;
	size_t plen = strlen(self->prefix);
	const struct nlattr *a, *l;
	const char *name;
	int n;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != LAYERFS_A_LAYER)
			continue;
		mnl_attr_for_each_nested(l, a) {
			if (mnl_attr_get_type(l) != LAYERFS_LAYER_A_NAME)
				continue;
			name = mnl_attr_get_str(l);
			if (strncmp(name, self->prefix, plen))
				continue;
			n = atoi(name + plen);
			if (n >= 0 && n < NLAYERS_REG && self->seen[n] < 255)
				self->seen[n]++;
		}
	}
	return MNL_CB_OK;
}

/*
 * 2000 layers, dumped with an 8 KiB buffer (dozens of parts). Between two
 * recv() calls the test deletes two layers the dump already sent and one
 * it has not reached yet. Every layer never deleted must come exactly
 * once; a deleted one at most once.
 */
TEST_F_TIMEOUT(dump, layers_deleted_during_dump_are_not_skipped_or_repeated, 120)
{
	struct dump d = { .msg_cb = layer_cb, .data = self };
	int i, parts = 0, next_sent = 0, last = NLAYERS_REG - 1;
	int skipped = 0, repeated = 0, k;

	for (i = 0; i < NLAYERS_REG; i++)
		ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, i), NULL,
					   lu_lpath(&self->s, 0, "")));

	ASSERT_EQ(0, dump_start(&self->f, LAYERFS_CMD_GET_LAYERS));
	while (!d.done) {
		ASSERT_EQ(0, dump_recv(&self->f, &d, 8192));
		parts++;
		/* Two that were sent already ... */
		for (k = 0; k < 2; k++) {
			while (next_sent < NLAYERS_REG &&
			       (!self->seen[next_sent] || self->gone[next_sent]))
				next_sent++;
			if (next_sent == NLAYERS_REG)
				break;
			ASSERT_EQ(0, lfs_del_layer(self->dev, lname(self, next_sent)));
			self->gone[next_sent] = 1;
		}
		/* ... and one from the end, not sent yet. */
		while (last >= 0 && (self->seen[last] || self->gone[last]))
			last--;
		if (last >= 0) {
			ASSERT_EQ(0, lfs_del_layer(self->dev, lname(self, last)));
			self->gone[last] = 1;
		}
	}
	EXPECT_EQ(0, d.done_err);
	EXPECT_LT(10, parts) {
		TH_LOG("the dump came in %d parts: not enough to test resuming",
		       parts);
	}
	for (i = 0; i < NLAYERS_REG; i++) {
		if (self->seen[i] > 1) {
			if (!repeated++)
				TH_LOG("%s sent %d times", lname(self, i),
				       self->seen[i]);
		} else if (!self->seen[i] && !self->gone[i]) {
			if (!skipped++)
				TH_LOG("%s never sent", lname(self, i));
		}
	}
	EXPECT_EQ(0, skipped);
	EXPECT_EQ(0, repeated);
	for (i = 0; i < NLAYERS_REG; i++)
		if (!self->gone[i])
			EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, i)));
}

struct stats_seen {
	uint64_t id;		/* the mount to look for */
	bool found;
	unsigned int depths;	/* entries in its depth histogram */
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_seen *st = data;
	const struct nlattr *a, *l, *h;
	uint64_t id = 0;
	unsigned int depths = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != LAYERFS_A_STATS)
			continue;
		mnl_attr_for_each_nested(l, a) {
			if (mnl_attr_get_type(l) == LAYERFS_STATS_A_MOUNT_ID)
				id = mnl_attr_get_u64(l);
			if (mnl_attr_get_type(l) != LAYERFS_STATS_A_DEPTH)
				continue;
			mnl_attr_for_each_nested(h, l)
				depths++;
		}
	}
	if (id == st->id) {
		st->found = true;
		st->depths = depths;
	}
	return MNL_CB_OK;
}

/* GET_STATS of one mount (a "do" request), its answer through @st. */
static int get_stats(struct lfs_genl *f, uint64_t id, struct stats_seen *st)
{
	struct dump d = { .msg_cb = stats_cb, .data = st };
	char buf[LFS_GENL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret = 0;

	nlh = lfs_genl_msg(f, buf, f->id, LAYERFS_CMD_GET_STATS,
			   LAYERFS_GENL_VERSION, NLM_F_ACK);
	mnl_attr_put_u64(nlh, LAYERFS_A_MOUNT_ID, id);
	if (mnl_socket_sendto(f->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (!ret && !d.done)
		ret = dump_recv(f, &d, 1 << 16);
	return ret ?: d.done_err;
}

/*
 * A mount of 1500 layers where a lookup resolved in each: its depth
 * histogram (about 28 bytes a depth) is bigger than the largest dump
 * part netlink makes (32 KiB).
 */
TEST_F_TIMEOUT(dump, stats_too_big_for_a_dump_part_is_an_error, 300)
{
	struct dump d = { .msg_cb = stats_cb };
	struct stats_seen st = { 0 };
	char name[LU_PATH_MAX + 16], dir[LU_PATH_MAX];
	struct stat sb;
	uint64_t id;
	int fsfd, i;

	/* Layers d0 .. d1499 next to the scratch's own, each with f<i>. */
	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	for (i = 0; i < NLAYERS_DEEP; i++) {
		snprintf(dir, sizeof(dir), "%s", lu_path(&self->s, "d%d", i));
		snprintf(name, sizeof(name), "%s/f%d", dir, i);
		ASSERT_EQ(0, lu_mkdir_p(dir, 0755));
		ASSERT_EQ(0, lu_write_file(name, 0644, "", 0));
		ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir+", dir));
	}
	ASSERT_EQ(0, lu_fsmount_at(fsfd, self->s.mnt));
	close(fsfd);
	self->s.mounted = true;
	for (i = 0; i < NLAYERS_DEEP; i++) {
		snprintf(name, sizeof(name), "%s/f%d", self->s.mnt, i);
		ASSERT_EQ(0, stat(name, &sb));
	}

	ASSERT_EQ(0, lfs_genl_mount_id(&self->f, self->s.mnt, &id));

	/* The dump: an error, not a silent end without this mount. */
	st.id = id;
	memset(&d, 0, sizeof(d));
	d.msg_cb = stats_cb;
	d.data = &st;
	ASSERT_EQ(0, dump_all(&self->f, LAYERFS_CMD_GET_STATS, &d, 1 << 16));
	EXPECT_EQ(-EMSGSIZE, d.done_err) {
		TH_LOG("stats dump ended with %d, mount %s in it",
		       d.done_err, st.found ? "was" : "was not");
	}
	EXPECT_FALSE(st.found);

	/* This mount alone: a message sized for it, every depth in it. */
	memset(&st, 0, sizeof(st));
	st.id = id;
	EXPECT_EQ(0, get_stats(&self->f, id, &st));
	EXPECT_TRUE(st.found);
	EXPECT_EQ(NLAYERS_DEEP, st.depths);
}

LU_HARNESS_MAIN
