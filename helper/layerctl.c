// SPDX-License-Identifier: GPL-2.0
/*
 * layerctl - mount Docker overlay2 images and containers with layerfs
 *
 * Reads a Docker data root (read-only), verifies every chain ID, link
 * and lower file, registers the layers with the layerfs registry
 * bottom-up and mounts by top layer. See layerctl(8).
 */

#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <libmount.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <time.h>
#include "kernel.h"
#include "netlink.h"
#include "store.h"

#ifndef LAYERCTL_VERSION
#define LAYERCTL_VERSION "0.1"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define DEFAULT_ROOT	"/var/lib/docker"

/* Exit codes, documented in layerctl(8). */
enum {
	EXIT_USAGE = 1,		/* wrong usage, or another failure */
	EXIT_STORE = 2,		/* the store: unreadable, inconsistent, no such */
	EXIT_KERNEL = 3,	/* module, registry, mount */
};

/* Command options beyond the common ones. */
#define OPT_JSON	0x1
#define OPT_UPPER	0x2
#define OPT_ALL		0x4
#define OPT_STATS	0x8
#define OPT_COUNT	0x10
#define OPT_READY	0x20
#define OPT_LAYER	0x40

struct ctl {
	const char *root;
	const char *kind;	/* --store, or NULL: from the root */
	const char *ns;		/* --namespace (containerd) */
	const char *module;
	const char *upper;
	const char *work;
	bool rootless;		/* mount --rootless, or in a user namespace */
	bool verbose;
	bool json;
	bool all;		/* layers --all */
	bool reset;		/* stats --reset */
	unsigned int watch;	/* stats --watch SECS */
	unsigned long count;	/* stats --watch, monitor: stop after */
	int ready_fd;		/* monitor --ready-fd, or -1 */
	long layer;		/* explain --layer N, or -1 */
	struct store st;
	int fd;			/* /dev/layerfs, or -1 */
	const struct cmd *cmd;	/* once known: -h shows its help */
};

/* A command: what runs it and the options (OPT_*) it takes. */
struct cmd {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	unsigned int opts;
};

static noreturn void usage(void);
static noreturn void cmd_usage(const char *name);

static noreturn void usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	exit(EXIT_USAGE);
}

/* Wrong usage: say why, say how to get help, exit 1. */
#define usage_error(fmt, ...) do {					\
	warnx(fmt, ##__VA_ARGS__);					\
	usage_hint();							\
} while (0)

static void store_or_die(struct ctl *ctl)
{
	if (ctl->st.root)
		return;
	if (store_open(&ctl->st, ctl->root, ctl->kind, ctl->ns))
		errx(EXIT_STORE, "%s", ctl->st.err);
}

/*
 * A resolved chain holds a descriptor per layer (see store.h), and a
 * chain may be STORE_MAX_DEPTH deep: allow what the hard limit allows.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void resolve_or_die(struct ctl *ctl, const char *what,
			   struct store_chain *c)
{
	raise_nofile();
	store_or_die(ctl);
	if (store_resolve(&ctl->st, what, c))
		errx(EXIT_STORE, "%s", ctl->st.err);
}

static void json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

static struct json_object *json_str_or_null(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

/* "-" for an absent (NULL) or empty string. */
static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* An image ID without its "sha256:", as docker images shows it. */
static const char *hex_of(const char *id)
{
	return strncmp(id, "sha256:", 7) ? id : id + 7;
}

/* A container's init layer (Docker's), or "" for a store without. */
static const char *init_layer(const struct store_chain *c)
{
	return c->nr && c->layers[c->nr - 1].init ?
		c->layers[c->nr - 1].name : "";
}

/* ---- inspect --------------------------------------------------------- */

static struct json_object *layer_json(struct ctl *ctl,
				      const struct store_layer *l)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX];

	json_object_object_add(o, "name", json_object_new_string(l->name));
	json_object_object_add(o, "parent", json_str_or_null(l->parent));
	json_object_object_add(o, "diff_id", json_str_or_null(l->diff_id));
	json_object_object_add(o, "chain_id", json_str_or_null(l->chain_id));
	json_object_object_add(o, "cache_id",
			       json_object_new_string(l->cache_id));
	json_object_object_add(o, "size", l->size < 0 ? NULL :
			       json_object_new_int64(l->size));
	json_object_object_add(o, "depth", json_object_new_int64(l->depth));
	json_object_object_add(o, "init", json_object_new_boolean(l->init));
	if (!store_layer_path(&ctl->st, l, path, sizeof(path)))
		json_object_object_add(o, "path",
				       json_object_new_string(path));
	return o;
}

static void inspect_json(struct ctl *ctl, const struct store_chain *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *layers = json_object_new_array();
	bool ctr = c->kind == STORE_CONTAINER;
	char path[PATH_MAX];
	size_t i;

	json_object_object_add(o, "type", json_object_new_string(ctr ?
			       "container" : "image"));
	json_object_object_add(o, "root", json_object_new_string(ctl->root));
	json_object_object_add(o, "store",
			       json_object_new_string(store_kind_name(&ctl->st)));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	if (!ctr)
		json_object_object_add(o, "reference", json_str_or_null(c->ref));
	if (ctr) {
		json_object_object_add(o, "mount_id",
				       json_object_new_string(c->mount_id));
		store_upper_path(&ctl->st, c, path, sizeof(path));
		json_object_object_add(o, "upperdir",
				       json_object_new_string(path));
		store_work_path(&ctl->st, c, path, sizeof(path));
		json_object_object_add(o, "workdir",
				       json_object_new_string(path));
	}
	json_object_object_add(o, "top",
			       json_object_new_string(c->layers[c->nr - 1].name));
	for (i = 0; i < c->nr; i++)
		json_object_array_add(layers, layer_json(ctl, &c->layers[i]));
	json_object_object_add(o, "layers", layers);
	json_print(o);
	json_object_put(o);
}

static void inspect_text(struct ctl *ctl, const struct store_chain *c)
{
	const struct store_layer *l;
	char size[32], path[PATH_MAX];
	size_t i;

	if (c->kind == STORE_CONTAINER) {
		printf("container  %s\n", c->id);
		printf("mount id   %s\n", c->mount_id);
		store_upper_path(&ctl->st, c, path, sizeof(path));
		printf("upper      %s\n", path);
		store_work_path(&ctl->st, c, path, sizeof(path));
		printf("work       %s\n", path);
	} else {
		printf("image      %s\n", c->id);
		if (c->ref[0])
			printf("reference  %s\n", c->ref);
	}
	printf("top layer  %s\n", c->layers[c->nr - 1].name);
	printf("\n%4s  %-26s  %-26s  %12s\n", "#", "NAME", "PARENT", "SIZE");
	for (i = 0; i < c->nr; i++) {
		l = &c->layers[i];
		if (l->size < 0)
			snprintf(size, sizeof(size), "-");
		else
			snprintf(size, sizeof(size), "%lld", l->size);
		printf("%4zu  %-26s  %-26s  %12s\n", i + 1, l->name,
		       or_dash(l->parent), size);
		if (l->init) {
			printf("      init layer of the container\n");
		} else {
			printf("      diff   %s\n", l->diff_id);
			printf("      chain  %s\n", l->chain_id);
		}
		printf("      cache  %s\n", l->cache_id);
	}
}

static int cmd_inspect(struct ctl *ctl, int argc, char **argv)
{
	struct store_chain c;

	if (argc != 1)
		usage_error("inspect takes one IMAGE or CONTAINER");
	resolve_or_die(ctl, argv[0], &c);
	if (ctl->json)
		inspect_json(ctl, &c);
	else
		inspect_text(ctl, &c);
	store_chain_free(&c);
	return EXIT_SUCCESS;
}

/* ---- mount ----------------------------------------------------------- */

static void explain_add_error(struct ctl *ctl, const struct store_layer *l,
			      const char *path, int e)
{
	struct layerfs_layer_info info;

	switch (e) {
	case EEXIST:
		warnx("layer %s (%s): registered already with another directory, parent or IDs",
		      l->name, path);
		if (!kern_get_layer(ctl->fd, l->name, &info))
			warnx("registered: parent %s, chain ID %s, %u mount(s), %u child layer(s)",
			      or_dash((char *)info.parent),
			      or_dash((char *)info.chain_id), info.mounts,
			      info.children);
		break;
	case EBADMSG:
		warnx("layer %s (%s): the kernel computes another chain ID than %s",
		      l->name, path, l->chain_id);
		break;
	case ENOENT:
		warnx("layer %s (%s): parent %s is not registered", l->name,
		      path, l->parent);
		break;
	default:
		warnx("layer %s (%s): cannot register: %s%s", l->name, path,
		      strerror(e), e == EINVAL ? " (see the kernel log)" : "");
		break;
	}
}

/*
 * Register @c bottom-up; already registered identical layers are no-ops.
 * Each layer is the diff directory store_resolve() verified, passed by
 * the descriptor it was verified through: never looked up again by path.
 */
static void register_chain(struct ctl *ctl, const struct store_chain *c)
{
	struct layerfs_layer_info info;
	const struct store_layer *l;
	char path[PATH_MAX];
	bool known;
	size_t i;
	int e;

	for (i = 0; i < c->nr; i++) {
		l = &c->layers[i];
		store_layer_path(&ctl->st, l, path, sizeof(path));
		known = ctl->verbose && !kern_get_layer(ctl->fd, l->name, &info);
		e = -kern_add_layer(ctl->fd, l->diff_fd, l->name, l->parent,
				    l->diff_id, l->chain_id,
				    l->init ? 0 : LAYERFS_ADD_VERIFY_CHAIN);
		if (e) {
			explain_add_error(ctl, l, path, e);
			exit(EXIT_KERNEL);
		}
		if (ctl->verbose)
			warnx("%s %s (%s)", known ? "already registered" :
			      "registered", l->name, path);
	}
}

static int open_user_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		err(EXIT_USAGE, "%s", path);
	return fd;
}

/*
 * A rootless mount: the chain's verified diff directories as lowerdir+,
 * top first, and userxattr, as rootless podman and dockerd mount their
 * stores. The registry is root's in the initial user namespace (its
 * ioctls give EPERM in another). The module is loaded (cmd_mount()). The
 * kernel does not recompute chain IDs here (that is the registry's
 * LAYERFS_ADD_VERIFY_CHAIN): only store_resolve()'s checks of the chain
 * apply.
 */
static int mount_rootless(const struct store_chain *c, struct kern_mount *m)
{
	int *fds;
	size_t i;
	int ret;

	fds = calloc(c->nr, sizeof(*fds));
	if (!fds)
		err(EXIT_USAGE, "calloc");
	for (i = 0; i < c->nr; i++)
		fds[i] = c->layers[c->nr - 1 - i].diff_fd;
	m->lower_fds = fds;
	m->nr_lowers = c->nr;
	m->userxattr = true;
	ret = kern_mount(m);
	free(fds);
	return ret;
}

static int cmd_mount(struct ctl *ctl, int argc, char **argv)
{
	struct kern_mount m = { .upper_fd = -1, .work_fd = -1 };
	char short_id[16];
	struct store_chain c;
	bool rootless;
	int ret;

	if (argc != 2)
		usage_error("mount takes an IMAGE or CONTAINER and a mount point");
	if (!ctl->upper != !ctl->work)
		usage_error("--upper and --work go together");
	rootless = ctl->rootless || kern_in_userns();
	/*
	 * Fail on a bad mount point before the kernel is touched; the
	 * mount goes on this very directory (move_mount() to the fd).
	 */
	m.target = argv[1];
	m.target_fd = open(m.target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m.target_fd < 0)
		err(EXIT_USAGE, "%s", m.target);
	resolve_or_die(ctl, argv[0], &c);
	if (c.kind == STORE_CONTAINER && ctl->upper)
		usage_error("%s is a container: it has its own upper layer",
			    argv[0]);

	if (c.kind == STORE_CONTAINER) {
		/* Verified by store_resolve(), held open since. */
		m.upper_fd = c.upper_fd;
		m.work_fd = c.work_fd;
		snprintf(short_id, sizeof(short_id), "%.12s", c.id);
		m.source = short_id;
	} else {
		if (ctl->upper) {
			m.upper_fd = open_user_dir(ctl->upper);
			m.work_fd = open_user_dir(ctl->work);
		}
		m.source = c.ref[0] ? c.ref : c.id;
	}

	if (rootless) {
		/*
		 * A user namespace cannot load modules; root (--rootless)
		 * loads it as for any mount.
		 */
		if (!kern_loaded()) {
			if (kern_in_userns())
				errx(EXIT_KERNEL,
				     "the layerfs module is not loaded: root must load it (modprobe layerfs), a user namespace cannot");
			ctl->fd = kern_open_ctl(ctl->module, ctl->verbose);
			if (ctl->fd < 0)
				exit(EXIT_KERNEL);
		}
		ret = mount_rootless(&c, &m) ? EXIT_KERNEL : EXIT_SUCCESS;
	} else {
		ctl->fd = kern_open_ctl(ctl->module, ctl->verbose);
		if (ctl->fd < 0)
			exit(EXIT_KERNEL);
		register_chain(ctl, &c);
		m.layer = c.layers[c.nr - 1].name;
		ret = kern_mount(&m) ? EXIT_KERNEL : EXIT_SUCCESS;
	}
	if (!ret && ctl->verbose)
		warnx("mounted %s on %s (%s%s%s)", argv[0], argv[1],
		      rootless ? "lowerdir+, userxattr" : "layer=",
		      rootless ? "" : m.layer,
		      m.upper_fd < 0 ? ", read-only" : "");
	if (m.upper_fd >= 0 && c.kind != STORE_CONTAINER) {
		close(m.upper_fd);
		close(m.work_fd);
	}
	close(m.target_fd);
	store_chain_free(&c);
	return ret;
}

