/* SPDX-License-Identifier: MIT */
/* Portable ETW payload decoder: one ETW event (as found in an .etl file or
 * delivered by a real-time session) in, procflow records out. No Windows
 * headers; every multi-byte payload field is read little-endian except
 * ports (big-endian) and addresses (network order bytes). */
#ifndef PROCFLOW_ETW_DECODE_H
#define PROCFLOW_ETW_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/records.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pf_etw_provider {
    PF_ETW_PROV_UNKNOWN = 0,
    PF_ETW_PROV_TCPIP = 1,          /* classic 9a280ac0-c8e0-11d1-84e2-00c04fb998a2 */
    PF_ETW_PROV_UDPIP = 2,          /* classic bf3a50c5-a9c9-4988-a005-2df0b7c80f80 */
    PF_ETW_PROV_PROCESS = 3,        /* classic 3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c */
    PF_ETW_PROV_KERNEL_NETWORK = 4, /* Microsoft-Windows-Kernel-Network 7dd42a49-... */
    PF_ETW_PROV_KERNEL_PROCESS = 5, /* Microsoft-Windows-Kernel-Process 22fb2cd6-... */
    PF_ETW_PROV_COUNT = 6
};

/* GUID in its stored form (Data1, Data2, Data3 little-endian, Data4 as is). */
enum pf_etw_provider pf_etw_provider_from_guid(const uint8_t guid[16]);
/* Classic kernel events with a system header name their provider by group
 * (high byte of the hook id): 0x03 process, 0x06 TcpIp, 0x08 UdpIp. */
enum pf_etw_provider pf_etw_provider_from_group(unsigned group);
const char *pf_etw_provider_name(unsigned provider);

struct pf_etw_event {
    enum pf_etw_provider provider;
    uint16_t id; /* classic: opcode (event type); manifest: event id */
    uint8_t version;
    uint8_t pointer_size; /* 4 or 8: size of pointer fields in the payload */
    uint32_t header_pid;  /* pid from the event header (often 0 or -1) */
    uint64_t ts_ns;       /* event time in the output clock */
    uint8_t ts_is_utc;    /* ts_ns is UTC ns since 1970: times stated in the
                              payload (a Defunct's ExitTime) may replace it */
    const uint8_t *payload;
    size_t payload_len;
};

#define PF_ETW_MAX_RECORDS 2 /* most records one event can produce */

typedef struct pf_etw_decoder pf_etw_decoder;

/* Returns NULL when out of memory. */
pf_etw_decoder *pf_etw_decoder_new(void);
void pf_etw_decoder_free(pf_etw_decoder *d); /* NULL-safe */

/* Decodes one event into up to `cap` records (PF_ETW_MAX_RECORDS is always
 * enough). Returns the number written (0 when the event carries nothing for
 * procflow: unknown provider/id, a TCPCopy, a short payload), or PF_E_ARG.
 * Strings point into the decoder and stay valid until the next call.
 *
 * Process identity (pid, start_ns): the events carry no usable start time,
 * so the decoder remembers, per pid, the time of the latest Start or
 * rundown (DCStart) event it decoded and uses that value as start_ns:
 *  - Start: the event time (and remembered);
 *  - DCStart (already running when the trace began): the event time, i.e.
 *    the first sighting in this trace (stable for the whole trace);
 *  - End, DCEnd, Defunct and every network event: the remembered value of
 *    that pid, or 0 (unknown) when no Start/DCStart was decoded before.
 * A decoder instance is one trace: the same file always yields the same
 * identities. Events decoded before their process's Start (unsorted
 * multi-CPU buffers) get 0 or the previous instance of the pid. */
int pf_etw_decode(pf_etw_decoder *d, const struct pf_etw_event *ev, struct pf_record *out, size_t cap);

/* Why the last pf_etw_decode returned 0 (for statistics). */
enum pf_etw_skip {
    PF_ETW_SKIP_NONE = 0,
    PF_ETW_SKIP_PROVIDER = 1, /* provider not handled */
    PF_ETW_SKIP_ID = 2,       /* id/opcode not handled */
    PF_ETW_SKIP_SHORT = 3,    /* payload shorter than the layout needs */
    PF_ETW_SKIP_COPY = 4,     /* TCPCopy: bytes already counted by the receive */
    PF_ETW_SKIP_VERSION = 5   /* a handled event in a version without a known layout */
};

/* 1 when (provider, id, version) has a layout in the decoder's table.
 * Every version procflow knows is decoded by its own layout; a newer
 * version is never guessed at (PF_ETW_SKIP_VERSION) and callers count it. */
int pf_etw_layout_known(unsigned provider, unsigned id, unsigned version);
enum pf_etw_skip pf_etw_last_skip(const pf_etw_decoder *d);

/* UTF-16LE (unaligned bytes, stops at NUL or len) to UTF-8; unpaired
 * surrogates become U+FFFD. Writes at most cap-1 bytes plus NUL; returns the
 * length written. Exposed for tests. */
size_t pf_etw_utf16_to_utf8(const uint8_t *src, size_t src_bytes, char *dst, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
