/*
 * fim_source_test.c - the fanotify source on the live kernel.
 *
 * Runs vigil_fim_source_ops on a libuv loop over a temporary directory,
 * with a test double of vigil_pipeline_submit() that records the events,
 * and checks each event type with its actor, renames, `sed -i`, hard and
 * symbolic links, new directories, package-manager marking and a burst of
 * 10 000 writes.  One rung per run:
 *
 *   fim_source_test dfid_name|dfid_fs|dfid_inode|fid|mount|overflow|rescan|disabled
 *
 * overflow sets fs.fanotify.max_queued_events to 32 while the group is
 * made (put back right after, and at exit) to make the queue overflow.
 *
 * dfid_name uses `marks: auto` (inode marks on a small tree), dfid_fs a
 * filesystem mark, dfid_inode forces inode marks through the feature mask.
 *
 * The lower rungs are forced through the feature mask, as an operator
 * would.  Exit 0 pass, 1 fail, 77 skip (not root / no fanotify).
 * Everything it creates lives in a temporary directory removed at exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fim/fim.h"
#include "source.h"
#include "fim/fanotify.h"

#define MAX_EVENTS 40000
#define WAIT_MS 3000
#define BURST_FILES 10000

struct rec {
	uint32_t type;
	int32_t pid;
	bool pkg;
	char pkg_name[16];
	char path[512];
	char dest[512];
	char exe[256];
	char comm[32];
	char hash[80];
	char prev_hash[80];
	uint32_t mode, dest_mode, dest_uid;
	char agent_kind[32];
	int64_t t_ns;
};

static struct rec *recs;
static size_t n_recs;
static int failures;
static char root[256];
static char outside[256];
static int64_t last_submit_ns;

/* ---- test doubles for the daemon ---- */

static void copy_str(char *dst, size_t size, struct vigil_str s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if (n)
		memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	struct rec *r;

	(void)p;
	if (n_recs == MAX_EVENTS)
		return -ENOSPC;
	r = &recs[n_recs++];
	memset(r, 0, sizeof(*r));
	r->type = ev->type;
	r->pid = ev->process.pid;
	r->t_ns = vigil_monotonic_ns();
	last_submit_ns = r->t_ns;
	if (getenv("VIGIL_DEBUG"))
		fprintf(stderr, "event %u pid %d h=%.20s p=%.20s %.*s -> %.*s\n", ev->type, ev->process.pid, ev->u.file.file.hash.ptr ? ev->u.file.file.hash.ptr : "", ev->u.file.file.prev_hash.ptr ? ev->u.file.file.prev_hash.ptr : "",
			(int)ev->u.file.file.path.len, ev->u.file.file.path.ptr,
			(int)ev->u.file.destination.path.len,
			ev->u.file.destination.path.ptr);
	copy_str(r->exe, sizeof(r->exe), ev->process.file.path);
	copy_str(r->comm, sizeof(r->comm), ev->process.comm);
	if (ev->type == VIGIL_EV_AGENT) {
		copy_str(r->agent_kind, sizeof(r->agent_kind),
			 ev->u.agent.kind);
		return 0;
	}
	copy_str(r->path, sizeof(r->path), ev->u.file.file.path);
	copy_str(r->dest, sizeof(r->dest), ev->u.file.destination.path);
	copy_str(r->hash, sizeof(r->hash), ev->u.file.file.hash);
	copy_str(r->prev_hash, sizeof(r->prev_hash), ev->u.file.file.prev_hash);
	copy_str(r->pkg_name, sizeof(r->pkg_name),
		 ev->u.file.package_manager_name);
	r->pkg = ev->u.file.package_manager;
	r->mode = ev->u.file.file.mode;
	r->dest_mode = ev->u.file.destination.mode;
	r->dest_uid = ev->u.file.destination.uid;
	return 0;
}

void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	src->state = state;
	snprintf(src->mode, sizeof(src->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(src->reason, sizeof(src->reason), fmt, ap);
	va_end(ap);
	printf("# state %d mode %s: %s\n", state, src->mode, src->reason);
}

/* ---- helpers ---- */

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s - ", ok ? "ok" : "not ok");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	if (!ok)
		failures++;
}

