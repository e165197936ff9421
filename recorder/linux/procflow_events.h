/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Structures shared by procflow.bpf.c and the Linux source. These are the
 * kernel<->user contract only; they are translated into records.h records
 * and never written to a capture as they are. Fixed-width types, explicit
 * padding, so both compilers agree on the layout. */
#ifndef PROCFLOW_EVENTS_H
#define PROCFLOW_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PFE_COMM_LEN 16
#define PFE_PATH_LEN 256
#define PFE_ARGS_LEN 512

enum pfe_type {
    PFE_EXEC = 1,
    PFE_FORK = 2,
    PFE_EXIT = 3,
    PFE_STATE = 4,   /* TCP state transition */
    PFE_RELEASE = 5, /* socket file released: its aggregates are final */
    PFE_CALL = 6,    /* one send/recv (per-call mode only) */
    PFE_RETRANS = 7, /* one TCP retransmission */
    PFE_FIRST = 8,   /* first call of a new flow: names the socket's user early */
    PFE_DNS = 9      /* bytes of a DNS response (UDP datagram or TCP segment from port 53) */
};

/* Loss counter slots (per-CPU array). */
enum pfe_loss_slot { PFE_LOSS_RINGBUF = 0, PFE_LOSS_MAP_FULL = 1, PFE_LOSS_SLOTS = 2 };

/* Socket endpoints as the kernel has them. Addresses in network order,
 * ports in host order; IPv4 in addr[0..3]. */
struct pfe_sockaddr {
    __u8 laddr[16];
    __u8 raddr[16];
    __u16 lport;
    __u16 rport;
    __u8 family; /* 4 or 6 */
    __u8 proto;  /* 6, 17, 1, 58; 255 raw; 254 packet (records.h enum pf_proto) */
    __u8 pad[2];
    __u32 netns; /* inode number of the socket's network namespace */
};

struct pfe_hdr {
    __u32 type;     /* enum pfe_type */
    __u32 pid;      /* tgid */
    __u64 ts_ns;    /* CLOCK_BOOTTIME */
    __u64 start_ns; /* process start, floored to USER_HZ ticks */
};

struct pfe_proc {
    struct pfe_hdr h;
    __u32 ppid;
    __u32 uid;
    __u64 parent_start_ns;
    __u64 cgroup_id;
    __s32 exit_code;
    __u32 args_len; /* bytes valid in args (NUL separated) */
    __u32 netns;    /* inode number of the task's network namespace; 0 unknown */
    __u32 pad;
    char comm[PFE_COMM_LEN];
    char path[PFE_PATH_LEN]; /* exec: filename as passed to exec */
    char args[PFE_ARGS_LEN];
};

/* PFE_CALL with old_state PFE_CALL_BYTES_ONLY: bytes read outside a
 * counted call (a TCP read inside a call, or a splice). */
#define PFE_CALL_BYTES_ONLY 1

struct pfe_sock {
    struct pfe_hdr h; /* pid 0 when not in process context */
    __u64 cookie;
    struct pfe_sockaddr a;
    __u8 old_state;
    __u8 new_state;
    __u8 proc_ctx; /* 1: h.pid is the task that caused it */
    __u8 dir;      /* PFE_CALL: 0 send, 1 recv */
    __u32 bytes;   /* PFE_CALL; PFE_FIRST of a packet socket: its inode number */
};

/* Aggregation map key: one flow = process x socket x remote endpoint. */
struct pfe_flow_key {
    __u32 pid;
    __u32 netns; /* the socket's network namespace (inode number) */
    __u64 start_ns;
    __u64 cookie;
    __u8 raddr[16];
    __u16 rport;
    __u8 family;
    __u8 proto;
    __u32 pad2;
};

/* Per-CPU aggregate; userspace sums the CPUs. */
struct pfe_flow_val {
    __u64 bytes_sent;
    __u64 bytes_recv;
    __u64 sends;
    __u64 recvs;
    __u64 retrans;
    __u64 first_ns;
    __u64 last_ns;
    __u8 laddr[16];
    __u16 lport;
    __u16 pad;
    __u32 epoch;     /* flush interval of ifirst_ns (pfe_flush_epoch) */
    __u64 ifirst_ns; /* first call in that interval */
};

/* Retransmits of one socket (map keyed by socket cookie). */
struct pfe_retrans {
    __u64 count;
    __u64 last_ns; /* time of the latest */
};

/* A DNS response as it reached a socket that sent a query to port 53.
 * Variable size: `cap` bytes of data follow the fixed part. */
#define PFE_DNS_DATA 4096
struct pfe_dns {
    struct pfe_hdr h; /* the process that sent the socket's last query */
    __u64 cookie;
    struct pfe_sockaddr a; /* the socket's; raddr/rport: the server (v4-mapped on an IPv6 socket) */
    __u32 seq;             /* TCP: sequence number of the first payload byte */
    __u16 len;             /* payload bytes in the packet */
    __u16 cap;             /* of them in data */
    __u8 data[PFE_DNS_DATA];
};

/* Read-only configuration set before load. */
struct pfe_config {
    __u32 per_call;
    __u32 netns;        /* only sockets and processes of this network namespace; 0 = all */
    __u64 cgroup_id;    /* only processes (and their sockets) under this cgroup v2; 0 = all */
    __u32 cgroup_level; /* its depth below the root (the root is 0) */
    __u32 pad;
};

#endif