static int cmd_umount(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	if (argc != 1)
		usage_error("umount takes one mount point");
	return kern_umount(argv[0]) ? EXIT_KERNEL : EXIT_SUCCESS;
}

/* ---- layers, rm, prune ----------------------------------------------- */

/*
 * The registry is only queried when the module is loaded already:
 * opening /dev/layerfs would load it, and a module that is not loaded
 * has nothing registered.
 */
static bool open_registry(struct ctl *ctl)
{
	if (!kern_loaded()) {
		if (ctl->verbose)
			warnx("layerfs is not loaded: no layers are registered");
		return false;
	}
	ctl->fd = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl->fd < 0)
		err(EXIT_KERNEL, "%s", LAYERFS_DEVICE);
	return true;
}

static void layers_of(struct ctl *ctl, int argc, char **argv,
		      struct store_layer **layers, size_t *nr)
{
	struct store_chain c;

	store_or_die(ctl);
	if (!argc) {
		if (store_list_layers(&ctl->st, layers, nr))
			errx(EXIT_STORE, "%s", ctl->st.err);
		return;
	}
	resolve_or_die(ctl, argv[0], &c);
	*layers = c.layers;
	*nr = c.nr;
}

static void info_json(struct json_object *o,
		      const struct layerfs_layer_info *info)
{
	json_object_object_add(o, "parent",
			       json_str_or_null((char *)info->parent));
	json_object_object_add(o, "diff_id",
			       json_str_or_null((char *)info->diff_id));
	json_object_object_add(o, "chain_id",
			       json_str_or_null((char *)info->chain_id));
	json_object_object_add(o, "depth", json_object_new_int64(info->depth));
	json_object_object_add(o, "children",
			       json_object_new_int64(info->children));
	json_object_object_add(o, "mounts", json_object_new_int64(info->mounts));
}

/* The generic netlink family, or exit: the module is not loaded. */
static void nl_or_die(struct nl *nl)
{
	int e = -nl_open(nl);

	if (e == ENOENT)
		errx(EXIT_KERNEL,
		     "no layerfs netlink family (module not loaded?)");
	if (e)
		errx(EXIT_KERNEL, "netlink: %s", strerror(e));
}

static noreturn void nl_fail(struct nl *nl, const char *what, int err)
{
	errx(EXIT_KERNEL, "%s: %s%s%s", what, strerror(-err),
	     nl->ext_msg[0] ? ": " : "", nl->ext_msg);
}

/* /proc/self/mountinfo, or NULL if it cannot be read (no mount points). */
static struct libmnt_table *read_mountinfo(void)
{
	return mnt_new_table_from_file("/proc/self/mountinfo");
}

/*
 * The mount point of the first layerfs mount of @tb with st_dev @dev
 * (new_encode_dev(), as netlink has it), or NULL; valid as long as @tb.
 */
static const char *mountpoint_of(struct libmnt_table *tb, __u32 dev)
{
	struct libmnt_iter *itr;
	struct libmnt_fs *fs;
	const char *mp = NULL, *type;
	dev_t d;

	if (!tb)
		return NULL;
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (!itr)
		return NULL;
	while (!mp && !mnt_table_next_fs(tb, itr, &fs)) {
		const char *root = mnt_fs_get_root(fs);

		type = mnt_fs_get_fstype(fs);
		d = mnt_fs_get_devno(fs);
		/* not a bind mount of a directory of the union */
		if (type && !strcmp(type, LAYERFS_FSTYPE) &&
		    nl_encode_dev(major(d), minor(d)) == dev &&
		    root && !strcmp(root, "/"))
			mp = mnt_fs_get_target(fs);
	}
	mnt_free_iter(itr);
	return mp;
}

/*
 * The entry of @tb for the mount that descriptor @fd is on (by mount ID),
 * or NULL; valid as long as @tb.
 */
static struct libmnt_fs *mount_of_fd(struct libmnt_table *tb, int fd)
{
	struct libmnt_fs *fs, *found = NULL;
	struct libmnt_iter *itr;
	struct statx stx;

	if (!tb || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return NULL;
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (!itr)
		return NULL;
	while (!found && !mnt_table_next_fs(tb, itr, &fs))
		if ((__u64)mnt_fs_get_id(fs) == stx.stx_mnt_id)
			found = fs;
	mnt_free_iter(itr);
	return found;
}

/* The layerfs mounts and where each is in our mount namespace. */
struct mounts {
	struct nl_mount *m;
	size_t nr;
	const char **mp;		/* NULL: not seen here */
	struct libmnt_table *tb;	/* what @mp points into */
};

static void get_mounts(struct nl *nl, struct mounts *ms)
{
	size_t i;
	int e;

	e = nl_get_mounts(nl, &ms->m, &ms->nr);
	if (e)
		nl_fail(nl, "mounts", e);
	ms->mp = calloc(ms->nr ? ms->nr : 1, sizeof(*ms->mp));
	if (!ms->mp)
		err(EXIT_USAGE, "cannot allocate memory");
	ms->tb = read_mountinfo();
	for (i = 0; i < ms->nr; i++)
		ms->mp[i] = mountpoint_of(ms->tb, ms->m[i].dev);
}

static void mounts_free(struct mounts *ms)
{
	nl_mounts_free(ms->m, ms->nr);
	free(ms->mp);
	mnt_unref_table(ms->tb);
}

/* The netlink mount id of the layerfs mount on @path. */
static __u64 mount_id_of(struct nl *nl, const char *path)
{
	struct nl_mount *m;
	__u64 id = 0;
	struct stat st;
	size_t nr, i;
	__u32 dev;
	int e;

	/* By device: no need for the mount points of get_mounts(). */
	e = nl_get_mounts(nl, &m, &nr);
	if (e)
		nl_fail(nl, "mounts", e);
	if (stat(path, &st))
		err(EXIT_USAGE, "%s", path);
	dev = nl_encode_dev(major(st.st_dev), minor(st.st_dev));
	for (i = 0; !id && i < nr; i++)
		if (m[i].dev == dev)
			id = m[i].id;
	nl_mounts_free(m, nr);
	if (!id)
		errx(EXIT_USAGE, "%s: not a layerfs mount", path);
	return id;
}

/*
 * Members of the JSON objects made from netlink replies: an attribute
 * the kernel did not send is no member (not null).
 */
static void jadd_str(struct json_object *o, const char *key, const char *s)
{
	if (s)
		json_object_object_add(o, key, json_object_new_string(s));
}

static void jadd_u32(struct json_object *o, const char *key, bool has,
		     __u32 v)
{
	if (has)
		json_object_object_add(o, key, json_object_new_int64(v));
}

static void jadd_u64(struct json_object *o, const char *key, bool has,
		     __u64 v)
{
	if (has)
		json_object_object_add(o, key, json_object_new_uint64(v));
}

/* layers --all --json: one registered layer. */
static struct json_object *nl_layer_json(const struct nl_layer *l)
{
	struct json_object *o = json_object_new_object();

