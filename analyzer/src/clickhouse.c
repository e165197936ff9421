/* SPDX-License-Identifier: MIT */
/* ClickHouse over HTTP with libcurl, and the exactly-once loader of
 * captures (see clickhouse.h). */
#define _GNU_SOURCE /* memmem */
#include "clickhouse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "embedded.h"

extern const struct pf_embedded_file pfa_ch_schema_files[];
extern const size_t pfa_ch_schema_files_count;
extern const struct pf_embedded_file pfa_ch_sql_files[];
extern const size_t pfa_ch_sql_files_count;

#define INSERT_BATCH_BYTES (16u << 20) /* one POST carries about this much TSV */
#define MUTATION_WAIT_S 120
#define SCHEMA_CAPTURE_END 4 /* the first version with tables written at the end of a load */

struct pfa_ch {
    struct pfa_ch_target t;
    char name[PFA_CH_MAX_HOSTS][300]; /* host:port */
    char base[PFA_CH_MAX_HOSTS][600]; /* http://host:port/ */
    CURL *curl;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int finish_loaded_captures(pfa_ch *c, int64_t have, char *err, size_t errlen);

/* ------------------------------------------------------------ target */

int pfa_ch_is_url(const char *s) { return s && strncmp(s, "clickhouse://", 13) == 0; }

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copies s[0..n) percent-decoded into out; -1 when it does not fit or a
 * %XX is malformed. */
static int copy_decoded(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (o + 1 >= cap || c == 0)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static int read_password_file(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        set_err(err, errlen, "%s: cannot open the password file: %s", path, strerror(errno));
        return PFA_E_PARAM;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s: the password file is not a regular file", path);
        close(fd);
        return PFA_E_PARAM;
    }
    if (st.st_mode & 077) {
        set_err(err, errlen, "%s: the password file can be read by others (mode %03o); chmod 600 it", path,
                (unsigned)(st.st_mode & 0777));
        close(fd);
        return PFA_E_PARAM;
    }
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n < 0) {
        set_err(err, errlen, "%s: cannot read the password file: %s", path, strerror(errno));
        return PFA_E_PARAM;
    }
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/* One "host[:port]" or "[v6]:port" of the address. */
static int parse_host(const char *p, const char *hend, char host[256], unsigned *port_out, char *err, size_t errlen)
{
    const char *port = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(hend - p));
        if (!rb) {
            set_err(err, errlen, "clickhouse address: unclosed '[' in a host");
            return PFA_E_PARAM;
        }
        if ((size_t)(rb - p + 1) >= 256) {
            set_err(err, errlen, "clickhouse address: a host is too long");
            return PFA_E_PARAM;
        }
        memcpy(host, p, (size_t)(rb - p + 1));
        host[rb - p + 1] = '\0';
        if (rb + 1 < hend && rb[1] == ':')
            port = rb + 2;
        else if (rb + 1 != hend) {
            set_err(err, errlen, "clickhouse address: unexpected text after ']'");
            return PFA_E_PARAM;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(hend - p));
        size_t hlen = colon ? (size_t)(colon - p) : (size_t)(hend - p);
        if (hlen >= 256) {
            set_err(err, errlen, "clickhouse address: a host is too long");
            return PFA_E_PARAM;
        }
        memcpy(host, p, hlen);
        host[hlen] = '\0';
        if (colon)
            port = colon + 1;
    }
    if (!host[0]) {
        set_err(err, errlen, "clickhouse address: an empty host (clickhouse://[user[:password]@]host[:port]/database)");
        return PFA_E_PARAM;
    }
    for (const char *h = host; *h; h++)
        if ((unsigned char)*h <= ' ' || *h == '/' || *h == '?' || *h == '#' || *h == '@') {
            set_err(err, errlen, "clickhouse address: a host has a character that cannot be in a host name");
            return PFA_E_PARAM;
        }
    *port_out = 8123;
    if (port) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(port, &end, 10);
        if (end != hend || end == port || errno || v == 0 || v > 65535) {
            set_err(err, errlen, "clickhouse address: '%.*s' is not a port (1-65535)", (int)(hend - port), port);
            return PFA_E_PARAM;
        }
        *port_out = (unsigned)v;
    }
    return 0;
}

