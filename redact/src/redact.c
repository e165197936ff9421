/* SPDX-License-Identifier: MIT */
/* Redaction of capture records: keyed pseudonyms (HMAC-SHA-256) for
 * strings, keyed Feistel permutations (SipHash-2-4 rounds) for addresses and
 * uids; the primitives come from libsodium (keyhash.h). The contract is in procflow/redact.h; the capture-format side
 * (header option 13, the "redaction" HOSTINFO record) in
 * schema/capture-format.md section 10. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "keyhash.h"
#include "pfc/buf.h"
#include "procflow/redact.h"

#define ROUNDS 10         /* Feistel rounds (even: the half widths come back) */
#define CACHE_SLOTS 16384 /* direct-mapped address cache (about 560 KiB) */
#define MAX_HOSTS 16
#define MAX_HOST_LEN 255
#define HEX_LEN 12     /* hex digits of a pseudonym (48 bits) */
#define UID_FIRST 1000 /* uids below are system accounts: kept */

enum slot {
    S_EXE,
    S_CMD,
    S_CGROUP,
    S_USER,
    S_TEXT, /* pf_redact_record */
    S_API,  /* pf_redact_string */
    S_INFO_HOST,
    S_INFO_COMMENT,
    S_INFO_RED, /* pf_redact_file_info */
    S_COMPOSE,
    S_TMP0,
    S_TMP1, /* internal */
    S_COUNT
};

struct range {
    uint8_t family;     /* 4 or 6 */
    uint8_t plen;       /* prefix length */
    uint8_t prefix[16]; /* network order, host bits zero; IPv4 in [0..3] */
    unsigned bits;      /* host bits */
    int has_zero;       /* contains the unspecified address (kept fixed) */
    int has_mapped;     /* IPv6 range containing ::ffff:0:0/96 (left to the IPv4 ranges) */
};

struct cache_ent {
    uint8_t used, family;
    uint8_t in[16], out[16];
};

struct pf_redactor {
    unsigned classes;
    struct range ranges[PF_REDACT_MAX_RANGES];
    unsigned nranges;
    struct pf_hmac_key k_cmdline, k_user, k_host, k_uuid; /* HMAC-SHA-256 subkeys */
    uint8_t sk_addr[16], sk_uid[16];                      /* SipHash subkeys */
    char key_id[HEX_LEN + 1];
    int random_key;
    char *desc;
    char hosts[MAX_HOSTS][MAX_HOST_LEN + 1]; /* lower case, longest first */
    size_t host_len[MAX_HOSTS];
    unsigned nhosts;
    struct cache_ent *cache;
    struct pfc_buf buf[S_COUNT];
};

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ------------------------------------------------------------ small helpers */

/* A one-line reason into the caller's err buffer (when it gave one). */
#define SET_ERR(...) \
    do { \
        if (err && errlen) \
            snprintf(err, errlen, __VA_ARGS__); \
    } while (0)

/* Appends; output longer than a capture string may be is cut there. */
static void rb_put(struct pfc_buf *b, const void *s, size_t n)
{
    size_t room = b->len < PF_MAX_STRING_BYTES ? PF_MAX_STRING_BYTES - b->len : 0;
    if (n > room)
        n = room;
    (void)pfc_buf_put(b, s, n); /* a failure is sticky in b->err */
}

static void rb_puts(struct pfc_buf *b, const char *s) { rb_put(b, s, strlen(s)); }

static void rb_free(struct pfc_buf *b)
{
    if (b->p)
        pf_wipe(b->p, b->cap);
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int is_alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int is_hex(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = 0;
}

/* "0123456789ab": the first 48 bits of HMAC(k, s); k is the subkey of one
 * kind of value, so equal strings of two kinds give unrelated pseudonyms. */
static void pseudo_hex(const struct pf_hmac_key *k, const char *s, size_t n, char out[HEX_LEN + 1])
{
    uint8_t mac[PF_SHA256_LEN];
    pf_hmac_sha256(k, s, n, mac);
    hex(mac, HEX_LEN / 2, out);
}

/* ------------------------------------------------------------ 128-bit values */

struct u128 {
    uint64_t hi, lo;
};

static uint64_t mask64(unsigned w) { return w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1; }

static uint64_t load_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* The address of family 4 (a[0..3]) or 6 as a number. */
static struct u128 addr_value(uint8_t family, const uint8_t *a)
{
    struct u128 v = {0, 0};
    if (family == PF_AF_INET)
        v.lo = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 | (uint64_t)a[2] << 8 | a[3];
    else {
        v.hi = load_be64(a);
        v.lo = load_be64(a + 8);
    }
    return v;
}

static void value_addr(uint8_t family, struct u128 v, uint8_t *a)
{
    if (family == PF_AF_INET) {
        a[0] = (uint8_t)(v.lo >> 24);
        a[1] = (uint8_t)(v.lo >> 16);
        a[2] = (uint8_t)(v.lo >> 8);
        a[3] = (uint8_t)v.lo;
    } else {
        store_be64(a, v.hi);
        store_be64(a + 8, v.lo);
    }
}

/* Mask of the low `bits` bits of a 128-bit value. */
static struct u128 low_mask(unsigned bits)
{
    struct u128 m;
    m.lo = bits >= 64 ? ~(uint64_t)0 : mask64(bits);
    m.hi = bits > 64 ? mask64(bits - 64) : 0;
    return m;
}

/* ------------------------------------------------------------ permutations */

/* Round function: SipHash-2-4(sk_addr, range || round || width || R). */
static uint64_t feistel_f(const pf_redactor *r, const struct range *g, unsigned round, unsigned width, uint64_t right)
{
    uint8_t msg[1 + 1 + 16 + 1 + 1 + 8];
    msg[0] = g->family;
    msg[1] = g->plen;
    memcpy(msg + 2, g->prefix, 16);
    msg[18] = (uint8_t)round;
    msg[19] = (uint8_t)width;
    for (int i = 0; i < 8; i++)
        msg[20 + i] = (uint8_t)(right >> (8 * i));
    return pf_siphash24(r->sk_addr, msg, sizeof msg);
}

/* A keyed permutation of the low g->bits bits of x (higher bits zero):
 * an unbalanced Feistel network whose halves swap widths every round. */
static struct u128 permute_host(const pf_redactor *r, const struct range *g, struct u128 x)
{
    unsigned n = g->bits;
    unsigned wr = n / 2, wl = n - wr; /* wl <= 64, wr <= 64 */
    uint64_t right, left;
    /* split: left = x >> wr, right = x & mask(wr) */
    right = x.lo & mask64(wr);
    if (wr == 0)
        left = x.lo;
    else if (wr < 64)
        left = (x.lo >> wr) | (x.hi << (64 - wr));
    else
        left = x.hi;
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint64_t f = feistel_f(r, g, i, wr, right) & mask64(wl);
        uint64_t nl = right, nr = left ^ f;
        left = nl;
        right = nr;
        unsigned t = wl;
        wl = wr;
        wr = t;
    }
    struct u128 y;
    if (wr == 0) {
        y.lo = left;
        y.hi = 0;
    } else if (wr < 64) {
        y.lo = (left << wr) | right;
        y.hi = left >> (64 - wr);
    } else {
        y.hi = left;
        y.lo = right;
    }
    return y;
}

