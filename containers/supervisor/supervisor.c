/*
 * Resident sandbox supervisor: PID 1 of every runner container.
 *
 * The worker on the host talks to it over a unix socket in /opt/sv/chan, a host directory mounted
 * under /opt/sv (mode 0700, owned by container root), so the sandbox uid cannot reach the socket.
 * Per test it forks, drops to the sandbox uid, installs a seccomp filter and execs; no Podman call is
 * on that path.
 *
 * Protocol: a request is one header line "VERB key=value ...\n" followed by the blobs whose lengths
 * the header names; every reply is a header line, then its blobs. Every field listed for a verb is
 * required, numbers are plain decimal digits, no field may come twice and no other may be there:
 * otherwise the reply is "ERR missing field NAME", "ERR bad field NAME" (malformed or out of range)
 * or "ERR unknown field NAME", and nothing is done. The blobs of such a request are read and
 * dropped, so the connection stays usable, unless a length field itself (name_len, data_len,
 * argv_len, stdin_len) is the one missing or bad: then the stream cannot be kept in step, and the
 * connection is closed after the ERR (as after any broken request; the next connection finds the
 * sandbox reset).
 *   PING                                        -> PONG
 *   PUT name_len= data_len= mode= keep=0|1  <name><data>   -> OK | ERR msg
 *       streams the data, in chunks, into a new /work/<name> (created O_EXCL|O_NOFOLLOW: nothing
 *       left there is written through; mode & 0755, owned by root); never held whole in memory.
 *       data_len at most 512 MiB (/work's tmpfs is the real bound). keep=1: a copy is kept in a
 *       sealed memfd and the file is restored from it as it was before every test (kept files: at
 *       most 64 of them, 64 MiB together, the size of /work). keep=0: written once, gone at the
 *       next wipe (a test's own data file).
 *   RUN argv_len= stdin_len= cpu_ms= wall_ms= out_bytes= err_bytes= fsize_bytes= nproc= nofile=
 *       stack_bytes= report=0|1 nofork=0|1 collect=[NAME] collect_max=BYTES  <argv, NUL separated><stdin>
 *       argv: at most 64 KiB and 64 arguments. stdin is streamed into a sealed memfd, the program's
 *       fd 0, held only while its test runs. stdout is sent to the host as it arrives (OUT frames,
 *       below), up to out_bytes; stderr is kept up to err_bytes, in a buffer that grows as it arrives.
 *       nofork=1: the program may start threads but no process (fork, vfork, clone without
 *       CLONE_THREAD fail with EAGAIN); nproc still bounds its threads.
 *       collect=NAME: after the run, /work/NAME (a compiler's output) is sent back after the other
 *       blobs, if it is a regular file of at most collect_max bytes (never through a link);
 *       collect= (empty): nothing is sent back.
 *     -> OUT len=  <bytes>   the program's stdout as it arrives (out_bytes in all at most), any number
 *                           of frames before the RESULT, which then says out_len=0
 *     -> RESULT exit= signal= cpu_ms= sys_ms= wall_ms= mem_kb= tle= ole= oom= aborted= out_len= err_len=
 *        err_trunc= report_len= artifact_status= artifact_len=  <stdout><stderr><report><artifact>
 *        artifact_status: 0 sent (or none asked), 1 missing, 2 larger than collect_max, 3 not a file
 *     -> ERR setup: msg   when a limit, privilege or filter step failed: the program never ran
 *     -> ERR msg          an empty argv, more than 64 arguments, no memory left for the output
 *     While a RUN is in progress the host may send "ABORT\n": the test is killed and its RESULT says
 *     aborted=1. ABORT outside a run is ignored (no reply).
 *     After every RUN's reply, before reading the next request: every process is killed, the writable
 *     dirs are wiped, SysV IPC objects removed and the kept files restored, so no test sees another's.
 *   RESET                                       -> OK | ERR msg
 *     kills all, wipes the writable dirs and forgets the kept files: the end of a job.
 * cpu_ms covers every process of the test (they are all reaped by us; the cgroup's CPU counter
 * covers the rest), sys_ms its kernel-side part as the reaped processes report it; mem_kb is the largest peak RSS among them; oom=1 when the cgroup's OOM-kill count
 * rose during the test. The cgroup is read as v1 or v2, whichever the sandbox has (find_cgroup).
 * The supervisor knows nothing of expected outputs: it only runs and measures.
 */
#define _GNU_SOURCE
#if !defined(__x86_64__)
#error "the seccomp filter below is written for x86_64 only"
#endif
#include <dirent.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOCK_PATH "/opt/sv/chan/sv.sock"
#define WORK_DIR "/work"
#define SANDBOX_UID 1000
#define SANDBOX_GID 1000
#define MAX_HEADER 4096
#define MAX_BLOB (512L * 1024 * 1024) /* the most a PUT's data or a RUN's stdin may have */
#define MAX_ARGV (64L * 1024)          /* the most a RUN's argv blob may have: it is held in memory */
#define MAX_ARGS 64
#define REPORT_CAP 4096
#ifndef SV_CGROUP
#define SV_CGROUP "/opt/sv/cgroup"
#endif
#define MAX_FILES 64
/* The kept files' bytes together. Their copies are memfds, charged to the sandbox's memory cgroup
 * like any page of ours (the host sizes the sandbox for them); every one of them is also restored
 * into /work, a 64 MB tmpfs, so more could never be written back at once. */
#define MAX_KEPT_BYTES (64L * 1024 * 1024)

static const char *WIPE_DIRS[] = {WORK_DIR, "/tmp", "/dev/shm", "/dev/mqueue", "/var/tmp", "/run/lock", NULL};
static int sigchld_pipe[2];

/* The container's cgroup: the supervisor's own mount under /opt/sv when the sandbox has one (the
 * program's /sys/fs/cgroup is then masked), else the usual place; found at start (find_cgroup). */
static const char *cgroup_root = "/sys/fs/cgroup";
static int cgroup_v2;

/* Files PUT with keep=1, restored before every test from a sealed memfd of theirs. */
static struct kept_file {
    char *name;
    int fd; /* the memfd: the file's bytes as the host sent them, sealed against any change */
    long long len;
    int mode;
    ino_t ino; /* of the copy in /work: while it is ours and untouched, it is not rewritten */
    int intact;
} kept[MAX_FILES];
static int kept_count;
static long long kept_bytes;
/* Why the sandbox could not be cleaned after a test; the next RUN is refused while it is set. */
static const char *dirty;

