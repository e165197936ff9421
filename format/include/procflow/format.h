/* SPDX-License-Identifier: MIT */
/* libpfformat: the only code that reads or writes .pfcap bytes.
 *
 * Error contract: every function that can fail returns a negative enum
 * pf_error value (or NULL for constructors that say so); pf_strerror() gives
 * the text. When the failure came from the operating system, the OS errno
 * travels beside the code: pf_os_errno() returns it for the calling thread's
 * last failed call (pf_error_text() formats both). The numeric values of
 * enum pf_error are stable: codes are added, never renumbered or re-used.
 * The library never prints and never exits. Every create/open has a
 * NULL-safe destroy/close. Spec: schema/capture-format.md. */
#ifndef PROCFLOW_FORMAT_H
#define PROCFLOW_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/records.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PF_FORMAT_MAJOR 1
#define PF_FORMAT_MINOR 2

/* Caps a reader enforces before allocating (also limits for writers). */
#define PF_MAX_BLOCK_BYTES (64u << 20)     /* whole block, framing included */
#define PF_MAX_CHUNK_RAW_BYTES (64u << 20) /* uncompressed records of one chunk */
#define PF_MAX_STRING_BYTES (16u << 20)

enum pf_error {
    PF_OK = 0,
    PF_E_IO = -1, /* read/write/open failed; the errno is in pf_os_errno() */
    PF_E_NOMEM = -2,
    PF_E_NOT_CAPTURE = -3,  /* magic does not match */
    PF_E_MANGLED = -4,      /* magic shows text-mode/7-bit mangling */
    PF_E_VERSION = -5,      /* newer major version */
    PF_E_TRUNCATED = -6,    /* data ends inside a block */
    PF_E_CHECKSUM = -7,     /* CRC32C mismatch */
    PF_E_FRAMING = -8,      /* block length fields disagree or out of range */
    PF_E_TOO_BIG = -9,      /* a declared size exceeds a cap */
    PF_E_DECOMPRESS = -10,  /* zstd frame invalid or size mismatch */
    PF_E_RECORD = -11,      /* malformed record inside a chunk */
    PF_E_HEADER = -12,      /* header block missing or malformed */
    PF_E_EXISTS = -13,      /* output exists (and overwrite not asked) */
    PF_E_SYMLINK = -14,     /* output path is a symbolic link */
    PF_E_NOSPACE = -15,     /* disk full */
    PF_E_ARG = -16,         /* invalid argument (bad record field, NULL) */
    PF_E_STATE = -17,       /* call not valid in this state (writer failed before) */
    PF_E_UNSAFE_PATH = -18, /* output directory world-writable without sticky bit, or the
                                file there is another user's in a sticky one */
    PF_E_OS = -19,          /* another OS call failed (recorder sources); errno beside it */
    PF_E_SEQUENCE = -20,    /* damage: chunk missing or repeated, or counts disagree with the footer */
    PF_E_CONCATENATED = -21 /* damage: a second capture follows the first in one file */
};

const char *pf_strerror(int err);

/* OS errno behind the calling thread's most recent failed libpfformat call
 * (open, map, write, rename...), or 0 when that failure did not come from
 * the OS. Like errno: read it right after the call that failed. */
int pf_os_errno(void);
/* Sets it (libraries that share the error set, e.g. the recorder). */
void pf_set_os_errno(int e);

/* One line for the user: for the generic codes (PF_E_IO, PF_E_OS) with
 * os_errno set, the OS text ("No such file or directory"); else
 * pf_strerror(err), which names the reason itself. Returns buf. */
const char *pf_error_text(int err, int os_errno, char *buf, size_t len);

enum pf_platform { PF_PLATFORM_UNKNOWN = 0, PF_PLATFORM_LINUX = 1, PF_PLATFORM_WINDOWS = 2 };
enum pf_clock_id {
    PF_CLOCK_UNKNOWN = 0,
    PF_CLOCK_BOOTTIME = 1,
    PF_CLOCK_MONOTONIC = 2,
    PF_CLOCK_QPC_NS = 3,
    PF_CLOCK_UTC = 4
};

