/* SPDX-License-Identifier: MIT */
/* The recorder's DNS parser on the committed seed messages
 * (tests/fuzz/corpus/dns, written by make_dns_seeds.py): exact names,
 * answers, flags and reasons for each, and the TCP reassembly.
 *   test_dns_parse CORPUS_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "../check.h"

static const char *dir;
static uint8_t buf[65536];

static size_t load(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        CHECK(0);
        return 0;
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n;
}

static struct pfr_dns_msg m;

static int parse(const char *name, int cut)
{
    size_t n = load(name);
    return pfr_dns_parse(buf, n, cut, &m);
}

static int answer_is(uint32_t i, const char *addr, uint32_t ttl)
{
    uint8_t a[16] = {0};
    int fam = pf_addr_from_string(addr, a);
    return i < m.nanswers && m.answers[i].family == fam && m.answers[i].ttl == ttl &&
           memcmp(m.answers[i].addr, a, fam == 4 ? 4 : 16) == 0;
}

struct got {
    int n;
    size_t lens[4];
};
static void on_msg(void *ctx, const uint8_t *msg, size_t len)
{
    struct got *g = ctx;
    (void)msg;
    if (g->n < 4)
        g->lens[g->n] = len;
    g->n++;
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : "tests/fuzz/corpus/dns";
    CHECK(parse("a", 0) == 0 && !strcmp(m.qname, "www.example.test") && m.qname_len == 16 && m.qtype == 1 &&
          m.rcode == 0 && m.flags == 0 && m.nanswers == 2 && answer_is(0, "192.0.2.10", 300) &&
          answer_is(1, "192.0.2.11", 60) && m.cname_len == 0 && m.id == 0x1234);
    CHECK(parse("aaaa", 0) == 0 && m.qtype == 28 && m.nanswers == 1 && answer_is(0, "2001:db8::53", 300));
    CHECK(parse("cname", 0) == 0 && !strcmp(m.qname, "alias.example.test") && !strcmp(m.cname, "cdn.example.test") &&
          m.nanswers == 1 && answer_is(0, "198.51.100.7", 300));
    CHECK(parse("nxdomain", 0) == 0 && m.rcode == 3 && m.nanswers == 0 && !strcmp(m.qname, "nope.example.test"));
    CHECK(parse("tc", 0) == 0 && m.flags == PF_DNS_TRUNCATED);
    CHECK(parse("query", 0) == PF_DNS_E_NOT_RESPONSE);
    /* cut inside the second answer: the first is kept */
    CHECK(parse("cut-answer", 1) == 0 && m.nanswers == 1 && answer_is(0, "192.0.2.10", 300) &&
          m.flags == PF_DNS_TRUNCATED && m.answer_error == PF_DNS_E_SHORT);
    CHECK(parse("cut-answer", 0) == 0 && m.nanswers == 1 && (m.flags & PF_DNS_TRUNCATED));
    CHECK(parse("cut-header", 0) == PF_DNS_E_SHORT);
    CHECK(parse("loop-self", 0) == 0 && m.nanswers == 0 && m.answer_error == PF_DNS_E_LOOP);
    CHECK(parse("loop-question", 0) == PF_DNS_E_LOOP);
    CHECK(parse("forward-pointer", 0) == PF_DNS_E_LOOP);
    CHECK(parse("long-name", 0) == PF_DNS_E_NAME_LONG);
    CHECK(parse("label-0x40", 0) == PF_DNS_E_NAME_BAD);
    /* bytes outside a-z 0-9 - _ are escaped, upper case is folded */
    CHECK(parse("odd-bytes", 0) == 0 && !strcmp(m.qname, "a\\046b\\255\\000.test") && m.nanswers == 1 &&
          answer_is(0, "203.0.113.5", 300));
    CHECK(parse("many-answers", 0) == 0 && m.nanswers == PF_MAX_DNS_ANSWERS && answer_is(63, "203.0.113.63", 300) &&
          m.flags == PF_DNS_ANSWERS_CUT);
    for (int i = -1; i >= -PF_DNS_REJECTS; i--)
        CHECK(strcmp(pfr_dns_reject_name(i), "?") != 0);

    /* TCP: two messages in one stream, one byte at a time, each followed by
     * a segment that repeats it and brings the next byte (partial overlap) */
    static struct pfr_dns_stream s;
    struct pfr_dns_stream_stats st;
    struct got g;
    size_t n = load("tcp-two");
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < n; i++) {
        pfr_dns_stream_feed(&s, 0xfffffff0u + (uint32_t)i, buf + i, 1, 1, on_msg, &g, &st);
        if (i + 1 < n)
            pfr_dns_stream_feed(&s, 0xfffffff0u + (uint32_t)i, buf + i, 2, 2, on_msg, &g, &st);
    }
    CHECK(g.n == 2 && st.messages == 2 && st.gaps == 0 && st.duplicate == 2 * (n - 1));
    CHECK(g.lens[0] == (size_t)(buf[0] << 8 | buf[1]));
    /* a message over the buffer is skipped, the next one still read */
    n = load("tcp-oversize");
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    memset(&g, 0, sizeof g);
    pfr_dns_stream_feed(&s, 1000, buf, n, n, on_msg, &g, &st);
    CHECK(g.n == 1 && st.oversize == 1 && st.messages == 1);
    /* only a prefix of a segment copied: the stream stops there */
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    memset(&g, 0, sizeof g);
    n = load("tcp-two");
    pfr_dns_stream_feed(&s, 5, buf, 10, n, on_msg, &g, &st);
    pfr_dns_stream_feed(&s, 5 + (uint32_t)n, buf, n, n, on_msg, &g, &st);
    CHECK(g.n == 0 && st.gaps == 1);
    return check_result("dns parser");
}
