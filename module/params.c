// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs mount options: the legacy comma-separated string and the new
 * mount API (fsopen/fsconfig), with overlayfs's option names.
 */

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/moduleparam.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "layerfs.h"
#include "params.h"

/*
 * Errors are reported through the fs_context log (read back from the
 * fsopen fd) and, rate-limited, to the kernel log, so that a refused
 * mount leaves a line naming the option. Options are parsed before the
 * VFS checks the caller's capability (any user may get here through a
 * user namespace): the kernel log line must not be unbounded, and the
 * legacy mount(2) path, which has no log, must not fall back to the
 * unlimited printk of logfc().
 */
static __printf(2, 3) int lfs_invalfc(struct fs_context *fc,
				      const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err_ratelimited("%pV\n", &vaf);
	va_end(args);

	if (fc->log.log) {
		va_start(args, fmt);
		vaf.va = &args;
		logfc(fc->log.log, fc->log.prefix, 'e', "%pV", &vaf);
		va_end(args);
	}
	return -EINVAL;
}

enum lfs_opt {
	OPT_LOWERDIR,
	OPT_LOWERDIR_ADD,
	OPT_UPPERDIR,
	OPT_WORKDIR,
	OPT_LAYER,
	/* Durability, lfs_parse_sync(): */
	OPT_FSYNC,
	OPT_VOLATILE,
	OPT_NAMEINDEX,
	/* overlayfs's feature options, lfs_parse_feature(): */
	OPT_DATADIR_ADD,
	OPT_DEFAULT_PERMISSIONS,
	OPT_REDIRECT_DIR,
	OPT_INDEX,
	OPT_UUID,
	OPT_NFS_EXPORT,
	OPT_USERXATTR,
	OPT_XINO,
	OPT_METACOPY,
	OPT_VERITY,
};

/*
 * The defaults of overlayfs's feature options, module parameters of the
 * same names as overlayfs's. They default to what layerfs implements;
 * a default set to a feature layerfs does not have yet makes every mount
 * that does not turn it off fail with a message saying so.
 */
static bool lfs_redirect_dir_def;
module_param_named(redirect_dir, lfs_redirect_dir_def, bool, 0644);
MODULE_PARM_DESC(redirect_dir, "Default to on or off for the redirect_dir feature");
static bool lfs_redirect_always_follow = true;
module_param_named(redirect_always_follow, lfs_redirect_always_follow, bool, 0644);
MODULE_PARM_DESC(redirect_always_follow,
		 "Follow redirects even if redirect_dir feature is turned off (default on)");
static bool lfs_xino_auto_def = true;
module_param_named(xino_auto, lfs_xino_auto_def, bool, 0644);
MODULE_PARM_DESC(xino_auto, "Auto enable xino feature (default on)");
static bool lfs_index_def;
module_param_named(index, lfs_index_def, bool, 0644);
MODULE_PARM_DESC(index, "Default to on or off for the inodes index feature");
static bool lfs_nfs_export_def;
module_param_named(nfs_export, lfs_nfs_export_def, bool, 0644);
MODULE_PARM_DESC(nfs_export, "Default to on or off for the NFS export feature");
static bool lfs_metacopy_def;
module_param_named(metacopy, lfs_metacopy_def, bool, 0644);
MODULE_PARM_DESC(metacopy,
		 "Default to on or off for the metadata only copy up feature");

/* Accepts a path string, an fd (FSCONFIG_SET_FD) or FSCONFIG_SET_PATH. */
static int lfs_param_is_layer(struct p_log *log,
			      const struct fs_parameter_spec *p,
			      struct fs_parameter *param,
			      struct fs_parse_result *result)
{
	switch (param->type) {
	case fs_value_is_string:
		if (*param->string)
			return 0;
		break;
	case fs_value_is_file:
	case fs_value_is_filename:
		return 0;
	default:
		break;
	}
	return inval_plog(log, "Bad value for '%s'", param->key);
}

/* Names and order as overlayfs's ovl_parameter_fsync. */
static const struct constant_table lfs_parameter_fsync[] = {
	{ "volatile",	LFS_FSYNC_VOLATILE },
	{ "auto",	LFS_FSYNC_AUTO },
	{ "strict",	LFS_FSYNC_STRICT },
	{}
};

static const struct constant_table lfs_param_onoff[] = {
	{ "on",		true },
	{ "off",	false },
	{}
};

