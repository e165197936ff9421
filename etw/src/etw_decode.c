/* ETW payload decoder. Layouts follow Microsoft's published MOF classes
 * (TcpIp_TypeGroup1..4, UdpIp_TypeGroup1, Process_TypeGroup1) and the
 * Kernel-Network / Kernel-Process manifests, checked against real files. */
#include "procflow/etw_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/format.h"

/* pid -> start_ns of the latest start/rundown seen, so later events of the
 * same process get the same identity. Open addressing, bounded. */
#define PID_MAP_MAX (1u << 20)

struct pid_slot {
    uint32_t pid;
    uint32_t used;
    uint64_t start_ns;
};

struct pf_etw_decoder {
    enum pf_etw_skip last_skip;
    struct pid_slot *map;
    uint32_t map_cap; /* power of two */
    uint32_t map_used;
    char comm[512];
    char cmdline[32768];
    char user[192];
};

/* GUIDs in stored byte order (Data1..Data3 little-endian). */
static const uint8_t guid_tcpip[16] = {0xc0, 0x0a, 0x28, 0x9a, 0xe0, 0xc8, 0xd1, 0x11,
                                       0x84, 0xe2, 0x00, 0xc0, 0x4f, 0xb9, 0x98, 0xa2};
static const uint8_t guid_udpip[16] = {0xc5, 0x50, 0x3a, 0xbf, 0xc9, 0xa9, 0x88, 0x49,
                                       0xa0, 0x05, 0x2d, 0xf0, 0xb7, 0xc8, 0x0f, 0x80};
static const uint8_t guid_process[16] = {0xd0, 0xa8, 0x6f, 0x3d, 0x05, 0xfe, 0xd0, 0x11,
                                         0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c};
static const uint8_t guid_knet[16] = {0x49, 0x2a, 0xd4, 0x7d, 0x29, 0x53, 0x32, 0x48,
                                      0x8d, 0xfd, 0x43, 0xd9, 0x79, 0x15, 0x3a, 0x88};
static const uint8_t guid_kproc[16] = {0xd6, 0x2c, 0xfb, 0x22, 0x7b, 0x0e, 0x2b, 0x42,
                                       0xa0, 0xc7, 0x2f, 0xad, 0x1f, 0xd0, 0xe7, 0x16};

enum pf_etw_provider pf_etw_provider_from_guid(const uint8_t guid[16])
{
    if (!guid)
        return PF_ETW_PROV_UNKNOWN;
    if (!memcmp(guid, guid_tcpip, 16))
        return PF_ETW_PROV_TCPIP;
    if (!memcmp(guid, guid_udpip, 16))
        return PF_ETW_PROV_UDPIP;
    if (!memcmp(guid, guid_process, 16))
        return PF_ETW_PROV_PROCESS;
    if (!memcmp(guid, guid_knet, 16))
        return PF_ETW_PROV_KERNEL_NETWORK;
    if (!memcmp(guid, guid_kproc, 16))
        return PF_ETW_PROV_KERNEL_PROCESS;
    return PF_ETW_PROV_UNKNOWN;
}

enum pf_etw_provider pf_etw_provider_from_group(unsigned group)
{
    switch (group) {
    case 0x03: return PF_ETW_PROV_PROCESS;
    case 0x06: return PF_ETW_PROV_TCPIP;
    case 0x08: return PF_ETW_PROV_UDPIP;
    default: return PF_ETW_PROV_UNKNOWN;
    }
}

const char *pf_etw_provider_name(unsigned provider)
{
    switch (provider) {
    case PF_ETW_PROV_TCPIP: return "TcpIp";
    case PF_ETW_PROV_UDPIP: return "UdpIp";
    case PF_ETW_PROV_PROCESS: return "Process";
    case PF_ETW_PROV_KERNEL_NETWORK: return "Kernel-Network";
    case PF_ETW_PROV_KERNEL_PROCESS: return "Kernel-Process";
    default: return "?";
    }
}

pf_etw_decoder *pf_etw_decoder_new(void)
{
    return calloc(1, sizeof(pf_etw_decoder));
}