static void die(const char *msg) {
    fprintf(stderr, "supervisor: %s: %s\n", msg, strerror(errno));
    exit(1);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- socket I/O ---------- */

static int read_full(int fd, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, (char *)buf + done, n - done);
        if (r == 0) return -1;
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static int read_line(int fd, char *buf, size_t cap) {
    size_t n = 0;
    while (n + 1 < cap) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 0) return -1;
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (c == '\n') {
            buf[n] = 0;
            return 0;
        }
        buf[n++] = c;
    }
    return -1; /* header too long: the peer is broken */
}

static int reply(int fd, const char *fmt, ...) {
    char line[MAX_HEADER];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof line - 1) n = (int)sizeof line - 2;
    line[n++] = '\n';
    return write_full(fd, line, (size_t)n);
}

/* A request's header fields, "key=value" each: every field of every verb is required, none may come
 * twice and no other may be there, so a host that forgets one, or misspells it, is told rather than
 * run with a default. The first problem found is the one reported. */
#define MAX_FIELDS 24
struct fields {
    int n;
    struct field {
        const char *key, *val;
        int used;
    } f[MAX_FIELDS];
    char err[96]; /* "missing field NAME", "bad field NAME", "unknown field NAME"; empty while all is well */
};

static void field_error(struct fields *fs, const char *what, const char *name) {
    if (!fs->err[0]) snprintf(fs->err, sizeof fs->err, "%s %.48s", what, name);
}

/* Splits the header (in place) after its verb into fields. */
static void parse_fields(char *header, struct fields *fs) {
    memset(fs, 0, sizeof *fs);
    char *save = NULL, *tok = strtok_r(header, " ", &save); /* the verb */
    while (tok && (tok = strtok_r(NULL, " ", &save)) != NULL) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || fs->n == MAX_FIELDS) {
            field_error(fs, "bad field", tok);
            continue;
        }
        *eq = 0;
        int dup = 0;
        for (int i = 0; i < fs->n; i++) dup |= !strcmp(fs->f[i].key, tok);
        if (dup) {
            field_error(fs, "bad field", tok);
            continue;
        }
        fs->f[fs->n++] = (struct field){tok, eq + 1, 0};
    }
}

static const char *field_str(struct fields *fs, const char *key) {
    for (int i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].key, key)) {
            fs->f[i].used = 1;
            return fs->f[i].val;
        }
    field_error(fs, "missing field", key);
    return NULL;
}

/* A required whole number in [min, max], digits only; 0 when missing or bad (fs->err says which). */
static long long field_num(struct fields *fs, const char *key, long long min, long long max) {
    const char *v = field_str(fs, key);
    if (!v) return 0;
    long long n = 0;
    size_t digits = strspn(v, "0123456789");
    if (digits == 0 || digits > 18 || v[digits] || (n = strtoll(v, NULL, 10)) < min || n > max) {
        field_error(fs, "bad field", key);
        return 0;
    }
    return n;
}

/* Every field there must have been asked for. */
static void no_other_fields(struct fields *fs) {
    for (int i = 0; i < fs->n; i++)
        if (!fs->f[i].used) field_error(fs, "unknown field", fs->f[i].key);
}

static char *read_blob(int fd, long long len) {
    char *buf = malloc((size_t)len + 1);
    if (!buf) return NULL;
    if (len > 0 && read_full(fd, buf, (size_t)len) < 0) {
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

/* Copies len bytes from the socket into fd, and into fd2 too unless it is -1, in chunks. Returns 1
 * when done, 0 when writing failed (errno saved in *werr; the rest is still read, so the stream
 * stays in step), -1 when the socket failed. */
static int copy_to(int sock, int fd, int fd2, long long len, int *werr) {
    char buf[65536];
    int ok = 1;
    while (len > 0) {
        size_t n = len < (long long)sizeof buf ? (size_t)len : sizeof buf;
        if (read_full(sock, buf, n) < 0) return -1;
        if (ok && (write_full(fd, buf, n) < 0 || (fd2 >= 0 && write_full(fd2, buf, n) < 0))) {
            ok = 0;
            *werr = errno;
        }
        len -= (long long)n;
    }
    return ok;
}

/* Reads and drops len bytes: the blobs of a request that is refused. */
static int skip_bytes(int sock, long long len) {
    char buf[65536];
    while (len > 0) {
        size_t n = len < (long long)sizeof buf ? (size_t)len : sizeof buf;
        if (read_full(sock, buf, n) < 0) return -1;
        len -= (long long)n;
    }
    return 0;
}

/* ---------- cleanup ---------- */

/* Returns the largest peak RSS (KiB) among the processes reaped. */
static long kill_all_and_reap(void) {
    /* As PID 1 of the container's pid namespace, kill(-1) reaches every other process in it. */
    kill(-1, SIGKILL);
    long peak = 0;
    struct rusage ru;
    for (;;) {
        pid_t p = wait4(-1, NULL, 0, &ru);
        if (p > 0) {
            if (ru.ru_maxrss > peak) peak = ru.ru_maxrss;
        } else if (errno != EINTR) {
            return peak;
        }
    }
}

/* Empties one subdirectory of top: its files are unlinked, its own subdirectories moved up into top
 * (a later pass empties them). Returns 1 if anything was removed or moved, 0 if nothing, -1 on error. */
static int flatten_into(int top, const char *name, dev_t dev, unsigned long *moved) {
    int sub = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return -1;
    DIR *d = fdopendir(sub);
    if (!d) {
        close(sub);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (fstatat(sub, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) { rc = -1; continue; }
        if (!S_ISDIR(st.st_mode)) {
            if (unlinkat(sub, e->d_name, 0) < 0) rc = -1; else if (rc == 0) rc = 1;
            continue;
        }
        if (st.st_dev != dev) { rc = -1; continue; } /* a mount inside: never cross into it */
        char up[32];
        int r;
        do {
            snprintf(up, sizeof up, ".wipe-%lu", (*moved)++);
            r = renameat(sub, e->d_name, top, up);
        } while (r < 0 && errno == EEXIST);
        if (r < 0) rc = -1; else if (rc == 0) rc = 1;
    }
    closedir(d);
    return rc;
}

/* Removes everything below path without following symlinks or crossing into other mounts, with two
 * fds whatever the depth (a program can nest directories far deeper than PID 1 has fds): each pass
 * unlinks top's files and flattens its directories into it. Every process is dead by now: nothing
 * moves under us. */
static int is_intact_kept(const char *name) {
    for (int i = 0; i < kept_count; i++)
        if (kept[i].intact && !strcmp(kept[i].name, name)) return 1;
    return 0;
}

static int wipe_dir(const char *path) {
    int top = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int in_work = !strcmp(path, WORK_DIR);
    if (top < 0) return errno == ENOENT ? 0 : -1;
    struct stat st;
    if (fstat(top, &st) < 0) {
        close(top);
        return -1;
    }
    dev_t dev = st.st_dev;
    unsigned long moved = 0;
    int rc = -1;
    for (;;) {
        int fd = dup(top);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
            if (fd >= 0) close(fd);
            break;
        }
        rewinddir(d); /* the dup shares top's offset, left at the end by the last pass */
        int entries = 0, progress = 0, failed = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            if (in_work && is_intact_kept(e->d_name)) continue;
            entries++;
            if (fstatat(top, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) { failed = 1; continue; }
            if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(top, e->d_name, 0) == 0) progress = 1; else failed = 1;
                continue;
            }
            if (st.st_dev != dev) { failed = 1; continue; }
            int f = flatten_into(top, e->d_name, dev, &moved);
            if (f < 0) failed = 1;
            if (f > 0) progress = 1;
            if (unlinkat(top, e->d_name, AT_REMOVEDIR) == 0) progress = 1;
            else if (errno != ENOTEMPTY) failed = 1; /* not empty yet: its moved-up children come first */
        }
        closedir(d);
        if (entries == 0) { rc = 0; break; }
        if (failed || !progress) break;
    }
    close(top);
    return rc;
}

