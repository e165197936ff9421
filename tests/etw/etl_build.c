/* SPDX-License-Identifier: MIT */
/* Synthetic .etl image builder for tests (layouts as in etw/src/etl.c). */
#include "etl_build.h"

#include <stdlib.h>
#include <string.h>

const uint8_t etlb_guid_tcpip[16] = {0xc0, 0x0a, 0x28, 0x9a, 0xe0, 0xc8, 0xd1, 0x11,
                                     0x84, 0xe2, 0x00, 0xc0, 0x4f, 0xb9, 0x98, 0xa2};
const uint8_t etlb_guid_udpip[16] = {0xc5, 0x50, 0x3a, 0xbf, 0xc9, 0xa9, 0x88, 0x49,
                                     0xa0, 0x05, 0x2d, 0xf0, 0xb7, 0xc8, 0x0f, 0x80};
const uint8_t etlb_guid_process[16] = {0xd0, 0xa8, 0x6f, 0x3d, 0x05, 0xfe, 0xd0, 0x11,
                                       0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c};
const uint8_t etlb_guid_knet[16] = {0x49, 0x2a, 0xd4, 0x7d, 0x29, 0x53, 0x32, 0x48,
                                    0x8d, 0xfd, 0x43, 0xd9, 0x79, 0x15, 0x3a, 0x88};
const uint8_t etlb_guid_kproc[16] = {0xd6, 0x2c, 0xfb, 0x22, 0x7b, 0x0e, 0x2b, 0x42,
                                     0xa0, 0xc7, 0x2f, 0xad, 0x1f, 0xd0, 0xe7, 0x16};
const uint8_t etlb_guid_other[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                     0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01};

static void w16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void w32(uint8_t *p, uint32_t v)
{
    w16(p, v);
    w16(p + 2, v >> 16);
}
static void w64(uint8_t *p, uint64_t v)
{
    w32(p, (uint32_t)v);
    w32(p + 4, (uint32_t)(v >> 32));
}

static void append(struct etlb *b, const uint8_t *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->len + n)
            nc *= 2;
        uint8_t *np = realloc(b->data, nc);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->data = np;
        b->cap = nc;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* ---------------------------------------------------------------- LZ77 */

struct lzw {
    uint8_t *dst;
    size_t cap, pos;
    size_t flag_pos;
    uint32_t flags;
    int nflags;
    size_t nibble_pos; /* 0 = none, else position + 1 */
    int bad;
};

static void lz_byte(struct lzw *w, uint8_t v)
{
    if (w->pos >= w->cap) {
        w->bad = 1;
        return;
    }
    w->dst[w->pos++] = v;
}

static void lz_flag(struct lzw *w, int bit)
{
    w->flags = w->flags << 1 | (uint32_t)bit;
    if (++w->nflags == 32) {
        if (w->flag_pos + 4 <= w->cap)
            w32(w->dst + w->flag_pos, w->flags);
        w->flag_pos = w->pos;
        for (int i = 0; i < 4; i++)
            lz_byte(w, 0);
        w->nflags = 0;
        w->flags = 0;
    }
}

size_t etlb_lz77_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    struct lzw w = {dst, cap, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        lz_byte(&w, 0);
    size_t i = 0;
    while (i < n && !w.bad) {
        size_t best = 0, best_off = 0;
        size_t lo = i > 8192 ? i - 8192 : 0;
        for (size_t j = i; j-- > lo;) {
            size_t l = 0;
            while (i + l < n && src[j + l] == src[i + l] && l < 70000)
                l++;
            if (l > best) {
                best = l;
                best_off = i - j;
            }
            if (i - j > 512 && best >= 3)
                break; /* good enough for test data; keeps this fast */
        }
        if (best < 3) {
            lz_byte(&w, src[i++]);
            lz_flag(&w, 0);
            continue;
        }
        size_t len = best - 3, off = best_off - 1;
        if (len < 7) {
            lz_byte(&w, (uint8_t)(off << 3 | len));
            lz_byte(&w, (uint8_t)(off >> 5));
        } else {
            lz_byte(&w, (uint8_t)(off << 3 | 7));
            lz_byte(&w, (uint8_t)(off >> 5));
            size_t rest = len - 7;
            uint8_t nib = (uint8_t)(rest < 15 ? rest : 15);
            if (w.nibble_pos == 0) {
                w.nibble_pos = w.pos + 1;
                lz_byte(&w, nib);
            } else {
                if (w.nibble_pos - 1 < w.cap)
                    w.dst[w.nibble_pos - 1] |= (uint8_t)(nib << 4);
                w.nibble_pos = 0;
            }
            if (rest >= 15) {
                rest -= 15;
                if (rest < 255) {
                    lz_byte(&w, (uint8_t)rest);
                } else {
                    lz_byte(&w, 255);
                    if (len < 65536) {
                        lz_byte(&w, (uint8_t)len);
                        lz_byte(&w, (uint8_t)(len >> 8));
                    } else {
                        lz_byte(&w, 0);
                        lz_byte(&w, 0);
                        for (int k = 0; k < 4; k++)
                            lz_byte(&w, (uint8_t)(len >> (8 * k)));
                    }
                }
            }
        }
        lz_flag(&w, 1);
        i += best;
    }
    /* Remaining flag bits set: "match at end of input" ends decoding. */
    uint32_t last = w.nflags ? (w.flags << (32 - w.nflags)) | ((1u << (32 - w.nflags)) - 1) : 0xffffffffu;
    if (w.flag_pos + 4 <= w.cap)
        w32(w.dst + w.flag_pos, last);
    return w.bad ? 0 : w.pos;
}

