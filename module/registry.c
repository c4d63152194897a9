// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs layer registry: layers registered once, shared by every mount.
 *
 * A registered layer names a directory and its parent layer, so that a
 * mount with "layer=NAME" stacks NAME and all its ancestors. Parents must
 * be registered first, so chains are built bottom-up and cannot loop.
 *
 * Locking and lifetime: lfs_reg_mutex protects the tree, the parent
 * links and the children/mounts counters. The tree holds one reference
 * to each registered layer, a child one to its parent, and a mount one
 * to each layer of its chain (lfs_reg_chain). A layer is unregistered
 * only when no child and no mount uses it, so mounts never see a layer
 * go away; the last reference frees it and drops its parent.
 */

#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/refcount.h>
#include <linux/llist.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <crypto/sha2.h>
#include "layerfs.h"

struct lfs_reg_layer {
	struct rb_node node;
	refcount_t ref;
	struct lfs_reg_layer *parent;
	/*
	 * The layer directory on a private clone of the mount it was added
	 * through (read-only, noatime): the layer outlives that mount and is
	 * mountable from any mount namespace, as an overlay mount's lowers
	 * are. Mounts share the clone (mntget()); the last lfs_reg_put()
	 * kern_unmount()s it.
	 */
	struct path path;
	char *dir;		/* its path when added (dumps); may be NULL */
	struct llist_node free_node;	/* on lfs_reg_freed, unreferenced */
	/* Name indexes of its directories, shared by its mounts (nameidx.c) */
	struct lfs_nameidx_owner *nidx;
	unsigned int depth;
	unsigned int children;
	unsigned int mounts;
	char name[LAYERFS_NAME_SIZE];
	char diff_id[LAYERFS_ID_SIZE];
	char chain_id[LAYERFS_ID_SIZE];
};

static DEFINE_MUTEX(lfs_reg_mutex);
static struct rb_root lfs_reg_root = RB_ROOT;

/*
 * Unreferenced layers, freed by lfs_reg_free_work(): their clones go
 * through one kern_unmount_array(), one RCU grace period for all of them,
 * rather than one each (deleting 4096 layers one by one would wait for
 * 4096 grace periods). lfs_reg_exit() flushes it.
 */
static LLIST_HEAD(lfs_reg_freed);

static void lfs_reg_free_work(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&lfs_reg_freed);
	struct lfs_reg_layer *l, *next;
	struct vfsmount **mounts;
	unsigned int n = 0;

	if (!list)
		return;
	llist_for_each_entry(l, list, free_node)
		n++;
	mounts = kvmalloc_array(n, sizeof(*mounts), GFP_KERNEL);
	n = 0;
	llist_for_each_entry_safe(l, next, list, free_node) {
		dput(l->path.dentry);
		if (mounts)
			mounts[n++] = l->path.mnt;
		else
			kern_unmount(l->path.mnt);
		kfree(l->dir);
		kfree(l);
	}
	if (mounts) {
		kern_unmount_array(mounts, n);
		kvfree(mounts);
	}
}

static DECLARE_WORK(lfs_reg_free_wk, lfs_reg_free_work);

/*
 * Drop a reference; the last one frees the layer and drops its parent's.
 * A loop, not recursion through the parents: a 4096-layer chain whose top goes
 * last (module exit) would otherwise recurse 4096 deep on the stack.
 */
static void lfs_reg_put(struct lfs_reg_layer *l)
{
	struct lfs_reg_layer *parent;
	bool freed = false;

	while (l && refcount_dec_and_test(&l->ref)) {
		parent = l->parent;
		lfs_nameidx_owner_put(l->nidx);
		llist_add(&l->free_node, &lfs_reg_freed);
		freed = true;
		l = parent;
	}
	if (freed)
		schedule_work(&lfs_reg_free_wk);
}

/* Caller holds lfs_reg_mutex. */
static struct lfs_reg_layer *lfs_reg_find(const char *name)
{
	struct rb_node *node = lfs_reg_root.rb_node;

	while (node) {
		struct lfs_reg_layer *l = rb_entry(node, typeof(*l), node);
		int cmp = strcmp(name, l->name);

		if (!cmp)
			return l;
		node = cmp < 0 ? node->rb_left : node->rb_right;
	}
	return NULL;
}

