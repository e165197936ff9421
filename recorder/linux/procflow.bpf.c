// SPDX-License-Identifier: GPL-2.0
/* procflow kernel side: process lifecycle, TCP state changes and exact
 * per-flow byte/call totals aggregated in a per-CPU hash map. Only
 * tracepoints (tp_btf) and cgroup socket hooks: this kernel has no kprobes
 * and no fentry. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "procflow_events.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMP 1
#define IPPROTO_ICMPV6 58
#define AF_PACKET 17
#define SOCK_DGRAM 2
#define SOCK_RAW 3
/* Flow kinds beyond the IP protocols (records.h PF_PROTO_RAW/PACKET). */
#define PFE_PROTO_RAW 255
#define PFE_PROTO_PACKET 254
#define MSG_PEEK 2
#define MSG_TRUNC 0x20
#define USER_HZ_NS 10000000ULL /* /proc/PID/stat starttime granularity */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WAKEUP_BYTES (256 * 1024)

const volatile struct pfe_config cfg = {};
/* Advanced by user space at each flush: a flow's first call in the current
 * interval is kept, so records span the calls, not the idle time between. */
volatile __u32 pfe_flush_epoch = 0;
/* Set by user space once the ingress hook is attached: receive calls then
 * take sources from the per-socket queue, and the cgroup recvmsg hooks
 * (and their per-thread stash) are not used for them. */
volatile __u32 pfe_udp_src_queue = 0;
/* Set by user space when the egress hook takes the destinations of UDP
 * sends (the cgroup sendmsg hooks are then not attached: one hook less on
 * every unconnected send, and no socket lock taken for it). */
volatile __u32 pfe_udp_dst_egress = 0;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 8 << 20); /* resized from user space */
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct pfe_flow_key);
    __type(value, struct pfe_flow_val);
} flows SEC(".maps");

/* Retransmits per socket cookie (softirq context: no owning process). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct pfe_retrans);
} retrans SEC(".maps");

/* UDP peer seen by the cgroup sendmsg/recvmsg hook, consumed by the
 * sock_{send,recv}_length tracepoint of the same thread. (recv() without an
 * address buffer runs no hook: such datagrams have no known peer.) */
struct peer_stash {
    __u64 cookie;
    __u8 addr[16];
    __u16 port;
    __u8 family;
    __u8 valid;
    __u32 pad;
};

/* Task-local: O(1) without hashing, per thread, freed with the thread. */
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct peer_stash);
} stash SEC(".maps");

/* Destinations of the UDP datagrams the thread sent, from the egress hook
 * (pfe_udp_dst_egress), per socket cookie. Two notes: a datagram another
 * socket sends inside the same call (a tunnel's outer packet) or in a
 * softirq on this CPU then takes the older note, not the caller's. */
struct udp_dsts {
    struct peer_stash n[2]; /* pad: the note's age (seq when written) */
    __u32 seq;
    __u32 pad;
};
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct udp_dsts);
} udp_dst SEC(".maps");

/* The valid note for the socket, or NULL. */
static __always_inline struct peer_stash *udp_dst_note(struct udp_dsts *d, __u64 cookie)
{
    if (!d)
        return NULL;
    if (d->n[0].valid && d->n[0].cookie == cookie)
        return &d->n[0];
    if (d->n[1].valid && d->n[1].cookie == cookie)
        return &d->n[1];
    return NULL;
}

/* Sources of the datagrams waiting in a UDP socket's receive queue, in
 * arrival order: the ingress hook appends each datagram the socket accepts,
 * a drop of an accepted datagram marks its entry dead, and each receive call
 * (whatever the system call: recv, read, readv, recvmsg, recvmmsg, io_uring)
 * takes the oldest live entry whose length fits what the call returned. So
 * every datagram's bytes go to its sender, also when the caller passes no
 * address buffer (the cgroup recvmsg hooks do not run then). */
#define RXQ_SLOTS 256 /* power of two; more than a default receive buffer holds */
#define RXQ_DEAD 0xffffffffu
struct rxq_ent {
    __u64 skb; /* kernel address while queued: finds a dropped datagram */
    __u32 len; /* UDP payload bytes; RXQ_DEAD once dropped */
    __u32 pad2;
    __u8 addr[16];
    __u16 port;
    __u8 family;
    __u8 pad;
};
struct rxq {
    struct bpf_spin_lock lock;
    __u32 head, tail; /* free-running; tail - head entries */
    /* The queue no longer mirrors the socket's (it overflowed, or a read
     * found no fitting entry): nothing is appended, reads get no source,
     * until the socket's queue is seen empty. Never a wrong source. */
    __u32 desync;
    struct rxq_ent e[RXQ_SLOTS];
};
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct rxq);
} udp_rxq SEC(".maps");

/* Ping and raw sockets: the peer of the packet a call is sending (from the
 * egress hook, which runs inside the sending call) and of the one it is
 * reading (from the datagram copy into the caller's buffer). Kept on the
 * socket rather than the task: the kernel's own ICMP replies, sent from
 * softirq inside a sender's call, would overwrite a per-task note. */
struct ip_peer {
    __u8 tx_addr[16];
    __u8 rx_addr[16];
    __u8 tx_valid;
    __u8 rx_valid;
    __u8 pad[6];
};
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct ip_peer);
} ip_peers SEC(".maps");

/* Sockets that sent a DNS query: who sent it, and how many response
 * packets may still be copied (each query grants a few, capped), so that
 * packets from port 53 nobody asked for cost nothing. */
#define DNS_PORT 53
#define DNS_CREDITS_UDP 4
#define DNS_CREDITS_TCP 64
#define DNS_CREDITS_MAX 256
struct dns_owner {
    __u32 pid;
    __u32 credits;
    __u64 start_ns;
};
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct dns_owner);
} dns_owners SEC(".maps");

/* Room to assemble one DNS event before it is copied to the ring at its
 * real size. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pfe_dns);
} dns_scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PFE_LOSS_SLOTS);
    __type(key, __u32);
    __type(value, __u64);
} loss SEC(".maps");

static __always_inline void count_loss(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&loss, &slot);
    /* Atomic even per CPU: a softirq program can interrupt this one, and
     * cgroup hooks run preemptible, so a plain += could lose a count. */
    if (v)
        __sync_fetch_and_add(v, 1);
}