/* Indexed by the enums' values (lfs_entry.h), as overlayfs's tables. */
static const struct constant_table lfs_param_redirect_dir[] = {
	{ "off",	LFS_REDIRECT_OFF },
	{ "follow",	LFS_REDIRECT_FOLLOW },
	{ "nofollow",	LFS_REDIRECT_NOFOLLOW },
	{ "on",		LFS_REDIRECT_ON },
	{}
};

static const struct constant_table lfs_param_uuid[] = {
	{ "off",	LFS_UUID_OFF },
	{ "null",	LFS_UUID_NULL },
	{ "auto",	LFS_UUID_AUTO },
	{ "on",		LFS_UUID_ON },
	{}
};

static const struct constant_table lfs_param_xino[] = {
	{ "off",	LFS_XINO_OFF },
	{ "auto",	LFS_XINO_AUTO },
	{ "on",		LFS_XINO_ON },
	{}
};

static const struct constant_table lfs_param_verity[] = {
	{ "off",	LFS_VERITY_OFF },
	{ "on",		LFS_VERITY_ON },
	{ "require",	LFS_VERITY_REQUIRE },
	{}
};

static const char *lfs_redirect_name(const struct lfs_config *config)
{
	return lfs_param_redirect_dir[config->redirect_mode].name;
}

static const char *lfs_verity_name(const struct lfs_config *config)
{
	return lfs_param_verity[config->verity_mode].name;
}

static enum lfs_redirect_mode lfs_redirect_mode_def(void)
{
	return lfs_redirect_dir_def ? LFS_REDIRECT_ON :
	       lfs_redirect_always_follow ? LFS_REDIRECT_FOLLOW :
					    LFS_REDIRECT_NOFOLLOW;
}

static enum lfs_xino_mode lfs_xino_def(void)
{
	return lfs_xino_auto_def ? LFS_XINO_AUTO : LFS_XINO_OFF;
}

const struct fs_parameter_spec lfs_parameter_spec[] = {
	fsparam_string_empty("lowerdir",	OPT_LOWERDIR),
	__fsparam(lfs_param_is_layer, "lowerdir+", OPT_LOWERDIR_ADD, 0, NULL),
	__fsparam(lfs_param_is_layer, "upperdir", OPT_UPPERDIR, 0, NULL),
	__fsparam(lfs_param_is_layer, "workdir", OPT_WORKDIR, 0, NULL),
	fsparam_string("layer",			OPT_LAYER),
	/* Durability: */
	fsparam_enum("fsync",			OPT_FSYNC, lfs_parameter_fsync),
	fsparam_flag("volatile",		OPT_VOLATILE),
	fsparam_enum("nameindex", OPT_NAMEINDEX, lfs_param_onoff),
	/* overlayfs's, with its names and values: */
	fsparam_string("datadir+",		OPT_DATADIR_ADD),
	fsparam_flag("default_permissions",	OPT_DEFAULT_PERMISSIONS),
	fsparam_enum("redirect_dir", OPT_REDIRECT_DIR, lfs_param_redirect_dir),
	fsparam_enum("index",			OPT_INDEX, lfs_param_onoff),
	fsparam_enum("uuid",			OPT_UUID, lfs_param_uuid),
	fsparam_enum("nfs_export",		OPT_NFS_EXPORT, lfs_param_onoff),
	fsparam_flag("userxattr",		OPT_USERXATTR),
	fsparam_enum("xino",			OPT_XINO, lfs_param_xino),
	fsparam_enum("metacopy",		OPT_METACOPY, lfs_param_onoff),
	fsparam_enum("verity",			OPT_VERITY, lfs_param_verity),
	{}
};

/* Split options on unescaped commas, as overlayfs does. */
static char *lfs_next_opt(char **s)
{
	char *sbegin = *s;
	char *p;

	if (!sbegin)
		return NULL;

	for (p = sbegin; *p; p++) {
		if (*p == '\\') {
			p++;
			if (!*p)
				break;
		} else if (*p == ',') {
			*p = '\0';
			*s = p + 1;
			return sbegin;
		}
	}
	*s = NULL;
	return sbegin;
}

static int lfs_parse_monolithic(struct fs_context *fc, void *data)
{
	return vfs_parse_monolithic_sep(fc, data, lfs_next_opt);
}

