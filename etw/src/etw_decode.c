/* SPDX-License-Identifier: MIT */
/* ETW payload decoder. Layouts follow Microsoft's published MOF classes
 * (TcpIp_TypeGroup1..4, UdpIp_TypeGroup1, Process_TypeGroup1) and the
 * Kernel-Network / Kernel-Process manifests, one table row per event
 * version, checked against real files. */
#include "procflow/etw_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "procflow/format.h"

/* pid -> start_ns of the latest start/rundown seen, so later events of the
 * same process get the same identity. Open addressing, bounded. */
#define PID_MAP_MAX (1u << 20)

struct pid_slot {
    uint32_t pid;
    uint8_t used;
    uint8_t start_src; /* SRC_* bits of the starts/rundowns of this identity */
    uint8_t exited;
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
    char exe[1024];
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

pf_etw_decoder *pf_etw_decoder_new(void) { return calloc(1, sizeof(pf_etw_decoder)); }

void pf_etw_decoder_free(pf_etw_decoder *d)
{
    if (!d)
        return;
    free(d->map);
    free(d);
}

enum pf_etw_skip pf_etw_last_skip(const pf_etw_decoder *d) { return d ? d->last_skip : PF_ETW_SKIP_NONE; }

/* ------------------------------------------------------------ pid map */

static uint32_t pid_hash(uint32_t pid, uint32_t mask) { return (pid * 2654435761u) & mask; }

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

static void pid_put(pf_etw_decoder *d, uint32_t pid, uint64_t start_ns, uint8_t src)
{
    struct pid_slot *s = pid_find(d, pid);
    if (s) {
        s->start_ns = start_ns;
        s->start_src = src;
        s->exited = 0;
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
    d->map[i].start_src = src;
    d->map[i].exited = 0;
    d->map_used++;
}

static void pid_mark_exited(pf_etw_decoder *d, uint32_t pid)
{
    struct pid_slot *s = pid_find(d, pid);
    if (s)
        s->exited = 1;
}

static uint64_t pid_start(pf_etw_decoder *d, uint32_t pid)
{
    struct pid_slot *s = pid_find(d, pid);
    return s ? s->start_ns : 0;
}

/* ------------------------------------------------------------ helpers */

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

/* ------------------------------------------------------------ layouts */

/* Every event version procflow uses is described field by field, as the
 * MOF class or manifest template lays it out; the walker below reads the
 * fields in order and keeps those with a role. An (provider, id, version)
 * without a row is never guessed at: it is skipped as PF_ETW_SKIP_VERSION. */
enum fkind {
    K_U16,
    K_U32,
    K_U64,
    K_PTR, /* fixed-size integers; PTR is the event's pointer size */
    K_IP4,
    K_IP6,
    K_PORT,      /* network-order address bytes, big-endian port */
    K_TOKEN_SID, /* classic kernel SID: TOKEN_USER (2 pointers) + SID, or 4 zero bytes */
    K_SID,       /* manifest win:SID: the SID alone */
    K_ANSI,
    K_UTF16 /* NUL-terminated strings */
};

enum frole {
    R_NONE,
    R_PID,
    R_PPID,
    R_SIZE,
    R_DADDR,
    R_SADDR,
    R_DPORT,
    R_SPORT,
    R_CONNID,
    R_EXIT,
    R_USER,
    R_COMM,
    R_EXE,
    R_CMDLINE,
    R_EXIT_TIME
};

struct field {
    uint8_t kind, role;
};

#define F(k, r) \
    { \
        K_##k, R_##r \
    }

struct layout {
    uint8_t provider;
    uint8_t version;
    const uint16_t *ids; /* 0-terminated */
    const struct field *f;
    uint8_t n;
};

/* --- classic TcpIp / UdpIp (MOF) and Kernel-Network (manifest) --- */
/* TcpIp_V0_TypeGroup1 */
static const struct field tcp_v0[] = {F(IP4, DADDR),  F(IP4, SADDR), F(PORT, DPORT),
                                      F(PORT, SPORT), F(U32, SIZE),  F(U32, PID)};
/* TcpIp_V1_TypeGroup1, UdpIp_V1_TypeGroup1 */
static const struct field net_v1[] = {F(U32, PID),   F(U32, SIZE),   F(IP4, DADDR),
                                      F(IP4, SADDR), F(PORT, DPORT), F(PORT, SPORT)};
/* UdpIp_V0_TypeGroup1: no PID (the header's is used) */
static const struct field udp_v0[] = {F(U32, NONE),  F(IP4, SADDR),  F(PORT, SPORT), F(U16, SIZE),
                                      F(IP4, DADDR), F(PORT, DPORT), F(U16, NONE)};
/* TcpIp_SendIPV4 / SendIPV6: ... startime, endtime, seqnum, connid */
static const struct field send4[] = {F(U32, PID),    F(U32, SIZE), F(IP4, DADDR), F(IP4, SADDR), F(PORT, DPORT),
                                     F(PORT, SPORT), F(U32, NONE), F(U32, NONE),  F(U32, NONE),  F(PTR, CONNID)};
static const struct field send6[] = {F(U32, PID),    F(U32, SIZE), F(IP6, DADDR), F(IP6, SADDR), F(PORT, DPORT),
                                     F(PORT, SPORT), F(U32, NONE), F(U32, NONE),  F(U32, NONE),  F(PTR, CONNID)};
/* TcpIp_TypeGroup1/3, UdpIp_TypeGroup1/2: ... seqnum, connid */
static const struct field gen4[] = {F(U32, PID),    F(U32, SIZE),   F(IP4, DADDR), F(IP4, SADDR),
                                    F(PORT, DPORT), F(PORT, SPORT), F(U32, NONE),  F(PTR, CONNID)};
static const struct field gen6[] = {F(U32, PID),    F(U32, SIZE),   F(IP6, DADDR), F(IP6, SADDR),
                                    F(PORT, DPORT), F(PORT, SPORT), F(U32, NONE),  F(PTR, CONNID)};
/* TcpIp_TypeGroup2/4 (connect, accept): mss, sackopt, tsopt, wsopt,
 * rcvwin, rcvwinscale, sndwinscale, seqnum, connid */
static const struct field conn4[] = {F(U32, PID),    F(U32, SIZE), F(IP4, DADDR), F(IP4, SADDR), F(PORT, DPORT),
                                     F(PORT, SPORT), F(U16, NONE), F(U16, NONE),  F(U16, NONE),  F(U16, NONE),
                                     F(U32, NONE),   F(U16, NONE), F(U16, NONE),  F(U32, NONE),  F(PTR, CONNID)};
static const struct field conn6[] = {F(U32, PID),    F(U32, SIZE), F(IP6, DADDR), F(IP6, SADDR), F(PORT, DPORT),
                                     F(PORT, SPORT), F(U16, NONE), F(U16, NONE),  F(U16, NONE),  F(U16, NONE),
                                     F(U32, NONE),   F(U16, NONE), F(U16, NONE),  F(U32, NONE),  F(PTR, CONNID)};
/* TcpIp_Fail / UdpIp_Fail: Proto, FailureCode; no endpoints */
static const struct field net_fail[] = {F(U16, NONE), F(U16, NONE)};

static const uint16_t id_tcp_v0[] = {10, 11, 12, 13, 14, 15, 0};
static const uint16_t id_tcp_v1[] = {10, 11, 12, 13, 14, 15, 16, 0};
static const uint16_t id_udp_v01[] = {10, 11, 0};
static const uint16_t id_send4[] = {10, 0};
static const uint16_t id_send6[] = {26, 0};
static const uint16_t id_tgen4[] = {11, 13, 14, 16, 18, 0};
static const uint16_t id_tgen6[] = {27, 29, 30, 32, 34, 0};
static const uint16_t id_conn4[] = {12, 15, 0};
static const uint16_t id_conn6[] = {28, 31, 0};
static const uint16_t id_fail_tcp[] = {17, 0};
static const uint16_t id_fail_kn[] = {17, 33, 49, 0};
static const uint16_t id_udp4[] = {10, 11, 0};
static const uint16_t id_udp6[] = {26, 27, 0};
static const uint16_t id_kn_udp4[] = {42, 43, 0};
static const uint16_t id_kn_udp6[] = {58, 59, 0};

/* --- classic Process (MOF) --- */
static const struct field proc_v0[] = {F(PTR, PID), F(PTR, PPID), F(TOKEN_SID, USER), F(ANSI, COMM)};
static const struct field proc_v1[] = {F(PTR, NONE), F(U32, PID),        F(U32, PPID), F(U32, NONE),
                                       F(U32, EXIT), F(TOKEN_SID, USER), F(ANSI, COMM)};
static const struct field proc_v2[] = {F(PTR, NONE), F(U32, PID),        F(U32, PPID),  F(U32, NONE),
                                       F(U32, EXIT), F(TOKEN_SID, USER), F(ANSI, COMM), F(UTF16, CMDLINE)};
static const struct field proc_v3[] = {F(PTR, NONE), F(U32, PID),        F(U32, PPID),  F(U32, NONE),     F(U32, EXIT),
                                       F(PTR, NONE), F(TOKEN_SID, USER), F(ANSI, COMM), F(UTF16, CMDLINE)};
static const struct field proc_v4[] = {F(PTR, NONE),  F(U32, PID),       F(U32, PPID),   F(U32, NONE),
                                       F(U32, EXIT),  F(PTR, NONE),      F(U32, NONE),   F(TOKEN_SID, USER),
                                       F(ANSI, COMM), F(UTF16, CMDLINE), F(UTF16, NONE), F(UTF16, NONE)};
/* Defunct v5: the v4 fields, then ExitTime (FILETIME) */
static const struct field proc_v5[] = {F(PTR, NONE),     F(U32, PID),       F(U32, PPID),   F(U32, NONE),
                                       F(U32, EXIT),     F(PTR, NONE),      F(U32, NONE),   F(TOKEN_SID, USER),
                                       F(ANSI, COMM),    F(UTF16, CMDLINE), F(UTF16, NONE), F(UTF16, NONE),
                                       F(U64, EXIT_TIME)};
static const uint16_t id_proc_v01[] = {1, 2, 3, 4, 0};
static const uint16_t id_proc[] = {1, 2, 3, 4, 39, 0};
static const uint16_t id_defunct[] = {39, 0};

/* --- Microsoft-Windows-Kernel-Process (manifest) --- */
/* ProcessStartArgs: ProcessID, CreateTime, ParentProcessID, SessionID, ImageName */
static const struct field kp_start_v0[] = {F(U32, PID), F(U64, NONE), F(U32, PPID), F(U32, NONE), F(UTF16, EXE)};
/* _V1: + Flags before ImageName */
static const struct field kp_start_v1[] = {F(U32, PID),  F(U64, NONE), F(U32, PPID),
                                           F(U32, NONE), F(U32, NONE), F(UTF16, EXE)};
/* _V2 (and ProcessRundownArgs, rundown v0): + ImageChecksum,
 * TimeDateStamp, PackageFullName, PackageRelativeAppId */
static const struct field kp_start_v2[] = {F(U32, PID),   F(U64, NONE), F(U32, PPID), F(U32, NONE),   F(U32, NONE),
                                           F(UTF16, EXE), F(U32, NONE), F(U32, NONE), F(UTF16, NONE), F(UTF16, NONE)};
/* ProcessRundownArgs_V1 (start v3, rundown v1): ProcessID,
 * ProcessSequenceNumber, CreateTime, ParentProcessID,
 * ParentProcessSequenceNumber, SessionID, Flags, ProcessTokenElevationType,
 * ProcessTokenIsElevated, MandatoryLabel, ImageName, ImageChecksum,
 * TimeDateStamp, PackageFullName, PackageRelativeAppId */
static const struct field kp_start_v3[] = {F(U32, PID),   F(U64, NONE), F(U64, NONE), F(U32, PPID),   F(U64, NONE),
                                           F(U32, NONE),  F(U32, NONE), F(U32, NONE), F(U32, NONE),   F(SID, NONE),
                                           F(UTF16, EXE), F(U32, NONE), F(U32, NONE), F(UTF16, NONE), F(UTF16, NONE)};
/* start v4: + SecurityMitigations */
static const struct field kp_start_v4[] = {F(U32, PID),  F(U64, NONE),   F(U64, NONE),   F(U32, PPID),
                                           F(U64, NONE), F(U32, NONE),   F(U32, NONE),   F(U32, NONE),
                                           F(U32, NONE), F(SID, NONE),   F(UTF16, EXE),  F(U32, NONE),
                                           F(U32, NONE), F(UTF16, NONE), F(UTF16, NONE), F(U32, NONE)};
/* ProcessStopArgs: ProcessID, CreateTime, ExitTime, ExitCode,
 * TokenElevationType, HandleCount, CommitCharge, CommitPeak, ImageName */
static const struct field kp_stop_v0[] = {F(U32, PID),  F(U64, NONE), F(U64, EXIT_TIME), F(U32, EXIT), F(U32, NONE),
                                          F(U32, NONE), F(U64, NONE), F(U64, NONE),      F(ANSI, COMM)};
/* _V1: + CPUCycleCount, Read/WriteOperationCount,
 * Read/WriteTransferKiloBytes, HardFaultCount before ImageName */
static const struct field kp_stop_v1[] = {F(U32, PID),  F(U64, NONE), F(U64, EXIT_TIME), F(U32, EXIT), F(U32, NONE),
                                          F(U32, NONE), F(U64, NONE), F(U64, NONE),      F(U64, NONE), F(U32, NONE),
                                          F(U32, NONE), F(U32, NONE), F(U32, NONE),      F(U32, NONE), F(ANSI, COMM)};
/* _V2: ProcessSequenceNumber after ProcessID */
static const struct field kp_stop_v2[] = {F(U32, PID),  F(U64, NONE), F(U64, NONE), F(U64, EXIT_TIME),
                                          F(U32, EXIT), F(U32, NONE), F(U32, NONE), F(U64, NONE),
                                          F(U64, NONE), F(U64, NONE), F(U32, NONE), F(U32, NONE),
                                          F(U32, NONE), F(U32, NONE), F(U32, NONE), F(ANSI, COMM)};
static const uint16_t id_kp_start[] = {1, 0};
static const uint16_t id_kp_stop[] = {2, 0};
static const uint16_t id_kp_rundown[] = {15, 0};

#define L(prov, ver, ids, f) \
    { \
        PF_ETW_PROV_##prov, ver, ids, f, (uint8_t)(sizeof(f) / sizeof((f)[0])) \
    }

static const struct layout layouts[] = {
    L(TCPIP, 0, id_tcp_v0, tcp_v0),
    L(TCPIP, 1, id_tcp_v1, net_v1),
    L(TCPIP, 2, id_send4, send4),
    L(TCPIP, 2, id_send6, send6),
    L(TCPIP, 2, id_tgen4, gen4),
    L(TCPIP, 2, id_tgen6, gen6),
    L(TCPIP, 2, id_conn4, conn4),
    L(TCPIP, 2, id_conn6, conn6),
    L(TCPIP, 2, id_fail_tcp, net_fail),
    L(UDPIP, 0, id_udp_v01, udp_v0),
    L(UDPIP, 1, id_udp_v01, net_v1),
    L(UDPIP, 2, id_udp4, gen4),
    L(UDPIP, 2, id_udp6, gen6),
    L(UDPIP, 2, id_fail_tcp, net_fail),
    L(KERNEL_NETWORK, 0, id_send4, send4),
    L(KERNEL_NETWORK, 0, id_send6, send6),
    L(KERNEL_NETWORK, 0, id_tgen4, gen4),
    L(KERNEL_NETWORK, 0, id_tgen6, gen6),
    L(KERNEL_NETWORK, 0, id_conn4, conn4),
    L(KERNEL_NETWORK, 0, id_conn6, conn6),
    L(KERNEL_NETWORK, 0, id_kn_udp4, gen4),
    L(KERNEL_NETWORK, 0, id_kn_udp6, gen6),
    L(KERNEL_NETWORK, 0, id_fail_kn, net_fail),
    L(PROCESS, 0, id_proc_v01, proc_v0),
    L(PROCESS, 1, id_proc_v01, proc_v1),
    L(PROCESS, 2, id_proc, proc_v2),
    L(PROCESS, 3, id_proc, proc_v3),
    L(PROCESS, 4, id_proc, proc_v4),
    L(PROCESS, 5, id_defunct, proc_v5),
    L(KERNEL_PROCESS, 0, id_kp_start, kp_start_v0),
    L(KERNEL_PROCESS, 1, id_kp_start, kp_start_v1),
    L(KERNEL_PROCESS, 2, id_kp_start, kp_start_v2),
    L(KERNEL_PROCESS, 3, id_kp_start, kp_start_v3),
    L(KERNEL_PROCESS, 4, id_kp_start, kp_start_v4),
    L(KERNEL_PROCESS, 0, id_kp_stop, kp_stop_v0),
    L(KERNEL_PROCESS, 1, id_kp_stop, kp_stop_v1),
    L(KERNEL_PROCESS, 2, id_kp_stop, kp_stop_v2),
    L(KERNEL_PROCESS, 0, id_kp_rundown, kp_start_v2),
    L(KERNEL_PROCESS, 1, id_kp_rundown, kp_start_v3),
};

static int id_in(const uint16_t *ids, unsigned id)
{
    for (; *ids; ids++)
        if (*ids == id)
            return 1;
    return 0;
}

/* Returns the layout, or NULL with *known_id set when the id is handled
 * in some other version (an unknown version rather than an unknown id). */
static const struct layout *find_layout(unsigned provider, unsigned id, unsigned version, int *known_id)
{
    *known_id = 0;
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        const struct layout *l = &layouts[i];
        if (l->provider != provider || !id_in(l->ids, id))
            continue;
        *known_id = 1;
        if (l->version == version)
            return l;
    }
    return NULL;
}

int pf_etw_layout_known(unsigned provider, unsigned id, unsigned version)
{
    int known_id;
    return find_layout(provider, id, version, &known_id) != NULL;
}

/* Values the walker found. */
struct fields {
    unsigned have; /* bit per role */
    uint32_t pid, ppid, size, exit_code;
    uint16_t dport, sport;
    uint8_t daddr[16], saddr[16];
    uint64_t connid, exit_time;
};

#define HAVE(r) (1u << (r))

static int skip(pf_etw_decoder *d, enum pf_etw_skip why)
{
    d->last_skip = why;
    return 0;
}

/* Takes the SID at the cursor and, when `keep`, formats it as
 * S-R-A-S1-... into d->user. 0 (cursor unmoved) when it does not fit. */
static int take_sid(pf_etw_decoder *d, struct pf_cur *c, int keep)
{
    struct pf_cur s = *c;
    unsigned revision = pf_get_u8(&s);
    unsigned count = pf_get_u8(&s);
    uint64_t auth = 0;
    for (int i = 0; i < 6; i++)
        auth = auth << 8 | pf_get_u8(&s); /* big-endian authority */
    struct pf_cur sub = pf_cur_take(&s, 4 * (size_t)count);
    if (s.bad)
        return 0;
    *c = s;
    if (!keep)
        return 1;
    int o = snprintf(d->user, sizeof d->user, "S-%u-%llu", revision, (unsigned long long)auth);
    for (unsigned i = 0; i < count && o > 0 && (size_t)o < sizeof d->user; i++)
        o += snprintf(d->user + o, sizeof d->user - (size_t)o, "-%lu", (unsigned long)pf_get_u32(&sub));
    return 1;
}

/* Bytes of a fixed-size field; 0 for strings and SIDs. */
static size_t fixed_width(unsigned kind, unsigned psize)
{
    switch (kind) {
    case K_U16:
    case K_PORT: return 2;
    case K_U32:
    case K_IP4: return 4;
    case K_U64: return 8;
    case K_PTR: return psize;
    case K_IP6: return 16;
    default: return 0;
    }
}

/* Whether a field from index i on is one procflow needs and cannot do
 * without (every integer and address with a role). */
static int needs_fixed_from(const struct layout *l, unsigned i)
{
    for (unsigned j = i; j < l->n; j++)
        if (l->f[j].role != R_NONE && l->f[j].kind != K_ANSI && l->f[j].kind != K_UTF16 &&
            l->f[j].kind != K_TOKEN_SID && l->f[j].kind != K_SID)
            return 1;
    return 0;
}

/* Keeps a fixed-size field's value (q: its w bytes) by its role. */
static void keep_fixed(const struct field *f, const uint8_t *q, size_t w, struct fields *v)
{
    struct pf_cur fc;
    pf_cur_init(&fc, q, w);
    uint64_t val = w == 2 ? pf_get_u16(&fc) : w == 4 ? pf_get_u32(&fc) : pf_get_u64(&fc);
    switch (f->role) {
    case R_PID: v->pid = (uint32_t)val; break;
    case R_PPID: v->ppid = (uint32_t)val; break;
    case R_SIZE: v->size = (uint32_t)val; break;
    case R_EXIT: v->exit_code = (uint32_t)val; break;
    case R_CONNID: v->connid = val; break;
    case R_EXIT_TIME: v->exit_time = val; break;
    case R_DPORT: v->dport = (uint16_t)(val >> 8 | (val & 0xff) << 8); break; /* network order */
    case R_SPORT: v->sport = (uint16_t)(val >> 8 | (val & 0xff) << 8); break;
    case R_DADDR: memcpy(v->daddr, q, w); break;
    case R_SADDR: memcpy(v->saddr, q, w); break;
    default: break;
    }
}

/* Takes a string or SID field off the cursor, keeping it by its role.
 * 0 when it is cut by the payload end. */
static int take_variable(pf_etw_decoder *d, const struct field *f, struct pf_cur *c, unsigned psize)
{
    size_t left = pf_cur_left(c), used = 0;
    switch (f->kind) {
    case K_TOKEN_SID: {
        struct pf_cur t = *c;
        uint32_t first = pf_get_u32(&t); /* 0: no SID */
        if (t.bad)
            return 0;
        if (first != 0) {
            t = *c; /* TOKEN_USER: two pointers, then the SID */
            if (!pf_cur_skip(&t, 2 * (size_t)psize) || !take_sid(d, &t, f->role == R_USER))
                return 0;
        }
        *c = t;
        return 1;
    }
    case K_SID: return take_sid(d, c, f->role == R_USER);
    case K_ANSI: {
        char scratch[4];
        char *dst = f->role == R_COMM ? d->comm : scratch;
        size_t cap = f->role == R_COMM ? sizeof d->comm : sizeof scratch;
        if (!left)
            return 0;
        ansi_to_utf8(c->p, left, dst, cap, &used);
        break;
    }
    case K_UTF16:
        if (left < 2)
            return 0;
        used = utf16_span(c->p, left);
        if (f->role == R_CMDLINE)
            pf_etw_utf16_to_utf8(c->p, used, d->cmdline, sizeof d->cmdline);
        else if (f->role == R_EXE)
            pf_etw_utf16_to_utf8(c->p, used, d->exe, sizeof d->exe);
        break;
    default: return 0;
    }
    return pf_cur_skip(c, used);
}

/* Walks the payload by the layout. Returns 0, or -1 when a field with a
 * role that procflow needs (every integer and address with a role) does
 * not fit. Strings and SIDs cut by the payload end are left empty. */
static int walk_layout(pf_etw_decoder *d, const struct layout *l, const uint8_t *p, size_t n, unsigned psize,
                       struct fields *v)
{
    struct pf_cur c;
    pf_cur_init(&c, p, n);
    memset(v, 0, sizeof *v);
    d->comm[0] = d->cmdline[0] = d->exe[0] = d->user[0] = '\0';
    for (unsigned i = 0; i < l->n; i++) {
        const struct field *f = &l->f[i];
        size_t w = fixed_width(f->kind, psize);
        if (w) {
            const uint8_t *q = pf_get_bytes(&c, w);
            if (!q) /* the event is short */
                return needs_fixed_from(l, i) ? -1 : 0;
            keep_fixed(f, q, w, v);
        } else if (!take_variable(d, f, &c, psize)) {
            return 0;
        }
        if (f->role != R_NONE)
            v->have |= HAVE(f->role);
    }
    return 0;
}

/* ------------------------------------------------------------ network */

enum net_kind {
    NK_NONE,
    NK_SEND,
    NK_RECV,
    NK_CONNECT,
    NK_ACCEPT,
    NK_DISCONNECT,
    NK_RETRANSMIT,
    NK_RECONNECT,
    NK_COPY,
    NK_FAIL
};

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

/* UDP ids: IPv4 send at `send_v4`, receive one after; IPv6 the same 16
 * later. Classic UdpIp: 10/11, 26/27, fail 17; Kernel-Network: 42/43,
 * 58/59, fail 49. */
static struct net_op udp_op(unsigned id, unsigned send_v4, unsigned fail)
{
    struct net_op op = {NK_NONE, PF_PROTO_UDP, PF_AF_INET};
    if (id == fail) {
        op.kind = NK_FAIL;
    } else if (id >= send_v4 && id - send_v4 < 32 && (id - send_v4) % 16 < 2) {
        op.kind = (id - send_v4) % 16 == 0 ? NK_SEND : NK_RECV;
        if (id - send_v4 >= 16)
            op.family = PF_AF_INET6;
    }
    return op;
}

/* The socket record of each connection event kind; any other is a failure. */
struct sock_change {
    uint8_t event, old_state, new_state;
};
static const struct sock_change sock_changes[] = {
    [NK_CONNECT] = {PF_SOCK_CONNECT, PF_TCP_SYN_SENT, PF_TCP_ESTABLISHED},
    [NK_ACCEPT] = {PF_SOCK_ACCEPT, PF_TCP_SYN_RECV, PF_TCP_ESTABLISHED},
    [NK_DISCONNECT] = {PF_SOCK_CLOSE, PF_TCP_NONE, PF_TCP_CLOSE},
    [NK_RECONNECT] = {PF_SOCK_CONNECT, PF_TCP_NONE, PF_TCP_SYN_SENT},
    [NK_FAIL] = {PF_SOCK_FAIL, PF_TCP_NONE, PF_TCP_CLOSE},
};

static const unsigned net_need = HAVE(R_SIZE) | HAVE(R_DADDR) | HAVE(R_SADDR) | HAVE(R_DPORT) | HAVE(R_SPORT);

static int decode_net(pf_etw_decoder *d, const struct pf_etw_event *ev, struct net_op op, const struct layout *l,
                      struct pf_record *out)
{
    if (op.kind == NK_COPY)
        return skip(d, PF_ETW_SKIP_COPY); /* the receive already counted these bytes */
    const unsigned psize = ev->pointer_size == 4 ? 4 : 8;
    struct fields v;
    if (walk_layout(d, l, ev->payload, ev->payload_len, psize, &v) < 0)
        return skip(d, PF_ETW_SKIP_SHORT);
    if ((v.have & net_need) != net_need)
        return skip(d, PF_ETW_SKIP_ID); /* e.g. Fail: protocol and error code only */
    uint32_t pid = v.have & HAVE(R_PID) ? v.pid : ev->header_pid;
    const unsigned alen = op.family == PF_AF_INET6 ? 16 : 4;
    struct pf_endpoint dst, src;
    memset(&dst, 0, sizeof dst);
    memset(&src, 0, sizeof src);
    memcpy(dst.addr, v.daddr, alen);
    memcpy(src.addr, v.saddr, alen);
    dst.port = v.dport;
    src.port = v.sport;

