/* SPDX-License-Identifier: MIT */
/* Process table: Toolhelp snapshots, image paths and creation times.
 * A process instance is (pid, start_ns); start_ns is the creation time
 * mapped into the capture clock through one fixed anchor, so the same
 * process always gets the same value during a recording. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <sddl.h>
#include <tlhelp32.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../platform.h"
#include "win.h"

/* A creation time this close to a known one is the same instance (event
 * times and GetProcessTimes differ a little). */
#define SAME_FT_SLACK 5000000ull /* 0.5 s in 100 ns units */

static void *token_sid(HANDLE proc)
{
    HANDLE tok;
    void *out = NULL;
    if (!OpenProcessToken(proc, TOKEN_QUERY, &tok))
        return NULL;
    DWORD n = 0;
    GetTokenInformation(tok, TokenUser, NULL, 0, &n);
    TOKEN_USER *tu = n ? malloc(n) : NULL;
    if (tu && GetTokenInformation(tok, TokenUser, tu, n, &n)) {
        DWORD len = GetLengthSid(tu->User.Sid);
        out = malloc(len);
        if (out && !CopySid(len, out, tu->User.Sid)) {
            free(out);
            out = NULL;
        }
    }
    free(tu);
    CloseHandle(tok);
    return out;
}

int pfr_win_procs_init(struct pfr_win_procs *t)
{
    memset(t, 0, sizeof *t);
    if (pfc_htab_init(&t->byid, sizeof(uint32_t), sizeof(struct pfr_win_proc), 1u << 20))
        return -ENOMEM;
    t->anchor_ns = pfr_plat_boottime_ns();
    t->anchor_ft = pfr_win_filetime_now();
    t->self_sid = token_sid(GetCurrentProcess());
    return 0;
}

void pfr_win_procs_free(struct pfr_win_procs *t)
{
    if (!t)
        return;
    pfc_htab_free(&t->byid);
    free(t->self_sid);
    t->self_sid = NULL;
}

uint64_t pfr_win_procs_ft_to_ns(const struct pfr_win_procs *t, uint64_t ft)
{
    if (!ft)
        return 0;
    if (ft >= t->anchor_ft)
        return t->anchor_ns + (ft - t->anchor_ft) * 100;
    uint64_t back = (t->anchor_ft - ft) * 100;
    /* Created before the counter started (clock changes): keep it non-zero. */
    return back < t->anchor_ns ? t->anchor_ns - back : 1;
}

/* NtQueryInformationProcess, resolved once (ntdll is always loaded). */
typedef LONG(NTAPI *nt_query_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
static nt_query_fn nt_query;
static INIT_ONCE nt_query_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK resolve_nt_query(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once, (void)param, (void)ctx;
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    if (nt)
        nt_query = (nt_query_fn)(void (*)(void))GetProcAddress(nt, "NtQueryInformationProcess");
    return TRUE;
}

#define PROCESS_COMMAND_LINE_INFORMATION 60 /* PROCESSINFOCLASS, Windows 8.1+ */
#define CMDLINE_MAX_BYTES (64u * 1024u)     /* UNICODE_STRING limit */

struct ustr { /* UNICODE_STRING */
    USHORT len, max;
    WCHAR *buf;
};

static void wide_to_utf8(const wchar_t *w, char *out, size_t cap);

static int cmdline_of(HANDLE h, char *out, size_t cap)
{
    out[0] = '\0';
    InitOnceExecuteOnce(&nt_query_once, resolve_nt_query, NULL, NULL);
    if (!nt_query)
        return -ENOSYS;
    ULONG need = 0;
    size_t size = sizeof(struct ustr) + 1024;
    for (int round = 0; round < 2; round++) {
        struct ustr *u = malloc(size + sizeof(WCHAR));
        if (!u)
            return -ENOMEM;
        LONG st = nt_query(h, PROCESS_COMMAND_LINE_INFORMATION, u, (ULONG)size, &need);
        if (st >= 0) {
            size_t n = u->buf ? u->len / sizeof(WCHAR) : 0;
            WCHAR *w = (WCHAR *)(u + 1);
            /* The string follows the header in our buffer; copy out bounded. */
            if (u->buf && (size_t)((char *)u->buf - (char *)u) + u->len <= size) {
                memmove(w, u->buf, n * sizeof(WCHAR));
                w[n] = 0;
                wide_to_utf8(w, out, cap);
            }
            free(u);
            return 0;
        }
        free(u);
        /* Before Windows 8.1 (and in Wine) the class does not exist. */
        if ((ULONG)st == 0xC0000003u || (ULONG)st == 0xC0000002u) /* INVALID_INFO_CLASS, NOT_IMPLEMENTED */
            return -ENOSYS;
        if (need <= size || need > sizeof(struct ustr) + CMDLINE_MAX_BYTES)
            return -EACCES;
        size = need;
    }
    return -EACCES;
}

int pfr_win_read_cmdline(uint32_t pid, char *out, size_t cap)
{
    if (!cap)
        return -EINVAL;
    out[0] = '\0';
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!h)
        return GetLastError() == ERROR_INVALID_PARAMETER ? -ESRCH : -EACCES;
    int rc = cmdline_of(h, out, cap);
    CloseHandle(h);
    return rc;
}