static void sha256_hex(const char *s, char out[80])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int k;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	k = sprintf(out, "sha256:");
	for (unsigned i = 0; i < n; i++)
		k += sprintf(out + k, "%02x", md[i]);
}

static uv_loop_t *loop;
static struct vigil_source *the_src;

/* True while the source has hashes in flight on the thread pool. */
static bool hashing(void)
{
	struct vigil_buf st = { 0 };
	bool busy;

	if (!the_src || !the_src->priv ||
	    the_src->ops->status_json(the_src, &st) < 0)
		return false;
	busy = !strstr(vigil_buf_cstr(&st), "\"hashing\":0,");
	vigil_buf_free(&st);
	return busy;
}

/* Runs the loop until no event arrived for quiet_ms and no hash is in
 * flight (or max_ms passed). */
static void settle(int quiet_ms, int max_ms)
{
	int64_t start = vigil_monotonic_ns(), last_n = -1, since;

	since = start;
	for (;;) {
		int64_t now = vigil_monotonic_ns();

		uv_run(loop, UV_RUN_NOWAIT);
		if ((int64_t)n_recs != last_n || hashing()) {
			last_n = (int64_t)n_recs;
			since = now;
		}
		if (now - since > (int64_t)quiet_ms * 1000000 ||
		    now - start > (int64_t)max_ms * 1000000)
			break;
		usleep(1000);
	}
}

static const struct rec *find(uint32_t type, const char *path,
			      const char *dest)
{
	for (size_t i = 0; i < n_recs; i++) {
		if (recs[i].type != type)
			continue;
		if (path && strcmp(recs[i].path, path))
			continue;
		if (dest && strcmp(recs[i].dest, dest))
			continue;
		return &recs[i];
	}
	return NULL;
}

static size_t count(uint32_t type, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < n_recs; i++)
		if (recs[i].type == type && (!path || !strcmp(recs[i].path, path)))
			n++;
	return n;
}

static void p_join(char *out, size_t n, const char *a, const char *b)
{
	/* Our paths are short; a cut one would fail the checks. */
	if ((size_t)snprintf(out, n, "%s/", a) < n)
		strncat(out, b, n - strlen(out) - 1);
}

/*
 * Runs argv in a child; the child stops itself before exec so that we
 * know its pid first, and exits when done.  Returns the pid (reaped).
 */
static pid_t run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	/* Serve events while the child works (10 000 writes are many). */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(500);
	}
	return pid;
}

/* A child that writes content to path in three writes, says so, then
 * waits for the parent before exiting, so its /proc entry is readable. */
static pid_t child_write(const char *path, const char *content)
{
	int go[2], done[2];
	pid_t pid;
	char c;

	if (pipe(go) < 0 || pipe(done) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t n = strlen(content), third = n / 3;
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || write(fd, content, third) < 0 ||
		    write(fd, content + third, third) < 0 ||
		    write(fd, content + 2 * third, n - 2 * third) < 0)
			_exit(1);
		close(fd);
		close(go[1]);
		if (write(done[1], "w", 1) < 0)
			_exit(1);
		/* wait for the parent to let go (EOF or a byte) */
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	/* However loaded the machine, the write is done before we wait
	 * for its events. */
	if (read(done[0], &c, 1) != 1)
		check(false, "writer child failed");
	close(done[0]);
	settle(200, WAIT_MS);
	close(go[1]);
	waitpid(pid, NULL, 0);
	return pid;
}

static void cleanup(void);

#define MAX_QUEUED "/proc/sys/fs/fanotify/max_queued_events"
static char saved_queue[32];

/* Puts back the system's fanotify queue limit if we changed it. */
static void restore_queue(void)
{
	FILE *f;

	if (!saved_queue[0])
		return;
	f = fopen(MAX_QUEUED, "w");
	if (f) {
		fputs(saved_queue, f);
		fclose(f);
	}
	saved_queue[0] = '\0';
}