void pf_etw_decoder_free(pf_etw_decoder *d)
{
    if (!d)
        return;
    free(d->map);
    free(d);
}

enum pf_etw_skip pf_etw_last_skip(const pf_etw_decoder *d)
{
    return d ? d->last_skip : PF_ETW_SKIP_NONE;
}

/* ------------------------------------------------------------ pid map */

static uint32_t pid_hash(uint32_t pid, uint32_t mask)
{
    return (pid * 2654435761u) & mask;
}

static struct pid_slot *pid_find(pf_etw_decoder *d, uint32_t pid)
{
    if (!d->map)
        return NULL;
    uint32_t mask = d->map_cap - 1;
    for (uint32_t i = pid_hash(pid, mask), n = 0; n < d->map_cap; i = (i + 1) & mask, n++) {
        if (!d->map[i].used)
            return NULL;
        if (d->map[i].pid == pid)
            return &d->map[i];
    }
    return NULL;
}

static void pid_put(pf_etw_decoder *d, uint32_t pid, uint64_t start_ns)
{
    struct pid_slot *s = pid_find(d, pid);
    if (s) {
        s->start_ns = start_ns;
        return;
    }
    if ((d->map_used + 1) * 2 > d->map_cap) {
        uint32_t ncap = d->map_cap ? d->map_cap * 2 : 256;
        if (ncap > PID_MAP_MAX)
            return; /* identity falls back to 0 (unknown) */
        struct pid_slot *nm = calloc(ncap, sizeof(*nm));
        if (!nm)
            return;
        for (uint32_t i = 0; i < d->map_cap; i++) {
            if (!d->map[i].used)
                continue;
            uint32_t j = pid_hash(d->map[i].pid, ncap - 1);
            while (nm[j].used)
                j = (j + 1) & (ncap - 1);
            nm[j] = d->map[i];
        }
        free(d->map);
        d->map = nm;
        d->map_cap = ncap;
    }
    uint32_t mask = d->map_cap - 1, i = pid_hash(pid, mask);
    while (d->map[i].used)
        i = (i + 1) & mask;
    d->map[i].used = 1;
    d->map[i].pid = pid;
    d->map[i].start_ns = start_ns;
    d->map_used++;
}

static uint64_t pid_start(pf_etw_decoder *d, uint32_t pid)
{
    struct pid_slot *s = pid_find(d, pid);
    return s ? s->start_ns : 0;
}

/* ------------------------------------------------------------ helpers */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t leptr(const uint8_t *p, unsigned psize)
{
    return psize == 8 ? le64(p) : le32(p);
}

static int put_utf8(char *dst, size_t cap, size_t *o, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (*o + n >= cap)
        return -1; /* truncate at a character boundary */
    memcpy(dst + *o, b, n);
    *o += n;
    return 0;
}

size_t pf_etw_utf16_to_utf8(const uint8_t *src, size_t src_bytes, char *dst, size_t cap)
{
    size_t o = 0;
    if (!dst || cap == 0)
        return 0;
    for (size_t i = 0; src && i + 1 < src_bytes; i += 2) {
        uint32_t u = (uint32_t)src[i] | (uint32_t)src[i + 1] << 8;
        if (u == 0)
            break;
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < src_bytes) {
            uint32_t v = (uint32_t)src[i + 2] | (uint32_t)src[i + 3] << 8;
            if (v >= 0xdc00 && v < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
                i += 2;
            } else {
                u = 0xfffd;
            }
        } else if (u >= 0xd800 && u < 0xe000) {
            u = 0xfffd;
        }
        if (put_utf8(dst, cap, &o, u) < 0)
            break;
    }
    dst[o] = '\0';
    return o;
}

/* Length in bytes of a NUL-terminated UTF-16 string at p (terminator
 * included when present), bounded by n. */
static size_t utf16_span(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        if (p[i] == 0 && p[i + 1] == 0)
            return i + 2;
    return n;
}

