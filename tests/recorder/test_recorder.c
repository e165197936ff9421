/* SPDX-License-Identifier: MIT */
/* Unit tests for the recorder pieces that need no eBPF: /proc parsing,
 * container ids, sock_diag dumps with owners, the hash table, file naming
 * and rotation (snapshot-only source). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfc/htab.h"
#include "pktsock.h"
#include "platform.h"
#include "procfs.h"
#include "procflow/format.h"
#include "session.h"
#include "sockdiag.h"

static void container_ids(void **state)
{
    (void)state;
    char out[80];
    const char *id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char cg[256];

    snprintf(cg, sizeof cg, "/system.slice/docker-%s.scope", id64);
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, sizeof out), 64);
    assert_string_equal(out, id64);

    snprintf(cg, sizeof cg, "/kubepods/burstable/pod1234-5678/%s", id64);
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, sizeof out), 64);
    assert_string_equal(out, id64);

    snprintf(cg, sizeof cg, "/system.slice/cri-containerd-%s.scope", id64);
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, sizeof out), 64);

    snprintf(cg, sizeof cg, "/machine.slice/libpod-%s.scope/container", id64);
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, sizeof out), 64);

    /* Not containers: plain slices, short hex, a too-small buffer. */
    strcpy(cg, "/user.slice/user-0.slice/session-3.scope");
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, sizeof out), 0);
    strcpy(cg, "/deadbeef/abc");
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, sizeof out), 0);
    snprintf(cg, sizeof cg, "/docker/%s", id64);
    assert_int_equal(pfr_container_id(cg, strlen(cg), out, 10), 0);
    assert_int_equal(pfr_container_id("", 0, out, sizeof out), 0);
}

static void procfs_self(void **state)
{
    (void)state;
    struct pfr_procinfo *pi = malloc(sizeof *pi);
    assert_non_null(pi);
    assert_int_equal(pfr_procfs_read((uint32_t)getpid(), pi), 0);
    assert_int_equal(pi->pid, (uint32_t)getpid());
    assert_int_equal(pi->ppid, (uint32_t)getppid());
    assert_int_equal(pi->uid, (uint32_t)getuid());
    assert_true(pi->start_ns > 0);
    assert_int_equal(pi->start_ns % PF_USER_HZ_NS, 0);
    char comm[64] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    assert_non_null(f);
    assert_non_null(fgets(comm, sizeof comm, f));
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    assert_string_equal(pi->comm, comm);
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(pi->exe, exe);
    assert_non_null(strstr(pi->cmdline, "test_recorder"));
    uint64_t st = 0;
    assert_int_equal(pfr_procfs_start_ns((uint32_t)getpid(), &st), 0);
    assert_int_equal(st, pi->start_ns);
    /* A pid that cannot exist. */
    assert_int_equal(pfr_procfs_read(0x7ffffff0u, pi), -ENOENT);
    free(pi);
}

/* comm with parentheses and spaces must not confuse the stat parser. */
static void procfs_odd_comm(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        prctl(PR_SET_NAME, "a) (b c) 9 9");
        char x;
        close(p[1]);
        (void)!read(p[0], &x, 1); /* wait for the parent to look */
        _exit(0);
    }
    close(p[0]);
    struct pfr_procinfo *pi = malloc(sizeof *pi);
    assert_non_null(pi);
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        assert_int_equal(pfr_procfs_read((uint32_t)c, pi), 0);
        ok = strcmp(pi->comm, "a) (b c) 9 9") == 0;
        if (!ok)
            usleep(5000);
    }
    assert_true(ok);
    assert_int_equal(pi->ppid, (uint32_t)getpid());
    close(p[1]);
    waitpid(c, NULL, 0);
    free(pi);
}

struct find_ctx {
    uint16_t lport, rport;
    struct pfr_diag_sock got;
    int found;
};

static int find_sock(void *vctx, const struct pfr_diag_sock *s)
{
    struct find_ctx *c = vctx;
    if (s->lport == c->lport && s->rport == c->rport) {
        c->got = *s;
        c->found = 1;
        return 1;
    }
    return 0;
}