/* Sets the queue limit for groups made from now on; 0 on success. */
static int shrink_queue(const char *value)
{
	FILE *f = fopen(MAX_QUEUED, "r");

	if (!f || !fgets(saved_queue, sizeof(saved_queue), f)) {
		if (f)
			fclose(f);
		saved_queue[0] = '\0';
		return -1;
	}
	fclose(f);
	f = fopen(MAX_QUEUED, "w");
	if (!f)
		return -1;
	fputs(value, f);
	return fclose(f);
}

static char mounted[300]; /* the rescan test's tmpfs, unmounted at exit */

static void cleanup(void)
{
	restore_queue();
	char cmd[600];

	if (mounted[0] && umount2(mounted, MNT_DETACH) == 0)
		mounted[0] = '\0';

	if (root[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", root);
	}
}

/* Killed (a test timeout): still put the system back and clean up. */
static void on_signal(int sig)
{
	(void)sig;
	exit(1); /* runs cleanup(); good enough for a test program */
}

/* ---- scenarios ---- */

static void test_create_modify(const char *rung, bool dirent)
{
	char f[300], want[80], self[256];
	const struct rec *r;
	pid_t pid;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	p_join(f, sizeof(f), root, "created.conf");
	pid = child_write(f, "hello world\n");
	sha256_hex("hello world\n", want);
	if (dirent) {
		r = find(VIGIL_EV_CREATE, f, NULL);
		check(r && r->pid == pid && !strcmp(r->exe, self),
		      "%s: create reported with the writer's pid %d and exe",
		      rung, (int)pid);
	}
	r = find(VIGIL_EV_MODIFY, f, NULL);
	check(r && r->pid == pid, "%s: modify reported with the writer's pid",
	      rung);
	check(count(VIGIL_EV_MODIFY, f) == 1,
	      "%s: three writes and one close give one modify (got %zu)", rung,
	      count(VIGIL_EV_MODIFY, f));
	check(r && !strcmp(r->hash, want),
	      "%s: modify carries the sha256 of the new content", rung);
	/* A second write: the hash before is the first content. */
	pid = child_write(f, "second\n");
	sha256_hex("second\n", want);
	{
		char before[80];
		const struct rec *last = NULL;

		sha256_hex("hello world\n", before);
		for (size_t i = 0; i < n_recs; i++)
			if (recs[i].type == VIGIL_EV_MODIFY &&
			    !strcmp(recs[i].path, f))
				last = &recs[i];
		check(last && !strcmp(last->hash, want) &&
		      !strcmp(last->prev_hash, before) && last->pid == pid,
		      "%s: second modify has hash before and after", rung);
	}
}

static void test_attrib(const char *rung)
{
	char f[300];
	const struct rec *r;
	struct timeval tv[2] = { { 1000000, 0 }, { 1000000, 0 } };

	p_join(f, sizeof(f), root, "created.conf");
	if (chmod(f, 0600) < 0 || chown(f, 1, 1) < 0 || utimes(f, tv) < 0)
		check(false, "%s: chmod/chown/utimes setup: %s", rung,
		      strerror(errno));
	settle(200, WAIT_MS);
	r = find(VIGIL_EV_CHMOD, f, NULL);
	check(r && (r->dest_mode & 07777) == 0600 && r->pid == getpid(),
	      "%s: chmod with the new mode and our pid", rung);
	r = find(VIGIL_EV_CHOWN, f, NULL);
	check(r && r->dest_uid == 1, "%s: chown with the new owner", rung);
	check(find(VIGIL_EV_UTIMES, f, NULL) != NULL, "%s: utimes", rung);
	check(!find(VIGIL_EV_UTIMES, f, NULL) ||
	      count(VIGIL_EV_CHMOD, f) == 1,
	      "%s: one chmod for one chmod()", rung);
}

static void test_rename_links(const char *rung, bool fid)
{
	char a[300], b[300], h[300], s[300], in_out[300], in[300];
	char want[80], before[80];
	const struct rec *r;
	char *sed[] = { (char *)"sed", (char *)"-i", (char *)"s/second/third/",
			b, NULL };

	p_join(a, sizeof(a), root, "created.conf");
	p_join(b, sizeof(b), root, "renamed.conf");
	if (rename(a, b) < 0)
		check(false, "rename: %s", strerror(errno));
	settle(200, WAIT_MS);
	r = find(VIGIL_EV_RENAME, a, b);
	check(r && r->pid == getpid(),
	      "%s: rename pairs old and new path with the actor", rung);

	/* sed -i writes a temporary file and renames it over b. */
	(void)run(sed);
	settle(200, WAIT_MS);
	sha256_hex("third\n", want);
	sha256_hex("second\n", before);
	/* The fid rung re-reads the directory after the fact and sees a new
	 * inode under the old name: a create with the hash it replaced. */
	r = NULL;
	for (size_t i = 0; i < n_recs; i++)
		if ((recs[i].type == VIGIL_EV_RENAME &&
		     !strcmp(recs[i].dest, b)) ||
		    (fid && recs[i].type == VIGIL_EV_CREATE &&
		     !strcmp(recs[i].path, b)))
			r = &recs[i];
	check(r && !strcmp(r->hash, want) && !strcmp(r->prev_hash, before),
	      "%s: sed -i is a rename over the file with hash before/after (%s -> %s)",
	      rung, r ? r->prev_hash : "none", r ? r->hash : "none");

	p_join(h, sizeof(h), root, "hardlink.conf");
	p_join(s, sizeof(s), root, "symlink.conf");
	if (link(b, h) < 0 || symlink(b, s) < 0)
		check(false, "link/symlink: %s", strerror(errno));
	settle(200, WAIT_MS);
	check(find(VIGIL_EV_CREATE, h, NULL) != NULL,
	      "%s: a hard link is a create", rung);
	r = find(VIGIL_EV_CREATE, s, NULL);
	check(r && S_ISLNK(r->mode), "%s: a symlink is a create of a link",
	      rung);

	/* Moved in from an unwatched directory. */
	p_join(in_out, sizeof(in_out), outside, "dropped");
	p_join(in, sizeof(in), root, "dropped");
	if (close(open(in_out, O_CREAT | O_WRONLY, 0644)) < 0 ||
	    rename(in_out, in) < 0)
		check(false, "move in: %s", strerror(errno));
	settle(200, WAIT_MS);
	check(find(VIGIL_EV_RENAME, NULL, in) || find(VIGIL_EV_CREATE, in, NULL),
	      "%s: a file moved into the tree is reported", rung);

	if (unlink(h) < 0)
		check(false, "unlink: %s", strerror(errno));
	settle(200, WAIT_MS);
	r = find(VIGIL_EV_UNLINK, h, NULL);
	check(r && r->pid == getpid(), "%s: unlink with the actor", rung);
}

static void test_dirs(const char *rung)
{
	char d[300], x[300], d2[300];

	p_join(d, sizeof(d), root, "sub");
	p_join(x, sizeof(x), d, "inner.conf");
	p_join(d2, sizeof(d2), d, "deeper");
	if (mkdir(d, 0755) < 0)
		check(false, "mkdir: %s", strerror(errno));
	settle(100, WAIT_MS);
	if (close(open(x, O_CREAT | O_WRONLY, 0644)) < 0 || mkdir(d2, 0755))
		check(false, "create in new dir: %s", strerror(errno));
	settle(200, WAIT_MS);
	check(find(VIGIL_EV_MKDIR, d, NULL) != NULL, "%s: mkdir", rung);
	check(find(VIGIL_EV_CREATE, x, NULL) != NULL,
	      "%s: a file in a new directory is seen", rung);
	check(find(VIGIL_EV_MKDIR, d2, NULL) != NULL,
	      "%s: a directory in a new directory is seen", rung);
	if (unlink(x) < 0 || rmdir(d2) < 0 || rmdir(d) < 0)
		check(false, "rmdir: %s", strerror(errno));
	settle(200, WAIT_MS);
	check(find(VIGIL_EV_UNLINK, x, NULL) != NULL, "%s: unlink in subdir",
	      rung);
	check(find(VIGIL_EV_RMDIR, d, NULL) != NULL, "%s: rmdir", rung);

	/* A directory with content moved in from outside the tree. */
	{
		char od[300], of[300], nd[300], nf[300];

		p_join(od, sizeof(od), outside, "pack");
		p_join(of, sizeof(of), od, "payload");
		p_join(nd, sizeof(nd), root, "pack");
		p_join(nf, sizeof(nf), nd, "payload");
		if (mkdir(od, 0755) < 0 ||
		    close(open(of, O_CREAT | O_WRONLY, 0755)) < 0 ||
		    rename(od, nd) < 0)
			check(false, "move dir in: %s", strerror(errno));
		settle(200, WAIT_MS);
		check(find(VIGIL_EV_CREATE, nf, NULL) != NULL,
		      "%s: files of a directory moved in are reported", rung);
	}
}

/* A copy of sh named dpkg: its writes, and its children's, are package
 * manager changes.  The child lives a little after its write: a process
 * gone before we read /proc has no ancestry to walk (the pipeline's
 * process table fills that in the daemon). */
static void test_package_manager(const char *rung)
{
	char dpkg[300], f[300], g[300], script[700];
	const struct rec *r;
	char *argv[] = { dpkg, (char *)"-c", script, NULL };

	p_join(dpkg, sizeof(dpkg), outside, "dpkg");
	p_join(f, sizeof(f), root, "pkg-direct");
	p_join(g, sizeof(g), root, "pkg-child");
	snprintf(script, sizeof(script),
		 "echo a > %s; /bin/sh -c 'echo b > %s; sleep 0.3'", f, g);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "cp /bin/sh %s", dpkg);
		if (system(cmd) != 0)
			check(false, "copy sh");
	}
	(void)run(argv);
	settle(200, WAIT_MS);
	r = find(VIGIL_EV_MODIFY, f, NULL);
	check(r && r->pkg && !strcmp(r->pkg_name, "dpkg"),
	      "%s: a write by dpkg is a package-manager change", rung);
	r = find(VIGIL_EV_MODIFY, g, NULL);
	check(r && r->pkg, "%s: a write by a child of dpkg is too", rung);
	r = find(VIGIL_EV_MODIFY, NULL, NULL);
	check(r && !r->pkg, "%s: our own writes are not", rung);
}