/* ANSI (single-byte) string to UTF-8: bytes >= 0x80 are taken as Latin-1. */
static size_t ansi_to_utf8(const uint8_t *src, size_t n, char *dst, size_t cap, size_t *consumed)
{
    size_t o = 0, i = 0;
    int full = 0;
    for (; i < n && src[i]; i++)
        if (!full && put_utf8(dst, cap, &o, src[i]) < 0)
            full = 1; /* keep scanning for the terminator */
    dst[o] = '\0';
    *consumed = i < n ? i + 1 : n;
    return o;
}

static int skip(pf_etw_decoder *d, enum pf_etw_skip why)
{
    d->last_skip = why;
    return 0;
}

/* ------------------------------------------------------------ network */

enum net_kind { NK_NONE, NK_SEND, NK_RECV, NK_CONNECT, NK_ACCEPT, NK_DISCONNECT,
                NK_RETRANSMIT, NK_RECONNECT, NK_COPY, NK_FAIL };

struct net_op {
    enum net_kind kind;
    uint8_t proto;
    uint8_t family;
};

/* Classic TcpIp opcodes; Kernel-Network TCP ids are the same numbers. */
static struct net_op tcp_op(unsigned id)
{
    struct net_op op = {NK_NONE, PF_PROTO_TCP, PF_AF_INET};
    unsigned base = id;
    if (id >= 26 && id <= 34) {
        op.family = PF_AF_INET6;
        base = id - 16;
    }
    switch (base) {
    case 10: op.kind = NK_SEND; break;
    case 11: op.kind = NK_RECV; break;
    case 12: op.kind = NK_CONNECT; break;
    case 13: op.kind = NK_DISCONNECT; break;
    case 14: op.kind = NK_RETRANSMIT; break;
    case 15: op.kind = NK_ACCEPT; break;
    case 16: op.kind = NK_RECONNECT; break;
    case 17: op.kind = NK_FAIL; break;
    case 18: op.kind = NK_COPY; break;
    default: break;
    }
    return op;
}

/* Classic UdpIp: 10/11 send/recv IPv4, 26/27 IPv6, 17 fail. */
static struct net_op udp_classic_op(unsigned id)
{
    struct net_op op = {NK_NONE, PF_PROTO_UDP, PF_AF_INET};
    switch (id) {
    case 10: op.kind = NK_SEND; break;
    case 11: op.kind = NK_RECV; break;
    case 26: op.kind = NK_SEND; op.family = PF_AF_INET6; break;
    case 27: op.kind = NK_RECV; op.family = PF_AF_INET6; break;
    case 17: op.kind = NK_FAIL; break;
    default: break;
    }
    return op;
}

/* Kernel-Network UDP: 42/43 IPv4 send/recv, 58/59 IPv6, 49 fail. */
static struct net_op udp_manifest_op(unsigned id)
{
    struct net_op op = {NK_NONE, PF_PROTO_UDP, PF_AF_INET};
    switch (id) {
    case 42: op.kind = NK_SEND; break;
    case 43: op.kind = NK_RECV; break;
    case 58: op.kind = NK_SEND; op.family = PF_AF_INET6; break;
    case 59: op.kind = NK_RECV; op.family = PF_AF_INET6; break;
    case 49: op.kind = NK_FAIL; break;
    default: break;
    }
    return op;
}