static void wide_to_utf8(const wchar_t *w, char *out, size_t cap)
{
    if (!cap)
        return;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL);
    if (n <= 0)
        out[0] = '\0';
    out[cap - 1] = '\0';
}

/* What can be read about a process without debug rights. */
static void query_process(const struct pfr_win_procs *t, uint32_t pid, uint64_t *ft, char *exe, size_t exe_cap,
                          char *user, size_t user_cap, int *own, char *cmd, size_t cmd_cap)
{
    *ft = 0;
    exe[0] = user[0] = cmd[0] = '\0';
    *own = 0;
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!h)
        return;
    FILETIME c, e, k, u;
    if (GetProcessTimes(h, &c, &e, &k, &u))
        *ft = ((uint64_t)c.dwHighDateTime << 32) | c.dwLowDateTime;
    wchar_t path[1024];
    DWORD n = (DWORD)(sizeof path / sizeof path[0]);
    if (QueryFullProcessImageNameW(h, 0, path, &n))
        wide_to_utf8(path, exe, exe_cap);
    cmdline_of(h, cmd, cmd_cap); /* "" without the right to read it */
    void *sid = token_sid(h);
    if (sid) {
        char *text = NULL;
        if (ConvertSidToStringSidA(sid, &text)) {
            size_t l = strlen(text);
            if (l >= user_cap)
                l = user_cap - 1;
            memcpy(user, text, l);
            user[l] = '\0';
            LocalFree(text);
        }
        *own = t->self_sid && EqualSid(sid, t->self_sid);
        free(sid);
    }
    CloseHandle(h);
}

static int same_instance(const struct pfr_win_proc *p, uint64_t ft, const char *name)
{
    if (p->create_ft && ft) {
        uint64_t d = p->create_ft > ft ? p->create_ft - ft : ft - p->create_ft;
        return d <= SAME_FT_SLACK;
    }
    /* No creation time on one side: the name has to do. */
    return !p->name[0] || strcmp(p->name, name) == 0;
}

static int clear_seen(void *ctx, const void *key, void *val)
{
    (void)ctx;
    (void)key;
    ((struct pfr_win_proc *)val)->seen = 0;
    return 0;
}

/* Drops table entries the scan did not list, except those created after
 * the scan's snapshot was taken (ctx: that FILETIME, or NULL): with the
 * lock not held while reading, a start event may have added them since. */
static int drop_unseen(void *ctx, const void *key, void *val)
{
    const struct pfr_win_proc *p = val;
    (void)key;
    if (p->seen)
        return 0;
    return !(ctx && p->create_ft >= *(const uint64_t *)ctx);
}

static char *dup_str(const char *v)
{
    size_t n = strlen(v) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, v, n);
    return d;
}

void pfr_win_scan_free(struct pfr_win_scan *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->v[i].exe);
        free(sc->v[i].user);
        free(sc->v[i].cmdline);
    }
    free(sc->v);
    memset(sc, 0, sizeof *sc);
}

int pfr_win_procs_gather(const struct pfr_win_procs *t, struct pfr_win_scan *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->taken_ft = pfr_win_filetime_now();
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return -EIO;
    PROCESSENTRY32W pe;
    pe.dwSize = sizeof pe;
    char exe[1024], user[192];
    char *cmd = malloc(sizeof((struct pfr_win_proc *)0)->cmdline);
    int rc = cmd ? 0 : -ENOMEM;
    for (BOOL ok = Process32FirstW(snap, &pe); ok && rc == 0; ok = Process32NextW(snap, &pe)) {
        if (sc->n == sc->cap) {
            size_t ncap = sc->cap ? sc->cap * 2 : 256;
            struct pfr_win_seen *nv = realloc(sc->v, ncap * sizeof *nv);
            if (!nv) {
                rc = -ENOMEM;
                break;
            }
            sc->v = nv;
            sc->cap = ncap;
        }
        struct pfr_win_seen *e = &sc->v[sc->n];
        memset(e, 0, sizeof *e);
        e->pid = pe.th32ProcessID;
        e->ppid = pe.th32ParentProcessID;
        wide_to_utf8(pe.szExeFile, e->name, sizeof e->name);
        query_process(t, e->pid, &e->ft, exe, sizeof exe, user, sizeof user, &e->own, cmd,
                      sizeof((struct pfr_win_proc *)0)->cmdline);
        e->exe = dup_str(exe);
        e->user = dup_str(user);
        e->cmdline = dup_str(cmd);
        sc->n++;
        if (!e->exe || !e->user || !e->cmdline)
            rc = -ENOMEM;
    }
    free(cmd);
    CloseHandle(snap);
    if (rc < 0)
        pfr_win_scan_free(sc);
    return rc;
}

