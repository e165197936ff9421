/* SPDX-License-Identifier: MIT */
/* Exports of the analysis database (chrome trace-event JSON, csv, jsonl,
 * Zeek conn.log) and the --process/--from/--to selection shared with the
 * HTML report. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded.h"
#include "pfa_export.h"
#include "pfa_redact.h"

extern const struct pf_embedded_file pfa_extra_sql_files[];
extern const size_t pfa_extra_sql_files_count;

const char *pfa_embedded_sql(const char *file, const char *name, size_t *len)
{
    for (size_t i = 0; i < pfa_extra_sql_files_count; i++) {
        const struct pf_embedded_file *f = &pfa_extra_sql_files[i];
        if (strcmp(f->name, file))
            continue;
        if (!name) {
            *len = f->size;
            return f->data;
        }
        char marker[96];
        snprintf(marker, sizeof marker, "-- @%s\n", name);
        const char *p = f->data;
        while ((p = strstr(p, marker)) && p != f->data && p[-1] != '\n')
            p++;
        if (!p)
            return NULL;
        const char *start = p + strlen(marker);
        const char *end = strstr(start, "\n-- @");
        end = end ? end + 1 : f->data + f->size;
        *len = (size_t)(end - start);
        return start;
    }
    return NULL;
}

int pfa_prepare_embedded(sqlite3 *db, const char *file, const char *name, sqlite3_stmt **st, char *err, size_t errlen)
{
    size_t len;
    const char *sql = pfa_embedded_sql(file, name, &len);
    *st = NULL;
    if (!sql) {
        snprintf(err, errlen, "internal: no statement %s in %s", name ? name : "", file);
        return PFA_E_SQL;
    }
    if (sqlite3_prepare_v2(db, sql, (int)len, st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", name ? name : file, sqlite3_errmsg(db));
        sqlite3_finalize(*st);
        *st = NULL;
        return PFA_E_SQL;
    }
    return 0;
}

void pfa_bind_i64(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_int64(st, i, v);
}

static int64_t one_int(sqlite3 *db, const char *file, const char *name, int64_t dflt, char *err, size_t errlen, int *rc)
{
    sqlite3_stmt *st;
    *rc = pfa_prepare_embedded(db, file, name, &st, err, errlen);
    if (*rc)
        return dflt;
    int64_t v = dflt;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int pfa_capture_start(sqlite3 *db, int64_t *start, char *err, size_t errlen)
{
    int rc;
    *start = one_int(db, "export.sql", "base", 0, err, errlen, &rc);
    return rc;
}

/* ------------------------------------------------------------ selection */

