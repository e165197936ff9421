/* SPDX-License-Identifier: MIT */
/* Round trip: every record type, IPv4 and IPv6, empty and maximum-length
 * strings, extreme integers, out-of-order times, chunk boundaries, clock
 * anchors; plus file creation rules (0600, .partial, no overwrite, no
 * symlinks) and the helpers (CRC32C, address text). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_util.h"
#include "../check.h"

uint32_t pf_crc32c(const void *data, size_t len); /* internal, tested here */

static struct pf_flow_key key4(uint32_t pid, uint8_t proto, uint16_t lport, uint16_t rport)
{
    struct pf_flow_key k;
    memset(&k, 0, sizeof(k));
    k.pid = pid;
    k.pid_start_ns = 123450000000ull + pid;
    k.sock_id = 0xffff888000000000ull + pid;
    k.proto = proto;
    k.family = PF_AF_INET;
    pf_addr_from_string("192.0.2.10", k.local.addr);
    pf_addr_from_string("198.51.100.7", k.remote.addr);
    k.local.port = lport;
    k.remote.port = rport;
    k.netns = pid ? 4026532001ull + pid : 0; /* 1.1 field; 0 (unknown) is left out on the wire */
    return k;
}

static struct pf_flow_key key6(uint32_t pid, uint8_t proto)
{
    struct pf_flow_key k;
    memset(&k, 0, sizeof(k));
    k.pid = pid;
    k.pid_start_ns = 0;
    k.sock_id = UINT64_MAX;
    k.proto = proto;
    k.family = PF_AF_INET6;
    pf_addr_from_string("2001:db8::10", k.local.addr);
    pf_addr_from_string("2001:db8:ffff::1:2", k.remote.addr);
    k.local.port = 65535;
    k.remote.port = 0;
    return k;
}

#define MAXREC 64
static struct pf_record recs[MAXREC];
static size_t nrec;
static char *big_string;

static struct pf_record *add(uint8_t type, uint64_t ts)
{
    struct pf_record *r = &recs[nrec++];
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->ts_ns = ts;
    return r;
}