static void lfs_reg_insert(struct lfs_reg_layer *new)
{
	struct rb_node **link = &lfs_reg_root.rb_node, *parent = NULL;

	while (*link) {
		struct lfs_reg_layer *l = rb_entry(*link, typeof(*l), node);

		parent = *link;
		link = strcmp(new->name, l->name) < 0 ? &(*link)->rb_left :
							 &(*link)->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &lfs_reg_root);
}

/*
 * 1..64 characters of [A-Za-z0-9._-], not "." or "..". ASCII only, as the
 * helper checks: the kernel's isalnum() is Latin-1 and takes 0xc0-0xff.
 */
static bool lfs_reg_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool lfs_reg_valid_name(const char *name, size_t size)
{
	size_t len = strnlen(name, size);
	size_t i;

	if (!len || len > LAYERFS_NAME_MAX || len == size)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (!lfs_reg_name_char(name[i]))
			return false;
	return true;
}

/* "" or "sha256:" and 64 lower-case hex digits. */
static bool lfs_reg_valid_id(const char *id)
{
	size_t len = strnlen(id, LAYERFS_ID_SIZE);
	size_t i;

	if (!len)
		return true;
	if (len != 71 || strncmp(id, "sha256:", 7))
		return false;
	for (i = 7; i < len; i++)
		if (!isdigit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
			return false;
	return true;
}

/* chain_id = sha256(parent_chain + " " + diff_id), "sha256:" + hex. */
static void lfs_reg_chain_id(const char *parent_chain, const char *diff_id,
			     char *out)
{
	struct sha256_state sctx;
	u8 digest[SHA256_DIGEST_SIZE];

	sha256_init(&sctx);
	sha256_update(&sctx, parent_chain, strlen(parent_chain));
	sha256_update(&sctx, " ", 1);
	sha256_update(&sctx, diff_id, strlen(diff_id));
	sha256_final(&sctx, digest);
	memcpy(out, "sha256:", 7);
	bin2hex(out + 7, digest, sizeof(digest));
	out[71] = '\0';
}

/* Fill in and check l->chain_id against the chain rule. */
static int lfs_reg_verify_chain(struct lfs_reg_layer *l)
{
	char computed[LAYERFS_ID_SIZE];

	if (!l->diff_id[0]) {
		pr_err("layer %s: chain verification needs a diff_id\n", l->name);
		return -EINVAL;
	}
	if (l->parent && !l->parent->chain_id[0]) {
		pr_err("layer %s: parent %s has no chain_id to verify against\n",
		       l->name, l->parent->name);
		return -EINVAL;
	}
	if (l->parent)
		lfs_reg_chain_id(l->parent->chain_id, l->diff_id, computed);
	else
		strscpy(computed, l->diff_id, sizeof(computed));
	if (l->chain_id[0] && strcmp(l->chain_id, computed)) {
		pr_err("layer %s: chain_id %s does not match computed %s\n",
		       l->name, l->chain_id, computed);
		return -EBADMSG;
	}
	strscpy(l->chain_id, computed, sizeof(l->chain_id));
	return 0;
}

static bool lfs_reg_same(const struct lfs_reg_layer *old,
			 const struct lfs_reg_layer *new)
{
	return old->path.dentry == new->path.dentry &&
	       old->path.mnt->mnt_sb == new->path.mnt->mnt_sb &&
	       mnt_idmap(old->path.mnt) == mnt_idmap(new->path.mnt) &&
	       old->parent == new->parent &&
	       (!new->diff_id[0] || !strcmp(old->diff_id, new->diff_id)) &&
	       (!new->chain_id[0] || !strcmp(old->chain_id, new->chain_id));
}

/*
 * Register a layer. The strings are NUL-terminated within their uapi
 * array sizes (checked by the caller); @path is the layer directory.
 */
int lfs_reg_add(const struct lfs_reg_req *req, const struct path *path)
{
	struct lfs_reg_layer *l, *old;
	struct vfsmount *mnt;
	int err;

	if (!lfs_reg_valid_name(req->name, LAYERFS_NAME_SIZE) ||
	    (req->parent[0] &&
	     !lfs_reg_valid_name(req->parent, LAYERFS_NAME_SIZE))) {
		pr_err("invalid layer name\n");
		return -EINVAL;
	}
	if (!lfs_reg_valid_id(req->diff_id) ||
	    !lfs_reg_valid_id(req->chain_id)) {
		pr_err("layer %s: ids must be \"sha256:\" and 64 hex digits\n",
		       req->name);
		return -EINVAL;
	}

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	refcount_set(&l->ref, 1);
	/* Unbindable, under a locked mount, or not in our namespace */
	mnt = clone_private_mount(path);
	if (IS_ERR(mnt)) {
		pr_err("layer %s: cannot clone the mount of its directory: %pe\n",
		       req->name, mnt);
		kfree(l);
		return PTR_ERR(mnt);
	}
	/* No one else sees the clone yet. */
	mnt->mnt_flags |= MNT_READONLY | MNT_NOATIME;
	l->path.mnt = mnt;
	l->path.dentry = dget(mnt->mnt_root);
	l->dir = lfs_path_name(path);
	/* No table (no memory): its mounts just do not share indexes. */
	l->nidx = lfs_nameidx_owner_alloc(true);
	strscpy(l->name, req->name, sizeof(l->name));
	strscpy(l->diff_id, req->diff_id, sizeof(l->diff_id));
	strscpy(l->chain_id, req->chain_id, sizeof(l->chain_id));

	mutex_lock(&lfs_reg_mutex);
	l->depth = 1;
	if (req->parent[0]) {
		l->parent = lfs_reg_find(req->parent);
		err = -ENOENT;
		if (!l->parent) {
			pr_err("layer %s: parent %s is not registered\n",
			       l->name, req->parent);
			goto out_unlock;
		}
		l->depth = l->parent->depth + 1;
		err = -EINVAL;
		if (l->depth > LFS_MAX_LOWER) {
			pr_err("layer %s: chain deeper than %d layers\n",
			       l->name, LFS_MAX_LOWER);
			goto out_unlock;
		}
	}
	if (req->flags & LAYERFS_ADD_VERIFY_CHAIN) {
		err = lfs_reg_verify_chain(l);
		if (err)
			goto out_unlock;
	}

	old = lfs_reg_find(l->name);
	if (old) {
		/* Same layer again: a no-op, so registration is idempotent. */
		err = lfs_reg_same(old, l) ? 0 : -EEXIST;
		if (err)
			pr_err("layer %s is already registered differently\n",
			       l->name);
		goto out_unlock;
	}

	if (l->parent) {
		refcount_inc(&l->parent->ref);
		l->parent->children++;
	}
	lfs_reg_insert(l);
	lfs_event_layer(LAYERFS_EVENT_LAYER_ADDED, l->name);
	mutex_unlock(&lfs_reg_mutex);
	return 0;

out_unlock:
	mutex_unlock(&lfs_reg_mutex);
	l->parent = NULL;
	lfs_reg_put(l);
	return err;
}

static void lfs_reg_unlink(struct lfs_reg_layer *l)
{
	rb_erase(&l->node, &lfs_reg_root);
	if (l->parent)
		l->parent->children--;
	lfs_reg_put(l);
}

int lfs_reg_del(const char *name)
{
	struct lfs_reg_layer *l;
	int err = 0;

	mutex_lock(&lfs_reg_mutex);
	l = lfs_reg_find(name);
	if (!l)
		err = -ENOENT;
	else if (l->children || l->mounts)
		err = -EBUSY;
	else
		lfs_event_layer(LAYERFS_EVENT_LAYER_REMOVED, l->name);
	if (!err)
		lfs_reg_unlink(l);
	mutex_unlock(&lfs_reg_mutex);
	return err;
}

int lfs_reg_get(const char *name, struct layerfs_layer_info *info)
{
	struct lfs_reg_layer *l;
	int err = 0;

	mutex_lock(&lfs_reg_mutex);
	l = lfs_reg_find(name);
	if (!l) {
		err = -ENOENT;
	} else {
		memset(info->parent, 0, sizeof(info->parent));
		if (l->parent)
			memcpy(info->parent, l->parent->name,
			       strlen(l->parent->name));
		memset(info->diff_id, 0, sizeof(info->diff_id));
		memcpy(info->diff_id, l->diff_id, strlen(l->diff_id));
		memset(info->chain_id, 0, sizeof(info->chain_id));
		memcpy(info->chain_id, l->chain_id, strlen(l->chain_id));
		info->depth = l->depth;
		info->children = l->children;
		info->mounts = l->mounts;
	}
	mutex_unlock(&lfs_reg_mutex);
	return err;
}

/*
 * Pin the chain of @name (top first) for a mount: every layer counts the
 * mount and is referenced until lfs_reg_put_chain().
 */
struct lfs_reg_chain *lfs_reg_get_chain(const char *name)
{
	struct lfs_reg_chain *chain;
	struct lfs_reg_layer *l, *top;
	unsigned int i;

	mutex_lock(&lfs_reg_mutex);
	top = lfs_reg_find(name);
	if (!top) {
		mutex_unlock(&lfs_reg_mutex);
		return ERR_PTR(-ENOENT);
	}
	chain = kvmalloc(struct_size(chain, layers, top->depth), GFP_KERNEL_ACCOUNT);
	if (!chain) {
		mutex_unlock(&lfs_reg_mutex);
		return ERR_PTR(-ENOMEM);
	}
	chain->nr = top->depth;
	for (i = 0, l = top; l; l = l->parent, i++) {
		refcount_inc(&l->ref);
		l->mounts++;
		chain->layers[i] = l;
	}
	mutex_unlock(&lfs_reg_mutex);
	return chain;
}

void lfs_reg_put_chain(struct lfs_reg_chain *chain)
{
	unsigned int i;

	if (!chain)
		return;
	mutex_lock(&lfs_reg_mutex);
	for (i = 0; i < chain->nr; i++)
		chain->layers[i]->mounts--;
	mutex_unlock(&lfs_reg_mutex);
	for (i = 0; i < chain->nr; i++)
		lfs_reg_put(chain->layers[i]);
	kvfree(chain);
}

/*
 * Copy the first layer whose name sorts after @after ("" for the first
 * layer); -ENOENT past the end. Dumps resume by name, not by position,
 * so that a layer added or removed between two parts of a dump neither
 * hides nor repeats another one, and each part starts in O(log n).
 */
int lfs_reg_snapshot_next(const char *after, struct lfs_reg_snapshot *snap)
{
	struct lfs_reg_layer *l, *next = NULL;
	struct rb_node *node;

	mutex_lock(&lfs_reg_mutex);
	for (node = lfs_reg_root.rb_node; node;) {
		l = rb_entry(node, typeof(*l), node);
		if (strcmp(after, l->name) < 0) {
			next = l;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	l = next;
	if (l) {
		strscpy(snap->name, l->name, sizeof(snap->name));
		strscpy(snap->parent, l->parent ? l->parent->name : "",
			sizeof(snap->parent));
		strscpy(snap->diff_id, l->diff_id, sizeof(snap->diff_id));
		strscpy(snap->chain_id, l->chain_id, sizeof(snap->chain_id));
		snap->depth = l->depth;
		snap->children = l->children;
		snap->mounts = l->mounts;
		/* as d_path() would say of it, relative to its adder's root */
		snap->dir = l->dir ? kasprintf(GFP_KERNEL, "%s%s", l->dir,
					       d_unlinked(l->path.dentry) ?
					       " (deleted)" : "") : NULL;
	}
	mutex_unlock(&lfs_reg_mutex);
	return l ? 0 : -ENOENT;
}

const struct path *lfs_reg_layer_path(const struct lfs_reg_layer *l)
{
	return &l->path;
}

struct lfs_nameidx_owner *lfs_reg_layer_nameidx(const struct lfs_reg_layer *l)
{
	return l->nidx;
}

const char *lfs_reg_layer_name(const struct lfs_reg_layer *l)
{
	return l->name;
}

const char *lfs_reg_layer_chain_id(const struct lfs_reg_layer *l)
{
	return l->chain_id;
}

/* Module exit: no mount is left, so nothing is pinned. */
void lfs_reg_exit(void)
{
	struct rb_node *node;

	mutex_lock(&lfs_reg_mutex);
	while ((node = rb_last(&lfs_reg_root))) {
		struct lfs_reg_layer *l = rb_entry(node, typeof(*l), node);

		rb_erase(node, &lfs_reg_root);
		lfs_reg_put(l);
	}
	mutex_unlock(&lfs_reg_mutex);
	flush_work(&lfs_reg_free_wk);
}
