// SPDX-License-Identifier: GPL-2.0
/*
 * layerctl's kernel side: the layer registry ioctls on /dev/layerfs,
 * loading the module with libkmod, and mounting by top layer (or, in a
 * user namespace, by lower directories) with the new mount API (fsopen,
 * fsconfig, fsmount, move_mount).
 */

#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <libkmod.h>
#include "kernel.h"

#define LAYERFS_MODULE_ALIAS	"fs-" LAYERFS_FSTYPE
#define LAYERFS_SYSFS_MODULE	"/sys/module/layerfs"
#define LAYERFS_SYSFS_DEV	"/sys/class/misc/layerfs/dev"
#define PROBE_FLAGS		KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY
#define NAME_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789._-"

/* Not in the uapi header (yet): module/layerfs.h. */
#ifndef LAYERFS_SUPER_MAGIC
#define LAYERFS_SUPER_MAGIC	0x4c415946
#endif

bool kern_loaded(void)
{
	return !access(LAYERFS_SYSFS_MODULE, F_OK);
}

/*
 * Whether this process is in a user namespace other than the initial
 * one: there the identity map "0 0 4294967295" is the only line of
 * /proc/self/uid_map (user_namespaces(7)); a child namespace maps less.
 */
bool kern_in_userns(void)
{
	unsigned long first, lower, count;
	char line[128];
	bool child = false;
	FILE *f;

	f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "%lu %lu %lu", &first, &lower, &count) != 3 ||
	    first || lower || count != 4294967295UL || fgets(line, sizeof(line), f))
		child = true;
	fclose(f);
	return child;
}

/* As kmod's insmod: errors of init_module() in words. */
static const char *kern_mod_strerror(int e)
{
	switch (e) {
	case ENOEXEC:
		return "invalid module format (built for another kernel?)";
	case ENOENT:
	case ESRCH:
		return "unknown symbol in module (see dmesg)";
	case EINVAL:
		return "invalid parameters (see dmesg)";
	default:
		return strerror(e);
	}
}

static int kern_insert_path(struct kmod_ctx *ctx, const char *path)
{
	struct kmod_module *mod;
	int err;

	err = kmod_module_new_from_path(ctx, path, &mod);
	if (err < 0) {
		warnx("%s: %s", path, strerror(-err));
		return -1;
	}
	err = kmod_module_insert_module(mod, 0, NULL);
	kmod_module_unref(mod);
	if (err < 0 && err != -EEXIST) {
		warnx("%s: cannot insert module: %s", path,
		      kern_mod_strerror(-err));
		return -1;
	}
	return 0;
}

static int kern_probe_alias(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL, *it;
	struct kmod_module *mod;
	int err;

	err = kmod_module_new_from_lookup(ctx, LAYERFS_MODULE_ALIAS, &list);
	if (err < 0) {
		warnx("cannot look up module alias %s: %s",
		      LAYERFS_MODULE_ALIAS, strerror(-err));
		return -1;
	}
	if (!list) {
		warnx("no module provides %s (not installed? use --module FILE)",
		      LAYERFS_MODULE_ALIAS);
		return -1;
	}
	err = -ENOENT;
	kmod_list_foreach(it, list) {
		mod = kmod_module_get_module(it);
		err = kmod_module_probe_insert_module(mod, PROBE_FLAGS, NULL,
						      NULL, NULL, NULL);
		if (err > 0)
			warnx("module %s is blacklisted",
			      kmod_module_get_name(mod));
		else if (err < 0)
			warnx("module %s: %s", kmod_module_get_name(mod),
			      kern_mod_strerror(-err));
		kmod_module_unref(mod);
		if (!err)
			break;
	}
	kmod_module_unref_list(list);
	return err ? -1 : 0;
}

static int kern_load_module(const char *path, bool verbose)
{
	struct kmod_ctx *ctx;
	int ret;

	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		warnx("cannot create a libkmod context");
		return -1;
	}
	if (verbose)
		warnx("loading %s", path ? path : LAYERFS_MODULE_ALIAS);
	ret = path ? kern_insert_path(ctx, path) : kern_probe_alias(ctx);
	kmod_unref(ctx);
	return ret;
}

/*
 * Open the registry, loading the module first when /dev/layerfs is
 * missing (or is a static node whose module could not be auto-loaded):
 * @module is a .ko file to insert, or NULL for the fs-layerfs alias.
 */
int kern_open_ctl(const char *module, bool verbose)
{
	int fd;

	fd = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT && errno != ENODEV && errno != ENXIO) {
		warn("%s", LAYERFS_DEVICE);
		return -1;
	}
	if (kern_load_module(module, verbose))
		return -1;
	fd = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT && !access(LAYERFS_SYSFS_DEV, F_OK))
		warnx("%s: missing although the module is loaded (no devtmpfs on /dev?)",
		      LAYERFS_DEVICE);
	else
		warn("%s", LAYERFS_DEVICE);
	return -1;
}