static void sockdiag_tcp_owner(void **state)
{
    (void)state;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof a;
    assert_int_equal(bind(l, (void *)&a, sl), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (void *)&a, &sl), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (void *)&a, sizeof a), 0);
    int s = accept(l, NULL, NULL);
    assert_true(s >= 0);
    char buf[1234];
    memset(buf, 'z', sizeof buf);
    assert_int_equal(send(c, buf, sizeof buf, 0), (ssize_t)sizeof buf);
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t r = recv(s, buf, sizeof buf, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
    struct sockaddr_in cl;
    sl = sizeof cl;
    assert_int_equal(getsockname(c, (void *)&cl, &sl), 0);

    /* Client side: sent bytes are acked on loopback within a moment. */
    struct find_ctx fc;
    for (int i = 0; i < 100; i++) {
        memset(&fc, 0, sizeof fc);
        fc.lport = ntohs(cl.sin_port);
        fc.rport = ntohs(a.sin_port);
        assert_int_equal(pfr_sockdiag_dump(6, 4, find_sock, &fc), 0);
        if (fc.found && fc.got.bytes_sent == 1234)
            break;
        usleep(10000);
    }
    assert_true(fc.found);
    assert_int_equal(fc.got.state, 1); /* ESTABLISHED */
    assert_true(fc.got.has_bytes);
    assert_int_equal(fc.got.bytes_sent, 1234);
    assert_int_equal(fc.got.family, 4);
    assert_int_equal(fc.got.proto, 6);
    assert_true(fc.got.cookie != 0);

    /* Server side received them. */
    memset(&fc, 0, sizeof fc);
    fc.lport = ntohs(a.sin_port);
    fc.rport = ntohs(cl.sin_port);
    assert_int_equal(pfr_sockdiag_dump(6, 4, find_sock, &fc), 0);
    assert_true(fc.found);
    assert_int_equal(fc.got.bytes_recv, 1234);

    /* The owner is found through /proc/self/fd. */
    struct pfr_owner_table t = {0};
    assert_int_equal(pfr_owner_table_scan(&t, UINT32_MAX), 0);
    const struct pfr_sock_owner *o = pfr_owner_table_find(&t, fc.got.inode);
    assert_non_null(o);
    assert_int_equal(o->pid, (uint32_t)getpid());
    uint64_t st;
    assert_int_equal(pfr_procfs_start_ns((uint32_t)getpid(), &st), 0);
    assert_int_equal(o->start_ns, st);
    pfr_owner_table_free(&t);
    pfr_owner_table_free(NULL);
    close(c);
    close(s);
    close(l);
}

static void sockdiag_udp6(void **state)
{
    (void)state;
    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    if (u < 0)
        skip();
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t sl = sizeof a;
    if (bind(u, (void *)&a, sl) != 0) {
        close(u);
        skip();
    }
    assert_int_equal(getsockname(u, (void *)&a, &sl), 0);
    struct find_ctx fc;
    memset(&fc, 0, sizeof fc);
    fc.lport = ntohs(a.sin6_port);
    fc.rport = 0;
    assert_int_equal(pfr_sockdiag_dump(17, 6, find_sock, &fc), 0);
    assert_true(fc.found);
    assert_int_equal(fc.got.family, 6);
    assert_int_equal(fc.got.proto, 17);
    assert_memory_equal(fc.got.laddr, &in6addr_loopback, 16);
    close(u);
}

static int count_odd(void *ctx, const void *key, void *val)
{
    (void)val;
    uint64_t k;
    memcpy(&k, key, sizeof k);
    (*(int *)ctx)++;
    return (k & 1) ? 1 : 0; /* delete odd keys */
}