static int decode_net(pf_etw_decoder *d, const struct pf_etw_event *ev, struct net_op op,
                      struct pf_record *out)
{
    if (op.kind == NK_NONE)
        return skip(d, PF_ETW_SKIP_ID);
    if (op.kind == NK_COPY)
        return skip(d, PF_ETW_SKIP_COPY); /* the receive already counted these bytes */
    const unsigned alen = op.family == PF_AF_INET6 ? 16 : 4;
    const unsigned psize = ev->pointer_size == 4 ? 4 : 8;
    /* PID, size, daddr, saddr, dport, sport ... connid (pointer, last). */
    const size_t fixed = 8 + 2 * (size_t)alen + 4;
    const uint8_t *p = ev->payload;
    if (!p || ev->payload_len < fixed)
        return skip(d, PF_ETW_SKIP_SHORT); /* e.g. the 4-byte classic Fail */
    uint32_t pid = le32(p);
    uint32_t size = le32(p + 4);
    struct pf_endpoint dst, src;
    memset(&dst, 0, sizeof dst);
    memset(&src, 0, sizeof src);
    memcpy(dst.addr, p + 8, alen);
    memcpy(src.addr, p + 8 + alen, alen);
    dst.port = (uint16_t)(p[8 + 2 * alen] << 8 | p[9 + 2 * alen]);
    src.port = (uint16_t)(p[10 + 2 * alen] << 8 | p[11 + 2 * alen]);
    uint64_t connid = 0;
    if (ev->payload_len >= fixed + psize)
        connid = leptr(p + ev->payload_len - psize, psize);

    struct pf_flow_key key;
    memset(&key, 0, sizeof key);
    key.pid = pid;
    key.pid_start_ns = pid_start(d, pid);
    key.sock_id = connid;
    key.proto = op.proto;
    key.family = op.family;
    /* TCP: saddr:sport is the local end both ways. UDP follows the
     * datagram: on a receive saddr is the sender (remote). */
    if (op.proto == PF_PROTO_UDP && op.kind == NK_RECV) {
        key.local = dst;
        key.remote = src;
    } else {
        key.local = src;
        key.remote = dst;
    }

    memset(out, 0, sizeof *out);
    out->ts_ns = ev->ts_ns;
    out->utc_ns = (int64_t)ev->ts_ns;
    switch (op.kind) {
    case NK_SEND:
    case NK_RECV:
    case NK_RETRANSMIT:
        out->type = PF_REC_TRAFFIC;
        out->u.traffic.key = key;
        if (op.kind == NK_SEND) {
            out->u.traffic.bytes_sent = size;
            out->u.traffic.sends = 1;
        } else if (op.kind == NK_RECV) {
            out->u.traffic.bytes_recv = size;
            out->u.traffic.recvs = 1;
        } else {
            out->u.traffic.retransmits = 1; /* resent bytes are not application bytes */
        }
        break;
    default:
        out->type = PF_REC_SOCKET;
        out->u.socket.key = key;
        switch (op.kind) {
        case NK_CONNECT:
            out->u.socket.event = PF_SOCK_CONNECT;
            out->u.socket.old_state = PF_TCP_SYN_SENT;
            out->u.socket.new_state = PF_TCP_ESTABLISHED;
            break;
        case NK_RECONNECT:
            out->u.socket.event = PF_SOCK_CONNECT;
            out->u.socket.new_state = PF_TCP_SYN_SENT;
            break;
        case NK_ACCEPT:
            out->u.socket.event = PF_SOCK_ACCEPT;
            out->u.socket.old_state = PF_TCP_SYN_RECV;
            out->u.socket.new_state = PF_TCP_ESTABLISHED;
            break;
        case NK_DISCONNECT:
            out->u.socket.event = PF_SOCK_CLOSE;
            out->u.socket.new_state = PF_TCP_CLOSE;
            break;
        default:
            out->u.socket.event = PF_SOCK_FAIL;
            out->u.socket.new_state = PF_TCP_CLOSE;
            break;
        }
        if (op.proto == PF_PROTO_UDP) {
            out->u.socket.old_state = PF_TCP_NONE;
            out->u.socket.new_state = PF_TCP_NONE;
        }
        break;
    }
    d->last_skip = PF_ETW_SKIP_NONE;
    return 1;
}

/* ------------------------------------------------------------ process */

/* Formats the SID that follows a TOKEN_USER (2 pointers) in kernel events.
 * Returns bytes consumed, or 0 when the field does not fit. */