	jadd_str(o, "name", l->name);
	jadd_str(o, "parent", l->parent);
	jadd_u32(o, "depth", nl_has(l, LAYERFS_LAYER_A_DEPTH), l->depth);
	jadd_str(o, "diff_id", l->diff_id);
	jadd_str(o, "chain_id", l->chain_id);
	jadd_u32(o, "children", nl_has(l, LAYERFS_LAYER_A_CHILDREN),
		 l->children);
	jadd_u32(o, "mounts", nl_has(l, LAYERFS_LAYER_A_MOUNTS), l->mounts);
	jadd_str(o, "path", l->path);
	return o;
}

/* layers --all: the kernel's whole registry. */
static int registry_layers(struct ctl *ctl)
{
	struct json_object *arr;
	struct nl_layer *reg, *l;
	struct nl nl;
	size_t nr, i;
	int e;

	nl_or_die(&nl);
	e = nl_get_layers(&nl, &reg, &nr);
	if (e)
		nl_fail(&nl, "layers", e);
	nl_close(&nl);
	if (ctl->json) {
		arr = json_object_new_array();
		for (i = 0; i < nr; i++)
			json_object_array_add(arr, nl_layer_json(&reg[i]));
		json_print(arr);
		json_object_put(arr);
		nl_layers_free(reg, nr);
		return EXIT_SUCCESS;
	}
	printf("%-26s  %-26s  %5s  %8s  %6s  %s\n", "NAME", "PARENT", "DEPTH",
	       "CHILDREN", "MOUNTS", "PATH");
	for (i = 0; i < nr; i++) {
		l = &reg[i];
		printf("%-26s  %-26s  %5u  %8u  %6u  %s\n", l->name,
		       or_dash(l->parent), l->depth, l->children, l->mounts,
		       or_dash(l->path));
	}
	nl_layers_free(reg, nr);
	return EXIT_SUCCESS;
}

/* mounts --json: one mount, "mountpoint" null where it is not seen. */
static struct json_object *nl_mount_json(const struct nl_mount *m,
					 const char *mp)
{
	struct json_object *o = json_object_new_object();

	jadd_u64(o, "id", nl_has(m, LAYERFS_MOUNT_A_ID), m->id);
	jadd_u32(o, "dev", nl_has(m, LAYERFS_MOUNT_A_DEV), m->dev);
	jadd_str(o, "layer", m->layer);
	jadd_str(o, "lowerdir", m->lowerdir);
	jadd_str(o, "top_lower", m->top_lower);
	jadd_str(o, "upperdir", m->upperdir);
	jadd_str(o, "workdir", m->workdir);
	jadd_u32(o, "layer_count", nl_has(m, LAYERFS_MOUNT_A_LAYER_COUNT),
		 m->layer_count);
	json_object_object_add(o, "mountpoint",
			       mp ? json_object_new_string(mp) : NULL);
	return o;
}

static int cmd_mounts(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *arr;
	const struct nl_mount *m;
	struct mounts ms;
	struct nl nl;
	size_t i;

	(void)argv;
	if (argc)
		usage_error("mounts takes no arguments");
	nl_or_die(&nl);
	get_mounts(&nl, &ms);
	nl_close(&nl);
	if (ctl->json) {
		arr = json_object_new_array();
		for (i = 0; i < ms.nr; i++)
			json_object_array_add(arr, nl_mount_json(&ms.m[i],
								 ms.mp[i]));
		json_print(arr);
		json_object_put(arr);
		mounts_free(&ms);
		return EXIT_SUCCESS;
	}
	printf("%4s  %-7s  %-30s  %6s  %-26s  %s\n", "ID", "DEVICE", "MOUNTPOINT",
	       "LAYERS", "TOP", "UPPER");
	for (i = 0; i < ms.nr; i++) {
		char devs[32];

		m = &ms.m[i];
		snprintf(devs, sizeof(devs), "%u:%u", (m->dev & 0xfff00) >> 8,
			 (m->dev & 0xff) | ((m->dev >> 12) & 0xfff00));
		printf("%4llu  %-7s  %-30s  %6u  %-26s  %s\n",
		       (unsigned long long)m->id, devs, or_dash(ms.mp[i]),
		       m->layer_count, m->layer ? m->layer : or_dash(m->top_lower),
		       or_dash(m->upperdir));
	}
	mounts_free(&ms);
	return EXIT_SUCCESS;
}

/*
 * stats --json has the counters in the order the kernel sends them
 * (module/netlink.c, lfs_fill_stats()), which is not the uapi's: the
 * order they always had there. Text follows the uapi (enum nl_stat).
 */
static const enum nl_stat stats_json_order[] = {
	NL_STAT_LOOKUPS, NL_STAT_NEGATIVE, NL_STAT_WHITEOUTS_HIT,
	NL_STAT_OPAQUE_STOPS, NL_STAT_READDIR_BUILDS, NL_STAT_READDIR_HITS,
	NL_STAT_COPY_UPS, NL_STAT_COPY_UP_BYTES, NL_STAT_COPY_UP_NS,
	NL_STAT_WHITEOUTS, NL_STAT_OPAQUE_DIRS, NL_STAT_EXDEV,
	NL_STAT_NAMEIDX_BUILDS, NL_STAT_NAMEIDX_HITS, NL_STAT_NAMEIDX_SKIPS,
	NL_STAT_NAMEIDX_FALLBACKS, NL_STAT_COPY_UP_NS_MAX, NL_STAT_OPEN_FILES,
	NL_STAT_READDIR_CACHES, NL_STAT_READDIR_CACHE_BYTES,
	NL_STAT_NAMEIDX_BYTES, NL_STAT_NAMEIDX_SHARED, NL_STAT_NAMEIDX_MERGED,
	NL_STAT_NAMEIDX_MERGED_HITS, NL_STAT_NAMEIDX_MERGED_SHARED,
};

static_assert(ARRAY_SIZE(stats_json_order) == NL_STAT_NR,
	      "stats_json_order lists every counter");

/* stats --json: one mount's statistics, "mountpoint" only where seen. */
static struct json_object *nl_stats_json(const struct nl_stats *s,
					 const char *mp)
{
	struct json_object *o = json_object_new_object(), *depth;
	const struct nl_stat_desc *d;
	char key[16];
	size_t i;

	jadd_u64(o, "mount_id", nl_has(s, LAYERFS_STATS_A_MOUNT_ID),
		 s->mount_id);
	for (i = 0; i < ARRAY_SIZE(stats_json_order); i++) {
		d = &nl_stat_desc[stats_json_order[i]];
		jadd_u64(o, d->name, nl_has(s, d->attr),
			 s->v[stats_json_order[i]]);
	}
	if (nl_has(s, LAYERFS_STATS_A_DEPTH)) {
		/* the histogram: {"<depth>": count, ...} */
		depth = json_object_new_object();
		for (i = 0; i < s->nr_depth; i++) {
			snprintf(key, sizeof(key), "%u", s->depth[i].depth);
			json_object_object_add(depth, key,
					       json_object_new_int64(s->depth[i].count));
		}
		json_object_object_add(o, "depth", depth);
	}
	jadd_str(o, "mountpoint", mp);
	return o;
}

static void print_stats(const struct nl_stats *s, const char *mp)
{
	size_t i;

	printf("mount %llu%s%s\n", (unsigned long long)s->mount_id,
	       mp ? " on " : "", mp ? mp : "");
	for (i = 0; i < NL_STAT_NR; i++)
		printf("  %-16s %llu\n", nl_stat_desc[i].name,
		       (unsigned long long)s->v[i]);
	if (nl_has(s, LAYERFS_STATS_A_DEPTH)) {
		printf("  %-16s", "lookup depth");
		for (i = 0; i < s->nr_depth; i++)
			printf(" %u:%llu", s->depth[i].depth,
			       (unsigned long long)s->depth[i].count);
		printf("\n");
	}
}

/* The statistics of @id (0: the sum over all mounts), as counters. */
static void stats_sum(struct nl *nl, __u64 id, __u64 *v)
{
	struct nl_stats *s;
	size_t nr, i, k;
	int e;

	e = id ? nl_get_stats(nl, id, &s, &nr) : nl_dump_stats(nl, &s, &nr);
	if (e)
		nl_fail(nl, "stats", e);
	memset(v, 0, NL_STAT_NR * sizeof(*v));
	for (i = 0; i < nr; i++)
		for (k = 0; k < NL_STAT_NR; k++)
			v[k] += s[i].v[k];
	nl_stats_free(s, nr);
}

/* stats --watch SECS: one line per interval, like vmstat. */
static int stats_watch(struct ctl *ctl, struct nl *nl, __u64 id)
{
	__u64 prev[NL_STAT_NR] = { 0 }, cur[NL_STAT_NR];
	static const enum nl_stat cols[] = {
		NL_STAT_LOOKUPS, NL_STAT_NEGATIVE, NL_STAT_WHITEOUTS_HIT,
		NL_STAT_OPAQUE_STOPS, NL_STAT_READDIR_BUILDS,
		NL_STAT_READDIR_HITS, NL_STAT_COPY_UPS, NL_STAT_COPY_UP_BYTES,
		NL_STAT_WHITEOUTS, NL_STAT_EXDEV, NL_STAT_OPEN_FILES,
	};
	unsigned long n;
	size_t k;

	for (n = 0; !ctl->count || n < ctl->count; n++) {
		if (n)
			sleep(ctl->watch);
		if (n % 20 == 0)
			printf("%9s %9s %9s %9s %9s %9s %9s %11s %9s %9s %9s\n",
			       "lookups", "negative", "wo_hit", "opq_stop",
			       "rd_build", "rd_hit", "copy_ups", "cu_bytes",
			       "whiteouts", "exdev", "open");
		stats_sum(nl, id, cur);
		for (k = 0; k < ARRAY_SIZE(cols); k++) {
			enum nl_stat c = cols[k];
			/* open files is a gauge, the rest count up */
			__u64 v = c == NL_STAT_OPEN_FILES ? cur[c] :
				  cur[c] - prev[c];

			printf(k == 7 ? " %11llu" : " %9llu" + !k,
			       (unsigned long long)v);
		}
		printf("\n");
		fflush(stdout);
		memcpy(prev, cur, sizeof(prev));
	}
	return EXIT_SUCCESS;
}

/* Where the mount of @s is in our namespace, or NULL. */
static const char *stats_mountpoint(const struct mounts *ms,
				    const struct nl_stats *s)
{
	const char *mp = NULL;
	size_t m;

	for (m = 0; m < ms->nr; m++)
		if (ms->m[m].id == s->mount_id && ms->mp[m])
			mp = ms->mp[m];
	return mp;
}

static int cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *arr;
	const char *mp;
	struct nl_stats *s;
	struct mounts ms;
	__u64 id = 0;
	struct nl nl;
	size_t nr, i;
	int e;

	if (argc > 1)
		usage_error("stats takes at most one mount point");
	nl_or_die(&nl);
	if (argc)
		id = mount_id_of(&nl, argv[0]);
	if (ctl->reset) {
		e = nl_reset_stats(&nl, id);
		if (e)
			nl_fail(&nl, "reset", e);
		if (ctl->verbose)
			warnx("statistics reset");
		nl_close(&nl);
		return EXIT_SUCCESS;
	}
	if (ctl->watch) {
		e = stats_watch(ctl, &nl, id);
		nl_close(&nl);
		return e;
	}
	e = id ? nl_get_stats(&nl, id, &s, &nr) : nl_dump_stats(&nl, &s, &nr);
	if (e)
		nl_fail(&nl, "stats", e);
	get_mounts(&nl, &ms);
	nl_close(&nl);
	if (ctl->json && id) {
		/* one mount: its object, not an array */
		mp = nr ? stats_mountpoint(&ms, &s[0]) : NULL;
		arr = nr ? nl_stats_json(&s[0], mp) : NULL;
		json_print(arr);
		json_object_put(arr);
	} else if (ctl->json) {
		arr = json_object_new_array();
		for (i = 0; i < nr; i++) {
			mp = stats_mountpoint(&ms, &s[i]);
			json_object_array_add(arr, nl_stats_json(&s[i], mp));
		}
		json_print(arr);
		json_object_put(arr);
	} else {
		for (i = 0; i < nr; i++) {
			mp = stats_mountpoint(&ms, &s[i]);
			print_stats(&s[i], or_dash(mp));
		}
	}
	mounts_free(&ms);
	nl_stats_free(s, nr);
	return EXIT_SUCCESS;
}

struct monitor {
	struct ctl *ctl;
	unsigned long seen;
};

/* Length of the valid UTF-8 sequence at @s (of at most @n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* beyond U+10FFFF */
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Would the character at @s (@len bytes of valid UTF-8) steer a terminal
 * or hide text? C0 and C1 controls, DEL, and the bidirectional
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
 */
static bool utf8_is_control(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (len == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	if (len == 3 && s[0] == 0xe2 && s[1] == 0x80)
		return s[2] >= 0xaa && s[2] <= 0xae;
	if (len == 3 && s[0] == 0xe2 && s[1] == 0x81)
		return s[2] >= 0xa6 && s[2] <= 0xa9;
	return false;
}

/*
 * Print @s for a terminal: what a container chose (file names in
 * copy-up events) must not reach it raw. Controls, bytes that are not
 * UTF-8, white space and the backslash itself become \xHH, so a line
 * stays one event and its " key=value" fields stay apart.
 */
static void print_escaped(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), len, i;

	while (n) {
		len = utf8_len(s, n);
		if (!len || utf8_is_control(s, len) || s[0] == ' ' ||
		    s[0] == '\\') {
			len = len ? len : 1;
			for (i = 0; i < len; i++)
				printf("\\x%02x", s[i]);
		} else {
			fwrite(s, 1, len, stdout);
		}
		s += len;
		n -= len;
	}
}

/* monitor --json: one event. */
static struct json_object *nl_event_json(const struct nl_event *ev)
{
	struct json_object *o = json_object_new_object();
	const char *name = nl_event_name(ev->type);

	if (nl_has(ev, LAYERFS_EVENT_A_TYPE))
		json_object_object_add(o, "type", name ?
				       json_object_new_string(name) :
				       json_object_new_int64(ev->type));
	jadd_str(o, "layer", ev->layer);
	jadd_u64(o, "mount_id", nl_has(ev, LAYERFS_EVENT_A_MOUNT_ID),
		 ev->mount_id);
	jadd_str(o, "path", ev->path);
	jadd_u64(o, "bytes", nl_has(ev, LAYERFS_EVENT_A_BYTES), ev->bytes);
	jadd_u64(o, "ns", nl_has(ev, LAYERFS_EVENT_A_NS), ev->ns);
	jadd_u32(o, "dropped", nl_has(ev, LAYERFS_EVENT_A_DROPPED),
		 ev->dropped);
	return o;
}

/* " key=value" of a text event line, both escaped for a terminal. */
static void print_field(const char *key, const char *val)
{
	putchar(' ');
	print_escaped(key);
	putchar('=');
	print_escaped(val);
}

static void print_u64_field(const char *key, bool has, __u64 v)
{
	char buf[32];

	if (!has)
		return;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	print_field(key, buf);
}

/* monitor: "TIME TYPE key=value...", the fields as in nl_event_json(). */
static void print_event_text(const struct nl_event *ev)
{
	const char *name = nl_event_name(ev->type);
	struct timespec ts;
	char type[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld.%03ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	snprintf(type, sizeof(type), "%u", ev->type);
	print_escaped(!nl_has(ev, LAYERFS_EVENT_A_TYPE) ? "-" :
		      name ? name : type);
	if (ev->layer)
		print_field("layer", ev->layer);
	print_u64_field("mount_id", nl_has(ev, LAYERFS_EVENT_A_MOUNT_ID),
			ev->mount_id);
	if (ev->path)
		print_field("path", ev->path);
	print_u64_field("bytes", nl_has(ev, LAYERFS_EVENT_A_BYTES), ev->bytes);
	print_u64_field("ns", nl_has(ev, LAYERFS_EVENT_A_NS), ev->ns);
	print_u64_field("dropped", nl_has(ev, LAYERFS_EVENT_A_DROPPED),
			ev->dropped);
	printf("\n");
}

static int print_event(const struct nl_event *ev, void *data)
{
	struct monitor *m = data;
	struct json_object *o;

	if (m->ctl->json) {
		o = nl_event_json(ev);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_event_text(ev);
	}
	fflush(stdout);
	return m->ctl->count && ++m->seen >= m->ctl->count;
}

static int cmd_monitor(struct ctl *ctl, int argc, char **argv)
{
	struct monitor m = { .ctl = ctl };
	struct nl nl;
	int e;

	(void)argv;
	if (argc)
		usage_error("monitor takes no arguments");
	nl_or_die(&nl);
	e = nl_join_events(&nl);
	if (e)
		nl_fail(&nl, "monitor", e);
	/* Joined: every event from now on reaches us. Say so. */
	if (ctl->ready_fd >= 0) {
		if (write(ctl->ready_fd, "\n", 1) != 1)
			err(EXIT_USAGE, "--ready-fd %d", ctl->ready_fd);
		close(ctl->ready_fd);
	}
	e = nl_monitor(&nl, print_event, &m);
	if (e)
		nl_fail(&nl, "monitor", e);
	nl_close(&nl);
	return EXIT_SUCCESS;
}

static int cmd_layers(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *arr = NULL, *o;
	struct layerfs_layer_info info;
	struct store_layer *layers;
	bool loaded, chain = argc == 1;
	size_t nr, i;
	int e;

	if (ctl->all) {
		if (argc)
			usage_error("layers --all takes no IMAGE or CONTAINER");
		return registry_layers(ctl);
	}
	if (argc > 1)
		usage_error("layers takes at most one IMAGE or CONTAINER");
	layers_of(ctl, argc, argv, &layers, &nr);
	loaded = open_registry(ctl);
	if (ctl->json)
		arr = json_object_new_array();
	else
		printf("%-26s  %-26s  %5s  %8s  %6s  %s\n", "NAME", "PARENT",
		       "DEPTH", "CHILDREN", "MOUNTS", "STATE");
	for (i = 0; i < nr; i++) {
		const struct store_layer *l = &layers[i];
		const char *state = "registered";

		e = loaded ? -kern_get_layer(ctl->fd, l->name, &info) : ENOENT;
		if (e && e != ENOENT)
			errx(EXIT_KERNEL, "layer %s: %s", l->name, strerror(e));
		/* Without an argument only what is registered is listed. */
		if (e && !chain)
			continue;
		if (e)
			state = "not registered";
		else if (strcmp((char *)info.parent, l->parent) ||
			 (info.chain_id[0] &&
			  strcmp((char *)info.chain_id, l->chain_id)))
			state = "registered differently";
		if (!ctl->json) {
			if (e)
				printf("%-26s  %-26s  %5s  %8s  %6s  %s\n",
				       l->name, or_dash(l->parent), "-", "-",
				       "-", state);
			else
				printf("%-26s  %-26s  %5u  %8u  %6u  %s\n",
				       l->name, or_dash((char *)info.parent),
				       info.depth, info.children, info.mounts,
				       state);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(l->name));
		json_object_object_add(o, "registered",
				       json_object_new_boolean(!e));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "cache_id",
				       json_object_new_string(l->cache_id));
		if (!e)
			info_json(o, &info);
		json_object_array_add(arr, o);
	}
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	free(layers);
	return EXIT_SUCCESS;
}

