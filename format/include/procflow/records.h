/* SPDX-License-Identifier: MIT */
/* procflow capture records: the in-memory form of what a .pfcap file holds.
 *
 * This header is the wire contract seen from C. The byte layout of every
 * record is specified in schema/capture-format.md; only libpfformat encodes
 * and decodes it. Recorder backends fill these structs, the analyzer reads
 * them. Numbers are host-order here; the library makes them little-endian.
 *
 * Strings are (pointer, length) pairs of raw bytes, nominally UTF-8 but never
 * assumed valid or NUL-free. For records returned by the reader they point
 * into reader-owned memory valid until the next pf_reader_next() call. */
#ifndef PROCFLOW_RECORDS_H
#define PROCFLOW_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Record type codes. Codes are never re-used; new types get new codes.
 * 0x40..0x7f are encoding-internal (never surfaced by the reader). */
enum pf_record_type {
    PF_REC_PROCESS = 1,  /* process start/exec/exit/rundown row */
    PF_REC_SOCKET = 2,   /* socket lifecycle: connect/accept/state/close/bind/listen */
    PF_REC_TRAFFIC = 3,  /* bytes and calls per socket+remote over an interval */
    PF_REC_SNAPSHOT = 4, /* one row of a connection-table snapshot */
    PF_REC_LOSS = 5,     /* events the source dropped */
    PF_REC_CLOCK = 6,    /* clock anchor: capture clock <-> UTC */
    PF_REC_HOSTINFO = 7, /* key/value fact about the host */
    PF_REC_MARKER = 8,   /* free-form text */
    PF_REC_DNS = 9,      /* answers a process received to one DNS query */
    PF_REC_TYPE_MAX_KNOWN = 9
};

/* What kind of socket a flow is (capture format §5.2). TCP, UDP and the
 * ping sockets carry their IP protocol number; raw IP sockets and packet
 * sockets have codes of their own, the number they were opened with rides
 * in the local port (as /proc/net/raw and /proc/net/packet list it). */
enum pf_proto {
    PF_PROTO_ICMP = 1, /* ping socket, IPv4 (SOCK_DGRAM, IPPROTO_ICMP) */
    PF_PROTO_TCP = 6,
    PF_PROTO_UDP = 17,
    PF_PROTO_ICMPV6 = 58,  /* ping socket, IPv6 (SOCK_DGRAM, IPPROTO_ICMPV6) */
    PF_PROTO_PACKET = 254, /* AF_PACKET socket; local port = EtherType, no addresses */
    PF_PROTO_RAW = 255     /* raw IP socket (SOCK_RAW); local port = IP protocol */
};

/* Address family as stored: 4 or 6. IPv4 addresses occupy addr[0..3]. */
enum pf_family { PF_AF_INET = 4, PF_AF_INET6 = 6 };

struct pf_endpoint {
    uint8_t addr[16];  /* network byte order; IPv4 in addr[0..3], rest zero */
    uint16_t port;     /* host order */
    uint32_t scope_id; /* IPv6 zone (interface index) of a scoped address; 0 none */
};

/* A process instance is (pid, start_ns): start_ns is the process start in the
 * capture clock, possibly truncated to the OS clock tick; equal pairs name the
 * same process, so PID reuse never merges two programs. */
enum pf_process_event {
    PF_PROC_START = 1, /* fork/clone of a new process, or CreateProcess */
    PF_PROC_EXEC = 2,  /* new image in an existing process */
    PF_PROC_EXIT = 3,
    PF_PROC_RUNDOWN = 4,    /* already running when recording started (DCStart) */
    PF_PROC_SNAPSHOT = 5,   /* seen alive during a periodic snapshot */
    PF_PROC_END_RUNDOWN = 6 /* still running when recording stopped (DCEnd) */
};

struct pf_process {
    uint8_t event; /* enum pf_process_event */
    uint32_t pid;
    uint32_t ppid;
    uint64_t start_ns;        /* identity, see above; 0 = unknown */
    uint32_t uid;             /* UINT32_MAX = unknown */
    int32_t exit_code;        /* meaningful for PF_PROC_EXIT */
    uint64_t parent_start_ns; /* 0 = unknown */
    const char *comm;
    uint32_t comm_len; /* short name (Linux comm, Windows image name) */
    const char *exe;
    uint32_t exe_len; /* full executable path */
    const char *cmdline;
    uint32_t cmdline_len; /* command line as one string */
    const char *cgroup;
    uint32_t cgroup_len; /* cgroup path (Linux) */
    const char *container;
    uint32_t container_len; /* container id if the cgroup names one */
    const char *user;
    uint32_t user_len; /* user name or SID when known */
    uint64_t netns;    /* network namespace id (Linux: inode of the netns); 0 = unknown */
};

