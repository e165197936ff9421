/* SPDX-License-Identifier: MIT */
/* Wire constants shared by the writer and the reader. The normative text is
 * schema/capture-format.md; keep the two in step. */
#ifndef PF_FORMAT_INTERNAL_H
#define PF_FORMAT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/format.h"

/* printf-style checking; mingw's gcc reads plain `printf` as the MSVCRT
 * dialect, clang knows no `gnu_printf`. */
#if defined(__MINGW32__) && !defined(__clang__)
#define PF_PRINTF_LIKE(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define PF_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PF_PRINTF_LIKE(f, a)
#endif

/* 0x89 catches 7-bit stripping, CR LF catches newline conversion, 0x1A stops
 * DOS `type`, the final LF catches LF -> CR LF. */
#define PF_MAGIC_LEN 8
extern const uint8_t pf_magic[PF_MAGIC_LEN];

/* Block framing: u32 type, u32 total_len, body, u32 crc32c, u32 total_len. */
#define PF_BLOCK_HEAD 8
#define PF_BLOCK_TAIL 8
#define PF_BLOCK_OVERHEAD (PF_BLOCK_HEAD + PF_BLOCK_TAIL)

enum pf_block_type { PF_BLOCK_HEADER = 1, PF_BLOCK_CHUNK = 2, PF_BLOCK_INDEX = 3, PF_BLOCK_FOOTER = 4 };

/* Chunk body header: u64 seq, u64 first_ns, u64 last_ns, u32 records,
 * u32 raw_bytes, u8 codec, u8[3] reserved. */
#define PF_CHUNK_HEAD 36
/* What the payload is: the record sequence of 1.0/1.1 (codecs 0, 1) or the
 * streams of 1.2 (codecs 2, 3), stored or as one zstd frame. */
enum pf_codec { PF_CODEC_NONE = 0, PF_CODEC_ZSTD = 1, PF_CODEC_STREAMS_NONE = 2, PF_CODEC_STREAMS_ZSTD = 3 };

/* Streams of a 1.2 payload, in the order they are stored (spec §5.4). */
enum pf_stream {
    PF_STREAM_TYPES = 0,      /* u8 per record */
    PF_STREAM_TIMES = 1,      /* planes: zz time delta per record but flow definitions */
    PF_STREAM_FLOWS = 2,      /* varint per flow-keyed record: newest flow id - id */
    PF_STREAM_DEFS = 3,       /* per flow definition: varint length, varint field mask */
    PF_STREAM_DURATIONS = 4,  /* planes: zz change per traffic record that states its duration */
    PF_STREAM_BODIES = 5,     /* per record but flow definitions: varint length, body */
    PF_STREAM_TEXT = 6,       /* the bytes of every string of the bodies, in record order */
    PF_STREAM_DEF_FIELDS = 7, /* per flow definition: `length` bytes, its fields */
    PF_STREAMS = 8
};

/* 1.2 flow definition: a mask (definitions stream), then the fields whose
 * bit is set, in bit order (definition fields stream); an absent field
 * repeats the previous definition's. */
enum pf_def_field {
    PF_DEF_FAMILY = 1u << 0,       /* u8; a change needs both addresses */
    PF_DEF_REMOTE_PORT = 1u << 1,  /* u16 */
    PF_DEF_REMOTE_ADDR = 1u << 2,  /* addr(family) */
    PF_DEF_LOCAL_PORT = 1u << 3,   /* u16 */
    PF_DEF_SOCK_ID = 1u << 4,      /* zz delta */
    PF_DEF_PID = 1u << 5,          /* zz delta, result fits 32 bits */
    PF_DEF_PID_START = 1u << 6,    /* zz delta */
    PF_DEF_LOCAL_ADDR = 1u << 7,   /* addr(family) */
    PF_DEF_PROTO = 1u << 8,        /* u8 */
    PF_DEF_NETNS = 1u << 9,        /* zz delta */
    PF_DEF_LOCAL_SCOPE = 1u << 10, /* varint32 */
    PF_DEF_REMOTE_SCOPE = 1u << 11 /* varint32 */
};
#define PF_DEF_FIELDS 0xfffu

/* Footer body: u64 index_offset, u64 chunks, u64 records, 8 bytes "PFCAPEND". */
#define PF_FOOTER_BODY 32
#define PF_FOOTER_BLOCK (PF_FOOTER_BODY + PF_BLOCK_OVERHEAD)
extern const uint8_t pf_footer_magic[8];

/* Index entry: u64 offset, u64 seq, u64 first_ns, u64 last_ns, u32 records. */
#define PF_INDEX_ENTRY 36

/* Header options: u16 code, u32 length, value. Code 0 ends the list. */
enum pf_option {
    PF_OPT_END = 0,
    PF_OPT_HOSTNAME = 1,
    PF_OPT_OS = 2,
    PF_OPT_OS_RELEASE = 3,
    PF_OPT_RECORDER = 4,
    PF_OPT_COMMENT = 5,
    PF_OPT_PLATFORM = 6,      /* u8 */
    PF_OPT_CLOCK_ID = 7,      /* u8 */
    PF_OPT_UUID = 8,          /* 16 bytes */
    PF_OPT_SERIES_UUID = 9,   /* 16 bytes */
    PF_OPT_FILE_SEQ = 10,     /* u32 */
    PF_OPT_START_UTC = 11,    /* i64 */
    PF_OPT_CLOCK_ANCHOR = 12, /* u64 clock_ns, i64 utc_ns */
    PF_OPT_REDACTION = 13     /* string: how the file was redacted */
};
#define PF_MAX_OPTION_STRING 4096

/* Encoding-internal record: defines the next chunk-local flow id. A chunk
 * defines at most PF_MAX_CHUNK_FLOWS flows (writers close the chunk first). */
#define PF_REC_FLOW_DEF 0x40
#define PF_REC_FIRST_INTERNAL 0x40
#define PF_REC_FIRST_RESERVED 0x80
#define PF_MAX_CHUNK_FLOWS (1u << 20)

/* TRAFFIC record body: varint flow, u8 mask, then the fields whose bit is
 * set, in this order. An absent duration repeats the previous traffic
 * record's in the chunk; other absent fields are zero. */
enum pf_traffic_present {
    PF_TRAFFIC_HAS_DURATION = 1u << 0,
    PF_TRAFFIC_HAS_BYTES_SENT = 1u << 1,
    PF_TRAFFIC_HAS_BYTES_RECV = 1u << 2,
    PF_TRAFFIC_HAS_SENDS = 1u << 3,
    PF_TRAFFIC_HAS_RECVS = 1u << 4,
    PF_TRAFFIC_HAS_RETRANSMITS = 1u << 5,
    PF_TRAFFIC_HAS_FLAGS = 1u << 6
};

uint32_t pf_crc32c(const void *data, size_t len);
uint32_t pf_crc32c_update(uint32_t crc, const void *data, size_t len);

#endif