static int cmd_rm(struct ctl *ctl, int argc, char **argv)
{
	struct layerfs_layer_info info;
	int i, e, ret = EXIT_SUCCESS;

	if (!argc)
		usage_error("rm takes layer names");
	for (i = 0; i < argc; i++)
		if (!kern_valid_name(argv[i]))
			usage_error("'%s' is not a layer name", argv[i]);
	if (!open_registry(ctl))
		errx(EXIT_KERNEL, "%s: not registered (layerfs is not loaded)",
		     argv[0]);
	for (i = 0; i < argc; i++) {
		e = -kern_del_layer(ctl->fd, argv[i]);
		if (!e) {
			if (ctl->verbose)
				warnx("removed %s", argv[i]);
			continue;
		}
		ret = EXIT_KERNEL;
		if (e == ENOENT)
			warnx("%s: not registered", argv[i]);
		else if (e == EBUSY && !kern_get_layer(ctl->fd, argv[i], &info))
			warnx("%s: in use by %u child layer(s) and %u mount(s)",
			      argv[i], info.children, info.mounts);
		else
			warnx("%s: %s", argv[i], strerror(e));
	}
	return ret;
}

struct prune_item {
	const char *name;
	unsigned int depth;
};

static int prune_cmp(const void *a, const void *b)
{
	const struct prune_item *x = a, *y = b;

	return (x->depth < y->depth) - (x->depth > y->depth);
}

/*
 * Is the registered layer @info this store's layer @l? Short names are
 * only unique within a store (a copied data root has the same ones), so
 * the parent and the chain ID must be the store's, and the directory
 * the kernel holds (its path in the registry dump, @reg) must be the
 * store's directory of the layer: the same device and inode. A path the
 * kernel cannot show us (another mount namespace) is not ours.
 * 1 ours, 0 not ours, -1 cannot tell: a directory cannot be opened or
 * no longer exists (said, naming the file, even without --verbose).
 */
static int registered_from_store(struct ctl *ctl, const struct nl_layer *reg,
				 size_t nreg, const struct store_layer *l,
				 const struct layerfs_layer_info *info)
{
	struct stat ours, theirs;
	const char *path = NULL;
	size_t i;

	if (strcmp((char *)info->parent, l->parent) ||
	    strcmp((char *)info->chain_id, l->chain_id))
		return 0;
	for (i = 0; !path && i < nreg; i++)
		if (reg[i].name && !strcmp(reg[i].name, l->name))
			path = reg[i].path;
	if (!path || path[0] != '/')
		return 0;
	/* Kept, but not silently: whoever prunes learns why. */
	if (fstatat(AT_FDCWD, path, &theirs, AT_SYMLINK_NOFOLLOW)) {
		warn("kept %s: %s", l->name, path);
		return -1;
	}
	if (store_layer_stat(&ctl->st, l, &ours)) {
		warnx("kept %s: %s", l->name, ctl->st.err);
		return -1;
	}
	return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

static int cmd_prune(struct ctl *ctl, int argc, char **argv)
{
	struct layerfs_layer_info info;
	struct store_layer *layers;
	struct prune_item *items;
	struct nl_layer *reg;
	size_t nr, nreg, n = 0, i, removed = 0;
	char path[PATH_MAX];
	struct nl nl;
	int e, ours;

	if (argc)
		usage_error("prune takes no arguments");
	layers_of(ctl, 0, argv, &layers, &nr);
	if (!open_registry(ctl)) {
		free(layers);
		return EXIT_SUCCESS;
	}
	items = calloc(nr ? nr : 1, sizeof(*items));
	if (!items)
		err(EXIT_USAGE, "cannot allocate memory");
	nl_or_die(&nl);
	e = nl_get_layers(&nl, &reg, &nreg);
	if (e)
		nl_fail(&nl, "layers", e);
	nl_close(&nl);
	for (i = 0; i < nr; i++) {
		e = -kern_get_layer(ctl->fd, layers[i].name, &info);
		if (e == ENOENT)
			continue;
		if (e)
			errx(EXIT_KERNEL, "layer %s: %s", layers[i].name,
			     strerror(e));
		ours = registered_from_store(ctl, reg, nreg, &layers[i], &info);
		if (ours < 0)
			continue;
		if (!ours) {
			store_layer_path(&ctl->st, &layers[i], path, sizeof(path));
			if (ctl->verbose)
				warnx("kept %s: registered from another directory than %s",
				      layers[i].name, path);
			continue;
		}
		items[n].name = layers[i].name;
		items[n++].depth = info.depth;
	}
	/* Top-down: children go before their parents. */
	qsort(items, n, sizeof(*items), prune_cmp);
	for (i = 0; i < n; i++) {
		e = -kern_del_layer(ctl->fd, items[i].name);
		if (e == EBUSY || e == ENOENT) {
			if (ctl->verbose)
				warnx("kept %s: %s", items[i].name,
				      e == EBUSY ? "in use" : "gone");
			continue;
		}
		if (e)
			errx(EXIT_KERNEL, "layer %s: %s", items[i].name,
			     strerror(e));
		removed++;
		if (ctl->verbose)
			warnx("removed %s", items[i].name);
	}
	if (ctl->verbose)
		warnx("%zu layer(s) removed", removed);
	nl_layers_free(reg, nreg);
	free(items);
	free(layers);
	return EXIT_SUCCESS;
}

/* ---- images, ps --------------------------------------------------------- */

static long long chain_size(const struct store_chain *c)
{
	long long sum = 0;
	size_t i;

	for (i = 0; i < c->nr; i++) {
		if (c->layers[i].size < 0)
			return -1;
		sum += c->layers[i].size;
	}
	return sum;
}

static int cmd_images(struct ctl *ctl, int argc, char **argv)
{
	struct store_id *ids;
	char refs[4096], created[64], id[STORE_KEY_SIZE];
	struct json_object *arr = NULL, *o;
	struct store_chain c;
	size_t nr, i;
	long long size;

	(void)argv;
	if (argc)
		usage_error("images takes no arguments");
	store_or_die(ctl);
	raise_nofile();
	if (store_list_images(&ctl->st, &ids, &nr))
		errx(EXIT_STORE, "%s", ctl->st.err);
	if (ctl->json)
		arr = json_object_new_array();
	else
		printf("%-12s  %-40s  %6s  %10s  %s\n", "IMAGE ID", "REFERENCES",
		       "LAYERS", "SIZE", "CREATED");
	for (i = 0; i < nr; i++) {
		/* every image is verified as inspect verifies it */
		if (store_image_chain(&ctl->st, ids[i].id, &c))
			errx(EXIT_STORE, "%s", ctl->st.err);
		snprintf(id, sizeof(id), "%s", c.id);
		if (store_image_refs(&ctl->st, id, refs, sizeof(refs)) ||
		    store_image_created(&ctl->st, ids[i].id, created,
					sizeof(created)))
			errx(EXIT_STORE, "%s", ctl->st.err);
		size = chain_size(&c);
		if (arr) {
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "references", json_str_or_null(refs));
			json_object_object_add(o, "layers",
					       json_object_new_int64(c.nr));
			json_object_object_add(o, "size", size < 0 ? NULL :
					       json_object_new_int64(size));
			json_object_object_add(o, "created",
					       json_str_or_null(created));
			json_object_object_add(o, "top_layer",
					       json_object_new_string(c.layers[c.nr - 1].name));
			json_object_array_add(arr, o);
		} else {
			char sz[32];

			snprintf(sz, sizeof(sz), "%lld", size);
			printf("%-12.12s  %-40s  %6zu  %10s  %s\n", hex_of(id),
			       refs[0] ? refs : "<none>", c.nr,
			       size < 0 ? "-" : sz, or_dash(created));
		}
		store_chain_free(&c);
	}
	free(ids);
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	return EXIT_SUCCESS;
}

static int cmd_ps(struct ctl *ctl, int argc, char **argv)
{
	struct store_id *ids;
	struct json_object *arr = NULL, *o;
	struct store_container m;
	struct store_chain c;
	const char *image;
	size_t nr, i;
	int ret = EXIT_SUCCESS, have;

	(void)argv;
	if (argc)
		usage_error("ps takes no arguments");
	store_or_die(ctl);
	raise_nofile();
	if (store_list_containers(&ctl->st, &ids, &nr))
		errx(EXIT_STORE, "%s", ctl->st.err);
	if (ctl->json)
		arr = json_object_new_array();
	else
		printf("%-12s  %-24s  %-24s  %-12s  %-26s  %s\n", "CONTAINER ID",
		       "NAME", "IMAGE", "STATE", "INIT LAYER", "MOUNT ID");
	for (i = 0; i < nr; i++) {
		if (store_container_chain(&ctl->st, ids[i].id, &c))
			errx(EXIT_STORE, "%s", ctl->st.err);
		have = store_container_meta(&ctl->st, ids[i].id, &m);
		if (have < 0) {
			/* the layers are fine: list it, and say what is not */
			warnx("%s", ctl->st.err);
			ret = EXIT_STORE;
		}
		image = m.image_ref[0] ? m.image_ref : m.image;
		if (arr) {
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(ids[i].id));
			json_object_object_add(o, "name", json_str_or_null(m.name));
			json_object_object_add(o, "image", json_str_or_null(m.image));
			json_object_object_add(o, "image_ref",
					       json_str_or_null(m.image_ref));
			json_object_object_add(o, "state", json_str_or_null(m.state));
			json_object_object_add(o, "created",
					       json_str_or_null(m.created));
			json_object_object_add(o, "mount_id",
					       json_object_new_string(c.mount_id));
			json_object_object_add(o, "init_layer",
					       json_str_or_null(init_layer(&c)));
			json_object_object_add(o, "layers",
					       json_object_new_int64(c.nr));
			json_object_array_add(arr, o);
		} else {
			printf("%-12.12s  %-24s  %-24.24s  %-12s  %-26s  %.12s\n",
			       ids[i].id, or_dash(m.name), or_dash(image),
			       or_dash(m.state), or_dash(init_layer(&c)),
			       c.mount_id);
		}
		store_chain_free(&c);
	}
	free(ids);
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	return ret;
}

/* ---- explain ----------------------------------------------------------- */

/* One path's answer (LAYERFS_IOC_EXPLAIN) and what the store adds. */
struct explain {
	const char *arg;		/* as given */
	struct layerfs_explain e;
	struct layerfs_explain_layer *l;	/* NULL: not permitted */
	__u32 nl;
	int fd;				/* the object, or its directory */
	char mnt[PATH_MAX];		/* mount point, "" if unseen */
	char rel[PATH_MAX];		/* path in the mount, "" if unknown */
	char why[PATH_MAX + 64];	/* the failure */
};

/* The store's layers, listed once, to name the layers of a registry mount. */
struct explain_store {
	bool tried;
	struct store_layer *layers;
	size_t nr;
};

static const struct store_layer *explain_store_layer(struct ctl *ctl,
						     struct explain_store *es,
						     const char *name)
{
	size_t i;

	if (!name[0])
		return NULL;
	if (!es->tried) {
		es->tried = true;
		if (!ctl->st.root &&
		    store_open(&ctl->st, ctl->root, ctl->kind, ctl->ns)) {
			if (ctl->verbose)
				warnx("no store to name layers: %s", ctl->st.err);
			return NULL;
		}
		if (store_list_layers(&ctl->st, &es->layers, &es->nr)) {
			if (ctl->verbose)
				warnx("%s", ctl->st.err);
			es->nr = 0;
		}
	}
	for (i = 0; i < es->nr; i++)
		if (!strcmp(es->layers[i].name, name))
			return &es->layers[i];
	return NULL;
}