static void test_burst(const char *rung)
{
	char dir[300], script[600], prefix[310];
	size_t modify = 0, overflow = 0, first = n_recs;
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", script, NULL };
	int64_t t0;

	p_join(dir, sizeof(dir), root, "burst");
	if (mkdir(dir, 0755) < 0)
		check(false, "mkdir burst");
	settle(100, WAIT_MS);
	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt %d ]; do echo $i > %s/f$i; i=$((i+1)); done",
		 BURST_FILES, dir);
	t0 = vigil_monotonic_ns();
	(void)run(argv);
	settle(1000, 60000);
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	for (size_t i = first; i < n_recs; i++) {
		if (recs[i].type == VIGIL_EV_AGENT &&
		    !strcmp(recs[i].agent_kind, "fanotify_overflow"))
			overflow++;
		if (recs[i].type == VIGIL_EV_MODIFY &&
		    !strncmp(recs[i].path, prefix, strlen(prefix)))
			modify++;
	}
	printf("# %s: burst of %d writes: %zu modify events, %zu overflows, %.2f s\n",
	       rung, BURST_FILES, modify, overflow,
	       (double)(last_submit_ns - t0) / 1e9);
	check(modify == BURST_FILES || overflow > 0,
	      "%s: 10000 writes give 10000 modify events or a counted overflow",
	      rung);
}

