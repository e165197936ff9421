// SPDX-License-Identifier: GPL-2.0
/* Empty programs on the hooks the recorder uses on the send and receive
 * paths: what merely running a BPF program there costs, measured next to
 * the recorder's programs in the same run (hookcost). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_send, struct sock *sk, int ret, int flags) { return 0; }
SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_recv, struct sock *sk, int ret, int flags) { return 0; }
SEC("tp_btf/kfree_skb")
int BPF_PROG(empty_drop, struct sk_buff *skb, void *location, int reason, struct sock *rx_sk) { return 0; }
SEC("cgroup/sendmsg4")
int empty_sendmsg4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/sendmsg6")
int empty_sendmsg6(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup_skb/ingress")
int empty_ingress(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/egress")
int empty_egress(struct __sk_buff *skb) { return 1; }
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(empty_copy, const struct sk_buff *skb, int len) { return 0; }