static const char *explain_type(__u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return "file";
	case S_IFDIR:	return "directory";
	case S_IFLNK:	return "symbolic link";
	case S_IFCHR:	return "character device";
	case S_IFBLK:	return "block device";
	case S_IFIFO:	return "fifo";
	case S_IFSOCK:	return "socket";
	}
	return "object";
}

static const char *explain_kind(const struct layerfs_explain_layer *l)
{
	switch (l->kind) {
	case LAYERFS_KIND_OBJECT:	return explain_type(l->mode);
	case LAYERFS_KIND_DIR:		return "directory";
	case LAYERFS_KIND_OPAQUE_DIR:	return "opaque directory";
	case LAYERFS_KIND_WHITEOUT:	return "whiteout";
	}
	return "?";
}

static const char *explain_role(__u32 role)
{
	switch (role) {
	case LAYERFS_ROLE_SHOWN:	return "shown";
	case LAYERFS_ROLE_MERGED:	return "merged";
	case LAYERFS_ROLE_HIDDEN:	return "hidden";
	case LAYERFS_ROLE_HIDES:	return "hides";
	}
	return "?";
}

/* The first @depth components of the path in the mount, "." for none. */
static const char *explain_at(const struct explain *x, __u32 depth, char *buf,
			      size_t size)
{
	const char *p = x->rel;

	if (!x->rel[0] && x->e.depth)
		return NULL;
	if (!depth)
		return ".";
	while (*p && depth--) {
		p = strchrnul(p, '/');
		if (depth && *p)
			p++;
	}
	snprintf(buf, size, "%.*s", (int)(p - x->rel), x->rel);
	return buf;
}

/* The ioctl, with every layer's findings if we may; -errno. */
static int explain_ioctl(struct explain *x, const char *name)
{
	struct layerfs_explain_layer *l;
	__u32 room = 64;

	l = calloc(room, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (;;) {
		memset(&x->e, 0, sizeof(x->e));
		x->e.size = sizeof(x->e);
		x->e.flags = LAYERFS_EXPLAIN_LAYERS;
		snprintf((char *)x->e.name, sizeof(x->e.name), "%s", name);
		x->e.layers = (uintptr_t)l;
		x->e.layers_room = room;
		if (ioctl(x->fd, LAYERFS_IOC_EXPLAIN, &x->e)) {
			free(l);
			if (errno != EPERM)
				return -errno;
			/* the union's own answer needs no privilege */
			x->e.flags = 0;
			x->e.layers = 0;
			x->e.layers_room = 0;
			return ioctl(x->fd, LAYERFS_IOC_EXPLAIN, &x->e) ? -errno : 0;
		}
		if (x->e.layers_total <= room)
			break;
		/* more than we had room for: again, with room for all */
		free(l);
		room = x->e.layers_total;
		l = calloc(room, sizeof(*l));
		if (!l)
			return -ENOMEM;
	}
	x->l = l;
	x->nl = x->e.layers_total;
	return 0;
}

/* Is directory @name of directory @dfd the root of another mount? */
static bool is_mount_root(int dfd, const char *name)
{
	struct statx st, pst;

	return !statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID,
		      &st) && S_ISDIR(st.stx_mode) &&
	       !statx(dfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &pst) &&
	       st.stx_mnt_id != pst.stx_mnt_id;
}

/* Components of a relative path ("a/b": 2). */
static __u32 explain_depth(const char *rel)
{
	const char *p;
	__u32 n = 0;

	for (p = rel; *p; p++)
		if (*p != '/' && (p == rel || p[-1] == '/'))
			n++;
	return n;
}

/*
 * Ask about @x->arg: the ioctl goes to its directory with the last
 * component as the name (so that a symbolic link, a name the union does
 * not have and a file we may not open can be explained), or to the path
 * itself when it is the root of a mount. 0, or -1 with @x->why.
 */
static int explain_path(struct explain *x)
{
	char path[PATH_MAX], dir[PATH_MAX], full[PATH_MAX], *slash;
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	const char *name, *mp;
	struct stat dst;
	bool seen;
	size_t len;
	int ret;

	x->fd = -1;
	snprintf(path, sizeof(path), "%s", x->arg);
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	slash = strrchr(path, '/');
	name = slash ? slash + 1 : path;
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(path, "/")) {
		if (!realpath(path, full)) {
			snprintf(x->why, sizeof(x->why), "%s", strerror(errno));
			return -1;
		}
		snprintf(path, sizeof(path), "%s", full);
		slash = strrchr(path, '/');
		name = slash + 1;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
			 (int)(slash - path), path);

	x->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->fd < 0 || fstat(x->fd, &dst)) {
		snprintf(x->why, sizeof(x->why), "%s: %s", dir, strerror(errno));
		return -1;
	}
	/*
	 * A mount root (or "/"): ask the directory itself. By mount ID, not
	 * st_dev: a bind mount of the union's own directory inside it has
	 * the union's st_dev.
	 */
	if (!*name || is_mount_root(x->fd, name)) {
		close(x->fd);
		x->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (x->fd < 0 || fstat(x->fd, &dst)) {
			snprintf(x->why, sizeof(x->why), "%s", strerror(errno));
			return -1;
		}
		snprintf(dir, sizeof(dir), "%s", path);
		name = "";
	}
	ret = explain_ioctl(x, name);
	if (ret) {
		snprintf(x->why, sizeof(x->why), "%s", ret == -ENOTTY ?
			 "not on a layerfs mount" : strerror(-ret));
		return -1;
	}

	/*
	 * The path in the union, for the findings of each layer: below the
	 * mount point of the mount the path is on, after that mount's root
	 * in the union ("/c" for a bind mount of the union's directory c).
	 * @x->mnt: where the union's root is mounted.
	 */
	tb = read_mountinfo();
	mp = mountpoint_of(tb, nl_encode_dev(major(dst.st_dev),
					     minor(dst.st_dev)));
	if (mp)
		snprintf(x->mnt, sizeof(x->mnt), "%s", mp);
	fs = mount_of_fd(tb, x->fd);
	seen = fs && mnt_fs_get_target(fs) && mnt_fs_get_root(fs);
	if (seen && realpath(dir, full)) {
		const char *target = mnt_fs_get_target(fs);
		const char *root = mnt_fs_get_root(fs);
		size_t mlen = strcmp(target, "/") ? strlen(target) : 0;

		root += strspn(root, "/");
		if (!strncmp(full, target, mlen) &&
		    (full[mlen] == '/' || !full[mlen])) {
			const char *below = full[mlen] ? full + mlen + 1 : "";

			snprintf(x->rel, sizeof(x->rel), "%s%s%s%s%s", root,
				 *root && *below ? "/" : "", below,
				 (*root || *below) && *name ? "/" : "", name);
		}
	}
	mnt_unref_table(tb);
	/*
	 * Only as deep as the kernel says the object is: a bind mount of a
	 * directory of the union has a mount point but not the union's root
	 * there, and its path is then not known.
	 */
	if (x->l && x->rel[0] && explain_depth(x->rel) != x->e.depth)
		x->rel[0] = '\0';
	return 0;
}

/* "layer N" in words: the upper layer, or lower layer N of M. */
static const char *explain_layer_words(const struct explain *x, __u32 layer,
				       char *buf, size_t size)
{
	if (!layer)
		return "the upper layer";
	snprintf(buf, size, "lower layer %u of %u", layer, x->e.numlayer - 1);
	return buf;
}

/* What the store knows of a registered layer: " (NAME, diff ID ..., created by `...`)". */
static void explain_layer_desc(struct ctl *ctl, struct explain_store *es,
			       const char *name, char *buf, size_t size)
{
	const struct store_layer *sl = explain_store_layer(ctl, es, name);
	char by[1024];
	size_t o;

	buf[0] = '\0';
	if (!name[0])
		return;
	o = snprintf(buf, size, " (%s", name);
	if (sl && sl->diff_id[0])
		o += snprintf(buf + o, size - o, ", diff ID %s", sl->diff_id);
	if (sl && sl->init)
		o += snprintf(buf + o, size - o, ", the container's init layer");
	if (sl && sl->chain_id[0] &&
	    store_layer_created_by(&ctl->st, sl->chain_id, by, sizeof(by)) > 0)
		o += snprintf(buf + o, size - o, ", created by `%s`", by);
	snprintf(buf + o, size - o, ")");
}