    struct pf_flow_key key;
    memset(&key, 0, sizeof key);
    key.pid = pid;
    key.pid_start_ns = pid_start(d, pid);
    key.sock_id = v.connid;
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
            out->u.traffic.bytes_sent = v.size;
            out->u.traffic.sends = 1;
        } else if (op.kind == NK_RECV) {
            out->u.traffic.bytes_recv = v.size;
            out->u.traffic.recvs = 1;
        } else {
            out->u.traffic.retransmits = 1; /* resent bytes are not application bytes */
        }
        break;
    default:
        out->type = PF_REC_SOCKET;
        out->u.socket.key = key;
        const struct sock_change *sc = &sock_changes[op.kind];
        if (!sc->event)
            sc = &sock_changes[NK_FAIL];
        out->u.socket.event = sc->event;
        out->u.socket.old_state = sc->old_state;
        out->u.socket.new_state = sc->new_state;
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

/* 100 ns ticks between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_DIFF 116444736000000000ULL

static uint64_t filetime_to_unix_ns(uint64_t ft)
{
    if (ft <= FILETIME_UNIX_DIFF)
        return 0;
    uint64_t d = ft - FILETIME_UNIX_DIFF;
    return d > (uint64_t)INT64_MAX / 100 ? (uint64_t)INT64_MAX : d * 100;
}

/* Which provider began an identity, by start (bits 0-1) or rundown (bits
 * 2-3): the same process seen by Kernel-Process and by classic Process. */
enum { SRC_CLASSIC = 1, SRC_MANIFEST = 2 };

/* Two start events of the same pid from the two providers this close
 * together describe one process creation (they are logged in the same
 * kernel path, microseconds apart); a pid is never reused that fast. */
#define SAME_START_WINDOW_NS 10000000ull

static int decode_process(pf_etw_decoder *d, const struct pf_etw_event *ev, const struct layout *l, int manifest,
                          struct pf_record *out)
{
    uint8_t event;
    if (manifest) {
        switch (ev->id) {
        case 1: event = PF_PROC_START; break;
        case 2: event = PF_PROC_EXIT; break;
        default: event = PF_PROC_RUNDOWN; break; /* 15 ProcessRundown */
        }
    } else {
        switch (ev->id) {
        case 1: event = PF_PROC_START; break;
        case 2: event = PF_PROC_EXIT; break;
        case 3: event = PF_PROC_RUNDOWN; break;
        case 4: event = PF_PROC_END_RUNDOWN; break;
        default: event = PF_PROC_EXIT; break; /* 39 defunct: exited, object still referenced */
        }
    }
    const unsigned psize = ev->pointer_size == 4 ? 4 : 8;
    struct fields v;
    if (walk_layout(d, l, ev->payload, ev->payload_len, psize, &v) < 0 || !(v.have & HAVE(R_PID)))
        return skip(d, PF_ETW_SKIP_SHORT);