static void build_records(void)
{
    big_string = malloc(PF_MAX_STRING_BYTES);
    for (size_t i = 0; i < PF_MAX_STRING_BYTES; i++)
        big_string[i] = (char)('a' + i % 26);

    struct pf_record *r = add(PF_REC_CLOCK, 5000000000ull);
    r->u.clock.clock_ns = 5000000000ull;
    r->u.clock.utc_ns = 1767225600000000000ll;

    r = add(PF_REC_HOSTINFO, 5000000000ull);
    r->u.hostinfo.key = "kernel";
    r->u.hostinfo.key_len = 6;
    r->u.hostinfo.value = "";
    r->u.hostinfo.value_len = 0;

    r = add(PF_REC_PROCESS, 5000000001ull);
    struct pf_process *p = &r->u.process;
    p->event = PF_PROC_EXEC;
    p->pid = 4242;
    p->ppid = 1;
    p->start_ns = 4990000000ull;
    p->uid = 1000;
    p->parent_start_ns = 10000000ull;
    p->comm = "curl";
    p->comm_len = 4;
    p->exe = "/usr/bin/curl";
    p->exe_len = 13;
    p->cmdline = "curl -s 'https://example.invalid/?a=1;b=\"2\"' \x1b[31m\xff\xfe";
    p->cmdline_len = (uint32_t)strlen(p->cmdline);
    p->cgroup = "/system.slice/docker-0123456789abcdef.scope";
    p->cgroup_len = (uint32_t)strlen(p->cgroup);
    p->container = "0123456789abcdef";
    p->container_len = 16;
    p->user = "alice";
    p->user_len = 5;
    p->netns = 4026531840ull;

    r = add(PF_REC_PROCESS, 5000000002ull); /* empty strings, extremes */
    p = &r->u.process;
    p->event = PF_PROC_EXIT;
    p->pid = UINT32_MAX;
    p->ppid = 0;
    p->start_ns = UINT64_MAX;
    p->uid = UINT32_MAX;
    p->exit_code = INT32_MIN;

    r = add(PF_REC_PROCESS, 5000000003ull); /* maximum-length string with an embedded NUL */
    p = &r->u.process;
    p->event = PF_PROC_RUNDOWN;
    p->pid = 7;
    p->exit_code = INT32_MAX;
    big_string[10] = 0;
    p->cmdline = big_string;
    p->cmdline_len = PF_MAX_STRING_BYTES;

    r = add(PF_REC_SOCKET, 5000000010ull);
    r->u.socket.key = key4(4242, PF_PROTO_TCP, 40000, 443);
    r->u.socket.event = PF_SOCK_CONNECT;
    r->u.socket.old_state = PF_TCP_CLOSE;
    r->u.socket.new_state = PF_TCP_SYN_SENT;

    r = add(PF_REC_TRAFFIC, 5000000020ull);
    struct pf_traffic *t = &r->u.traffic;
    t->key = key4(4242, PF_PROTO_TCP, 40000, 443);
    t->duration_ns = 1000000000ull;
    t->bytes_sent = 517;
    t->bytes_recv = 123456789012ull;
    t->sends = 1;
    t->recvs = 90;
    t->retransmits = 2;
    t->flags = PF_TRAFFIC_FINAL;

    r = add(PF_REC_TRAFFIC, 4000000000ull); /* earlier than the previous record: negative delta */
    t = &r->u.traffic;
    t->key = key6(77, PF_PROTO_UDP);
    t->duration_ns = 0;
    t->bytes_sent = UINT64_MAX;
    t->sends = UINT64_MAX;

    r = add(PF_REC_TRAFFIC, 4000000000ull); /* all-zero counters, duration repeats nothing */
    r->u.traffic.key = key6(77, PF_PROTO_UDP);
    r->u.traffic.duration_ns = 1000000000ull;

    r = add(PF_REC_TRAFFIC, 4000000001ull); /* same duration as previous: omitted on the wire */
    r->u.traffic.key = key4(4242, PF_PROTO_TCP, 40000, 443);
    r->u.traffic.duration_ns = 1000000000ull;
    r->u.traffic.bytes_recv = 1;

    r = add(PF_REC_SNAPSHOT, 6000000000ull);
    r->u.snapshot.key = key6(77, PF_PROTO_TCP);
    r->u.snapshot.state = PF_TCP_LISTEN;
    r->u.snapshot.uid = 0;
    r->u.snapshot.flags = PF_SNAP_RUNDOWN | PF_SNAP_HAS_BYTES;
    r->u.snapshot.bytes_sent = 1;
    r->u.snapshot.bytes_recv = 2;

    r = add(PF_REC_SNAPSHOT, 6000000000ull);
    r->u.snapshot.key = key4(0, PF_PROTO_UDP, 53, 0);
    r->u.snapshot.flags = PF_SNAP_PID_UNKNOWN;

    r = add(PF_REC_LOSS, 7000000000ull);
    r->u.loss.source = PF_LOSS_RINGBUF;
    r->u.loss.cpu = 1;
    r->u.loss.count = 99;
    r->u.loss.since_ns = 6000000000ull;

    r = add(PF_REC_LOSS, 7000000000ull);
    r->u.loss.source = PF_LOSS_ETW_EVENTS;
    r->u.loss.cpu = UINT32_MAX;
    r->u.loss.count = UINT64_MAX;

    r = add(PF_REC_CLOCK, 8000000000ull); /* wall clock stepped back one hour */
    r->u.clock.clock_ns = 8000000000ull;
    r->u.clock.utc_ns = 1767225600000000000ll + 3000000000ll - 3600000000000ll;

    r = add(PF_REC_MARKER, 8000000001ull);
    r->u.marker.text = "step \"one\"\n";
    r->u.marker.text_len = 11;

    r = add(PF_REC_MARKER, 0); /* time zero after large times */
    r->u.marker.text = "";
    r->u.marker.text_len = 0;

    r = add(PF_REC_MARKER, UINT64_MAX); /* the largest time */
    r->u.marker.text = "end";
    r->u.marker.text_len = 3;

    /* DNS: IPv4 answers on a socket already defined, IPv6 answers, none */
    static struct pf_dns_answer a4[2], a6[PF_MAX_DNS_ANSWERS];
    a4[0].family = PF_AF_INET;
    pf_addr_from_string("192.0.2.1", a4[0].addr);
    a4[0].ttl = 300;
    a4[1].family = PF_AF_INET;
    pf_addr_from_string("192.0.2.2", a4[1].addr);
    a4[1].ttl = UINT32_MAX;
    for (int i = 0; i < PF_MAX_DNS_ANSWERS; i++) {
        a6[i].family = PF_AF_INET6;
        pf_addr_from_string("2001:db8::53", a6[i].addr);
        a6[i].addr[15] = (uint8_t)i;
        a6[i].ttl = (uint32_t)i;
    }
    r = add(PF_REC_DNS, 9000000000ull);
    r->u.dns.key = key4(4242, PF_PROTO_UDP, 40000, 53);
    r->u.dns.qtype = 1;
    r->u.dns.rcode = 0;
    r->u.dns.flags = 0;
    r->u.dns.qname = "www.example.test";
    r->u.dns.qname_len = 16;
    r->u.dns.cname = "cdn.example.test";
    r->u.dns.cname_len = 16;
    r->u.dns.nanswers = 2;
    r->u.dns.answers = a4;
    r = add(PF_REC_DNS, 9000000001ull);
    r->u.dns.key = key6(77, PF_PROTO_TCP);
    r->u.dns.qtype = 28;
    r->u.dns.flags = PF_DNS_TRUNCATED | PF_DNS_ANSWERS_CUT;
    r->u.dns.qname = "v6.example.test";
    r->u.dns.qname_len = 15;
    r->u.dns.nanswers = PF_MAX_DNS_ANSWERS;
    r->u.dns.answers = a6;
    r = add(PF_REC_DNS, 9000000002ull);
    r->u.dns.key = key4(4242, PF_PROTO_UDP, 40000, 53);
    r->u.dns.qtype = 65535;
    r->u.dns.rcode = 3;
    r->u.dns.qname = "nx.example.test";
    r->u.dns.qname_len = 15;
}

