/* SPDX-License-Identifier: MIT */
/* The ETW control and consumer calls of the Windows source, behind one
 * table. The real table calls advapi32; tests under Wine (whose ETW is a
 * stub) put a fake in its place that returns the real error codes, so the
 * session-health paths (stopped from outside, a second recorder, shutdown)
 * run there too. */
#ifndef PF_RECORDER_ETW_API_H
#define PF_RECORDER_ETW_API_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <evntcons.h>
#include <evntrace.h>

struct pfr_win_etw_api {
    ULONG(WINAPI *start)(PTRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p);
    ULONG(WINAPI *control)(TRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p, ULONG code);
    ULONG(WINAPI *enable)
    (TRACEHANDLE h, LPCGUID provider, ULONG code, UCHAR level, ULONGLONG any, ULONGLONG all, ULONG timeout,
     PENABLE_TRACE_PARAMETERS params);
    TRACEHANDLE(WINAPI *open)(PEVENT_TRACE_LOGFILEW lf);
    ULONG(WINAPI *process)(PTRACEHANDLE handles, ULONG count, LPFILETIME from, LPFILETIME to);
    ULONG(WINAPI *close)(TRACEHANDLE h);
    int (*is_admin)(void);
    DWORD stop_wait_ms; /* how long shutdown waits for the consumer thread */
};

/* Name of the mutex a recorder holds for its session's life: a second
 * recorder tells a live owner (mutex held) from an orphaned session
 * (mutex abandoned or gone). */
#define PF_WIN_OWNER_MUTEX L"Global\\procflow-record-etw-session"

/* Replaces the table (NULL: the real calls). Call before opening a source. */
void pfr_win_etw_api_set(const struct pfr_win_etw_api *api);

#endif