static int in_domain(const struct range *g, struct u128 v)
{
    if (g->has_zero && v.hi == 0 && v.lo == 0)
        return 0;
    if (g->has_mapped && v.hi == 0 && (v.lo >> 32) == 0xffff)
        return 0;
    return 1;
}

/* Maps the address a (family of g) inside g: the permutation, walked
 * until it lands in the range's domain again (cycle walking keeps it a
 * bijection on the domain). Addresses outside the domain stay. */
static void map_in_range(const pf_redactor *r, const struct range *g, uint8_t *a)
{
    struct u128 v = addr_value(g->family, a);
    if (!g->bits || !in_domain(g, v))
        return;
    struct u128 m = low_mask(g->bits);
    struct u128 net = {v.hi & ~m.hi, v.lo & ~m.lo};
    struct u128 host = {v.hi & m.hi, v.lo & m.lo};
    struct u128 y;
    do {
        host = permute_host(r, g, host);
        y.hi = net.hi | host.hi;
        y.lo = net.lo | host.lo;
    } while (!in_domain(g, y));
    value_addr(g->family, y, a);
}

static int range_contains(const struct range *g, uint8_t family, const uint8_t *a)
{
    if (g->family != family)
        return 0;
    unsigned full = g->plen / 8, rest = g->plen % 8;
    if (memcmp(a, g->prefix, full))
        return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xff << (8 - rest));
        if ((a[full] & m) != g->prefix[full])
            return 0;
    }
    return 1;
}

/* family 4: a[0..3]; family 6: 16 bytes, not IPv4-mapped. */
static int map_plain(pf_redactor *r, uint8_t family, uint8_t *a)
{
    const struct range *g = NULL;
    for (unsigned i = 0; i < r->nranges && !g; i++)
        if (range_contains(&r->ranges[i], family, a))
            g = &r->ranges[i];
    if (!g)
        return 0;
    size_t len = family == PF_AF_INET ? 4 : 16;
    uint32_t h = 2166136261u ^ family;
    for (size_t i = 0; i < len; i++)
        h = (h ^ a[i]) * 16777619u;
    struct cache_ent *e = r->cache ? &r->cache[h % CACHE_SLOTS] : NULL;
    if (e && e->used && e->family == family && !memcmp(e->in, a, len)) {
        memcpy(a, e->out, len);
        return 1;
    }
    uint8_t in[16];
    memcpy(in, a, len);
    map_in_range(r, g, a);
    if (e) {
        e->used = 1;
        e->family = family;
        memcpy(e->in, in, len);
        memcpy(e->out, a, len);
    }
    return 1;
}

int pf_redact_addr(pf_redactor *r, uint8_t family, uint8_t addr[16])
{
    if (!r || !addr || !r->nranges)
        return 0;
    if (family == PF_AF_INET)
        return map_plain(r, PF_AF_INET, addr);
    if (family != PF_AF_INET6)
        return 0;
    if (!memcmp(addr, v4_mapped_prefix, 12))
        return map_plain(r, PF_AF_INET, addr + 12);
    return map_plain(r, PF_AF_INET6, addr);
}

int pf_redact_addr_text(pf_redactor *r, const char *text, char out[PF_ADDR_STRLEN])
{
    uint8_t a[16];
    int fam = text ? pf_addr_from_string(text, a) : 0;
    if (!fam) {
        snprintf(out, PF_ADDR_STRLEN, "%s", text ? text : "");
        return PF_E_ARG;
    }
    int mapped = pf_redact_addr(r, (uint8_t)fam, a);
    pf_addr_to_string((uint8_t)fam, a, out, PF_ADDR_STRLEN);
    return mapped;
}

uint32_t pf_redact_uid(pf_redactor *r, uint32_t uid)
{
    if (!r || !(r->classes & PF_REDACT_UID) || uid < UID_FIRST || uid == UINT32_MAX)
        return uid;
    /* 32-bit Feistel (two 16-bit halves), walked until the result is a
     * regular uid again: a bijection of [1000, 2^32 - 2]. */
    uint32_t x = uid;
    do {
        uint16_t left = (uint16_t)(x >> 16), right = (uint16_t)x;
        for (unsigned i = 0; i < ROUNDS; i++) {
            uint8_t msg[3] = {(uint8_t)i, (uint8_t)right, (uint8_t)(right >> 8)};
            uint16_t f = (uint16_t)pf_siphash24(r->sk_uid, msg, sizeof msg);
            uint16_t nr = (uint16_t)(left ^ f);
            left = right;
            right = nr;
        }
        x = (uint32_t)left << 16 | right;
    } while (x < UID_FIRST || x == UINT32_MAX);
    return x;
}

/* ------------------------------------------------------------ spec */

