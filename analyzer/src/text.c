/* SPDX-License-Identifier: MIT */
/* Text helpers: the buffer's analyzer calls, safe escaping, units, time parsing. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pfa.h"

/* A common-library code in the analyzer's terms. */
static int from_common(int rc)
{
    switch (rc) {
    case 0: return 0;
    case PFC_E_NOMEM: return PF_E_NOMEM;
    case PFC_E_TOO_BIG: return PF_E_TOO_BIG;
    default: return PF_E_ARG;
    }
}

int pfa_buf_put(struct pfa_buf *b, const void *s, size_t n) { return from_common(pfc_buf_put(b, s, n)); }

int pfa_buf_printf(struct pfa_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = pfc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return from_common(rc);
}

void pfa_buf_free(struct pfa_buf *b) { pfc_buf_free(b); }

/* Length of the well-formed UTF-8 sequence at s (1..4) with its code
 * point in *out, or 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *out)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    *out = c;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *out = cp;
    return len;
}

/* C1 controls and bidi overrides can rewrite what a terminal shows. */
static int unsafe_cp(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Length of the valid, displayable UTF-8 sequence at s (1..4), or 0 if
 * invalid or unsafe. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned cp = 0;
    size_t len = utf8_decode(s, n, &cp);
    return len && !unsafe_cp(cp) ? len : 0;
}