static __always_inline void *rb_reserve(__u64 size)
{
    void *e = bpf_ringbuf_reserve(&events, size, 0);
    if (!e)
        count_loss(PFE_LOSS_RINGBUF);
    return e;
}

/* Wake the reader only when a lot is pending: it polls on a short timer, so
 * per-event wake-ups would only cost CPU. */
static __always_inline void rb_submit(void *e)
{
    __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(e, avail > WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline __u64 proc_start(struct task_struct *t)
{
    __u64 ns = BPF_CORE_READ(t, group_leader, start_boottime);
    return ns - ns % USER_HZ_NS;
}

static __always_inline void fill_hdr(struct pfe_hdr *h, __u32 type, struct task_struct *t)
{
    h->type = type;
    h->pid = BPF_CORE_READ(t, tgid);
    h->ts_ns = bpf_ktime_get_boot_ns();
    h->start_ns = proc_start(t);
}

static __always_inline __u32 task_netns(struct task_struct *t) { return BPF_CORE_READ(t, nsproxy, net_ns, ns.inum); }

/* --cgroup: the current task is in the cgroup or below it. */
static __always_inline int current_in_cgroup(void)
{
    return !cfg.cgroup_id || bpf_get_current_ancestor_cgroup_id(cfg.cgroup_level) == cfg.cgroup_id;
}

/* --netns / --cgroup for process events: netns 0 (namespaces already
 * released) is not a reason to drop an exit. */
static __always_inline int task_wanted(__u32 netns)
{
    if (cfg.netns && netns && netns != cfg.netns)
        return 0;
    return current_in_cgroup();
}

/* --cgroup for socket events that may run outside the owner's context:
 * the socket keeps the cgroup of the task that created it. */
static __always_inline int sock_in_cgroup(const struct sock *sk)
{
    if (!cfg.cgroup_id)
        return 1;
    struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
    if (!cg)
        return 0;
    __u32 want = cfg.cgroup_level;
    int level = BPF_CORE_READ(cg, level);
    if (want > 1024 || level < (int)want)
        return 0;
    struct cgroup *anc = NULL;
    __u64 at = (__u64)cg + bpf_core_field_offset(struct cgroup, ancestors) + (__u64)want * sizeof(anc);
    if (bpf_probe_read_kernel(&anc, sizeof anc, (void *)at) || !anc)
        return 0;
    return BPF_CORE_READ(anc, kn, id) == cfg.cgroup_id;
}

static __always_inline void fill_parent(struct pfe_proc *e, struct task_struct *t)
{
    struct task_struct *parent = BPF_CORE_READ(t, real_parent);
    e->ppid = BPF_CORE_READ(parent, tgid);
    e->parent_start_ns = proc_start(parent);
    e->uid = BPF_CORE_READ(t, cred, uid.val);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    __u32 netns = task_netns(p);
    if (!task_wanted(netns))
        return 0;
    struct pfe_proc *e = rb_reserve(sizeof(*e));
    if (!e)
        return 0;
    fill_hdr(&e->h, PFE_EXEC, p);
    e->netns = netns;
    fill_parent(e, p);
    e->cgroup_id = bpf_get_current_cgroup_id();
    e->exit_code = 0;
    bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
    bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
    /* The new stack was just written by exec, so the pages are present. */
    unsigned long a0 = BPF_CORE_READ(p, mm, arg_start);
    unsigned long a1 = BPF_CORE_READ(p, mm, arg_end);
    __u64 len = a1 > a0 ? a1 - a0 : 0;
    if (len > PFE_ARGS_LEN - 1)
        len = PFE_ARGS_LEN - 1;
    barrier_var(len);
    len &= PFE_ARGS_LEN - 1; /* the verifier needs a mask, not just the clamp */
    e->args_len = 0;
    if (len > 0 && bpf_probe_read_user(e->args, len, (void *)a0) == 0)
        e->args_len = len;
    rb_submit(e);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
    if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
        return 0; /* a new thread, not a new process */
    __u32 netns = task_netns(child);
    if (!task_wanted(netns))
        return 0;
    struct pfe_proc *e = rb_reserve(sizeof(*e) - PFE_ARGS_LEN - PFE_PATH_LEN);
    if (!e)
        return 0;
    fill_hdr(&e->h, PFE_FORK, child);
    e->netns = netns;
    fill_parent(e, child);
    e->cgroup_id = bpf_get_current_cgroup_id();
    e->exit_code = 0;
    e->args_len = 0;
    bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), child->comm);
    rb_submit(e);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
    /* Fires per thread; the process ends when its last thread does. */
    if (BPF_CORE_READ(p, signal, live.counter) != 0)
        return 0;
    __u32 netns = task_netns(p);
    if (!task_wanted(netns))
        return 0;
    struct pfe_proc *e = rb_reserve(sizeof(*e) - PFE_ARGS_LEN - PFE_PATH_LEN);
    if (!e)
        return 0;
    fill_hdr(&e->h, PFE_EXIT, p);
    e->netns = netns;
    fill_parent(e, p);
    e->cgroup_id = 0;
    e->exit_code = BPF_CORE_READ(p, exit_code);
    e->args_len = 0;
    /* The last thread to exit may be a helper (an io_uring worker, named
     * iou-wrk-PID): the process keeps its main thread's name. */
    bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->group_leader->comm);
    rb_submit(e);
    return 0;
}

/* Ping sockets (what unprivileged ping uses) and raw IP sockets. */
static __always_inline int is_ping_or_raw(__u16 type, __u16 proto)
{
    return type == SOCK_RAW || (type == SOCK_DGRAM && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6));
}

/* Fills endpoints from the socket; returns 0 for TCP, UDP, ping and raw
 * sockets over IPv4/IPv6 and for packet sockets, in the recorded network
 * namespace (--netns). sk is a BTF pointer
 * (tp_btf argument), so plain loads are allowed and much cheaper than
 * probe-read helper calls on this hot path. */