    memset(out, 0, sizeof *out);
    out->type = PF_REC_PROCESS;
    out->ts_ns = ev->ts_ns;
    /* An exit that states its time (Defunct v5, Kernel-Process stop) is
     * dated by it when the event clock is UTC: a Defunct event is logged
     * at rundown, long after the exit. */
    if (event == PF_PROC_EXIT && ev->ts_is_utc && (v.have & HAVE(R_EXIT_TIME))) {
        uint64_t t = filetime_to_unix_ns(v.exit_time);
        if (t)
            out->ts_ns = t;
    }
    out->utc_ns = (int64_t)out->ts_ns;
    struct pf_process *pr = &out->u.process;
    pr->event = event;
    pr->pid = v.pid;
    /* The idle (0) and System (4) processes have no parent: 0, stated. */
    pr->ppid = (v.pid == 0 || v.pid == 4) ? 0 : v.ppid;
    pr->uid = UINT32_MAX;
    if (event == PF_PROC_START || event == PF_PROC_RUNDOWN) {
        /* A rundown's real start time is not in the event: its first sight
         * in this trace stands in for it (stable within the trace). The
         * same start (or rundown) reported by the other provider is the
         * same process: starts within SAME_START_WINDOW_NS, rundowns while
         * no exit came between. */
        const int shift = event == PF_PROC_RUNDOWN ? 2 : 0;
        const uint8_t mine = (uint8_t)((manifest ? SRC_MANIFEST : SRC_CLASSIC) << shift);
        const uint8_t other = (uint8_t)((manifest ? SRC_CLASSIC : SRC_MANIFEST) << shift);
        struct pid_slot *s = pid_find(d, v.pid);
        int same =
            s && (s->start_src & other) && !(s->start_src & mine) && !s->exited &&
            (event == PF_PROC_RUNDOWN || (ev->ts_ns >= s->start_ns && ev->ts_ns - s->start_ns <= SAME_START_WINDOW_NS));
        if (same) {
            pr->start_ns = s->start_ns;
            s->start_src |= mine;
        } else {
            pr->start_ns = ev->ts_ns;
            pid_put(d, v.pid, pr->start_ns, mine);
        }
    } else {
        pr->start_ns = pid_start(d, v.pid);
        pr->exit_code = (int32_t)v.exit_code;
        if (event == PF_PROC_EXIT)
            pid_mark_exited(d, v.pid);
    }
    pr->parent_start_ns = pr->ppid ? pid_start(d, pr->ppid) : 0;
    /* comm: the last path component of the image path when there is one. */
    if (d->exe[0] && !d->comm[0]) {
        const char *base = strrchr(d->exe, '\\');
        base = base ? base + 1 : d->exe;
        size_t bl = strlen(base);
        if (bl >= sizeof d->comm)
            bl = sizeof d->comm - 1;
        memcpy(d->comm, base, bl);
        d->comm[bl] = '\0';
    }
    pr->comm = d->comm;
    pr->comm_len = (uint32_t)strlen(d->comm);
    pr->cmdline = d->cmdline;
    pr->cmdline_len = (uint32_t)strlen(d->cmdline);
    pr->user = d->user;
    pr->user_len = (uint32_t)strlen(d->user);
    pr->exe = d->exe;
    pr->exe_len = (uint32_t)strlen(d->exe);
    d->last_skip = PF_ETW_SKIP_NONE;
    return 1;
}

int pf_etw_decode(pf_etw_decoder *d, const struct pf_etw_event *ev, struct pf_record *out, size_t cap)
{
    if (!d || !ev || !out || cap < 1)
        return PF_E_ARG;
    struct net_op op;
    switch (ev->provider) {
    case PF_ETW_PROV_TCPIP: op = tcp_op(ev->id); break;
    case PF_ETW_PROV_UDPIP: op = udp_op(ev->id, 10, 17); break;
    case PF_ETW_PROV_KERNEL_NETWORK:
        op = (ev->id >= 10 && ev->id <= 34) ? tcp_op(ev->id) : udp_op(ev->id, 42, 49);
        break;
    case PF_ETW_PROV_PROCESS:
    case PF_ETW_PROV_KERNEL_PROCESS: op.kind = NK_NONE; break;
    default: return skip(d, PF_ETW_SKIP_PROVIDER);
    }
    int known_id;
    const struct layout *l = find_layout(ev->provider, ev->id, ev->version, &known_id);
    if (!l)
        return skip(d, known_id ? PF_ETW_SKIP_VERSION : PF_ETW_SKIP_ID);
    if (ev->provider == PF_ETW_PROV_PROCESS || ev->provider == PF_ETW_PROV_KERNEL_PROCESS)
        return decode_process(d, ev, l, ev->provider == PF_ETW_PROV_KERNEL_PROCESS, out);
    if (op.kind == NK_NONE)
        return skip(d, PF_ETW_SKIP_ID);
    return decode_net(d, ev, op, l, out);
}