int pfa_ch_parse_url(const char *url, const char *password_file, struct pfa_ch_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (!pfa_ch_is_url(url)) {
        set_err(err, errlen, "not a clickhouse:// address");
        return PFA_E_PARAM;
    }
    const char *p = url + 13;
    const char *slash = strchr(p, '/');
    const char *auth_end = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
    int have_password = 0;
    if (auth_end) {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        size_t ulen = colon ? (size_t)(colon - p) : (size_t)(auth_end - p);
        if (copy_decoded(t->user, sizeof t->user, p, ulen)) {
            set_err(err, errlen, "clickhouse address: the user name is malformed or too long");
            return PFA_E_PARAM;
        }
        if (colon) {
            if (copy_decoded(t->password, sizeof t->password, colon + 1, (size_t)(auth_end - colon - 1))) {
                set_err(err, errlen, "clickhouse address: the password is malformed or too long");
                return PFA_E_PARAM;
            }
            have_password = 1;
        }
        p = auth_end + 1;
    }
    const char *hend = slash ? slash : p + strlen(p);
    while (p < hend) {
        if (t->nhosts == PFA_CH_MAX_HOSTS) {
            set_err(err, errlen, "clickhouse address: more than %d hosts", PFA_CH_MAX_HOSTS);
            return PFA_E_PARAM;
        }
        const char *comma = memchr(p, ',', (size_t)(hend - p));
        const char *one_end = comma ? comma : hend;
        int rc = parse_host(p, one_end, t->host[t->nhosts], &t->port[t->nhosts], err, errlen);
        if (rc)
            return rc;
        t->nhosts++;
        p = comma ? comma + 1 : hend;
    }
    if (!t->nhosts) {
        set_err(err, errlen, "clickhouse address: no host (clickhouse://[user[:password]@]host[:port]/database)");
        return PFA_E_PARAM;
    }
    const char *db = slash ? slash + 1 : "";
    size_t dblen = strcspn(db, "?#");
    const char *q = db[dblen] == '?' ? db + dblen + 1 : NULL;
    if (q) {
        size_t qlen = strcspn(q, "#");
        if (qlen < 8 || strncmp(q, "cluster=", 8) != 0 || qlen - 8 >= sizeof t->cluster || qlen == 8) {
            set_err(err, errlen, "clickhouse address: the only option is ?cluster=NAME, not '%.*s'", (int)qlen, q);
            return PFA_E_PARAM;
        }
        memcpy(t->cluster, q + 8, qlen - 8);
        for (const char *k = t->cluster; *k; k++)
            if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_')) {
                set_err(err, errlen, "clickhouse address: cluster '%s' (letters, digits and _ only)", t->cluster);
                return PFA_E_PARAM;
            }
    } else if (t->nhosts > 1) {
        set_err(err, errlen,
                "clickhouse address: several hosts need ?cluster=NAME (the cluster they are the shards of)");
        return PFA_E_PARAM;
    }
    if (!dblen) {
        db = "default";
        dblen = 7;
    }
    if (dblen >= sizeof t->database) {
        set_err(err, errlen, "clickhouse address: the database name is too long");
        return PFA_E_PARAM;
    }
    for (size_t i = 0; i < dblen; i++) {
        char c = db[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            set_err(err, errlen, "clickhouse address: database '%.*s' (letters, digits and _ only)", (int)dblen, db);
            return PFA_E_PARAM;
        }
    }
    memcpy(t->database, db, dblen);
    if (!t->user[0])
        snprintf(t->user, sizeof t->user, "default");
    if (!have_password) {
        if (password_file) {
            int rc = read_password_file(password_file, t->password, sizeof t->password, err, errlen);
            if (rc)
                return rc;
        } else {
            const char *env = getenv("PROCFLOW_CH_PASSWORD");
            if (env && strlen(env) < sizeof t->password)
                snprintf(t->password, sizeof t->password, "%s", env);
        }
    }
    return 0;
}

/* ------------------------------------------------------------ HTTP */

int pfa_ch_open(pfa_ch **out, const struct pfa_ch_target *t, char *err, size_t errlen)
{
    *out = NULL;
    static int curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            set_err(err, errlen, "clickhouse: the HTTP library could not start");
            return PFA_E_CH;
        }
        curl_ready = 1;
    }
    pfa_ch *c = calloc(1, sizeof *c);
    if (!c)
        return PF_E_NOMEM;
    c->t = *t;
    for (unsigned i = 0; i < t->nhosts; i++) {
        snprintf(c->name[i], sizeof c->name[i], "%s:%u", t->host[i], t->port[i]);
        snprintf(c->base[i], sizeof c->base[i], "http://%s:%u/", t->host[i], t->port[i]);
    }
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        set_err(err, errlen, "clickhouse: the HTTP library could not start");
        return PFA_E_CH;
    }
    *out = c;
    return 0;
}

void pfa_ch_close(pfa_ch *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    /* the password does not outlive the connection */
    memset(c->t.password, 0, sizeof c->t.password);
    free(c);
}

const struct pfa_ch_target *pfa_ch_target_of(const pfa_ch *c) { return &c->t; }

const char *pfa_ch_name(const pfa_ch *c) { return c ? c->name[0] : ""; }

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct pfa_buf *b = ctx;
    size_t len = size * n;
    return pfa_buf_put(b, data, len) ? 0 : len;
}

