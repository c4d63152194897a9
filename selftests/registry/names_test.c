// SPDX-License-Identifier: GPL-2.0
/*
 * Layer names are ASCII [A-Za-z0-9._-]: every byte outside that set is
 * refused with EINVAL, in the name and in the parent name of
 * LAYERFS_IOC_ADD_LAYER, in DEL_LAYER and GET_LAYER ("layer=" of a mount
 * uses the same check). The kernel's isalnum() is Latin-1 (it takes 0xc0-0xff but 0xd7
 * and 0xf7); layerctl checks ASCII, so both sides must agree.
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

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

FIXTURE(names) {
	struct lu_scratch s;
	int dev;
	char prefix[16];
};

FIXTURE_SETUP(names)
{
	int ret = lu_fs_available("layerfs");

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 1));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) {
		TH_LOG("%s: %s", LAYERFS_DEVICE, strerror(errno));
	}
	snprintf(self->prefix, sizeof(self->prefix), "n%d", getpid());
}

FIXTURE_TEARDOWN(names)
{
	lu_scratch_fini(&self->s);
	if (self->dev >= 0)
		close(self->dev);
}

/* "<prefix>" + @c + "x": a name that is valid unless @c is not */
static const char *name_with(FIXTURE_DATA(names) *self, unsigned int c)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s%cx", self->prefix, (char)c);
	return buf;
}

static bool ascii_name_char(unsigned int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

TEST_F(names, latin1_letters_are_refused)
{
	unsigned int c;

	/* 0xc0-0xff: the bytes Latin-1 isalnum() takes (but 0xd7, 0xf7). */
	for (c = 0xc0; c <= 0xff; c++) {
		const char *n = name_with(self, c);
		int ret = lfs_add_layer(self->dev, n, NULL, lu_lpath(&self->s, 0, ""));

		EXPECT_EQ(-EINVAL, ret) {
			TH_LOG("name with byte 0x%02x: %s", c, strerror(-ret));
		}
		if (!ret)
			lfs_del_layer(self->dev, n);
	}
}

TEST_F(names, every_byte_outside_the_set_is_refused)
{
	char ok[32];
	unsigned int c;

	snprintf(ok, sizeof(ok), "%s-base", self->prefix);
	ASSERT_EQ(0, lfs_add_layer(self->dev, ok, NULL, lu_lpath(&self->s, 0, "")));
	for (c = 1; c <= 0xff; c++) {
		const char *n = name_with(self, c);
		int want = ascii_name_char(c) ? 0 : -EINVAL;
		int ret = lfs_add_layer(self->dev, n, NULL, lu_lpath(&self->s, 0, ""));

		EXPECT_EQ(want, ret) {
			TH_LOG("name with byte 0x%02x: %s", c, strerror(-ret));
		}
		if (!ret)
			EXPECT_EQ(0, lfs_del_layer(self->dev, n));
		if (want)
			continue;
		/* A valid name as a parent: the layer registers on top. */
		ASSERT_EQ(0, lfs_add_layer(self->dev, n, ok, lu_lpath(&self->s, 0, "")));
		EXPECT_EQ(0, lfs_del_layer(self->dev, n));
	}
	EXPECT_EQ(0, lfs_del_layer(self->dev, ok));
}

TEST_F(names, latin1_parent_get_and_del_are_refused)
{
	char ok[32];
	unsigned int c;

	snprintf(ok, sizeof(ok), "%s-top", self->prefix);
	for (c = 0xc0; c <= 0xff; c++) {
		const char *n = name_with(self, c);

		EXPECT_EQ(-EINVAL, lfs_add_layer(self->dev, ok, n,
						 lu_lpath(&self->s, 0, ""))) {
			TH_LOG("parent with byte 0x%02x", c);
		}
		EXPECT_EQ(-EINVAL, lfs_get_layer(self->dev, n, NULL)) {
			TH_LOG("GET_LAYER of a name with byte 0x%02x", c);
		}
		EXPECT_EQ(-EINVAL, lfs_del_layer(self->dev, n)) {
			TH_LOG("DEL_LAYER of a name with byte 0x%02x", c);
		}
	}
	EXPECT_EQ(-ENOENT, lfs_get_layer(self->dev, ok, NULL));
}

LU_HARNESS_MAIN