static void htab_basics(void **state)
{
    (void)state;
    struct pfc_htab h;
    assert_int_equal(pfc_htab_init(&h, sizeof(uint64_t), sizeof(uint64_t), 0), 0);
    for (uint64_t k = 0; k < 10000; k++) {
        int created = 0;
        uint64_t *v = pfc_htab_put(&h, &k, &created);
        assert_non_null(v);
        assert_int_equal(created, 1);
        assert_int_equal(*v, 0);
        *v = k * 3;
    }
    assert_int_equal(h.n, 10000);
    for (uint64_t k = 0; k < 10000; k++) {
        uint64_t *v = pfc_htab_get(&h, &k);
        assert_non_null(v);
        assert_int_equal(*v, k * 3);
    }
    uint64_t missing = 10000;
    assert_null(pfc_htab_get(&h, &missing));
    int seen = 0;
    pfc_htab_scan(&h, count_odd, &seen);
    assert_int_equal(seen, 10000);
    assert_int_equal(h.n, 5000);
    uint64_t k1 = 1, k2 = 2;
    assert_null(pfc_htab_get(&h, &k1));
    assert_int_equal(pfc_htab_del(&h, &k2), 1);
    assert_int_equal(pfc_htab_del(&h, &k2), 0);
    pfc_htab_free(&h);
    pfc_htab_free(NULL);

    /* A capped table refuses new keys but keeps updating old ones. */
    assert_int_equal(pfc_htab_init(&h, sizeof(uint64_t), 0, 2), 0);
    uint64_t a = 1, b = 2, c = 3;
    assert_non_null(pfc_htab_put(&h, &a, NULL));
    assert_non_null(pfc_htab_put(&h, &b, NULL));
    assert_null(pfc_htab_put(&h, &c, NULL));
    assert_non_null(pfc_htab_put(&h, &a, NULL));
    pfc_htab_free(&h);
}

static void rotated_names(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(pfr_session_rotated_name("out.pfcap", 3, buf, sizeof buf), 0);
    assert_string_equal(buf, "out-0003.pfcap");
    assert_int_equal(pfr_session_rotated_name("dir/out", 12345, buf, sizeof buf), 0);
    assert_string_equal(buf, "dir/out-12345.pfcap");
    assert_int_equal(pfr_session_rotated_name("x.pfcap.pfcap", 1, buf, sizeof buf), 0);
    assert_string_equal(buf, "x.pfcap-0001.pfcap");
    assert_int_equal(pfr_session_rotated_name("abcdefghijklmnopqrstuvwxyz", 1, buf, 16), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENAMETOOLONG);
}

/* Rotation by time with a ring of 2 files, using the real Linux source in
 * snapshot-only mode (works without root). */
static void rotation_ring(void **state)
{
    (void)state;
    char dir[] = "/tmp/pf-rot-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[128];
    snprintf(out, sizeof out, "%s/cap.pfcap", dir);
    struct pfr_session_options o;
    memset(&o, 0, sizeof o);
    o.output = out;
    o.duration_ns = 1300000000ull;
    o.rotate_ns = 300000000ull;
    o.max_files = 2;
    o.no_kernel = 1;
    o.snapshot_interval_ns = 200000000ull;
    struct pfr_session *s = NULL;
    assert_int_equal(pfr_session_create(&s, &o, &pfr_source_default), 0);
    volatile sig_atomic_t stop = 0;
    assert_int_equal(pfr_session_run(s, &stop), 0);
    struct pfr_session_summary sum;
    pfr_session_get_summary(s, &sum);
    assert_true(sum.files_made >= 4);
    assert_int_equal(sum.files, 2); /* what is on disk: the ring */
    assert_true(sum.snapshot_only);
    unsigned last = sum.files_made;
    pfr_session_destroy(s);
    pfr_session_destroy(NULL);

    uint8_t series[16];
    for (unsigned seq = 1; seq <= last; seq++) {
        char name[160];
        assert_int_equal(pfr_session_rotated_name(out, seq, name, sizeof name), 0);
        struct stat st;
        int exists = stat(name, &st) == 0;
        if (seq + 2 <= last) {
            assert_false(exists); /* outside the ring: removed */
            continue;
        }
        assert_true(exists);
        assert_int_equal(st.st_mode & 0777, 0600);
        pf_reader *r = NULL;
        assert_int_equal(pf_reader_open(&r, name, NULL), 0);
        const struct pf_file_info *fi = pf_reader_info(r);
        assert_int_equal(fi->file_seq, seq - 1);
        assert_int_equal(fi->clock_id, PF_CLOCK_BOOTTIME);
        if (seq + 1 == last)
            memcpy(series, fi->series_uuid, 16);
        else
            assert_memory_equal(series, fi->series_uuid, 16);
        struct pf_record rec;
        int n = 0, procs = 0, rc;
        while ((rc = pf_reader_next(r, &rec)) == 1) {
            n++;
            procs += rec.type == PF_REC_PROCESS && rec.u.process.event == PF_PROC_RUNDOWN &&
                     rec.u.process.pid == (uint32_t)getpid();
        }
        assert_int_equal(rc, 0);
        assert_true(n > 0);
        assert_int_equal(procs, 1); /* each file has its own rundown */
        struct pf_reader_stats rs;
        pf_reader_get_stats(r, &rs);
        assert_true(rs.clean_close);
        pf_reader_close(r);
        unlink(name);
    }
    rmdir(dir);
}

