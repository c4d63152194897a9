// SPDX-License-Identifier: GPL-2.0
/*
 * End to end with a real dockerd (Debian's docker.io 20.10, overlay2
 * graph driver, the legacy image store): the store layerctl reads is
 * written by Docker itself, not by our own scripts/mkstore.
 *
 * The first test starts containerd, then dockerd on private paths
 * (/var/lib/layerfs-e2e, /run/layerfs-e2e: tmpfs in the guest) and
 * `docker load`s the busybox demo image (mkstore --docker-save: three
 * layers with files, directories, symbolic and hard links, a fifo, an
 * xattr, .wh. whiteouts and a .wh..wh..opq opaque directory); the
 * daemons stay up for the following tests and the last one stops them.
 * Every test makes its own container (docker create; nothing is run,
 * so neither runc nor a network is needed).
 *
 * layerctl inspect must agree with docker inspect; layerctl mounts of
 * the image and of containers must show the tree an overlay mount made
 * from GraphDriver.Data shows (as dockerd mounts it); writes through a
 * layerfs container mount must be what `docker diff`, `docker commit`
 * and `docker save` see, exactly as the same writes through overlayfs;
 * and dockerd must still manage the store afterwards (rm, rmi).
 *
 * Needs root, docker.io and containerd (scripts/setup installs them),
 * and LAYERFS_KO / LAYERCTL / MKSTORE as selftests/run sets them.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "e2e.h"

#define E2E		"/run/layerfs-e2e"
#define DATA		"/var/lib/layerfs-e2e/docker"
#define SOCK		E2E "/docker.sock"
#define CTRD_SOCK	E2E "/containerd.sock"
#define DOCKER		"/usr/bin/docker -H unix://" SOCK
#define DOCKERD		"/usr/sbin/dockerd"
#define CONTAINERD	"/usr/bin/containerd"
#define IMAGE		"layerfs-e2e:latest"
#define CGROUP2_MAGIC	0x63677270

/* ---- the daemons ------------------------------------------------------- */

static bool docker_up(void)
{
	return RUN(DOCKER " version --format '{{.Server.Version}}'") == 0;
}

/*
 * Start containerd first (under TCG dockerd's own start of it can time
 * out), then dockerd with everything it writes on tmpfs. /etc/docker is
 * the read-only host's: dockerd writes key.json there, so it gets a tmpfs.
 * 0, or -1 with the reason in @why.
 */
static int start_daemons(char *why, size_t len)
{
	/* Bounds on waits for the daemons, as slow as the harness. */
	int ctrd_secs = 120 * lu_timeout_scale();
	int dockerd_secs = 300 * lu_timeout_scale();
	struct statfs sfs;
	int i;

	if (access(DOCKERD, X_OK) || access(CONTAINERD, X_OK)) {
		snprintf(why, len, "%s or %s missing (scripts/setup installs docker.io and containerd)",
			 DOCKERD, CONTAINERD);
		return -1;
	}
	if (mkdir(E2E, 0700) && errno != EEXIST) {
		snprintf(why, len, "mkdir %s: %s", E2E, strerror(errno));
		return -1;
	}
	if (statfs("/sys/fs/cgroup", &sfs) || sfs.f_type != CGROUP2_MAGIC)
		mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	if (access("/etc/docker", W_OK) &&
	    mount("tmpfs", "/etc/docker", "tmpfs", 0, "mode=0755")) {
		snprintf(why, len, "/etc/docker is not writable and no tmpfs can go there: %s",
			 strerror(errno));
		return -1;
	}
	if (RUN("setsid " CONTAINERD " --address " CTRD_SOCK
		" --root /var/lib/layerfs-e2e/containerd --state " E2E "/containerd"
		" >" E2E "/containerd.log 2>&1 </dev/null & echo $! >" E2E "/containerd.pid")) {
		snprintf(why, len, "containerd: %.600s", lu_out);
		return -1;
	}
	/* Poll for the socket: containerd has no readiness notification. */
	for (i = 0; i < 2 * ctrd_secs && access(CTRD_SOCK, F_OK); i++)
		usleep(500000);
	if (access(CTRD_SOCK, F_OK)) {
		RUN("tail -20 " E2E "/containerd.log");
		snprintf(why, len, "containerd did not come up in %d s: %.600s", ctrd_secs, lu_out);
		return -1;
	}
	if (RUN("setsid " DOCKERD " --containerd=" CTRD_SOCK " -H unix://" SOCK
		" --data-root " DATA " --exec-root " E2E "/exec --pidfile " E2E "/dockerd.pid"
		" --storage-driver=overlay2 --bridge=none --iptables=false --ip6tables=false"
		" >" E2E "/dockerd.log 2>&1 </dev/null &")) {
		snprintf(why, len, "dockerd: %.600s", lu_out);
		return -1;
	}
	/* Poll until it answers on its API socket, as docker's own scripts do. */
	for (i = 0; i < dockerd_secs && !docker_up(); i++)
		sleep(1);
	if (!docker_up()) {
		RUN("tail -20 " E2E "/dockerd.log");
		snprintf(why, len, "dockerd did not answer in %d s: %.600s", dockerd_secs, lu_out);
		return -1;
	}
	return 0;
}