void pfa_ch_server_message(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = len;
    const char *s = text ? text : "";
    const char *cut = memmem(s, n, ", e.what()", 10);
    if (cut)
        n = (size_t)(cut - s);
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (char)(c < ' ' || c == 127 ? ' ' : c);
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* POSTs body to host number `at`; `query` (may be NULL) goes into the URL. */
static int request_with(pfa_ch *c, unsigned at, const char *settings, const char *query, const char *body, size_t len,
                        struct pfa_buf *out, char *err, size_t errlen)
{
    struct pfa_buf url = {0}, resp = {0};
    int rc = 0;
    /* Statements name their database themselves (it may not exist yet). */
    if (pfa_buf_printf(&url, "%s?insert_distributed_sync=1%s%s", c->base[at], settings ? "&" : "",
                       settings ? settings : "")) {
        rc = PF_E_NOMEM;
        goto cleanup;
    }
    if (query) {
        char *q = curl_easy_escape(c->curl, query, 0);
        if (!q || pfa_buf_printf(&url, "&query=%s", q)) {
            curl_free(q);
            rc = PF_E_NOMEM;
            goto cleanup;
        }
        curl_free(q);
    }
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url.p);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, c->t.user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, c->t.password);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out ? out : &resp);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    size_t before = out ? out->len : 0;
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        set_err(err, errlen, "clickhouse %s: %s", c->name[at], curl_easy_strerror(cc));
        rc = PFA_E_CH;
        goto cleanup;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        char msg[400];
        struct pfa_buf view = {0};
        if (out) {
            view.p = out->p + before;
            view.len = out->len - before;
        } else {
            view = resp;
        }
        pfa_ch_server_message(view.p, view.len, msg, sizeof msg);
        set_err(err, errlen, "clickhouse %s: HTTP %ld: %s", c->name[at], status, msg[0] ? msg : "(no message)");
        if (out)
            out->len = before;
        rc = PFA_E_CH;
    }
cleanup:
    pfa_buf_free(&url);
    pfa_buf_free(&resp);
    return rc;
}

static int request(pfa_ch *c, unsigned at, const char *query, const char *body, size_t len, struct pfa_buf *out,
                   char *err, size_t errlen)
{
    return request_with(c, at, NULL, query, body, len, out, err, errlen);
}

int pfa_ch_select(pfa_ch *c, const char *sql, const char *settings, struct pfa_buf *out, char *err, size_t errlen)
{
    return request_with(c, 0, settings, NULL, sql, strlen(sql), out, err, errlen);
}

int pfa_ch_exec(pfa_ch *c, const char *sql, struct pfa_buf *out, char *err, size_t errlen)
{
    return request(c, 0, NULL, sql, strlen(sql), out, err, errlen);
}

int pfa_ch_exec_at(pfa_ch *c, unsigned at, const char *sql, struct pfa_buf *out, char *err, size_t errlen)
{
    if (at >= c->t.nhosts) {
        set_err(err, errlen, "clickhouse %s: no host number %u", c->name[0], at);
        return PFA_E_PARAM;
    }
    return request(c, at, NULL, sql, strlen(sql), out, err, errlen);
}

int pfa_ch_query_int(pfa_ch *c, const char *sql, int64_t *v, char *err, size_t errlen)
{
    struct pfa_buf b = {0};
    int rc = pfa_ch_exec(c, sql, &b, err, errlen);
    if (!rc) {
        char *end;
        errno = 0;
        long long x = b.p ? strtoll(b.p, &end, 10) : 0;
        if (!b.p || end == b.p || errno) {
            set_err(err, errlen, "clickhouse %s: expected a number from: %.80s", c->name[0], sql);
            rc = PFA_E_CH;
        } else {
            *v = x;
        }
    }
    pfa_buf_free(&b);
    return rc;
}

int pfa_ch_insert_tsv(pfa_ch *c, const char *table, const char *tsv, size_t len, char *err, size_t errlen)
{
    char q[400];
    snprintf(q, sizeof q, "INSERT INTO %s.%s FORMAT TabSeparated", c->t.database, table);
    return request(c, 0, q, tsv, len, NULL, err, errlen);
}

int pfa_ch_tsv_text(struct pfa_buf *b, const char *s, size_t n)
{
    if (!s)
        return pfa_buf_put(b, "\\N", 2);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\0': esc = "\\0"; break;
        default: break;
        }
        if (!esc)
            continue;
        if (pfa_buf_put(b, s + run, i - run) || pfa_buf_put(b, esc, 2))
            return PF_E_NOMEM;
        run = i + 1;
    }
    return pfa_buf_put(b, s + run, n - run);
}