static void existing_output(void **state)
{
    (void)state;
    char dir[] = "/tmp/pf-ex-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[128];
    snprintf(out, sizeof out, "%s/cap.pfcap", dir);
    int fd = open(out, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    struct pfr_session_options o;
    memset(&o, 0, sizeof o);
    o.output = out;
    o.no_kernel = 1;
    struct pfr_session *s = NULL;
    assert_int_equal(pfr_session_create(&s, &o, &pfr_source_default), PF_E_EXISTS);
    pfr_session_destroy(s);
    o.force = 1;
    o.duration_ns = 100000000ull;
    assert_int_equal(pfr_session_create(&s, &o, &pfr_source_default), 0);
    volatile sig_atomic_t stop = 0;
    assert_int_equal(pfr_session_run(s, &stop), 0);
    pfr_session_destroy(s);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_true(st.st_size > 0);
    unlink(out);
    rmdir(dir);
}

/* A source that fails to open with a given errno, as every backend does
 * (source.h): one error set (enum pf_error) with the errno beside it, which
 * the session hands back unchanged. Before, a raw -errno crossed the
 * boundary and collided with PF_E_* numbers (-EACCES read as "output file
 * exists", -ENOENT as "out of memory"). */
static int failing_errno;
static int fail_open(struct pfr_source **out, const struct pfr_source_config *cfg)
{
    (void)cfg;
    *out = NULL;
    return pfr_plat_os_error(failing_errno);
}
static int nop_src(struct pfr_source *s)
{
    (void)s;
    return 0;
}
static int nop_emit_src(struct pfr_source *s, pfr_emit_fn emit, void *ctx)
{
    (void)s;
    (void)emit;
    (void)ctx;
    return 0;
}
static int nop_poll(struct pfr_source *s, pfr_emit_fn emit, void *ctx, int t)
{
    (void)s;
    (void)emit;
    (void)ctx;
    (void)t;
    return 0;
}
static int nop_snap(struct pfr_source *s, int k, pfr_emit_fn emit, void *ctx)
{
    (void)s;
    (void)k;
    (void)emit;
    (void)ctx;
    return 0;
}
static void nop_close(struct pfr_source *s) { (void)s; }
static void nop_stats(const struct pfr_source *s, struct pfr_source_stats *st)
{
    (void)s;
    memset(st, 0, sizeof *st);
}
static uint64_t fixed_now(void) { return 1000; }

static void error_boundary(void **state)
{
    (void)state;
    const struct pfr_source_ops ops = {"failing", fail_open,         nop_src,          nop_poll,
                                       nop_snap,  nop_emit_src,      nop_close,        nop_stats,
                                       fixed_now, PF_CLOCK_BOOTTIME, PF_PLATFORM_LINUX};
    struct pfr_session_options o;
    memset(&o, 0, sizeof o);
    o.output = "/tmp/pf-never-written.pfcap";
    const int errs[] = {EACCES, ENOENT, EPERM, EBUSY};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        failing_errno = errs[i];
        struct pfr_session *s = NULL;
        assert_int_equal(pfr_session_create(&s, &o, &ops), PF_E_OS);
        assert_int_equal(pf_os_errno(), errs[i]);
        char buf[160];
        assert_string_equal(pf_error_text(PF_E_OS, pf_os_errno(), buf, sizeof buf), strerror(errs[i]));
        pfr_session_destroy(s);
    }
    failing_errno = ENOMEM;
    struct pfr_session *s = NULL;
    assert_int_equal(pfr_session_create(&s, &o, &ops), PF_E_NOMEM);
    pfr_session_destroy(s);
    failing_errno = ENOSPC;
    assert_int_equal(pfr_session_create(&s, &o, &ops), PF_E_NOSPACE);
    assert_int_equal(pf_os_errno(), ENOSPC);
    pfr_session_destroy(s);

    /* the writer's OS reason comes out too: a directory that does not exist */
    o.output = "/nonexistent-pf-dir/x.pfcap";
    o.no_kernel = 1;
    assert_int_equal(pfr_session_create(&s, &o, &pfr_source_default), PF_E_IO);
    assert_int_equal(pf_os_errno(), ENOENT);
    pfr_session_destroy(s);
}