int pfa_filter_apply(sqlite3 *db, const struct pfa_filter *f, char *err, size_t errlen)
{
    if (!f || (!f->process && !f->from && !f->to))
        return 0;
    int64_t base;
    int rc = pfa_capture_start(db, &base, err, errlen);
    if (rc)
        return rc;
    int64_t from = 0, to = 0;
    char why[384];
    if (f->from && pfa_parse_time_why(f->from, base, f->utc, &from, why, sizeof why)) {
        snprintf(err, errlen, "--from: %s", why);
        return PFA_E_PARAM;
    }
    if (f->to && pfa_parse_time_why(f->to, base, f->utc, &to, why, sizeof why)) {
        snprintf(err, errlen, "--to: %s", why);
        return PFA_E_PARAM;
    }
    int is_pid = f->process && *f->process && strlen(f->process) < 11;
    for (const char *c = f->process; is_pid && *c; c++)
        if (!isdigit((unsigned char)*c))
            is_pid = 0;
    size_t len;
    const char *sql = pfa_embedded_sql("filter.sql", NULL, &len);
    const char *end = sql ? sql + len : NULL;
    while (sql && sql < end) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, sql, (int)(end - sql), &st, &tail) != SQLITE_OK) {
            snprintf(err, errlen, "selection: %s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
        sql = tail;
        if (!st)
            continue; /* trailing comment or blank */
        int i;
        if (f->process && (i = sqlite3_bind_parameter_index(st, is_pid ? ":pid" : ":comm")) > 0) {
            if (is_pid)
                sqlite3_bind_int64(st, i, strtoll(f->process, NULL, 10));
            else
                sqlite3_bind_text(st, i, f->process, -1, SQLITE_TRANSIENT);
        }
        if (f->from)
            pfa_bind_i64(st, ":from_ns", from);
        if (f->to)
            pfa_bind_i64(st, ":to_ns", to);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            snprintf(err, errlen, "selection: %s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ helpers */

static const char *col_text(sqlite3_stmt *st, int c, size_t *n)
{
    const char *s = (const char *)sqlite3_column_text(st, c);
    *n = s ? (size_t)sqlite3_column_bytes(st, c) : 0;
    return s ? s : "";
}

/* a - b, saturated: hostile databases hold any 64-bit value. */
static int64_t sat_sub(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* Seconds with 6 decimals, the way Zeek writes time and interval. */
static void put_secs(struct pfa_buf *b, int64_t ns)
{
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    pfa_buf_printf(b, "%s%" PRIu64 ".%06" PRIu64, ns < 0 ? "-" : "", u / 1000000000u, u % 1000000000u / 1000u);
}

/* Microseconds with 3 decimals relative to `base`: trace-event "ts". */
static void put_us(struct pfa_buf *b, int64_t ns, int64_t base)
{
    int64_t d = sat_sub(ns, base);
    uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    pfa_buf_printf(b, "%s%" PRIu64 ".%03" PRIu64, d < 0 ? "-" : "", u / 1000u, u % 1000u);
}

static void put_json_str(struct pfa_buf *b, const char *s, size_t n)
{
    pfa_buf_put(b, "\"", 1);
    pfa_escape_json(b, s, n);
    pfa_buf_put(b, "\"", 1);
}

/* Ends a row loop: frees the statement; 1 when every row was read, else 0
 * with SQLite's message in err. */
static int rows_finish(sqlite3 *db, sqlite3_stmt *st, int rc, char *err, size_t errlen)
{
    int ok = rc == SQLITE_DONE;
    if (!ok)
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

static int flush_buf(struct pfa_buf *b, FILE *out)
{
    if (b->len && fwrite(b->p, 1, b->len, out) != b->len)
        return -1;
    b->len = 0;
    return 0;
}

static void endpoint(struct pfa_buf *b, const char *addr, size_t n, int64_t port, int has_port)
{
    if (memchr(addr, ':', n)) {
        pfa_buf_put(b, "[", 1);
        pfa_escape_json(b, addr, n);
        pfa_buf_put(b, "]", 1);
    } else {
        pfa_escape_json(b, addr, n);
    }
    if (has_port)
        pfa_buf_printf(b, ":%" PRId64, port);
}

/* ------------------------------------------------------------ csv / jsonl */

static int export_csv(sqlite3 *db, const char *name, FILE *out, char *err, size_t errlen)
{
    size_t len;
    const char *sql = pfa_embedded_sql("export.sql", name, &len);
    char *copy = sql ? malloc(len + 1) : NULL;
    if (copy) {
        memcpy(copy, sql, len);
        copy[len] = 0;
    } else {
        snprintf(err, errlen, "internal: no statement %s", name);
        return PFA_E_SQL;
    }
    struct pfa_output_options o = {.format = PFA_FMT_CSV};
    int rc = pfa_run_sql(db, copy, NULL, NULL, 0, &o, out, err, errlen);
    free(copy);
    return rc;
}

static int export_jsonl(sqlite3 *db, const char *name, FILE *out, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = pfa_prepare_embedded(db, "export.sql", name, &st, err, errlen);
    if (rc)
        return rc;
    struct pfa_buf b = {0};
    int nc = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pfa_buf_put(&b, "{", 1);
        for (int c = 0; c < nc; c++) {
            const char *nm = sqlite3_column_name(st, c);
            if (c)
                pfa_buf_put(&b, ",", 1);
            put_json_str(&b, nm ? nm : "", nm ? strlen(nm) : 0);
            pfa_buf_put(&b, ":", 1);
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL: pfa_buf_put(&b, "null", 4); break;
            case SQLITE_INTEGER: {
                int64_t v = sqlite3_column_int64(st, c);
                pfa_buf_printf(&b, "%lld", (long long)v);
                /* a time as ns since the epoch also as ISO-8601 text (precision above 2^53) */
                size_t nl = nm ? strlen(nm) : 0;
                if (nl > 3 && pfa_col_kind(nm) == PFA_COL_TIME) {
                    pfa_buf_put(&b, ",", 1);
                    struct pfa_buf key = {0};
                    pfa_buf_put(&key, nm, nl - 3);
                    pfa_buf_put(&key, "_time", 5);
                    put_json_str(&b, key.p, key.len);
                    pfa_buf_free(&key);
                    pfa_buf_put(&b, ":", 1);
                    pfa_json_time(&b, v);
                }
                break;
            }
            case SQLITE_FLOAT: pfa_buf_printf(&b, "%.17g", sqlite3_column_double(st, c)); break;
            default: {
                size_t n;
                const char *s = col_text(st, c, &n);
                put_json_str(&b, s, n);
            }
            }
        }
        pfa_buf_put(&b, "}\n", 2);
        if (b.len > 65536 && flush_buf(&b, out))
            break;
    }
    int ok = rows_finish(db, st, rc, err, errlen);
    flush_buf(&b, out);
    pfa_buf_free(&b);
    return ok ? 0 : PFA_E_SQL;
}

/* ------------------------------------------------------------ zeek */

/* Zeek escapes non-printable bytes as \xNN; tabs would break the columns. */
static void zeek_str(struct pfa_buf *b, const char *s, size_t n, int null)
{
    if (null)
        pfa_buf_put(b, "-", 1);
    else if (!n)
        pfa_buf_put(b, "(empty)", 7);
    else if (n == 1 && s[0] == '-')
        pfa_buf_put(b, "\\x2d", 4); /* would read as unset */
    else
        pfa_escape(b, s, n);
}

static void zeek_time_hdr(struct pfa_buf *b, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000);
    struct tm tm;
    char s[64];
    if (!gmtime_r(&t, &tm) || !strftime(s, sizeof s, "%Y-%m-%d-%H-%M-%S", &tm))
        strcpy(s, "-");
    pfa_buf_printf(b, "%s", s);
}

/* Deterministic connection uid: "C" + base62 of a hash of capture and flow. */
static void zeek_uid(struct pfa_buf *b, const char *uuid, size_t n, int64_t flow_id)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)uuid[i]) * 1099511628211ULL;
    for (int i = 0; i < 8; i++)
        h = (h ^ (uint8_t)((uint64_t)flow_id >> (8 * i))) * 1099511628211ULL;
    char u[16];
    int k = 0;
    u[k++] = 'C';
    for (int i = 0; i < 11; i++, h /= 62)
        u[k++] = digits[h % 62];
    pfa_buf_put(b, u, (size_t)k);
}