/* ------------------------------------------------------------ schema */

/* One statement of an embedded DDL file with {db} and {engine_suffix}
 * replaced, comments dropped; *has_sql when anything but blanks is left. */
static int expand_ddl(pfa_ch *c, const char *p, size_t n, const char *suffix, struct pfa_buf *stmt, int *has_sql)
{
    int rc = 0;
    stmt->len = 0;
    *has_sql = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (p[i] == '-' && i + 1 < n && p[i + 1] == '-') { /* comment to end of line */
            while (i < n && p[i] != '\n')
                i++;
            continue;
        }
        if (p[i] == '{' && strncmp(p + i, "{db}", 4) == 0) {
            rc = pfa_buf_printf(stmt, "%s", c->t.database);
            i += 3;
        } else if (p[i] == '{' && strncmp(p + i, "{engine_suffix}", 15) == 0) {
            rc = pfa_buf_printf(stmt, "%s", suffix);
            i += 14;
        } else {
            if (p[i] > ' ')
                *has_sql = 1;
            rc = pfa_buf_put(stmt, p + i, 1);
        }
    }
    if (!rc)
        rc = pfa_buf_put(stmt, "", 1);
    return rc;
}

/* The word after `lead` in the statement (a table or column name), or "". */
static void word_after(const char *stmt, const char *lead, char *out, size_t cap)
{
    out[0] = '\0';
    const char *a = strstr(stmt, lead);
    if (!a)
        return;
    a += strlen(lead);
    size_t len = strcspn(a, "{ (\n");
    if (len && len < cap) {
        memcpy(out, a, len);
        out[len] = '\0';
    }
}

/* Runs one expanded statement on server `at`. ClickHouse 18.16 has no ADD
 * COLUMN IF NOT EXISTS: an ADD COLUMN whose column the table has is skipped
 * (a migration an interrupted or concurrent run already made), and so is
 * one refused because the column exists (Code 44: a loader at the same time). */
static int run_statement(pfa_ch *c, unsigned at, const char *stmt, char *err, size_t errlen)
{
    int add_column = strncmp(stmt + strspn(stmt, " \n\t"), "ALTER TABLE", 11) == 0 && strstr(stmt, " ADD COLUMN ");
    if (add_column) {
        char table[80], column[80], lead[160], sql[600];
        snprintf(lead, sizeof lead, "ALTER TABLE %s.", c->t.database);
        word_after(stmt, lead, table, sizeof table);
        word_after(stmt, " ADD COLUMN ", column, sizeof column);
        if (table[0] && column[0]) {
            snprintf(sql, sizeof sql,
                     "SELECT count() FROM system.columns WHERE database = '%s' AND table = '%s' AND name = '%s'",
                     c->t.database, table, column);
            struct pfa_buf b = {0};
            int rc = request(c, at, NULL, sql, strlen(sql), &b, err, errlen);
            int have = !rc && b.p && strtol(b.p, NULL, 10) > 0;
            pfa_buf_free(&b);
            if (rc || have)
                return rc;
        }
    }
    int rc = request(c, at, NULL, stmt, strlen(stmt), NULL, err, errlen);
    if (rc && add_column && strstr(err, "Code: 44,")) /* another loader added it meanwhile */
        rc = 0;
    return rc;
}

/* Runs every statement of an embedded DDL file on server `at`. Not
 * clustered: {engine_suffix} is empty. On a cluster every shard
 * holds its part of table NAME in NAME_local, and NAME is a Distributed
 * table over them that spreads rows by host (one host's data stays on one
 * shard): a CREATE TABLE makes both, an ALTER TABLE changes both. */
static int run_ddl(pfa_ch *c, unsigned at, const char *text, int clustered, char *err, size_t errlen)
{
    struct pfa_buf stmt = {0};
    int rc = 0;
    const char *p = text;
    char lead[200], name[64], sql[1200];
    while (*p && !rc) {
        const char *end = strstr(p, ";\n");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int has_sql = 0;
        rc = expand_ddl(c, p, n, clustered ? "_local" : "", &stmt, &has_sql);
        if (!rc && has_sql)
            rc = run_statement(c, at, stmt.p, err, errlen);
        int per_shard = memmem(p, n, "{engine_suffix}", 15) != NULL;
        if (!rc && has_sql && clustered && per_shard) {
            snprintf(lead, sizeof lead, "CREATE TABLE IF NOT EXISTS %s.", c->t.database);
            word_after(stmt.p, lead, name, sizeof name);
            if (name[0] && strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_local") == 0) {
                name[strlen(name) - 6] = '\0';
                snprintf(sql, sizeof sql,
                         "CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s_local ENGINE = Distributed(%s, %s, %s_local, "
                         "cityHash64(%s))",
                         c->t.database, name, c->t.database, name, c->t.cluster, c->t.database, name,
                         strcmp(name, "meta") == 0 ? "key" : "host");
                rc = request(c, at, NULL, sql, strlen(sql), NULL, err, errlen);
            } else if (strncmp(stmt.p + strspn(stmt.p, " \n\t"), "ALTER TABLE", 11) == 0) {
                rc = expand_ddl(c, p, n, "", &stmt, &has_sql);
                if (!rc)
                    rc = run_statement(c, at, stmt.p, err, errlen);
            }
        }
        p = end ? end + 2 : p + n;
    }
    pfa_buf_free(&stmt);
    return rc;
}