/* TCP states use the Linux numbering (TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11)
 * on both platforms; Windows MIB states are translated. UDP uses 7 (CLOSE) for
 * an unbound/closed socket and 0 when the state is not meaningful. */
enum pf_tcp_state {
    PF_TCP_NONE = 0,
    PF_TCP_ESTABLISHED = 1,
    PF_TCP_SYN_SENT = 2,
    PF_TCP_SYN_RECV = 3,
    PF_TCP_FIN_WAIT1 = 4,
    PF_TCP_FIN_WAIT2 = 5,
    PF_TCP_TIME_WAIT = 6,
    PF_TCP_CLOSE = 7,
    PF_TCP_CLOSE_WAIT = 8,
    PF_TCP_LAST_ACK = 9,
    PF_TCP_LISTEN = 10,
    PF_TCP_CLOSING = 11,
    PF_TCP_DELETE_TCB = 12 /* Windows only */
};

enum pf_socket_event {
    PF_SOCK_CONNECT = 1,     /* active open started (client) */
    PF_SOCK_ACCEPT = 2,      /* passive open completed (server side of a connection) */
    PF_SOCK_ESTABLISHED = 3, /* active open completed */
    PF_SOCK_CLOSE = 4,       /* socket closed / connection ended */
    PF_SOCK_LISTEN = 5,
    PF_SOCK_BIND = 6,      /* UDP or TCP bind to a local endpoint */
    PF_SOCK_STATE = 7,     /* any other state transition */
    PF_SOCK_FAIL = 8,      /* connect failed / reset */
    PF_SOCK_RETRANSMIT = 9 /* one retransmitted segment (traffic records carry counts too) */
};

/* Fields shared by records that name a socket of a process. */
struct pf_flow_key {
    uint32_t pid;
    uint64_t pid_start_ns;
    uint64_t sock_id; /* stable per-socket id (kernel socket cookie, ETW connid); 0 = unknown */
    uint8_t proto;    /* enum pf_proto */
    uint8_t family;   /* enum pf_family */
    struct pf_endpoint local;
    struct pf_endpoint remote;
    uint64_t netns; /* network namespace id (Linux: inode of the netns); 0 = unknown */
};

struct pf_socket {
    uint8_t event;     /* enum pf_socket_event */
    uint8_t old_state; /* enum pf_tcp_state */
    uint8_t new_state;
    struct pf_flow_key key;
};

/* Traffic over [ts - duration_ns, ts] on one socket to one remote endpoint,
 * as the application saw it (bytes returned by send/recv). duration_ns = 0 and
 * one call is a per-call record; larger values aggregate an interval. */
enum pf_traffic_flags {
    PF_TRAFFIC_FINAL = 1u << 0,     /* the socket closed: no more traffic follows */
    PF_TRAFFIC_FROM_TABLE = 1u << 1 /* derived from table counters, not from events */
};

struct pf_traffic {
    struct pf_flow_key key;
    uint64_t duration_ns;
    uint64_t bytes_sent;
    uint64_t bytes_recv;
    uint64_t sends;
    uint64_t recvs;
    uint64_t retransmits;
    uint32_t flags; /* enum pf_traffic_flags */
};

/* One row of a connection-table snapshot (sock_diag, GetExtendedTcpTable). */
enum pf_snapshot_flags {
    PF_SNAP_HAS_BYTES = 1u << 0,   /* bytes_sent/bytes_recv are the socket's counters */
    PF_SNAP_PID_UNKNOWN = 1u << 1, /* no owner could be found */
    PF_SNAP_RUNDOWN = 1u << 2,     /* part of the start-of-recording rundown */
    PF_SNAP_FINAL = 1u << 3        /* part of the end-of-recording rundown */
};

struct pf_snapshot {
    struct pf_flow_key key; /* pid may be 0 with PF_SNAP_PID_UNKNOWN */
    uint8_t state;          /* enum pf_tcp_state */
    uint32_t uid;
    uint64_t bytes_sent;
    uint64_t bytes_recv;
    uint32_t flags; /* enum pf_snapshot_flags */
};

