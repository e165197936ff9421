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
static char temp_paths[4][4200];
static volatile sig_atomic_t have_temp;

void pfa_guard_temp_db(const char *path)
{
    have_temp = 0;
    if (!path)
        return;
    static const char *const suffix[4] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++)
        snprintf(temp_paths[i], sizeof temp_paths[i], "%s%s", path, suffix[i]);
    have_temp = 1;
}

void pfa_guard_remove_temp(void)
{
    if (!have_temp)
        return;
    for (int i = 0; i < 4; i++)
        unlink(temp_paths[i]);
    have_temp = 0;
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
void pfa_guard_mapped_inputs(void)
{
}

unsigned long pfa_guard_shrunk_pages(void)
{
    return 0;
}
#endif