static int parse_range(const char *text, size_t n, struct range *g)
{
    char buf[80];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = 0;
    char *slash = strchr(buf, '/');
    unsigned plen = 0;
    int has_len = 0;
    if (slash) {
        *slash = 0;
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3)
            return -1;
        for (; *d; d++) {
            if (!is_digit((unsigned char)*d))
                return -1;
            plen = plen * 10 + (unsigned)(*d - '0');
        }
        has_len = 1;
    }
    uint8_t a[16];
    int fam = pf_addr_from_string(buf, a);
    if (!fam)
        return -1;
    unsigned maxlen = fam == PF_AF_INET ? 32 : 128;
    if (!has_len)
        plen = maxlen;
    if (plen > maxlen)
        return -1;
    /* An IPv6 range inside ::ffff:0:0/96 is the IPv4 range it maps. */
    if (fam == PF_AF_INET6 && plen >= 96 && !memcmp(a, v4_mapped_prefix, 12)) {
        memmove(a, a + 12, 4);
        memset(a + 4, 0, 12);
        fam = PF_AF_INET;
        plen -= 96;
        maxlen = 32;
    }
    memset(g, 0, sizeof *g);
    g->family = (uint8_t)fam;
    g->plen = (uint8_t)plen;
    unsigned len = maxlen / 8;
    for (unsigned i = 0; i < len; i++) {
        unsigned bit = i * 8;
        uint8_t m = (uint8_t)(bit + 8 <= plen ? 0xff : bit >= plen ? 0 : 0xff << (8 - (plen - bit)));
        g->prefix[i] = (uint8_t)(a[i] & m);
    }
    g->bits = maxlen - plen;
    return 0;
}

static int range_within(const struct range *inner, const struct range *outer)
{
    return inner->family == outer->family && inner->plen >= outer->plen &&
           range_contains(outer, inner->family, inner->prefix);
}

static int range_cmp(const void *pa, const void *pb)
{
    const struct range *a = pa, *b = pb;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->prefix, b->prefix, 16);
    if (c)
        return c;
    return a->plen < b->plen ? -1 : a->plen > b->plen;
}

static void finish_ranges(pf_redactor *r)
{
    /* Drop ranges inside another one (the wider one maps them), so the
     * ranges are disjoint and each permutation stays within its own. */
    unsigned k = 0;
    for (unsigned i = 0; i < r->nranges; i++) {
        int covered = 0;
        for (unsigned j = 0; j < r->nranges && !covered; j++) {
            if (i == j || !range_within(&r->ranges[i], &r->ranges[j]))
                continue;
            /* equal ranges: keep the first */
            covered = r->ranges[i].plen != r->ranges[j].plen || j < i;
        }
        if (!covered)
            r->ranges[k++] = r->ranges[i];
    }
    r->nranges = k;
    qsort(r->ranges, r->nranges, sizeof r->ranges[0], range_cmp);
    static const uint8_t zero[16];
    for (unsigned i = 0; i < r->nranges; i++) {
        struct range *g = &r->ranges[i];
        g->has_zero = !memcmp(g->prefix, zero, g->family == PF_AF_INET ? 4 : 16);
        uint8_t mapped[16] = {0};
        memcpy(mapped, v4_mapped_prefix, 12);
        g->has_mapped = g->family == PF_AF_INET6 && g->plen <= 96 && range_contains(g, PF_AF_INET6, mapped);
    }
    if (r->nranges)
        r->classes |= PF_REDACT_ADDR;
}

static const char *const private_ranges[] = {
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10",
};

static int add_range(pf_redactor *r, const char *text, size_t n, char *err, size_t errlen)
{
    if (r->nranges >= PF_REDACT_MAX_RANGES) {
        SET_ERR("more than 64 address ranges");
        return PF_E_ARG;
    }
    if (parse_range(text, n, &r->ranges[r->nranges])) {
        char t[96];
        snprintf(t, sizeof t, "%.*s", (int)(n < 80 ? n : 80), text);
        SET_ERR("bad address range '%s' (CIDR like 10.0.0.0/8 or 2001:db8::/32)", t);
        return PF_E_ARG;
    }
    r->nranges++;
    return 0;
}

static int parse_spec(pf_redactor *r, const char *spec, char *err, size_t errlen)
{
    if (!spec || !*spec)
        spec = PF_REDACT_DEFAULT;
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
#define IS(word) (n == sizeof(word) - 1 && !memcmp(p, word, n))
        if (n == 0) {
            /* empty item: ignored */
        } else if (IS("default")) {
            r->classes |= PF_REDACT_CMDLINE | PF_REDACT_USER | PF_REDACT_HOST;
            for (size_t i = 0; i < sizeof private_ranges / sizeof private_ranges[0]; i++) {
                int rc = add_range(r, private_ranges[i], strlen(private_ranges[i]), err, errlen);
                if (rc)
                    return rc;
            }
        } else if (IS("cmdline")) {
            r->classes |= PF_REDACT_CMDLINE;
        } else if (IS("user")) {
            r->classes |= PF_REDACT_USER;
        } else if (IS("host")) {
            r->classes |= PF_REDACT_HOST;
        } else if (IS("uid")) {
            r->classes |= PF_REDACT_UID;
        } else if (IS("addr=private")) {
            for (size_t i = 0; i < sizeof private_ranges / sizeof private_ranges[0]; i++) {
                int rc = add_range(r, private_ranges[i], strlen(private_ranges[i]), err, errlen);
                if (rc)
                    return rc;
            }
        } else if (n > 5 && !memcmp(p, "addr=", 5)) {
            int rc = add_range(r, p + 5, n - 5, err, errlen);
            if (rc)
                return rc;
        } else {
            char t[96];
            snprintf(t, sizeof t, "%.*s", (int)(n < 80 ? n : 80), p);
            SET_ERR("unknown redaction item '%s' (cmdline, user, host, uid, addr=CIDR, addr=private, default)", t);
            return PF_E_ARG;
        }
#undef IS
        if (!e)
            break;
        p = e + 1;
    }
    finish_ranges(r);
    if (!r->classes) {
        SET_ERR("nothing to redact");
        return PF_E_ARG;
    }
    return 0;
}

