/* SPDX-License-Identifier: MIT */
/* libpfetw: reads Windows .etl trace files (the on-disk form of an ETW
 * session) and turns kernel network and process events into procflow
 * records, so the analyzer can ingest them like a .pfcap capture.
 *
 * Same contract as libpfformat: negative enum pf_error on failure, never
 * prints or exits, NULL-safe close. Damaged buffers are reported through
 * pf_reader_options.on_damage and skipped. */
#ifndef PROCFLOW_ETL_H
#define PROCFLOW_ETL_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/format.h"
#include "procflow/records.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caps checked before allocating. */
#define PF_ETL_MAX_BUFFER_BYTES (16u << 20) /* one ETW buffer on disk (ETW's own maximum) */
/* A decompressed buffer is further capped by the logfile header's buffer size. */
/* Events are returned in time order through a sliding window of this many
 * bytes of known-event payloads (the earliest leaves when it is full; the
 * whole file for the traces seen so far) ... */
#define PF_ETL_SORT_WINDOW (8u << 20)
#define PF_ETL_SORT_EVENTS (128u << 10) /* ... and at most this many events */

/* Returns 1 when the bytes look like the start of an .etl file (a buffer
 * header followed by the logfile-header event), 0 otherwise. Needs the
 * first 0x68 bytes (256 are plenty); fewer bytes give 0. */
int pf_etl_probe(const void *first_bytes, size_t n);

typedef struct pf_etl pf_etl;

/* Opens an .etl file and reads its logfile header. Returns PF_OK and *out,
 * or PF_E_IO (errno kept), PF_E_NOT_CAPTURE (not an .etl file), PF_E_NOMEM.
 * opt may be NULL; skip_records is ignored. */
int pf_etl_open(pf_etl **out, const char *path, const struct pf_reader_options *opt);
/* Same from memory; the bytes must outlive the reader. */
int pf_etl_open_mem(pf_etl **out, const void *data, size_t len, const struct pf_reader_options *opt);
void pf_etl_close(pf_etl *e); /* NULL-safe */

/* File facts: os "Windows", os_release "<major>.<minor>.<build>",
 * platform PF_PLATFORM_WINDOWS, clock_id PF_CLOCK_UTC (ts_ns = UTC ns since
 * 1970; anchor 0 <-> 0), uuid derived from the logfile header bytes (the
 * same file always gets the same uuid), hostname NULL when not recorded. */
const struct pf_file_info *pf_etl_info(const pf_etl *e);

/* Next decoded record in time order (buffers of different CPUs merged;
 * events of equal time keep file order). Returns 1 with *rec filled, 0 at the
 * end, or a negative error only when reading cannot go on (I/O, memory).
 * Strings in *rec point into reader memory valid until the next call.
 * rec->utc_ns == rec->ts_ns. Records are PF_REC_PROCESS (process events),
 * PF_REC_SOCKET (connect/accept/disconnect/reconnect/fail/retransmit) and
 * PF_REC_TRAFFIC (one per send/receive call: duration 0, one call). */
int pf_etl_next(pf_etl *e, struct pf_record *rec);

/* Providers the reader knows (enum pf_etw_provider in etw_decode.h). */
#define PF_ETL_PROVIDERS 6
/* Up to this many other providers are counted by GUID; more go to
 * other_overflow. */
#define PF_ETL_MAX_OTHER 64

struct pf_etl_other_provider {
    uint8_t guid[16]; /* GUID bytes as stored (Data1..3 little-endian) */
    uint64_t events;
};

struct pf_etl_stats {
    uint64_t file_bytes;
    uint64_t buffers;            /* buffers walked (header parsed) */
    uint64_t buffers_compressed; /* of which XPRESS-compressed */
    uint64_t buffers_damaged;    /* reported and skipped (whole or rest of buffer) */
    uint64_t bytes_skipped;      /* file bytes not walked because of damage */
    uint64_t events;             /* event headers walked */
    uint64_t events_known;       /* from a provider the decoder handles */
    uint64_t events_skipped;     /* from other providers, counted below */
    uint64_t events_undecoded;   /* known provider but an id/opcode/payload not decoded */
    uint64_t events_damaged;     /* header type unknown or size out of range */
    uint64_t records;            /* records returned by pf_etl_next */
    /* Per known provider, events by opcode (classic) or event id (manifest)
     * below 256; index with enum pf_etw_provider. */
    uint64_t by_id[PF_ETL_PROVIDERS][256];
    uint64_t by_id_high[PF_ETL_PROVIDERS]; /* ids >= 256 */
    /* Skipped events of other providers. Events without a GUID get a
     * pseudo GUID, all zero but for the last two bytes: 0xff GG for classic
     * kernel events of group GG (the logfile header itself is group 0),
     * 0xfe TT for message/WNODE/timed/error headers of type TT. */
    struct pf_etl_other_provider other[PF_ETL_MAX_OTHER];
    uint32_t other_count;
    uint64_t other_overflow;
    /* From the logfile header. */
    uint32_t pointer_size;
    uint32_t build; /* Windows build number */
    uint32_t buffer_size;
    uint32_t log_file_mode;
    uint32_t clock_type;  /* 1 QPC, 2 system time, 3 CPU cycles */
    uint32_t events_lost; /* as stated by the logfile header */
    uint32_t buffers_lost;
    /* Events of a handled provider and id in a version without a known
     * layout: skipped, never guessed (callers print a notice). */
    uint64_t events_unknown_version;
    /* Earliest and latest event time of all events walked (any provider,
     * output clock; 0 when none): the span the trace recorded, which the
     * header's start_utc_ns (pf_etl_info) may precede by hours. */
    uint64_t first_event_ns, last_event_ns;
};
void pf_etl_get_stats(const pf_etl *e, struct pf_etl_stats *st);

/* Name of a provider index for printing ("TcpIp", "UdpIp", "Process",
 * "Kernel-Network", "Kernel-Process", "?"). */
const char *pf_etl_provider_name(unsigned provider);

#ifdef __cplusplus
}
#endif
#endif