static int ipc_objects_exist(void) {
    const char *tables[] = {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem"};
    for (int t = 0; t < 3; t++) {
        FILE *f = fopen(tables[t], "r");
        if (!f) return 1; /* cannot tell: try to remove */
        char line[512];
        int lines = 0;
        while (lines < 2 && fgets(line, sizeof line, f)) lines++;
        fclose(f);
        if (lines > 1) return 1; /* more than the column titles */
    }
    return 0;
}

/* SysV IPC objects outlive their creator: remove the sandbox's, as the sandbox uid (their creator). */
static void remove_ipc_objects(void) {
    if (!ipc_objects_exist()) return;
    pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) < 0 ||
            setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) < 0)
            _exit(1);
        const char *tables[] = {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem"};
        for (int t = 0; t < 3; t++) {
            FILE *f = fopen(tables[t], "r");
            if (!f) continue;
            char line[512];
            if (!fgets(line, sizeof line, f)) { fclose(f); continue; } /* column titles */
            while (fgets(line, sizeof line, f)) {
                long key, id;
                if (sscanf(line, "%ld %ld", &key, &id) != 2) continue;
                if (t == 0) shmctl((int)id, IPC_RMID, NULL);
                else if (t == 1) msgctl((int)id, IPC_RMID, NULL);
                else semctl((int)id, 0, IPC_RMID);
            }
            fclose(f);
        }
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static int prepare_work_dir(void) {
    if (chown(WORK_DIR, SANDBOX_UID, SANDBOX_GID) < 0) return -1;
    return chmod(WORK_DIR, 0700);
}

static const char *restore_file(struct kept_file *k);

/* A kept file still as written: ours (root's, which the sandbox uid cannot write, chmod or link), the
 * same inode (not replaced), one link, its size and mode. Such a file is left as it is. */
static void check_kept_files(void) {
    int dir = open(WORK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    for (int i = 0; i < kept_count; i++) {
        struct stat st;
        kept[i].intact = dir >= 0 && fstatat(dir, kept[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
                         st.st_ino == kept[i].ino && st.st_uid == 0 && st.st_nlink == 1 && st.st_size == kept[i].len &&
                         (st.st_mode & 07777) == (mode_t)(kept[i].mode & 0755);
    }
    if (dir >= 0) close(dir);
}

/* Kills everything, wipes the writable dirs and IPC; then writes back the kept files that changed. */
static const char *wipe_sandbox(void) {
    kill_all_and_reap();
    remove_ipc_objects();
    check_kept_files();
    for (int i = 0; WIPE_DIRS[i]; i++)
        if (wipe_dir(WIPE_DIRS[i]) < 0) return WIPE_DIRS[i];
    if (prepare_work_dir() < 0) return "prepare work dir";
    if (kill(-1, 0) == 0 || errno != ESRCH) return "processes survived";
    for (int i = 0; i < kept_count; i++)
        if (!kept[i].intact && restore_file(&kept[i])) return "restore kept files";
    return NULL;
}

static void forget_files(void) {
    for (int i = 0; i < kept_count; i++) {
        kept[i].intact = 0;
        free(kept[i].name);
        close(kept[i].fd);
    }
    kept_count = 0;
    kept_bytes = 0;
}

/* The end of a job: nothing of it stays, not even its files. */
static const char *reset_sandbox(void) {
    forget_files();
    dirty = wipe_sandbox();
    return dirty;
}

/* ---------- PUT ---------- */

static int valid_name(const char *name, long long len) {
    return len >= 1 && len <= 255 && strlen(name) == (size_t)len && !strchr(name, '/') && strcmp(name, ".") &&
           strcmp(name, "..");
}

/* Creates /work/NAME afresh for writing: O_EXCL|O_NOFOLLOW, so nothing a sandbox could have left
 * there (a link, a fifo, a file of its own) is ever written through. */
static int create_work_file(const char *name) {
    int dir = open(WORK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return -1;
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int e = errno;
    close(dir);
    errno = e;
    return fd;
}

/* Gives a written /work file its mode; notes its inode (while it is ours and untouched, a kept file
 * is not rewritten). */
static int finish_work_file(int fd, int mode, ino_t *ino) {
    struct stat st;
    if (fchmod(fd, (mode_t)(mode & 0755)) < 0 || fstat(fd, &st) < 0) return -1;
    *ino = st.st_ino;
    return 0;
}

static void unlink_work_file(const char *name) {
    int dir = open(WORK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return;
    unlinkat(dir, name, 0);
    close(dir);
}

/* Writes a kept file back into /work, copied from its memfd. */
static const char *restore_file(struct kept_file *k) {
    int fd = create_work_file(k->name);
    if (fd < 0) return "create file";
    off_t off = 0;
    while (off < k->len) {
        ssize_t n = sendfile(fd, k->fd, &off, (size_t)(k->len - off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
    }
    int ok = off == k->len && finish_work_file(fd, k->mode, &k->ino) == 0;
    close(fd);
    return ok ? NULL : "write file";
}

/* PUT: streams len bytes from the socket, in chunks, into a new /work/NAME (and, keep=1, into a
 * memfd that is sealed and kept to restore the file before every test). Never the whole file in our
 * memory. Returns NULL when stored, else what failed (errno says why); *broken is set when the
 * socket failed (the stream is out of step). A refused PUT's data is still read. */
static const char *put_file(int sock, const char *name, long long name_len, long long len, int mode, int keep,
                            int *broken) {
    const char *err = NULL;
    int e = 0;
    if (!valid_name(name, name_len)) {
        err = "bad file name";
        e = EINVAL;
    }
    for (int i = 0; !err && i < kept_count; i++)
        if (!strcmp(kept[i].name, name)) {
            err = "file already stored";
            e = EEXIST;
        }
    if (!err && keep && kept_count == MAX_FILES) {
        err = "too many files";
        e = ENOSPC;
    }
    if (!err && keep && kept_bytes + len > MAX_KEPT_BYTES) {
        err = "kept files too large";
        e = EFBIG;
    }
    int mfd = -1, fd = -1;
    if (!err && keep && (mfd = (int)syscall(SYS_memfd_create, "kept", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
        err = "memfd";
        e = errno;
    }
    if (!err && (fd = create_work_file(name)) < 0) {
        err = "create file";
        e = errno;
    }
    if (err) {
        if (mfd >= 0) close(mfd);
        if (skip_bytes(sock, len) < 0) *broken = 1;
        errno = e;
        return err;
    }
    int copied = copy_to(sock, fd, mfd, len, &e);
    ino_t ino = 0;
    if (copied == 1 && finish_work_file(fd, mode, &ino) < 0) {
        copied = 0;
        e = errno;
    }
    if (copied == 1 && keep && fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        copied = 0;
        e = errno;
    }
    close(fd);
    if (copied != 1) {
        if (copied < 0) *broken = 1;
        unlink_work_file(name);
        if (mfd >= 0) close(mfd);
        errno = e;
        return "write file";
    }
    if (keep) {
        char *copy = strdup(name);
        if (!copy) {
            unlink_work_file(name);
            close(mfd);
            errno = ENOMEM;
            return "write file";
        }
        kept[kept_count++] = (struct kept_file){copy, mfd, len, mode, ino, 0};
        kept_bytes += len;
    }
    return NULL;
}

/* ---------- RUN ---------- */

struct run_limits {
    long long cpu_ms, wall_ms, out_bytes, err_bytes, fsize_bytes, nproc, nofile, stack_bytes;
    int report, nofork;
    char collect[65]; /* a file of /work to send back after the run, or empty */
    long long collect_max;
};

/* What a test wrote on one stream: the buffer grows as output arrives (a 1 MiB limit costs nothing
 * for a program printing 3 bytes), up to cap. */
struct capture {
    int fd;
    char *buf;
    size_t len, size, cap; /* held, allocated, the most kept */
    int overflow;          /* bytes arrived past cap */
    int nomem;             /* the buffer could not grow (or the host's socket failed): the run is answered with ERR */
    int sock;              /* >= 0: output is sent on it as it arrives, in OUT frames, never held */
    size_t sent;           /* what was sent so far */
};

static void on_sigchld(int sig) {
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(sigchld_pipe[1], "c", 1);
    (void)ignored;
    errno = saved;
}

/* The container's cgroup, as the supervisor reads it:
 *   v1 (this host: hybrid), a directory per controller: memory/memory.oom_control "oom_kill N" and
 *     cpuacct/cpuacct.usage (ns; the directory may be cpu,cpuacct);
 *   v2 (Kubernetes nodes), one directory: memory.events "oom_kill N" and cpu.stat "usage_usec N".
 * The v1 files win when they are there. No memory peak is read, on either: the cgroup's peak is never
 * reset (the mount is read-only), so it would be the container's highest since its start, another
 * job's too; a test's memory is the largest peak RSS among its processes. */
static void find_cgroup(void) {
    const char *roots[] = {SV_CGROUP, "/sys/fs/cgroup"};
    char path[256];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/memory/memory.oom_control", roots[i]);
        if (access(path, F_OK) == 0) {
            cgroup_root = roots[i];
            return;
        }
        snprintf(path, sizeof path, "%s/cgroup.controllers", roots[i]);
        if (access(path, F_OK) == 0) {
            cgroup_root = roots[i];
            cgroup_v2 = 1;
            return;
        }
    }
}

/* The value of "key N" in a cgroup file (memory.oom_control, memory.events, cpu.stat), or -1. */
static long long cgroup_counter(const char *file, const char *key) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", cgroup_root, file);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char k[64];
    long long val, result = -1;
    while (fscanf(f, "%63s %lld", k, &val) == 2)
        if (!strcmp(k, key)) result = val;
    fclose(f);
    return result;
}

/* CPU time used in the container's cgroup so far, in microseconds, or -1. */
static long long cgroup_cpu_us(void) {
    if (cgroup_v2) return cgroup_counter("cpu.stat", "usage_usec");
    const char *dirs[] = {"cpuacct", "cpu,cpuacct"};
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s/cpuacct.usage", cgroup_root, dirs[i]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        long long ns = -1;
        if (fscanf(f, "%lld", &ns) != 1) ns = -1;
        fclose(f);
        if (ns >= 0) return ns / 1000;
    }
    return -1;
}

/* OOM kills in the container's cgroup so far, or -1. */
static long long oom_kills(void) {
    return cgroup_counter(cgroup_v2 ? "memory.events" : "memory/memory.oom_control", "oom_kill");
}

/* Reads what is there, but at most 1 MiB per call, so a writer faster than us cannot keep the
 * poll loop (and its wall timer) from running. Returns 0 at end of stream. */
static int drain(struct capture *c) {
    char tmp[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t r = read(c->fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return 1;
        if (r <= 0) return 0;
        if (c->sock >= 0) { /* stdout: straight to the host, so a large output costs the sandbox no memory */
            size_t left = c->cap - c->sent, take = (size_t)r < left ? (size_t)r : left;
            char head[40];
            int h = snprintf(head, sizeof head, "OUT len=%zu\n", take);
            if (take && !c->nomem && (write_full(c->sock, head, (size_t)h) < 0 || write_full(c->sock, tmp, take) < 0)) c->nomem = 1;
            c->sent += take;
            if ((size_t)r > take) c->overflow = 1;
            continue;
        }
        size_t room = c->cap - c->len;
        size_t take = (size_t)r < room ? (size_t)r : room;
        if (c->nomem) continue;
        if (c->len + take > c->size) {
            size_t want = c->size < 4096 ? 4096 : 2 * c->size;
            if (want < c->len + take) want = c->len + take;
            if (want > c->cap) want = c->cap;
            char *grown = realloc(c->buf, want);
            if (!grown) {
                c->nomem = 1;
                return 1;
            }
            c->buf = grown;
            c->size = want;
        }
        memcpy(c->buf + c->len, tmp, take);
        c->len += take;
        if ((size_t)r > take) c->overflow = 1;
    }
    return 1;
}

/* The program's own filter, on top of the container's profile: no namespaces (the kernel surface of
 * user-namespace exploits), no kernel keyrings (keyed by uid, they would outlive the job), only the
 * socket families a judged program needs, no io_uring, ptrace, bpf, perf or userfaultfd. Other
 * architectures' syscall tables are refused outright. */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define RET_ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e)&SECCOMP_RET_DATA))
#define RET_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define DENY(nr, e) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET_ERRNO(e)
#define NAMESPACE_FLAGS 0x7E020000 /* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */

static int install_seccomp(int nofork) {
    struct sock_filter head[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000 /* x32 */, 0, 1),
        RET_ERRNO(ENOSYS),
    };
    /* nofork: threads only. fork, vfork and clone without CLONE_THREAD fail as at a process limit. */
    struct sock_filter no_processes[] = {
        DENY(__NR_fork, EAGAIN),
        DENY(__NR_vfork, EAGAIN),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0),
        RET_ERRNO(EAGAIN),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), /* on with the rules */
    };
    struct sock_filter rules[] = {
        DENY(__NR_keyctl, EPERM),
        DENY(__NR_add_key, EPERM),
        DENY(__NR_request_key, EPERM),
        DENY(__NR_unshare, EPERM),
        DENY(__NR_setns, EPERM),
        DENY(__NR_clone3, ENOSYS), /* flags behind a pointer: glibc falls back to clone */
        DENY(__NR_io_uring_setup, ENOSYS),
        DENY(__NR_io_uring_enter, ENOSYS),
        DENY(__NR_io_uring_register, ENOSYS),
        DENY(__NR_ptrace, EPERM),
        DENY(__NR_process_vm_readv, EPERM),
        DENY(__NR_process_vm_writev, EPERM),
        DENY(__NR_bpf, EPERM),
        DENY(__NR_perf_event_open, EPERM),
        DENY(__NR_userfaultfd, EPERM),
        DENY(__NR_mount, EPERM),
        DENY(__NR_pivot_root, EPERM),
        DENY(__NR_chroot, EPERM),
        /* clone: threads and plain forks, never new namespaces */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1),
        RET_ERRNO(EPERM),
        RET_ALLOW,
        /* socket: unix, IPv4, IPv6 (loopback only: no network), and netlink for routing queries only
         * (if_nameindex, getifaddrs) */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 9),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* NETLINK_ROUTE */, 0, 1),
        RET_ALLOW,
        RET_ERRNO(EAFNOSUPPORT),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
        RET_ALLOW,
        RET_ERRNO(EAFNOSUPPORT),
        RET_ALLOW,
    };
    struct sock_filter filter[sizeof head / sizeof head[0] + sizeof no_processes / sizeof no_processes[0] +
                             sizeof rules / sizeof rules[0]];
    size_t n = 0;
    memcpy(filter + n, head, sizeof head);
    n += sizeof head / sizeof head[0];
    if (nofork) {
        memcpy(filter + n, no_processes, sizeof no_processes);
        n += sizeof no_processes / sizeof no_processes[0];
    }
    memcpy(filter + n, rules, sizeof rules);
    n += sizeof rules / sizeof rules[0];
    struct sock_fprog prog = {(unsigned short)n, filter};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* In the child: a step that failed is reported on the setup pipe, and the program never runs. */