static struct pf_file_info sample_info(void)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof(info));
    info.hostname = "test-host";
    info.os = "Linux";
    info.os_release = "6.18.0";
    info.recorder = "procflow-record test";
    info.comment = "round trip";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    for (int i = 0; i < 16; i++)
        info.uuid[i] = (uint8_t)(i + 1);
    info.file_seq = 3;
    info.start_utc_ns = 1767225600000000000ll - 5000000000ll;
    info.anchor_clock_ns = 0;
    info.anchor_utc_ns = 1767225600000000000ll - 5000000000ll;
    return info;
}

static void roundtrip(uint32_t chunk_bytes)
{
    struct pf_file_info info = sample_info();
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    wo.chunk_bytes = chunk_bytes;
    pf_writer *w = NULL;
    CHECK_EQ_U(pf_writer_open_mem(&w, &info, &wo), PF_OK);
    for (size_t i = 0; i < nrec; i++)
        CHECK_EQ_U(pf_writer_write(w, &recs[i]), PF_OK);
    CHECK_EQ_U(pf_writer_close(w), PF_OK);
    size_t len = 0;
    const uint8_t *mem = pf_writer_mem(w, &len);
    struct read_list l;
    CHECK_EQ_U(read_all_mem(mem, len, &l), 0);
    CHECK_EQ_U(l.n, nrec);
    for (size_t i = 0; i < nrec && i < l.n; i++) {
        if (!record_eq(&recs[i], &l.v[i].rec))
            fprintf(stderr, "record %zu differs (type %u)\n", i, recs[i].type);
        CHECK(record_eq(&recs[i], &l.v[i].rec));
    }
    CHECK_EQ_U(l.damage_reports, 0);
    CHECK_EQ_U(l.st.chunks_damaged, 0);
    CHECK(l.st.clean_close);
    CHECK(l.st.has_index);
    CHECK(l.st.header_ok);
    CHECK_EQ_U(l.st.footer_records, nrec);
    CHECK_EQ_U(l.st.records_by_type[PF_REC_TRAFFIC], 4);
    /* utc_ns follows the anchors: header anchor, then each CLOCK record */
    if (l.n == nrec) {
        CHECK_EQ_U(l.v[0].rec.utc_ns, 1767225600000000000ll); /* its own anchor */
        CHECK_EQ_U(l.v[2].rec.utc_ns, 1767225600000000001ll);
        CHECK_EQ_U(l.v[15].rec.utc_ns, 1767225600000000000ll + 3000000001ll - 3600000000000ll);
    }
    /* header facts */
    pf_reader *r = NULL;
    CHECK_EQ_U(pf_reader_open_mem(&r, mem, len, NULL), PF_OK);
    const struct pf_file_info *ri = pf_reader_info(r);
    CHECK(ri && !strcmp(ri->hostname, "test-host") && !strcmp(ri->os_release, "6.18.0"));
    CHECK(ri && !strcmp(ri->comment, "round trip") && ri->file_seq == 3 && ri->clock_id == PF_CLOCK_BOOTTIME);
    CHECK(ri && memcmp(ri->uuid, info.uuid, 16) == 0 && memcmp(ri->series_uuid, info.uuid, 16) == 0);
    CHECK(ri && ri->major == PF_FORMAT_MAJOR && ri->minor == PF_FORMAT_MINOR);
    pf_reader_close(r);
    read_list_free(&l);
    pf_writer_destroy(w);
}