static void lfs_unescape(char *s)
{
	char *d = s;

	for (;; s++, d++) {
		if (*s == '\\')
			s++;
		*d = *s;
		if (!*s)
			break;
	}
}

static void lfs_ctx_reset_lower(struct lfs_fs_context *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr; i++) {
		path_put(&ctx->lower[i].path);
		kfree(ctx->lower[i].name);
		lfs_nameidx_owner_put(ctx->lower[i].nidx);
	}
	ctx->nr = 0;
	kfree(ctx->lowerdir_all);
	ctx->lowerdir_all = NULL;
}

static int lfs_ctx_grow(struct fs_context *fc)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	struct lfs_ctx_layer *l;
	unsigned int cap;

	if (ctx->nr < ctx->capacity)
		return 0;
	if (ctx->nr == LFS_MAX_LOWER)
		return lfs_invalfc(fc, "too many lower layers, limit is %d",
				   LFS_MAX_LOWER);

	cap = min_t(unsigned int, max(ctx->capacity * 2, 4U), LFS_MAX_LOWER);
	l = lfs_kvrealloc(ctx->lower, array_size(ctx->capacity, sizeof(*l)),
			  array_size(cap, sizeof(*l)), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	ctx->lower = l;
	ctx->capacity = cap;
	return 0;
}

/* Checks common to every layer directory; takes @name for messages. */
static int lfs_check_dir(struct fs_context *fc, const struct path *path,
			 const char *opt, const char *name)
{
	if (!d_is_dir(path->dentry)) {
		lfs_invalfc(fc, "%s: %s is not a directory", opt, name);
		return -ENOTDIR;
	}
	if (sb_has_encoding(path->mnt->mnt_sb))
		return lfs_invalfc(fc, "%s: case-insensitive filesystem on %s not supported",
				   opt, name);
	if (lfs_dentry_weird(path->dentry))
		return lfs_invalfc(fc, "%s: filesystem on %s not supported",
				   opt, name);
	/*
	 * layerfs would map the owners of an idmapped layer but not the
	 * ids in its POSIX ACLs: refuse it rather than half support it.
	 */
	if (is_idmapped_mnt(path->mnt))
		return lfs_invalfc(fc, "%s: idmapped mount %s not supported",
				   opt, name);
	return 0;
}

/* Resolve a layer given as string, fd or path parameter. */
static int lfs_lookup_layer_param(struct fs_context *fc,
				  struct fs_parameter *param,
				  struct path *path, char **name)
{
	int err;

	if (param->type == fs_value_is_file) {
		*path = param->file->f_path;
		path_get(path);
	} else if (param->type == fs_value_is_string) {
		err = kern_path(param->string, LOOKUP_FOLLOW, path);
		if (err)
			return err;
	} else {
		err = fs_lookup_param(fc, param, false, LOOKUP_FOLLOW, path);
		if (err)
			return err;
	}

	if (param->type == fs_value_is_string)
		*name = kstrdup(param->string, GFP_KERNEL_ACCOUNT);
	else
		*name = lfs_path_name(path);
	if (!*name) {
		path_put(path);
		return -ENOMEM;
	}
	return 0;
}

static int lfs_add_lower(struct fs_context *fc, struct path *path,
			 char *name)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	int err;

	err = lfs_check_dir(fc, path, "lowerdir", name);
	if (!err)
		err = lfs_ctx_grow(fc);
	if (err) {
		path_put(path);
		kfree(name);
		return err;
	}
	ctx->lower[ctx->nr].path = *path;
	ctx->lower[ctx->nr].name = name;
	ctx->lower[ctx->nr].nidx = NULL;
	ctx->lower[ctx->nr].reg_mnt = false;
	ctx->nr++;
	return 0;
}

static int lfs_parse_lowerdir_add(struct fs_context *fc,
				  struct fs_parameter *param)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	struct path path;
	char *name;
	int err;

	if (ctx->lowerdir_all)
		return lfs_invalfc(fc, "lowerdir+ cannot follow lowerdir");
	if (ctx->layer)
		return lfs_invalfc(fc, "lowerdir+ and layer cannot be mixed");

	err = lfs_lookup_layer_param(fc, param, &path, &name);
	if (err) {
		lfs_invalfc(fc, "lowerdir+: cannot resolve %s: %d",
			    param->type == fs_value_is_string ?
			    param->string : "fd", err);
		return err;
	}
	return lfs_add_lower(fc, &path, name);
}