static __always_inline int sock_addrs(const struct sock *sk, struct pfe_sockaddr *a)
{
    __u16 fam = sk->__sk_common.skc_family;
    __u16 proto = sk->sk_protocol;
    __u16 type = sk->sk_type;
    __u8 kind = proto;
    if (fam == AF_PACKET) {
        /* No IP endpoints: the EtherType it was opened for stands in the
         * local port, as /proc/net/packet lists it. */
        __builtin_memset(a, 0, sizeof(*a));
        a->proto = PFE_PROTO_PACKET;
        a->family = 4;
        a->lport = bpf_ntohs(BPF_CORE_READ((struct packet_sock *)sk, num)); /* bind() may change it */
        a->netns = sk->__sk_common.skc_net.net->ns.inum;
        return cfg.netns && a->netns != cfg.netns ? -1 : 0;
    }
    if (type == SOCK_RAW)
        kind = PFE_PROTO_RAW; /* its IP protocol is the local port (inet_num) */
    else if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && !is_ping_or_raw(type, proto))
        return -1;
    __builtin_memset(a, 0, sizeof(*a));
    a->proto = kind;
    if (fam == AF_INET) {
        a->family = 4;
        __u32 l = sk->__sk_common.skc_rcv_saddr;
        __u32 r = sk->__sk_common.skc_daddr;
        __builtin_memcpy(a->laddr, &l, 4);
        __builtin_memcpy(a->raddr, &r, 4);
    } else if (fam == AF_INET6) {
        a->family = 6;
        __builtin_memcpy(a->laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
        __builtin_memcpy(a->raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
    } else {
        return -1;
    }
    a->lport = sk->__sk_common.skc_num;
    a->rport = bpf_ntohs(sk->__sk_common.skc_dport);
    a->netns = sk->__sk_common.skc_net.net->ns.inum;
    if (cfg.netns && a->netns != cfg.netns)
        return -1;
    return 0;
}

static __always_inline int emit_call(const struct pfe_flow_key *k, const struct pfe_sockaddr *a, __u64 now, int dir,
                                     int bytes, int is_call)
{
    struct pfe_sock *e = rb_reserve(sizeof(*e));
    if (!e)
        return 0;
    e->h.type = PFE_CALL;
    e->h.pid = k->pid;
    e->h.ts_ns = now;
    e->h.start_ns = k->start_ns;
    e->cookie = k->cookie;
    e->a = *a;
    __builtin_memcpy(e->a.raddr, k->raddr, 16);
    e->a.rport = k->rport;
    e->old_state = is_call ? 0 : PFE_CALL_BYTES_ONLY;
    e->new_state = 0;
    e->proc_ctx = 1;
    e->dir = dir;
    e->bytes = bytes;
    rb_submit(e);
    return 0;
}

/* The receive call that returned ret bytes took the oldest datagram whose
 * length fits: equal, or more when the caller's buffer was smaller (without
 * MSG_TRUNC). Entries skipped before it were datagrams that vanished without
 * a visible drop (e.g. a checksum failure found at read time). */
static __always_inline int rxq_take(struct sock *sk, int ret, int flags, struct rxq_ent *out)
{
    struct rxq *q = bpf_sk_storage_get(&udp_rxq, sk, 0, 0);
    if (!q)
        return 0;
    /* Datagrams still queued after this read (the reader queue and the
     * socket queue); only needed to end a desync, read only then. */
    __u32 queued = 1;
    if (READ_ONCE(q->desync))
        queued = sk->sk_receive_queue.qlen + BPF_CORE_READ((struct udp_sock *)sk, reader_queue.qlen);
    int found = 0;
    bpf_spin_lock(&q->lock);
    __u32 h = q->head, t = q->tail;
    if (!q->desync) {
        /* Dead entries at the front are gone for good. */
        for (int i = 0; i < 8 && h != t && q->e[h & (RXQ_SLOTS - 1)].len == RXQ_DEAD; i++)
            h++;
        __u32 pos = h;
        for (int i = 0; i < 4 && pos != t; i++, pos++) {
            struct rxq_ent *e = &q->e[pos & (RXQ_SLOTS - 1)];
            if (e->len == RXQ_DEAD)
                continue;
            if (e->len == (__u32)ret || (i == 0 && (__u32)ret < e->len && !(flags & MSG_TRUNC))) {
                *out = *e;
                h = pos + 1;
                found = 1;
                break;
            }
        }
        if (!found)
            q->desync = 1;
    }
    if (q->desync && queued == 0) {
        h = t;
        q->desync = 0;
    }
    q->head = h;
    bpf_spin_unlock(&q->lock);
    return found;
}

/* TCP bytes read, from the socket's copied sequence number: every way of
 * reading (recvmsg, splice to a pipe, zero-copy receive, in-kernel readers
 * in the caller's context) advances it, and tcp_rcv_space_adjust runs after
 * each. Reads are charged there as bytes; the call itself is counted at
 * sock_recv_length (is_call) with what is left. */
struct tcp_rx {
    __u32 seq;      /* copied_seq already charged */
    __u32 init_seq; /* copied_seq when this socket was first seen */
    __u8 known;
    __u8 fresh; /* first seen inside a read: no call seen since */
    __u8 fin;   /* the peer's FIN (one sequence number) was read */
    __u8 pad[5];
};
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct tcp_rx);
} tcp_rxs SEC(".maps");

/* A connection established while recording: every byte from here counts. */
static __always_inline void tcp_rx_start(struct sock *sk)
{
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    struct tcp_rx *r = tp ? bpf_sk_storage_get(&tcp_rxs, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) : NULL;
    if (!r || r->known)
        return;
    r->known = 1;
    r->seq = tp->copied_seq;
    r->init_seq = r->seq;
}