/* Zeek's transport_proto enum, and the IP protocol number (-1: unknown). */
static int zeek_proto(struct pfa_buf *b, const char *proto, size_t n)
{
    static const struct {
        const char *name, *zeek;
        int ip;
    } map[] = {
        {"tcp", "tcp", 6}, {"udp", "udp", 17}, {"icmp", "icmp", 1}, {"icmp6", "icmp", 58}, {"icmpv6", "icmp", 58}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].name) == n && !memcmp(map[i].name, proto, n)) {
            pfa_buf_printf(b, "%s", map[i].zeek);
            return map[i].ip;
        }
    pfa_buf_put(b, "unknown_transport", 17);
    return -1;
}

static int export_zeek(sqlite3 *db, FILE *out, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = pfa_prepare_embedded(db, "export.sql", "span", &st, err, errlen);
    if (rc)
        return rc;
    int64_t open_ns = 0, close_ns = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        open_ns = sqlite3_column_int64(st, 0);
        close_ns = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    rc = pfa_prepare_embedded(db, "export.sql", "zeek", &st, err, errlen);
    if (rc)
        return rc;
    struct pfa_buf b = {0};
    pfa_buf_printf(&b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
                       "#path\tconn\n#open\t");
    zeek_time_hdr(&b, open_ns);
    pfa_buf_printf(&b, "\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration"
                       "\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory"
                       "\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\tpid"
                       "\tprocess_name\n"
                       "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring"
                       "\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\tcount\tstring\n");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* 0 flow_id 1 first 2 last 3 proto 4 direction 5 laddr 6 lport 7 raddr 8 rport 9 sent 10 recv
         * 11 state 12 closed 13 pid 14 comm 15 uid_uuid 16 uid_flow 17 remote_local */
        size_t nproto, ndir, nla, nra, nstate, ncomm, nuuid;
        const char *proto = col_text(st, 3, &nproto), *dir = col_text(st, 4, &ndir);
        const char *la = col_text(st, 5, &nla), *ra = col_text(st, 7, &nra);
        const char *state = col_text(st, 11, &nstate), *comm = col_text(st, 14, &ncomm);
        const char *uuid = col_text(st, 15, &nuuid);
        int64_t first = sqlite3_column_int64(st, 1), last = sqlite3_column_int64(st, 2);
        int64_t lport = sqlite3_column_int64(st, 6), rport = sqlite3_column_int64(st, 8);
        int64_t sent = sqlite3_column_int64(st, 9), recv = sqlite3_column_int64(st, 10);
        int inbound = !strcmp(dir, "in");
        int tcp = !strcmp(proto, "tcp");
        int remote_local = sqlite3_column_int(st, 17);
        int64_t ob = inbound ? recv : sent, rb = inbound ? sent : recv;
        const char *cs;
        if (tcp)
            cs = !strcmp(dir, "unknown")      ? "OTH"
                 : !strcmp(state, "SYN_SENT") ? "S0"
                 : sqlite3_column_int(st, 12) ? "SF"
                                              : "S1";
        else
            cs = ob > 0 && rb > 0 ? "SF" : ob > 0 ? "S0" : "OTH";
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            pfa_buf_put(&b, "-", 1);
        else
            put_secs(&b, first);
        pfa_buf_put(&b, "\t", 1);
        zeek_uid(&b, uuid, nuuid, sqlite3_column_int64(st, 16));
        pfa_buf_put(&b, "\t", 1);
        zeek_str(&b, inbound ? ra : la, inbound ? nra : nla, sqlite3_column_type(st, inbound ? 7 : 5) == SQLITE_NULL);
        pfa_buf_printf(&b, "\t%" PRId64 "\t", inbound ? rport : lport);
        zeek_str(&b, inbound ? la : ra, inbound ? nla : nra, sqlite3_column_type(st, inbound ? 5 : 7) == SQLITE_NULL);
        pfa_buf_printf(&b, "\t%" PRId64 "\t", inbound ? lport : rport);
        int ip_proto = zeek_proto(&b, proto, nproto);
        pfa_buf_put(&b, "\t-\t", 3);
        if (sqlite3_column_type(st, 1) == SQLITE_NULL || sqlite3_column_type(st, 2) == SQLITE_NULL || last < first)
            pfa_buf_put(&b, "-", 1);
        else
            put_secs(&b, sat_sub(last, first));
        /* the recording host is one end; the other is local when it is
         * loopback or one of the host's own addresses */
        pfa_buf_printf(&b, "\t%" PRId64 "\t%" PRId64 "\t%s\t%s\t%s\t0\t-\t-\t-\t-\t-\t-\t", ob, rb, cs,
                       inbound && !remote_local ? "F" : "T", !inbound && !remote_local ? "F" : "T");
        if (ip_proto >= 0)
            pfa_buf_printf(&b, "%d\t", ip_proto);
        else
            pfa_buf_put(&b, "-\t", 2);
        if (sqlite3_column_type(st, 13) == SQLITE_NULL)
            pfa_buf_put(&b, "-", 1);
        else
            pfa_buf_printf(&b, "%" PRId64, (int64_t)sqlite3_column_int64(st, 13));
        pfa_buf_put(&b, "\t", 1);
        zeek_str(&b, comm, ncomm, sqlite3_column_type(st, 14) == SQLITE_NULL);
        pfa_buf_put(&b, "\n", 1);
        if (b.len > 65536 && flush_buf(&b, out))
            break;
    }
    int ok = rows_finish(db, st, rc, err, errlen);
    if (ok) {
        pfa_buf_put(&b, "#close\t", 7);
        zeek_time_hdr(&b, close_ns);
        pfa_buf_put(&b, "\n", 1);
    }
    flush_buf(&b, out);
    pfa_buf_free(&b);
    return ok ? 0 : PFA_E_SQL;
}