/*
 * Count the layers of a legacy "lowerdir=TOP:...:BOTTOM" value, turning
 * unescaped colons into NULs in place. "\:" keeps a colon in a name.
 */
static int lfs_split_lowerdirs(struct fs_context *fc, char *str)
{
	int nr = 1;
	char *s, *d;

	for (s = d = str;; s++, d++) {
		if (*s == '\\') {
			*d++ = *s++;
		} else if (*s == ':') {
			if (s[1] == ':')
				return lfs_invalfc(fc, "lowerdir: no data-only layers (::)");
			if (!s[1])
				return lfs_invalfc(fc, "lowerdir: trailing colon");
			nr++;
			*d = '\0';
			continue;
		}
		*d = *s;
		if (!*s)
			break;
	}
	return nr;
}

static int lfs_parse_lowerdir(struct fs_context *fc, const char *value)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	char *dup, *iter;
	int nr, i, err;

	if (ctx->layer)
		return lfs_invalfc(fc, "lowerdir and layer cannot be mixed");
	if (ctx->nr && !ctx->lowerdir_all)
		return lfs_invalfc(fc, "lowerdir cannot follow lowerdir+");

	/* A new lowerdir= replaces earlier ones, as on overlayfs. */
	lfs_ctx_reset_lower(ctx);
	if (!*value)
		return lfs_invalfc(fc, "lowerdir: empty value");

	dup = kstrdup(value, GFP_KERNEL_ACCOUNT);
	ctx->lowerdir_all = kstrdup(value, GFP_KERNEL_ACCOUNT);
	if (!dup || !ctx->lowerdir_all) {
		kfree(dup);
		return -ENOMEM;
	}

	nr = lfs_split_lowerdirs(fc, dup);
	err = nr < 0 ? nr : 0;
	if (nr > LFS_MAX_LOWER)
		err = lfs_invalfc(fc, "too many lower layers, limit is %d",
				  LFS_MAX_LOWER);

	for (i = 0, iter = dup; !err && i < nr; i++, iter += strlen(iter) + 1) {
		struct path path;
		char *name = kstrdup(iter, GFP_KERNEL_ACCOUNT);

		if (!name) {
			err = -ENOMEM;
			break;
		}
		lfs_unescape(name);
		if (!*name) {
			kfree(name);
			err = lfs_invalfc(fc, "lowerdir: empty layer name");
			break;
		}
		err = kern_path(name, LOOKUP_FOLLOW, &path);
		if (err) {
			lfs_invalfc(fc, "lowerdir: cannot resolve %s: %d", name,
				    err);
			kfree(name);
			break;
		}
		err = lfs_add_lower(fc, &path, name);
	}
	kfree(dup);
	if (err)
		lfs_ctx_reset_lower(ctx);
	return err;
}

/*
 * layer=NAME: only the name is kept here. Options are parsed before the
 * VFS checks that the caller may mount, so the registry is not touched
 * until lfs_resolve_layer() runs from fill_super: an unprivileged caller
 * learns nothing about which names exist and pins nothing.
 */
static int lfs_parse_layer(struct fs_context *fc, const char *name)
{
	struct lfs_fs_context *ctx = fc->fs_private;

	if (ctx->nr || ctx->lowerdir_all)
		return lfs_invalfc(fc, "layer and lowerdir cannot be mixed");
	if (ctx->layer)
		return lfs_invalfc(fc, "layer given twice");
	if (!lfs_reg_valid_name(name, LAYERFS_NAME_SIZE))
		return lfs_invalfc(fc, "layer: invalid name");

	ctx->layer = kstrdup(name, GFP_KERNEL_ACCOUNT);
	if (!ctx->layer)
		return -ENOMEM;
	return 0;
}

/*
 * Called by lfs_fill_super(), after the VFS's capability check: pin the
 * chain of layer=NAME and add its layers as the lower layers. The
 * registry is root's (its device node is 0600 root): a mount by name
 * needs CAP_SYS_ADMIN in the initial user namespace, whatever namespace
 * the mount is made in.
 */