static size_t parse_sid(pf_etw_decoder *d, const uint8_t *p, size_t n, unsigned psize)
{
    d->user[0] = '\0';
    if (n < 4)
        return 0;
    if (le32(p) == 0)
        return 4; /* no SID */
    size_t h = 2 * (size_t)psize;
    if (n < h + 8)
        return 0;
    const uint8_t *s = p + h;
    unsigned count = s[1];
    if (n < h + 8 + 4 * (size_t)count)
        return 0;
    uint64_t auth = 0;
    for (int i = 2; i < 8; i++)
        auth = auth << 8 | s[i];
    int o = snprintf(d->user, sizeof d->user, "S-%u-%llu", s[0], (unsigned long long)auth);
    for (unsigned i = 0; i < count && o > 0 && (size_t)o < sizeof d->user; i++)
        o += snprintf(d->user + o, sizeof d->user - (size_t)o, "-%lu", (unsigned long)le32(s + 8 + 4 * i));
    return h + 8 + 4 * (size_t)count;
}

static void fill_strings(pf_etw_decoder *d, struct pf_process *pr)
{
    pr->comm = d->comm;
    pr->comm_len = (uint32_t)strlen(d->comm);
    pr->cmdline = d->cmdline;
    pr->cmdline_len = (uint32_t)strlen(d->cmdline);
    pr->user = d->user;
    pr->user_len = (uint32_t)strlen(d->user);
}

static int decode_process_classic(pf_etw_decoder *d, const struct pf_etw_event *ev, struct pf_record *out)
{
    uint8_t event;
    switch (ev->id) {
    case 1: event = PF_PROC_START; break;
    case 2: event = PF_PROC_EXIT; break;
    case 3: event = PF_PROC_RUNDOWN; break;
    case 4: event = PF_PROC_END_RUNDOWN; break;
    case 39: event = PF_PROC_EXIT; break; /* defunct: exited, object still referenced */
    default: return skip(d, PF_ETW_SKIP_ID);
    }
    if (ev->version < 3)
        return skip(d, PF_ETW_SKIP_ID); /* older layouts lack the fields used here */
    const unsigned psize = ev->pointer_size == 4 ? 4 : 8;
    const uint8_t *p = ev->payload;
    size_t n = ev->payload_len;
    /* UniqueProcessKey, ProcessId, ParentId, SessionId, ExitStatus,
     * DirectoryTableBase, [v4+: Flags], UserSID, ImageFileName, CommandLine */
    size_t off = psize + 16 + psize + (ev->version >= 4 ? 4 : 0);
    if (!p || n < off)
        return skip(d, PF_ETW_SKIP_SHORT);
    uint32_t pid = le32(p + psize);
    uint32_t ppid = le32(p + psize + 4);
    int32_t status = (int32_t)le32(p + psize + 12);

    d->comm[0] = d->cmdline[0] = '\0';
    size_t used = parse_sid(d, p + off, n - off, psize);
    if (used) {
        off += used;
        size_t c = 0;
        ansi_to_utf8(p + off, n - off, d->comm, sizeof d->comm, &c);
        off += c;
        size_t span = utf16_span(p + off, n - off);
        pf_etw_utf16_to_utf8(p + off, span, d->cmdline, sizeof d->cmdline);
    }

    memset(out, 0, sizeof *out);
    out->type = PF_REC_PROCESS;
    out->ts_ns = ev->ts_ns;
    out->utc_ns = (int64_t)ev->ts_ns;
    struct pf_process *pr = &out->u.process;
    pr->event = event;
    pr->pid = pid;
    pr->ppid = ppid;
    pr->uid = UINT32_MAX;
    if (event == PF_PROC_START || event == PF_PROC_RUNDOWN) {
        /* A rundown's real start time is not in the event: its first sight
         * in this trace stands in for it (stable within the trace). */
        pr->start_ns = ev->ts_ns;
        pid_put(d, pid, pr->start_ns);
    } else {
        pr->start_ns = pid_start(d, pid);
        pr->exit_code = status;
    }
    pr->parent_start_ns = pid_start(d, ppid);
    fill_strings(d, pr);
    d->last_skip = PF_ETW_SKIP_NONE;
    return 1;
}