/* The platform helpers speak the same error set, on real conditions: the
 * OS reason beside the code, never a -errno that reads as a PF_E_* code
 * (-ENOTDIR is -20, PF_E_SEQUENCE). */
static int count_entry(void *ctx, const char *name)
{
    (void)name;
    ++*(int *)ctx;
    return 0;
}

static void platform_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/pf-plat-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[128], link[128], under[160];
    snprintf(file, sizeof file, "%s/file", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(under, sizeof under, "%s/file/x", dir);
    int fd = open(file, O_CREAT | O_WRONLY | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(symlink(file, link), 0);
    char buf[160];

    int n = 0;
    assert_int_equal(pfr_plat_list_dir(dir, count_entry, &n), 0);
    assert_int_equal(n, 4); /* . .. file link */
    pf_set_os_errno(0);
    assert_int_equal(pfr_plat_list_dir(file, count_entry, &n), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENOTDIR);
    assert_string_equal(pf_error_text(PF_E_OS, pf_os_errno(), buf, sizeof buf), strerror(ENOTDIR));
    assert_int_equal(pfr_plat_list_dir("/nonexistent-pf-dir", count_entry, &n), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENOENT);

    uint64_t size = 1;
    assert_int_equal(pfr_plat_file_size(under, &size), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENOTDIR);
    assert_int_equal(pfr_plat_remove(under), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENOTDIR);

    /* a lock: taken, held by another open file (1), a symlink refused */
    int h1 = -1, h2 = -1, h3 = -1;
    assert_int_equal(pfr_plat_lock_file(file, &h1), 0);
    assert_true(h1 >= 0);
    assert_int_equal(pfr_plat_lock_file(file, &h2), 1);
    assert_int_equal(h2, -1);
    pfr_plat_unlock_file(h1);
    assert_int_equal(pfr_plat_lock_file(link, &h3), PF_E_SYMLINK);
    assert_int_equal(pf_os_errno(), ELOOP);
    assert_int_equal(pfr_plat_lock_file(under, &h3), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENOTDIR);

    /* the same through the session: rotation lists the output's directory */
    struct pfr_session_options o;
    memset(&o, 0, sizeof o);
    o.output = under;
    o.no_kernel = 1;
    o.rotate_bytes = 1000000;
    struct pfr_session *s = NULL;
    assert_int_equal(pfr_session_create(&s, &o, &pfr_source_default), PF_E_OS);
    assert_int_equal(pf_os_errno(), ENOTDIR);
    pfr_session_destroy(s);

    unlink(link);
    unlink(file);
    rmdir(dir);
}

/* One definition of a record count: the public records in the file, the
 * footer's count. The summary used to leave out the records the session
 * writes itself (clock anchors, host facts). */
static void summary_counts_records_on_disk(void **state)
{
    (void)state;
    char dir[] = "/tmp/pf-cnt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[128];
    snprintf(out, sizeof out, "%s/cap.pfcap", dir);
    struct pfr_session_options o;
    memset(&o, 0, sizeof o);
    o.output = out;
    o.no_kernel = 1;
    o.duration_ns = 400000000ull;
    o.snapshot_interval_ns = 100000000ull;
    struct pfr_session *s = NULL;
    assert_int_equal(pfr_session_create(&s, &o, &pfr_source_default), 0);
    volatile sig_atomic_t stop = 0;
    assert_int_equal(pfr_session_run(s, &stop), 0);
    struct pfr_session_summary sum;
    pfr_session_get_summary(s, &sum);
    pfr_session_destroy(s);
    pf_reader *r = NULL;
    assert_int_equal(pf_reader_open(&r, out, NULL), 0);
    struct pf_record rec;
    uint64_t n = 0;
    while (pf_reader_next(r, &rec) == 1)
        n++;
    struct pf_reader_stats rs;
    pf_reader_get_stats(r, &rs);
    pf_reader_close(r);
    assert_true(rs.clean_close);
    assert_int_equal(rs.footer_records, n);
    assert_int_equal(sum.records, n);
    unlink(out);
    rmdir(dir);
}

/* A fake process tree for the packet socket watch: ROOT/PID/ns/net (a file:
 * its inode number stands for the namespace) and ROOT/PID/net/packet. */
static uint32_t fake_proc(const char *root, unsigned pid, const char *table)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%u", root, pid);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%u/ns", root, pid);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%u/net", root, pid);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%u/ns/net", root, pid);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    assert_true(fd >= 0 && fstat(fd, &st) == 0);
    close(fd);
    snprintf(path, sizeof path, "%s/%u/net/packet", root, pid);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(table, f);
    fclose(f);
    return (uint32_t)st.st_ino;
}

