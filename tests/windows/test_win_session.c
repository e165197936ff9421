/* SPDX-License-Identifier: MIT */
/* Session health of the Windows source, run under Wine: Wine's ETW is a
 * stub, so the ETW calls are replaced at their seam (etw_api.h) by a fake
 * that keeps one session's state and answers with the error codes the
 * real API gives (ERROR_ALREADY_EXISTS, ERROR_WMI_INSTANCE_NOT_FOUND).
 * Everything else is real: threads, the owner mutex, the process table.
 *
 * Paths: a session stopped from outside (detected within a second, a gap
 * record, notices, restart), a second recorder (refused while the first
 * lives), an orphaned session (taken over), shutdown (final counters of
 * ControlTrace(STOP) read, lost events and lost buffers apart), and a
 * consumer thread that does not end (checked wait, memory kept). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <evntcons.h>
#include <evntrace.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "etw_api.h"
#include "source.h"
#include "win.h"

static int passed, failed;

#define CHECK(cond) \
    do { \
        if (cond) { \
            passed++; \
        } else { \
            failed++; \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        } \
    } while (0)

/* ------------------------------------------------------------ fake ETW */

static struct {
    volatile LONG exists;       /* our session is running */
    volatile LONG orphan;       /* a session of that name left by an earlier recorder */
    volatile LONG ignore_stop;  /* ProcessTrace does not return when the session stops */
    volatile LONG release;      /* ... until this is set */
    volatile LONG refuse_start; /* StartTrace fails (the session cannot come back) */
    HANDLE stopped;             /* manual-reset: ProcessTrace returns */
    volatile LONG starts, stops, opens;
    ULONG events_lost, log_buffers_lost, rt_buffers_lost;
} fk;

static ULONG WINAPI fake_start(PTRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p)
{
    (void)name;
    (void)p;
    if (fk.refuse_start)
        return ERROR_ACCESS_DENIED;
    if (fk.exists || fk.orphan)
        return ERROR_ALREADY_EXISTS;
    fk.exists = 1;
    ResetEvent(fk.stopped);
    *h = 0x1000 + (TRACEHANDLE)InterlockedIncrement(&fk.starts);
    return ERROR_SUCCESS;
}

static ULONG WINAPI fake_control(TRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p, ULONG code)
{
    (void)h;
    if (code == EVENT_TRACE_CONTROL_STOP && !h && name && fk.orphan) {
        fk.orphan = 0; /* stopped by name */
        return ERROR_SUCCESS;
    }
    if (!fk.exists)
        return ERROR_WMI_INSTANCE_NOT_FOUND;
    p->EventsLost = fk.events_lost;
    p->LogBuffersLost = fk.log_buffers_lost;
    p->RealTimeBuffersLost = fk.rt_buffers_lost;
    if (code == EVENT_TRACE_CONTROL_STOP) {
        fk.exists = 0;
        InterlockedIncrement(&fk.stops);
        SetEvent(fk.stopped);
    }
    return ERROR_SUCCESS;
}

static ULONG WINAPI fake_enable(TRACEHANDLE h, LPCGUID g, ULONG code, UCHAR level, ULONGLONG any, ULONGLONG all,
                                ULONG timeout, PENABLE_TRACE_PARAMETERS params)
{
    (void)h, (void)g, (void)code, (void)level, (void)any, (void)all, (void)timeout, (void)params;
    return fk.exists ? ERROR_SUCCESS : ERROR_WMI_INSTANCE_NOT_FOUND;
}

static TRACEHANDLE WINAPI fake_open(PEVENT_TRACE_LOGFILEW lf)
{
    (void)lf;
    if (!fk.exists) {
        SetLastError(ERROR_WMI_INSTANCE_NOT_FOUND);
        return INVALID_PROCESSTRACE_HANDLE;
    }
    return 0x2000 + (TRACEHANDLE)InterlockedIncrement(&fk.opens);
}

static ULONG WINAPI fake_process(PTRACEHANDLE hs, ULONG n, LPFILETIME a, LPFILETIME b)
{
    (void)hs, (void)n, (void)a, (void)b;
    if (fk.ignore_stop) {
        while (!fk.release)
            Sleep(10);
        return ERROR_SUCCESS;
    }
    WaitForSingleObject(fk.stopped, INFINITE);
    return ERROR_SUCCESS;
}

static ULONG WINAPI fake_close(TRACEHANDLE h)
{
    (void)h;
    SetEvent(fk.stopped); /* CloseTrace makes ProcessTrace return */
    return ERROR_SUCCESS;
}

static int fake_admin(void) { return 1; }

static struct pfr_win_etw_api fake = {
    fake_start, fake_control, fake_enable, fake_open, fake_process, fake_close, fake_admin, 5000,
};

/* `logman stop procflow-record`: the session ends, delivery ends. */
static void stop_from_outside(void)
{
    fk.exists = 0;
    SetEvent(fk.stopped);
}

/* ------------------------------------------------------------ sink */

static struct {
    char lines[32][256];
    int n;
    ULONGLONG at[32];
} notices;

