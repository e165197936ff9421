/* SPDX-License-Identifier: MIT */
/* Signal guards of procflow-analyze; see guard.h. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include "guard.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if !defined(_WIN32)
#include <sys/mman.h>
#include <unistd.h>
#else
#include <io.h>
#define unlink _unlink
#endif

/* Built before the signal can come: a handler may only unlink. */
#define MAX_TEMP 80
static char temp_paths[MAX_TEMP][4200];
static volatile sig_atomic_t ntemp;

int pfa_guard_temp_file(const char *path)
{
    if (!path || ntemp >= MAX_TEMP || strlen(path) >= sizeof temp_paths[0])
        return -1;
    snprintf(temp_paths[ntemp], sizeof temp_paths[0], "%s", path);
    ntemp = ntemp + 1; /* published after the name is complete */
    return 0;
}

void pfa_guard_temp_db(const char *path)
{
    static const char *const suffix[4] = {"", "-wal", "-shm", "-journal"};
    char p[4200];
    for (int i = 0; path && i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        pfa_guard_temp_file(p);
    }
}

void pfa_guard_remove_temp(void)
{
    for (int i = 0; i < ntemp; i++)
        unlink(temp_paths[i]);
    ntemp = 0;
}

#if !defined(_WIN32)
static sigset_t held_mask;
#endif

void pfa_guard_hold_signals(void)
{
#if !defined(_WIN32)
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, &held_mask);
#endif
}

void pfa_guard_release_signals(void)
{
#if !defined(_WIN32)
    sigprocmask(SIG_SETMASK, &held_mask, NULL);
#endif
}

static void on_stop(int sig)
{
    pfa_guard_remove_temp();
    signal(sig, SIG_DFL);
    raise(sig);
}

void pfa_guard_signals(void)
{
#if !defined(_WIN32)
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
#else
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
#endif
}

#if !defined(_WIN32)
static volatile sig_atomic_t shrunk_pages;

/* Only pages of a file mapping past the file's end raise SIGBUS with
 * BUS_ADRERR, so the faulting page is one of the input's (the analyzer
 * maps nothing else that others truncate). Replacing that one page by a
 * private zero page lets the read go on. Anything else, or a page that
 * cannot be replaced, takes the default action. */
static void on_bus(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    long page = sysconf(_SC_PAGESIZE);
    if (si->si_code == BUS_ADRERR && si->si_addr && page > 0) {
        void *at = (void *)((uintptr_t)si->si_addr & ~((uintptr_t)page - 1));
        if (mmap(at, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == at) {
            shrunk_pages++;
            return;
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void pfa_guard_mapped_inputs(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

unsigned long pfa_guard_shrunk_pages(void)
{
    unsigned long n = (unsigned long)shrunk_pages;
    shrunk_pages = 0;
    return n;
}
#else
/* Windows does not let a mapped file shrink. */
void pfa_guard_mapped_inputs(void) {}

unsigned long pfa_guard_shrunk_pages(void) { return 0; }
#endif