static void copy_str(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

void pfr_win_procs_merge(struct pfr_win_procs *t, struct pfr_win_scan *sc)
{
    pfc_htab_scan(&t->byid, clear_seen, NULL);
    for (size_t i = 0; i < sc->n; i++) {
        struct pfr_win_seen *e = &sc->v[i];
        uint32_t pid = e->pid;
        struct pfr_win_proc *p = pfc_htab_get(&t->byid, &pid);
        if (p && !same_instance(p, e->ft, e->name)) {
            pfc_htab_del(&t->byid, &pid); /* the pid was reused */
            p = NULL;
        }
        if (!p) {
            p = pfc_htab_put(&t->byid, &pid, NULL);
            if (!p)
                continue; /* table full: still listed as unknown owners */
            p->pid = pid;
            p->create_ft = e->ft;
            p->start_ns = pfr_win_procs_ft_to_ns(t, e->ft);
            p->fresh = 1;
        }
        if (!p->create_ft && e->ft)
            p->create_ft = e->ft;
        p->ppid = e->ppid;
        p->own = e->own;
        p->seen = 1;
        memcpy(p->name, e->name, sizeof p->name);
        if (e->exe[0] || !p->exe[0])
            copy_str(p->exe, sizeof p->exe, e->exe);
        if (e->user[0])
            copy_str(p->user, sizeof p->user, e->user);
        if (e->cmdline[0])
            copy_str(p->cmdline, sizeof p->cmdline, e->cmdline);
    }
    pfc_htab_scan(&t->byid, drop_unseen, &sc->taken_ft);
    /* Parents are known only once every process was looked at. */
    for (size_t i = 0; i < sc->n; i++) {
        struct pfr_win_seen *e = &sc->v[i];
        struct pfr_win_proc *p = pfc_htab_get(&t->byid, &e->pid);
        if (!p)
            continue;
        const struct pfr_win_proc *pp = p->ppid && p->ppid != p->pid ? pfc_htab_get(&t->byid, &p->ppid) : NULL;
        /* A parent created after the child is a reused pid. */
        p->parent_start_ns = pp && pp->start_ns <= p->start_ns ? pp->start_ns : 0;
        e->known = 1;
        e->is_new = p->fresh;
        e->start_ns = p->start_ns;
        e->parent_start_ns = p->parent_start_ns;
        p->fresh = 0;
    }
}

int pfr_win_procs_scan(struct pfr_win_procs *t, pfr_win_proc_fn fn, void *ctx)
{
    struct pfr_win_scan sc;
    int rc = pfr_win_procs_gather(t, &sc);
    if (rc < 0)
        return rc;
    pfr_win_procs_merge(t, &sc);
    for (size_t i = 0; fn && i < sc.n && rc == 0; i++) {
        const struct pfr_win_proc *p = pfc_htab_get(&t->byid, &sc.v[i].pid);
        if (p && sc.v[i].known) {
            int r = fn(ctx, p, sc.v[i].is_new);
            if (r < 0)
                rc = r;
        }
    }
    pfr_win_scan_free(&sc);
    return rc;
}

struct pfr_win_proc *pfr_win_procs_get(struct pfr_win_procs *t, uint32_t pid) { return pfc_htab_get(&t->byid, &pid); }

struct pfr_win_proc *pfr_win_procs_started(struct pfr_win_procs *t, uint32_t pid, uint64_t start_ns)
{
    pfc_htab_del(&t->byid, &pid);
    struct pfr_win_proc *p = pfc_htab_put(&t->byid, &pid, NULL);
    if (!p)
        return NULL;
    p->pid = pid;
    p->start_ns = start_ns;
    /* Back to FILETIME so a later scan recognises the same instance. */
    if (start_ns >= t->anchor_ns)
        p->create_ft = t->anchor_ft + (start_ns - t->anchor_ns) / 100;
    else
        p->create_ft = t->anchor_ft - (t->anchor_ns - start_ns) / 100;
    p->seen = 1;
    return p;
}

void pfr_win_procs_exited(struct pfr_win_procs *t, uint32_t pid) { pfc_htab_del(&t->byid, &pid); }