static int build_description(pf_redactor *r)
{
    struct pfc_buf b = {0};
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {PF_REDACT_CMDLINE, "cmdline"}, {PF_REDACT_USER, "user"}, {PF_REDACT_HOST, "host"}, {PF_REDACT_UID, "uid"}};
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(r->classes & names[i].bit))
            continue;
        if (!first)
            rb_put(&b, ",", 1);
        rb_puts(&b, names[i].name);
        first = 0;
    }
    for (unsigned i = 0; i < r->nranges; i++) {
        char a[PF_ADDR_STRLEN], t[PF_ADDR_STRLEN + 16];
        const struct range *g = &r->ranges[i];
        pf_addr_to_string(g->family, g->prefix, a, sizeof a);
        snprintf(t, sizeof t, "%saddr=%s/%u", first ? "" : ",", a, g->plen);
        rb_puts(&b, t);
        first = 0;
    }
    rb_puts(&b, " key=");
    rb_puts(&b, r->key_id);
    rb_puts(&b, r->random_key ? " key-source=random" : " key-source=file");
    if (b.err) {
        rb_free(&b);
        return PF_E_NOMEM;
    }
    r->desc = b.p;
    return 0;
}

/* ------------------------------------------------------------ create */

/* Subkey `label`: HMAC-SHA-256(key, "procflow-redact-v1/" label). */
static void derive_raw(const struct pf_hmac_key *master, const char *label, uint8_t out[PF_SHA256_LEN])
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "procflow-redact-v1/%s", label);
    pf_hmac_sha256(master, msg, (size_t)n, out);
}

static void derive(struct pf_hmac_key *sub, const struct pf_hmac_key *master, const char *label)
{
    uint8_t k[PF_SHA256_LEN];
    derive_raw(master, label, k);
    pf_hmac_sha256_init(sub, k, sizeof k);
    pf_wipe(k, sizeof k);
}

static void derive_sip(uint8_t sub[16], const struct pf_hmac_key *master, const char *label)
{
    uint8_t k[PF_SHA256_LEN];
    derive_raw(master, label, k);
    memcpy(sub, k, 16);
    pf_wipe(k, sizeof k);
}

int pf_redact_create(pf_redactor **out, const char *spec, const void *key, size_t key_len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!out)
        return PF_E_ARG;
    *out = NULL;
    if (key && (key_len < PF_REDACT_KEY_MIN || key_len > PF_REDACT_KEY_MAX)) {
        char t[32];
        snprintf(t, sizeof t, "%zu", key_len);
        SET_ERR("redaction key has %s bytes; it needs 16 to 4096 (e.g. 32 random bytes)", t);
        return PF_E_ARG;
    }
    pf_redactor *r = calloc(1, sizeof *r);
    if (!r)
        return PF_E_NOMEM;
    int rc = parse_spec(r, spec, err, errlen);
    if (rc) {
        pf_redact_destroy(r);
        return rc;
    }
    uint8_t rnd[32];
    if (pf_crypto_init()) {
        SET_ERR("the crypto library could not start (no random numbers from the operating system)");
        pf_redact_destroy(r);
        return PF_E_IO;
    }
    if (!key) {
        pf_random_bytes(rnd, sizeof rnd);
        key = rnd;
        key_len = sizeof rnd;
        r->random_key = 1;
    }
    struct pf_hmac_key master;
    pf_hmac_sha256_init(&master, key, key_len);
    pf_wipe(rnd, sizeof rnd);
    derive(&r->k_cmdline, &master, "cmdline");
    derive(&r->k_user, &master, "user");
    derive(&r->k_host, &master, "host");
    derive_sip(r->sk_uid, &master, "uid");
    derive_sip(r->sk_addr, &master, "addr");
    derive(&r->k_uuid, &master, "uuid");
    uint8_t id[PF_SHA256_LEN];
    static const char id_label[] = "procflow-redact-v1/key-id";
    pf_hmac_sha256(&master, id_label, sizeof id_label - 1, id);
    hex(id, HEX_LEN / 2, r->key_id);
    pf_wipe(&master, sizeof master);
    r->cache = calloc(CACHE_SLOTS, sizeof *r->cache);
    if (!r->cache || build_description(r)) {
        pf_redact_destroy(r);
        return PF_E_NOMEM;
    }
    *out = r;
    return 0;
}

int pf_redact_open(pf_redactor **out, const char *spec, const char *key_path, char *err, size_t errlen)
{
    if (!key_path)
        return pf_redact_create(out, spec, NULL, 0, err, errlen);
    if (out)
        *out = NULL;
    FILE *f = fopen(key_path, "rb");
    if (!f) {
        char t[160];
        snprintf(t, sizeof t, "%.100s: %.50s", key_path, strerror(errno));
        SET_ERR("cannot read the redaction key file %s", t);
        return PF_E_IO;
    }
#if !defined(_WIN32)
    /* Whoever can read the key can undo the pseudonyms of every file made
     * with it: like ssh with a private key, refuse one others may read. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
        char t[200];
        snprintf(t, sizeof t, "%.100s is readable or writable by others (mode %04o)", key_path,
                 (unsigned)(st.st_mode & 07777));
        SET_ERR("redaction key file %s: refused; make it private: chmod 600 FILE", t);
        fclose(f);
        return PF_E_UNSAFE_PATH;
    }
#endif
    uint8_t *key = malloc(PF_REDACT_KEY_MAX + 1);
    if (!key) {
        fclose(f);
        return PF_E_NOMEM;
    }
    size_t n = fread(key, 1, PF_REDACT_KEY_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) {
        SET_ERR("cannot read the redaction key file %.100s", key_path);
        rc = PF_E_IO;
    } else if (n < PF_REDACT_KEY_MIN || n > PF_REDACT_KEY_MAX) {
        char t[200];
        snprintf(t, sizeof t, "%.100s has %s bytes", key_path,
                 n > PF_REDACT_KEY_MAX ? "more than 4096" : "fewer than 16");
        SET_ERR("redaction key file %s; it needs 16 to 4096 (e.g. head -c 32 /dev/urandom > FILE)", t);
        rc = PF_E_ARG;
    } else {
        rc = pf_redact_create(out, spec, key, n, err, errlen);
    }
    pf_wipe(key, PF_REDACT_KEY_MAX + 1);
    free(key);
    return rc;
}

void pf_redact_destroy(pf_redactor *r)
{
    if (!r)
        return;
    for (int i = 0; i < S_COUNT; i++)
        rb_free(&r->buf[i]);
    free(r->desc);
    if (r->cache) {
        pf_wipe(r->cache, CACHE_SLOTS * sizeof *r->cache);
        free(r->cache);
    }
    pf_wipe(r, sizeof *r);
    free(r);
}

unsigned pf_redact_classes(const pf_redactor *r) { return r ? r->classes : 0; }

const char *pf_redact_describe(const pf_redactor *r) { return r && r->desc ? r->desc : ""; }

/* ------------------------------------------------------------ host names */

static int is_localhost(const char *s, size_t n)
{
    static const char *const names[] = {"localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t l = strlen(names[i]);
        if (l != n)
            continue;
        size_t k = 0;
        while (k < n && lower((unsigned char)s[k]) == names[i][k])
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

/* The part of a host name that names the host: lower case, before the
 * first dot (unless it is an IPv4 literal). */
static size_t host_short(const char *s, size_t n, char *out, size_t cap)
{
    int numeric = 1;
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]) && s[i] != '.')
            numeric = 0;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        if (s[i] == '.' && !numeric && k)
            break;
        out[k++] = (char)lower((unsigned char)s[i]);
    }
    out[k] = 0;
    return k;
}