static void rejects(void)
{
    pf_writer *w = NULL;
    CHECK_EQ_U(pf_writer_open_mem(&w, NULL, NULL), PF_OK);
    struct pf_record r;
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_MARKER;
    r.u.marker.text = big_string;
    r.u.marker.text_len = PF_MAX_STRING_BYTES + 1;
    CHECK_EQ_U(pf_writer_write(w, &r), (unsigned long long)PF_E_ARG); /* over the string cap */
    r.type = 99;
    CHECK_EQ_U(pf_writer_write(w, &r), (unsigned long long)PF_E_ARG); /* unknown type */
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_DNS;
    r.u.dns.key = key4(1, PF_PROTO_UDP, 1, 53);
    static struct pf_dns_answer many[PF_MAX_DNS_ANSWERS + 1];
    for (int i = 0; i <= PF_MAX_DNS_ANSWERS; i++)
        many[i].family = PF_AF_INET;
    r.u.dns.answers = many;
    r.u.dns.nanswers = PF_MAX_DNS_ANSWERS + 1;
    CHECK_EQ_U(pf_writer_write(w, &r), (unsigned long long)PF_E_ARG); /* too many answers */
    r.u.dns.nanswers = 1;
    many[0].family = 5;
    CHECK_EQ_U(pf_writer_write(w, &r), (unsigned long long)PF_E_ARG); /* bad answer family */
    many[0].family = PF_AF_INET;
    r.u.dns.qname = big_string;
    r.u.dns.qname_len = PF_MAX_DNS_NAME + 1;
    CHECK_EQ_U(pf_writer_write(w, &r), (unsigned long long)PF_E_ARG); /* name too long */
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_TRAFFIC;
    r.u.traffic.key.family = 5;
    CHECK_EQ_U(pf_writer_write(w, &r), (unsigned long long)PF_E_ARG); /* bad family */
    pf_writer_destroy(w);
    pf_writer_destroy(NULL);
    pf_reader_close(NULL);
    CHECK(pf_writer_write(NULL, &r) == PF_E_ARG);
}

