/* SPDX-License-Identifier: MIT */
/* Helpers of the hostile-input tests (see hostile_util.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "hostile_util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int hu_failures;

void hu_figure(const char *test, const char *figure, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    printf("figure: %s: %s\n", figure, value);
    const char *dir = getenv("PF_FIGURES_DIR");
    if (!dir || !*dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tsv", dir, test);
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    fprintf(f, "hostile\t%s\t%s\n", figure, value);
    fclose(f);
}

char *hu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *p = malloc(cap + 1);
    while (p) {
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *np = realloc(p, cap * 2 + 1);
        if (!np) {
            free(p);
            p = NULL;
            break;
        }
        p = np;
        cap *= 2;
    }
    fclose(f);
    if (p) {
        p[n] = 0;
        if (len)
            *len = n;
    }
    return p;
}

int hu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int bad = len && fwrite(data, 1, len, f) != len;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

#define LAUNCH "--hostile-launch"

/* This program's path (readlink, not exec of /proc/self/exe, which names
 * the tool's own binary when the test runs under valgrind). */
static char self_path[4096];

void hu_launcher(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    self_path[n > 0 ? n : 0] = 0;
    if (argc < 4 || strcmp(argv[1], LAUNCH))
        return;
    pid_t pid = fork();
    if (pid < 0)
        _exit(125);
    if (pid == 0) {
        execv(argv[3], argv + 3);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        _exit(125);
    FILE *f = fopen(argv[2], "w");
    if (f) {
        fprintf(f, "%ld\n", (long)ru.ru_maxrss);
        fclose(f);
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
}

int hu_run(const char *workdir, char *const argv[], struct hu_run *r)
{
    memset(r, 0, sizeof *r);
    char out[4096], err[4096], rss[4096];
    snprintf(out, sizeof out, "%s/child.out", workdir);
    snprintf(err, sizeof err, "%s/child.err", workdir);
    snprintf(rss, sizeof rss, "%s/child.rss", workdir);
    remove(rss);
    size_t n = 0;
    while (argv[n])
        n++;
    char **la = calloc(n + 4, sizeof *la);
    if (!la)
        return -1;
    la[0] = "hostile-launcher";
    la[1] = LAUNCH;
    la[2] = rss;
    for (size_t i = 0; i < n; i++)
        la[3 + i] = argv[i];
    fflush(NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        free(la);
        return -1;
    }
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        close(o);
        close(e);
        execv(self_path[0] ? self_path : "/proc/self/exe", la);
        _exit(127);
    }
    free(la);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    char *m = hu_read_file(rss, NULL);
    r->maxrss_kib = m ? strtol(m, NULL, 10) : -1; /* KiB on Linux */
    free(m);
    r->out = hu_read_file(out, &r->out_len);
    r->err = hu_read_file(err, &r->err_len);
    if (!r->out || !r->err || r->maxrss_kib < 0) {
        hu_run_free(r);
        return -1;
    }
    return 0;
}

void hu_run_free(struct hu_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

const char *hu_find(const char *hay, size_t n, const char *needle, size_t m)
{
    if (!m)
        return hay;
    for (size_t i = 0; i + m <= n; i++) {
        const char *p = memchr(hay + i, needle[0], n - m + 1 - i);
        if (!p)
            return NULL;
        i = (size_t)(p - hay);
        if (!memcmp(p, needle, m))
            return p;
    }
    return NULL;
}

size_t hu_count(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle), c = 0;
    const char *p = hay, *end = hay + n;
    while ((p = hu_find(p, (size_t)(end - p), needle, m))) {
        c++;
        p += m ? m : 1;
    }
    return c;
}

/* Length of the well-formed UTF-8 sequence at s with its code point; 0 when
 * malformed (overlong, surrogate, past U+10FFFF, cut). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (!len || len > n)
        return 0;
    unsigned v = len == 1 ? c : c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

size_t hu_unsafe_at(const char *s, size_t n, int allow_tab)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t l = utf8_seq(u + i, n - i, &cp);
        if (!l)
            return i;
        if ((cp < 0x20 && cp != '\n' && !(allow_tab && cp == '\t')) || (cp >= 0x7f && cp <= 0x9f) ||
            (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
            return i;
        i += l;
    }
    return (size_t)-1;
}

/* ------------------------------------------------------------ JSON */

struct jp {
    const unsigned char *p, *end;
    int depth;
};

static void ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hexd(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int jstring(struct jp *j)
{
    if (j->p >= j->end || *j->p != '"')
        return 0;
    j->p++;
    while (j->p < j->end) {
        unsigned c = *j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (j->end - j->p < 2)
                return 0;
            unsigned e = j->p[1];
            if (e == 'u') {
                if (j->end - j->p < 6 || !hexd(j->p[2]) || !hexd(j->p[3]) || !hexd(j->p[4]) || !hexd(j->p[5]))
                    return 0;
                j->p += 6;
            } else if (strchr("\"\\/bfnrt", (int)e) && e) {
                j->p += 2;
            } else {
                return 0;
            }
            continue;
        }
        unsigned cp;
        size_t l = utf8_seq(j->p, (size_t)(j->end - j->p), &cp);
        if (!l)
            return 0;
        j->p += l;
    }
    return 0;
}

static int jvalue(struct jp *j);

static int jnumber(struct jp *j)
{
    const unsigned char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end)
        return 0;
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    } else {
        return 0;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > s;
}