/* Schema files are numbered from 1 and run in order; the store's
 * schema_version says how many it has. A file it has is not run again (an
 * ALTER cannot be repeated); the version is written after all of them ran,
 * so an interrupted migration runs again from its first file not recorded. */
int pfa_ch_create_schema(pfa_ch *c, char *err, size_t errlen)
{
    char sql[1200];
    int clustered = c->t.cluster[0] != 0;
    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", c->t.database);
    int rc = 0;
    for (unsigned h = 0; !rc && h < (clustered ? c->t.nhosts : 1); h++)
        rc = request(c, h, NULL, sql, strlen(sql), NULL, err, errlen);
    int64_t have = 0, meta = 0;
    if (!rc) {
        snprintf(sql, sizeof sql, "SELECT count() FROM system.tables WHERE database = '%s' AND name = 'meta'",
                 c->t.database);
        rc = pfa_ch_query_int(c, sql, &meta, err, errlen);
    }
    if (!rc && meta) {
        /* the newest version row wins (a store made by an older procflow has an older one) */
        snprintf(sql, sizeof sql,
                 "SELECT ifNull(max(toInt64OrZero(value)), 0) FROM %s.meta WHERE key = 'schema_version'",
                 c->t.database);
        rc = pfa_ch_query_int(c, sql, &have, err, errlen);
    }
    if (!rc && have > (int64_t)pfa_ch_schema_files_count) { /* its tables have columns this loader lacks */
        set_err(err, errlen,
                "clickhouse %s: the store %s has schema version %lld, this procflow knows %zu (a newer "
                "procflow is needed)",
                c->name[0], c->t.database, (long long)have, pfa_ch_schema_files_count);
        rc = PFA_E_CH;
    }
    for (size_t i = 0; !rc && i < pfa_ch_schema_files_count; i++) {
        if ((int64_t)i < have)
            continue;
        for (unsigned h = 0; !rc && h < (clustered ? c->t.nhosts : 1); h++)
            rc = run_ddl(c, h, pfa_ch_schema_files[i].data, clustered, err, errlen);
    }
    if (!rc && have > 0 && have < (int64_t)pfa_ch_schema_files_count && pfa_ch_schema_files_count >= SCHEMA_CAPTURE_END)
        rc = finish_loaded_captures(c, have, err, errlen);
    if (!rc && have < (int64_t)pfa_ch_schema_files_count) {
        snprintf(sql, sizeof sql, "INSERT INTO %s.meta VALUES ('schema_version', '%zu')", c->t.database,
                 pfa_ch_schema_files_count);
        rc = pfa_ch_exec(c, sql, NULL, err, errlen);
    }
    int codecs_now = 0; /* newer servers only (ch_retain.c) */
    if (!rc)
        rc = pfa_ch_apply_codecs(c, &codecs_now, err, errlen);
    return rc;
}

/* ------------------------------------------------------------ loading */

/* The global capture id: the first 16 hex digits of the UUID. */
static int global_id(const char *uuid, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;
    for (const char *p = uuid; *p && digits < 16; p++) {
        if (*p == '-')
            continue;
        int h = hexval(*p);
        if (h < 0)
            return -1;
        v = v << 4 | (uint64_t)h;
        digits++;
    }
    if (digits < 16)
        return -1;
    *out = v;
    return 0;
}

/* The copy statement of each table (analyzer/sql/clickhouse-copy.sql),
 * found by its "-- table: NAME" line; returns its text up to the ';'. */
static int copy_sql(const char *table, const char **sql, size_t *len)
{
    const char *text = pfa_ch_sql_files[0].data;
    char mark[80];
    snprintf(mark, sizeof mark, "-- table: %s\n", table);
    const char *p = strstr(text, mark);
    if (!p)
        return -1;
    p += strlen(mark);
    const char *end = strchr(p, ';');
    if (!end)
        return -1;
    *sql = p;
    *len = (size_t)(end - p);
    return 0;
}

static const char *const load_order[] = {"processes", "flows", "bytes",    "bytes_rollup", "snapshots", "losses",
                                         "damage",    "dns",   "hostinfo", "markers",      "captures"};