static void host_pseudonym(const pf_redactor *r, const char *s, size_t n, char out[5 + HEX_LEN + 1])
{
    char sh[MAX_HOST_LEN + 1];
    size_t k = host_short(s, n, sh, sizeof sh);
    char h[HEX_LEN + 1];
    pseudo_hex(&r->k_host, sh, k, h);
    snprintf(out, 5 + HEX_LEN + 1, "host-%s", h);
}

static void learn_one(pf_redactor *r, const char *s, size_t n)
{
    if (n < 3 || n > MAX_HOST_LEN || r->nhosts >= MAX_HOSTS || is_localhost(s, n))
        return;
    char low[MAX_HOST_LEN + 1];
    for (size_t i = 0; i < n; i++)
        low[i] = (char)lower((unsigned char)s[i]);
    low[n] = 0;
    for (unsigned i = 0; i < r->nhosts; i++)
        if (r->host_len[i] == n && !memcmp(r->hosts[i], low, n))
            return;
    /* keep longest first, so a full name wins over its short form */
    unsigned at = r->nhosts;
    while (at > 0 && r->host_len[at - 1] < n) {
        memcpy(r->hosts[at], r->hosts[at - 1], sizeof r->hosts[0]);
        r->host_len[at] = r->host_len[at - 1];
        at--;
    }
    memcpy(r->hosts[at], low, n + 1);
    r->host_len[at] = n;
    r->nhosts++;
}

void pf_redact_learn_host(pf_redactor *r, const char *name, size_t len)
{
    if (!r || !name)
        return;
    while (len && name[len - 1] == '.')
        len--; /* a trailing root dot */
    if (!len || is_localhost(name, len))
        return;
    learn_one(r, name, len);
    char sh[MAX_HOST_LEN + 1];
    size_t k = host_short(name, len, sh, sizeof sh);
    if (k != len)
        learn_one(r, sh, k);
}