static void on_notice(void *ctx, const char *line)
{
    (void)ctx;
    if (notices.n < 32) {
        snprintf(notices.lines[notices.n], sizeof notices.lines[0], "%s", line);
        notices.at[notices.n++] = GetTickCount64();
    }
}

static int find_notice(const char *part)
{
    for (int i = 0; i < notices.n; i++)
        if (strstr(notices.lines[i], part))
            return i;
    return -1;
}

struct losses {
    int n;
    struct pf_loss l[16];
    uint64_t ts[16];
};

static int collect(void *ctx, const struct pf_record *r)
{
    struct losses *c = ctx;
    if (r->type == PF_REC_LOSS && c->n < 16) {
        c->ts[c->n] = r->ts_ns;
        c->l[c->n++] = r->u.loss;
    }
    return 0;
}

static void config(struct pfr_source_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->flush_interval_ns = 200000000ull; /* 0.2 s: quicker tests */
    cfg->notice = on_notice;
}

/* ------------------------------------------------------------ tests */

static DWORD WINAPI second_recorder(void *arg)
{
    int *rc = arg;
    struct pfr_source_config cfg;
    config(&cfg);
    struct pfr_source *s2 = NULL;
    *rc = pfr_source_default.open(&s2, &cfg);
    if (*rc == PF_E_OS && pf_os_errno() == EBUSY) /* the errno is this thread's */
        *rc = -EBUSY;
    if (s2)
        pfr_source_default.close(s2);
    return 0;
}

static void test_outside_stop_second_instance_shutdown(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    struct pfr_source_config cfg;
    config(&cfg);
    memset(&notices, 0, sizeof notices);
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s);
    if (!s)
        return;
    struct pfr_source_stats st;
    ops->stats(s, &st);
    CHECK(st.snapshot_only == 0);
    CHECK(fk.starts == 1);
    CHECK(ops->start(s) == 0);
    CHECK(fk.opens == 1);
    struct losses got;
    memset(&got, 0, sizeof got);
    for (int i = 0; i < 30; i++)
        ops->poll(s, collect, &got, 10);
    CHECK(got.n == 0);

    /* Stopped from outside: noticed within a second, restarted, the gap
     * written as a loss record. */
    ULONGLONG t0 = GetTickCount64();
    stop_from_outside();
    int seen = -1, back = -1;
    for (int i = 0; i < 300 && back < 0; i++) {
        ops->poll(s, collect, &got, 10);
        seen = find_notice("stopped from outside");
        back = find_notice("ETW session restarted");
    }
    CHECK(seen >= 0);
    if (seen >= 0)
        CHECK(notices.at[seen] - t0 < 1000);
    CHECK(back >= 0);
    CHECK(fk.starts == 2 && fk.opens == 2);
    int gap = -1;
    for (int i = 0; i < got.n; i++)
        if (got.l[i].source == PF_LOSS_SOURCE_DOWN)
            gap = i;
    CHECK(gap >= 0);
    if (gap >= 0)
        CHECK(got.l[gap].since_ns > 0 && got.l[gap].since_ns < got.ts[gap] && got.l[gap].count == 0);

    /* Gone while delivery hangs (ProcessTrace has not returned): the
     * QUERY of the next flush fails with ERROR_WMI_INSTANCE_NOT_FOUND. */
    memset(&notices, 0, sizeof notices);
    t0 = GetTickCount64();
    fk.exists = 0; /* no SetEvent: the consumer stays blocked */
    seen = back = -1;
    for (int i = 0; i < 300 && back < 0; i++) {
        ops->poll(s, collect, &got, 10);
        seen = find_notice("query failed, 4201");
        back = find_notice("ETW session restarted");
    }
    CHECK(seen >= 0);
    if (seen >= 0)
        CHECK(notices.at[seen] - t0 < 1000);
    CHECK(back >= 0);
    CHECK(fk.starts == 3 && fk.opens == 3);

    /* A second recorder while this one lives: refused, session untouched. */
    int rc2 = 0;
    HANDLE th = CreateThread(NULL, 0, second_recorder, &rc2, 0, NULL);
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    CHECK(rc2 == -EBUSY);
    CHECK(find_notice("another procflow-record is recording") >= 0);
    CHECK(fk.exists == 1 && fk.starts == 3);

    /* Shutdown: the counters ControlTrace(STOP) returns are written, lost
     * events and lost buffers as two sources. */
    fk.events_lost = 7;
    fk.log_buffers_lost = 2;
    fk.rt_buffers_lost = 1;
    memset(&got, 0, sizeof got);
    CHECK(ops->stop(s, collect, &got) >= 0);
    unsigned long long ev = 0, buf = 0;
    for (int i = 0; i < got.n; i++) {
        if (got.l[i].source == PF_LOSS_ETW_EVENTS)
            ev += got.l[i].count;
        if (got.l[i].source == PF_LOSS_ETW_BUFFERS)
            buf += got.l[i].count;
    }
    CHECK(ev == 7);
    CHECK(buf == 3);
    CHECK(fk.exists == 0);
    CHECK(find_notice("stopped from outside 2 time(s)") >= 0);
    ops->close(s);
}

