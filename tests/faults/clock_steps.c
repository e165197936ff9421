/* SPDX-License-Identifier: MIT */
/* Wall-clock steps inside a capture. CLOCK records move the wall clock an
 * hour forward and then an hour and a half back while the capture clock
 * (boot time) runs on; the capture is written with the format library and
 * ingested. Checked exactly:
 *  - every UTC value in the database is its capture time mapped with the
 *    clock anchor in force where its record stands in the file (spec §7),
 *    times inside a record (start, interval start, loss "since") included;
 *  - ingest never relies on UTC moving forward: a connection that spans
 *    both steps stays one flow, a process that exited just before the
 *    forward step keeps its one row when its last traffic comes after it,
 *    every flow has first <= last, byte buckets sum to the flow totals and
 *    the timeline report lists its buckets in order;
 *  - rows written in capture order (markers) keep capture order, and the
 *    UTC between two of them differs by exactly the capture time between
 *    them plus the steps in between.
 * The machine's clock is never touched.
 * Usage: test_clock_steps WORKDIR */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfa.h"

#define S 1000000000LL
#define BASE 5000000000000ULL    /* capture clock (boot time) at t = 0 */
#define U0 1714564800000000000LL /* 2024-05-01T12:00:00Z: UTC at t = 0 */
#define STEP1_T 10.0             /* wall clock jumps forward ... */
#define STEP1 (3600 * S)         /* ... by an hour */
#define STEP2_T 20.0             /* and back ... */
#define STEP2 (-5400 * S)        /* ... by an hour and a half */

static int failures, checks;

static int64_t ns_of(double t) { return (int64_t)(t * 1e9 + (t >= 0 ? 0.5 : -0.5)); }

/* Wall-clock offset in force for a record written at capture time t. */
static int64_t offset_at(double t) { return t < STEP1_T ? 0 : t < STEP2_T ? STEP1 : STEP1 + STEP2; }

/* UTC of capture time `t`, seen from a record written at `at`. */
static int64_t utc(double at, double t) { return U0 + ns_of(t) + offset_at(at); }

/* ------------------------------------------------------------ the capture */

struct cap {
    pf_writer *w;
    int rc;
};

static void put(struct cap *c, struct pf_record *r, double t)
{
    r->ts_ns = BASE + (uint64_t)ns_of(t);
    if (c->rc >= 0) {
        int rc = pf_writer_write(c->w, r);
        if (rc < 0)
            c->rc = rc;
    }
}

static void clock_rec(struct cap *c, double t)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = BASE + (uint64_t)ns_of(t);
    r.u.clock.utc_ns = utc(t, t);
    put(c, &r, t);
}

static void process(struct cap *c, double t, uint8_t ev, uint32_t pid, double start_t, const char *comm)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_PROCESS;
    r.u.process.event = ev;
    r.u.process.pid = pid;
    r.u.process.ppid = 1;
    r.u.process.start_ns = BASE + (uint64_t)ns_of(start_t);
    r.u.process.uid = 1000;
    r.u.process.comm = comm;
    r.u.process.comm_len = (uint32_t)strlen(comm);
    put(c, &r, t);
}

static void key(struct pf_flow_key *k, uint32_t pid, double start_t, uint64_t sock, uint8_t proto, const char *la,
                uint16_t lp, const char *ra, uint16_t rp)
{
    memset(k, 0, sizeof *k);
    k->pid = pid;
    k->pid_start_ns = BASE + (uint64_t)ns_of(start_t);
    k->sock_id = sock;
    k->proto = proto;
    k->family = (uint8_t)pf_addr_from_string(la, k->local.addr);
    pf_addr_from_string(ra, k->remote.addr);
    k->local.port = lp;
    k->remote.port = rp;
}

static void sock(struct cap *c, double t, uint8_t ev, uint8_t state, const struct pf_flow_key *k)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_SOCKET;
    r.u.socket.event = ev;
    r.u.socket.new_state = state;
    r.u.socket.key = *k;
    put(c, &r, t);
}

static void traffic(struct cap *c, double t, double dur, const struct pf_flow_key *k, uint64_t sent, uint64_t recv,
                    uint64_t sends, uint64_t recvs, uint32_t flags)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_TRAFFIC;
    r.u.traffic.key = *k;
    r.u.traffic.duration_ns = (uint64_t)ns_of(dur);
    r.u.traffic.bytes_sent = sent;
    r.u.traffic.bytes_recv = recv;
    r.u.traffic.sends = sends;
    r.u.traffic.recvs = recvs;
    r.u.traffic.flags = flags;
    put(c, &r, t);
}