int pfa_cp_width(unsigned cp)
{
    /* combining marks, zero-width joiners and variation selectors */
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
        (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x20d0 && cp <= 0x20ff))
        return 0;
    /* East Asian wide and fullwidth, and emoji: two terminal columns */
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
        (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
        (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
        (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

size_t pfa_utf8_next(const char *s, size_t n, unsigned *cp)
{
    size_t l = utf8_decode((const unsigned char *)s, n, cp);
    if (!l) {
        *cp = (unsigned char)s[0];
        return 1;
    }
    return l;
}

size_t pfa_escape(struct pfa_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t width = 0;
    size_t i = 0;
    while (i < n) {
        /* a run of printable ASCII goes out as it is, in one piece */
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x7f && u[run] != '\\')
            run++;
        if (run > i) {
            pfa_buf_put(b, u + i, run - i);
            width += run - i;
            i = run;
            continue;
        }
        size_t l = utf8_len(u + i, n - i);
        if (l == 1 && u[i] >= 0x20 && u[i] != 0x7f && u[i] != '\\') {
            pfa_buf_put(b, u + i, 1);
            width++;
        } else if (l == 1 && u[i] == '\\') {
            pfa_buf_put(b, "\\\\", 2);
            width += 2;
        } else if (l > 1) {
            unsigned cp = 0;
            utf8_decode(u + i, n - i, &cp);
            pfa_buf_put(b, u + i, l);
            width += (size_t)pfa_cp_width(cp);
        } else {
            /* control byte, or start of an invalid / unsafe sequence */
            size_t cnt = l ? l : 1;
            for (size_t k = 0; k < cnt; k++) {
                char tmp[5];
                snprintf(tmp, sizeof tmp, "\\x%02x", u[i + k]);
                pfa_buf_put(b, tmp, 4);
                width += 4;
            }
            i += cnt;
            continue;
        }
        i += l;
    }
    return width;
}

void pfa_escape_json(struct pfa_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_len(u + i, n - i);
        if (l == 1) {
            unsigned char c = u[i];
            if (c == '"' || c == '\\') {
                char t[2] = {'\\', (char)c};
                pfa_buf_put(b, t, 2);
            } else if (c < 0x20 || c == 0x7f) {
                pfa_buf_printf(b, "\\u%04x", c);
            } else {
                pfa_buf_put(b, &c, 1);
            }
            i++;
        } else if (l > 1) {
            pfa_buf_put(b, u + i, l);
            i += l;
        } else {
            unsigned cp = 0;
            size_t d = utf8_decode(u + i, n - i, &cp);
            if (d) {
                /* a C1 control or bidi override: exact, but never raw */
                pfa_buf_printf(b, "\\u%04x", cp);
                i += d;
            } else {
                /* JSON strings cannot hold raw bytes: show U+FFFD. */
                pfa_buf_put(b, "\\ufffd", 6);
                i++;
            }
        }
    }
}

/* Whole byte counts below 2^53 in integers: the same text as "%.1f" of
 * v / 1024^u (that quotient is exact; ties round to even as printf does),
 * without the cost of formatting a double. 0 when v is not such a count. */
static int human_bytes_int(char *buf, size_t n, double v, const char *const *units)
{
    if (!(v >= 0 && v < 9007199254740992.0) || v != (double)(uint64_t)v)
        return 0;
    uint64_t x = (uint64_t)v, div = 1;
    int u = 0;
    while (u < 5 && x / div >= 1024) {
        div *= 1024;
        u++;
    }
    uint64_t q = x * 10 / div, r = x * 10 % div;
    if (u && (2 * r > div || (2 * r == div && (q & 1))))
        q++;
    /* by hand: a table prints one per byte column per row */
    char digits[24];
    size_t nd = 0;
    uint64_t whole = u ? q / 10 : x;
    do {
        digits[nd++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    const char *unit = units[u];
    size_t ul = strlen(unit);
    if (nd + ul + 4 > n)
        return 0;
    char *o = buf;
    while (nd)
        *o++ = digits[--nd];
    if (u) {
        *o++ = '.';
        *o++ = (char)('0' + q % 10);
    }
    *o++ = ' ';
    memcpy(o, unit, ul + 1);
    return 1;
}

void pfa_human_bytes(char *buf, size_t n, double v)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (human_bytes_int(buf, n, v, units))
        return;
    int u = 0;
    double a = v < 0 ? -v : v;
    while (a >= 1024.0 && u < 5) {
        a /= 1024.0;
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%.0f B", v);
    else
        snprintf(buf, n, "%.1f %s", v, units[u]);
}

void pfa_format_time(char *buf, size_t n, int64_t ns, int utc)
{
    int64_t sec = ns / 1000000000;
    int64_t frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
        snprintf(buf, n, "%lld", (long long)ns);
        return;
    }
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    if (utc) {
        snprintf(buf, n, "%s.%03lldZ", date, (long long)(frac / 1000000));
    } else {
        char z[16];
        strftime(z, sizeof z, "%z", &tm);
        snprintf(buf, n, "%s.%03lld%s", date, (long long)(frac / 1000000), z);
    }
}

void pfa_format_duration(char *buf, size_t n, int64_t ns)
{
    double s = (double)ns / 1e9;
    if (ns < 0)
        snprintf(buf, n, "%lld ns", (long long)ns);
    else if (ns < 1000)
        snprintf(buf, n, "%lld ns", (long long)ns);
    else if (ns < 1000000)
        snprintf(buf, n, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, n, "%.1f ms", (double)ns / 1e6);
    else if (s < 120)
        snprintf(buf, n, "%.3f s", s);
    else if (s < 7200)
        snprintf(buf, n, "%.1f min", s / 60);
    else
        snprintf(buf, n, "%.1f h", s / 3600);
}

int pfa_parse_duration(const char *s, int64_t *ns)
{
    if (!s || !*s)
        return PFA_E_PARAM;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || v != v)
        return PFA_E_PARAM;
    double mul;
    if (!*end || !strcmp(end, "s"))
        mul = 1e9;
    else if (!strcmp(end, "ms"))
        mul = 1e6;
    else if (!strcmp(end, "us"))
        mul = 1e3;
    else if (!strcmp(end, "ns"))
        mul = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mul = 60e9;
    else if (!strcmp(end, "h"))
        mul = 3600e9;
    else if (!strcmp(end, "d"))
        mul = 86400e9;
    else
        return PFA_E_PARAM;
    double r = v * mul;
    if (r > 9.2e18)
        return PFA_E_PARAM;
    *ns = (int64_t)(r + 0.5);
    return 0;
}

/* Reads exactly `digits` decimal digits. */
static int take_num(const char **p, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += digits;
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int time_error(char *why, size_t n, const char *fmt, ...)
#if defined(__MINGW32__) && !defined(__clang__)
    __attribute__((format(gnu_printf, 3, 4)))
#elif defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int time_error(char *why, size_t n, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return PFA_E_PARAM;
}

static int leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : d[m - 1];
}

/* secs * 1e9 + frac, refused when it leaves the int64 range (years before
 * 1677 or after 2262). */
static int to_ns(int64_t secs, int64_t frac, int64_t *ns, const char *s, char *why, size_t n)
{
    int64_t v;
    if (__builtin_mul_overflow(secs, (int64_t)1000000000, &v) || __builtin_add_overflow(v, frac, &v))
        return time_error(why, n,
                          "'%s' is outside the times nanoseconds since 1970 can hold "
                          "(1677-09-21 to 2262-04-11)",
                          s);
    *ns = v;
    return 0;
}

/* "@SECONDS[.FRACTION]" as GNU date reads it: seconds since the epoch,
 * fraction down to nanoseconds. */