static void setup_failed(int setup_fd, const char *what) {
    dprintf(setup_fd, "%s: %s", what, strerror(errno));
    _exit(126);
}

static void set_limit(int setup_fd, int resource, rlim_t value, const char *name) {
    struct rlimit rl = {value, value};
    if (setrlimit(resource, &rl) < 0) setup_failed(setup_fd, name);
}

static void exec_child(char **argv, int in_fd, int out_fd, int err_fd, int report_fd, int setup_fd,
                       const struct run_limits *lim) {
    /* Out of the way of the fds below; close-on-exec, so a successful exec says nothing. */
    int sfd = fcntl(setup_fd, F_DUPFD_CLOEXEC, 1000);
    if (sfd < 0) setup_failed(setup_fd, "fcntl");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    if (setsid() < 0) setup_failed(sfd, "setsid");
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) setup_failed(sfd, "dup2");
    if (report_fd >= 0 && dup2(report_fd, 3) < 0) setup_failed(sfd, "dup2");
    unsigned first_closed = report_fd >= 0 ? 4 : 3;
    if (syscall(SYS_close_range, first_closed, (unsigned)sfd - 1, 0) < 0 ||
        syscall(SYS_close_range, (unsigned)sfd + 1, ~0U, 0) < 0) {
        if (errno != ENOSYS) setup_failed(sfd, "close_range");
        /* an older kernel or seccomp library: close them one by one */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) < 0) setup_failed(sfd, "getrlimit");
        for (unsigned fd = first_closed; fd < nofile.rlim_cur && fd < 65536; fd++)
            if ((int)fd != sfd) close((int)fd);
    }
    if (chdir(WORK_DIR) < 0) setup_failed(sfd, "chdir");

    rlim_t cpu_s = (rlim_t)((lim->cpu_ms + 999) / 1000);
    struct rlimit cpu = {cpu_s, cpu_s + 1};
    if (setrlimit(RLIMIT_CPU, &cpu) < 0) setup_failed(sfd, "RLIMIT_CPU");
    set_limit(sfd, RLIMIT_FSIZE, (rlim_t)lim->fsize_bytes, "RLIMIT_FSIZE");
    set_limit(sfd, RLIMIT_NOFILE, (rlim_t)lim->nofile, "RLIMIT_NOFILE");
    set_limit(sfd, RLIMIT_NPROC, (rlim_t)lim->nproc, "RLIMIT_NPROC");
    set_limit(sfd, RLIMIT_STACK, (rlim_t)lim->stack_bytes, "RLIMIT_STACK");
    set_limit(sfd, RLIMIT_CORE, 0, "RLIMIT_CORE");
    set_limit(sfd, RLIMIT_MSGQUEUE, 0, "RLIMIT_MSGQUEUE");
    /* The test, not the supervisor, is what the OOM killer should pick. */
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom < 0 || write(oom, "1000", 4) != 4) setup_failed(sfd, "oom_score_adj");
    close(oom);
    if (setgroups(0, NULL) < 0) setup_failed(sfd, "setgroups");
    if (setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) < 0) setup_failed(sfd, "setresgid");
    if (setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) < 0) setup_failed(sfd, "setresuid");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) setup_failed(sfd, "no_new_privs");
    if (install_seccomp(lim->nofork) < 0) setup_failed(sfd, "seccomp");
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/work", "TMPDIR=/tmp", "LANG=C.UTF-8",
                    "PYTHONDONTWRITEBYTECODE=1", NULL};
    execve(argv[0], argv, envp);
    setup_failed(sfd, "execve");
}