/* The tables of schema/clickhouse/004: summed at insert by materialized
 * views on the tables above; and those of 004 and later written when a
 * capture's rows are in (pfa_ch_finish_capture), with the version that
 * added each. An interrupted load's rows go from them too. */
static const char *const summed_tables[] = {"process_totals", "remote_totals", "process_buckets"};
static const struct {
    const char *table;
    int64_t version;
} capture_end_tables[] = {
    {"timeline_ranked", 4}, {"process_ranked", 4}, {"remote_comms", 4},
    {"udp_peers", 4},       {"remote_first", 5},   {"endpoint_owners", 5},
};

static int count_rows(pfa_ch *c, const char *table, uint64_t gid, int64_t *n, char *err, size_t errlen)
{
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count() FROM %s.%s WHERE capture_id = %llu", c->t.database, table,
             (unsigned long long)gid);
    return pfa_ch_query_int(c, sql, n, err, errlen);
}

/* Removes the rows an interrupted load left and waits until they are gone
 * (mutations run in the background). */
static int remove_leftovers(pfa_ch *c, const char *table, uint64_t gid, char *err, size_t errlen)
{
    char sql[400];
    int clustered = c->t.cluster[0] != 0;
    snprintf(sql, sizeof sql, "ALTER TABLE %s.%s%s DELETE WHERE capture_id = %llu", c->t.database, table,
             clustered ? "_local" : "", (unsigned long long)gid);
    int rc = 0;
    /* mutations do not pass through a Distributed table: each shard's own */
    for (unsigned h = 0; !rc && h < (clustered ? c->t.nhosts : 1); h++)
        rc = request(c, h, NULL, sql, strlen(sql), NULL, err, errlen);
    for (int i = 0; !rc && i < MUTATION_WAIT_S * 10; i++) {
        int64_t left = 0;
        rc = count_rows(c, table, gid, &left, err, errlen);
        if (rc || left == 0)
            return rc;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    if (!rc) {
        set_err(err, errlen, "clickhouse %s: rows of an interrupted load in %s were not removed within %d s",
                c->name[0], table, MUTATION_WAIT_S);
        rc = PFA_E_CH;
    }
    return rc;
}

/* Whether the answer `b` has a line that is `name`. */
static int has_line(const struct pfa_buf *b, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = b->p, *end = b->p + b->len; p && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len == n && !memcmp(p, name, n))
            return 1;
        p += len + 1;
    }
    return 0;
}

/* Removes capture `gid`'s rows from `table` if it has any (*found set). */
static int clear_capture(pfa_ch *c, const char *table, uint64_t gid, int *found, char *err, size_t errlen)
{
    int64_t n = 0;
    int rc = count_rows(c, table, gid, &n, err, errlen);
    if (!rc && n > 0) {
        *found = 1;
        rc = remove_leftovers(c, table, gid, err, errlen);
    }
    return rc;
}

static int append_value(struct pfa_buf *b, sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return pfa_buf_put(b, "\\N", 2);
    case SQLITE_INTEGER: return pfa_buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, col));
    case SQLITE_FLOAT: return pfa_buf_printf(b, "%.17g", sqlite3_column_double(st, col));
    default: {
        const char *s = (const char *)sqlite3_column_text(st, col);
        return pfa_ch_tsv_text(b, s ? s : "", (size_t)sqlite3_column_bytes(st, col));
    }
    }
}

static int copy_table(pfa_ch *c, sqlite3 *db, const char *table, int64_t cid, const char *host, uint64_t gid,
                      uint64_t *rows, char *err, size_t errlen)
{
    const char *sql;
    size_t len;
    if (copy_sql(table, &sql, &len)) {
        set_err(err, errlen, "clickhouse: no copy statement for table %s", table);
        return PFA_E_CH;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, (int)len, &st, NULL) != SQLITE_OK) {
        set_err(err, errlen, "copy %s: %s", table, sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":cid"), cid);
    struct pfa_buf b = {0}, prefix = {0};
    int rc = pfa_ch_tsv_text(&prefix, host, strlen(host));
    if (!rc)
        rc = pfa_buf_printf(&prefix, "\t%llu", (unsigned long long)gid);
    int ncol = sqlite3_column_count(st);
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = pfa_buf_put(&b, prefix.p, prefix.len);
        for (int i = 0; !rc && i < ncol; i++) {
            rc = pfa_buf_put(&b, "\t", 1);
            if (!rc)
                rc = append_value(&b, st, i);
        }
        if (!rc)
            rc = pfa_buf_put(&b, "\n", 1);
        (*rows)++;
        if (!rc && b.len >= INSERT_BATCH_BYTES) {
            rc = pfa_ch_insert_tsv(c, table, b.p, b.len, err, errlen);
            b.len = 0;
        }
    }
    if (!rc && step != SQLITE_DONE) {
        set_err(err, errlen, "copy %s: %s", table, sqlite3_errmsg(db));
        rc = PFA_E_SQL;
    }
    if (!rc && b.len)
        rc = pfa_ch_insert_tsv(c, table, b.p, b.len, err, errlen);
    if (rc == PF_E_NOMEM)
        set_err(err, errlen, "copy %s: out of memory", table);
    sqlite3_finalize(st);
    pfa_buf_free(&b);
    pfa_buf_free(&prefix);
    return rc;
}

