/* SPDX-License-Identifier: MIT */
/* Names, error text, addresses and UUIDs: the small shared pieces. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

const uint8_t pf_magic[PF_MAGIC_LEN] = {0x89, 'P', 'F', 'C', '\r', '\n', 0x1a, '\n'};
const uint8_t pf_footer_magic[8] = {'P', 'F', 'C', 'A', 'P', 'E', 'N', 'D'};

const char *pf_strerror(int err)
{
    switch (err) {
    case PF_OK: return "success";
    case PF_E_IO: return "I/O error";
    case PF_E_NOMEM: return "out of memory";
    case PF_E_NOT_CAPTURE: return "not a procflow capture (bad magic)";
    case PF_E_MANGLED: return "capture damaged by a text-mode transfer (line endings or 8th bit changed)";
    case PF_E_VERSION: return "capture written by a newer major format version";
    case PF_E_TRUNCATED: return "data ends inside a block (truncated)";
    case PF_E_CHECKSUM: return "checksum mismatch";
    case PF_E_FRAMING: return "block length fields invalid or inconsistent";
    case PF_E_TOO_BIG: return "declared size exceeds the format's limit";
    case PF_E_DECOMPRESS: return "compressed chunk is invalid";
    case PF_E_RECORD: return "malformed record";
    case PF_E_HEADER: return "file header missing or malformed";
    case PF_E_EXISTS: return "output file exists (use --force to replace it)";
    case PF_E_SYMLINK: return "output path is a symbolic link (refused)";
    case PF_E_NOSPACE: return "no space left on device";
    case PF_E_ARG: return "invalid argument";
    case PF_E_STATE: return "writer already failed or closed";
    case PF_E_OS: return "operating system call failed";
    case PF_E_SEQUENCE: return "chunk missing or repeated (sequence numbers or footer counts disagree)";
    case PF_E_CONCATENATED: return "another capture follows (files concatenated)";
    case PF_E_UNSAFE_PATH:
        return "unsafe output location: directory writable by everyone and not sticky, or the file there belongs to another user (refused)";
    default: return "unknown error";
    }
}

#if defined(_MSC_VER)
static __declspec(thread) int os_errno_last;
#else
static _Thread_local int os_errno_last;
#endif

int pf_os_errno(void) { return os_errno_last; }
void pf_set_os_errno(int e) { os_errno_last = e; }

const char *pf_error_text(int err, int os_errno, char *buf, size_t len)
{
    if (!buf || !len)
        return "";
    /* codes that name their own reason (disk full, exists, symlink...) keep
     * their text; the generic ones say what the OS said */
    if (os_errno && (err == PF_E_IO || err == PF_E_OS)) {
        char tmp[128];
        const char *t = tmp;
#if defined(_WIN32)
        if (strerror_s(tmp, sizeof tmp, os_errno) != 0)
            snprintf(tmp, sizeof tmp, "error %d", os_errno);
#else
        /* XSI strerror_r (this file is built with _POSIX_C_SOURCE) */
        if (strerror_r(os_errno, tmp, sizeof tmp) != 0)
            snprintf(tmp, sizeof tmp, "error %d", os_errno);
#endif
        snprintf(buf, len, "%s", t);
    } else {
        snprintf(buf, len, "%s", pf_strerror(err));
    }
    return buf;
}