int lfs_resolve_layer(struct fs_context *fc)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	struct lfs_reg_chain *chain;
	struct lfs_reg_layer *l;
	unsigned int i;
	int err = 0;

	if (!ctx->layer)
		return 0;
	if (!capable(CAP_SYS_ADMIN)) {
		errorfc(fc, "layer: needs CAP_SYS_ADMIN in the initial user namespace");
		return -EPERM;
	}

	chain = lfs_reg_get_chain(ctx->layer);
	if (IS_ERR(chain)) {
		err = PTR_ERR(chain);
		if (err == -ENOENT)
			errorfc(fc, "layer: %s is not registered", ctx->layer);
		else
			errorfc(fc, "layer: cannot resolve %s: %d",
				ctx->layer, err);
		return err;
	}
	ctx->chain = chain;

	for (i = 0; !err && i < chain->nr; i++) {
		struct path path = *lfs_reg_layer_path(chain->layers[i]);
		char *lname = kstrdup(lfs_reg_layer_name(chain->layers[i]),
				      GFP_KERNEL_ACCOUNT);

		if (!lname) {
			err = -ENOMEM;
			break;
		}
		path_get(&path);
		err = lfs_add_lower(fc, &path, lname);
		if (!err) {
			l = chain->layers[i];
			ctx->lower[ctx->nr - 1].nidx =
				lfs_nameidx_owner_get(lfs_reg_layer_nameidx(l));
			ctx->lower[ctx->nr - 1].reg_mnt = true;
		}
	}
	/*
	 * A failed create keeps the context until its fd is closed: do not
	 * pin the chain (DEL_LAYER would be EBUSY) nor its layers meanwhile.
	 */
	if (err) {
		lfs_ctx_reset_lower(ctx);
		ctx->chain = NULL;
		lfs_reg_put_chain(chain);
	}
	return err;
}

static int lfs_parse_upper_work(struct fs_context *fc,
				struct fs_parameter *param, enum lfs_opt opt)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	const char *optname = opt == OPT_UPPERDIR ? "upperdir" : "workdir";
	struct path *path = opt == OPT_UPPERDIR ? &ctx->upper : &ctx->work;
	char **namep = opt == OPT_UPPERDIR ? &ctx->uppername : &ctx->workname;
	struct path newpath;
	char *name;
	int err;

	err = lfs_lookup_layer_param(fc, param, &newpath, &name);
	if (err) {
		lfs_invalfc(fc, "%s: cannot resolve %s: %d", optname,
			    param->type == fs_value_is_string ?
			    param->string : "fd", err);
		return err;
	}
	err = lfs_check_dir(fc, &newpath, optname, name);
	if (err) {
		path_put(&newpath);
		kfree(name);
		return err;
	}
	path_put(path);
	kfree(*namep);
	*path = newpath;
	*namep = name;
	return 0;
}

/* The superblock info is allocated with the context (lfs_init_fs_context). */
static struct lfs_fs *LFS_FS_FC(struct fs_context *fc)
{
	return fc->s_fs_info;
}

/*
 * fsync= and volatile: the last one given wins, as on overlayfs. The
 * mode goes straight into the lfs_fs that fill_super will use.
 */
static int lfs_parse_sync(struct fs_context *fc, int opt,
			  const struct fs_parse_result *result)
{
	struct lfs_fs *ofs = LFS_FS_FC(fc);

	ofs->config.fsync_mode = opt == OPT_VOLATILE ? LFS_FSYNC_VOLATILE :
				 result->uint_32;
	return 0;
}

/* overlayfs's feature options: the last of each wins, as there. */
static int lfs_parse_feature(struct fs_context *fc, int opt,
			     const struct fs_parse_result *result)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	struct lfs_config *config = &LFS_FS_FC(fc)->config;

	switch (opt) {
	case OPT_DATADIR_ADD:
		errorfc(fc, "datadir+: data-only lower layers are not supported yet");
		return -EOPNOTSUPP;
	case OPT_DEFAULT_PERMISSIONS:
		config->default_permissions = true;
		break;
	case OPT_REDIRECT_DIR:
		config->redirect_mode = result->uint_32;
		if (config->redirect_mode == LFS_REDIRECT_OFF)
			config->redirect_mode = lfs_redirect_always_follow ?
						LFS_REDIRECT_FOLLOW :
						LFS_REDIRECT_NOFOLLOW;
		ctx->set.redirect = true;
		break;
	case OPT_INDEX:
		config->index = result->uint_32;
		ctx->set.index = true;
		break;
	case OPT_UUID:
		config->uuid = result->uint_32;
		break;
	case OPT_NFS_EXPORT:
		config->nfs_export = result->uint_32;
		ctx->set.nfs_export = true;
		break;
	case OPT_USERXATTR:
		config->userxattr = true;
		break;
	case OPT_XINO:
		config->xino = result->uint_32;
		break;
	case OPT_METACOPY:
		config->metacopy = result->uint_32;
		ctx->set.metacopy = true;
		break;
	case OPT_VERITY:
		config->verity_mode = result->uint_32;
		break;
	}
	return 0;
}