static long long sys_ms_of(const struct rusage *ru) {
    return ru->ru_stime.tv_sec * 1000LL + ru->ru_stime.tv_usec / 1000;
}

static long long cpu_ms_of(const struct rusage *ru) {
    return ru->ru_utime.tv_sec * 1000LL + ru->ru_utime.tv_usec / 1000 + ru->ru_stime.tv_sec * 1000LL +
           ru->ru_stime.tv_usec / 1000;
}

static void free_captures(struct capture *caps) {
    for (int i = 0; i < 3; i++) {
        if (caps[i].fd >= 0) close(caps[i].fd);
        free(caps[i].buf);
    }
}

/* Returns 1 when the host asked to abort the run, -1 when the connection broke or the host sent
 * anything else (the stream is out of step). */
static int host_interrupt(int sock) {
    char line[64];
    if (read_line(sock, line, sizeof line) < 0) return -1;
    return strcmp(line, "ABORT") ? -1 : 1;
}

static int run_test(int sock, const char *argv_blob, long long argv_len, int in_fd, const struct run_limits *lim) {
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    long long i = 0;
    for (; i < argv_len && argc < MAX_ARGS; i += (long long)strlen(argv_blob + i) + 1)
        argv[argc++] = (char *)argv_blob + i;
    argv[argc] = NULL;
    if (argc == 0 || i < argv_len) {
        close(in_fd);
        return argc == 0 ? reply(sock, "ERR empty argv") : reply(sock, "ERR more than %d arguments", MAX_ARGS);
    }
    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, rep_p[2] = {-1, -1}, setup_p[2] = {-1, -1};
    struct capture caps[3] = {
        {-1, NULL, 0, 0, (size_t)lim->out_bytes, 0, 0, sock, 0},
        {-1, NULL, 0, 0, (size_t)lim->err_bytes, 0, 0, -1, 0},
        {-1, NULL, 0, 0, REPORT_CAP, 0, 0, -1, 0},
    };
    if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 ||
        (lim->report && pipe2(rep_p, O_CLOEXEC) < 0) || pipe2(setup_p, O_CLOEXEC) < 0) {
        int e = errno;
        int fds[] = {in_fd, out_p[0], out_p[1], err_p[0], err_p[1], rep_p[0], rep_p[1], setup_p[0], setup_p[1]};
        for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
            if (fds[i] >= 0) close(fds[i]);
        free_captures(caps);
        return reply(sock, "ERR setup: %s", strerror(e));
    }
    caps[0].fd = out_p[0];
    caps[1].fd = err_p[0];
    caps[2].fd = rep_p[0];

    /* Room for a whole output limit: a runtime that queues writes when the pipe is full (node)
     * would otherwise buffer a flood in its own memory instead of reaching the output limit. */
    fcntl(out_p[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(err_p[1], F_SETPIPE_SZ, 1 << 20);
    long long oom_before = oom_kills();
    struct rusage tree_before, tree_after, self_before, self_after;
    getrusage(RUSAGE_CHILDREN, &tree_before);
    getrusage(RUSAGE_SELF, &self_before);
    long long cg_before = cgroup_cpu_us();
    long long start = now_ms();
    pid_t pid = fork();
    if (pid == 0) exec_child(argv, in_fd, out_p[1], err_p[1], rep_p[1], setup_p[1], lim);
    close(in_fd);
    close(out_p[1]);
    close(err_p[1]);
    if (rep_p[1] >= 0) close(rep_p[1]);
    close(setup_p[1]);
    if (pid < 0) {
        int e = errno;
        close(setup_p[0]);
        free_captures(caps);
        return reply(sock, "ERR setup: fork: %s", strerror(e));
    }
    /* Until the exec, the child reports any failed step here; the exec closes it empty. */
    char setup_err[256];
    ssize_t setup_len;
    while ((setup_len = read(setup_p[0], setup_err, sizeof setup_err - 1)) < 0 && errno == EINTR) {
    }
    close(setup_p[0]);
    if (setup_len != 0) {
        setup_err[setup_len > 0 ? setup_len : 0] = 0;
        kill(pid, SIGKILL);
        kill_all_and_reap();
        free_captures(caps);
        return reply(sock, "ERR setup: %s", setup_len > 0 ? setup_err : "lost");
    }
    for (int i = 0; i < 3; i++)
        if (caps[i].fd >= 0) fcntl(caps[i].fd, F_SETFL, O_NONBLOCK);

    int status = 0, exited = 0, tle = 0, ole = 0, aborted = 0, broken = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (!exited) {
        long long left = lim->wall_ms - (now_ms() - start);
        if (left <= 0) {
            tle = 1;
            break;
        }
        struct pollfd pf[5];
        int n = 0, idx[5];
        for (int i = 0; i < 3; i++)
            if (caps[i].fd >= 0) { pf[n].fd = caps[i].fd; pf[n].events = POLLIN; idx[n++] = i; }
        pf[n].fd = sigchld_pipe[0];
        pf[n].events = POLLIN;
        idx[n++] = -1;
        pf[n].fd = sock;
        pf[n].events = POLLIN;
        idx[n++] = -2;
        if (poll(pf, (nfds_t)n, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR) break;
        for (int k = 0; k < n; k++) {
            if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (idx[k] == -1) {
                char drainbuf[64];
                while (read(sigchld_pipe[0], drainbuf, sizeof drainbuf) > 0) {
                }
                continue;
            }
            if (idx[k] == -2) {
                aborted = 1;
                if (host_interrupt(sock) < 0) broken = 1;
                continue;
            }
            struct capture *c = &caps[idx[k]];
            if (!drain(c)) { close(c->fd); c->fd = -1; }
        }
        if (caps[0].overflow) {
            ole = 1;
            break;
        }
        if (caps[0].nomem || caps[1].nomem || caps[2].nomem) break;
        if (aborted) break;
        if (wait4(pid, &status, WNOHANG, &ru) == pid) exited = 1;
    }
    if (!exited) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
        }
    }
    long long wall = now_ms() - start;
    /* Whatever the test left behind dies now; then take what it wrote before dying. */
    long peak_kb = kill_all_and_reap();
    if (ru.ru_maxrss > peak_kb) peak_kb = ru.ru_maxrss;
    getrusage(RUSAGE_CHILDREN, &tree_after);
    getrusage(RUSAGE_SELF, &self_after);
    long long cg_after = cgroup_cpu_us();
    for (int i = 0; i < 3; i++)
        if (caps[i].fd >= 0) {
            for (int k = 0; k < 8 && drain(&caps[i]); k++) {
            }
            close(caps[i].fd);
            caps[i].fd = -1;
        }
    if (caps[0].overflow) ole = 1;
    if (broken) {
        free_captures(caps);
        return -1;
    }
    if (caps[0].nomem || caps[1].nomem || caps[2].nomem) {
        free_captures(caps);
        return reply(sock, "ERR capture: %s", strerror(ENOMEM));
    }
    long long oom_after = oom_kills();
    int oom = oom_before >= 0 && oom_after > oom_before;

    /* Every process of the test has been reaped by now, by us or by its parent: the tree's CPU. The
     * cgroup also counts children whose parent ignored SIGCHLD (their times are never reported); less
     * our own share of it. */
    long long cpu = cpu_ms_of(&tree_after) - cpu_ms_of(&tree_before);
    if (cg_before >= 0 && cg_after >= 0) {
        long long others = (cg_after - cg_before) / 1000 - (cpu_ms_of(&self_after) - cpu_ms_of(&self_before));
        if (others > cpu) cpu = others;
    }
    /* The kernel-side part, as the reaped processes report it (the cgroup's counter does not split it). */
    long long sys = sys_ms_of(&tree_after) - sys_ms_of(&tree_before);
    if (cpu > lim->cpu_ms) tle = 1;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGXCPU) tle = 1;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    /* The file the host asked to collect (a compiler's output), taken before the wipe: every process
     * is dead, so it cannot change; never through a link, only a regular file, at most its cap. */
    int artifact_fd = -1, artifact_status = 0;
    long long artifact_len = 0;
    if (lim->collect[0] && !(code == 0 && sig == 0 && !tle && !ole && !aborted)) {
        artifact_status = 1; /* the compile failed: no program to send */
    } else if (lim->collect[0]) {
        int dir = open(WORK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        artifact_fd = dir < 0 ? -1 : openat(dir, lim->collect, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (dir >= 0) close(dir);
        struct stat st;
        if (artifact_fd < 0) artifact_status = 1;                                          /* missing */
        else if (fstat(artifact_fd, &st) < 0 || !S_ISREG(st.st_mode)) artifact_status = 3; /* not a file */
        else if (st.st_size > lim->collect_max) artifact_status = 2;                       /* too large */
        else artifact_len = st.st_size;
        if (artifact_status && artifact_fd >= 0) {
            close(artifact_fd);
            artifact_fd = -1;
        }
    }
    int rc = reply(sock,
                   "RESULT exit=%d signal=%d cpu_ms=%lld sys_ms=%lld wall_ms=%lld mem_kb=%ld tle=%d ole=%d oom=%d aborted=%d "
                   "out_len=%zu err_len=%zu err_trunc=%d report_len=%zu artifact_status=%d artifact_len=%lld",
                   code, sig, cpu, sys, wall, peak_kb, tle, ole, oom, aborted, caps[0].len, caps[1].len,
                   caps[1].overflow, caps[2].len, artifact_status, artifact_len);
    if (rc == 0) rc = write_full(sock, caps[0].buf, caps[0].len);
    if (rc == 0) rc = write_full(sock, caps[1].buf, caps[1].len);
    if (rc == 0) rc = write_full(sock, caps[2].buf, caps[2].len);
    free_captures(caps);
    if (artifact_fd >= 0) {
        /* streamed: never the whole artifact in our memory; exactly the announced length */
        char buf[65536];
        long long left = artifact_len;
        while (rc == 0 && left > 0) {
            ssize_t r = read(artifact_fd, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) { /* shorter than announced: the stream cannot be kept in step */
                rc = -1;
                break;
            }
            rc = write_full(sock, buf, (size_t)r);
            left -= r;
        }
        close(artifact_fd);
    }
    return rc;
}

/* ---------- connection loop ---------- */

/* stdin from memory, streamed from the socket: a memfd holds the input, once, only while this test
 * runs, sealed so the program cannot change or grow it. Returns the fd, -1 when the stream is out of
 * step (drop the connection), -2 when the input could not be stored (errno says why). */
static int read_stdin(int conn, long long len) {
    int fd = (int)syscall(SYS_memfd_create, "stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        int e = errno;
        if (skip_bytes(conn, len) < 0) return -1;
        errno = e;
        return -2;
    }
    int werr = 0;
    int copied = copy_to(conn, fd, -1, len, &werr);
    if (copied == 0) errno = werr;
    if (copied < 0) {
        close(fd);
        return -1;
    }
    if (copied == 0 || lseek(fd, 0, SEEK_SET) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -2;
    }
    return fd;
}

/* A request refused for its fields: its blobs are read and dropped, so the connection stays usable. */
static int refuse(int conn, const struct fields *fs, long long blob_bytes) {
    if (skip_bytes(conn, blob_bytes) < 0) return -1;
    return reply(conn, "ERR %s", fs->err);
}

static int serve(int conn) {
    char header[MAX_HEADER];
    while (read_line(conn, header, sizeof header) == 0) {
        char verb[16] = {0};
        sscanf(header, "%15s", verb);
        struct fields fs;
        parse_fields(header, &fs);
        if (!strcmp(verb, "PING") || !strcmp(verb, "RESET") || !strcmp(verb, "ABORT")) {
            no_other_fields(&fs);
            if (fs.err[0]) {
                /* no reply is awaited for an ABORT: one with fields means the stream is out of step */
                if (refuse(conn, &fs, 0) < 0 || !strcmp(verb, "ABORT")) return -1;
            } else if (!strcmp(verb, "PING")) {
                if (reply(conn, "PONG") < 0) return -1;
            } else if (!strcmp(verb, "RESET")) {
                const char *err = reset_sandbox();
                if ((err ? reply(conn, "ERR reset %s", err) : reply(conn, "OK")) < 0) return -1;
            } /* ABORT: the run it meant has ended already */
        } else if (!strcmp(verb, "PUT")) {
            long long name_len = field_num(&fs, "name_len", 1, 255), data_len = field_num(&fs, "data_len", 0, MAX_BLOB);
            if (fs.err[0]) { /* the blobs' lengths are unknown: the stream cannot be kept in step */
                reply(conn, "ERR %s", fs.err);
                return -1;
            }
            int mode = (int)field_num(&fs, "mode", 0, 0777), keep = (int)field_num(&fs, "keep", 0, 1);
            no_other_fields(&fs);
            char name[256];
            if (read_full(conn, name, (size_t)name_len) < 0) return -1;
            name[name_len] = 0;
            if (fs.err[0]) {
                if (refuse(conn, &fs, data_len) < 0) return -1;
                continue;
            }
            int broken = 0;
            const char *err = put_file(conn, name, name_len, data_len, mode, keep, &broken);
            if (broken) return -1;
            if ((err ? reply(conn, "ERR %s: %s", err, strerror(errno)) : reply(conn, "OK")) < 0) return -1;
        } else if (!strcmp(verb, "RUN")) {
            long long argv_len = field_num(&fs, "argv_len", 1, MAX_ARGV), in_len = field_num(&fs, "stdin_len", 0, MAX_BLOB);
            if (fs.err[0]) { /* the blobs' lengths are unknown: the stream cannot be kept in step */
                reply(conn, "ERR %s", fs.err);
                return -1;
            }
            const long long big = 1LL << 40;
            struct run_limits lim = {
                .cpu_ms = field_num(&fs, "cpu_ms", 1, big),
                .wall_ms = field_num(&fs, "wall_ms", 1, big),
                .out_bytes = field_num(&fs, "out_bytes", 0, MAX_BLOB),
                .err_bytes = field_num(&fs, "err_bytes", 0, MAX_BLOB),
                .fsize_bytes = field_num(&fs, "fsize_bytes", 0, big),
                .nproc = field_num(&fs, "nproc", 1, 1 << 20),
                .nofile = field_num(&fs, "nofile", 4, 1 << 30),
                .stack_bytes = field_num(&fs, "stack_bytes", 0, big),
                .report = (int)field_num(&fs, "report", 0, 1),
                .nofork = (int)field_num(&fs, "nofork", 0, 1),
                .collect_max = field_num(&fs, "collect_max", 0, big),
            };
            /* collect= (empty): nothing to send back; else a plain name of /work */
            const char *collect = field_str(&fs, "collect");
            if (collect && (strlen(collect) > 64 || strspn(collect, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                    "0123456789._-") != strlen(collect) ||
                            !strcmp(collect, ".") || !strcmp(collect, "..")))
                field_error(&fs, "bad field", "collect");
            else if (collect)
                strcpy(lim.collect, collect);
            no_other_fields(&fs);
            if (fs.err[0]) {
                if (refuse(conn, &fs, argv_len + in_len) < 0) return -1;
                continue;
            }
            char *argv_blob = read_blob(conn, argv_len);
            if (!argv_blob) return -1;
            int in_fd = read_stdin(conn, in_len);
            if (in_fd == -1) {
                free(argv_blob);
                return -1;
            }
            int rc;
            if (in_fd == -2) rc = reply(conn, "ERR setup: stdin: %s", strerror(errno));
            else if (dirty) {
                close(in_fd);
                rc = reply(conn, "ERR setup: the sandbox could not be cleaned: %s", dirty);
            } else {
                rc = run_test(conn, argv_blob, argv_len, in_fd, &lim);
            }
            free(argv_blob);
            if (rc < 0) return -1;
            /* While the host judges this test, make the next one start from a clean sandbox. */
            dirty = wipe_sandbox();
        } else {
            reply(conn, "ERR unknown verb");
            return -1;
        }
    }
    return 0;
}

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    umask(077);
    find_cgroup();
    if (prepare_work_dir() < 0) die("prepare " WORK_DIR);

    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv < 0) die("socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, SOCK_PATH, sizeof addr.sun_path - 1);
    unlink(SOCK_PATH);
    if (bind(srv, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (chmod(SOCK_PATH, 0600) < 0) die("chmod");
    if (listen(srv, 4) < 0) die("listen");
    for (;;) {
        int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EINTR) continue;
            die("accept");
        }
        serve(conn);
        close(conn);
        /* A connection that ends without RESET must not leak into the next one. */
        reset_sandbox();
    }
}