static void marker(struct cap *c, double t, const char *text)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_MARKER;
    r.u.marker.text = text;
    r.u.marker.text_len = (uint32_t)strlen(text);
    put(c, &r, t);
}

static void flush(struct cap *c)
{
    if (c->rc >= 0 && pf_writer_flush(c->w) < 0)
        c->rc = PF_E_IO;
}

/* Flows of the capture. */
static struct pf_flow_key listen_k, client_k, server_k, quick_k, late_k;

static int write_capture(const char *path)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = "clockhost";
    info.os = "Linux";
    info.recorder = "clock-steps-test";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = U0;
    info.anchor_clock_ns = BASE;
    info.anchor_utc_ns = U0;
    struct pf_writer_options wo = {.overwrite = 1};
    struct cap c = {NULL, 0};
    int rc = pf_writer_open(&c.w, path, &info, &wo);
    if (rc < 0)
        return rc;

    key(&listen_k, 200, -100, 21, PF_PROTO_TCP, "198.51.100.7", 443, "0.0.0.0", 0);
    key(&client_k, 100, 0.5, 11, PF_PROTO_TCP, "192.0.2.10", 40000, "198.51.100.7", 443);
    key(&server_k, 200, -100, 22, PF_PROTO_TCP, "198.51.100.7", 443, "192.0.2.10", 40000);
    key(&quick_k, 300, 4, 31, PF_PROTO_UDP, "192.0.2.10", 50000, "203.0.113.53", 53);
    key(&late_k, 500, 12, 51, PF_PROTO_TCP, "192.0.2.10", 40001, "203.0.113.9", 80);

    /* Wall clock as set: offset 0. */
    clock_rec(&c, 0);
    process(&c, 0, PF_PROC_RUNDOWN, 200, -100, "server");
    process(&c, 0.5, PF_PROC_START, 100, 0.5, "client");
    sock(&c, 1, PF_SOCK_LISTEN, PF_TCP_LISTEN, &listen_k);
    sock(&c, 2, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &client_k);
    sock(&c, 2, PF_SOCK_ACCEPT, PF_TCP_ESTABLISHED, &server_k);
    traffic(&c, 3, 1, &client_k, 100, 200, 1, 2, 0);
    traffic(&c, 3, 1, &server_k, 200, 100, 2, 1, 0);
    process(&c, 4, PF_PROC_START, 300, 4, "quick");
    traffic(&c, 5, 0, &quick_k, 40, 0, 1, 0, 0);
    marker(&c, 6, "m1");
    process(&c, 9, PF_PROC_EXIT, 300, 4, "quick");
    flush(&c);
    /* An hour forward: quick's last traffic comes after the step, as an
     * aggregated flush after its exit would. */
    clock_rec(&c, STEP1_T);
    traffic(&c, 10.5, 0.5, &quick_k, 0, 80, 0, 1, PF_TRAFFIC_FINAL);
    traffic(&c, 11, 1, &client_k, 300, 400, 3, 4, 0);
    traffic(&c, 11, 1, &server_k, 400, 300, 4, 3, 0);
    {
        struct pf_record r;
        memset(&r, 0, sizeof r);
        r.type = PF_REC_SNAPSHOT;
        r.u.snapshot.key = client_k;
        r.u.snapshot.state = PF_TCP_ESTABLISHED;
        r.u.snapshot.uid = 1000;
        put(&c, &r, 12);
    }
    marker(&c, 12, "m2");
    flush(&c); /* the anchor carries over into the next chunk */
    process(&c, 15, PF_PROC_START, 400, 15, "late");
    /* An hour and a half back. */
    clock_rec(&c, STEP2_T);
    traffic(&c, 21, 1, &client_k, 500, 600, 5, 6, 0);
    traffic(&c, 21, 1, &server_k, 600, 500, 6, 5, 0);
    /* pid 500 started during the forward hour but is first named now. */
    traffic(&c, 21.5, 0, &late_k, 7, 0, 1, 0, 0);
    {
        struct pf_record r;
        memset(&r, 0, sizeof r);
        r.type = PF_REC_LOSS;
        r.u.loss.source = PF_LOSS_RINGBUF;
        r.u.loss.cpu = 0;
        r.u.loss.count = 7;
        r.u.loss.since_ns = BASE + (uint64_t)ns_of(15);
        put(&c, &r, 22);
    }
    marker(&c, 22, "m3");
    process(&c, 23, PF_PROC_EXIT, 100, 0.5, "client");
    sock(&c, 24, PF_SOCK_CLOSE, PF_TCP_CLOSE, &client_k);
    sock(&c, 24, PF_SOCK_CLOSE, PF_TCP_CLOSE, &server_k);
    process(&c, 24, PF_PROC_EXIT, 400, 15, "late");
    if (c.rc >= 0)
        c.rc = pf_writer_close(c.w);
    pf_writer_destroy(c.w);
    return c.rc;
}