static int jword(struct jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
        return 0;
    j->p += n;
    return 1;
}

static int jcontainer(struct jp *j, int obj)
{
    if (++j->depth > 64)
        return 0;
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
        j->p++;
        j->depth--;
        return 1;
    }
    for (;;) {
        ws(j);
        if (obj) {
            if (!jstring(j))
                return 0;
            ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                return 0;
        }
        if (!jvalue(j))
            return 0;
        ws(j);
        if (j->p >= j->end)
            return 0;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != (obj ? '}' : ']'))
            return 0;
        j->p++;
        j->depth--;
        return 1;
    }
}

static int jvalue(struct jp *j)
{
    ws(j);
    if (j->p >= j->end)
        return 0;
    switch (*j->p) {
    case '{': return jcontainer(j, 1);
    case '[': return jcontainer(j, 0);
    case '"': return jstring(j);
    case 't': return jword(j, "true");
    case 'f': return jword(j, "false");
    case 'n': return jword(j, "null");
    default: return jnumber(j);
    }
}

int hu_json_valid(const char *s, size_t n)
{
    struct jp j = {(const unsigned char *)s, (const unsigned char *)s + n, 0};
    if (!jvalue(&j))
        return 0;
    ws(&j);
    return j.p == j.end;
}

/* ------------------------------------------------------------ CSV */

int hu_csv_fields(const char *line, size_t n, int field, char *out, size_t outlen)
{
    int nf = 0;
    size_t i = 0, o = 0;
    if (out && outlen)
        out[0] = 0;
    for (;;) {
        int mine = nf == field && out && outlen;
        if (i < n && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return -1; /* unterminated */
                if (line[i] == '"') {
                    if (i + 1 < n && line[i + 1] == '"') {
                        if (mine && o + 1 < outlen)
                            out[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (mine && o + 1 < outlen)
                    out[o++] = line[i];
                i++;
            }
            if (i < n && line[i] != ',')
                return -1; /* text after the closing quote */
        } else {
            while (i < n && line[i] != ',') {
                if (line[i] == '"')
                    return -1; /* a quote inside an unquoted field */
                if (mine && o + 1 < outlen)
                    out[o++] = line[i];
                i++;
            }
        }
        if (mine)
            out[o] = 0;
        nf++;
        if (i >= n)
            return nf;
        i++; /* the comma */
    }
}