/* File header facts. Strings are NUL-terminated copies owned by whoever
 * filled the struct (the reader owns the ones it returns). */
struct pf_file_info {
    uint16_t major, minor;
    const char *hostname;
    const char *os;         /* e.g. "Linux", "Windows" */
    const char *os_release; /* kernel release / Windows build */
    const char *recorder;   /* e.g. "procflow-record 0.1.0" */
    const char *comment;
    uint8_t platform;         /* enum pf_platform */
    uint8_t clock_id;         /* enum pf_clock_id: what ts_ns counts */
    uint8_t uuid[16];         /* this file's id: re-ingest detection */
    uint8_t series_uuid[16];  /* shared by the files of one rotated recording */
    uint32_t file_seq;        /* 0-based position in the series */
    int64_t start_utc_ns;     /* wall clock when the file was started */
    uint64_t anchor_clock_ns; /* clock anchor: anchor_clock_ns == anchor_utc_ns */
    int64_t anchor_utc_ns;
    const char *redaction; /* how the file was redacted (procflow/redact.h); NULL = not */
};

/* Converts capture-clock ns to UTC ns with one anchor. Wraps (never traps)
 * on absurd values from damaged or hostile files. */
static inline int64_t pf_clock_to_utc(uint64_t clock_ns, uint64_t anchor_clock_ns, int64_t anchor_utc_ns)
{
    return (int64_t)((uint64_t)anchor_utc_ns + (clock_ns - anchor_clock_ns));
}

void pf_uuid_generate(uint8_t out[16]); /* random v4 UUID */
void pf_uuid_format(const uint8_t uuid[16], char out[37]);

/* ---------------------------------------------------------------- writer */

typedef struct pf_writer pf_writer;

struct pf_writer_options {
    uint32_t chunk_bytes;   /* close a chunk at this many uncompressed bytes; 0 = 1 MiB */
    uint64_t chunk_age_ns;  /* pf_writer_tick closes chunks older than this; 0 = 1 s */
    int zstd_level;         /* 0 = 3 */
    int fsync_chunks;       /* fsync after each chunk */
    int overwrite;          /* replace an existing regular file (never a symlink) */
    int write_partial;      /* 0: write NAME.partial and rename on close; -1: write NAME directly */
    int store_uncompressed; /* chunks stored without zstd (debugging, fuzz seeds) */
};

/* Creates `path` (via `path`.partial unless write_partial is -1) with mode
 * 0600, O_EXCL|O_NOFOLLOW, and writes the magic and header. info->uuid is
 * used as is unless all zero, then generated. Returns PF_OK and *out, or a
 * negative error; *out is NULL on error. */
int pf_writer_open(pf_writer **out, const char *path, const struct pf_file_info *info,
                   const struct pf_writer_options *opt);

/* Same, onto an open descriptor the caller owns (standard output, a pipe):
 * written strictly in order, never synced, closed or renamed by the writer. */
int pf_writer_open_fd(pf_writer **out, int fd, const struct pf_file_info *info, const struct pf_writer_options *opt);

/* Same, into a growing memory buffer (tests, fuzz seeds). */
int pf_writer_open_mem(pf_writer **out, const struct pf_file_info *info, const struct pf_writer_options *opt);
/* Memory writer only: the bytes so far (valid until the next writer call). */
const uint8_t *pf_writer_mem(const pf_writer *w, size_t *len);

/* Appends one record. Strings are copied. Closes the chunk when it reaches
 * chunk_bytes. After an I/O error every later call returns PF_E_STATE; what
 * was completed before stays readable. */
int pf_writer_write(pf_writer *w, const struct pf_record *rec);
/* Closes the current chunk if it is older than chunk_age_ns at now_ns
 * (capture clock). Returns 1 if a chunk was written, 0 if not, <0 on error. */
int pf_writer_tick(pf_writer *w, uint64_t now_ns);
/* Closes the current chunk now (if it holds records). */
int pf_writer_flush(pf_writer *w);
/* Flushes, appends index and footer, fsyncs and renames NAME.partial to
 * NAME. Does not free: call pf_writer_destroy. */
