/* SPDX-License-Identifier: MIT */
/* recorder/platform.h for Windows. The capture clock is the performance
 * counter in ns (PF_CLOCK_QPC_NS): monotonic, and what ETW real-time
 * sessions stamp events with when asked for raw QPC timestamps. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <errno.h>
#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../platform.h"
#include "win.h"

/* 1601-01-01 to 1970-01-01 in 100 ns units. */
#define FILETIME_UNIX_EPOCH 116444736000000000ull

uint64_t pfr_win_qpc_to_ns(uint64_t ticks)
{
    static uint64_t freq;
    if (!freq) {
        LARGE_INTEGER f;
        QueryPerformanceFrequency(&f);
        freq = f.QuadPart > 0 ? (uint64_t)f.QuadPart : 1;
    }
    /* Split so large tick counts do not overflow. */
    return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}

uint64_t pfr_plat_boottime_ns(void)
{
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return pfr_win_qpc_to_ns((uint64_t)t.QuadPart);
}

uint64_t pfr_win_filetime_now(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

int64_t pfr_plat_utc_ns(void) { return ((int64_t)pfr_win_filetime_now() - (int64_t)FILETIME_UNIX_EPOCH) * 100; }

uint64_t pfr_plat_cpu_ns(void)
{
    FILETIME c, e, k, u;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u))
        return 0;
    uint64_t kt = ((uint64_t)k.dwHighDateTime << 32) | k.dwLowDateTime;
    uint64_t ut = ((uint64_t)u.dwHighDateTime << 32) | u.dwLowDateTime;
    return (kt + ut) * 100;
}

static volatile sig_atomic_t *stop_flag;

static BOOL WINAPI on_ctrl(DWORD type)
{
    if (!stop_flag)
        return FALSE;
    *stop_flag = type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT ? SIGINT : SIGTERM;
    /* Windows ends the process when this handler returns from a close,
     * logoff or shutdown event: give the main loop time to finish the file. */
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
        Sleep(4000);
    return TRUE;
}

int pfr_plat_on_stop_signals(volatile sig_atomic_t *flag)
{
    stop_flag = flag;
    return SetConsoleCtrlHandler(on_ctrl, TRUE) ? 0 : pfr_plat_os_error(EINVAL);
}

/* No SIGUSR1 on Windows: rotation by size or time only. */
int pfr_plat_on_rotate_signal(volatile sig_atomic_t *flag)
{
    (void)flag;
    return 0;
}

/* The CRT's descriptor limit is not what ETW and IP Helper use. */
int pfr_plat_check_fd_limit(unsigned need, char *msg, size_t len)
{
    (void)need;
    if (len)
        msg[0] = '\0';
    return 0;
}

int pfr_plat_lock_file(const char *path, int *handle)
{
    (void)path;
    *handle = -1;
    return 0;
}

void pfr_plat_unlock_file(int handle) { (void)handle; }

int pfr_plat_file_size(const char *path, uint64_t *size)
{
    WIN32_FILE_ATTRIBUTE_DATA a;
    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &a))
        return pfr_plat_os_error(ENOENT);
    *size = ((uint64_t)a.nFileSizeHigh << 32) | a.nFileSizeLow;
    return 0;
}

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

/* The status line redraws itself with ANSI sequences: only on a console
 * that understands them (Windows 10+). */
int pfr_plat_stderr_is_tty(void)
{
    HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
    DWORD mode;
    if (!_isatty(_fileno(stderr)) || !GetConsoleMode(h, &mode))
        return 0;
    if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING)
        return 1;
    return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

void pfr_plat_hostname(char *buf, size_t len)
{
    DWORD n = len > 0xffff ? 0xffff : (DWORD)len;
    if (!len)
        return;
    if (!GetComputerNameExA(ComputerNameDnsHostname, buf, &n))
        buf[0] = '\0';
    buf[len - 1] = '\0';
}

void pfr_plat_os(char *name, size_t nlen, char *release, size_t rlen)
{
    /* GetVersionEx reports what the manifest allows; ntdll tells the truth. */
    typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
    OSVERSIONINFOW v;
    memset(&v, 0, sizeof v);
    v.dwOSVersionInfoSize = sizeof v;
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    rtl_get_version_fn fn = nt ? (rtl_get_version_fn)(void (*)(void))GetProcAddress(nt, "RtlGetVersion") : NULL;
    snprintf(name, nlen, "Windows");
    if (fn && fn(&v) == 0)
        snprintf(release, rlen, "%lu.%lu.%lu", (unsigned long)v.dwMajorVersion, (unsigned long)v.dwMinorVersion,
                 (unsigned long)v.dwBuildNumber);
    else if (rlen)
        release[0] = '\0';
}

int pfr_plat_remove(const char *path)
{
    if (DeleteFileA(path))
        return 0;
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
        return 0;
    return pfr_plat_os_error(e == ERROR_ACCESS_DENIED ? EACCES : EIO);
}

int pfr_plat_exists(const char *path) { return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES; }

int pfr_plat_is_symlink(const char *path)
{
    DWORD a = GetFileAttributesA(path);
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_REPARSE_POINT);
}

int pfr_plat_list_dir(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx)
{
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s%s*", dir, dir[0] ? "\\" : "");
    WIN32_FIND_DATAA fd;
    HANDLE h = FindFirstFileA(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 : pfr_plat_os_error(ENOENT);
    int rc = 0;
    do
        rc = fn(ctx, fd.cFileName);
    while (!rc && FindNextFileA(h, &fd));
    FindClose(h);
    return rc;
}

/* "root" on Windows: an elevated token (what ETW kernel sessions need). */
int pfr_plat_is_root(void)
{
    HANDLE tok;
    TOKEN_ELEVATION el;
    DWORD n = 0;
    int admin = 0;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return 0;
    if (GetTokenInformation(tok, TokenElevation, &el, sizeof el, &n))
        admin = el.TokenIsElevated != 0;
    CloseHandle(tok);
    return admin;
}

/* Nothing to drop here: the ETW session is controlled by handle, and
 * consuming and stopping it need the same elevation that started it.
 * Output files get the directory's inherited ACL (no mode bits on NTFS). */
int pfr_plat_drop_privileges(const char *output, char *note, size_t len)
{
    (void)output;
    if (len)
        note[0] = '\0';
    return 0;
}