static int64_t sqlite_meta_int(sqlite3 *db, const char *key)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* The store has one time bucket (reports re-aggregate from it, as in a
 * SQLite database): the first load sets it, a capture ingested with another
 * one is refused. */
static int same_bucket(pfa_ch *c, int64_t bucket, int64_t rollup, char *err, size_t errlen)
{
    int64_t have = 0;
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT ifNull(max(toInt64OrZero(value)), 0) FROM %s.meta WHERE key = 'bucket_ns'",
             c->t.database);
    int rc = pfa_ch_query_int(c, sql, &have, err, errlen);
    if (rc || bucket <= 0)
        return rc;
    if (!have) {
        snprintf(sql, sizeof sql, "INSERT INTO %s.meta VALUES ('bucket_ns', '%lld'), ('rollup_ns', '%lld')",
                 c->t.database, (long long)bucket, (long long)rollup);
        return pfa_ch_exec(c, sql, NULL, err, errlen);
    }
    if (have != bucket) {
        set_err(err, errlen, "clickhouse %s: the store's time bucket is %lld ns, the capture's %lld ns (--bucket)",
                c->name[0], (long long)have, (long long)bucket);
        return PFA_E_BUCKET;
    }
    return 0;
}

int pfa_ch_begin_load(pfa_ch *c, const char *uuid, int64_t bucket_ns, int64_t rollup_ns, uint64_t *gid,
                      struct pfa_ch_load_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (!uuid[0] || global_id(uuid, gid)) {
        set_err(err, errlen, "capture %s has no usable UUID", uuid);
        return PFA_E_PARAM;
    }
    int64_t n = 0;
    int rc = count_rows(c, "captures", *gid, &n, err, errlen);
    if (rc)
        return rc;
    if (n > 0) {
        res->already = 1;
        return 0;
    }
    rc = same_bucket(c, bucket_ns, rollup_ns, err, errlen);
    /* Not complete there: whatever an earlier, interrupted load wrote goes
     * first. The tables holding rows of it are asked in one query (one
     * round trip per load instead of one per table). */
    const char *tables[sizeof load_order / sizeof *load_order + sizeof summed_tables / sizeof *summed_tables +
                       sizeof capture_end_tables / sizeof *capture_end_tables];
    size_t ntables = 0;
    for (size_t i = 0; i + 1 < sizeof load_order / sizeof *load_order; i++)
        tables[ntables++] = load_order[i];
    for (size_t i = 0; i < sizeof summed_tables / sizeof *summed_tables; i++)
        tables[ntables++] = summed_tables[i];
    for (size_t i = 0; i < sizeof capture_end_tables / sizeof *capture_end_tables; i++)
        tables[ntables++] = capture_end_tables[i].table;
    struct pfa_buf q = {0}, with_rows = {0};
    int qrc = 0;
    for (size_t i = 0; !rc && !qrc && i < ntables; i++)
        qrc = pfa_buf_printf(&q, "%sSELECT '%s' AS t, count() AS n FROM %s.%s WHERE capture_id = %llu",
                             i ? " UNION ALL " : "SELECT t FROM (", tables[i], c->t.database, tables[i],
                             (unsigned long long)*gid);
    if (!rc && !qrc)
        qrc = pfa_buf_printf(&q, ") WHERE n > 0");
    if (!rc && qrc) {
        set_err(err, errlen, "clickhouse: out of memory");
        rc = qrc;
    }
    if (!rc)
        rc = pfa_ch_exec(c, q.p, &with_rows, err, errlen);
    for (size_t i = 0; !rc && i < ntables; i++) {
        if (!has_line(&with_rows, tables[i]))
            continue;
        res->resumed = 1;
        rc = remove_leftovers(c, tables[i], *gid, err, errlen);
    }
    pfa_buf_free(&q);
    pfa_buf_free(&with_rows);
    return rc;
}

/* Runs analyzer/sql/clickhouse-capture-end.sql for the captures `where`
 * chooses, statement by statement: those of the schema versions above
 * `after` (a "-- since schema version N" line starts version N's). */