/* The queue overflows while nobody reads: the loss is counted and
 * raised as an agent event, and events after it still arrive. */
static void test_overflow(struct vigil_source *src)
{
	char script[600], f[300];
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", script, NULL };
	const struct rec *r;
	pid_t pid;

	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt 200 ]; do echo $i > %s/o$i; i=$((i+1)); done",
		 root);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0); /* the loop does not run meanwhile */
	settle(300, WAIT_MS);
	r = NULL;
	for (size_t i = 0; i < n_recs; i++)
		if (recs[i].type == VIGIL_EV_AGENT &&
		    !strcmp(recs[i].agent_kind, "fanotify_overflow"))
			r = &recs[i];
	check(r != NULL && src->lost > 0,
	      "overflow: raised as fanotify_overflow and counted (lost %llu)",
	      (unsigned long long)src->lost);
	{
		size_t seen = 0;

		for (int i = 0; i < 200; i++) {
			char o[300], name[16];

			snprintf(name, sizeof(name), "o%d", i);
			p_join(o, sizeof(o), root, name);
			if (find(VIGIL_EV_CREATE, o, NULL) ||
			    find(VIGIL_EV_MODIFY, o, NULL))
				seen++;
		}
		check(seen == 200,
		      "overflow: the rescan after it finds every file (%zu/200)",
		      seen);
	}
	p_join(f, sizeof(f), root, "after-overflow");
	(void)child_write(f, "still here\n");
	check(find(VIGIL_EV_MODIFY, f, NULL) != NULL,
	      "overflow: events after the overflow still arrive");
}

