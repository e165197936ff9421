/* SPDX-License-Identifier: MIT */
/* DNS responses as the recorder sees them on port 53: a bounded parser of
 * one message (RFC 1035 wire form) and a bounded reassembler of DNS over
 * TCP (two-byte length, then the message). Untrusted bytes only: every read
 * is bounds-checked, names are followed backwards only and at most 255 wire
 * bytes long, nothing is allocated. Platform-neutral. */
#ifndef PF_DNS_H
#define PF_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/records.h"

/* Why a message gave no record (negative returns of pfr_dns_parse). */
enum pfr_dns_reject {
    PF_DNS_E_SHORT = -1,        /* shorter than the 12-byte header or cut inside the question */
    PF_DNS_E_NOT_RESPONSE = -2, /* a query, or an opcode other than QUERY */
    PF_DNS_E_QUESTIONS = -3,    /* not exactly one question */
    PF_DNS_E_LOOP = -4,         /* a compression pointer that does not point backwards, or too many */
    PF_DNS_E_NAME_LONG = -5,    /* a name over 255 bytes on the wire */
    PF_DNS_E_NAME_BAD = -6      /* a reserved label type, or a name running past the message */
};
#define PF_DNS_REJECTS 6

struct pfr_dns_msg {
    uint16_t id;
    uint16_t qtype;
    uint8_t rcode;
    uint8_t flags;    /* enum pf_dns_flags */
    int answer_error; /* 0, or the pfr_dns_reject that ended the answer section early */
    uint32_t qname_len, cname_len;
    char qname[PF_MAX_DNS_NAME + 1]; /* NUL-terminated too */
    char cname[PF_MAX_DNS_NAME + 1];
    uint32_t nanswers;
    struct pf_dns_answer answers[PF_MAX_DNS_ANSWERS];
};

/* Parses one message of len bytes; `cut` says the bytes are only the first
 * part of a longer message (the answers that fit are kept, TRUNCATED set).
 * Returns 0 with *out filled, or a negative enum pfr_dns_reject. */
int pfr_dns_parse(const uint8_t *msg, size_t len, int cut, struct pfr_dns_msg *out);
const char *pfr_dns_reject_name(int reject);

/* DNS over TCP: the stream of one socket, fed segment by segment with the
 * TCP sequence number of each segment's first byte. Messages longer than
 * the buffer are skipped (counted); a gap in the stream (a segment not
 * seen, or seen only in part) ends the stream: nothing after it is parsed. */
#define PF_DNS_STREAM_BUF 16384
struct pfr_dns_stream {
    uint32_t next_seq; /* sequence number of the next byte expected */
    uint8_t started, broken;
    uint8_t hdr_have; /* bytes of the length prefix seen */
    uint8_t pad;
    uint16_t msg_len; /* length of the message being gathered */
    uint32_t have;    /* its bytes gathered (or skipped) */
    uint8_t buf[PF_DNS_STREAM_BUF];
};

struct pfr_dns_stream_stats {
    uint64_t messages;  /* complete messages handed on */
    uint64_t oversize;  /* messages skipped: longer than the buffer */
    uint64_t gaps;      /* streams ended by a gap */
    uint64_t duplicate; /* bytes seen again (retransmissions), ignored */
};

typedef void (*pfr_dns_msg_fn)(void *ctx, const uint8_t *msg, size_t len);

/* Feeds one segment: `len` bytes were in the segment, `have` <= len of them
 * are at `data` (the recorder may copy only a prefix). */
void pfr_dns_stream_feed(struct pfr_dns_stream *s, uint32_t seq, const uint8_t *data, size_t have, size_t len,
                         pfr_dns_msg_fn fn, void *ctx, struct pfr_dns_stream_stats *st);

#endif
