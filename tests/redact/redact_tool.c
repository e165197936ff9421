/* SPDX-License-Identifier: MIT */
/* Helpers of the redaction command-line tests:
 *   redact_tool mksecret OUT.pfcap
 *       a capture full of known secrets (listed by `redact_tool secrets`)
 *   redact_tool secrets
 *       those secrets, one a line
 *   redact_tool scan FILE SECRET...
 *       looks for each secret in the file's bytes and in every zstd frame
 *       in it, decompressed (so inside capture chunks); addresses are also
 *       looked for in binary (network order). Prints each one found; exit 1
 *       when any was found, 0 when none, 2 on errors.
 *   redact_tool text KEYFILE SPEC
 *       copies stdin to stdout through the text rules (pf_redact_string
 *       PF_REDACT_F_TEXT): maps the addresses in a ground-truth file the
 *       way the recorder maps them in records. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "procflow/format.h"
#include "procflow/redact.h"

#define BASE 5000000000000ull
#define S 1000000000ull

static const char *const secrets[] = {
    "Sw0rdfish-Secret", "zelda",        "secrethost7", "intra.example", "secret-site",
    "intranet-secret",  "www-data",     "10.9.8.7",    "10.9.8.2",      "192.168.1.10",
    "192.168.1.1",      "192.168.50.5", "172.16.5.5",  "fd12:3456::10", "fd12:3456::1",
};

/* ------------------------------------------------------------ mksecret */

struct gen {
    pf_writer *w;
    int rc;
};

static void put(struct gen *g, struct pf_record *r, double t)
{
    r->ts_ns = BASE + (uint64_t)(t * 1e9);
    if (g->rc >= 0) {
        int rc = pf_writer_write(g->w, r);
        if (rc < 0)
            g->rc = rc;
    }
}

static void proc(struct gen *g, double t, uint32_t pid, uint32_t uid, const char *comm, const char *exe,
                 const char *cmd, const char *user, const char *cgroup)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_PROCESS;
    struct pf_process *p = &r.u.process;
    p->event = PF_PROC_START;
    p->pid = pid;
    p->ppid = 1;
    p->start_ns = BASE + pid;
    p->uid = uid;
    p->comm = comm;
    p->comm_len = (uint32_t)strlen(comm);
    p->exe = exe;
    p->exe_len = (uint32_t)strlen(exe);
    p->cmdline = cmd;
    p->cmdline_len = (uint32_t)strlen(cmd);
    p->user = user;
    p->user_len = (uint32_t)strlen(user);
    p->cgroup = cgroup;
    p->cgroup_len = (uint32_t)strlen(cgroup);
    put(g, &r, t);
}

static struct pf_flow_key key(uint32_t pid, uint64_t sock, uint8_t proto, const char *la, uint16_t lp, const char *ra,
                              uint16_t rp)
{
    struct pf_flow_key k;
    memset(&k, 0, sizeof k);
    k.pid = pid;
    k.pid_start_ns = BASE + pid;
    k.sock_id = sock;
    k.proto = proto;
    uint8_t tmp[16];
    int fl = pf_addr_from_string(la, k.local.addr), fr = pf_addr_from_string(ra, k.remote.addr);
    /* an IPv4 peer of an IPv6 socket: IPv4-mapped */
    if (fl == 6 && fr == 4) {
        memcpy(tmp, k.remote.addr, 4);
        memset(k.remote.addr, 0, 16);
        k.remote.addr[10] = k.remote.addr[11] = 0xff;
        memcpy(k.remote.addr + 12, tmp, 4);
    }
    k.family = (uint8_t)fl;
    k.local.port = lp;
    k.remote.port = rp;
    return k;
}

static void sock(struct gen *g, double t, uint8_t ev, uint8_t st, struct pf_flow_key k)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_SOCKET;
    r.u.socket.event = ev;
    r.u.socket.new_state = st;
    r.u.socket.key = k;
    put(g, &r, t);
}

static void traffic(struct gen *g, double t, struct pf_flow_key k, uint64_t sent, uint64_t recv, uint32_t flags)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_TRAFFIC;
    r.u.traffic.key = k;
    r.u.traffic.duration_ns = S / 2;
    r.u.traffic.bytes_sent = sent;
    r.u.traffic.bytes_recv = recv;
    r.u.traffic.sends = sent ? 1 : 0;
    r.u.traffic.recvs = recv ? 1 : 0;
    r.u.traffic.flags = flags;
    put(g, &r, t);
}

static void text(struct gen *g, double t, int type, const char *k, const char *v)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = (uint8_t)type;
    if (type == PF_REC_HOSTINFO) {
        r.u.hostinfo.key = k;
        r.u.hostinfo.key_len = (uint32_t)strlen(k);
        r.u.hostinfo.value = v;
        r.u.hostinfo.value_len = (uint32_t)strlen(v);
    } else {
        r.u.marker.text = v;
        r.u.marker.text_len = (uint32_t)strlen(v);
    }
    put(g, &r, t);
}