static void files(void)
{
    char dir[] = "/tmp/pf_rt_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], partial[300], link_path[300];
    snprintf(path, sizeof(path), "%s/a.pfcap", dir);
    snprintf(partial, sizeof(partial), "%s.partial", path);
    snprintf(link_path, sizeof(link_path), "%s/link.pfcap", dir);
    struct pf_file_info info = sample_info();
    pf_writer *w = NULL;
    CHECK_EQ_U(pf_writer_open(&w, path, &info, NULL), PF_OK);
    struct stat st;
    CHECK(stat(partial, &st) == 0 && (st.st_mode & 0777) == 0600); /* written as .partial, mode 0600 */
    CHECK(stat(path, &st) != 0);
    for (size_t i = 0; i < nrec; i++)
        pf_writer_write(w, &recs[i]);
    CHECK_EQ_U(pf_writer_close(w), PF_OK);
    pf_writer_destroy(w);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(partial, &st) != 0); /* renamed */

    pf_reader *r = NULL;
    CHECK_EQ_U(pf_reader_open(&r, path, NULL), PF_OK);
    struct pf_record rec;
    size_t n = 0;
    while (pf_reader_next(r, &rec) > 0)
        n++;
    CHECK_EQ_U(n, nrec);
    pf_reader_close(r);

    w = NULL;
    CHECK_EQ_U(pf_writer_open(&w, path, &info, NULL), (unsigned long long)PF_E_EXISTS); /* no silent overwrite */
    CHECK(w == NULL);
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    wo.overwrite = 1;
    CHECK_EQ_U(pf_writer_open(&w, path, &info, &wo), PF_OK); /* --force */
    CHECK_EQ_U(pf_writer_close(w), PF_OK);
    pf_writer_destroy(w);

    CHECK(symlink(path, link_path) == 0);
    w = NULL;
    CHECK_EQ_U(pf_writer_open(&w, link_path, &info, &wo), (unsigned long long)PF_E_SYMLINK); /* even with --force */
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));

    /* a world-writable directory without the sticky bit is refused */
    char unsafe[300], unsafe_file[400];
    snprintf(unsafe, sizeof(unsafe), "%s/open", dir);
    CHECK(mkdir(unsafe, 0777) == 0 && chmod(unsafe, 0777) == 0);
    snprintf(unsafe_file, sizeof(unsafe_file), "%s/x.pfcap", unsafe);
    CHECK_EQ_U(pf_writer_open(&w, unsafe_file, &info, NULL), (unsigned long long)PF_E_UNSAFE_PATH);
    rmdir(unsafe);

    /* an abandoned writer leaves a readable .partial */
    char crashed[300];
    snprintf(crashed, sizeof(crashed), "%s/crash.pfcap", dir);
    CHECK_EQ_U(pf_writer_open(&w, crashed, &info, NULL), PF_OK);
    for (size_t i = 5; i < 10; i++)
        pf_writer_write(w, &recs[i]);
    CHECK_EQ_U(pf_writer_flush(w), 1);
    pf_writer_write(w, &recs[10]); /* in the open chunk: lost in the crash */
    pf_writer_destroy(w);
    char crashed_partial[320];
    snprintf(crashed_partial, sizeof(crashed_partial), "%s.partial", crashed);
    CHECK_EQ_U(pf_reader_open(&r, crashed_partial, NULL), PF_OK);
    n = 0;
    while (pf_reader_next(r, &rec) > 0)
        n++;
    CHECK_EQ_U(n, 5);
    struct pf_reader_stats rs;
    pf_reader_get_stats(r, &rs);
    CHECK(!rs.clean_close);
    pf_reader_close(r);

    unlink(crashed_partial);
    unlink(link_path);
    unlink(path);
    rmdir(dir);
}

/* Zones of scoped IPv6 addresses: optional trailing FLOW_DEF fields, part
 * of the flow's identity, absent (earlier bytes) when no zone is set. */