/* sha256 of a finding's object, or NULL: the shown one through the union. */
static const char *explain_hash(struct ctl *ctl, struct explain_store *es,
				const struct explain *x,
				const struct layerfs_explain_layer *l,
				char out[STORE_HEX_LEN + 1])
{
	const struct store_layer *sl;
	int fd;

	if (l->kind != LAYERFS_KIND_OBJECT || !S_ISREG(l->mode) ||
	    l->depth != x->e.depth)
		return NULL;
	if (l->role == LAYERFS_ROLE_SHOWN) {
		const char *name = (const char *)x->e.name;
		bool ok;

		fd = openat(x->fd, name[0] ? name : ".", O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		ok = !store_fd_sha256(fd, out);
		close(fd);
		return ok ? out : NULL;
	}
	sl = explain_store_layer(ctl, es, (const char *)l->layer_name);
	if (!sl || !x->rel[0] ||
	    store_layer_file_sha256(&ctl->st, sl, x->rel, out))
		return NULL;
	return out;
}

static void explain_flag(struct json_object *o, const char *key,
			 const struct explain *x, __u32 bit)
{
	json_object_object_add(o, key,
			       json_object_new_boolean(x->e.result & bit));
}

static struct json_object *explain_json(struct ctl *ctl,
					struct explain_store *es,
					const struct explain *x)
{
	struct json_object *o = json_object_new_object(), *arr, *f;
	const struct store_layer *sl;
	char at[PATH_MAX], hash[STORE_HEX_LEN + 1], by[1024];
	const char *p;
	bool pos = x->e.result & LAYERFS_EXPLAIN_R_POSITIVE;
	__u32 i;

	json_object_object_add(o, "path", json_object_new_string(x->arg));
	json_object_object_add(o, "mountpoint", json_str_or_null(x->mnt));
	json_object_object_add(o, "relpath", x->rel[0] || !x->e.depth ?
			       json_object_new_string(x->rel) : NULL);
	json_object_object_add(o, "in_union", json_object_new_boolean(pos));
	json_object_object_add(o, "type", pos ?
			       json_object_new_string(explain_type(x->e.mode)) :
			       NULL);
	json_object_object_add(o, "lower_layers",
			       json_object_new_int64(x->e.numlayer - 1));
	explain_flag(o, "registry", x, LAYERFS_EXPLAIN_R_REGISTRY);
	json_object_object_add(o, "layer", pos ?
			       json_object_new_int64(x->e.layer) : NULL);
	explain_flag(o, "upper", x, LAYERFS_EXPLAIN_R_UPPER);
	json_object_object_add(o, "copied_up_from",
			       x->e.result & LAYERFS_EXPLAIN_R_COPIED_UP ?
			       json_object_new_int64(x->e.origin) : NULL);
	explain_flag(o, "merged", x, LAYERFS_EXPLAIN_R_MERGED);
	explain_flag(o, "opaque", x, LAYERFS_EXPLAIN_R_OPAQUE);
	json_object_object_add(o, "layer_name",
			       json_str_or_null((const char *)x->e.layer_name));
	json_object_object_add(o, "chain_id",
			       json_str_or_null((const char *)x->e.chain_id));
	sl = explain_store_layer(ctl, es, (const char *)x->e.layer_name);
	json_object_object_add(o, "diff_id", sl ? json_str_or_null(sl->diff_id) :
			       NULL);
	json_object_object_add(o, "created_by", sl && sl->chain_id[0] &&
			       store_layer_created_by(&ctl->st, sl->chain_id, by,
						      sizeof(by)) > 0 ?
			       json_object_new_string(by) : NULL);
	if (!x->l) {
		json_object_object_add(o, "layers", NULL);
		return o;
	}
	arr = json_object_new_array();
	for (i = 0; i < x->nl; i++) {
		const struct layerfs_explain_layer *l = &x->l[i];
		char mode[8];

		f = json_object_new_object();
		snprintf(mode, sizeof(mode), "%04o", l->mode & 07777);
		json_object_object_add(f, "layer", json_object_new_int64(l->layer));
		json_object_object_add(f, "layer_name",
				       json_str_or_null((const char *)l->layer_name));
		json_object_object_add(f, "kind",
				       json_object_new_string(explain_kind(l)));
		json_object_object_add(f, "role",
				       json_object_new_string(explain_role(l->role)));
		json_object_object_add(f, "depth", json_object_new_int64(l->depth));
		p = explain_at(x, l->depth, at, sizeof(at));
		json_object_object_add(f, "at", p ? json_object_new_string(p) : NULL);
		json_object_object_add(f, "mode", json_object_new_string(mode));
		json_object_object_add(f, "size", json_object_new_int64(l->size));
		if (ctl->all) {
			p = explain_hash(ctl, es, x, l, hash);
			json_object_object_add(f, "sha256", p ?
					       json_object_new_string(p) : NULL);
		}
		json_object_array_add(arr, f);
	}
	json_object_object_add(o, "layers", arr);
	return o;
}

/* The layers of findings with @role at the whole path, as "1, 3 and 4". */
static void explain_list(const struct explain *x, __u32 role, char *buf,
			 size_t size)
{
	__u32 i, n = 0, k = 0;
	size_t o = 0;

	buf[0] = '\0';
	for (i = 0; i < x->nl; i++)
		n += x->l[i].role == role && x->l[i].depth == x->e.depth;
	for (i = 0; i < x->nl; i++) {
		if (x->l[i].role != role || x->l[i].depth != x->e.depth)
			continue;
		o += snprintf(buf + o, size - o, "%s%u", !k ? "" :
			      k == n - 1 ? " and " : ", ", x->l[i].layer);
		k++;
		if (o >= size)
			break;
	}
}

static void explain_text(struct ctl *ctl, struct explain_store *es,
			 const struct explain *x)
{
	bool pos = x->e.result & LAYERFS_EXPLAIN_R_POSITIVE;
	char words[64], desc[2048], list[1024], at[PATH_MAX], hash[STORE_HEX_LEN + 1];
	const char *p;
	__u32 i;

	printf("%s: ", x->arg);
	if (!pos) {
		printf("not in the union\n");
	} else if (x->e.result & LAYERFS_EXPLAIN_R_COPIED_UP) {
		explain_layer_desc(ctl, es, "", desc, sizeof(desc));
		for (i = 0; i < x->nl; i++)
			if (x->l[i].layer == x->e.origin)
				explain_layer_desc(ctl, es,
						   (const char *)x->l[i].layer_name,
						   desc, sizeof(desc));
		printf("%s in the upper layer, copied up from %s%s\n",
		       explain_type(x->e.mode),
		       explain_layer_words(x, x->e.origin, words, sizeof(words)),
		       desc);
	} else if (x->e.result & LAYERFS_EXPLAIN_R_UPPER) {
		printf("%s in the upper layer, made there\n",
		       explain_type(x->e.mode));
	} else {
		explain_layer_desc(ctl, es, (const char *)x->e.layer_name,
				   desc, sizeof(desc));
		printf("%s from %s%s\n", explain_type(x->e.mode),
		       explain_layer_words(x, x->e.layer, words, sizeof(words)),
		       desc);
	}
	if (!x->l) {
		if (x->e.result & LAYERFS_EXPLAIN_R_MERGED)
			printf("  a merged directory\n");
		printf("  (what the layers hide needs CAP_SYS_ADMIN)\n");
		return;
	}
	explain_list(x, LAYERFS_ROLE_MERGED, list, sizeof(list));
	if (list[0])
		printf("  merged with lower layer%s %s\n",
		       strchr(list, ' ') ? "s" : "", list);
	for (i = 0; i < x->nl; i++) {
		const struct layerfs_explain_layer *l = &x->l[i];

		if (l->role != LAYERFS_ROLE_HIDES)
			continue;
		p = explain_at(x, l->depth, at, sizeof(at));
		printf("  the %s %s%s%s in %s ends the merge there\n",
		       explain_kind(l), p ? "'" : "", p ? p : "", p ? "'" : "",
		       explain_layer_words(x, l->layer, words, sizeof(words)));
	}
	if (x->e.result & LAYERFS_EXPLAIN_R_OPAQUE)
		printf("  opaque: the layers below add nothing to it\n");
	explain_list(x, LAYERFS_ROLE_HIDDEN, list, sizeof(list));
	if (list[0])
		printf("  also in lower layer%s %s (hidden)\n",
		       strchr(list, ' ') ? "s" : "", list);
	if (!ctl->all)
		return;
	printf("  %-5s  %-6s  %-16s  %4s  %10s  %-64s  %s\n", "LAYER", "ROLE",
	       "KIND", "MODE", "SIZE", "SHA256", "AT");
	for (i = 0; i < x->nl; i++) {
		const struct layerfs_explain_layer *l = &x->l[i];

		snprintf(words, sizeof(words), "%u", l->layer);
		p = explain_at(x, l->depth, at, sizeof(at));
		printf("  %-5s  %-6s  %-16s  %04o  %10llu  %-64s  %s\n",
		       l->layer ? words : "upper", explain_role(l->role),
		       explain_kind(l), l->mode & 07777,
		       (unsigned long long)l->size,
		       or_dash(explain_hash(ctl, es, x, l, hash)), or_dash(p));
	}
}

/* ---- explain --layer: what one layer changes ------------------------- */

/*
 * The layers are read through LAYERFS_IOC_OPEN_LAYER descriptors of
 * their roots, as they are on disk, and merged here with the union's
 * rules (lfs_lookup(), the kernel's explain walk): at each level of a
 * path, the layers of the parent's stack that hold a directory there, top
 * down until one is opaque; a whiteout or a non-directory ends the stack,
 * and a non-directory wins only if no directory came before it.
 */

enum ldiff_kind { LK_NONE, LK_WHITEOUT, LK_DIR, LK_OPAQUE, LK_OTHER };

/* What went wrong in the walk, with the layer and the file. */
static char ldiff_err[PATH_MAX + 128];

/* An overlay xattr of the object open at @ofd: 1 with @val, 0 none, -errno. */
static int ldiff_xattr(int ofd, const char *name, char *val, size_t size)
{
	char proc[64];
	ssize_t n;

	/* the O_PATH descriptor's own object: the magic link is followed */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ofd);
	n = getxattr(proc, name, val, size);
	if (n >= 0)
		return 1;
	if (errno == ENODATA || errno == EOPNOTSUPP || errno == ERANGE)
		return errno == ERANGE;
	return -errno;
}

/*
 * What layer @layer (root @fd) holds at @path: @kind LK_NONE if nothing;
 * 0, or -errno with ldiff_err.
 */
static int ldiff_kind(int fd, int layer, const char *path, struct stat *st,
		      enum ldiff_kind *kind)
{
	char val[2] = "";
	int ofd, ret = 0;

	*kind = LK_NONE;
	/* a layer that changes while it is read cannot lead out of it */
	ofd = store_open_beneath(fd, path, O_PATH | O_NOFOLLOW);
	if (ofd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;	/* gone, or under what is no dir now */
		ret = -errno;
		snprintf(ldiff_err, sizeof(ldiff_err), "layer %d, %s: %s%s",
			 layer, path, strerror(errno), errno == ELOOP ?
			 " (a symbolic link where a directory was: the layer changed)" :
			 "");
		return ret;
	}
	if (fstat(ofd, st)) {
		ret = -errno;
		goto out_err;
	}
	if (S_ISCHR(st->st_mode) && !st->st_rdev) {
		*kind = LK_WHITEOUT;
	} else if (S_ISREG(st->st_mode) && !st->st_size) {
		/* an xattr whiteout (overlayfs 6.7+), as lookup takes it */
		ret = ldiff_xattr(ofd, "trusted.overlay.whiteout", val,
				  sizeof(val));
		*kind = ret > 0 ? LK_WHITEOUT : LK_OTHER;
	} else if (S_ISDIR(st->st_mode)) {
		ret = ldiff_xattr(ofd, "trusted.overlay.opaque", val,
				  sizeof(val));
		*kind = ret > 0 && val[0] == 'y' ? LK_OPAQUE : LK_DIR;
	} else {
		*kind = LK_OTHER;
	}
	if (ret >= 0) {
		close(ofd);
		return 0;
	}
out_err:
	snprintf(ldiff_err, sizeof(ldiff_err), "layer %d, %s: %s%s", layer,
		 path, strerror(-ret), ret == -ENOENT ?
		 " (its xattrs are read through /proc/self/fd: is /proc mounted?)" :
		 "");
	close(ofd);
	return ret;
}

/* What layers [@from, @to) make of @path, and of layer @want's copy. */
struct ldiff_view {
	int top;		/* layer of the union's object, -1: none */
	struct stat st;		/* ... its stat */
	int hidden_by;		/* @want's copy is hidden by this layer, or -1 */
};