static __always_inline __s64 tcp_rx_bytes(struct sock *sk, int ret, int is_call)
{
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    struct tcp_rx *r = tp ? bpf_sk_storage_get(&tcp_rxs, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) : NULL;
    if (!r)
        return is_call ? ret : 0;
    __u32 seq = tp->copied_seq;
    if (!r->known) {
        /* First sight (reads before the recording are unknown): a call
         * returned its own bytes; a read inside a call is settled when the
         * call ends. */
        r->known = 1;
        r->seq = seq;
        r->init_seq = seq;
        r->fresh = !is_call;
        return is_call ? ret : 0;
    }
    __s64 d = (__s32)(seq - r->seq);
    r->seq = seq;
    if (d < 0)
        d = 0;
    /* Reading the FIN moves copied_seq by one that is not data. The FIN
     * has been read once everything received, FIN included, has been. */
    int st = sk->__sk_common.skc_state;
    if (d > 0 && !r->fin &&
        (st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK || st == TCP_CLOSING || st == TCP_TIME_WAIT || st == TCP_CLOSE) &&
        seq == tp->rcv_nxt) {
        r->fin = 1;
        d -= 1;
        r->init_seq += 1; /* nor is it part of what the first call returned */
    }
    if (is_call && r->fresh) {
        /* The call that first showed this socket read ret bytes; those
         * after first sight are charged already. */
        __s64 miss = (__s64)ret - (__s32)(seq - r->init_seq);
        r->fresh = 0;
        if (miss > 0)
            d += miss;
    }
    return d;
}

/* A query went out on this socket: its responses may be copied. Called
 * only past account()'s --netns/--cgroup checks, which is what keeps the
 * answers of other namespaces and cgroups out of the recording. */
static __always_inline void dns_note_query(struct sock *sk, const struct pfe_flow_key *k)
{
    struct dns_owner *o = bpf_sk_storage_get(&dns_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!o)
        return;
    o->pid = k->pid;
    o->start_ns = k->start_ns;
    __u32 c = o->credits + (k->proto == IPPROTO_TCP ? DNS_CREDITS_TCP : DNS_CREDITS_UDP);
    o->credits = c > DNS_CREDITS_MAX ? DNS_CREDITS_MAX : c;
}

/* The last process start seen on this CPU, in USER_HZ ticks: the floor of
 * a start time without a 64-bit division on every call. A single word that
 * is checked before use, so a program interrupting this one and storing
 * another process's start can cost a division, never a wrong result. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} start_ticks SEC(".maps");

static __always_inline __u64 floor_start(__u64 ns)
{
    __u32 zero = 0;
    __u64 *memo = bpf_map_lookup_elem(&start_ticks, &zero);
    if (memo) {
        __u64 f = READ_ONCE(*memo) * USER_HZ_NS;
        if (f <= ns && ns - f < USER_HZ_NS)
            return f;
    }
    __u64 q = ns / USER_HZ_NS;
    if (memo)
        *memo = q;
    return q * USER_HZ_NS;
}

/* The destination of the datagram a UDP socket is putting together
 * (MSG_MORE, UDP_CORK) into k; 0 when none is pending. Read only for
 * sends of unconnected sockets that left no egress note. */
static __always_inline int udp_corked_dst(struct sock *sk, __u8 family, struct pfe_flow_key *k)
{
    struct udp_sock *up = (struct udp_sock *)sk;
    int pending = BPF_CORE_READ(up, pending);
    if (pending == AF_INET) {
        __be32 d = BPF_CORE_READ(up, inet.cork.fl.u.ip4.daddr);
        if (family == 6) {
            __builtin_memset(k->raddr, 0, 10);
            k->raddr[10] = 0xff;
            k->raddr[11] = 0xff;
            __builtin_memcpy(k->raddr + 12, &d, 4);
        } else {
            __builtin_memcpy(k->raddr, &d, 4);
        }
        k->rport = bpf_ntohs(BPF_CORE_READ(up, inet.cork.fl.u.ip4.uli.ports.dport));
        return 1;
    }
    if (pending == AF_INET6) {
        if (bpf_probe_read_kernel(k->raddr, 16, &up->inet.cork.fl.u.ip6.daddr))
            return 0;
        k->rport = bpf_ntohs(BPF_CORE_READ(up, inet.cork.fl.u.ip6.uli.ports.dport));
        return 1;
    }
    return 0;
}