/* The status member "name":N, or -1. */
static long long status_num(struct vigil_source *src, const char *name)
{
	struct vigil_buf st = { 0 };
	char key[64];
	const char *p;
	long long v = -1;

	snprintf(key, sizeof(key), "\"%s\":", name);
	if (src->ops->status_json(src, &st) >= 0 &&
	    (p = strstr(vigil_buf_cstr(&st), key)))
		v = strtoll(p + strlen(key), NULL, 10);
	vigil_buf_free(&st);
	return v;
}

static void timer_done(uv_timer_t *t)
{
	uv_timer_stop(t);
}

/* Lets the loop run for ms milliseconds. */
static void run_for(int ms)
{
	uv_timer_t t;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, timer_done, (uint64_t)ms, 0);
	uv_run(loop, UV_RUN_ONCE);
	while (uv_is_active((uv_handle_t *)&t))
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

/*
 * fim.rescan_interval: a quiet tree gives no drift; a file fanotify cannot
 * see (on a tmpfs mounted over a directory of the tree after the marks
 * were placed) is raised by the next periodic rescan, without an actor.
 */
static void test_rescan(struct vigil_source *src)
{
	char sub[300], f[330];
	const struct rec *r;

	run_for(2500);
	check(status_num(src, "rescans") >= 1 &&
	      status_num(src, "rescan_changes") == 0,
	      "rescan: periodic rescans run and a quiet tree has no drift "
	      "(%lld rescans, %lld changes)", status_num(src, "rescans"),
	      status_num(src, "rescan_changes"));
	p_join(sub, sizeof(sub), root, "sub");
	if (mkdir(sub, 0755)) {
		check(false, "rescan: mkdir %s: %s", sub, strerror(errno));
		return;
	}
	/* The new directory is marked and scanned (empty) first. */
	settle(300, WAIT_MS);
	if (mount("vigil-rescan", sub, "tmpfs", 0, "size=1m")) {
		check(false, "rescan: mount a tmpfs on %s: %s", sub,
		      strerror(errno));
		return;
	}
	snprintf(mounted, sizeof(mounted), "%s", sub);
	snprintf(f, sizeof(f), "%s/hidden", sub);
	(void)child_write(f, "under a mount\n");
	run_for(2500);
	r = find(VIGIL_EV_CREATE, f, NULL);
	check(r != NULL && r->pid == 0,
	      "rescan: a file on a mount over the tree is found by the "
	      "periodic rescan (create, pid %d)", r ? r->pid : -1);
	check(status_num(src, "rescan_changes") >= 1,
	      "rescan: counted in rescan_changes (%lld)",
	      status_num(src, "rescan_changes"));
	if (umount2(sub, MNT_DETACH) == 0)
		mounted[0] = '\0';
}