/* ------------------------------------------------------------ chrome trace */

struct trace {
    struct pfa_buf b;
    FILE *out;
    int n; /* events written */
    int64_t base;
};

static void ev_begin(struct trace *t)
{
    if (t->n++)
        pfa_buf_put(&t->b, ",\n", 2);
    else
        pfa_buf_put(&t->b, "\n", 1);
}

static int trace_processes(sqlite3 *db, struct trace *t, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = pfa_prepare_embedded(db, "export.sql", "trace-processes", &st, err, errlen);
    if (rc)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        size_t nc, ncmd;
        const char *comm = col_text(st, 2, &nc), *cmd = col_text(st, 3, &ncmd);
        ev_begin(t);
        pfa_buf_printf(
            &t->b, "{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"", id);
        pfa_escape_json(&t->b, comm, nc);
        pfa_buf_printf(&t->b, " (pid %lld)\"}}", (long long)sqlite3_column_int64(st, 1));
        if (ncmd) {
            ev_begin(t);
            pfa_buf_printf(
                &t->b,
                "{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":0,\"name\":\"process_labels\",\"args\":{\"labels\":", id);
            put_json_str(&t->b, cmd, ncmd);
            pfa_buf_put(&t->b, "}}", 2);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    return 0;
}

/* Flows as "X" slices. Slices on one track must nest, so each process gets
 * lanes (threads) and a flow goes to the first lane free at its start. */
static int trace_flows(sqlite3 *db, struct trace *t, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = pfa_prepare_embedded(db, "export.sql", "trace-flows", &st, err, errlen);
    if (rc)
        return rc;
    int64_t cur = -1, *lane_end = NULL;
    size_t nlanes = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* 0 flow_id 1 process_id 2 proto 3 direction 4 laddr 5 lport 6 raddr 7 rport 8 first 9 last
         * 10 sent 11 recv 12 state */
        int64_t pid = (int64_t)sqlite3_column_int64(st, 1);
        int64_t first = (int64_t)sqlite3_column_int64(st, 8);
        int64_t last = sqlite3_column_type(st, 9) == SQLITE_NULL ? first : sqlite3_column_int64(st, 9);
        if (first < t->base) /* trace time starts at the capture start: no negative ts */
            first = t->base;
        if (last < first)
            last = first;
        if (pid != cur) {
            cur = pid;
            nlanes = 0;
        }
        size_t lane = 0;
        while (lane < nlanes && lane_end[lane] > first)
            lane++;
        if (lane == nlanes) {
            if (nlanes == cap) {
                int64_t *p = pfc_array_grow(lane_end, &cap, nlanes + 1, sizeof *p, 16, 0);
                if (!p) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                lane_end = p;
            }
            nlanes++;
            ev_begin(t);
            pfa_buf_printf(&t->b,
                           "{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":%llu,\"name\":\"thread_name\",\"args\":{\"name\":"
                           "\"flows %llu\"}}",
                           pid, (unsigned long long)lane + 1, (unsigned long long)lane + 1);
        }
        lane_end[lane] = last > first || first == INT64_MAX ? last : first + 1;
        size_t np, nd, nla, nra, ns;
        const char *proto = col_text(st, 2, &np), *dir = col_text(st, 3, &nd);
        const char *la = col_text(st, 4, &nla), *ra = col_text(st, 6, &nra), *state = col_text(st, 12, &ns);
        int has_remote = sqlite3_column_type(st, 6) != SQLITE_NULL;
        ev_begin(t);
        pfa_buf_printf(&t->b, "{\"ph\":\"X\",\"pid\":%" PRId64 ",\"tid\":%llu,\"ts\":", pid,
                       (unsigned long long)lane + 1);
        put_us(&t->b, first, t->base);
        pfa_buf_put(&t->b, ",\"dur\":", 7);
        put_us(&t->b, last, first);
        pfa_buf_put(&t->b, ",\"cat\":\"", 8);
        pfa_escape_json(&t->b, proto, np);
        pfa_buf_put(&t->b, "\",\"name\":\"", 10);
        pfa_escape_json(&t->b, proto, np);
        pfa_buf_put(&t->b, " ", 1);
        pfa_escape_json(&t->b, dir, nd);
        pfa_buf_put(&t->b, " ", 1);
        if (has_remote)
            endpoint(&t->b, ra, nra, sqlite3_column_int64(st, 7), sqlite3_column_type(st, 7) != SQLITE_NULL);
        else
            pfa_buf_printf(&t->b, ":%lld", (long long)sqlite3_column_int64(st, 5));
        pfa_buf_put(&t->b, "\",\"args\":{\"local\":\"", 19);
        endpoint(&t->b, la, nla, sqlite3_column_int64(st, 5), sqlite3_column_type(st, 5) != SQLITE_NULL);
        pfa_buf_put(&t->b, "\",\"remote\":\"", 12);
        if (has_remote)
            endpoint(&t->b, ra, nra, sqlite3_column_int64(st, 7), sqlite3_column_type(st, 7) != SQLITE_NULL);
        pfa_buf_printf(&t->b, "\",\"bytes_sent\":%lld,\"bytes_recv\":%lld,\"flow_id\":%lld",
                       (long long)sqlite3_column_int64(st, 10), (long long)sqlite3_column_int64(st, 11),
                       (long long)sqlite3_column_int64(st, 0));
        if (ns) {
            pfa_buf_put(&t->b, ",\"state\":", 9);
            put_json_str(&t->b, state, ns);
        }
        size_t nname;
        const char *rname = col_text(st, 14, &nname);
        if (nname) {
            pfa_buf_put(&t->b, ",\"remote_name\":", 15);
            put_json_str(&t->b, rname, nname);
        }
        pfa_buf_put(&t->b, "}}", 2);
        if (t->b.len > 65536 && flush_buf(&t->b, t->out))
            break;
    }
    free(lane_end);
    int ok = rc == SQLITE_DONE;
    if (!ok)
        snprintf(err, errlen, "%s", rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok ? 0 : PFA_E_SQL;
}

static void counter(struct trace *t, int64_t pid, int64_t ts, double sent, double recv)
{
    ev_begin(t);
    pfa_buf_printf(&t->b, "{\"ph\":\"C\",\"pid\":%" PRId64 ",\"tid\":0,\"ts\":", pid);
    /* a byte bucket is floored to its width and may start before the
     * capture; its sample then counts from the capture start */
    put_us(&t->b, ts < t->base ? t->base : ts, t->base);
    pfa_buf_printf(&t->b, ",\"name\":\"bytes/s\",\"args\":{\"sent\":%.15g,\"recv\":%.15g}}", sent, recv);
}

/* Byte counters: one "C" sample per bucket (bytes per second), back to 0
 * after each run of buckets so gaps read as silence. */
static int trace_bytes(sqlite3 *db, struct trace *t, char *err, size_t errlen)
{
    int rc;
    int64_t w = one_int(db, "export.sql", "bucket", 1000000000, err, errlen, &rc);
    if (rc)
        return rc;
    if (w <= 0)
        w = 1000000000;
    sqlite3_stmt *st;
    rc = pfa_prepare_embedded(db, "export.sql", "trace-bytes", &st, err, errlen);
    if (rc)
        return rc;
    double per_s = 1e9 / (double)w;
    int64_t cur = 0, next = 0;
    int any = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0), bk = sqlite3_column_int64(st, 1);
        if (any && (pid != cur || bk != next))
            counter(t, cur, next, 0, 0);
        counter(t, pid, bk, (double)sqlite3_column_int64(st, 2) * per_s, (double)sqlite3_column_int64(st, 3) * per_s);
        cur = pid;
        next = bk > INT64_MAX - w ? bk : bk + w;
        any = 1;
        if (t->b.len > 65536 && flush_buf(&t->b, t->out))
            break;
    }
    if (any)
        counter(t, cur, next, 0, 0);
    int ok = rows_finish(db, st, rc, err, errlen);
    return ok ? 0 : PFA_E_SQL;
}