static __always_inline int account(struct sock *sk, int ret, int flags, int dir, int is_call)
{
    struct task_struct *t = bpf_get_current_task_btf();
    struct pfe_sockaddr a;
    struct peer_stash *ps = NULL;

    if (sock_addrs(sk, &a) || !current_in_cgroup())
        return 0;
    /* Made once per socket: read in place once there (a BTF load, not a
     * helper call on every call). */
    __u64 cookie = sk->__sk_common.skc_cookie.counter;
    if (!cookie)
        cookie = bpf_get_socket_cookie(sk);
    struct ip_peer *ip = NULL;
    if (a.proto == IPPROTO_UDP && dir == 0 && pfe_udp_dst_egress) {
        ps = udp_dst_note(bpf_task_storage_get(&udp_dst, t, 0, 0), cookie);
    } else if (a.proto == IPPROTO_UDP && (dir == 0 || !pfe_udp_src_queue)) {
        ps = bpf_task_storage_get(&stash, t, 0, 0);
        if (ps && !ps->valid)
            ps = NULL;
    } else if (a.proto == IPPROTO_ICMP || a.proto == IPPROTO_ICMPV6 || a.proto == PFE_PROTO_RAW) {
        ip = bpf_sk_storage_get(&ip_peers, sk, 0, 0);
    }
    if (is_call && (ret <= 0 || (dir == 1 && (flags & MSG_PEEK)))) {
        if (ps)
            ps->valid = 0;
        if (ip && dir == 0)
            ip->tx_valid = 0;
        return 0;
    }
    if (dir == 1 && a.proto == IPPROTO_TCP) {
        __s64 b = tcp_rx_bytes(sk, ret, is_call);
        if (!is_call && b <= 0)
            return 0;
        ret = (int)b;
    }
    struct rxq_ent src;
    int have_src = dir == 1 && a.proto == IPPROTO_UDP && rxq_take(sk, ret, flags, &src);

    struct pfe_flow_key k = {};
    k.pid = t->tgid; /* a BTF load: cheaper than the pid helper call on every call */
    k.start_ns = floor_start(t->group_leader->start_boottime);
    k.cookie = cookie;
    k.netns = a.netns;
    k.family = a.family;
    k.proto = a.proto;
    if (have_src) {
        /* An IPv4 datagram on an IPv6 socket: the v4-mapped form. */
        if (src.family == 4 && a.family == 6) {
            __builtin_memset(k.raddr, 0, 10);
            k.raddr[10] = 0xff;
            k.raddr[11] = 0xff;
            __builtin_memcpy(k.raddr + 12, src.addr, 4);
        } else {
            __builtin_memcpy(k.raddr, src.addr, 16);
        }
        k.rport = src.port;
        if (ps)
            ps->valid = 0;
    } else if (ps && ps->cookie == k.cookie) {
        /* Unconnected UDP: the hook saw this datagram's peer. An IPv6
         * socket sending to a v4-mapped address runs the IPv4 hook: map
         * the address back so the flow stays in the socket's family. */
        if (ps->family == 4 && a.family == 6) {
            __builtin_memset(k.raddr, 0, 10);
            k.raddr[10] = 0xff;
            k.raddr[11] = 0xff;
            __builtin_memcpy(k.raddr + 12, ps->addr, 4);
        } else {
            __builtin_memcpy(k.raddr, ps->addr, 16);
        }
        k.rport = ps->port;
        ps->valid = 0;
    } else if (dir == 0 && a.proto == IPPROTO_UDP && pfe_udp_dst_egress && !a.rport &&
               udp_corked_dst(sk, a.family, &k)) {
        /* A call that only added to a corked datagram of an unconnected
         * socket: nothing left it, its destination waits with the cork. */
    } else if (ip && (dir == 0 ? ip->tx_valid : ip->rx_valid)) {
        /* Unconnected ping or raw socket: this packet's peer. */
        if (dir == 0) {
            __builtin_memcpy(k.raddr, ip->tx_addr, 16);
            ip->tx_valid = 0;
        } else {
            __builtin_memcpy(k.raddr, ip->rx_addr, 16);
            ip->rx_valid = 0;
        }
        k.rport = 0;
    } else {
        if (ps)
            ps->valid = 0;
        __builtin_memcpy(k.raddr, a.raddr, 16);
        k.rport = a.rport;
    }
    if (dir == 0 && k.rport == DNS_PORT)
        dns_note_query(sk, &k);
    __u64 now = bpf_ktime_get_boot_ns();
    if (cfg.per_call)
        return emit_call(&k, &a, now, dir, ret, is_call);

    struct pfe_flow_val *v = bpf_map_lookup_elem(&flows, &k);
    if (!v) {
        struct pfe_flow_val nv = {};
        nv.first_ns = now;
        __builtin_memcpy(nv.laddr, a.laddr, 16);
        nv.lport = a.lport;
        if (bpf_map_update_elem(&flows, &k, &nv, BPF_NOEXIST) && bpf_map_lookup_elem(&flows, &k) == NULL) {
            count_loss(PFE_LOSS_MAP_FULL);
            return 0;
        }
        v = bpf_map_lookup_elem(&flows, &k);
        if (!v)
            return 0;
        /* Once per flow: tell user space who uses this socket, in order
         * with the state events (an accepted socket's owner is only
         * known from here). */
        struct pfe_sock *e = rb_reserve(sizeof(*e));
        if (e) {
            e->h.type = PFE_FIRST;
            e->h.pid = k.pid;
            e->h.ts_ns = now;
            e->h.start_ns = k.start_ns;
            e->cookie = k.cookie;
            e->a = a;
            /* the flow's peer: with dir, user space knows who spoke first */
            __builtin_memcpy(e->a.raddr, k.raddr, 16);
            e->a.rport = k.rport;
            e->old_state = 0;
            e->new_state = 0;
            e->proc_ctx = 1;
            e->dir = dir;
            /* A packet socket has no release hook: user space watches its
             * namespace's table for this inode to see it closed. */
            e->bytes = a.proto == PFE_PROTO_PACKET ? sk->sk_socket->file->f_inode->i_ino : 0;
            rb_submit(e);
        }
    }
    /* Per-CPU value: this CPU is the only writer. */
    if (dir == 0) {
        v->bytes_sent += ret;
        v->sends += 1;
    } else {
        v->bytes_recv += ret;
        v->recvs += is_call;
    }
    if (!v->first_ns)
        v->first_ns = now;
    __u32 ep = pfe_flush_epoch;
    if (v->epoch != ep || !v->ifirst_ns) {
        v->epoch = ep;
        v->ifirst_ns = now;
    }
    v->last_ns = now;
    if (!v->lport && a.lport) {
        __builtin_memcpy(v->laddr, a.laddr, 16);
        v->lport = a.lport;
    }
    return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(on_send, struct sock *sk, int ret, int flags) { return account(sk, ret, flags, 0, 1); }

SEC("tp_btf/sock_recv_length")
int BPF_PROG(on_recv, struct sock *sk, int ret, int flags) { return account(sk, ret, flags, 1, 1); }

/* TCP reads that never reach sock_recv_length (splice from a socket into a
 * pipe) still move the socket's copied sequence. */
SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(on_tcp_read, struct sock *sk) { return account(sk, 0, 0, 1, 0); }

static __always_inline int stash_peer(struct bpf_sock_addr *ctx, int v6)
{
    if (ctx->protocol != IPPROTO_UDP)
        return 1;
    struct peer_stash ps = {};
    ps.cookie = bpf_get_socket_cookie(ctx);
    ps.valid = 1;
    ps.port = bpf_ntohs((__u16)ctx->user_port);
    if (v6) {
        ps.family = 6;
        __u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];
        __builtin_memcpy(ps.addr, &w0, 4);
        __builtin_memcpy(ps.addr + 4, &w1, 4);
        __builtin_memcpy(ps.addr + 8, &w2, 4);
        __builtin_memcpy(ps.addr + 12, &w3, 4);
    } else {
        ps.family = 4;
        __u32 w0 = ctx->user_ip4;
        __builtin_memcpy(ps.addr, &w0, 4);
    }
    struct peer_stash *cur =
        bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (cur)
        *cur = ps;
    else
        count_loss(PFE_LOSS_MAP_FULL);
    return 1; /* never change or refuse the call */
}

/* Copies the IP source (rx) or destination (tx) of the packet at the
 * network header into a ping or raw socket's peer note. */