static int hostinfo_names_host(const char *k, size_t n)
{
    static const char *const keys[] = {"hostname", "host", "fqdn", "computername", "computer", "nodename"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t l = strlen(keys[i]), j = 0;
        if (l != n)
            continue;
        while (j < n && lower((unsigned char)k[j]) == keys[i][j])
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ text passes */

/* Each pass reads (s, n), writes to b and returns 1 when it changed
 * something, 0 when not (b is then undefined), <0 on error. */

static int user_kept(const char *s, size_t n)
{
    static const char *const names[] = {"root",
                                        "SYSTEM",
                                        "LOCAL SERVICE",
                                        "NETWORK SERVICE",
                                        "NT AUTHORITY\\SYSTEM",
                                        "NT AUTHORITY\\LOCAL SERVICE",
                                        "NT AUTHORITY\\NETWORK SERVICE",
                                        "S-1-5-18",
                                        "S-1-5-19",
                                        "S-1-5-20"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && !memcmp(names[i], s, n))
            return 1;
    return 0;
}

static void user_pseudonym(const pf_redactor *r, const char *s, size_t n, char out[5 + HEX_LEN + 1])
{
    char h[HEX_LEN + 1];
    pseudo_hex(&r->k_user, s, n, h);
    snprintf(out, 5 + HEX_LEN + 1, "user-%s", h);
}

/* A text pass's output: the bytes of s between replacements are copied when
 * the next replacement (or the end) comes, so an untouched string costs no
 * copy at all. */
struct splice {
    const char *s;
    size_t n, done; /* s[0..done) is written */
    int changed;
    struct pfc_buf *b;
};

static void splice_start(struct splice *sp, const char *s, size_t n, struct pfc_buf *b)
{
    *sp = (struct splice){s, n, 0, 0, b};
    pfc_buf_reset(b);
}

/* Writes `with` in place of s[from..to). */
static void splice_replace(struct splice *sp, size_t from, size_t to, const char *with)
{
    rb_put(sp->b, sp->s + sp->done, from - sp->done);
    rb_puts(sp->b, with);
    sp->done = to;
    sp->changed = 1;
}

/* 0 when nothing changed, 1 with the whole result in the buffer, or
 * PF_E_NOMEM. */
static int splice_end(struct splice *sp)
{
    if (!sp->changed)
        return 0;
    rb_put(sp->b, sp->s + sp->done, sp->n - sp->done);
    return sp->b->err ? PF_E_NOMEM : 1;
}

static int pass_home(pf_redactor *r, const char *s, size_t n, struct pfc_buf *b, int path_only)
{
    static const struct {
        const char *m;
        int ci; /* case-insensitive (Windows) */
    } marks[] = {{"/home/", 0}, {"/Users/", 0}, {"\\users\\", 1}};
    struct splice sp;
    size_t i = 0;
    splice_start(&sp, s, n, b);
    while (i < n) {
        size_t ml = 0;
        for (size_t k = 0; k < sizeof marks / sizeof marks[0] && !ml; k++) {
            size_t l = strlen(marks[k].m);
            if (n - i < l)
                continue;
            size_t j = 0;
            while (j < l && (marks[k].ci ? lower((unsigned char)s[i + j]) : s[i + j]) == marks[k].m[j])
                j++;
            if (j == l)
                ml = l;
        }
        if (!ml) {
            i++;
            continue;
        }
        size_t a = i + ml, e = a;
        while (e < n && s[e] != '/' && s[e] != '\\' && s[e] != 0 &&
               (path_only || (s[e] != ' ' && s[e] != '\t' && s[e] != '\n' && s[e] != '"' && s[e] != '\'' &&
                              s[e] != ':' && s[e] != ';' && s[e] != ',' && s[e] != '=')))
            e++;
        if (e == a || user_kept(s + a, e - a)) {
            i = a;
            continue;
        }
        char ps[5 + HEX_LEN + 1];
        user_pseudonym(r, s + a, e - a, ps);
        splice_replace(&sp, a, e, ps);
        i = e;
    }
    return splice_end(&sp);
}

static int pass_uid(pf_redactor *r, const char *s, size_t n, struct pfc_buf *b)
{
    static const char *const marks[] = {"user-", "user@", "/run/user/"};
    struct splice sp;
    size_t i = 0;
    splice_start(&sp, s, n, b);
    while (i < n) {
        size_t ml = 0;
        for (size_t k = 0; k < sizeof marks / sizeof marks[0] && !ml; k++) {
            size_t l = strlen(marks[k]);
            if (n - i >= l && !memcmp(s + i, marks[k], l) &&
                (marks[k][0] == '/' || i == 0 || !is_alnum((unsigned char)s[i - 1])))
                ml = l;
        }
        if (!ml) {
            i++;
            continue;
        }
        size_t a = i + ml, e = a;
        uint64_t v = 0;
        while (e < n && is_digit((unsigned char)s[e]) && e - a < 11)
            v = v * 10 + (uint64_t)(s[e++] - '0');
        if (e == a || e - a > 10 || v > UINT32_MAX || (e < n && is_alnum((unsigned char)s[e]))) {
            i = a;
            continue;
        }
        uint32_t m = pf_redact_uid(r, (uint32_t)v);
        if (m != v) {
            char t[16];
            snprintf(t, sizeof t, "%lu", (unsigned long)m);
            splice_replace(&sp, a, e, t);
        }
        i = e;
    }
    return splice_end(&sp);
}

static int addr_char(int c) { return is_hex(c) || c == ':' || c == '.'; }

/* Maps the address that token t (n bytes) is or contains: the whole token,
 * the token without trailing dots, "a.b.c.d:port" or "word:a.b.c.d".
 * Writes the token with the address replaced; returns 1 if it did. */
static int map_token(pf_redactor *r, const char *t, size_t n, struct pfc_buf *b)
{
    char buf[64];
    if (n < 2 || n >= sizeof buf)
        return 0;
    size_t trimmed = n;
    while (trimmed && t[trimmed - 1] == '.')
        trimmed--;
    const char *first = memchr(t, ':', trimmed), *last = NULL;
    for (size_t i = trimmed; i > 0 && !last; i--)
        if (t[i - 1] == ':')
            last = t + i - 1;
    for (int attempt = 0; attempt < 4; attempt++) {
        size_t start = 0, len = n;
        if (attempt == 1) {
            if (trimmed == n)
                continue;
            len = trimmed;
        } else if (attempt == 2) { /* a.b.c.d:port */
            if (!first || first != last || !memchr(t, '.', (size_t)(first - t)))
                continue;
            len = (size_t)(first - t);
        } else if (attempt == 3) { /* word:a.b.c.d */
            if (!last || !memchr(last, '.', (size_t)(t + trimmed - last)))
                continue;
            start = (size_t)(last - t) + 1;
            len = trimmed - start;
        }
        if (len < 2)
            continue;
        memcpy(buf, t + start, len);
        buf[len] = 0;
        uint8_t a[16];
        int fam = pf_addr_from_string(buf, a);
        if (!fam)
            continue;
        if (pf_redact_addr(r, (uint8_t)fam, a) != 1)
            return 0; /* an address, but not one to map */
        char out[PF_ADDR_STRLEN];
        pf_addr_to_string((uint8_t)fam, a, out, sizeof out);
        rb_put(b, t, start);
        if (fam == PF_AF_INET6 && !memcmp(a, v4_mapped_prefix, 12))
            rb_puts(b, "::ffff:"); /* keep the text's form */
        rb_puts(b, out);
        rb_put(b, t + start + len, n - start - len);
        return 1;
    }
    return 0;
}

static int pass_addr(pf_redactor *r, const char *s, size_t n, struct pfc_buf *b)
{
    struct splice sp;
    size_t i = 0;
    splice_start(&sp, s, n, b);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (!addr_char(c) || (i && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))) {
            i++;
            continue;
        }
        size_t e = i;
        while (e < n && addr_char((unsigned char)s[e]))
            e++;
        int word = e < n && (is_alnum((unsigned char)s[e]) || s[e] == '_');
        int interesting = memchr(s + i, ':', e - i) || memchr(s + i, '.', e - i);
        if (!word && interesting) {
            size_t before = b->len;
            rb_put(b, s + sp.done, i - sp.done);
            if (map_token(r, s + i, e - i, b)) {
                sp.done = e;
                sp.changed = 1;
            } else {
                b->len = before;
            }
        }
        /* skip the rest of this word */
        while (e < n && (is_alnum((unsigned char)s[e]) || s[e] == '_'))
            e++;
        i = e;
    }
    return splice_end(&sp);
}