enum pf_loss_source {
    PF_LOSS_RINGBUF = 1,     /* kernel ring buffer full: reservation failed */
    PF_LOSS_ETW_EVENTS = 2,  /* ETW EventsLost */
    PF_LOSS_ETW_BUFFERS = 3, /* ETW BuffersLost / RealTimeBuffersLost */
    PF_LOSS_MAP_FULL = 4,    /* an aggregation map was full */
    PF_LOSS_USER = 5,        /* the recorder itself had to drop (queue full) */
    PF_LOSS_OTHER = 6,
    PF_LOSS_SOURCE_DOWN = 7 /* the event source recorded nothing over [since_ns, ts]; count 0 (unknown) */
};

struct pf_loss {
    uint8_t source;    /* enum pf_loss_source */
    uint32_t cpu;      /* UINT32_MAX = all CPUs / not per CPU */
    uint64_t count;    /* events lost since the previous loss record of this source+cpu */
    uint64_t since_ns; /* start of the interval the count covers (capture clock) */
};

/* Anchors the capture clock to UTC: utc_ns corresponds to clock_ns. A later
 * anchor supersedes earlier ones for records at or after its clock_ns. */
struct pf_clock {
    uint64_t clock_ns;
    int64_t utc_ns;
};

struct pf_hostinfo {
    const char *key;
    uint32_t key_len;
    const char *value;
    uint32_t value_len;
};

struct pf_marker {
    const char *text;
    uint32_t text_len;
};

/* DNS: one response a process received over plain DNS (UDP or TCP port
 * 53), as the recorder parsed it. The flow is the receiving socket; its
 * remote endpoint is the server that answered (a local stub resolver or
 * forwarder included). Only A and AAAA answers are kept. */
#define PF_MAX_DNS_ANSWERS 64 /* answers per record; readers refuse more */
#define PF_MAX_DNS_NAME 1024  /* bytes of a name as text (escaped) */

enum pf_dns_flags {
    PF_DNS_TRUNCATED = 1u << 0,  /* TC set, or the recorder saw only part of the message */
    PF_DNS_ANSWERS_CUT = 1u << 1 /* more address answers than recorded */
};

struct pf_dns_answer {
    uint8_t family;   /* 4 or 6 */
    uint8_t addr[16]; /* network order; IPv4 in addr[0..3] */
    uint32_t ttl;     /* seconds */
};

struct pf_dns {
    struct pf_flow_key key; /* receiving socket; remote = the DNS server */
    uint16_t qtype;         /* 1 A, 28 AAAA, ... */
    uint8_t rcode;          /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
    uint8_t flags;          /* enum pf_dns_flags */
    const char *qname;
    uint32_t qname_len; /* question name, lower-case, no final dot */
    const char *cname;
    uint32_t cname_len; /* last CNAME target on the way, or empty */
    uint32_t nanswers;
    const struct pf_dns_answer *answers;
};

struct pf_record {
    uint8_t type;   /* enum pf_record_type */
    uint64_t ts_ns; /* capture clock (see the file header's clock option) */
    int64_t utc_ns; /* filled by the reader from the clock anchors; ignored by the writer */
    union {
        struct pf_process process;
        struct pf_socket socket;
        struct pf_traffic traffic;
        struct pf_snapshot snapshot;
        struct pf_loss loss;
        struct pf_clock clock;
        struct pf_hostinfo hostinfo;
        struct pf_marker marker;
        struct pf_dns dns;
    } u;
};

/* Human names, for printing. Never NULL ("?" when unknown). */
const char *pf_record_type_name(unsigned type);
const char *pf_tcp_state_name(unsigned state);
const char *pf_loss_source_name(unsigned source);
const char *pf_process_event_name(unsigned event);
const char *pf_socket_event_name(unsigned event);
/* "tcp", "udp", "icmp", "icmpv6", "raw", "packet"; "other" for other codes. */
const char *pf_proto_name(unsigned proto);

/* Canonical text of an address: IPv4 dotted quad, IPv6 RFC 5952 (an IPv4-
 * mapped IPv6 address is printed as plain IPv4). buf needs 46 bytes. */
#define PF_ADDR_STRLEN 46
const char *pf_addr_to_string(uint8_t family, const uint8_t addr[16], char *buf, size_t buflen);
/* Parses IPv4 or IPv6 text; returns family (4/6) or 0 when not an address. */
int pf_addr_from_string(const char *text, uint8_t addr[16]);

#ifdef __cplusplus
}
#endif
#endif
