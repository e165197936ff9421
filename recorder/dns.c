/* SPDX-License-Identifier: MIT */
/* Bounded DNS response parser and DNS-over-TCP reassembly (see dns.h). */
#include <string.h>

#include "dns.h"

#define DNS_HEADER 12
#define MAX_WIRE_NAME 255
#define MAX_JUMPS 64
#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_AAAA 28
#define CLASS_IN 1

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int keep_byte(uint8_t b) { return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_'; }

/* Reads the name at *off into text (lower-case, '.'-joined, other bytes as
 * \DDD; the root is "."), advancing *off past it in the message (not past
 * where pointers led). Pointers must point before the label they replace,
 * so every jump goes backwards and the walk ends. */
static int read_name(const uint8_t *m, size_t len, size_t *off, char *text, uint32_t *text_len)
{
    size_t pos = *off, after = 0, wire = 0, out = 0;
    int jumps = 0;
    for (;;) {
        if (pos >= len)
            return PF_DNS_E_NAME_BAD;
        uint8_t l = m[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return PF_DNS_E_NAME_BAD;
            size_t target = ((size_t)(l & 0x3f) << 8) | m[pos + 1];
            if (target >= pos || ++jumps > MAX_JUMPS)
                return PF_DNS_E_LOOP;
            if (!after)
                after = pos + 2;
            pos = target;
            continue;
        }
        if (l & 0xc0)
            return PF_DNS_E_NAME_BAD; /* 0x40 extended and 0x80 reserved label types */
        wire += (size_t)l + 1;
        if (wire > MAX_WIRE_NAME)
            return PF_DNS_E_NAME_LONG;
        if (l == 0) {
            pos++;
            break;
        }
        if (pos + 1 + l > len)
            return PF_DNS_E_NAME_BAD;
        if (out)
            text[out++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t b = m[pos + 1 + i];
            if (b >= 'A' && b <= 'Z')
                b = (uint8_t)(b + ('a' - 'A'));
            if (keep_byte(b)) {
                text[out++] = (char)b;
            } else {
                text[out++] = '\\';
                text[out++] = (char)('0' + b / 100);
                text[out++] = (char)('0' + b / 10 % 10);
                text[out++] = (char)('0' + b % 10);
            }
        }
        pos += 1 + (size_t)l;
    }
    /* 255 wire bytes give at most 4 * 253 + dots < PF_MAX_DNS_NAME */
    if (!out)
        text[out++] = '.';
    text[out] = 0;
    *text_len = (uint32_t)out;
    *off = after ? after : pos;
    return 0;
}

const char *pfr_dns_reject_name(int reject)
{
    switch (reject) {
    case PF_DNS_E_SHORT: return "message cut before its question ended";
    case PF_DNS_E_NOT_RESPONSE: return "not a response to a standard query";
    case PF_DNS_E_QUESTIONS: return "not exactly one question";
    case PF_DNS_E_LOOP: return "compression pointer loop";
    case PF_DNS_E_NAME_LONG: return "name over 255 bytes";
    case PF_DNS_E_NAME_BAD: return "malformed name";
    default: return "?";
    }
}

static int same_name(const char *a, uint32_t an, const char *b, uint32_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

int pfr_dns_parse(const uint8_t *m, size_t len, int cut, struct pfr_dns_msg *out)
{
    out->nanswers = 0;
    out->flags = 0;
    out->answer_error = 0;
    out->qname_len = out->cname_len = 0;
    out->qname[0] = out->cname[0] = 0;
    if (!m || len < DNS_HEADER)
        return PF_DNS_E_SHORT;
    uint16_t fl = be16(m + 2);
    if (!(fl & 0x8000) || ((fl >> 11) & 0xf) != 0)
        return PF_DNS_E_NOT_RESPONSE;
    if (be16(m + 4) != 1)
        return PF_DNS_E_QUESTIONS;
    out->id = be16(m);
    out->rcode = (uint8_t)(fl & 0xf);
    if (fl & 0x0200)
        out->flags |= PF_DNS_TRUNCATED;
    if (cut)
        out->flags |= PF_DNS_TRUNCATED;
    uint32_t ancount = be16(m + 6);
    size_t off = DNS_HEADER;
    int rc = read_name(m, len, &off, out->qname, &out->qname_len);
    if (rc)
        return rc == PF_DNS_E_NAME_BAD && cut ? PF_DNS_E_SHORT : rc;
    if (off + 4 > len)
        return PF_DNS_E_SHORT;
    out->qtype = be16(m + off);
    off += 4;

    /* The chain of names the answers belong to: the question, then each
     * CNAME target in turn. */
    char owner[PF_MAX_DNS_NAME + 1];
    uint32_t owner_len = 0;
    const char *cur = out->qname;
    uint32_t cur_len = out->qname_len;
    for (uint32_t i = 0; i < ancount; i++) {
        rc = read_name(m, len, &off, owner, &owner_len);
        if (!rc && off + 10 > len)
            rc = PF_DNS_E_SHORT;
        if (rc) {
            out->answer_error = rc == PF_DNS_E_NAME_BAD && off >= len ? PF_DNS_E_SHORT : rc;
            out->flags |= PF_DNS_TRUNCATED;
            break;
        }
        uint16_t type = be16(m + off), cls = be16(m + off + 2);
        uint32_t ttl = be32(m + off + 4);
        size_t rdlen = be16(m + off + 8);
        off += 10;
        if (off + rdlen > len) {
            out->answer_error = PF_DNS_E_SHORT;
            out->flags |= PF_DNS_TRUNCATED;
            break;
        }
        size_t rdata = off;
        off += rdlen;
        if (cls != CLASS_IN || !same_name(owner, owner_len, cur, cur_len))
            continue;
        if (type == TYPE_CNAME) {
            size_t t = rdata;
            uint32_t tl = 0;
            /* the target must lie inside the record's own data */
            if (read_name(m, rdata + rdlen, &t, owner, &tl) == 0) {
                memcpy(out->cname, owner, (size_t)tl + 1);
                out->cname_len = tl;
                cur = out->cname;
                cur_len = tl;
            }
        } else if ((type == TYPE_A && rdlen == 4) || (type == TYPE_AAAA && rdlen == 16)) {
            if (out->nanswers == PF_MAX_DNS_ANSWERS) {
                out->flags |= PF_DNS_ANSWERS_CUT;
                continue;
            }
            struct pf_dns_answer *a = &out->answers[out->nanswers++];
            memset(a, 0, sizeof *a);
            a->family = type == TYPE_A ? PF_AF_INET : PF_AF_INET6;
            memcpy(a->addr, m + rdata, rdlen);
            a->ttl = ttl;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ TCP */

static void take(struct pfr_dns_stream *s, const uint8_t *p, size_t n, pfr_dns_msg_fn fn, void *ctx,
                 struct pfr_dns_stream_stats *st)
{
    while (n) {
        if (s->hdr_have < 2) {
            s->msg_len = (uint16_t)((s->msg_len << 8) | *p);
            s->hdr_have++;
            p++;
            n--;
            s->have = 0;
            if (s->hdr_have == 2 && s->msg_len == 0)
                s->hdr_have = 0; /* an empty message: nothing to parse */
            continue;
        }
        size_t want = (size_t)s->msg_len - s->have;
        size_t k = n < want ? n : want;
        if (s->msg_len <= PF_DNS_STREAM_BUF)
            memcpy(s->buf + s->have, p, k);
        s->have += (uint32_t)k;
        p += k;
        n -= k;
        if (s->have == s->msg_len) {
            if (s->msg_len > PF_DNS_STREAM_BUF) {
                st->oversize++;
            } else {
                st->messages++;
                fn(ctx, s->buf, s->msg_len);
            }
            s->hdr_have = 0;
            s->msg_len = 0;
            s->have = 0;
        }
    }
}

void pfr_dns_stream_feed(struct pfr_dns_stream *s, uint32_t seq, const uint8_t *data, size_t have, size_t len,
                         pfr_dns_msg_fn fn, void *ctx, struct pfr_dns_stream_stats *st)
{
    if (s->broken || len == 0)
        return;
    if (have > len)
        have = len;
    if (!s->started) {
        /* The first data of a stream the recorder watches from its first
         * query on begins a message. */
        s->started = 1;
        s->next_seq = seq;
    }
    int32_t d = (int32_t)(seq - s->next_seq);
    size_t skip = 0;
    if (d > 0) {
        s->broken = 1; /* bytes before this segment were never seen */
        st->gaps++;
        return;
    }
    if (d < 0) {
        skip = (size_t)(-(int64_t)d);
        if (skip >= len) {
            st->duplicate += len;
            return;
        }
        st->duplicate += skip;
    }
    if (skip < have)
        take(s, data + skip, have - skip, fn, ctx, st);
    s->next_seq = seq + (uint32_t)len;
    if (have < len) {
        s->broken = 1; /* only a prefix of the segment was copied */
        st->gaps++;
    }
}
