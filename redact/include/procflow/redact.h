/* SPDX-License-Identifier: MIT */
/* Redaction: replaces command lines, user names, host names, uids and the
 * addresses of chosen CIDR ranges in capture records with stable keyed
 * pseudonyms, so a capture can be shared outside the team. The recorder
 * (procflow-record --redact), `procflow-analyze convert --redact` and
 * `procflow-analyze export --redact` all go through these functions.
 *
 * Pseudonyms are HMAC-SHA-256 of the original under a secret key (one
 * subkey per kind of value), so without the key they can be neither
 * reversed nor confirmed by trying a dictionary of likely originals. The same
 * original always gives the same pseudonym under the same key: within one
 * run, and across runs and files when the caller supplies the key. Without a
 * key a random one is drawn from the operating system for this redactor and
 * never leaves it; only a key id (a keyed hash that reveals nothing about
 * the key) is written, so readers can tell whether two files share a key.
 *
 * Addresses inside a chosen range are mapped by a keyed permutation of the
 * range's host bits (a 10-round Feistel network with SipHash-2-4 as its
 * round function under another subkey, cycle-walking around the
 * unspecified address and IPv4-mapped IPv6): the pseudonym stays inside the
 * range and family, and two different addresses never share one. Ranges
 * nested in a wider one are dropped (the wider one covers them); IPv4
 * ranges also cover IPv4-mapped IPv6 addresses (::ffff:a.b.c.d).
 *
 * Spec syntax (comma separated; NULL or "" means "default"):
 *   cmdline       command lines -> "<exe basename> [args redacted: 0123456789ab]"
 *   user          user names -> "user-0123456789ab" (root and Windows service
 *                 accounts kept), and the user part of home-directory paths
 *                 (/home/NAME, /Users/NAME, C:\Users\NAME) in exe, cgroup and
 *                 any command line or text kept
 *   host          host names -> "host-0123456789ab" (header, host-named
 *                 HOSTINFO values, occurrences in text); "localhost" kept
 *   uid           uids >= 1000 -> keyed pseudonym uids >= 1000 (also in
 *                 user-UID.slice, user@UID.service and /run/user/UID)
 *   addr=CIDR     e.g. addr=10.0.0.0/8, addr=2001:db8::/32 (repeatable)
 *   addr=private  10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16,
 *                 fc00::/7, fe80::/10
 *   default       cmdline,user,host,addr=private
 * Addresses found in kept strings (exe, cgroup, HOSTINFO values, markers,
 * the header comment, a command line when cmdline is not redacted) are
 * mapped the same way. comm, exe paths (apart from home directories),
 * container ids, ports, pids, times and byte counts are kept.
 *
 * Error contract as in format.h: negative PF_E_* codes, a one-line reason in
 * `err` where the function takes one; nothing is printed. A redactor is not
 * thread-safe (it caches address mappings and owns output buffers): use one
 * per thread. */
#ifndef PROCFLOW_REDACT_H
#define PROCFLOW_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_redactor pf_redactor;

/* What a redactor changes (pf_redact_classes). */
enum pf_redact_class {
    PF_REDACT_CMDLINE = 1u << 0,
    PF_REDACT_USER = 1u << 1,
    PF_REDACT_HOST = 1u << 2,
    PF_REDACT_UID = 1u << 3,
    PF_REDACT_ADDR = 1u << 4 /* at least one address range */
};

#define PF_REDACT_DEFAULT "cmdline,user,host,addr=private"
#define PF_REDACT_KEY_MIN 16 /* bytes of a key file, at least */
#define PF_REDACT_KEY_MAX 4096
#define PF_REDACT_MAX_RANGES 64
/* HOSTINFO key of the record saying how the file was redacted (its value is
 * pf_redact_describe()); the header carries the same text (pf_file_info's
 * `redaction`). */
#define PF_HOSTINFO_REDACTION "redaction"

/* Creates a redactor for `spec` with `key` (key_len bytes, PF_REDACT_KEY_MIN
 * to PF_REDACT_KEY_MAX; the bytes are used as they are). key NULL: a random
 * key from the OS (PF_E_IO if none can be had). The key is not kept: only
 * subkeys derived from it. *out is NULL on error; PF_E_ARG with a reason in
 * err for a bad spec or key length. */