static int finish_captures(pfa_ch *c, const char *where, int64_t after, char *err, size_t errlen)
{
    static const char since[] = "-- since schema version ";
    const char *text = NULL;
    for (size_t i = 0; i < pfa_ch_sql_files_count; i++)
        if (!strcmp(pfa_ch_sql_files[i].name, "clickhouse-capture-end.sql"))
            text = pfa_ch_sql_files[i].data;
    if (!text) {
        set_err(err, errlen, "clickhouse: the capture-end statements are not built in");
        return PFA_E_CH;
    }
    struct pfa_buf stmt = {0};
    int rc = 0, has_sql = 0;
    int64_t version = 0;
    for (const char *p = text; !rc && *p; p++) {
        if (p[0] == '-' && p[1] == '-') {
            if (!strncmp(p, since, sizeof since - 1))
                version = strtoll(p + sizeof since - 1, NULL, 10);
            while (p[1] && p[1] != '\n')
                p++;
        } else if (!strncmp(p, "{db}", 4)) {
            rc = pfa_buf_printf(&stmt, "%s", c->t.database);
            p += 3;
        } else if (!strncmp(p, "{captures}", 10)) {
            rc = pfa_buf_printf(&stmt, "%s", where);
            p += 9;
        } else if (p[0] == ';' && p[1] == '\n') {
            rc = pfa_buf_put(&stmt, "", 1);
            if (!rc && has_sql && version > after)
                rc = pfa_ch_exec(c, stmt.p, NULL, err, errlen);
            stmt.len = 0;
            has_sql = 0;
        } else {
            has_sql |= (unsigned char)*p > ' ';
            rc = pfa_buf_put(&stmt, p, 1);
        }
    }
    if (rc == PF_E_NOMEM)
        set_err(err, errlen, "clickhouse: out of memory");
    pfa_buf_free(&stmt);
    return rc;
}

int pfa_ch_finish_capture(pfa_ch *c, uint64_t gid, char *err, size_t errlen)
{
    char where[100];
    snprintf(where, sizeof where, "capture_id = %llu", (unsigned long long)gid);
    return finish_captures(c, where, 0, err, errlen);
}

/* Migration from version `have` to 4 or later: the capture-end tables of
 * the versions above `have`, for the complete captures loaded before (the
 * materialized views' tables were filled by 004 itself). Rows an
 * interrupted migration wrote go first. */
static int finish_loaded_captures(pfa_ch *c, int64_t have, char *err, size_t errlen)
{
    char sql[400];
    struct pfa_buf ids = {0};
    snprintf(sql, sizeof sql, "SELECT capture_id FROM %s.captures ORDER BY capture_id", c->t.database);
    int rc = pfa_ch_exec(c, sql, &ids, err, errlen);
    for (char *p = ids.p, *nl; !rc && p && p < ids.p + ids.len; p = nl + 1) {
        if (!(nl = memchr(p, '\n', (size_t)(ids.p + ids.len - p))))
            break;
        uint64_t gid = strtoull(p, NULL, 10);
        int found = 0;
        char where[100];
        snprintf(where, sizeof where, "capture_id = %llu", (unsigned long long)gid);
        for (size_t i = 0; !rc && i < sizeof capture_end_tables / sizeof *capture_end_tables; i++)
            if (capture_end_tables[i].version > have)
                rc = clear_capture(c, capture_end_tables[i].table, gid, &found, err, errlen);
        if (!rc)
            rc = finish_captures(c, where, have, err, errlen);
    }
    pfa_buf_free(&ids);
    return rc;
}

int pfa_ch_load_capture(pfa_ch *c, sqlite3 *db, int64_t capture_id, struct pfa_ch_load_result *res, char *err,
                        size_t errlen)
{
    memset(res, 0, sizeof *res);
    sqlite3_stmt *st = NULL;
    char uuid[64] = "", host[256] = "";
    if (sqlite3_prepare_v2(db, "SELECT uuid, coalesce(host, '') FROM captures WHERE capture_id = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        set_err(err, errlen, "%s", sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    sqlite3_bind_int64(st, 1, capture_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(uuid, sizeof uuid, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(host, sizeof host, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    uint64_t gid;
    int rc = pfa_ch_begin_load(c, uuid, sqlite_meta_int(db, "bucket_ns"), sqlite_meta_int(db, "rollup_ns"), &gid, res,
                               err, errlen);
    if (rc || res->already)
        return rc;
    for (size_t i = 0; !rc && i < sizeof load_order / sizeof *load_order; i++) {
        if (!strcmp(load_order[i], "captures")) /* the rows are in: 004's capture-end tables */
            rc = pfa_ch_finish_capture(c, gid, err, errlen);
        if (!rc)
            rc = copy_table(c, db, load_order[i], capture_id, host, gid, &res->rows, err, errlen);
    }
    return rc;
}
