/* SPDX-License-Identifier: MIT */
/* Test helper: builds synthetic .etl images in memory (buffer headers, the
 * logfile header, events with every header type, optional XPRESS
 * compression), so reader tests and fuzz seeds need no external data. */
#ifndef PF_TEST_ETL_BUILD_H
#define PF_TEST_ETL_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct etlb {
    uint8_t *data; /* finished buffers */
    size_t len, cap;
    uint8_t *cur;   /* buffer being filled (events after the 0x48 header) */
    size_t cur_len; /* bytes used in cur, header included */
    unsigned bufsize;
    unsigned psize;
    int compress;
    int failed;                         /* out of memory */
    uint32_t events_lost, buffers_lost; /* written into the logfile header */
};

/* Header types as stored in the third byte of the event marker. */
enum {
    ETLB_SYSTEM32 = 1,
    ETLB_SYSTEM64 = 2,
    ETLB_COMPACT32 = 3,
    ETLB_COMPACT64 = 4,
    ETLB_FULL32 = 10,
    ETLB_INSTANCE32 = 11,
    ETLB_MESSAGE = 15,
    ETLB_PERFINFO32 = 16,
    ETLB_PERFINFO64 = 17,
    ETLB_EVENT32 = 18,
    ETLB_EVENT64 = 19,
    ETLB_FULL64 = 20,
    ETLB_INSTANCE64 = 21
};

/* Starts an image: first buffer with the logfile header. QPC clock with
 * perf_freq ticks/s; raw time raw0 corresponds to start_filetime. The
 * header's lost counters are b->events_lost/buffers_lost as set before the
 * call (etlb_begin keeps them). */
void etlb_begin(struct etlb *b, unsigned psize, unsigned bufsize, int compress, uint32_t build, int64_t start_filetime,
                uint64_t perf_freq, int64_t raw0);
/* System, compact or perfinfo header event of a kernel group. */
void etlb_sys(struct etlb *b, int ht, unsigned group, unsigned opcode, unsigned version, uint32_t pid, int64_t ts,
              const void *payload, size_t plen);
/* Full or instance trace header event (GUID in stored byte order). */
void etlb_full(struct etlb *b, int ht, const uint8_t guid[16], unsigned opcode, unsigned version, uint32_t pid,
               int64_t ts, const void *payload, size_t plen);
/* EVENT_HEADER event; with_ext adds one extended data item. */
void etlb_evh(struct etlb *b, int ht, const uint8_t guid[16], unsigned id, unsigned version, uint32_t pid, int64_t ts,
              int with_ext, const void *payload, size_t plen);
/* EVENT_HEADER event with an explicit descriptor opcode (classic providers
 * delivered with an EVENT_HEADER: id 0, the event type in the opcode). */
void etlb_evh_op(struct etlb *b, int ht, const uint8_t guid[16], unsigned id, unsigned opcode, unsigned version,
                 int64_t ts, const void *payload, size_t plen);
/* A message-header event (skipped by readers). */
void etlb_message(struct etlb *b, size_t plen);
/* Closes the current buffer (the next event starts a new one). */
void etlb_flush(struct etlb *b);
/* Finishes; returns the image (caller frees) and its length. NULL on OOM. */
uint8_t *etlb_finish(struct etlb *b, size_t *len);

/* MS-XCA plain LZ77 compressor (greedy). Returns the compressed size, or
 * 0 when dst is too small. dst needs src_len + src_len/8 + 16 bytes. */
size_t etlb_lz77_compress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap);

/* Payload builders for network and process events, laid out as the MOF
 * classes / manifest templates give them (v2 classic, v0 Kernel-Network):
 * ETLB_NET_GENERIC TcpIp_TypeGroup1/3 and UdpIp (PID, size, daddr, saddr,
 * dport, sport, seqnum, connid), ETLB_NET_SEND TcpIp_SendIPV4/6 (+ startime,
 * endtime before seqnum), ETLB_NET_CONNECT TcpIp_TypeGroup2/4 (+ mss ...
 * sndwinscale before seqnum). Process: classic v2-v4 layouts. */
enum { ETLB_NET_GENERIC = 0, ETLB_NET_SEND = 1, ETLB_NET_CONNECT = 2 };
size_t etlb_net_payload(uint8_t *out, unsigned psize, int v6, uint32_t pid, uint32_t size, const uint8_t *daddr,
                        const uint8_t *saddr, uint16_t dport, uint16_t sport, uint64_t connid, int layout);
size_t etlb_proc_payload(uint8_t *out, size_t cap, unsigned psize, unsigned version, uint32_t pid, uint32_t ppid,
                         int32_t exit_status, int with_sid, const char *image, const char *cmdline_ascii);

extern const uint8_t etlb_guid_tcpip[16], etlb_guid_udpip[16], etlb_guid_process[16], etlb_guid_knet[16],
    etlb_guid_kproc[16], etlb_guid_other[16];

#endif