static int mksecret(const char *path)
{
    struct pf_file_info fi;
    memset(&fi, 0, sizeof fi);
    fi.major = PF_FORMAT_MAJOR;
    fi.minor = PF_FORMAT_MINOR;
    fi.hostname = "secrethost7.intra.example";
    fi.os = "Linux";
    fi.os_release = "6.1.0-test";
    fi.recorder = "redact_tool";
    fi.comment = "recorded on secrethost7 next to 10.9.8.7";
    fi.platform = PF_PLATFORM_LINUX;
    fi.clock_id = PF_CLOCK_BOOTTIME;
    fi.anchor_clock_ns = BASE;
    fi.anchor_utc_ns = 1714564800000000000ll;
    fi.start_utc_ns = fi.anchor_utc_ns;
    for (int i = 0; i < 16; i++)
        fi.uuid[i] = (uint8_t)(0xa0 + i);
    memcpy(fi.series_uuid, fi.uuid, 16);
    struct gen g = {0};
    struct pf_writer_options wo = {.overwrite = 1, .chunk_bytes = 600};
    g.rc = pf_writer_open(&g.w, path, &fi, &wo);
    if (g.rc < 0) {
        fprintf(stderr, "%s: %s\n", path, pf_strerror(g.rc));
        return 2;
    }
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = BASE;
    r.u.clock.utc_ns = fi.anchor_utc_ns;
    put(&g, &r, 0);
    text(&g, 0, PF_REC_HOSTINFO, "source", "redact_tool");
    text(&g, 0, PF_REC_HOSTINFO, "fqdn", "secrethost7.intra.example");
    text(&g, 0, PF_REC_HOSTINFO, "kernel", "6.1.0-test");
    text(&g, 0.1, PF_REC_MARKER, NULL, "maintenance window: secrethost7 talks to 192.168.50.5 and [fd12:3456::1]:53");
    proc(&g, 0.2, 100, 1001, "curl", "/home/zelda/bin/curl",
         "curl --user zelda:Sw0rdfish-Secret https://10.9.8.7/private", "zelda",
         "/user.slice/user-1001.slice/session-2.scope");
    proc(&g, 0.2, 200, 33, "nginx", "/usr/sbin/nginx", "nginx -c /etc/nginx/secret-site.conf", "www-data",
         "/system.slice/nginx.service");
    proc(&g, 0.2, 300, 0, "dig", "/usr/bin/dig", "dig @192.168.1.1 intranet-secret.example", "root",
         "/user.slice/user-0.slice/session-1.scope");

    struct pf_flow_key c = key(100, 1, PF_PROTO_TCP, "10.9.8.2", 40000, "10.9.8.7", 443);
    sock(&g, 1, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, c);
    sock(&g, 1.01, PF_SOCK_ESTABLISHED, PF_TCP_ESTABLISHED, c);
    traffic(&g, 2, c, 1000, 5000, 0);
    traffic(&g, 3, c, 10, 70000, PF_TRAFFIC_FINAL);
    sock(&g, 3, PF_SOCK_CLOSE, PF_TCP_CLOSE, c);

    struct pf_flow_key l = key(200, 2, PF_PROTO_TCP, "0.0.0.0", 80, "0.0.0.0", 0);
    sock(&g, 0.5, PF_SOCK_LISTEN, PF_TCP_LISTEN, l);
    struct pf_flow_key a = key(200, 3, PF_PROTO_TCP, "192.168.1.10", 80, "203.0.113.9", 50000);
    sock(&g, 1.5, PF_SOCK_ACCEPT, PF_TCP_ESTABLISHED, a);
    traffic(&g, 2.5, a, 20000, 300, PF_TRAFFIC_FINAL);

    struct pf_flow_key d = key(300, 4, PF_PROTO_UDP, "192.168.1.10", 53000, "192.168.1.1", 53);
    traffic(&g, 4, d, 40, 120, 0);
    struct pf_flow_key d6 = key(300, 5, PF_PROTO_UDP, "fd12:3456::10", 53001, "fd12:3456::1", 53);
    traffic(&g, 4.2, d6, 41, 121, 0);
    struct pf_flow_key pub = key(300, 6, PF_PROTO_UDP, "10.9.8.2", 53002, "8.8.8.8", 53);
    traffic(&g, 4.4, pub, 42, 122, 0);
    struct pf_flow_key m = key(100, 7, PF_PROTO_TCP, "fd12:3456::10", 40001, "172.16.5.5", 8080);
    sock(&g, 5, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, m);
    sock(&g, 5.01, PF_SOCK_ESTABLISHED, PF_TCP_ESTABLISHED, m);
    traffic(&g, 6, m, 700, 800, 0);
    struct pf_flow_key lo = key(100, 8, PF_PROTO_TCP, "127.0.0.1", 40002, "127.0.0.1", 6379);
    sock(&g, 6, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, lo);
    sock(&g, 6.01, PF_SOCK_ESTABLISHED, PF_TCP_ESTABLISHED, lo);
    traffic(&g, 7, lo, 5, 6, 0);

    memset(&r, 0, sizeof r);
    r.type = PF_REC_SNAPSHOT;
    r.u.snapshot.key = m;
    r.u.snapshot.state = PF_TCP_ESTABLISHED;
    r.u.snapshot.uid = 1001;
    r.u.snapshot.flags = PF_SNAP_HAS_BYTES;
    r.u.snapshot.bytes_sent = 700;
    r.u.snapshot.bytes_recv = 800;
    put(&g, &r, 8);
    if (g.rc >= 0)
        g.rc = pf_writer_close(g.w);
    pf_writer_destroy(g.w);
    if (g.rc < 0) {
        fprintf(stderr, "%s: %s\n", path, pf_strerror(g.rc));
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------ scan */

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    size_t got;
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                p = NULL;
            }
            p = q;
        }
    }
    fclose(f);
    *len = n;
    return p;
}