int pf_redact_create(pf_redactor **out, const char *spec, const void *key, size_t key_len, char *err, size_t errlen);
/* Same, with the key read from the file `key_path` (its whole content; NULL
 * = random key). PF_E_IO when unreadable, PF_E_ARG when too short or long. */
int pf_redact_open(pf_redactor **out, const char *spec, const char *key_path, char *err, size_t errlen);
void pf_redact_destroy(pf_redactor *r); /* NULL-safe; wipes the subkeys */

unsigned pf_redact_classes(const pf_redactor *r); /* enum pf_redact_class bits */
/* Canonical description, e.g. "cmdline,user,host,addr=10.0.0.0/8
 * key=5c0e2a91b3f4 key-source=file" (key-source=random without a key).
 * Owned by r, valid until pf_redact_destroy. */
const char *pf_redact_describe(const pf_redactor *r);

/* Redacts header facts: hostname (host), comment (text rules); uuid and
 * series_uuid become keyed pseudonyms (all-zero stays zero, so the writer
 * still generates one); `redaction` is set to the input's value (if any)
 * followed by "; " and this redactor's description. Also learns the host
 * name for the text rules. in and out may be the same struct. Strings of
 * *out are owned by r, valid until the next pf_redact_file_info call. */
int pf_redact_file_info(pf_redactor *r, const struct pf_file_info *in, struct pf_file_info *out);

/* Redacts one record. in and out may be the same struct. Strings of *out
 * point into r (valid until the next pf_redact_record call) or into the
 * input's strings when unchanged. HOSTINFO records with the key
 * PF_HOSTINFO_REDACTION are passed unchanged. Returns 0 or PF_E_NOMEM. */
int pf_redact_record(pf_redactor *r, const struct pf_record *in, struct pf_record *out);

/* Fills *out with the HOSTINFO record that says how this file was redacted
 * (key PF_HOSTINFO_REDACTION, value pf_redact_describe(r)) at time ts_ns. */
void pf_redact_note(const pf_redactor *r, uint64_t ts_ns, struct pf_record *out);

/* Tells the text rules a host name to replace wherever it occurs as a word
 * (at most 16 names; names shorter than 3 bytes and "localhost" are not
 * searched for). pf_redact_file_info does this for the header's name. */
void pf_redact_learn_host(pf_redactor *r, const char *name, size_t len);

/* The pieces, for values read from elsewhere (the analyzer's database). */

/* Maps addr (family 4 or 6, 16 bytes in network order as in records) in
 * place when it falls in a range. Returns 1 when mapped, 0 when not. */
int pf_redact_addr(pf_redactor *r, uint8_t family, uint8_t addr[16]);
/* Same on canonical text: writes the (possibly unchanged) canonical text of
 * the address to out; returns 1 mapped, 0 not in a range, PF_E_ARG when
 * `text` is not an address (out is then a copy of text, truncated). */
int pf_redact_addr_text(pf_redactor *r, const char *text, char out[PF_ADDR_STRLEN]);
/* Keyed pseudonym uid when the uid class is on and uid >= 1000 (and not
 * UINT32_MAX, unknown); otherwise uid. */
uint32_t pf_redact_uid(pf_redactor *r, uint32_t uid);

enum pf_redact_field {
    PF_REDACT_F_CMDLINE = 1, /* command line; `prog` is the exe path or comm */
    PF_REDACT_F_USER = 2,    /* a user name */
    PF_REDACT_F_HOST = 3,    /* a host name */
    PF_REDACT_F_PATH = 4,    /* exe or cgroup path: text rules, home names up to a separator */
    PF_REDACT_F_TEXT = 5     /* free text: home names, uids, addresses, host names */
};
/* Applies the rules of `field` to s (n bytes; NUL bytes allowed). *out and
 * *out_len are the result: s itself when nothing changed, else memory of r
 * valid until the next pf_redact_string call. Returns 1 changed, 0
 * unchanged, PF_E_NOMEM or PF_E_ARG (unknown field). */
int pf_redact_string(pf_redactor *r, int field, const char *s, size_t n, const char *prog, size_t prog_len,
                     const char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