static int host_word(int c) { return is_alnum(c) || c == '-' || c == '_'; }

static int pass_host(pf_redactor *r, const char *s, size_t n, struct pfc_buf *b)
{
    struct splice sp;
    size_t i = 0;
    splice_start(&sp, s, n, b);
    while (i < n) {
        if (i && host_word((unsigned char)s[i - 1])) {
            i++;
            continue;
        }
        size_t hit = 0;
        unsigned which = 0;
        for (unsigned k = 0; k < r->nhosts && !hit; k++) {
            size_t l = r->host_len[k];
            if (n - i < l || (n - i > l && host_word((unsigned char)s[i + l])))
                continue;
            size_t j = 0;
            while (j < l && lower((unsigned char)s[i + j]) == r->hosts[k][j])
                j++;
            if (j == l) {
                hit = l;
                which = k;
            }
        }
        if (!hit) {
            i++;
            continue;
        }
        char ps[5 + HEX_LEN + 1];
        host_pseudonym(r, r->hosts[which], r->host_len[which], ps);
        splice_replace(&sp, i, i + hit, ps);
        i += hit;
    }
    return splice_end(&sp);
}

/* Copies a result into slot dst and points *out at it: 1, or PF_E_NOMEM. */
static int set_result(pf_redactor *r, int dst, const char *v, size_t len, const char **out, size_t *out_len)
{
    struct pfc_buf *d = &r->buf[dst];
    pfc_buf_reset(d);
    rb_put(d, v, len);
    if (d->err)
        return PF_E_NOMEM;
    *out = d->p;
    *out_len = d->len;
    return 1;
}

/* The text rules, in order: home directories, uids, addresses, host
 * names. The result goes to slot dst when something changed. */
static int scrub(pf_redactor *r, const char *s, size_t n, int path_only, int dst, const char **out, size_t *out_len)
{
    const char *cur = s ? s : "";
    size_t curn = s ? n : 0;
    int changed = 0, t = 0;
    for (int pass = 0; pass < 4; pass++) {
        struct pfc_buf *b = &r->buf[S_TMP0 + t];
        int rc = 0;
        if (pass == 0 && (r->classes & PF_REDACT_USER))
            rc = pass_home(r, cur, curn, b, path_only);
        else if (pass == 1 && (r->classes & PF_REDACT_UID))
            rc = pass_uid(r, cur, curn, b);
        else if (pass == 2 && r->nranges)
            rc = pass_addr(r, cur, curn, b);
        else if (pass == 3 && (r->classes & PF_REDACT_HOST) && r->nhosts)
            rc = pass_host(r, cur, curn, b);
        if (rc < 0)
            return rc;
        if (rc) {
            cur = b->p;
            curn = b->len;
            t ^= 1;
            changed = 1;
        }
    }
    if (!changed) {
        *out = s;
        *out_len = n;
        return 0;
    }
    return set_result(r, dst, cur, curn, out, out_len);
}

static int redact_cmdline(pf_redactor *r, const char *s, size_t n, const char *prog, size_t pn, int dst,
                          const char **out, size_t *out_len)
{
    if (!(r->classes & PF_REDACT_CMDLINE))
        return scrub(r, s, n, 0, dst, out, out_len);
    if (!n) {
        *out = s;
        *out_len = n;
        return 0;
    }
    size_t base = pn;
    while (base && prog[base - 1] != '/' && prog[base - 1] != '\\')
        base--;
    char h[HEX_LEN + 1];
    pseudo_hex(&r->k_cmdline, s, n, h);
    struct pfc_buf *c = &r->buf[S_COMPOSE];
    pfc_buf_reset(c);
    if (pn - base) {
        rb_put(c, prog + base, pn - base);
        rb_puts(c, " [args redacted: ");
    } else {
        rb_puts(c, "[cmdline redacted: ");
    }
    rb_puts(c, h);
    rb_puts(c, "]");
    if (c->err)
        return PF_E_NOMEM;
    /* the program name is kept: it may still hold an address or host name */
    int rc = scrub(r, c->p, c->len, 0, dst, out, out_len);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return set_result(r, dst, c->p, c->len, out, out_len);
    return 1;
}

static int redact_user(pf_redactor *r, const char *s, size_t n, int dst, const char **out, size_t *out_len)
{
    *out = s;
    *out_len = n;
    if (!(r->classes & PF_REDACT_USER) || !n || user_kept(s, n))
        return 0;
    /* DOMAIN\name: the name, so it matches C:\Users\name */
    size_t a = n;
    while (a && s[a - 1] != '\\')
        a--;
    if (a == n)
        a = 0;
    char ps[5 + HEX_LEN + 1];
    user_pseudonym(r, s + a, n - a, ps);
    return set_result(r, dst, ps, strlen(ps), out, out_len);
}

static int redact_host(pf_redactor *r, const char *s, size_t n, int dst, const char **out, size_t *out_len)
{
    *out = s;
    *out_len = n;
    if (!(r->classes & PF_REDACT_HOST) || !n || is_localhost(s, n))
        return 0;
    char ps[5 + HEX_LEN + 1];
    host_pseudonym(r, s, n, ps);
    return set_result(r, dst, ps, strlen(ps), out, out_len);
}

static int apply(pf_redactor *r, int field, const char *s, size_t n, const char *prog, size_t pn, int dst,
                 const char **out, size_t *out_len)
{
    if (!s)
        n = 0;
    if (!prog)
        pn = 0;
    switch (field) {
    case PF_REDACT_F_CMDLINE: return redact_cmdline(r, s, n, prog, pn, dst, out, out_len);
    case PF_REDACT_F_USER: return redact_user(r, s, n, dst, out, out_len);
    case PF_REDACT_F_HOST: return redact_host(r, s, n, dst, out, out_len);
    case PF_REDACT_F_PATH: return scrub(r, s, n, 1, dst, out, out_len);
    case PF_REDACT_F_TEXT: return scrub(r, s, n, 0, dst, out, out_len);
    default: return PF_E_ARG;
    }
}