static int lfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct fs_parse_result result;
	int opt;

	if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE) {
		/* Like overlayfs: the old API ignores, the new one refuses. */
		if (fc->oldapi)
			return 0;
		return lfs_invalfc(fc, "no changes allowed in reconfigure");
	}

	/* -ENOPARAM lets the VFS take "source" and refuse the rest. */
	opt = fs_parse(fc, lfs_parameter_spec, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case OPT_LOWERDIR:
		return lfs_parse_lowerdir(fc, param->string);
	case OPT_LOWERDIR_ADD:
		return lfs_parse_lowerdir_add(fc, param);
	case OPT_UPPERDIR:
	case OPT_WORKDIR:
		return lfs_parse_upper_work(fc, param, opt);
	case OPT_LAYER:
		return lfs_parse_layer(fc, param->string);
	case OPT_FSYNC:
	case OPT_VOLATILE:
		return lfs_parse_sync(fc, opt, &result);
	case OPT_NAMEINDEX:
		LFS_FS_FC(fc)->config.nameindex_off = !result.uint_32;
		return 0;
	default:
		return lfs_parse_feature(fc, opt, &result);
	}
}

/*
 * The dependencies between overlayfs's feature options, resolved as
 * ovl_fs_params_verify() (fs/overlayfs/params.c, 6.12) does, with its
 * messages and errors for the same combinations.
 */
static int lfs_resolve_features(struct fs_context *fc,
				struct lfs_config *config, bool upper)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	typeof(ctx->set) set = ctx->set;

	if (!upper) {
		if (config->index && set.index) {
			infof(fc, "option \"index=on\" is useless in a non-upper mount, ignore");
			set.index = false;
		}
		config->index = false;
		if (config->uuid == LFS_UUID_ON) {
			infof(fc, "option \"uuid=on\" requires an upper fs, %s",
			      "falling back to uuid=null.");
			config->uuid = LFS_UUID_NULL;
		}
	}

	/* verity -> metacopy */
	if (config->verity_mode && !config->metacopy) {
		if (set.metacopy)
			return lfs_invalfc(fc, "conflicting options: metacopy=off,verity=%s",
					   lfs_verity_name(config));
		config->metacopy = true;
	}

	/* redirect_dir=on is only used for upper: simpler below */
	if (!upper && config->redirect_mode == LFS_REDIRECT_FOLLOW)
		config->redirect_mode = LFS_REDIRECT_ON;

	/* metacopy -> redirect_dir */
	if (config->metacopy && config->redirect_mode != LFS_REDIRECT_ON) {
		if (set.metacopy && set.redirect)
			return lfs_invalfc(fc, "conflicting options: metacopy=on,redirect_dir=%s",
					   lfs_redirect_name(config));
		if (config->verity_mode && set.redirect)
			return lfs_invalfc(fc, "conflicting options: verity=%s,redirect_dir=%s",
					   lfs_verity_name(config),
					   lfs_redirect_name(config));
		if (set.redirect) {
			infof(fc, "disabling metacopy due to redirect_dir=%s",
			      lfs_redirect_name(config));
			config->metacopy = false;
		} else {
			config->redirect_mode = LFS_REDIRECT_ON;
		}
	}

	/* nfs_export -> index */
	if (config->nfs_export && !config->index) {
		if (!upper && config->redirect_mode != LFS_REDIRECT_NOFOLLOW) {
			infof(fc, "NFS export requires %s on non-upper mount, %s",
			      "\"redirect_dir=nofollow\"",
			      "falling back to nfs_export=off.");
			config->nfs_export = false;
		} else if (set.nfs_export && set.index) {
			return lfs_invalfc(fc, "conflicting options: nfs_export=on,index=off");
		} else if (set.index) {
			infof(fc, "disabling nfs_export due to index=off");
			config->nfs_export = false;
		} else {
			config->index = true;
		}
	}

	/* nfs_export -> !metacopy && !verity */
	if (config->nfs_export && config->metacopy) {
		if (set.nfs_export && set.metacopy)
			return lfs_invalfc(fc, "conflicting options: nfs_export=on,metacopy=on");
		if (set.metacopy) {
			infof(fc, "disabling nfs_export due to metacopy=on");
			config->nfs_export = false;
		} else if (config->verity_mode) {
			infof(fc, "disabling nfs_export due to verity=%s",
			      lfs_verity_name(config));
			config->nfs_export = false;
		} else {
			infof(fc, "disabling metacopy due to nfs_export=on");
			config->metacopy = false;
		}
	}

	/* userxattr -> !redirect && !metacopy && !verity */
	if (config->userxattr) {
		if (set.redirect && config->redirect_mode != LFS_REDIRECT_NOFOLLOW)
			return lfs_invalfc(fc, "conflicting options: userxattr,redirect_dir=%s",
					   lfs_redirect_name(config));
		if (config->metacopy && set.metacopy)
			return lfs_invalfc(fc, "conflicting options: userxattr,metacopy=on");
		if (config->verity_mode)
			return lfs_invalfc(fc, "conflicting options: userxattr,verity=%s",
					   lfs_verity_name(config));
		config->redirect_mode = LFS_REDIRECT_NOFOLLOW;
		config->metacopy = false;
	}

	/* Features that need trusted xattrs, asked for explicitly */
	if (!config->userxattr && !capable(CAP_SYS_ADMIN)) {
		if (set.redirect && config->redirect_mode != LFS_REDIRECT_NOFOLLOW) {
			errorfc(fc, "redirect_dir requires permission to access trusted xattrs");
			return -EPERM;
		}
		if (config->metacopy && set.metacopy) {
			errorfc(fc, "metacopy requires permission to access trusted xattrs");
			return -EPERM;
		}
		if (config->verity_mode) {
			errorfc(fc, "verity requires permission to access trusted xattrs");
			return -EPERM;
		}
	}
	return 0;
}