/* Kernel-Process 1 ProcessStart: ProcessID, CreateTime, ParentProcessID,
 * SessionID, [v1+: Flags], ImageName (UTF-16). 2 ProcessStop: ProcessID,
 * CreateTime, ExitTime, ExitCode, ... ImageName (ANSI, last). */
static int decode_process_manifest(pf_etw_decoder *d, const struct pf_etw_event *ev, struct pf_record *out)
{
    const uint8_t *p = ev->payload;
    size_t n = ev->payload_len;
    if (ev->id != 1 && ev->id != 2)
        return skip(d, PF_ETW_SKIP_ID);
    if (!p || n < (ev->id == 1 ? 20u : 24u))
        return skip(d, PF_ETW_SKIP_SHORT);
    uint32_t pid = le32(p);
    memset(out, 0, sizeof *out);
    out->type = PF_REC_PROCESS;
    out->ts_ns = ev->ts_ns;
    out->utc_ns = (int64_t)ev->ts_ns;
    struct pf_process *pr = &out->u.process;
    pr->pid = pid;
    pr->uid = UINT32_MAX;
    d->comm[0] = d->cmdline[0] = d->user[0] = '\0';
    char *exe = d->cmdline; /* reused as the image path buffer: no command line here */
    if (ev->id == 1) {
        pr->event = PF_PROC_START;
        pr->ppid = le32(p + 12);
        size_t off = ev->version >= 1 ? 24 : 20;
        if (off < n) {
            size_t span = utf16_span(p + off, n - off);
            pf_etw_utf16_to_utf8(p + off, span, exe, sizeof d->cmdline);
        }
        pr->start_ns = ev->ts_ns;
        pid_put(d, pid, pr->start_ns);
        pr->parent_start_ns = pid_start(d, pr->ppid);
    } else {
        pr->event = PF_PROC_EXIT;
        pr->exit_code = (int32_t)le32(p + 20);
        pr->start_ns = pid_start(d, pid);
        /* Win7 (v1) stop: 76 fixed bytes, then the ANSI image name. */
        if (ev->version == 1 && n > 76) {
            size_t c = 0;
            ansi_to_utf8(p + 76, n - 76, d->comm, sizeof d->comm, &c);
        }
    }
    /* comm: last path component of the image path. */
    if (exe[0]) {
        const char *base = strrchr(exe, '\\');
        base = base ? base + 1 : exe;
        size_t bl = strlen(base);
        if (bl >= sizeof d->comm)
            bl = sizeof d->comm - 1;
        memcpy(d->comm, base, bl);
        d->comm[bl] = '\0';
    }
    pr->comm = d->comm;
    pr->comm_len = (uint32_t)strlen(d->comm);
    pr->exe = exe;
    pr->exe_len = (uint32_t)strlen(exe);
    d->last_skip = PF_ETW_SKIP_NONE;
    return 1;
}

int pf_etw_decode(pf_etw_decoder *d, const struct pf_etw_event *ev, struct pf_record *out, size_t cap)
{
    if (!d || !ev || !out || cap < 1)
        return PF_E_ARG;
    switch (ev->provider) {
    case PF_ETW_PROV_TCPIP:
        if (ev->version < 2)
            return skip(d, PF_ETW_SKIP_ID); /* v0/v1 lack the layout used here */
        return decode_net(d, ev, tcp_op(ev->id), out);
    case PF_ETW_PROV_UDPIP:
        if (ev->version < 2)
            return skip(d, PF_ETW_SKIP_ID);
        return decode_net(d, ev, udp_classic_op(ev->id), out);
    case PF_ETW_PROV_KERNEL_NETWORK:
        if (ev->id >= 10 && ev->id <= 34 && !(ev->id > 18 && ev->id < 26))
            return decode_net(d, ev, tcp_op(ev->id), out);
        return decode_net(d, ev, udp_manifest_op(ev->id), out);
    case PF_ETW_PROV_PROCESS:
        return decode_process_classic(d, ev, out);
    case PF_ETW_PROV_KERNEL_PROCESS:
        return decode_process_manifest(d, ev, out);
    default:
        return skip(d, PF_ETW_SKIP_PROVIDER);
    }
}