/* ---------------------------------------------------------------- buffers */

static void new_buffer(struct etlb *b)
{
    if (!b->cur) {
        b->cur = malloc(b->bufsize);
        if (!b->cur) {
            b->failed = 1;
            return;
        }
    }
    memset(b->cur, 0, b->bufsize);
    b->cur_len = 0x48;
}

void etlb_flush(struct etlb *b)
{
    if (b->failed || !b->cur || b->cur_len <= 0x48)
        return;
    uint8_t *h = b->cur;
    int first = b->len == 0;
    w32(h + 0x30, (uint32_t)b->cur_len); /* filled bytes */
    w32(h + 0x04, (uint32_t)b->cur_len);
    if (b->compress && !first) {
        size_t cap = b->cur_len + b->cur_len / 8 + 64;
        uint8_t *z = malloc(0x48 + cap);
        if (!z) {
            b->failed = 1;
            return;
        }
        size_t zn = etlb_lz77_compress(b->cur + 0x48, b->cur_len - 0x48, z + 0x48, cap);
        memcpy(z, h, 0x48);
        w32(z, (uint32_t)(0x48 + zn));
        w16(z + 0x34, 0x40);
        append(b, z, 0x48 + zn);
        free(z);
    } else {
        /* Unused tail as Windows leaves it. */
        memset(b->cur + b->cur_len, 0xff, b->bufsize - b->cur_len);
        size_t size = first && b->compress ? (b->cur_len + 511) / 512 * 512 : b->bufsize;
        w32(h, (uint32_t)size);
        append(b, b->cur, size);
    }
    b->cur_len = 0;
}

static void add_event(struct etlb *b, const uint8_t *hdr, size_t hlen, const void *payload, size_t plen)
{
    size_t size = hlen + plen, aligned = (size + 7) & ~(size_t)7;
    if (b->failed)
        return;
    if (b->cur_len == 0 || b->cur_len + aligned > b->bufsize) {
        etlb_flush(b);
        new_buffer(b);
        if (b->failed || 0x48 + aligned > b->bufsize) {
            b->failed = 1;
            return;
        }
    }
    memcpy(b->cur + b->cur_len, hdr, hlen);
    if (plen)
        memcpy(b->cur + b->cur_len + hlen, payload, plen);
    memset(b->cur + b->cur_len + size, 0, aligned - size);
    b->cur_len += aligned;
}