static DWORD WINAPI abandon_mutex(void *arg)
{
    (void)arg;
    HANDLE m = CreateMutexW(NULL, FALSE, PF_WIN_OWNER_MUTEX);
    WaitForSingleObject(m, 0);
    return 0; /* ends owning it: abandoned, like a crashed recorder */
}

static void test_orphan_taken_over(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    HANDLE th = CreateThread(NULL, 0, abandon_mutex, NULL, 0, NULL);
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    fk.orphan = 1;
    LONG starts = fk.starts;
    struct pfr_source_config cfg;
    config(&cfg);
    memset(&notices, 0, sizeof notices);
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s);
    if (!s)
        return;
    CHECK(find_notice("taking it over") >= 0);
    CHECK(find_notice("left by an earlier recorder") >= 0);
    CHECK(fk.orphan == 0 && fk.exists == 1 && fk.starts == starts + 1);
    struct losses got;
    memset(&got, 0, sizeof got);
    CHECK(ops->start(s) == 0);
    CHECK(ops->stop(s, collect, &got) >= 0);
    ops->close(s);
    CHECK(fk.exists == 0);
}

/* Stopped from outside and never back: the span up to the end of the
 * recording is written as a source-down loss at the stop. */
static void test_down_at_the_end(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    struct pfr_source_config cfg;
    config(&cfg);
    memset(&notices, 0, sizeof notices);
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s);
    if (!s)
        return;
    CHECK(ops->start(s) == 0);
    struct losses got;
    memset(&got, 0, sizeof got);
    fk.refuse_start = 1;
    stop_from_outside();
    for (int i = 0; i < 300 && find_notice("stopped from outside") < 0; i++)
        ops->poll(s, collect, &got, 10);
    CHECK(find_notice("stopped from outside") >= 0);
    Sleep(300);
    for (int i = 0; i < 30; i++)
        ops->poll(s, collect, &got, 10); /* restarts refused meanwhile */
    CHECK(find_notice("ETW session restarted") < 0);
    CHECK(ops->stop(s, collect, &got) >= 0);
    int gap = -1;
    for (int i = 0; i < got.n; i++)
        if (got.l[i].source == PF_LOSS_SOURCE_DOWN)
            gap = i;
    CHECK(gap >= 0);
    if (gap >= 0)
        CHECK(got.l[gap].count == 0 && got.l[gap].since_ns > 0 && got.ts[gap] - got.l[gap].since_ns >= 250000000ull);
    CHECK(find_notice("stopped from outside 1 time(s)") >= 0);
    ops->close(s);
    fk.refuse_start = 0;
}

static void test_consumer_that_does_not_end(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    fake.stop_wait_ms = 200;
    pfr_win_etw_api_set(&fake);
    struct pfr_source_config cfg;
    config(&cfg);
    memset(&notices, 0, sizeof notices);
    fk.events_lost = fk.log_buffers_lost = fk.rt_buffers_lost = 0;
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s);
    if (!s)
        return;
    fk.ignore_stop = 1;
    CHECK(ops->start(s) == 0);
    struct losses got;
    memset(&got, 0, sizeof got);
    ULONGLONG t0 = GetTickCount64();
    CHECK(ops->stop(s, collect, &got) >= 0);
    CHECK(GetTickCount64() - t0 < 2000);
    CHECK(find_notice("event thread still running") >= 0);
    ops->close(s);  /* keeps what the thread may touch */
    fk.release = 1; /* the thread ends now and finds its memory intact */
    Sleep(100);
    fk.ignore_stop = 0;
}

/* Command lines in the default mode: ProcessCommandLineInformation. */
static void test_cmdline(void)
{
    char cmd[1024];
    int rc = pfr_win_read_cmdline(GetCurrentProcessId(), cmd, sizeof cmd);
    if (rc == -ENOSYS) {
        printf("ProcessCommandLineInformation not implemented here: fallback (empty) checked only\n");
    } else {
        CHECK(rc == 0);
        CHECK(strstr(cmd, "test_win_session") != NULL);
    }
    /* No such process: an error and an empty string, nothing else. */
    CHECK(pfr_win_read_cmdline(0xfffffff0u, cmd, sizeof cmd) < 0 && cmd[0] == '\0');
    /* Cut at the buffer: still a terminated string. */
    char small[8];
    pfr_win_read_cmdline(GetCurrentProcessId(), small, sizeof small);
    CHECK(strlen(small) < sizeof small);
}

int main(void)
{
    test_cmdline();
    fk.stopped = CreateEventW(NULL, TRUE, FALSE, NULL);
    pfr_win_etw_api_set(&fake);
    test_outside_stop_second_instance_shutdown();
    test_orphan_taken_over();
    test_down_at_the_end();
    test_consumer_that_does_not_end();
    pfr_win_etw_api_set(NULL);
    printf("test_win_session: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