/* ------------------------------------------------------------ checks */

static int64_t q_int(sqlite3 *db, const char *sql, ...) __attribute__((format(printf, 2, 3)));
static int64_t q_int(sqlite3 *db, const char *sql, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, sql);
    vsnprintf(text, sizeof text, sql, ap);
    va_end(ap);
    sqlite3_stmt *st;
    int64_t v = INT64_MIN;
    if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK) {
        printf("FAIL SQL: %s: %s\n", text, sqlite3_errmsg(db));
        failures++;
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#define EXPECT(what, got, want) \
    do { \
        int64_t g_ = (got), w_ = (want); \
        checks++; \
        if (g_ != w_) { \
            printf("FAIL %s: got %" PRId64 ", want %" PRId64 " (difference %" PRId64 ")\n", what, g_, w_, g_ - w_); \
            failures++; \
        } else { \
            printf("ok   %s = %" PRId64 "\n", what, g_); \
        } \
    } while (0)

/* The flow of a process (by pid) and a local port. */
#define FLOW(col, pid, lport) \
    q_int(db, \
          "SELECT " col " FROM flows f JOIN processes p USING (process_id) WHERE p.pid = %d AND " \
          "f.local_port = %d", \
          pid, lport)

static void check_db(sqlite3 *db)
{
    /* One row per connection and per process, whatever the steps did. */
    EXPECT("flow rows of the client connection", q_int(db, "SELECT count(*) FROM flows WHERE local_port = 40000"), 1);
    EXPECT("flow rows of the accepted connection", q_int(db, "SELECT count(*) FROM flows WHERE remote_port = 40000"),
           1);
    EXPECT("flow rows in all", q_int(db, "SELECT count(*) FROM flows"), 5);
    EXPECT("process rows of pid 300 (exited before the forward step)",
           q_int(db, "SELECT count(*) FROM processes WHERE pid = 300"), 1);
    EXPECT("process rows in all", q_int(db, "SELECT count(*) FROM processes"), 5);
    EXPECT("quick's flow belongs to its named row",
           q_int(db, "SELECT count(*) FROM flows f JOIN processes p USING (process_id) "
                     "WHERE p.comm = 'quick' AND f.remote_port = 53"),
           1);
    EXPECT("flows with first_ns > last_ns", q_int(db, "SELECT count(*) FROM flows WHERE first_ns > last_ns"), 0);

    /* The client connection: records in all three wall-clock epochs. */
    EXPECT("client first_ns (interval start after the backward step)", FLOW("f.first_ns", 100, 40000), utc(21, 20));
    EXPECT("client last_ns (end of its forward-hour record)", FLOW("f.last_ns", 100, 40000), utc(11, 11));
    EXPECT("client bytes_sent", FLOW("f.bytes_sent", 100, 40000), 900);
    EXPECT("client bytes_recv", FLOW("f.bytes_recv", 100, 40000), 1200);
    EXPECT("client closed", FLOW("f.closed", 100, 40000), 1);
    EXPECT("accepted first_ns", q_int(db, "SELECT first_ns FROM flows WHERE remote_port = 40000"), utc(21, 20));
    EXPECT("accepted last_ns", q_int(db, "SELECT last_ns FROM flows WHERE remote_port = 40000"), utc(11, 11));
    EXPECT("listener first_ns", q_int(db, "SELECT first_ns FROM flows WHERE direction = 'listen'"), utc(1, 1));
    EXPECT("quick first_ns", FLOW("f.first_ns", 300, 50000), utc(5, 5));
    EXPECT("quick last_ns (after the forward step)", FLOW("f.last_ns", 300, 50000), utc(10.5, 10.5));
    EXPECT("quick bytes_recv", FLOW("f.bytes_recv", 300, 50000), 80);
    EXPECT("quick closed", FLOW("f.closed", 300, 50000), 1);
    EXPECT("late flow time", FLOW("f.first_ns", 500, 40001), utc(21.5, 21.5));

    /* Process times: the anchor of the record that carried them. */
    EXPECT("server start_ns (rundown, started before the capture)",
           q_int(db, "SELECT start_ns FROM processes WHERE pid = 200"), utc(0, -100));
    EXPECT("client start_ns", q_int(db, "SELECT start_ns FROM processes WHERE pid = 100"), utc(0.5, 0.5));
    EXPECT("client exit_ns (after the backward step)", q_int(db, "SELECT exit_ns FROM processes WHERE pid = 100"),
           utc(23, 23));
    EXPECT("quick start_ns", q_int(db, "SELECT start_ns FROM processes WHERE pid = 300"), utc(4, 4));
    EXPECT("quick exit_ns", q_int(db, "SELECT exit_ns FROM processes WHERE pid = 300"), utc(9, 9));
    EXPECT("late start_ns (forward hour)", q_int(db, "SELECT start_ns FROM processes WHERE pid = 400"), utc(15, 15));
    EXPECT("late exit_ns", q_int(db, "SELECT exit_ns FROM processes WHERE pid = 400"), utc(24, 24));
    EXPECT("pid 500 start_ns (first named after the backward step)",
           q_int(db, "SELECT start_ns FROM processes WHERE pid = 500"), utc(21.5, 12));

    /* Byte buckets (1 s): the bucket of each record's end time. */
    EXPECT("client buckets",
           q_int(db, "SELECT count(*) FROM bytes b JOIN flows f USING (flow_id) "
                     "WHERE f.local_port = 40000"),
           3);
    EXPECT("client bucket before the steps",
           q_int(db,
                 "SELECT b.bytes_sent FROM bytes b JOIN flows f USING (flow_id) WHERE f.local_port = 40000 "
                 "AND b.bucket_ns = %" PRId64,
                 utc(3, 3)),
           100);
    EXPECT("client bucket in the forward hour",
           q_int(db,
                 "SELECT b.bytes_sent FROM bytes b JOIN flows f USING (flow_id) WHERE f.local_port = 40000 "
                 "AND b.bucket_ns = %" PRId64,
                 utc(11, 11)),
           300);
    EXPECT("client bucket after the backward step",
           q_int(db,
                 "SELECT b.bytes_sent FROM bytes b JOIN flows f USING (flow_id) WHERE f.local_port = 40000 "
                 "AND b.bucket_ns = %" PRId64,
                 utc(21, 21)),
           500);
    EXPECT("flows whose buckets do not sum to their totals",
           q_int(db, "SELECT count(*) FROM flows f WHERE f.bytes_sent + f.bytes_recv <> "
                     "(SELECT coalesce(sum(bytes_sent + bytes_recv), 0) FROM bytes b WHERE b.flow_id = f.flow_id)"),
           0);
    EXPECT("flows whose rollups do not sum to their totals",
           q_int(db, "SELECT count(*) FROM flows f WHERE f.bytes_sent + f.bytes_recv <> "
                     "(SELECT coalesce(sum(bytes_sent + bytes_recv), 0) FROM bytes_rollup b "
                     "WHERE b.flow_id = f.flow_id)"),
           0);

    /* Other rows. */
    EXPECT("snapshot ts_ns", q_int(db, "SELECT ts_ns FROM snapshots"), utc(12, 12));
    EXPECT("loss ts_ns", q_int(db, "SELECT ts_ns FROM losses"), utc(22, 22));
    EXPECT("loss since_ns (a forward-hour time, read after the backward step)",
           q_int(db, "SELECT since_ns FROM losses"), utc(22, 15));
    EXPECT("marker m1", q_int(db, "SELECT ts_ns FROM markers WHERE text = 'm1'"), utc(6, 6));
    EXPECT("marker m2", q_int(db, "SELECT ts_ns FROM markers WHERE text = 'm2'"), utc(12, 12));
    EXPECT("marker m3", q_int(db, "SELECT ts_ns FROM markers WHERE text = 'm3'"), utc(22, 22));
    /* Capture order survives in rowid order; UTC differences between
     * consecutive marks are capture time plus the steps in between. */
    EXPECT("markers in capture order",
           q_int(db, "SELECT group_concat(text, '') = 'm1m2m3' FROM (SELECT text FROM markers ORDER BY rowid)"), 1);
    EXPECT(
        "m2 - m1 = 6 s of capture time + 1 h forward",
        q_int(db,
              "SELECT (SELECT ts_ns FROM markers WHERE text = 'm2') - (SELECT ts_ns FROM markers WHERE text = 'm1')"),
        6 * S + STEP1);
    EXPECT(
        "m3 - m2 = 10 s of capture time - 1.5 h",
        q_int(db,
              "SELECT (SELECT ts_ns FROM markers WHERE text = 'm3') - (SELECT ts_ns FROM markers WHERE text = 'm2')"),
        10 * S + STEP2);

    /* The capture row spans the earliest and latest UTC seen. */
    EXPECT("capture started_ns", q_int(db, "SELECT started_ns FROM captures"), utc(21, 21));
    EXPECT("capture ended_ns", q_int(db, "SELECT ended_ns FROM captures"), utc(15, 15));
    EXPECT("capture events_lost", q_int(db, "SELECT events_lost FROM captures"), 7);
}

/* The timeline report (per flow, 1 s buckets): rows in bucket order, the
 * totals those of the flows. */
static void check_timeline(sqlite3 *db)
{
    const struct pfa_report *rep = pfa_report_find("timeline");
    if (!rep) {
        printf("FAIL no timeline report\n");
        failures++;
        return;
    }
    struct pfa_kv kv[] = {{"bucket", "1s"}, {"by", "flow"}, {"top", "0"}};
    char err[512];
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, rep->sql, -1, &st, NULL) != SQLITE_OK ||
        pfa_bind_params(db, st, rep, kv, 3, 1, err, sizeof err)) {
        printf("FAIL timeline: %s\n", sqlite3_errmsg(db));
        failures++;
        return;
    }
    int64_t prev = INT64_MIN, rows = 0, out_of_order = 0, sent = 0;
    int sent_col = 7;
    for (int i = 0; i < sqlite3_column_count(st); i++)
        if (!strcmp(sqlite3_column_name(st, i), "bytes_sent"))
            sent_col = i;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t b = sqlite3_column_int64(st, 0);
        if (b < prev)
            out_of_order++;
        prev = b;
        sent += sqlite3_column_int64(st, sent_col);
        rows++;
    }
    sqlite3_finalize(st);
    EXPECT("timeline rows (3 client, 3 accepted, 2 quick, 1 late)", rows, 9);
    EXPECT("timeline rows out of bucket order", out_of_order, 0);
    EXPECT("timeline bytes sent", sent, q_int(db, "SELECT sum(bytes_sent) FROM flows"));
}

