// SPDX-License-Identifier: GPL-2.0
/*
 * The LSM copy-up hooks: security_inode_copy_up_xattr() decides which
 * xattrs a copy-up keeps. Of the LSMs of Debian's kernel
 * (/sys/kernel/security/lsm: lockdown, capability, landlock, yama,
 * apparmor, tomoyo, bpf, ipe, ima, evm) only EVM implements it: it
 * discards security.evm unless it is a portable signature, whose value
 * does not depend on the inode. SELinux and Smack, which also implement
 * security_inode_copy_up() and security_dentry_create_files_as(), are
 * not active there, so those two hooks are only exercised as no-ops.
 *
 * Every test runs on layerfs and on overlay, with the same expectations.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

/* security/integrity/integrity.h: evm_ima_xattr_type */
#define EVM_IMA_XATTR_DIGSIG		0x03
#define EVM_XATTR_PORTABLE_DIGSIG	0x05

FIXTURE(lsm) {
	struct lu_scratch s;
	struct lu_rw rw;
};

LU_UNION_VARIANTS(lsm);

/* Is @name one of the active LSMs? The test runs in its own mount ns. */
static bool lsm_active(const char *name)
{
	char buf[512] = "", *tok, *save;
	FILE *f;

	mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
	f = fopen("/sys/kernel/security/lsm", "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

FIXTURE_SETUP(lsm)
{
	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 1))
		return;
	ASSERT_EQ(0, lu_file(&self->s, 0, "f", 0644, "lower f"));
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
	ASSERT_EQ(0, lu_mount_rw(&self->s, &self->rw));
}

FIXTURE_TEARDOWN(lsm)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

static int copy_up(const struct lu_scratch *s, const char *rel)
{
	int fd = open(lu_mpath(s, rel), O_WRONLY | O_APPEND);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static const char *upper(const struct lu_rw *rw, const char *rel)
{
	static char buf[LU_PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s/%s", rw->upper, rel);
	return buf;
}

/* Set security.evm of type @type on the lower file; 0 or -errno. */
static int set_evm(const struct lu_scratch *s, const char *rel,
		   unsigned char type)
{
	unsigned char value[16] = { type, 2, 4, 0x11, 0x22, 0x33, 0x44 };

	if (lsetxattr(lu_lpath(s, 0, rel), "security.evm", value,
		      sizeof(value), 0))
		return -errno;
	return 0;
}

TEST_F(lsm, evm_drops_a_non_portable_evm_xattr_on_copy_up)
{
	unsigned char v[16];

	if (!lsm_active("evm"))
		SKIP(return, "EVM is not an active LSM");
	ASSERT_EQ(0, set_evm(&self->s, "f", EVM_IMA_XATTR_DIGSIG));
	ASSERT_EQ(0, copy_up(&self->s, "f"));
	EXPECT_EQ(-1, lgetxattr(upper(&self->rw, "f"), "security.evm", v,
				sizeof(v)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_STREQ("lower f", lu_cat(upper(&self->rw, "f")));
}

TEST_F(lsm, evm_keeps_a_portable_signature_on_copy_up)
{
	unsigned char v[16];

	if (!lsm_active("evm"))
		SKIP(return, "EVM is not an active LSM");
	ASSERT_EQ(0, set_evm(&self->s, "f", EVM_XATTR_PORTABLE_DIGSIG));
	ASSERT_EQ(0, copy_up(&self->s, "f"));
	ASSERT_EQ(16, lgetxattr(upper(&self->rw, "f"), "security.evm", v,
				sizeof(v)));
	EXPECT_EQ(EVM_XATTR_PORTABLE_DIGSIG, v[0]);
}

/* Whatever no LSM claims is copied as before. */
TEST_F(lsm, other_xattrs_are_copied_up)
{
	char v[16] = "";

	ASSERT_EQ(0, lu_setxattr(&self->s, 0, "f", "user.a", "ua"));
	ASSERT_EQ(0, lu_setxattr(&self->s, 0, "f", "security.lfs_test", "sv"));
	ASSERT_EQ(0, copy_up(&self->s, "f"));
	EXPECT_EQ(2, lgetxattr(upper(&self->rw, "f"), "user.a", v, sizeof(v)));
	EXPECT_EQ(0, strncmp(v, "ua", 2));
	EXPECT_EQ(2, lgetxattr(upper(&self->rw, "f"), "security.lfs_test", v,
			       sizeof(v)));
	EXPECT_EQ(0, strncmp(v, "sv", 2));
}

/* Creation paths still work with the create-as hook in place. */
TEST_F(lsm, create_over_whiteout_and_tmpfile_work)
{
	int fd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_TMPFILE);

	ASSERT_EQ(0, unlink(lu_mpath(&self->s, "f")));
	fd = open(lu_mpath(&self->s, "f"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(S_IFREG, lu_ftype(upper(&self->rw, "f")));
	ASSERT_EQ(0, mkdir(lu_mpath(&self->s, "d"), 0755));
	fd = open(lu_mpath(&self->s, "d"), O_TMPFILE | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
}

LU_HARNESS_MAIN