/* Rewrites the table in place: a table opened earlier sees the new text. */
static void set_table(const char *root, unsigned pid, const char *table)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%u/net/packet", root, pid);
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 0), 0);
    fputs(table, f);
    fclose(f);
}

struct gone_list {
    uint64_t c[8];
    int n;
};

static void note_gone(void *ctx, uint64_t cookie)
{
    struct gone_list *g = ctx;
    if (g->n < 8)
        g->c[g->n++] = cookie;
}

#define PKT_HEAD "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
#define PKT_LINE(ino) "0000000093d2fc98 3      2    b588   0     1 0      0      " #ino "\n"

static void pktsock_release(void **state)
{
    (void)state;
    char root[] = "/tmp/pfr-pkt-XXXXXX";
    assert_non_null(mkdtemp(root));
    /* namespace A: its process 100 lives on; namespace B: 200 is gone
     * before its table is opened, 300 in the same namespace shows up later */
    uint32_t na = fake_proc(root, 100, PKT_HEAD PKT_LINE(501) PKT_LINE(502) "garbage\n\n");
    struct pfr_pktsocks t;
    assert_int_equal(pfr_pktsocks_init(&t, root), 0);
    pfr_pktsocks_add(&t, 11, 501, na, 100);
    pfr_pktsocks_add(&t, 12, 502, na, 100);
    pfr_pktsocks_add(&t, 13, 0, na, 100); /* no inode: not watched */
    uint32_t nb = na + 1000000;           /* no process in it yet */
    pfr_pktsocks_add(&t, 21, 601, nb, 200);
    assert_int_equal((int)pfr_pktsocks_count(&t), 3);

    struct gone_list g = {{0}, 0};
    assert_int_equal(pfr_pktsocks_sweep(&t, note_gone, &g), 0); /* all listed; B unknown */
    set_table(root, 100, PKT_HEAD PKT_LINE(502));
    assert_int_equal(pfr_pktsocks_sweep(&t, note_gone, &g), 1);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.c[0], 11);
    /* B's table is found through another of its processes (looked for
     * every few sweeps), and lists nothing: its socket is gone */
    char path[512];
    uint32_t nb_real = fake_proc(root, 300, PKT_HEAD);
    pfr_pktsocks_add(&t, 31, 701, nb_real, 999999); /* owner gone: found by the scan */
    int swept = 0;
    for (int i = 0; i < 6 && g.n < 2; i++)
        swept += pfr_pktsocks_sweep(&t, note_gone, &g);
    assert_int_equal(swept, 1);
    assert_int_equal(g.c[1], 31);
    /* the last socket of A gone: A's table is closed, nothing left */
    set_table(root, 100, PKT_HEAD);
    assert_int_equal(pfr_pktsocks_sweep(&t, note_gone, &g), 1);
    assert_int_equal(g.c[2], 12);
    assert_int_equal((int)pfr_pktsocks_count(&t), 1); /* 21: its namespace has no process */
    pfr_pktsocks_free(&t);
    for (unsigned pid = 100; pid <= 300; pid += 200) {
        const char *names[] = {"ns/net", "net/packet", "ns", "net", ""};
        for (int i = 0; i < 5; i++) {
            snprintf(path, sizeof path, "%s/%u/%s", root, pid, names[i]);
            if (i < 2)
                unlink(path);
            else
                rmdir(path);
        }
    }
    rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(container_ids),   cmocka_unit_test(procfs_self),
        cmocka_unit_test(procfs_odd_comm), cmocka_unit_test(sockdiag_tcp_owner),
        cmocka_unit_test(sockdiag_udp6),   cmocka_unit_test(htab_basics),
        cmocka_unit_test(rotated_names),   cmocka_unit_test(rotation_ring),
        cmocka_unit_test(existing_output), cmocka_unit_test(error_boundary),
        cmocka_unit_test(platform_errors), cmocka_unit_test(summary_counts_records_on_disk),
        cmocka_unit_test(pktsock_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