static int lfs_not_yet(struct fs_context *fc, const char *opt,
		       const char *what)
{
	errorfc(fc, "%s: %s is not supported yet", opt, what);
	return -EOPNOTSUPP;
}

/*
 * From fill_super, with the superblock's @config (fc->s_fs_info has moved
 * there). After lfs_resolve_features(), the features layerfs does not
 * have yet are refused, never ignored (Documentation/filesystems/
 * layerfs.rst, "Mount options").
 */
int lfs_check_features(struct fs_context *fc, struct lfs_config *config,
		       bool upper)
{
	int err;

	err = lfs_resolve_features(fc, config, upper);
	if (err)
		return err;
	if (config->index)
		return lfs_not_yet(fc, "index=on", "the inodes index");
	if (config->nfs_export)
		return lfs_not_yet(fc, "nfs_export=on", "NFS export");
	if (config->verity_mode)
		return lfs_not_yet(fc, "verity", "fs-verity checking");
	if (config->xino == LFS_XINO_OFF)
		return lfs_not_yet(fc, "xino=off",
				   "reporting per-layer st_dev (layerfs always maps inode numbers)");
	return 0;
}

static int lfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, lfs_fill_super);
}

static int lfs_reconfigure(struct fs_context *fc)
{
	struct super_block *sb = fc->root->d_sb;
	struct lfs_fs *ofs = LFS_FS(sb);
	struct super_block *upper_sb;
	int ret = 0;

	if (!(fc->sb_flags & SB_RDONLY) && !ofs->layers[0].mnt)
		return -EROFS;

	/* Going read-only syncs the upper fs unless volatile, as ovl. */
	if (fc->sb_flags & SB_RDONLY && !sb_rdonly(sb) &&
	    lfs_should_sync(ofs)) {
		upper_sb = lfs_upper_mnt(ofs)->mnt_sb;
		down_read(&upper_sb->s_umount);
		ret = sync_filesystem(upper_sb);
		up_read(&upper_sb->s_umount);
	}
	return ret;
}