const char *pf_record_type_name(unsigned type)
{
    static const char *const names[] = {"?",    "process", "socket",   "traffic", "snapshot",
                                        "loss", "clock",   "hostinfo", "marker",  "dns"};
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

const char *pf_tcp_state_name(unsigned state)
{
    static const char *const names[] = {"NONE",      "ESTABLISHED", "SYN_SENT",  "SYN_RECV",   "FIN_WAIT1",
                                        "FIN_WAIT2", "TIME_WAIT",   "CLOSE",     "CLOSE_WAIT", "LAST_ACK",
                                        "LISTEN",    "CLOSING",     "DELETE_TCB"};
    return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

const char *pf_loss_source_name(unsigned source)
{
    static const char *const names[] = {"?",        "ringbuf", "etw-events", "etw-buffers",
                                        "map-full", "user",    "other",      "source-down"};
    return source < sizeof(names) / sizeof(names[0]) ? names[source] : "?";
}

const char *pf_process_event_name(unsigned event)
{
    static const char *const names[] = {"?", "start", "exec", "exit", "rundown", "snapshot", "end-rundown"};
    return event < sizeof(names) / sizeof(names[0]) ? names[event] : "?";
}

const char *pf_socket_event_name(unsigned event)
{
    static const char *const names[] = {"?",      "connect", "accept", "established", "close",
                                        "listen", "bind",    "state",  "fail",        "retransmit"};
    return event < sizeof(names) / sizeof(names[0]) ? names[event] : "?";
}

const char *pf_proto_name(unsigned proto)
{
    switch (proto) {
    case PF_PROTO_TCP: return "tcp";
    case PF_PROTO_UDP: return "udp";
    case PF_PROTO_ICMP: return "icmp";
    case PF_PROTO_ICMPV6: return "icmpv6";
    case PF_PROTO_RAW: return "raw";
    case PF_PROTO_PACKET: return "packet";
    default: return "other";
    }
}

static int is_v4_mapped(const uint8_t a[16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, 12) == 0;
}

const char *pf_addr_to_string(uint8_t family, const uint8_t addr[16], char *buf, size_t buflen)
{
    if (!buf || buflen == 0)
        return "";
    if (family == PF_AF_INET || (family == PF_AF_INET6 && is_v4_mapped(addr))) {
        const uint8_t *a = family == PF_AF_INET ? addr : addr + 12;
        snprintf(buf, buflen, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        return buf;
    }
    if (family != PF_AF_INET6) {
        snprintf(buf, buflen, "?");
        return buf;
    }
    /* RFC 5952: lower-case hex, no leading zeros, longest run (>= 2) of zero
     * groups replaced by "::", the first such run on ties. */
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)((addr[2 * i] << 8) | addr[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    char tmp[PF_ADDR_STRLEN];
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "::");
            i += best_len - 1;
            continue;
        }
        if (n && tmp[n - 1] != ':')
            tmp[n++] = ':';
        n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%x", g[i]);
    }
    tmp[n] = 0;
    snprintf(buf, buflen, "%s", tmp);
    return buf;
}

static int parse_v4(const char *s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return 0;
        }
        out[i] = (uint8_t)v;
        if (i < 3) {
            if (*s != '.')
                return 0;
            s++;
        }
    }
    return *s == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_v6(const char *s, uint8_t out[16])
{
    uint16_t head[8], tail[8];
    int nh = 0, nt = 0, gap = 0;
    uint16_t *dst = head;
    int *nd = &nh;
    if (s[0] == ':' && s[1] == ':') {
        gap = 1;
        dst = tail;
        nd = &nt;
        s += 2;
    }
    while (*s) {
        if (nh + nt >= 8)
            return 0;
        /* an embedded IPv4 tail counts as two groups */
        if (strchr(s, '.') && !strchr(s, ':')) {
            uint8_t v4[4];
            if (!parse_v4(s, v4) || nh + nt > 6)
                return 0;
            dst[(*nd)++] = (uint16_t)((v4[0] << 8) | v4[1]);
            dst[(*nd)++] = (uint16_t)((v4[2] << 8) | v4[3]);
            s += strlen(s);
            break;
        }
        unsigned v = 0;
        int digits = 0;
        while (hexval(*s) >= 0) {
            v = (v << 4) | (unsigned)hexval(*s++);
            if (++digits > 4)
                return 0;
        }
        if (!digits)
            return 0;
        dst[(*nd)++] = (uint16_t)v;
        if (*s == ':') {
            s++;
            if (*s == ':') {
                if (gap)
                    return 0;
                gap = 1;
                dst = tail;
                nd = &nt;
                s++;
            } else if (!*s) {
                return 0;
            }
        } else if (*s) {
            return 0;
        }
    }
    if (!gap && nh != 8)
        return 0;
    if (gap && nh + nt > 7)
        return 0;
    memset(out, 0, 16);
    for (int i = 0; i < nh; i++) {
        out[2 * i] = (uint8_t)(head[i] >> 8);
        out[2 * i + 1] = (uint8_t)head[i];
    }
    for (int i = 0; i < nt; i++) {
        int pos = 8 - nt + i;
        out[2 * pos] = (uint8_t)(tail[i] >> 8);
        out[2 * pos + 1] = (uint8_t)tail[i];
    }
    return 1;
}

int pf_addr_from_string(const char *text, uint8_t addr[16])
{
    if (!text || !addr)
        return 0;
    uint8_t tmp[16] = {0};
    if (parse_v4(text, tmp)) {
        memset(addr, 0, 16);
        memcpy(addr, tmp, 4);
        return PF_AF_INET;
    }
    if (strchr(text, ':') && parse_v6(text, tmp)) {
        memcpy(addr, tmp, 16);
        return PF_AF_INET6;
    }
    return 0;
}

/* A UUID only needs to be unique, not secret: mix several clocks, the
 * address of a stack variable and a counter through splitmix64. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void pf_uuid_generate(uint8_t out[16])
{
    static uint64_t counter;
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)&seed << 16) ^ (++counter * 0x2545F4914F6CDD1Dull);
    uint8_t rnd[16];
    size_t got = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        got = fread(rnd, 1, sizeof(rnd), f);
        fclose(f);
    }
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed ^= (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed ^= (uint64_t)ts.tv_nsec << 20;
#else
    seed ^= (uint64_t)clock() << 32;
#endif
    uint64_t a = splitmix64(&seed), b = splitmix64(&seed);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(a >> (8 * i));
        out[8 + i] = (uint8_t)(b >> (8 * i));
    }
    if (got == sizeof(rnd))
        for (int i = 0; i < 16; i++)
            out[i] ^= rnd[i];
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void pf_uuid_format(const uint8_t uuid[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[n++] = '-';
        out[n++] = hex[uuid[i] >> 4];
        out[n++] = hex[uuid[i] & 15];
    }
    out[n] = 0;
}