void etlb_begin(struct etlb *b, unsigned psize, unsigned bufsize, int compress, uint32_t build, int64_t start_filetime,
                uint64_t perf_freq, int64_t raw0)
{
    uint32_t ev_lost = b->events_lost, buf_lost = b->buffers_lost;
    memset(b, 0, sizeof *b);
    b->events_lost = ev_lost;
    b->buffers_lost = buf_lost;
    b->psize = psize;
    b->bufsize = bufsize;
    b->compress = compress;
    uint8_t lf[400];
    memset(lf, 0, sizeof lf);
    w32(lf, bufsize);
    lf[4] = build >= 9200 ? 6 : 6;
    lf[5] = build >= 9200 ? 2 : 1;
    w32(lf + 8, build);
    w32(lf + 12, 2);
    w32(lf + 32, compress ? 0x04000000u : 0);
    w32(lf + 44, psize);
    w32(lf + 48, ev_lost);
    w32(lf + 52, 2400);
    size_t boot = (56 + 2 * psize + 172 + 7) & ~(size_t)7;
    w64(lf + boot + 8, perf_freq);
    w64(lf + boot + 16, (uint64_t)start_filetime);
    w32(lf + boot + 24, 1);
    w32(lf + boot + 28, buf_lost);
    /* Logger name "Synth" in UTF-16. */
    const char *name = "Synth";
    size_t o = boot + 32;
    for (size_t i = 0; name[i]; i++, o += 2)
        w16(lf + o, (uint8_t)name[i]);
    o += 2;
    etlb_sys(b, psize == 4 ? ETLB_SYSTEM32 : ETLB_SYSTEM64, 0, 0, 2, 4, raw0, lf, o);
    etlb_flush(b);
}

void etlb_sys(struct etlb *b, int ht, unsigned group, unsigned opcode, unsigned version, uint32_t pid, int64_t ts,
              const void *payload, size_t plen)
{
    uint8_t h[0x20];
    size_t hl = (ht == ETLB_SYSTEM32 || ht == ETLB_SYSTEM64)     ? 0x20
                : (ht == ETLB_COMPACT32 || ht == ETLB_COMPACT64) ? 0x18
                                                                 : 0x10;
    memset(h, 0, sizeof h);
    w16(h, version);
    h[2] = (uint8_t)ht;
    h[3] = 0xc0;
    w16(h + 4, (uint32_t)(hl + plen));
    h[6] = (uint8_t)opcode;
    h[7] = (uint8_t)group;
    if (hl >= 0x18) {
        w32(h + 8, 100);
        w32(h + 12, pid);
        w64(h + 16, (uint64_t)ts);
    } else {
        w64(h + 8, (uint64_t)ts);
    }
    add_event(b, h, hl, payload, plen);
}

void etlb_full(struct etlb *b, int ht, const uint8_t guid[16], unsigned opcode, unsigned version, uint32_t pid,
               int64_t ts, const void *payload, size_t plen)
{
    uint8_t h[0x38];
    size_t hl = (ht == ETLB_FULL32 || ht == ETLB_FULL64) ? 0x30 : 0x38;
    memset(h, 0, sizeof h);
    w16(h, (uint32_t)(hl + plen));
    h[2] = (uint8_t)ht;
    h[3] = 0xc0;
    h[4] = (uint8_t)opcode;
    w16(h + 6, version);
    w32(h + 8, 100);
    w32(h + 12, pid);
    w64(h + 16, (uint64_t)ts);
    memcpy(h + 24, guid, 16);
    add_event(b, h, hl, payload, plen);
}

static void evh(struct etlb *b, int ht, const uint8_t guid[16], unsigned id, unsigned opcode, unsigned version,
                uint32_t pid, int64_t ts, int with_ext, const void *payload, size_t plen);

void etlb_evh(struct etlb *b, int ht, const uint8_t guid[16], unsigned id, unsigned version, uint32_t pid, int64_t ts,
              int with_ext, const void *payload, size_t plen)
{
    evh(b, ht, guid, id, 0, version, pid, ts, with_ext, payload, plen);
}

void etlb_evh_op(struct etlb *b, int ht, const uint8_t guid[16], unsigned id, unsigned opcode, unsigned version,
                 int64_t ts, const void *payload, size_t plen)
{
    evh(b, ht, guid, id, opcode, version, 0, ts, 0, payload, plen);
}

static void evh(struct etlb *b, int ht, const uint8_t guid[16], unsigned id, unsigned opcode, unsigned version,
                uint32_t pid, int64_t ts, int with_ext, const void *payload, size_t plen)
{
    uint8_t h[0x50 + 24];
    size_t hl = 0x50;
    memset(h, 0, sizeof h);
    h[2] = (uint8_t)ht;
    h[3] = 0xc0;
    w16(h + 4, (with_ext ? 1u : 0u) | (ht == ETLB_EVENT32 ? 0x20u : 0x40u));
    w32(h + 8, 100);
    w32(h + 12, pid);
    w64(h + 16, (uint64_t)ts);
    memcpy(h + 24, guid, 16);
    w16(h + 40, id);
    h[42] = (uint8_t)version;
    h[45] = (uint8_t)opcode;
    if (with_ext) {
        /* One provider-traits item: size, type 12, no linkage, 11 data bytes. */
        uint8_t *x = h + 0x50;
        w16(x, 24);
        w16(x + 2, 12);
        w16(x + 4, 0);
        w16(x + 6, 11);
        memcpy(x + 8, "\x0b\x00Synth\0\0\0\0", 11);
        hl += 24;
    }
    w16(h, (uint32_t)(hl + plen));
    add_event(b, h, hl, payload, plen);
}