static __always_inline void note_ip_peer(struct ip_peer *p, const __u8 *ip, int v6, int rx)
{
    __u8 *dst = rx ? p->rx_addr : p->tx_addr;
    __builtin_memset(dst, 0, 16);
    if (v6)
        __builtin_memcpy(dst, ip + (rx ? 8 : 24), 16);
    else
        __builtin_memcpy(dst, ip + (rx ? 12 : 16), 4);
    if (rx)
        p->rx_valid = 1;
    else
        p->tx_valid = 1;
}

/* The destination of a datagram an unconnected UDP socket sends, for
 * the sock_send_length tracepoint that ends the same call (the per-thread
 * note the sendmsg hooks fill otherwise). Only a packet the calling task
 * sends itself; one to the socket's connected peer needs no note. */
static __always_inline void note_udp_dst(struct __sk_buff *skb, struct bpf_sock *sk)
{
    __u8 *data = (__u8 *)(long)skb->data, *data_end = (__u8 *)(long)skb->data_end;
    __u8 ip[40];
    __u16 udp[2];
    __u32 hl;
    int linear = data + sizeof(ip) <= data_end;
    if (linear)
        __builtin_memcpy(ip, data, sizeof(ip));
    else if (bpf_skb_load_bytes(skb, 0, ip, 20))
        return;
    struct peer_stash ps = {};
    if ((ip[0] >> 4) == 4) {
        hl = (ip[0] & 15) * 4;
        if (ip[9] != IPPROTO_UDP)
            return;
        ps.family = 4;
        __builtin_memcpy(ps.addr, ip + 16, 4);
    } else {
        /* Extension headers are not walked: such sends keep the
         * socket's own peer. */
        if ((!linear && bpf_skb_load_bytes(skb, 0, ip, 40)) || ip[6] != IPPROTO_UDP)
            return;
        hl = 40;
        ps.family = 6;
        __builtin_memcpy(ps.addr, ip + 24, 16);
    }
    if (hl < 20 || hl > 60)
        return;
    if (data + hl + sizeof(udp) <= data_end)
        __builtin_memcpy(udp, data + hl, sizeof(udp));
    else if (bpf_skb_load_bytes(skb, hl, udp, sizeof(udp)))
        return;
    /* Another source port: an encapsulation of this socket's datagram
     * (ESP in UDP), not the datagram itself. */
    if (bpf_ntohs(udp[0]) != sk->src_port)
        return;
    if (udp[1] == sk->dst_port &&
        (ps.family == 4 ? sk->family == AF_INET && sk->dst_ip4 == *(__u32 *)ps.addr
                        : sk->dst_ip6[0] == *(__u32 *)ps.addr && sk->dst_ip6[1] == *(__u32 *)(ps.addr + 4) &&
                              sk->dst_ip6[2] == *(__u32 *)(ps.addr + 8) && sk->dst_ip6[3] == *(__u32 *)(ps.addr + 12)))
        return;
    ps.cookie = bpf_get_socket_cookie(skb);
    ps.port = bpf_ntohs(udp[1]);
    ps.valid = 1;
    struct udp_dsts *d = bpf_task_storage_get(&udp_dst, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (!d) {
        count_loss(PFE_LOSS_MAP_FULL);
        return;
    }
    /* The socket's own note, else a free one, else the older. */
    int second;
    if (d->n[0].cookie == ps.cookie)
        second = 0;
    else if (d->n[1].cookie == ps.cookie)
        second = 1;
    else if (!d->n[0].valid)
        second = 0;
    else if (!d->n[1].valid)
        second = 1;
    else
        second = (__s32)(d->n[1].pad - d->n[0].pad) < 0;
    d->seq += 1;
    ps.pad = d->seq;
    if (second)
        d->n[1] = ps;
    else
        d->n[0] = ps;
}

/* Every packet a ping or raw socket sends passes here inside the sending
 * call, before sock_send_length: its destination is the flow's peer. So
 * does every UDP datagram (see note_udp_dst). */
SEC("cgroup_skb/egress")
int on_egress(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return 1;
    sk = bpf_sk_fullsock(sk);
    if (!sk)
        return 1;
    if (sk->protocol == IPPROTO_UDP && sk->type == SOCK_DGRAM) {
        if (pfe_udp_dst_egress)
            note_udp_dst(skb, sk);
        return 1;
    }
    if (!is_ping_or_raw(sk->type, sk->protocol))
        return 1;
    __u8 ip[40];
    if (bpf_skb_load_bytes(skb, 0, ip, 20))
        return 1;
    int v6 = (ip[0] >> 4) == 6;
    if (v6 && bpf_skb_load_bytes(skb, 0, ip, 40))
        return 1;
    struct ip_peer *p = bpf_sk_storage_get(&ip_peers, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (p)
        note_ip_peer(p, ip, v6, 0);
    return 1; /* never drop */
}

/* A receive call copying a queued packet to the caller: its source. The
 * packet is the one whose bytes sock_recv_length reports next. */
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(on_copy, const struct sk_buff *skb, int len)
{
    struct sock *sk = skb->sk;
    if (!sk)
        return 0;
    __u16 fam = sk->__sk_common.skc_family;
    if ((fam != AF_INET && fam != AF_INET6) || !is_ping_or_raw(sk->sk_type, sk->sk_protocol))
        return 0;
    __u8 ip[24];
    unsigned char *head = skb->head;
    __u16 nh = skb->network_header;
    if (bpf_probe_read_kernel(ip, sizeof(ip), head + nh))
        return 0;
    struct ip_peer *p = bpf_sk_storage_get(&ip_peers, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (p)
        note_ip_peer(p, ip, (ip[0] >> 4) == 6, 1);
    return 0;
}

/* Copies the payload of a DNS response (plen bytes at off) to the ring,
 * when the socket asked: only sockets that sent a query to port 53 have
 * credits. src: the server's address as in the packet (family 4 or 6). */
static __always_inline void dns_capture(struct __sk_buff *skb, struct bpf_sock *sk, __u32 off, __u32 plen, __u32 seq,
                                        const __u8 *src, __u8 src_family)
{
    struct dns_owner *o = bpf_sk_storage_get(&dns_owners, sk, 0, 0);
    if (!o || !o->credits || plen == 0)
        return;
    o->credits--;
    __u32 zero = 0;
    struct pfe_dns *e = bpf_map_lookup_elem(&dns_scratch, &zero);
    if (!e)
        return;
    e->h.type = PFE_DNS;
    e->h.pid = o->pid;
    e->h.start_ns = o->start_ns;
    e->h.ts_ns = bpf_ktime_get_boot_ns();
    e->cookie = bpf_get_socket_cookie(skb);
    __builtin_memset(&e->a, 0, sizeof(e->a));
    e->a.proto = sk->protocol;
    e->a.rport = DNS_PORT;
    e->a.lport = sk->src_port;
    if (sk->family == AF_INET6) {
        e->a.family = 6;
        __u32 w0 = sk->src_ip6[0], w1 = sk->src_ip6[1], w2 = sk->src_ip6[2], w3 = sk->src_ip6[3];
        __builtin_memcpy(e->a.laddr, &w0, 4);
        __builtin_memcpy(e->a.laddr + 4, &w1, 4);
        __builtin_memcpy(e->a.laddr + 8, &w2, 4);
        __builtin_memcpy(e->a.laddr + 12, &w3, 4);
        if (src_family == 4) {
            e->a.raddr[10] = 0xff;
            e->a.raddr[11] = 0xff;
            __builtin_memcpy(e->a.raddr + 12, src, 4);
        } else {
            __builtin_memcpy(e->a.raddr, src, 16);
        }
    } else {
        e->a.family = 4;
        __u32 l = sk->src_ip4;
        __builtin_memcpy(e->a.laddr, &l, 4);
        __builtin_memcpy(e->a.raddr, src, 4);
    }
    e->seq = seq;
    e->len = plen > 0xffff ? 0xffff : plen;
    __u32 cap = plen > PFE_DNS_DATA ? PFE_DNS_DATA : plen;
    barrier_var(cap);
    /* the same value, in a form the verifier bounds to [1, PFE_DNS_DATA] */
    cap = ((cap - 1) & (PFE_DNS_DATA - 1)) + 1;
    barrier_var(cap);
    if (bpf_skb_load_bytes(skb, off, e->data, cap))
        return;
    e->cap = cap;
    __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    if (bpf_ringbuf_output(&events, e, sizeof(*e) - PFE_DNS_DATA + cap,
                           avail > WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP))
        count_loss(PFE_LOSS_RINGBUF);
}

/* TCP segments from port 53 on a socket that sent a query: user space
 * puts the stream together by sequence number. */
static __always_inline void dns_tcp(struct __sk_buff *skb, struct bpf_sock *sk)
{
    __u8 ip[40];
    __u8 th[16];
    __u8 src[16] = {};
    __u8 fam;
    __u32 hl;
    if (bpf_skb_load_bytes(skb, 0, ip, 20))
        return;
    if ((ip[0] >> 4) == 4) {
        hl = (ip[0] & 15) * 4;
        fam = 4;
        __builtin_memcpy(src, ip + 12, 4);
    } else {
        if (bpf_skb_load_bytes(skb, 0, ip, 40) || ip[6] != IPPROTO_TCP)
            return;
        hl = 40;
        fam = 6;
        __builtin_memcpy(src, ip + 8, 16);
    }
    if (hl < 20 || hl > 60 || bpf_skb_load_bytes(skb, hl, th, 16))
        return;
    __u32 doff = (th[12] >> 4) * 4;
    if (doff < 20 || skb->len <= hl + doff)
        return;
    __u32 seq = ((__u32)th[4] << 24) | ((__u32)th[5] << 16) | ((__u32)th[6] << 8) | th[7];
    dns_capture(skb, sk, hl + doff, skb->len - hl - doff, seq, src, fam);
}

SEC("cgroup_skb/ingress")
int on_ingress(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return 1;
    sk = bpf_sk_fullsock(sk);
    if (!sk)
        return 1;
    if (sk->protocol == IPPROTO_TCP) {
        if (sk->dst_port == bpf_htons(DNS_PORT))
            dns_tcp(skb, sk);
        return 1;
    }
    if (sk->protocol != IPPROTO_UDP)
        return 1;
    /* A socket whose queue is out of sync (nobody reads it: a flood into
     * a full buffer) gets no entries: only a DNS answer is looked at. */
    struct rxq *q = bpf_sk_storage_get(&udp_rxq, sk, 0, 0);
    int desync = q && READ_ONCE(q->desync);
    struct rxq_ent e = {};
    __u8 ip[24];
    __u16 udp[1];
    __u32 hl;
    /* The packet starts at the network header here. Headers in the linear
     * part (the usual case) are read in place, without a helper call. */
    __u8 *data = (__u8 *)(long)skb->data, *data_end = (__u8 *)(long)skb->data_end;
    int linear = data + sizeof(ip) <= data_end;
    if (linear)
        __builtin_memcpy(ip, data, sizeof(ip));
    else if (bpf_skb_load_bytes(skb, 0, ip, 20))
        return 1;
    if ((ip[0] >> 4) == 4) {
        hl = (ip[0] & 15) * 4;
        e.family = 4;
        __builtin_memcpy(e.addr, ip + 12, 4);
    } else {
        /* Extension headers before UDP are not walked: the port would be
         * read from the wrong place, so such datagrams get no source. */
        if ((!linear && bpf_skb_load_bytes(skb, 0, ip, 24)) || ip[6] != IPPROTO_UDP)
            return 1;
        hl = 40;
        e.family = 6;
        __builtin_memcpy(e.addr, ip + 8, 16);
    }
    if (hl < 20 || hl > 60 || skb->len < hl + 8)
        return 1;
    if (data + hl + sizeof(udp) <= data_end)
        __builtin_memcpy(udp, data + hl, sizeof(udp));
    else if (bpf_skb_load_bytes(skb, hl, udp, 2))
        return 1;
    e.port = bpf_ntohs(udp[0]);
    /* The source port read in place costs less than asking whether the
     * socket wants DNS answers (dns_capture does, for port 53 only). */
    if (desync && e.port != DNS_PORT)
        return 1;
    e.len = skb->len - hl - 8;
    e.skb = (__u64)skb;
    if (e.port == DNS_PORT)
        dns_capture(skb, sk, hl + 8, e.len, 0, e.addr, e.family);
    if (!q)
        q = bpf_sk_storage_get(&udp_rxq, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    /* Unlocked look first: a socket nobody reads stays out of sync and
     * should cost a flood as little as possible. */
    if (!q || READ_ONCE(q->desync))
        return 1;
    bpf_spin_lock(&q->lock);
    __u32 t = q->tail;
    if (t - q->head >= RXQ_SLOTS)
        q->desync = 1; /* a reader far behind */
    if (!q->desync) {
        q->e[t & (RXQ_SLOTS - 1)] = e;
        q->tail = t + 1;
    }
    bpf_spin_unlock(&q->lock);
    return 1; /* never drop */
}

/* An accepted datagram dropped before any reader saw it (receive buffer
 * full, ...): its entry must not be matched to a later read. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(on_drop, struct sk_buff *skb, void *location, int reason, struct sock *rx_sk)
{
    if (!rx_sk || rx_sk->sk_protocol != IPPROTO_UDP)
        return 0;
    struct rxq *q = bpf_sk_storage_get(&udp_rxq, rx_sk, 0, 0);
    if (!q || READ_ONCE(q->desync))
        return 0;
    __u64 key = (__u64)skb;
    bpf_spin_lock(&q->lock);
    __u32 pos = q->tail;
    for (int i = 0; i < 8 && pos != q->head; i++) {
        pos--;
        struct rxq_ent *e = &q->e[pos & (RXQ_SLOTS - 1)];
        if (e->skb == key) {
            e->len = RXQ_DEAD;
            break;
        }
    }
    bpf_spin_unlock(&q->lock);
    return 0;
}

SEC("cgroup/sendmsg4")
int on_sendmsg4(struct bpf_sock_addr *ctx) { return stash_peer(ctx, 0); }
SEC("cgroup/sendmsg6")
int on_sendmsg6(struct bpf_sock_addr *ctx) { return stash_peer(ctx, 1); }
SEC("cgroup/recvmsg4")
int on_recvmsg4(struct bpf_sock_addr *ctx) { return stash_peer(ctx, 0); }
SEC("cgroup/recvmsg6")
int on_recvmsg6(struct bpf_sock_addr *ctx) { return stash_peer(ctx, 1); }

static __always_inline int emit_sock(__u32 type, const struct sock *sk, int olds, int news, int proc_ctx)
{
    struct pfe_sockaddr a;
    if (sock_addrs(sk, &a) || !sock_in_cgroup(sk))
        return 0;
    struct pfe_sock *e = rb_reserve(sizeof(*e));
    if (!e)
        return 0;
    struct task_struct *t = bpf_get_current_task_btf();
    e->h.type = type;
    e->h.ts_ns = bpf_ktime_get_boot_ns();
    e->h.pid = proc_ctx ? BPF_CORE_READ(t, tgid) : 0;
    e->h.start_ns = proc_ctx ? proc_start(t) : 0;
    e->cookie = bpf_get_socket_cookie((void *)sk);
    e->a = a;
    e->old_state = olds;
    e->new_state = news;
    e->proc_ctx = proc_ctx;
    e->dir = 0;
    e->bytes = 0;
    rb_submit(e);
    return 0;
}

/* Transitions that only a system call of the owner makes: connect() and
 * listen() on a closed socket, close() or shutdown() of an open one. */
static __always_inline int in_proc_ctx(int o, int n)
{
    return (o == TCP_CLOSE && (n == TCP_SYN_SENT || n == TCP_LISTEN)) || (o == TCP_ESTABLISHED && n == TCP_FIN_WAIT1) ||
           (o == TCP_CLOSE_WAIT && n == TCP_LAST_ACK);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_state, const struct sock *sk, int olds, int news)
{
    if (sk->sk_protocol != IPPROTO_TCP)
        return 0;
    if (news == TCP_ESTABLISHED)
        tcp_rx_start((struct sock *)sk);
    return emit_sock(PFE_STATE, sk, olds, news, in_proc_ctx(olds, news));
}

static __always_inline int count_retrans(const struct sock *sk)
{
    __u64 c = bpf_get_socket_cookie((void *)sk);
    __u64 now = bpf_ktime_get_boot_ns();
    struct pfe_retrans *v = bpf_map_lookup_elem(&retrans, &c);
    if (v) {
        __sync_fetch_and_add(&v->count, 1);
        v->last_ns = now;
    } else {
        struct pfe_retrans one = {1, now};
        if (bpf_map_update_elem(&retrans, &c, &one, BPF_NOEXIST)) {
            v = bpf_map_lookup_elem(&retrans, &c);
            if (v) {
                __sync_fetch_and_add(&v->count, 1);
                v->last_ns = now;
            } else {
                count_loss(PFE_LOSS_MAP_FULL);
            }
        }
    }
    return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retrans, const struct sock *sk, const struct sk_buff *skb) { return count_retrans(sk); }

/* Kernels that pass the result: a retransmission that could not be sent
 * (queue busy, no memory) is not one, as for the kernel's own counter. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retrans_err, const struct sock *sk, const struct sk_buff *skb, int err)
{
    return err ? 0 : count_retrans(sk);
}

/* The socket file is gone: no more send/recv can be charged to it. */
SEC("cgroup/sock_release")
int on_release(struct bpf_sock *ctx)
{
    if (ctx->family != AF_INET && ctx->family != AF_INET6)
        return 1;
    if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP && !is_ping_or_raw(ctx->type, ctx->protocol))
        return 1;
    struct pfe_sock *e = rb_reserve(sizeof(*e));
    if (!e)
        return 1;
    __builtin_memset(e, 0, sizeof(*e));
    __u64 id = bpf_get_current_pid_tgid();
    e->h.type = PFE_RELEASE;
    e->h.pid = id >> 32;
    e->h.ts_ns = bpf_ktime_get_boot_ns();
    e->cookie = bpf_get_socket_cookie(ctx);
    e->a.proto = ctx->type == SOCK_RAW ? PFE_PROTO_RAW : ctx->protocol;
    e->a.family = ctx->family == AF_INET ? 4 : 6;
    e->proc_ctx = 1;
    rb_submit(e);
    return 1;
}