static int export_trace(sqlite3 *db, FILE *out, char *err, size_t errlen)
{
    struct trace t = {.out = out};
    int rc = pfa_capture_start(db, &t.base, err, errlen);
    if (rc)
        return rc;
    char when[64];
    pfa_format_time(when, sizeof when, t.base, 1);
    pfa_buf_printf(&t.b,
                   "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"procflow-analyze\","
                   "\"ts_zero_utc\":\"%s\",\"ts_zero_ns\":\"%" PRId64 "\"},\"traceEvents\":[",
                   when, t.base);
    rc = trace_processes(db, &t, err, errlen);
    if (!rc)
        rc = trace_flows(db, &t, err, errlen);
    if (!rc)
        rc = trace_bytes(db, &t, err, errlen);
    if (!rc)
        pfa_buf_put(&t.b, "\n]}\n", 4);
    flush_buf(&t.b, out);
    pfa_buf_free(&t.b);
    return rc;
}

int pfa_export(sqlite3 *db, int format, int what, FILE *out, char *err, size_t errlen)
{
    return pfa_export_redacted(db, format, what, NULL, out, err, errlen);
}

int pfa_export_redacted(sqlite3 *db, int format, int what, pf_redactor *red, FILE *out, char *err, size_t errlen)
{
    const char *name = what == PFA_EXP_BYTES ? "bytes" : "flows";
    int rc = pfa_redact_register(db, red, err, errlen); /* the statements call pf_redact_*() */
    if (rc)
        return rc;
    /* exports read most of the database: map it rather than read() it */
    sqlite3_exec(db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
    switch (format) {
    case PFA_EXP_CHROME_TRACE: rc = export_trace(db, out, err, errlen); break;
    case PFA_EXP_CSV: rc = export_csv(db, name, out, err, errlen); break;
    case PFA_EXP_JSONL: rc = export_jsonl(db, name, out, err, errlen); break;
    case PFA_EXP_ZEEK: rc = export_zeek(db, out, err, errlen); break;
    default: snprintf(err, errlen, "unknown export format"); return PFA_E_PARAM;
    }
    if (!rc && ferror(out)) {
        snprintf(err, errlen, "write error");
        return PF_E_IO;
    }
    return rc;
}