int main(int argc, char **argv)
{
	struct vigil_source src = { 0 };
	struct vigil_doc doc = { 0 };
	struct vigil_buf err = { 0 };
	char yaml[1024], state[300];
	const char *rung = argc > 1 ? argv[1] : "dfid_name";
	bool dirent = true, fid = false;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vigil_log_setup(VIGIL_LOG_STDERR, getenv("VIGIL_DEBUG") ? VIGIL_LOG_DEBUG : VIGIL_LOG_WARNING, "fim_source_test");
	if (geteuid() != 0) {
		printf("# skip: needs root (fanotify)\n");
		return 77;
	}
	recs = calloc(MAX_EVENTS, sizeof(*recs));
	snprintf(root, sizeof(root), "/var/tmp/vigil-fim-XXXXXX");
	snprintf(outside, sizeof(outside), "/var/tmp/vigil-out-XXXXXX");
	if (!recs || !mkdtemp(root) || !mkdtemp(outside))
		return 1;
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(state, sizeof(state), "%s/.state", root);
	snprintf(yaml, sizeof(yaml),
		 "paths: [\"%s\"]\nexclude: [\"%s\"]\nstate_dir: \"%s\"\nmarks: %s\n%s",
		 root, state, state,
		 !strcmp(rung, "dfid_fs") ? "filesystem" : "auto",
		 !strcmp(rung, "rescan") ? "rescan_interval: 1s\n" : "");
	if (vigil_doc_load_yaml("test", yaml, strlen(yaml), &doc, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return 1;
	}
	loop = uv_default_loop();
	src.ops = &vigil_fim_source_ops;
	src.loop = loop;
	src.config = doc.root;
	if (!strcmp(rung, "fid")) {
		src.features_disabled = VIGIL_FEAT_FANOTIFY_DFID_NAME;
		fid = true;
	} else if (!strcmp(rung, "mount")) {
		src.features_disabled = VIGIL_FEAT_FANOTIFY_DFID_NAME |
					VIGIL_FEAT_FANOTIFY_FID;
		dirent = false;
	} else if (!strcmp(rung, "disabled")) {
		src.features_disabled = VIGIL_FEAT_FANOTIFY;
		rc = src.ops->start(&src);
		check(rc < 0 && src.state == VIGIL_SOURCE_FAILED &&
		      strstr(src.reason, "feature mask"),
		      "disabled: fanotify off in the feature mask fails the source with the reason");
		src.ops->stop(&src);
		vigil_doc_free(&doc);
		free(recs);
		return failures ? 1 : 0;
	} else if (!strcmp(rung, "dfid_inode")) {
		src.features_disabled = VIGIL_FEAT_FANOTIFY_MARK_FS;
	}
	if (!strcmp(rung, "overflow") && shrink_queue("32")) {
		printf("# skip: cannot set %s\n", MAX_QUEUED);
		return 77;
	}
	rc = src.ops->start(&src);
	the_src = &src;
	restore_queue(); /* the group keeps the limit it was made with */
	if (rc) {
		src.ops->stop(&src);
		printf("# skip: source did not start: %s\n", src.reason);
		return rc == -EPERM || rc == -ENOSYS || rc == -EINVAL ? 77 : 1;
	}
	{
		const char *want = fid ? "fid" : dirent ? "dfid_name" : "mount";

		check(!strcmp(src.mode, want), "%s: mode is %s (%s)", rung,
		      want, src.mode);
	}
	if (!strcmp(rung, "overflow")) {
		test_overflow(&src);
		goto out_stop;
	}
	if (!strcmp(rung, "rescan")) {
		test_rescan(&src);
		goto out_stop;
	}
	test_create_modify(rung, dirent);
	if (dirent) {
		test_attrib(rung);
		test_rename_links(rung, fid);
		test_dirs(rung);
	}
	test_package_manager(rung);
	test_burst(rung);
	{
		struct vigil_buf st = { 0 };

		if (src.ops->status_json(&src, &st) >= 0)
			printf("# status: %s\n", vigil_buf_cstr(&st));
		vigil_buf_free(&st);
	}
out_stop:
	printf("# %zu events; in %llu out %llu drops %llu lost %llu\n",
	       n_recs, (unsigned long long)src.events_in,
	       (unsigned long long)src.events_out,
	       (unsigned long long)src.drops, (unsigned long long)src.lost);
	src.ops->stop(&src);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	vigil_doc_free(&doc);
	free(recs);
	return failures ? 1 : 0;
}
