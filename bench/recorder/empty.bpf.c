// SPDX-License-Identifier: GPL-2.0
/* Empty programs on every hook the recorder attaches to (names: empty_ and
 * the recorder program's name after on_): what merely running a BPF
 * program there costs, measured next to the recorder's programs in the
 * same run (hookcost). The process hooks (exec, fork, exit) run no call of
 * the measured loops and are left out. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_send, struct sock *sk, int ret, int flags) { return 0; }
SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_recv, struct sock *sk, int ret, int flags) { return 0; }
SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(empty_tcp_read, struct sock *sk) { return 0; }
SEC("tp_btf/kfree_skb")
int BPF_PROG(empty_drop, struct sk_buff *skb, void *location, int reason, struct sock *rx_sk) { return 0; }
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(empty_copy, const struct sk_buff *skb, int len) { return 0; }
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_state, const struct sock *sk, int olds, int news) { return 0; }
/* Two arguments: loads whether or not the kernel passes the result too. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(empty_retrans, const struct sock *sk, const struct sk_buff *skb) { return 0; }
SEC("cgroup/sendmsg4")
int empty_sendmsg4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/sendmsg6")
int empty_sendmsg6(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup_skb/ingress")
int empty_ingress(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/egress")
int empty_egress(struct __sk_buff *skb) { return 1; }
SEC("cgroup/sock_release")
int empty_release(struct bpf_sock *ctx) { return 1; }