/* Copy a string into a uapi byte array; the kernel checks the rest. */
static int kern_copy(__u8 *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

int kern_add_layer(int ctl, int dirfd, const char *name, const char *parent,
		   const char *diff_id, const char *chain_id,
		   unsigned int flags)
{
	struct layerfs_layer_add req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.flags = flags;
	req.dirfd = dirfd;
	if (kern_copy(req.name, sizeof(req.name), name) ||
	    kern_copy(req.parent, sizeof(req.parent), parent) ||
	    kern_copy(req.diff_id, sizeof(req.diff_id), diff_id) ||
	    kern_copy(req.chain_id, sizeof(req.chain_id), chain_id))
		return -EINVAL;
	return ioctl(ctl, LAYERFS_IOC_ADD_LAYER, &req) ? -errno : 0;
}

int kern_del_layer(int ctl, const char *name)
{
	struct layerfs_layer_del req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	if (kern_copy(req.name, sizeof(req.name), name))
		return -EINVAL;
	return ioctl(ctl, LAYERFS_IOC_DEL_LAYER, &req) ? -errno : 0;
}

int kern_get_layer(int ctl, const char *name, struct layerfs_layer_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (kern_copy(info->name, sizeof(info->name), name))
		return -EINVAL;
	return ioctl(ctl, LAYERFS_IOC_GET_LAYER, info) ? -errno : 0;
}

/* 1..64 characters of [A-Za-z0-9._-], not "." or "..". */
bool kern_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > LAYERFS_NAME_MAX || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	return strspn(name, NAME_CHARS) == len;
}

/*
 * Print what the kernel logged on the fs_context: lines of "e ", "w "
 * or "i " and the message (Documentation/filesystems/mount_api.rst).
 */
static void kern_print_log(int fsfd)
{
	char buf[4096];
	const char *level;
	ssize_t n;

	for (;;) {
		n = read(fsfd, buf, sizeof(buf) - 1);
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		level = "kernel";
		if (n > 2 && buf[1] == ' ') {
			level = buf[0] == 'e' ? "kernel error" :
				buf[0] == 'w' ? "kernel warning" : "kernel info";
			memmove(buf, buf + 2, n - 1);
		}
		warnx("%s: %s", level, buf);
	}
}

/* Give the new mount its layers: by top layer, or lowerdir+ each. */
static int kern_mount_layers(int fsfd, const struct kern_mount *m,
			     const char **what)
{
	size_t i;

	if (m->layer) {
		*what = "layer";
		return fsconfig(fsfd, FSCONFIG_SET_STRING, "layer", m->layer, 0);
	}
	/* O_PATH descriptors: FSCONFIG_SET_FD would want open files. */
	*what = "lowerdir+";
	for (i = 0; i < m->nr_lowers; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_PATH_EMPTY, "lowerdir+", "",
			     m->lower_fds[i]))
			return -1;
	return 0;
}

int kern_mount(const struct kern_mount *m)
{
	const char *what = "fsopen";
	int fsfd, mfd = -1, e;

	fsfd = fsopen(LAYERFS_FSTYPE, FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		e = errno;
		warnx("fsopen(\"%s\"): %s%s", LAYERFS_FSTYPE, strerror(e),
		      e == ENODEV && kern_in_userns() ?
		      " (the module is not loaded, and a user namespace cannot load it)" :
		      "");
		return -1;
	}
	what = "source";
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", m->source, 0))
		goto out_fail;
	if (kern_mount_layers(fsfd, m, &what))
		goto out_fail;
	if (m->userxattr) {
		what = "userxattr";
		if (fsconfig(fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0))
			goto out_fail;
	}
	if (m->upper_fd >= 0) {
		what = "upperdir";
		if (fsconfig(fsfd, FSCONFIG_SET_FD, "upperdir", NULL,
			     m->upper_fd))
			goto out_fail;
		what = "workdir";
		if (fsconfig(fsfd, FSCONFIG_SET_FD, "workdir", NULL,
			     m->work_fd))
			goto out_fail;
	}
	what = "create";
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		goto out_fail;
	what = "fsmount";
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC,
		      m->upper_fd < 0 ? MOUNT_ATTR_RDONLY : 0);
	if (mfd < 0)
		goto out_fail;
	kern_print_log(fsfd);
	close(fsfd);
	/* On the directory checked, not on whatever the name is now. */
	if (move_mount(mfd, "", m->target_fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)) {
		warn("%s", m->target);
		close(mfd);
		return -1;
	}
	close(mfd);
	return 0;

out_fail:
	e = errno;
	kern_print_log(fsfd);
	close(fsfd);
	if (!m->layer)
		warnx("mount %s (%zu lower layers): %s: %s", m->source,
		      m->nr_lowers, what, strerror(e));
	else if (!strcmp(what, "layer"))
		warnx("mount layer=%s: %s", m->layer, strerror(e));
	else
		warnx("mount layer=%s: %s: %s", m->layer, what, strerror(e));
	return -1;
}

/*
 * Unmount @target if it is the root of a layerfs mount, and only that
 * mount: @target is opened once (not following a final symbolic link),
 * checked through the descriptor, and the mount the descriptor refers
 * to is detached through /proc/self/fd/N. A path looked up again after
 * the check could name another mount by then (a directory on the way
 * renamed, a mount moved). The descriptor itself holds the mount, so
 * only a lazy unmount (MNT_DETACH) can take it, as dockerd unmounts its
 * overlay2 mounts: files still open keep the file system (and its
 * layers) until they are closed.
 */
int kern_umount(const char *target)
{
	char proc[32];
	struct statfs sfs;
	struct statx stx;
	int fd, ret = -1;

	fd = open(target, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		warn("%s", target);
		return -1;
	}
	if (fstatfs(fd, &sfs) ||
	    statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE,
		  &stx)) {
		warn("%s", target);
		goto out_close;
	}
	if (sfs.f_type != LAYERFS_SUPER_MAGIC) {
		warnx("%s: not a layerfs mount", target);
		goto out_close;
	}
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		warnx("%s: not a mount point", target);
		goto out_close;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (umount2(proc, MNT_DETACH)) {
		if (errno == ENOENT)
			warnx("%s: cannot unmount through %s (is /proc mounted?)",
			      target, proc);
		else
			warn("%s", target);
		goto out_close;
	}
	ret = 0;
out_close:
	close(fd);
	return ret;
}
