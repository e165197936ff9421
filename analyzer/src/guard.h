/* SPDX-License-Identifier: MIT */
/* Process-wide guards of procflow-analyze (the program, not the library):
 * a temporary database removed on every way out, and input files that
 * shrink while they are mapped. */
#ifndef PFA_GUARD_H
#define PFA_GUARD_H

/* Catches SIGINT, SIGTERM and SIGHUP: the registered temporary files
 * (a database with its -wal, -shm and -journal files, spooled inputs) are
 * removed, then the signal ends the process as it would have (exit status
 * 128 + signal). */
void pfa_guard_signals(void);
/* Registers the temporary database PATH and its side files. */
void pfa_guard_temp_db(const char *path);
/* Registers one temporary file; -1 when too many are registered. */
int pfa_guard_temp_file(const char *path);
/* Removes every registered temporary file now. */
void pfa_guard_remove_temp(void);
/* Hold SIGINT, SIGTERM and SIGHUP back from creating a temporary file until
 * it is registered (a signal in between would leave it behind); release
 * delivers what came meanwhile. Not nested. */
void pfa_guard_hold_signals(void);
void pfa_guard_release_signals(void);

/* A capture cut short while it is mapped makes reads beyond the new end
 * raise SIGBUS. From now on such a page reads as zeros (the reader finds
 * damage there) instead of killing the process. */
void pfa_guard_mapped_inputs(void);
/* Pages that read as zeros since the last call (0: the input held). */
unsigned long pfa_guard_shrunk_pages(void);

#endif