static void figure(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void figure(const char *name, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    printf("figure: %s: %s\n", name, value);
    const char *dir = getenv("PF_FIGURES_DIR");
    if (!dir || !*dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/faults.clock_steps.tsv", dir);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "faults\t%s\t%s\n", name, value);
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_clock_steps WORKDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    mkdir(dir, 0755);
    char cap[4096], dbp[4096], err[512];
    snprintf(cap, sizeof cap, "%s/steps.pfcap", dir);
    snprintf(dbp, sizeof dbp, "%s/steps.db", dir);
    int rc = write_capture(cap);
    if (rc < 0) {
        fprintf(stderr, "cannot write %s: %s\n", cap, pf_strerror(rc));
        return 1;
    }
    unlink(dbp);
    sqlite3 *db;
    if (pfa_db_open(&db, dbp, 1, 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct pfa_ingest_result res;
    struct pfa_ingest_options o = {.bucket_ns = (uint64_t)S};
    rc = pfa_ingest_file(db, cap, &o, &res, err, sizeof err);
    if (!rc)
        rc = pfa_ingest_finish(db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "ingest: %s\n", err);
        pfa_db_close(db);
        return 1;
    }
    printf("wall clock: +%lld s at t=%.0f s, %lld s at t=%.0f s (capture clock runs on)\n", (long long)(STEP1 / S),
           STEP1_T, (long long)(STEP2 / S), STEP2_T);
    check_db(db);
    check_timeline(db);
    pfa_db_close(db);
    figure("clock steps: wall-clock steps in the capture", "+1 h, -1.5 h");
    figure("clock steps: exact UTC values and invariants", "%d of %d right", checks - failures, checks);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