static int parse_epoch_seconds(const char *s, int64_t *ns, char *why, size_t n)
{
    const char *p = s + 1;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    size_t digits = strspn(p, "0123456789");
    if (!digits)
        return time_error(why, n, "'%s': @ needs seconds since 1970 (like @1714564800 or @1714564800.25)", s);
    int64_t secs = 0;
    for (size_t i = 0; i < digits; i++)
        if (__builtin_mul_overflow(secs, (int64_t)10, &secs) ||
            __builtin_add_overflow(secs, (int64_t)(p[i] - '0'), &secs))
            return to_ns(INT64_MAX, 0, ns, s, why, n);
    p += digits;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        size_t fd = strspn(p, "0123456789");
        if (!fd || fd > 9)
            return time_error(why, n, "'%s': the fraction after '.' needs 1 to 9 digits", s);
        for (size_t i = 0; i < 9; i++)
            frac = frac * 10 + (i < fd ? p[i] - '0' : 0);
        p += fd;
    }
    if (*p)
        return time_error(why, n, "'%s': @ needs seconds since 1970 (like @1714564800 or @1714564800.25)", s);
    int rc = to_ns(neg ? -secs : secs, neg ? -frac : frac, ns, s, why, n);
    return rc;
}

int pfa_parse_time_why(const char *s, int64_t base_ns, int utc, int64_t *ns, char *why, size_t whylen)
{
    if (!s || !*s)
        return time_error(why, whylen, "empty time");
    if (s[0] == '+' || s[0] == '-') {
        int64_t d;
        if (pfa_parse_duration(s + 1, &d))
            return time_error(why, whylen, "'%s': after %c comes a duration (like 90s, 5m, 1.5h)", s, s[0]);
        int64_t v;
        if (s[0] == '+' ? __builtin_add_overflow(base_ns, d, &v) : __builtin_sub_overflow(base_ns, d, &v))
            return to_ns(INT64_MAX, 0, ns, s, why, whylen);
        *ns = v;
        return 0;
    }
    if (s[0] == '@')
        return parse_epoch_seconds(s, ns, why, whylen);
    size_t len = strlen(s);
    if (len >= 11 && strspn(s, "0123456789") == len) {
        /* a raw *_ns value copied from the database */
        errno = 0;
        long long v = len > 19 ? 0 : strtoll(s, NULL, 10);
        if (len > 19 || errno)
            return to_ns(INT64_MAX, 0, ns, s, why, whylen);
        *ns = v;
        return 0;
    }
    static const char form[] = "ISO-8601 like 2024-05-01T12:00:00Z, +90s from the capture start, "
                               "@SECONDS since 1970, or nanoseconds";
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (take_num(&p, 4, &y) || *p++ != '-' || take_num(&p, 2, &mo) || *p++ != '-' || take_num(&p, 2, &d))
        return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
    int64_t frac = 0;
    int have_zone = 0;
    int64_t offset_s = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (take_num(&p, 2, &h) || *p++ != ':' || take_num(&p, 2, &mi))
            return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
        if (*p == ':') {
            p++;
            if (take_num(&p, 2, &se))
                return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
            if (*p == '.' || *p == ',') {
                p++;
                int digits = 0;
                while (isdigit((unsigned char)*p)) {
                    if (digits < 9) {
                        frac = frac * 10 + (*p - '0');
                        digits++;
                    }
                    p++;
                }
                if (!digits)
                    return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
                while (digits++ < 9)
                    frac *= 10;
            }
        }
    }
    if (*p == 'Z' || *p == 'z') {
        have_zone = 1;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om = 0;
        const char *zone = p;
        p++;
        if (take_num(&p, 2, &oh))
            return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
        if (*p == ':')
            p++;
        if (*p && take_num(&p, 2, &om))
            return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
        if (oh > 23 || om > 59)
            return time_error(why, whylen, "'%s': %s is not a UTC offset (-23:59 to +23:59)", s, zone);
        have_zone = 1;
        offset_s = sign * (oh * 3600 + om * 60);
    }
    if (*p)
        return time_error(why, whylen, "'%s' is not a time (%s)", s, form);
    if (mo < 1 || mo > 12)
        return time_error(why, whylen, "'%s': there is no month %02d", s, mo);
    if (d < 1 || d > days_in_month(y, mo))
        return time_error(why, whylen, "'%s': %04d-%02d has no day %02d", s, y, mo, d);
    if (h > 23 || mi > 59 || se > 60)
        return time_error(why, whylen, "'%s': %02d:%02d:%02d is not a time of day", s, h, mi, se);
    int64_t secs;
    if (have_zone || utc) {
        secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
    } else {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1)
            return time_error(why, whylen, "'%s' is not a local time this system can convert", s);
        secs = (int64_t)t;
    }
    return to_ns(secs, frac, ns, s, why, whylen);
}

int pfa_parse_time(const char *s, int64_t base_ns, int utc, int64_t *ns)
{
    return pfa_parse_time_why(s, base_ns, utc, ns, NULL, 0);
}