struct region {
    unsigned char *p;
    size_t n;
};

static int found_in(const struct region *rs, size_t nr, const void *needle, size_t len)
{
    for (size_t i = 0; i < nr; i++)
        if (rs[i].n >= len && memmem(rs[i].p, rs[i].n, needle, len))
            return 1;
    return 0;
}

static int scan(const char *path, int nsecrets, char **sec)
{
    size_t n;
    unsigned char *data = slurp(path, &n);
    if (!data) {
        perror(path);
        return 2;
    }
    struct region *rs = malloc(sizeof *rs);
    size_t nr = 1, frames = 0;
    rs[0].p = data;
    rs[0].n = n;
    static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    for (size_t off = 0; off + 4 <= n; off++) {
        if (memcmp(data + off, magic, 4))
            continue;
        unsigned long long sz = ZSTD_getFrameContentSize(data + off, n - off);
        size_t csz = ZSTD_findFrameCompressedSize(data + off, n - off);
        if (sz == ZSTD_CONTENTSIZE_ERROR || sz == ZSTD_CONTENTSIZE_UNKNOWN || sz > (64u << 20) || ZSTD_isError(csz))
            continue;
        unsigned char *out = malloc(sz ? sz : 1);
        size_t got = out ? ZSTD_decompress(out, sz, data + off, csz) : 0;
        if (!out || ZSTD_isError(got)) {
            free(out);
            continue;
        }
        struct region *q = realloc(rs, (nr + 1) * sizeof *rs);
        if (!q) {
            free(out);
            break;
        }
        rs = q;
        rs[nr].p = out;
        rs[nr].n = got;
        nr++;
        frames++;
    }
    int hits = 0;
    for (int i = 0; i < nsecrets; i++) {
        uint8_t a[16];
        int fam = pf_addr_from_string(sec[i], a);
        int hit = found_in(rs, nr, sec[i], strlen(sec[i]));
        if (!hit && fam)
            hit = found_in(rs, nr, a, fam == 4 ? 4 : 16);
        if (hit) {
            printf("found: %s\n", sec[i]);
            hits++;
        }
    }
    fprintf(stderr, "scan %s: %zu bytes, %zu zstd frame(s), %d of %d secrets found\n", path, n, frames, hits, nsecrets);
    for (size_t i = 0; i < nr; i++)
        free(rs[i].p);
    free(rs);
    return hits ? 1 : 0;
}

/* ------------------------------------------------------------ text */

static int text_filter(const char *keyfile, const char *spec)
{
    pf_redactor *r = NULL;
    char err[256];
    if (pf_redact_open(&r, spec, keyfile, err, sizeof err)) {
        fprintf(stderr, "redact_tool: %s\n", err);
        return 2;
    }
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        const char *o;
        size_t on;
        if (pf_redact_string(r, PF_REDACT_F_TEXT, line, strlen(line), NULL, 0, &o, &on) < 0) {
            pf_redact_destroy(r);
            return 2;
        }
        fwrite(o, 1, on, stdout);
    }
    pf_redact_destroy(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "mksecret"))
        return mksecret(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "secrets")) {
        for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
            puts(secrets[i]);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "scan"))
        return scan(argv[2], argc - 3, argv + 3);
    if (argc == 4 && !strcmp(argv[1], "text"))
        return text_filter(argv[2], argv[3]);
    fprintf(stderr, "usage: redact_tool mksecret OUT | secrets | scan FILE SECRET... | text KEYFILE SPEC\n");
    return 2;
}