static int ldiff_lookup(const int *fds, int from, int to, const char *path,
			int want, struct ldiff_view *v)
{
	int *stack, *next, *mem, n = 0, nn, i, brk, ret = 0;
	const char *p = path;
	char pre[PATH_MAX];

	mem = calloc(2 * (size_t)(to - from + 1), sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	stack = mem;
	next = mem + (to - from + 1);
	for (i = from; i < to; i++)
		if (fds[i] >= 0)
			stack[n++] = i;
	v->top = -1;
	v->hidden_by = -1;
	while (n && *p) {
		const char *end = strchrnul(p, '/');
		bool last = !*end, nondir = false, in = false, reached = false;
		enum ldiff_kind wk = LK_NONE;
		struct stat st;
		int *t;

		snprintf(pre, sizeof(pre), "%.*s", (int)(end - path), path);
		for (i = 0, nn = 0; i < n; i++) {
			int l = stack[i];
			enum ldiff_kind k;

			ret = ldiff_kind(fds[l], l, pre, &st, &k);
			if (ret)
				goto out;
			if (k == LK_NONE)
				continue;
			if (l == want) {
				reached = true;
				wk = k;
			}
			if (k == LK_WHITEOUT)
				break;
			if (k == LK_OTHER) {
				if (!nn) {
					v->st = st;
					next[nn++] = l;
					nondir = true;
				}
				break;
			}
			if (!nn)
				v->st = st;
			next[nn++] = l;
			if (k == LK_OPAQUE)
				break;
		}
		brk = i < n ? stack[i] : -1;
		for (i = 0; i < n; i++)
			in |= stack[i] == want;
		/* ended above @want by a whiteout, opaque dir or non-dir */
		if (in && !reached && v->hidden_by < 0)
			v->hidden_by = brk;
		/* @want's non-directory under the directory shown */
		if (reached && wk == LK_OTHER && next[0] != want &&
		    v->hidden_by < 0)
			v->hidden_by = next[0];

		t = stack;
		stack = next;
		next = t;
		n = nondir && !last ? 0 : nn;
		if (last && n)
			v->top = stack[0];
		p = last ? end : end + 1;
	}
out:
	free(mem);
	return ret;
}

/* One change of the layer, against what the layers below it show. */
struct ldiff_entry {
	char *path;			/* in the mount, no leading '/' */
	char change;			/* 'A', 'C', 'D'; '-' a whiteout of nothing */
	enum ldiff_kind kind;		/* the layer's object */
	struct stat st;
	bool below;			/* the layers below show an object */
	struct stat below_st;		/* ... this one */
	int hidden_by;			/* the union shows it (-1), or not */
};

struct ldiff {
	const int *fds;			/* layer roots, -1: none (no upper) */
	int nfds;
	int layer;
	struct ldiff_entry *e;
	size_t nr, room;
	unsigned long counts[3];	/* added, changed, deleted */
	char why[PATH_MAX + 64];
};

static int ldiff_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of directory @dir of the layer; -errno. */
static int ldiff_names(struct ldiff *d, const char *dir, char ***out,
		       size_t *nr)
{
	char **names = NULL, **grown;
	size_t n = 0, room = 0;
	struct dirent *de;
	DIR *dh;
	int fd;

	fd = store_open_beneath(d->fds[d->layer], *dir ? dir : ".",
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	dh = fd < 0 ? NULL : fdopendir(fd);
	if (!dh) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		snprintf(d->why, sizeof(d->why), "layer %d, %s: %s", d->layer,
			 *dir ? dir : ".",
			 strerror(e));
		return -e;
	}
	while ((errno = 0, de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == room) {
			room = room ? 2 * room : 32;
			grown = realloc(names, room * sizeof(*names));
			if (!grown)
				break;
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	if (errno) {
		int e = errno;

		snprintf(d->why, sizeof(d->why), "layer %d, %s: %s", d->layer,
			 *dir ? dir : ".",
			 strerror(e));
		closedir(dh);
		while (n)
			free(names[--n]);
		free(names);
		return -e;
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof(*names), ldiff_name_cmp);
	*out = names;
	*nr = n;
	return 0;
}

static bool ldiff_same_dir(const struct stat *a, const struct stat *b)
{
	return a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
	       a->st_gid == b->st_gid;
}

static int ldiff_add(struct ldiff *d, char *path, char change,
		     enum ldiff_kind kind, const struct stat *st,
		     const struct ldiff_view *below)
{
	struct ldiff_entry *e;
	struct ldiff_view vis;
	int ret;

	if (d->nr == d->room) {
		size_t room = d->room ? 2 * d->room : 64;

		e = realloc(d->e, room * sizeof(*e));
		if (!e)
			return -ENOMEM;
		d->e = e;
		d->room = room;
	}
	/* what the layers above make of it */
	ret = ldiff_lookup(d->fds, 0, d->layer + 1, path, d->layer, &vis);
	if (ret)
		return ret;
	e = &d->e[d->nr++];
	e->path = path;
	e->change = change;
	e->kind = kind;
	e->st = *st;
	e->below = below->top >= 0;
	if (e->below)
		e->below_st = below->st;
	e->hidden_by = vis.hidden_by;
	if (change == 'A')
		d->counts[0]++;
	else if (change == 'C')
		d->counts[1]++;
	else if (change == 'D')
		d->counts[2]++;
	return 0;
}

/*
 * Every object of the layer below directory @dir ("" its root), against
 * the layers below it; @cut: they add nothing there (an opaque directory,
 * or a directory over a non-directory or over nothing).
 */
static int ldiff_walk(struct ldiff *d, const char *dir, bool cut)
{
	char **names = NULL, *path;
	size_t nr = 0, i;
	int ret;

	ret = ldiff_names(d, dir, &names, &nr);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++) {
		struct ldiff_view below = { .top = -1 };
		enum ldiff_kind kind;
		bool isdir, owned = false;
		char change = 0;
		struct stat st;

		if (asprintf(&path, "%s%s%s", dir, *dir ? "/" : "",
			     names[i]) < 0) {
			ret = -ENOMEM;
			break;
		}
		ret = ldiff_kind(d->fds[d->layer], d->layer, path, &st, &kind);
		if (!ret && kind == LK_NONE)
			/* removed while we read: a live upper */
			warnx("layer %d: %s went away while it was read",
			      d->layer, path);
		if (ret || kind == LK_NONE) {
			free(path);
			if (ret)
				break;
			continue;
		}
		if (!cut) {
			ret = ldiff_lookup(d->fds, d->layer + 1, d->nfds, path,
					   -1, &below);
			if (ret) {
				free(path);
				break;
			}
		}
		isdir = kind == LK_DIR || kind == LK_OPAQUE;
		if (kind == LK_WHITEOUT)
			change = below.top >= 0 ? 'D' : '-';
		else if (below.top < 0)
			change = 'A';
		else if (kind != LK_DIR || !S_ISDIR(below.st.st_mode) ||
			 !ldiff_same_dir(&st, &below.st))
			change = 'C';
		if (change) {
			ret = ldiff_add(d, path, change, kind, &st, &below);
			if (ret) {
				free(path);
				break;
			}
			owned = true;
		}
		if (isdir)
			ret = ldiff_walk(d, path, cut || kind == LK_OPAQUE ||
					 below.top < 0 ||
					 !S_ISDIR(below.st.st_mode));
		if (!owned)
			free(path);
		if (ret)
			break;
	}
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return ret;
}

/*
 * Where a walk below directory @dir of the mount starts: @cut -1 if the
 * layer holds no directory there (nothing to list), else whether the
 * layers below add nothing there (an opaque directory of the layer on the
 * way, or no directory below). -errno.
 */
static int ldiff_start(struct ldiff *d, const char *dir, int *cut)
{
	struct ldiff_view below;
	char pre[PATH_MAX];
	const char *p = dir;
	struct stat st;
	int ret;

	*cut = 0;
	while (*p) {
		const char *end = strchrnul(p, '/');
		enum ldiff_kind k;

		snprintf(pre, sizeof(pre), "%.*s", (int)(end - dir), dir);
		ret = ldiff_kind(d->fds[d->layer], d->layer, pre, &st, &k);
		if (ret)
			return ret;
		if (k != LK_DIR && k != LK_OPAQUE) {
			/* the layer has nothing below @dir: say what it has */
			if (k != LK_NONE)
				warnx("layer %d holds %s at %s, no directory",
				      d->layer, k == LK_WHITEOUT ?
				      "a whiteout" : "a non-directory", pre);
			*cut = -1;
			return 0;
		}
		*cut |= k == LK_OPAQUE;
		p = *end ? end + 1 : end;
	}
	if (*cut || !*dir)
		return 0;
	ret = ldiff_lookup(d->fds, d->layer + 1, d->nfds, dir, -1, &below);
	if (!ret)
		*cut = below.top < 0 || !S_ISDIR(below.st.st_mode);
	return ret;
}

static void ldiff_free(struct ldiff *d)
{
	size_t i;

	for (i = 0; i < d->nr; i++)
		free(d->e[i].path);
	free(d->e);
}

static const char *ldiff_change_word(char change)
{
	switch (change) {
	case 'A':	return "added";
	case 'C':	return "changed";
	case 'D':	return "deleted";
	}
	return "none";
}

static const char *ldiff_kind_word(const struct ldiff_entry *e)
{
	switch (e->kind) {
	case LK_WHITEOUT:	return "whiteout";
	case LK_OPAQUE:		return "opaque directory";
	default:		return explain_type(e->st.st_mode);
	}
}

static void ldiff_text(struct ctl *ctl, struct explain_store *es,
		       const struct explain *x, const struct ldiff *d,
		       const char *name)
{
	char words[64], desc[2048];
	size_t i;

	explain_layer_desc(ctl, es, name, desc, sizeof(desc));
	printf("%s: %s%s\n", x->arg,
	       explain_layer_words(x, d->layer, words, sizeof(words)), desc);
	for (i = 0; i < d->nr; i++) {
		const struct ldiff_entry *e = &d->e[i];
		bool isdir = e->kind == LK_DIR || e->kind == LK_OPAQUE;

		printf("%c /", e->change);
		print_escaped(e->path);
		printf("%s  (", isdir ? "/" : "");
		if (e->change == 'D')
			printf("deletes a %s", explain_type(e->below_st.st_mode));
		else if (e->change == '-')
			printf("a whiteout of nothing");
		else if (S_ISREG(e->st.st_mode) && e->kind == LK_OTHER)
			printf("file, %llu bytes", (unsigned long long)e->st.st_size);
		else
			printf("%s", ldiff_kind_word(e));
		if (e->change == 'C' && e->kind == LK_OPAQUE)
			printf(", hides what lower layers hold in it");
		else if (e->change == 'C' && isdir &&
			 S_ISDIR(e->below_st.st_mode))
			printf(", mode or owner changed");
		else if (e->change == 'C')
			printf(", replaces a %s", explain_type(e->below_st.st_mode));
		if (e->hidden_by >= 0)
			printf("; hidden by %s",
			       explain_layer_words(x, e->hidden_by, words,
						   sizeof(words)));
		printf(")\n");
	}
	printf("%lu added, %lu changed, %lu deleted\n", d->counts[0],
	       d->counts[1], d->counts[2]);
}

static struct json_object *ldiff_json(struct ctl *ctl,
				      struct explain_store *es,
				      const struct explain *x,
				      const struct ldiff *d, const char *name)
{
	struct json_object *o = json_object_new_object(), *arr, *c;
	const struct store_layer *sl;
	size_t i;

	sl = explain_store_layer(ctl, es, name);
	json_object_object_add(o, "path", json_object_new_string(x->arg));
	json_object_object_add(o, "layer", json_object_new_int(d->layer));
	json_object_object_add(o, "layers",
			       json_object_new_int((int)x->e.numlayer - 1));
	json_object_object_add(o, "name", json_str_or_null(name));
	json_object_object_add(o, "diff_id", json_str_or_null(sl ? sl->diff_id : ""));
	arr = json_object_new_array();
	for (i = 0; i < d->nr; i++) {
		const struct ldiff_entry *e = &d->e[i];

		c = json_object_new_object();
		json_object_object_add(c, "path", json_object_new_string(e->path));
		json_object_object_add(c, "change",
				       json_object_new_string(ldiff_change_word(e->change)));
		json_object_object_add(c, "type",
				       json_object_new_string(ldiff_kind_word(e)));
		json_object_object_add(c, "mode",
				       json_object_new_int(e->st.st_mode & 07777));
		json_object_object_add(c, "size",
				       json_object_new_uint64(e->st.st_size));
		json_object_object_add(c, "replaces", e->below ?
				       json_object_new_string(explain_type(e->below_st.st_mode)) :
				       NULL);
		json_object_object_add(c, "shown",
				       json_object_new_boolean(e->hidden_by < 0));
		json_object_object_add(c, "hidden_by", e->hidden_by >= 0 ?
				       json_object_new_int(e->hidden_by) : NULL);
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "changes", arr);
	json_object_object_add(o, "added", json_object_new_uint64(d->counts[0]));
	json_object_object_add(o, "changed", json_object_new_uint64(d->counts[1]));
	json_object_object_add(o, "deleted", json_object_new_uint64(d->counts[2]));
	return o;
}

/*
 * The registered name of layer @layer ("" if none): every layer's root is
 * a finding of the mount root, so ask there if @x is below it.
 */
static void ldiff_layer_name(const struct explain *x, int layer, char *buf,
			     size_t size)
{
	struct explain root = { .arg = x->mnt, .fd = -1 };
	__u32 i;

	buf[0] = '\0';
	if (x->e.depth && x->mnt[0] && !explain_path(&root) && root.l)
		x = &root;
	for (i = 0; i < x->nl; i++)
		if ((int)x->l[i].layer == layer && !x->l[i].depth)
			snprintf(buf, size, "%s", (const char *)x->l[i].layer_name);
	if (root.fd >= 0)
		close(root.fd);
	free(root.l);
}

/*
 * explain --layer N MNT: the layer's objects below MNT (the mount root or
 * a directory of the mount), read through LAYERFS_IOC_OPEN_LAYER.
 */
static int explain_layer(struct ctl *ctl, struct explain_store *es,
			 const char *arg)
{
	struct explain x = { .arg = arg };
	struct ldiff d = { .layer = (int)ctl->layer };
	int *fds = NULL, ret = EXIT_USAGE, i, cut;
	char name[LAYERFS_NAME_SIZE];

	if (explain_path(&x)) {
		warnx("%s: %s", arg, x.why);
		goto out;
	}
	if (!x.l) {
		warnx("%s: explain --layer reads the layers as they are: it needs CAP_SYS_ADMIN",
		      arg);
		goto out;
	}
	if (!S_ISDIR(x.e.mode) || !(x.e.result & LAYERFS_EXPLAIN_R_POSITIVE)) {
		warnx("%s: not a directory of the union", arg);
		goto out;
	}
	if (ctl->layer >= x.e.numlayer) {
		warnx("%s: no layer %lu: the mount has %u lower layers", arg,
		      ctl->layer, x.e.numlayer - 1);
		goto out;
	}
	raise_nofile();
	fds = malloc(x.e.numlayer * sizeof(*fds));
	if (!fds)
		err(EXIT_USAGE, "explain --layer");
	for (i = 0; i < (int)x.e.numlayer; i++)
		fds[i] = -1;
	for (i = 0; i < (int)x.e.numlayer; i++) {
		struct layerfs_open_layer ol = {
			.size = sizeof(ol),
			.layer = i,
		};

		fds[i] = ioctl(x.fd, LAYERFS_IOC_OPEN_LAYER, &ol);
		if (fds[i] < 0 && !(errno == ENOENT && !i)) {
			warn("%s: layer %d", arg, i);
			goto out;
		}
	}
	if (fds[d.layer] < 0) {
		warnx("%s: the mount has no upper layer", arg);
		goto out;
	}
	d.fds = fds;
	d.nfds = x.e.numlayer;
	/* x.rel: where MNT is in the mount; the layer may not hold it */
	if (!x.rel[0] && x.e.depth) {
		warnx("%s: its place in the mount is not visible here", arg);
		goto out;
	}
	ret = ldiff_start(&d, x.rel, &cut);
	if (!ret && cut >= 0)
		ret = ldiff_walk(&d, x.rel, cut);
	if (ret) {
		warnx("%s: %s", arg, ldiff_err[0] ? ldiff_err : d.why[0] ?
		      d.why : strerror(-ret));
		ret = EXIT_USAGE;
		goto out;
	}
	ldiff_layer_name(&x, d.layer, name, sizeof(name));
	if (ctl->json) {
		struct json_object *o = ldiff_json(ctl, es, &x, &d, name);

		json_print(o);
		json_object_put(o);
	} else {
		ldiff_text(ctl, es, &x, &d, name);
	}
	ret = EXIT_SUCCESS;
out:
	if (fds)
		for (i = 0; i < (int)x.e.numlayer; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	free(fds);
	ldiff_free(&d);
	if (x.fd >= 0)
		close(x.fd);
	free(x.l);
	return ret;
}

static int cmd_explain(struct ctl *ctl, int argc, char **argv)
{
	struct explain_store es = { 0 };
	struct json_object *arr = NULL;
	int i, ret = EXIT_SUCCESS;

	if (ctl->layer >= 0) {
		if (ctl->all)
			usage_error("explain takes --layer or --all, not both");
		if (argc != 1)
			usage_error("explain --layer takes one mount point or directory");
		ret = explain_layer(ctl, &es, argv[0]);
		free(es.layers);
		return ret;
	}
	if (!argc)
		usage_error("explain needs a PATH");
	if (ctl->json)
		arr = json_object_new_array();
	for (i = 0; i < argc; i++) {
		struct explain x = { .arg = argv[i] };

		if (explain_path(&x)) {
			warnx("%s: %s", x.arg, x.why);
			ret = EXIT_USAGE;
		} else if (arr) {
			json_object_array_add(arr, explain_json(ctl, &es, &x));
		} else {
			explain_text(ctl, &es, &x);
		}
		if (x.fd >= 0)
			close(x.fd);
		free(x.l);
	}
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	free(es.layers);
	return ret;
}

static const struct cmd *find_cmd(const char *name);

static int cmd_help(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	if (argc > 1)
		usage_error("help takes at most one command");
	if (argc == 1) {
		if (!find_cmd(argv[0]))
			usage_error("unknown command '%s'", argv[0]);
		cmd_usage(argv[0]);
	}
	usage();
}

static const struct cmd cmds[] = {
	{ "images",	cmd_images,	OPT_JSON },
	{ "ps",		cmd_ps,		OPT_JSON },
	{ "inspect",	cmd_inspect,	OPT_JSON },
	{ "mount",	cmd_mount,	OPT_UPPER },
	{ "umount",	cmd_umount,	0 },
	{ "layers",	cmd_layers,	OPT_JSON | OPT_ALL },
	{ "mounts",	cmd_mounts,	OPT_JSON },
	{ "stats",	cmd_stats,	OPT_JSON | OPT_STATS | OPT_COUNT },
	{ "monitor",	cmd_monitor,	OPT_JSON | OPT_COUNT | OPT_READY },
	{ "explain",	cmd_explain,	OPT_JSON | OPT_ALL | OPT_LAYER },
	{ "rm",		cmd_rm,		0 },
	{ "prune",	cmd_prune,	0 },
	{ "help",	cmd_help,	0 },
};

/*
 * The help rows of the commands, in the order --help lists them: each
 * form of a command (its arguments) and what it does.
 */
static const struct {
	const char *name;
	const char *args;
	const char *help;
} cmd_help_rows[] = {
	{ "images", "[--json]", "list the store's images: references, layers, size" },
	{ "ps", "[--json]",
	  "list the store's containers: name, image, state, init layer" },
	{ "inspect", "[--json] IMAGE|CONTAINER",
	  "show the verified layer chain" },
	{ "mount", "[--upper DIR --work DIR] IMAGE MNT",
	  "register an image's layers and mount it (read-only without --upper)" },
	{ "mount", "CONTAINER MNT",
	  "register and mount a container on its read-write layer" },
	{ "umount", "MNT",
	  "unmount a layerfs mount, lazily (MNT_DETACH): a busy one goes\n"
	  "        with its last open file" },
	{ "layers", "[--json] [IMAGE|CONTAINER]",
	  "show the store's registered layers, or a chain's" },
	{ "layers", "--all [--json]",
	  "show every layer registered with the kernel" },
	{ "mounts", "[--json]", "show the layerfs mounts" },
	{ "stats", "[--json] [--reset] [--watch SECS [--count N]] [MNT]",
	  "show (or reset) the statistics of a mount, or of all" },
	{ "monitor", "[--json] [--count N] [--ready-fd FD]",
	  "print layer, mount and copy-up events as they happen" },
	{ "explain", "[--json] [--all] PATH...",
	  "say which layer each path comes from, and what the layers hide" },
	{ "explain", "--layer N [--json] MNT|DIR",
	  "list what layer N of a mount (0: its upper layer) adds, changes\n"
	  "        and deletes, below the mount's directory DIR if given" },
	{ "rm", "NAME...", "unregister layers" },
	{ "prune", "", "unregister the store's layers that nothing uses" },
	{ "help", "[COMMAND]", "display this help, or a command's" },
};

/*
 * The help rows of the options: @opts is the OPT_* bit of the commands
 * that take it, 0 for the options of every command.
 */
static const struct {
	unsigned int opts;
	const char *row;
} opt_help[] = {
	{ 0, " -r, --root <dir>      the store's data root (default " DEFAULT_ROOT "):\n"
	     "                       Docker's, containerd's or containers/storage's" },
	{ 0, "     --store <kind>    docker, containerd or containers (default: auto,\n"
	     "                       from what the root holds)" },
	{ 0, " -n, --namespace <ns>  containerd namespace (default \"default\"; Docker's\n"
	     "                       is \"moby\", Kubernetes' \"k8s.io\")" },
	{ 0, " -m, --module <file>   layerfs.ko to insert if /dev/layerfs is missing\n"
	     "                       (default: the installed module, alias fs-layerfs)" },
	{ OPT_JSON, " -j, --json            JSON output, for programs (not escaped\n"
		    "                       for a terminal)" },
	{ OPT_UPPER, " -u, --upper <dir>     upper directory of an image mount" },
	{ OPT_UPPER, " -w, --work <dir>      work directory of an image mount" },
	{ OPT_UPPER, "     --rootless        a rootless store (user.overlay.* marks): mount its\n"
		     "                       directories with userxattr, without the registry\n"
		     "                       (the default in a user namespace)" },
	{ OPT_ALL, " -a, --all             layers: the kernel's whole registry;\n"
		   "                       explain: every layer's version, with its hash" },
	{ OPT_STATS, "     --reset           stats: zero the counters" },
	{ OPT_STATS, "     --watch <secs>    stats: a line of changes every <secs> (1 to 86400)" },
	{ OPT_COUNT, "     --count <n>       stats --watch, monitor: stop after <n> (at least 1)" },
	{ OPT_LAYER, " -l, --layer <n>       explain: what layer <n> changes (0 upper, 1.. lower,\n"
		     "                       top first)" },
	{ OPT_READY, "     --ready-fd <fd>   monitor: write a newline to <fd> and close it\n"
		     "                       once events are being received" },
	{ 0, " -v, --verbose         say what is done" },
	{ 0, " -h, --help            display this help" },
	{ 0, " -V, --version         display version" },
};

static void print_options(unsigned int opts)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opt_help); i++)
		if (!opt_help[i].opts || (opt_help[i].opts & opts))
			printf("%s\n", opt_help[i].row);
}