int pf_redact_string(pf_redactor *r, int field, const char *s, size_t n, const char *prog, size_t prog_len,
                     const char **out, size_t *out_len)
{
    if (!out || !out_len)
        return PF_E_ARG;
    *out = s;
    *out_len = s ? n : 0;
    if (!r)
        return 0;
    return apply(r, field, s, n, prog, prog_len, S_API, out, out_len);
}

/* ------------------------------------------------------------ records */

static int str_field(pf_redactor *r, int field, const char **s, uint32_t *len, const char *prog, size_t pn, int dst)
{
    const char *o;
    size_t on;
    int rc = apply(r, field, *s, *len, prog, pn, dst, &o, &on);
    if (rc < 0)
        return rc;
    *s = o;
    *len = (uint32_t)on;
    return 0;
}

static void redact_key(pf_redactor *r, struct pf_flow_key *k)
{
    pf_redact_addr(r, k->family, k->local.addr);
    pf_redact_addr(r, k->family, k->remote.addr);
}

int pf_redact_record(pf_redactor *r, const struct pf_record *in, struct pf_record *out)
{
    if (!r || !in || !out)
        return PF_E_ARG;
    if (out != in)
        *out = *in;
    int rc = 0;
    switch (out->type) {
    case PF_REC_PROCESS: {
        struct pf_process *p = &out->u.process;
        /* the command line first: it names the program by exe as recorded */
        const char *prog = p->exe_len ? p->exe : p->comm;
        size_t pn = p->exe_len ? p->exe_len : p->comm_len;
        rc = str_field(r, PF_REDACT_F_CMDLINE, &p->cmdline, &p->cmdline_len, prog, pn, S_CMD);
        if (!rc)
            rc = str_field(r, PF_REDACT_F_PATH, &p->exe, &p->exe_len, NULL, 0, S_EXE);
        if (!rc)
            rc = str_field(r, PF_REDACT_F_PATH, &p->cgroup, &p->cgroup_len, NULL, 0, S_CGROUP);
        if (!rc)
            rc = str_field(r, PF_REDACT_F_USER, &p->user, &p->user_len, NULL, 0, S_USER);
        p->uid = pf_redact_uid(r, p->uid);
        break;
    }
    case PF_REC_SOCKET: redact_key(r, &out->u.socket.key); break;
    case PF_REC_TRAFFIC: redact_key(r, &out->u.traffic.key); break;
    case PF_REC_SNAPSHOT:
        redact_key(r, &out->u.snapshot.key);
        out->u.snapshot.uid = pf_redact_uid(r, out->u.snapshot.uid);
        break;
    case PF_REC_HOSTINFO: {
        struct pf_hostinfo *h = &out->u.hostinfo;
        size_t kl = strlen(PF_HOSTINFO_REDACTION);
        if (h->key_len == kl && h->key && !memcmp(h->key, PF_HOSTINFO_REDACTION, kl))
            break;
        if (h->key && hostinfo_names_host(h->key, h->key_len)) {
            pf_redact_learn_host(r, h->value, h->value ? h->value_len : 0);
            rc = str_field(r, PF_REDACT_F_HOST, &h->value, &h->value_len, NULL, 0, S_TEXT);
        } else {
            rc = str_field(r, PF_REDACT_F_TEXT, &h->value, &h->value_len, NULL, 0, S_TEXT);
        }
        break;
    }
    case PF_REC_MARKER:
        rc = str_field(r, PF_REDACT_F_TEXT, &out->u.marker.text, &out->u.marker.text_len, NULL, 0, S_TEXT);
        break;
    default: break;
    }
    return rc;
}

void pf_redact_note(const pf_redactor *r, uint64_t ts_ns, struct pf_record *out)
{
    memset(out, 0, sizeof *out);
    out->type = PF_REC_HOSTINFO;
    out->ts_ns = ts_ns;
    out->u.hostinfo.key = PF_HOSTINFO_REDACTION;
    out->u.hostinfo.key_len = (uint32_t)strlen(PF_HOSTINFO_REDACTION);
    out->u.hostinfo.value = pf_redact_describe(r);
    out->u.hostinfo.value_len = (uint32_t)strlen(out->u.hostinfo.value);
}

static void map_uuid(const pf_redactor *r, const uint8_t in[16], uint8_t out[16])
{
    static const uint8_t zero[16];
    if (!memcmp(in, zero, 16)) {
        memset(out, 0, 16);
        return;
    }
    uint8_t mac[PF_SHA256_LEN];
    pf_hmac_sha256(&r->k_uuid, in, 16, mac);
    memcpy(out, mac, 16);
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40); /* version 4 */
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

int pf_redact_file_info(pf_redactor *r, const struct pf_file_info *in, struct pf_file_info *out)
{
    if (!r || !in || !out)
        return PF_E_ARG;
    struct pf_file_info t = *in;
    const char *o;
    size_t on;
    int rc;
    if (in->hostname) {
        size_t n = strlen(in->hostname);
        pf_redact_learn_host(r, in->hostname, n);
        rc = apply(r, PF_REDACT_F_HOST, in->hostname, n, NULL, 0, S_INFO_HOST, &o, &on);
        if (rc < 0)
            return rc;
        t.hostname = o; /* slots keep a NUL after the bytes */
    }
    if (in->comment) {
        rc = apply(r, PF_REDACT_F_TEXT, in->comment, strlen(in->comment), NULL, 0, S_INFO_COMMENT, &o, &on);
        if (rc < 0)
            return rc;
        t.comment = o;
    }
    map_uuid(r, in->uuid, t.uuid);
    map_uuid(r, in->series_uuid, t.series_uuid);
    struct pfc_buf *d = &r->buf[S_INFO_RED];
    pfc_buf_reset(d);
    if (in->redaction && *in->redaction) {
        rb_puts(d, in->redaction);
        rb_puts(d, "; ");
    }
    rb_puts(d, pf_redact_describe(r));
    if (d->err)
        return PF_E_NOMEM;
    t.redaction = d->p;
    *out = t;
    return 0;
}