static void scopes(void)
{
    struct pf_file_info info = sample_info();
    struct pf_record in[3];
    for (int i = 0; i < 3; i++) {
        memset(&in[i], 0, sizeof(in[i]));
        in[i].type = PF_REC_TRAFFIC;
        in[i].ts_ns = 1000 + (uint64_t)i;
        in[i].u.traffic.key = key6(7, PF_PROTO_TCP);
        pf_addr_from_string("fe80::1", in[i].u.traffic.key.remote.addr);
        in[i].u.traffic.bytes_sent = 10 + (uint64_t)i;
        in[i].u.traffic.sends = 1;
    }
    in[1].u.traffic.key.local.scope_id = 5;
    in[1].u.traffic.key.remote.scope_id = 5;
    in[2].u.traffic.key.remote.scope_id = UINT32_MAX;
    size_t lens[2] = {0, 0};
    for (int with_zones = 0; with_zones < 2; with_zones++) {
        pf_writer *w = NULL;
        CHECK_EQ_U(pf_writer_open_mem(&w, &info, NULL), PF_OK);
        for (int i = 0; i < (with_zones ? 3 : 1); i++)
            CHECK_EQ_U(pf_writer_write(w, &in[i]), PF_OK);
        CHECK_EQ_U(pf_writer_flush(w), 1);
        struct pf_writer_stats ws;
        pf_writer_get_stats(w, &ws);
        lens[with_zones] = (size_t)ws.raw_bytes;
        CHECK_EQ_U(pf_writer_close(w), PF_OK);
        size_t len = 0;
        const uint8_t *mem = pf_writer_mem(w, &len);
        struct read_list l;
        CHECK_EQ_U(read_all_mem(mem, len, &l), 0);
        CHECK_EQ_U(l.n, with_zones ? 3u : 1u);
        for (size_t i = 0; i < l.n; i++)
            CHECK(record_eq(&in[i], &l.v[i].rec));
        CHECK_EQ_U(l.st.chunks_damaged, 0);
        read_list_free(&l);
        pf_writer_destroy(w);
    }
    /* Format 1.2 streams. Unscoped: stream count and 8 lengths (9), types 2,
     * times (width 1 + 2 bytes of zz 2000), flows 1, the definition's length
     * and mask (1 + 2) and fields (family 1, remote address 16, local port 2,
     * sock_id delta 1, pid delta 1, local address 16, proto 1), the TRAFFIC
     * body (length 1, mask, bytes_sent, sends). The scoped ones: types 6,
     * times 1 + 3 * 2, flows 3, two more definitions that state only their
     * zones (length and mask 1 + 2 each; 5/5 in 1 + 1 bytes, 0/UINT32_MAX in
     * 1 + 5), 3 bodies. */
    CHECK_EQ_U(lens[0], 9 + 2 + 3 + 1 + 3 + 38 + 4);
    CHECK_EQ_U(lens[1], 9 + 6 + 7 + 3 + 3 * 3 + (38 + 2 + 6) + 3 * 4);
}

static void helpers(void)
{
    CHECK_EQ_U(pf_crc32c("123456789", 9), 0xE3069283u);
    char buf[PF_ADDR_STRLEN];
    uint8_t a[16];
    struct {
        const char *in, *out;
        int fam;
    } cases[] = {
        {"192.0.2.1", "192.0.2.1", 4},
        {"2001:db8::1", "2001:db8::1", 6},
        {"2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 6},
        {"::", "::", 6},
        {"::1", "::1", 6},
        {"::ffff:198.51.100.9", "198.51.100.9", 6},
        {"fe80::1:2:3:4:5", "fe80::1:2:3:4:5", 6},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", 6},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3", 6},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fam = pf_addr_from_string(cases[i].in, a);
        CHECK_EQ_U(fam, cases[i].fam);
        const char *s = pf_addr_to_string((uint8_t)fam, a, buf, sizeof(buf));
        if (strcmp(s, cases[i].out))
            fprintf(stderr, "%s -> %s (want %s)\n", cases[i].in, s, cases[i].out);
        CHECK(!strcmp(s, cases[i].out));
    }
    const char *bad[] = {"", "1.2.3", "1.2.3.256", "1:2:3", "::1::2", "12345::", "1.2.3.4.5", "abc", ":1:2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_U(pf_addr_from_string(bad[i], a), 0);
    CHECK(!strcmp(pf_record_type_name(3), "traffic") && !strcmp(pf_record_type_name(200), "?"));
    CHECK(!strcmp(pf_tcp_state_name(10), "LISTEN"));
    CHECK(strlen(pf_strerror(PF_E_VERSION)) > 10 && strlen(pf_strerror(-999)) > 0);
    uint8_t u1[16], u2[16];
    pf_uuid_generate(u1);
    pf_uuid_generate(u2);
    CHECK(memcmp(u1, u2, 16) != 0 && (u1[6] >> 4) == 4);
    char us[37];
    pf_uuid_format(u1, us);
    CHECK(strlen(us) == 36 && us[8] == '-');
}

int main(void)
{
    build_records();
    roundtrip(0);  /* default 1 MiB chunks (the big string forces a chunk of its own) */
    roundtrip(64); /* tiny chunks: flow definitions repeated in every chunk */
    rejects();
    files();
    helpers();
    scopes();
    free(big_string);
    return check_result("test_roundtrip");
}