void etlb_message(struct etlb *b, size_t plen)
{
    uint8_t h[8 + 64];
    if (plen > 64)
        plen = 64;
    memset(h, 0x5a, sizeof h);
    w16(h, (uint32_t)(8 + plen));
    h[2] = ETLB_MESSAGE;
    h[3] = 0xc0;
    add_event(b, h, 8 + plen, NULL, 0);
}

uint8_t *etlb_finish(struct etlb *b, size_t *len)
{
    etlb_flush(b);
    free(b->cur);
    b->cur = NULL;
    if (b->failed) {
        free(b->data);
        b->data = NULL;
        return NULL;
    }
    *len = b->len;
    return b->data;
}

/* ---------------------------------------------------------------- payloads */

size_t etlb_net_payload(uint8_t *out, unsigned psize, int v6, uint32_t pid, uint32_t size, const uint8_t *daddr,
                        const uint8_t *saddr, uint16_t dport, uint16_t sport, uint64_t connid, int layout)
{
    size_t a = v6 ? 16 : 4, o = 0;
    w32(out, pid);
    w32(out + 4, size);
    memcpy(out + 8, daddr, a);
    memcpy(out + 8 + a, saddr, a);
    o = 8 + 2 * a;
    out[o++] = (uint8_t)(dport >> 8);
    out[o++] = (uint8_t)dport;
    out[o++] = (uint8_t)(sport >> 8);
    out[o++] = (uint8_t)sport;
    if (layout == ETLB_NET_CONNECT) {
        /* mss, sackopt, tsopt, wsopt (u16), rcvwin (u32), rcvwinscale,
         * sndwinscale (u16), seqnum (u32) */
        w16(out + o, 1460);
        w16(out + o + 2, 1);
        w16(out + o + 4, 0);
        w16(out + o + 6, 1);
        w32(out + o + 8, 65535);
        w16(out + o + 12, 8);
        w16(out + o + 14, 7);
        w32(out + o + 16, 0x33333333);
        o += 20;
    } else {
        size_t extra = layout == ETLB_NET_SEND ? 12 : 4; /* startime, endtime, seqnum / seqnum */
        memset(out + o, 0x33, extra);
        o += extra;
    }
    if (psize == 4)
        w32(out + o, (uint32_t)connid);
    else
        w64(out + o, connid);
    return o + psize;
}

size_t etlb_proc_payload(uint8_t *out, size_t cap, unsigned psize, unsigned version, uint32_t pid, uint32_t ppid,
                         int32_t exit_status, int with_sid, const char *image, const char *cmdline)
{
    size_t o = 0;
    if (cap < 256 + strlen(image) + 2 * strlen(cmdline))
        return 0;
    memset(out, 0, cap);
    w64(out, 0xfffffa8000001000ull); /* UniqueProcessKey */
    o = psize;
    w32(out + o, pid);
    w32(out + o + 4, ppid);
    w32(out + o + 8, 1);
    w32(out + o + 12, (uint32_t)exit_status);
    o += 16;
    if (version >= 3)
        o += psize; /* DirectoryTableBase */
    if (version >= 4)
        o += 4; /* Flags */
    if (with_sid) {
        w32(out + o, 0x12345678); /* TOKEN_USER: Sid pointer, attributes */
        o += 2 * psize;
        static const uint8_t sid[] = {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0}; /* S-1-5-32-544 */
        memcpy(out + o, sid, sizeof sid);
        o += sizeof sid;
    } else {
        o += 4;
    }
    size_t il = strlen(image) + 1;
    memcpy(out + o, image, il);
    o += il;
    for (size_t i = 0; cmdline[i]; i++, o += 2)
        w16(out + o, (uint8_t)cmdline[i]);
    o += 2;
    if (version >= 4)
        o += 4; /* PackageFullName, ApplicationId: empty UTF-16 strings */
    return o;
}