static void print_operands(void)
{
	printf("\nIMAGE is name[:tag], name@digest, an image ID or a unique prefix of one;\n");
	printf("CONTAINER is a container's name, its ID or a unique prefix of one.\n");
	printf("\nFor more details see layerctl(8).\n");
}

static noreturn void usage(void)
{
	size_t i;

	printf("Usage:\n %s [options] <command> [arguments]\n\n",
	       program_invocation_short_name);
	printf("Mount the images and containers of Docker, containerd and\n"
	       "containers/storage (podman, CRI-O) stores with layerfs.\n\n");
	printf("Commands:\n");
	for (i = 0; i < ARRAY_SIZE(cmd_help_rows); i++)
		printf(" %s%s%s\n        %s\n", cmd_help_rows[i].name,
		       cmd_help_rows[i].args[0] ? " " : "",
		       cmd_help_rows[i].args, cmd_help_rows[i].help);
	printf("\nOptions (before or after the command):\n");
	print_options(~0u);
	printf("\n'%s <command> --help' shows one command.\n",
	       program_invocation_short_name);
	print_operands();
	exit(EXIT_SUCCESS);
}

/* The help of command @name: its forms, what it does, its options. */
static noreturn void cmd_usage(const char *name)
{
	const struct cmd *c = find_cmd(name);
	size_t i;

	printf("Usage:\n");
	for (i = 0; i < ARRAY_SIZE(cmd_help_rows); i++) {
		if (strcmp(cmd_help_rows[i].name, name))
			continue;
		printf(" %s [options] %s%s%s\n        %s\n",
		       program_invocation_short_name, cmd_help_rows[i].name,
		       cmd_help_rows[i].args[0] ? " " : "",
		       cmd_help_rows[i].args, cmd_help_rows[i].help);
	}
	printf("\nOptions (before or after the command):\n");
	print_options(c ? c->opts : 0);
	print_operands();
	exit(EXIT_SUCCESS);
}

static const struct option longopts[] = {
	{ "root",	required_argument,	NULL, 'r' },
	{ "store",	required_argument,	NULL, 'S' },
	{ "namespace",	required_argument,	NULL, 'n' },
	{ "module",	required_argument,	NULL, 'm' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "upper",	required_argument,	NULL, 'u' },
	{ "work",	required_argument,	NULL, 'w' },
	{ "rootless",	no_argument,		NULL, 'U' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "all",	no_argument,		NULL, 'a' },
	{ "reset",	no_argument,		NULL, 'R' },
	{ "watch",	required_argument,	NULL, 'W' },
	{ "count",	required_argument,	NULL, 'C' },
	{ "ready-fd",	required_argument,	NULL, 'F' },
	{ "layer",	required_argument,	NULL, 'l' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/*
 * The decimal number @arg of option @opt, from @min to @max: digits only
 * (strtoul alone takes "2x" for 2 and "-1" for ULONG_MAX).
 */
static unsigned long parse_number(const char *opt, const char *arg,
				  unsigned long min, unsigned long max)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (!isdigit((unsigned char)arg[0]) || errno || *end || n < min || n > max)
		usage_error("%s takes a number from %lu to %lu, not '%s'", opt,
			    min, max, arg);
	return n;
}

/* A descriptor number that is open in this process. */
static int parse_fd(const char *arg)
{
	int fd = parse_number("--ready-fd", arg, 0, INT_MAX);

	if (fcntl(fd, F_GETFD) < 0)
		err(EXIT_USAGE, "--ready-fd %d", fd);
	return fd;
}

/* The --store KIND: a kind of store, or auto. */
static const char *parse_kind(const char *arg)
{
	static const char * const kinds[] = {
		"docker", "containerd", "containers", "auto"
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(arg, kinds[i]))
			return arg;
	usage_error("--store takes docker, containerd, containers or auto, not '%s'",
		    arg);
}

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* Options may come before and after the command. */
static void parse_options(struct ctl *ctl, int argc, char **argv,
			  const char *optstring)
{
	int ch;

	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			ctl->root = optarg;
			break;
		case 'S':
			ctl->kind = parse_kind(optarg);
			break;
		case 'n':
			ctl->ns = optarg;
			break;
		case 'm':
			ctl->module = optarg;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'u':
			ctl->upper = optarg;
			break;
		case 'w':
			ctl->work = optarg;
			break;
		case 'U':
			ctl->rootless = true;
			break;
		case 'v':
			ctl->verbose = true;
			break;
		case 'a':
			ctl->all = true;
			break;
		case 'R':
			ctl->reset = true;
			break;
		case 'W':
			ctl->watch = parse_number("--watch", optarg, 1, 86400);
			break;
		case 'C':
			ctl->count = parse_number("--count", optarg, 1, LONG_MAX);
			break;
		case 'F':
			ctl->ready_fd = parse_fd(optarg);
			break;
		case 'l':
			ctl->layer = parse_number("--layer", optarg, 0, 65535);
			break;
		case 'h':
			if (ctl->cmd)
				cmd_usage(ctl->cmd->name);
			usage();
		case 'V':
			printf("%s %s\n", program_invocation_short_name,
			       LAYERCTL_VERSION);
			exit(EXIT_SUCCESS);
		default:
			usage_hint();
		}
	}
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.root = DEFAULT_ROOT,
		.fd = -1,
		.ready_fd = -1,
		.layer = -1,
	};
	const struct cmd *c;
	const char *name;
	int ret;

	ctl.st.rootfd = -1;
	parse_options(&ctl, argc, argv, "+r:n:m:ju:w:vahl:V");
	if (optind == argc)
		usage_error("no command given");
	name = argv[optind];
	c = find_cmd(name);
	if (!c)
		usage_error("unknown command '%s'", name);
	ctl.cmd = c;

	/* The command's own arguments, options anywhere among them. */
	argc -= optind;
	argv += optind;
	argv[0] = program_invocation_name;	/* for getopt's messages */
	optind = 0;
	parse_options(&ctl, argc, argv, "r:n:m:ju:w:vahl:V");
	if ((ctl.upper || ctl.work || ctl.rootless) && !(c->opts & OPT_UPPER))
		usage_error("--upper, --work and --rootless are options of mount");
	if (ctl.json && !(c->opts & OPT_JSON))
		usage_error("%s takes no --json", c->name);
	if (ctl.all && !(c->opts & OPT_ALL))
		usage_error("--all is an option of layers and explain");
	if ((ctl.reset || ctl.watch) && !(c->opts & OPT_STATS))
		usage_error("--reset and --watch are options of stats");
	if (ctl.count && !(c->opts & OPT_COUNT))
		usage_error("--count is an option of stats --watch and monitor");
	if (ctl.ready_fd >= 0 && !(c->opts & OPT_READY))
		usage_error("--ready-fd is an option of monitor");
	if (ctl.layer >= 0 && !(c->opts & OPT_LAYER))
		usage_error("--layer is an option of explain");

	ret = c->fn(&ctl, argc - optind, argv + optind);
	if (ctl.fd >= 0)
		close(ctl.fd);
	if (ctl.st.root)
		store_close(&ctl.st);
	if (fflush(stdout) || ferror(stdout))
		err(EXIT_USAGE, "write error");
	return ret;
}