int pf_writer_close(pf_writer *w);
/* Frees. If the writer was not closed the .partial file is left as it is
 * (readable up to its last complete chunk). NULL-safe. */
void pf_writer_destroy(pf_writer *w);

struct pf_writer_stats {
    uint64_t records; /* accepted by pf_writer_write */
    uint64_t records_by_type[PF_REC_TYPE_MAX_KNOWN + 1];
    uint64_t chunks;          /* completed chunks */
    uint64_t bytes_on_disk;   /* bytes written so far (complete blocks) */
    uint64_t raw_bytes;       /* uncompressed record bytes in completed chunks */
    uint64_t pending_records; /* in the open chunk */
    int last_errno;
};
void pf_writer_get_stats(const pf_writer *w, struct pf_writer_stats *st);
const char *pf_writer_path(const pf_writer *w); /* final path (without .partial) */

/* ---------------------------------------------------------------- reader */

typedef struct pf_reader pf_reader;

/* One damaged region the reader skipped. */
struct pf_damage {
    uint64_t offset;        /* file offset where the damage was found */
    uint64_t resume_offset; /* where reading resumed (file size if none) */
    int64_t chunk_seq;      /* -1 when not known */
    int error;              /* enum pf_error */
    char what[160];         /* one line: which field, why */
};

typedef void (*pf_damage_fn)(void *ctx, const struct pf_damage *d);

struct pf_reader_options {
    pf_damage_fn on_damage; /* may be NULL */
    void *ctx;
    int skip_records; /* decode chunk headers only (fast verify/info of framing) */
};

/* Opens and reads the magic and header. Fatal problems (not a capture, newer
 * major version, unreadable) return a negative error. A damaged header is
 * reported through on_damage and reading goes on with defaults. */
int pf_reader_open(pf_reader **out, const char *path, const struct pf_reader_options *opt);
/* Reads from memory; the buffer must outlive the reader. */
int pf_reader_open_mem(pf_reader **out, const void *data, size_t len, const struct pf_reader_options *opt);
void pf_reader_close(pf_reader *r); /* NULL-safe */

const struct pf_file_info *pf_reader_info(const pf_reader *r);

/* Next record, in file order. Returns 1 with *rec filled, 0 at the end, or
 * a negative error only for failures that stop reading (I/O, memory): damage
 * is reported through on_damage and skipped. */
int pf_reader_next(pf_reader *r, struct pf_record *rec);

/* Chunk currently being read (valid after pf_reader_next returned 1). */
struct pf_chunk_info {
    uint64_t offset; /* file offset of the chunk block */
    uint64_t seq;
    uint64_t first_ns, last_ns;
    uint32_t records;
    uint32_t raw_bytes;
    uint32_t block_bytes;
    uint8_t codec;
};
/* Called for every intact chunk as it is entered; may be NULL. */
typedef void (*pf_chunk_fn)(void *ctx, const struct pf_chunk_info *c);
void pf_reader_on_chunk(pf_reader *r, pf_chunk_fn fn, void *ctx);

struct pf_reader_stats {
    uint64_t file_bytes;
    uint64_t chunks_ok;
    uint64_t chunks_damaged; /* chunks (or unidentifiable regions) skipped */
    uint64_t bytes_skipped;
    uint64_t records;
    uint64_t records_by_type[PF_REC_TYPE_MAX_KNOWN + 1];
    uint64_t records_unknown; /* unknown record types skipped */
    uint64_t blocks_unknown;  /* unknown block types skipped */
    uint64_t raw_bytes;       /* uncompressed record bytes of intact chunks */
    uint64_t chunk_bytes;     /* on-disk bytes of intact chunk blocks */
    int header_ok;
    int clean_close; /* footer found and consistent */
    int has_index;
    uint64_t footer_chunks, footer_records; /* from the footer when clean_close */
};
void pf_reader_get_stats(const pf_reader *r, struct pf_reader_stats *st);

#ifdef __cplusplus
}
#endif
#endif