/*
 * Stop both and wait (bounded, as slow as the harness) until they are
 * gone: dockerd removes its pid file last, containerd's pid disappears.
 */
static void stop_daemons(void)
{
	int secs = 60 * lu_timeout_scale();

	RUN("kill $(cat " E2E "/dockerd.pid) && "
	    "for i in $(seq %d); do [ -e " E2E "/dockerd.pid ] || break; sleep 1; done; "
	    "pid=$(cat " E2E "/containerd.pid); kill $pid; "
	    "for i in $(seq %d); do kill -0 $pid 2>/dev/null || break; sleep 1; done",
	    secs, secs);
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(docker) {
	char dir[PATH_MAX];		/* mount points and scratch */
	char a[PATH_MAX + 8], b[PATH_MAX + 8];
	char cid[80];			/* the test's container */
	bool ready;
};

FIXTURE_SETUP(docker)
{
	char why[768], tar[PATH_MAX + 16];
	const char *mkstore = getenv("MKSTORE");
	int e;

	if (geteuid())
		SKIP(return, "needs root");
	if (access(lu_layerctl(), X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	if (!docker_up()) {
		if (start_daemons(why, sizeof(why))) {
			if (access(DOCKERD, X_OK))
				SKIP(return, "%s", why);
			ASSERT_TRUE(false) TH_LOG("%s", why);
		}
		RUN(DOCKER " version --format 'dockerd {{.Server.Version}}, API {{.Server.APIVersion}}, containerd '"
		    " && " CONTAINERD " --version | cut -d' ' -f3");
		TH_LOG("started %s", lu_chomp());
	}
	P(self->dir, "/tmp/docker-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	P(self->a, "%s/a", self->dir);
	P(self->b, "%s/b", self->dir);
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));

	if (RUN(DOCKER " image inspect -f '{{.Id}}' " IMAGE)) {
		ASSERT_NE(NULL, mkstore);
		P(tar, "%s/image.tar", self->dir);
		ASSERT_EQ(0, RUN("%s --docker-save %s --demo --tag " IMAGE, mkstore, tar))
			TH_LOG("%s", lu_out);
		ASSERT_EQ(0, RUN(DOCKER " load -i %s", tar)) TH_LOG("%s", lu_out);
		TH_LOG("docker load: %s", lu_chomp());
		unlink(tar);
	}
	ASSERT_EQ(0, RUN("grep -qw overlay /proc/filesystems || modprobe overlay"));
	e = RUN(DOCKER " create " IMAGE " /bin/sh");
	ASSERT_EQ(0, e) TH_LOG("docker create: %s", lu_out);
	P(self->cid, "%.64s", lu_chomp());
	ASSERT_EQ(64, strlen(self->cid));
	self->ready = true;
}

FIXTURE_TEARDOWN(docker)
{
	if (!self->dir[0])
		return;
	umount2(self->a, MNT_DETACH);
	umount2(self->b, MNT_DETACH);
	if (self->cid[0])
		RUN(DOCKER " rm -f %s", self->cid);
	RUN("%s --root " DATA " prune", lu_layerctl_cmd());
	RUN("rm -rf %s", self->dir);
}

/* GraphDriver.Data of an image or a container (docker inspect). */
static struct json_object *graph_data(const char *what)
{
	struct json_object *arr, *o, *gd, *data = NULL;

	arr = RUN_JSON(DOCKER " inspect %s", what);
	if (!arr || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) != 1) {
		json_object_put(arr);
		return NULL;
	}
	o = json_object_array_get_idx(arr, 0);
	if (json_object_object_get_ex(o, "GraphDriver", &gd) &&
	    json_object_object_get_ex(gd, "Data", &data))
		json_object_get(data);
	json_object_put(arr);
	return data;
}

/*
 * Mount overlayfs read-only on @mnt from GraphDriver.Data as dockerd's
 * overlay2 driver would see the layers: UpperDir on top of LowerDir.
 */
static int mount_overlay_ro(struct json_object *gd, const char *mnt)
{
	char opts[8192];
	const char *lower = lu_jstr(gd, "LowerDir"), *upper = lu_jstr(gd, "UpperDir");

	if (!upper)
		return -1;
	snprintf(opts, sizeof(opts), "lowerdir=%s%s%s", upper,
		 lower ? ":" : "", lower ? lower : "");
	return mount("overlay", mnt, "overlay", MS_RDONLY, opts);
}

/* ---- tests ------------------------------------------------------------- */

TEST_F_TIMEOUT(docker, layerctl_inspect_agrees_with_docker_inspect, 600)
{
	struct json_object *di, *lc, *layers, *rootfs, *dl, *gd;
	char lower[8192] = "", *p = lower;
	size_t i, n;

	/* the image: its ID and RootFS.Layers are the chain's diffIDs */
	di = RUN_JSON(DOCKER " image inspect " IMAGE);
	ASSERT_NE(NULL, di) TH_LOG("%s", lu_out);
	di = json_object_array_get_idx(di, 0);
	lc = RUN_JSON("%s --root " DATA " inspect --json " IMAGE, lu_layerctl_cmd());
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	EXPECT_STREQ(lu_jstr(di, "Id"), lu_jstr(lc, "id"));
	ASSERT_TRUE(json_object_object_get_ex(di, "RootFS", &rootfs));
	ASSERT_TRUE(json_object_object_get_ex(rootfs, "Layers", &dl));
	ASSERT_TRUE(json_object_object_get_ex(lc, "layers", &layers));
	n = json_object_array_length(dl);
	ASSERT_EQ(3, n);
	ASSERT_EQ(n, json_object_array_length(layers));
	for (i = 0; i < n; i++)
		EXPECT_STREQ(json_object_get_string(json_object_array_get_idx(dl, i)),
			     lu_jstr(json_object_array_get_idx(layers, i), "diff_id"));
	TH_LOG("image %s: %zu layers agree", lu_jstr(lc, "id"), n);
	json_object_put(lc);

	/* the container: upper, work, and the lower dirs, init layer first */
	gd = graph_data(self->cid);
	ASSERT_NE(NULL, gd);
	lc = RUN_JSON("%s --root " DATA " inspect --json %s", lu_layerctl_cmd(), self->cid);
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	EXPECT_STREQ(lu_jstr(gd, "UpperDir"), lu_jstr(lc, "upperdir"));
	EXPECT_STREQ(lu_jstr(gd, "WorkDir"), lu_jstr(lc, "workdir"));
	ASSERT_TRUE(json_object_object_get_ex(lc, "layers", &layers));
	n = json_object_array_length(layers);
	ASSERT_EQ(4, n);	/* three image layers and the init layer */
	EXPECT_TRUE(json_object_get_boolean(json_object_object_get(
		json_object_array_get_idx(layers, n - 1), "init")));
	for (i = n; i-- > 0;)
		p += snprintf(p, lower + sizeof(lower) - p, "%s%s", i == n - 1 ? "" : ":",
			      lu_jstr(json_object_array_get_idx(layers, i), "path"));
	EXPECT_STREQ(lu_jstr(gd, "LowerDir"), lower);
	json_object_put(lc);
	json_object_put(gd);
}

TEST_F_TIMEOUT(docker, image_mount_matches_overlay_from_graphdriver, 600)
{
	struct json_object *gd = graph_data(IMAGE);
	ssize_t n;

	ASSERT_NE(NULL, gd);
	ASSERT_EQ(0, RUN("%s --root " DATA " mount " IMAGE " %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_overlay_ro(gd, self->b)) TH_LOG("overlay: %s", strerror(errno));
	n = lu_same_tree(_metadata, self->a, self->b);
	EXPECT_LT(100, n);
	TH_LOG("image: %zd entries identical", n);
	json_object_put(gd);
}

/*
 * dockerd writes into the container's read-write layer itself (docker cp
 * through its own overlay mount), then both show the same tree.
 */
TEST_F_TIMEOUT(docker, container_mount_matches_overlay_from_graphdriver, 600)
{
	struct json_object *gd = graph_data(self->cid);
	char src[PATH_MAX + 16];
	ssize_t n;

	ASSERT_NE(NULL, gd);
	P(src, "%s/copied", self->dir);
	ASSERT_EQ(0, RUN("mkdir -p %s/sub && echo from docker cp > %s/sub/file && "
			 "ln -s file %s/sub/link && " DOCKER " cp %s %s:/etc/",
			 src, src, src, src, self->cid)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("%s --root " DATA " mount %s %s", lu_layerctl_cmd(), self->cid, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_overlay_ro(gd, self->b)) TH_LOG("overlay: %s", strerror(errno));
	EXPECT_STREQ("from docker cp\n", lu_cat(P(src, "%s/etc/copied/sub/file", self->a)));
	EXPECT_EQ(0, access(P(src, "%s/.dockerenv", self->a), F_OK));
	n = lu_same_tree(_metadata, self->a, self->b);
	EXPECT_LT(100, n);
	TH_LOG("container: %zd entries identical", n);
	json_object_put(gd);
}

/*
 * The mount string dockerd 20.10 gives overlay for a running container
 * (its overlay2 driver: lowerdir of l/ short names, upperdir, workdir, as
 * mountinfo shows them), taken from the mount while the container runs
 * and used unchanged with -t layerfs once it has stopped: the same tree,
 * including what the container wrote.
 */
TEST_F_TIMEOUT(docker, dockerd_mount_string_mounts_layerfs, 600)
{
	int secs = 60 * lu_timeout_scale(), i;
	char merged[PATH_MAX], opts[8192], id[80];
	struct lu_tree to = { 0 };
	ssize_t n;

	ASSERT_EQ(0, RUN(DOCKER " run -d --network none " IMAGE
			 " /bin/sh -c 'echo ran > /etc/ran && exec sleep 600'"))
		TH_LOG("docker run: %s", lu_out);
	P(id, "%.64s", lu_chomp());
	ASSERT_EQ(0, RUN(DOCKER " inspect -f '{{.GraphDriver.Data.MergedDir}}' %s", id))
		TH_LOG("%s", lu_out);
	P(merged, "%s", lu_chomp());
	/* the container's shell writes its file, then sleeps */
	for (i = 0; i < 2 * secs && access(P(opts, "%s/etc/ran", merged), F_OK); i++)
		usleep(500000);
	ASSERT_EQ(0, RUN("grep ' %s ' /proc/self/mountinfo | sed 's/.* - overlay [^ ]* //'",
			 merged)) TH_LOG("%s", lu_out);
	P(opts, "%s", lu_chomp());
	TH_LOG("dockerd: %s", opts);
	ASSERT_NE(NULL, strstr(opts, "lowerdir=")) TH_LOG("%s", opts);
	ASSERT_EQ(0, lu_tree_walk(merged, &to)) TH_LOG("%s", to.error);
	ASSERT_EQ(0, RUN(DOCKER " kill %s && " DOCKER " wait %s", id, id)) TH_LOG("%s", lu_out);
	/* dockerd unmounts the rootfs once the container is gone */
	for (i = 0; i < 2 * secs && !RUN("grep -q ' %s ' /proc/self/mountinfo", merged); i++)
		usleep(500000);
	ASSERT_NE(0, RUN("grep -q ' %s ' /proc/self/mountinfo", merged));

	ASSERT_EQ(0, RUN("mount -t layerfs -o '%s' layerfs %s", opts, self->a))
		TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN("grep ' %s .* - layerfs layerfs ' /proc/self/mountinfo", self->a))
		TH_LOG("%s", lu_out);
	EXPECT_STREQ("ran\n", lu_cat(P(opts, "%s/etc/ran", self->a)));
	n = lu_same_as_tree(_metadata, self->a, &to);
	EXPECT_LT(100, n);
	TH_LOG("running container: %zd entries identical", n);
	EXPECT_EQ(0, umount(self->a));
	EXPECT_EQ(0, RUN(DOCKER " rm %s", id)) TH_LOG("%s", lu_out);
}

/* docker diff of a container, sorted, in @buf. */
static int docker_diff(const char *cid, char *buf, size_t len)
{
	char cmd[256];

	return lu_run_sorted(P(cmd, DOCKER " diff %s", cid), buf, len);
}

TEST_F_TIMEOUT(docker, writes_show_in_docker_diff_commit_and_save, 600)
{
	char p[PATH_MAX + 64], diff_lfs[8192], diff_ovl[8192], ocid[80];
	struct json_object *gd;
	int i;

	/* the changes through layerctl's mount of the container */
	ASSERT_EQ(0, RUN("%s --root " DATA " mount %s %s", lu_layerctl_cmd(), self->cid, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", self->a, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("%s --root " DATA " umount %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, docker_diff(self->cid, diff_lfs, sizeof(diff_lfs))) TH_LOG("%s", lu_out);

	/* the same changes through overlayfs mounted as dockerd mounts it */
	ASSERT_EQ(0, RUN(DOCKER " create " IMAGE " /bin/sh")) TH_LOG("%s", lu_out);
	P(ocid, "%.64s", lu_chomp());
	gd = graph_data(ocid);
	ASSERT_NE(NULL, gd);
	P(p, "lowerdir=%s,upperdir=%s,workdir=%s", lu_jstr(gd, "LowerDir"),
	  lu_jstr(gd, "UpperDir"), lu_jstr(gd, "WorkDir"));
	json_object_put(gd);
	ASSERT_EQ(0, mount("overlay", self->b, "overlay", 0, p)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, RUN("cd %s && %s", self->b, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, docker_diff(ocid, diff_ovl, sizeof(diff_ovl))) TH_LOG("%s", lu_out);
	RUN(DOCKER " rm -f %s", ocid);

	/* docker diff: exactly those changes, as overlayfs gives them */
	EXPECT_STREQ(diff_ovl, diff_lfs);
	EXPECT_STREQ("A /new.txt\nA /opt/old/fresh\nA /usr/local/bin/hello-3\n"
		     "C /etc\nC /etc/os-release\nC /opt\nC /opt/old\nC /usr\n"
		     "C /usr/local\nC /usr/local/bin\nC /usr/share\n"
		     "C /usr/share/demo\nD /opt/old/new.txt\n"
		     "D /usr/share/demo/keep\n", diff_lfs);
	for (i = 0; i < 7; i++) {
		static const char *const want[] = {
			"A /new.txt\n", "C /etc/os-release\n",
			"D /usr/share/demo/keep\n", "C /opt/old\n",
			"A /opt/old/fresh\n", "A /usr/local/bin/hello-3\n",
			"C /usr/share/demo\n",
		};

		EXPECT_NE(NULL, strstr(diff_lfs, want[i]))
			TH_LOG("docker diff lacks %s", want[i]);
	}
	EXPECT_EQ(NULL, strstr(diff_lfs, "/opt/old/a.txt"));
	TH_LOG("docker diff:\n%s", diff_lfs);

	/* docker commit + docker save carry them as an image layer */
	ASSERT_EQ(0, RUN(DOCKER " commit %s layerfs-e2e:committed", self->cid))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && " DOCKER " save -o saved.tar layerfs-e2e:committed && "
			 "mkdir saved && tar -xf saved.tar -C saved && "
			 "tar -tvf saved/$(python3 -c 'import json; "
			 "print(json.load(open(\"saved/manifest.json\"))[0][\"Layers\"][-1])') | "
			 "awk '{print $1, $6}' | LC_ALL=C sort -k2", self->dir))
		TH_LOG("%s", lu_out);
	TH_LOG("the committed layer:\n%s", lu_out);
	for (i = 0; i < 6; i++) {
		static const char *const want[] = {
			" new.txt\n", " etc/os-release\n",
			" usr/share/demo/.wh.keep\n", " opt/old/.wh..wh..opq\n",
			" opt/old/fresh\n", " usr/local/bin/hello-3\n",
		};

		EXPECT_NE(NULL, strstr(lu_out, want[i]))
			TH_LOG("the committed layer lacks%s", want[i]);
	}

	/* and layerctl mounts the committed image with the changes */
	ASSERT_EQ(0, RUN("%s --root " DATA " mount layerfs-e2e:committed %s", lu_layerctl_cmd(),
			 self->a)) TH_LOG("%s", lu_out);
	EXPECT_STREQ("new\n", lu_cat(P(p, "%s/new.txt", self->a)));
	EXPECT_STREQ("fresh\n", lu_cat(P(p, "%s/opt/old/fresh", self->a)));
	EXPECT_NE(0, access(P(p, "%s/opt/old/new.txt", self->a), F_OK));
	EXPECT_NE(0, access(P(p, "%s/usr/share/demo/keep", self->a), F_OK));
	ASSERT_EQ(0, RUN("%s --root " DATA " umount %s", lu_layerctl_cmd(), self->a));
	ASSERT_EQ(0, RUN("%s --root " DATA " prune", lu_layerctl_cmd()));
	EXPECT_EQ(0, RUN(DOCKER " rmi layerfs-e2e:committed")) TH_LOG("%s", lu_out);
}

/* layerctl ps and images read what docker ps and docker images show. */
TEST_F_TIMEOUT(docker, layerctl_ps_and_images_agree_with_docker, 600)
{
	struct json_object *da, *di, *lc, *c = NULL, *state;
	char name[256], path[PATH_MAX * 2];
	size_t i;

	da = RUN_JSON(DOCKER " container inspect %s", self->cid);
	ASSERT_NE(NULL, da) TH_LOG("%s", lu_out);
	di = json_object_array_get_idx(da, 0);
	ASSERT_TRUE(json_object_object_get_ex(di, "State", &state));
	snprintf(name, sizeof(name), "%s", lu_jstr(di, "Name") + 1); /* "/name" */

	lc = RUN_JSON("%s --root " DATA " ps --json", lu_layerctl_cmd());
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	for (i = 0; i < json_object_array_length(lc); i++)
		if (!strcmp(lu_jstr(json_object_array_get_idx(lc, i), "id"), self->cid))
			c = json_object_array_get_idx(lc, i);
	ASSERT_NE(NULL, c) TH_LOG("ps: %s", lu_out);
	EXPECT_STREQ(name, lu_jstr(c, "name"));
	EXPECT_STREQ(lu_jstr(state, "Status"), lu_jstr(c, "state"));	/* created */
	EXPECT_STREQ(lu_jstr(di, "Image"), lu_jstr(c, "image"));
	EXPECT_STREQ(IMAGE, lu_jstr(c, "image_ref"));
	TH_LOG("container %s: %s, %s", name, lu_jstr(c, "state"), lu_jstr(c, "init_layer"));
	json_object_put(lc);
	json_object_put(da);

	/* mounted by the name docker gave it */
	ASSERT_EQ(0, RUN("%s --root " DATA " mount %s %s", lu_layerctl_cmd(), name, self->a))
		TH_LOG("%s", lu_out);
	snprintf(path, sizeof(path), "%s/.dockerenv", self->a);
	EXPECT_EQ(0, access(path, F_OK));
	ASSERT_EQ(0, RUN("%s --root " DATA " umount %s", lu_layerctl_cmd(), self->a));

	lc = RUN_JSON("%s --root " DATA " images --json", lu_layerctl_cmd());
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	da = RUN_JSON(DOCKER " image inspect " IMAGE);
	ASSERT_NE(NULL, da) TH_LOG("%s", lu_out);
	di = json_object_array_get_idx(da, 0);
	c = NULL;
	for (i = 0; i < json_object_array_length(lc); i++)
		if (!strcmp(lu_jstr(json_object_array_get_idx(lc, i), "id"), lu_jstr(di, "Id")))
			c = json_object_array_get_idx(lc, i);
	ASSERT_NE(NULL, c) TH_LOG("images: %s", lu_out);
	EXPECT_NE(NULL, strstr(lu_jstr(c, "references"), IMAGE));
	EXPECT_EQ(3, json_object_get_int(json_object_object_get(c, "layers")));
	json_object_put(lc);
	json_object_put(da);
}

/* Last: dockerd still manages the store layerctl used, then it stops. */
TEST_F_TIMEOUT(docker, dockerd_still_manages_the_store, 600)
{
	ASSERT_EQ(0, RUN("%s --root " DATA " mount %s %s", lu_layerctl_cmd(), self->cid, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("echo x > %s/root/x", self->a));
	/* dockerd cannot remove a container whose layer layerfs holds */
	ASSERT_EQ(0, RUN("%s --root " DATA " umount %s", lu_layerctl_cmd(), self->a));
	ASSERT_EQ(0, RUN("%s --root " DATA " prune", lu_layerctl_cmd()));
	EXPECT_EQ(0, RUN(DOCKER " rm %s", self->cid)) TH_LOG("%s", lu_out);
	self->cid[0] = '\0';
	EXPECT_EQ(0, RUN(DOCKER " rmi " IMAGE)) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(DOCKER " images -q | wc -l"));
	EXPECT_STREQ("0", lu_chomp());
	/* nothing of the image is left in overlay2/ but the l/ directory */
	EXPECT_EQ(0, RUN("ls " DATA "/overlay2"));
	EXPECT_STREQ("l", lu_chomp());
	EXPECT_EQ(0, RUN("ls " DATA "/overlay2/l | wc -l"));
	EXPECT_STREQ("0", lu_chomp());
	stop_daemons();
	EXPECT_FALSE(docker_up());
}

LU_HARNESS_MAIN