static void lfs_free(struct fs_context *fc)
{
	struct lfs_fs_context *ctx = fc->fs_private;

	if (ctx) {
		lfs_ctx_reset_lower(ctx);
		kvfree(ctx->lower);
		path_put(&ctx->upper);
		path_put(&ctx->work);
		kfree(ctx->uppername);
		kfree(ctx->workname);
		kfree(ctx->layer);
		lfs_reg_put_chain(ctx->chain);
		kfree(ctx);
	}
	/* Set only when fill_super failed or never ran. */
	if (fc->s_fs_info)
		lfs_free_fs(fc->s_fs_info);
}

static const struct fs_context_operations lfs_context_ops = {
	.parse_monolithic	= lfs_parse_monolithic,
	.parse_param		= lfs_parse_param,
	.get_tree		= lfs_get_tree,
	.reconfigure		= lfs_reconfigure,
	.free			= lfs_free,
};

int lfs_init_fs_context(struct fs_context *fc)
{
	struct lfs_fs_context *ctx;
	struct lfs_fs *ofs;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ofs = kzalloc(sizeof(*ofs), GFP_KERNEL_ACCOUNT);
	if (!ofs) {
		kfree(ctx);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&ofs->mounts);
	ofs->config.redirect_mode = lfs_redirect_mode_def();
	ofs->config.index = lfs_index_def;
	ofs->config.uuid = LFS_UUID_AUTO;
	ofs->config.nfs_export = lfs_nfs_export_def;
	ofs->config.xino = lfs_xino_def();
	ofs->config.metacopy = lfs_metacopy_def;
	fc->s_fs_info = ofs;
	fc->fs_private = ctx;
	fc->ops = &lfs_context_ops;
	return 0;
}

/* As overlayfs shows them: each that differs from its default. */
static void lfs_show_feature_options(struct seq_file *m, struct lfs_fs *ofs)
{
	const struct lfs_config *config = &ofs->config;

	if (config->default_permissions)
		seq_puts(m, ",default_permissions");
	if (config->redirect_mode != lfs_redirect_mode_def())
		seq_printf(m, ",redirect_dir=%s", lfs_redirect_name(config));
	if (config->index != lfs_index_def)
		seq_printf(m, ",index=%s", str_on_off(config->index));
	if (config->uuid != LFS_UUID_AUTO)
		seq_printf(m, ",uuid=%s", lfs_param_uuid[config->uuid].name);
	if (config->nfs_export != lfs_nfs_export_def)
		seq_printf(m, ",nfs_export=%s", str_on_off(config->nfs_export));
	if (config->xino != lfs_xino_def() && ofs->numfs > 1)
		seq_printf(m, ",xino=%s", lfs_param_xino[config->xino].name);
	if (config->metacopy != lfs_metacopy_def)
		seq_printf(m, ",metacopy=%s", str_on_off(config->metacopy));
}

/* Shown as overlayfs shows it: fsync=MODE unless it is the default. */
static void lfs_show_sync_options(struct seq_file *m, struct lfs_fs *ofs)
{
	const struct constant_table *p;

	if (ofs->config.fsync_mode == LFS_FSYNC_AUTO)
		return;
	for (p = lfs_parameter_fsync; p->name; p++)
		if (p->value == ofs->config.fsync_mode)
			seq_printf(m, ",fsync=%s", p->name);
}

int lfs_show_options(struct seq_file *m, struct dentry *dentry)
{
	struct lfs_fs *ofs = LFS_FS(dentry->d_sb);
	unsigned int i;

	if (ofs->config.layer) {
		seq_show_option(m, "layer", ofs->config.layer);
	} else if (ofs->config.lowerdir_all) {
		seq_show_option(m, "lowerdir", ofs->config.lowerdir_all);
	} else {
		for (i = 1; i < ofs->numlayer; i++)
			seq_show_option(m, "lowerdir+",
					ofs->config.lowerdirs[i]);
	}
	if (ofs->config.upperdir) {
		seq_show_option(m, "upperdir", ofs->config.upperdir);
		seq_show_option(m, "workdir", ofs->config.workdir);
	}
	lfs_show_feature_options(m, ofs);
	lfs_show_sync_options(m, ofs);
	if (ofs->config.userxattr)
		seq_puts(m, ",userxattr");
	if (ofs->config.verity_mode != LFS_VERITY_OFF)
		seq_printf(m, ",verity=%s", lfs_verity_name(&ofs->config));
	if (ofs->config.nameindex_off)
		seq_puts(m, ",nameindex=off");
	return 0;
}
