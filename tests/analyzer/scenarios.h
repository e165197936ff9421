/* SPDX-License-Identifier: MIT */
/* Hand-built test captures with exactly known flows (see scenarios.c):
 *   basic   - curl/nginx/resolver, PID reuse, UDP, IPv4-mapped and IPv6,
 *             snapshots, one loss record of 7 events, 3 chunks
 *   hostile - basic with hostile process strings and host name
 *   three   - 3 chunks, one UDP flow each (for damage tests)
 *   passive - accepted TCP whose first event has no owner, and a half-open one
 *   local   - both ends of loopback/same-host TCP and UDP connections, an
 *             unbound UDP sender whose last traffic is flushed after its exit
 *   scoped  - link-local IPv6 peers with zones, 2.5 s without events
 *   dns     - host "dnshost": DNS answers (A over UDP with two addresses,
 *             AAAA over TCP through a CNAME, NXDOMAIN, truncated) and the
 *             connections to the named addresses, one before its lookup */
#ifndef SCENARIOS_H
#define SCENARIOS_H
#include <stdint.h>
#include <stdio.h>

#include "procflow/format.h"

#define SC_BASE 1000000000000ULL    /* capture clock at t = 0 */
#define SC_U0 1714564800000000000LL /* 2024-05-01T12:00:00Z */

int sc_write(const char *name, const char *path);
/* extreme: absurd field values. "three", then "flip" a byte in chunk 2 or "cut" the file inside chunk 3. */
int sc_write_damaged(const char *how, const char *path);
#endif
