/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the recorder's DNS parser and DNS-over-TCP
 * reassembly: any bytes. Must never crash or read out of bounds, and must
 * keep the parser's promises (abort on a breach so the fuzzer reports it):
 *   - names are bounded, NUL-terminated, lower-case text of [a-z0-9-_.\]
 *     with \DDD escapes only; answers are at most PF_MAX_DNS_ANSWERS, each
 *     of family 4 or 6;
 *   - parsing is deterministic;
 *   - a prefix of a message, parsed as cut, gives the same question and the
 *     first answers of the whole message, never others (names only point
 *     backwards, so no answer depends on bytes after it);
 *   - the TCP stream gives the same messages however it is cut into
 *     segments, and retransmitted bytes change nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void breach(const char *what)
{
    fprintf(stderr, "fuzz_dns: invariant broken: %s\n", what);
    abort();
}

static void check_name(const char *s, uint32_t n)
{
    if (n > PF_MAX_DNS_NAME || strlen(s) != n)
        breach("name length");
    for (uint32_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            if (i + 3 >= n || s[i + 1] < '0' || s[i + 1] > '2' || s[i + 2] < '0' || s[i + 2] > '9' || s[i + 3] < '0' ||
                s[i + 3] > '9')
                breach("bad escape in a name");
            i += 3;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
            breach("name byte outside the allowed set");
        }
    }
}

static void check_msg(const struct pfr_dns_msg *m)
{
    check_name(m->qname, m->qname_len);
    check_name(m->cname, m->cname_len);
    if (m->qname_len == 0)
        breach("empty question name");
    if (m->nanswers > PF_MAX_DNS_ANSWERS)
        breach("too many answers");
    for (uint32_t i = 0; i < m->nanswers; i++)
        if (m->answers[i].family != PF_AF_INET && m->answers[i].family != PF_AF_INET6)
            breach("answer family");
    if (m->flags & ~(PF_DNS_TRUNCATED | PF_DNS_ANSWERS_CUT))
        breach("unknown flag");
}

static int same_answers(const struct pfr_dns_msg *a, const struct pfr_dns_msg *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a->answers[i].family != b->answers[i].family || a->answers[i].ttl != b->answers[i].ttl ||
            memcmp(a->answers[i].addr, b->answers[i].addr, 16) != 0)
            return 0;
    return 1;
}

/* Messages the stream handed on, as a digest. */
struct collect {
    uint64_t n, digest;
};

static void on_msg(void *ctx, const uint8_t *msg, size_t len)
{
    struct collect *c = (struct collect *)ctx;
    c->n++;
    uint64_t h = c->digest ^ (len * 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < len; i++)
        h = (h ^ msg[i]) * 0x100000001b3ull;
    c->digest = h;
    static struct pfr_dns_msg m;
    if (pfr_dns_parse(msg, len, 0, &m) == 0)
        check_msg(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pfr_dns_msg a, b, p;
    int ra = pfr_dns_parse(data, size, 0, &a);
    int rb = pfr_dns_parse(data, size, 0, &b);
    if (ra != rb)
        breach("two parses of the same bytes differ");
    if (ra > 0 || ra < -PF_DNS_REJECTS)
        breach("unknown return value");
    if (ra == 0) {
        check_msg(&a);
        if (a.nanswers != b.nanswers || !same_answers(&a, &b, a.nanswers) || strcmp(a.qname, b.qname) ||
            strcmp(a.cname, b.cname))
            breach("two parses of the same bytes differ");
    }
    if (!pfr_dns_reject_name(ra)[0])
        breach("reason without text");

    /* every prefix cut at a few places */
    for (size_t cut = 1; ra == 0 && cut < size; cut += 1 + size / 7) {
        int rp = pfr_dns_parse(data, cut, 1, &p);
        if (rp != 0)
            continue;
        check_msg(&p);
        if (strcmp(p.qname, a.qname) || p.qtype != a.qtype || p.rcode != a.rcode)
            breach("prefix changed the question");
        if (!(p.flags & PF_DNS_TRUNCATED))
            breach("a cut message not marked truncated");
        if (p.nanswers > a.nanswers || !same_answers(&p, &a, p.nanswers))
            breach("prefix gave other answers");
    }

    /* TCP: whole, then in segments whose sizes the input's bytes choose,
     * each segment sent twice (a retransmission). */
    static struct pfr_dns_stream s1, s2;
    struct pfr_dns_stream_stats st1, st2;
    struct collect c1 = {0, 0}, c2 = {0, 0};
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    memset(&st1, 0, sizeof st1);
    memset(&st2, 0, sizeof st2);
    uint32_t isn = size >= 4 ? ((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3])
                             : 0xfffffff0u; /* sequence numbers wrap */
    pfr_dns_stream_feed(&s1, isn, data, size, size, on_msg, &c1, &st1);
    size_t off = 0;
    for (size_t i = 0; off < size; i++) {
        size_t seg = 1 + (size_t)data[i % size] % 97;
        if (seg > size - off)
            seg = size - off;
        pfr_dns_stream_feed(&s2, isn + (uint32_t)off, data + off, seg, seg, on_msg, &c2, &st2);
        pfr_dns_stream_feed(&s2, isn + (uint32_t)off, data + off, seg, seg, on_msg, &c2, &st2);
        off += seg;
    }
    if (c1.n != c2.n || c1.digest != c2.digest || st1.oversize != st2.oversize)
        breach("segmenting the stream changed its messages");
    if (st1.gaps || st2.gaps)
        breach("a gap in a stream without one");
    /* a stream missing bytes stops: nothing after the gap */
    if (size > 8) {
        static struct pfr_dns_stream s3;
        struct pfr_dns_stream_stats st3;
        struct collect c3 = {0, 0};
        memset(&s3, 0, sizeof s3);
        memset(&st3, 0, sizeof st3);
        pfr_dns_stream_feed(&s3, isn, data, 2, 2, on_msg, &c3, &st3);
        pfr_dns_stream_feed(&s3, isn + 4, data + 4, size - 4, size - 4, on_msg, &c3, &st3);
        if (c3.n || st3.gaps != 1)
            breach("bytes after a gap were used");
    }
    return 0;
}
