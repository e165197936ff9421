/* SPDX-License-Identifier: MIT */
/* Helpers shared by the format tests: build small captures in memory and
 * read them back into a flat list for comparison. */
#ifndef PF_CAPTURE_UTIL_H
#define PF_CAPTURE_UTIL_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/format.h"

/* A record read back, with its strings copied. */
struct read_rec {
    struct pf_record rec;
    char *strs[6];
};

struct read_list {
    struct read_rec *v;
    size_t n, cap;
    size_t damage_reports;
    struct pf_reader_stats st;
    int open_rc;
};

static inline void damage_count(void *ctx, const struct pf_damage *d)
{
    (void)d;
    ((struct read_list *)ctx)->damage_reports++;
}

static inline char *dup_bytes(const char *s, uint32_t n)
{
    char *p = (char *)malloc((size_t)n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static inline void read_list_free(struct read_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        for (int k = 0; k < 6; k++)
            free(l->v[i].strs[k]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Reads every record of a memory capture. Returns the open result. */
static inline int read_all_mem(const void *data, size_t len, struct read_list *l)
{
    memset(l, 0, sizeof(*l));
    struct pf_reader_options ro = {damage_count, l, 0};
    pf_reader *r = NULL;
    l->open_rc = pf_reader_open_mem(&r, data, len, &ro);
    if (l->open_rc)
        return l->open_rc;
    struct pf_record rec;
    int rc;
    while ((rc = pf_reader_next(r, &rec)) > 0) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->v = (struct read_rec *)realloc(l->v, l->cap * sizeof(*l->v));
        }
        struct read_rec *x = &l->v[l->n++];
        memset(x, 0, sizeof(*x));
        x->rec = rec;
        if (rec.type == PF_REC_PROCESS) {
            struct pf_process *p = &x->rec.u.process;
            p->comm = x->strs[0] = dup_bytes(p->comm, p->comm_len);
            p->exe = x->strs[1] = dup_bytes(p->exe, p->exe_len);
            p->cmdline = x->strs[2] = dup_bytes(p->cmdline, p->cmdline_len);
            p->cgroup = x->strs[3] = dup_bytes(p->cgroup, p->cgroup_len);
            p->container = x->strs[4] = dup_bytes(p->container, p->container_len);
            p->user = x->strs[5] = dup_bytes(p->user, p->user_len);
        } else if (rec.type == PF_REC_HOSTINFO) {
            x->rec.u.hostinfo.key = x->strs[0] = dup_bytes(rec.u.hostinfo.key, rec.u.hostinfo.key_len);
            x->rec.u.hostinfo.value = x->strs[1] = dup_bytes(rec.u.hostinfo.value, rec.u.hostinfo.value_len);
        } else if (rec.type == PF_REC_MARKER) {
            x->rec.u.marker.text = x->strs[0] = dup_bytes(rec.u.marker.text, rec.u.marker.text_len);
        } else if (rec.type == PF_REC_DNS) {
            struct pf_dns *d = &x->rec.u.dns;
            d->qname = x->strs[0] = dup_bytes(d->qname, d->qname_len);
            d->cname = x->strs[1] = dup_bytes(d->cname, d->cname_len);
            /* the answers live in the reader until the next record */
            x->strs[2] = dup_bytes((const char *)d->answers, (uint32_t)(d->nanswers * sizeof(*d->answers)));
            d->answers = (const struct pf_dns_answer *)(void *)x->strs[2];
        }
    }
    pf_reader_get_stats(r, &l->st);
    pf_reader_close(r);
    return rc < 0 ? rc : 0;
}

static inline int bytes_eq(const char *a, uint32_t an, const char *b, uint32_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Field by field: struct padding is not part of the value. */
static inline int endpoint_eq(const struct pf_endpoint *a, const struct pf_endpoint *b)
{
    return memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 && a->port == b->port && a->scope_id == b->scope_id;
}

static inline int key_eq(const struct pf_flow_key *a, const struct pf_flow_key *b)
{
    return a->pid == b->pid && a->pid_start_ns == b->pid_start_ns && a->sock_id == b->sock_id && a->proto == b->proto &&
           a->family == b->family && endpoint_eq(&a->local, &b->local) && endpoint_eq(&a->remote, &b->remote) &&
           a->netns == b->netns;
}

/* Field-by-field equality of two records (utc_ns is not compared). */
static inline int record_eq(const struct pf_record *a, const struct pf_record *b)
{
    if (a->type != b->type || a->ts_ns != b->ts_ns)
        return 0;
    switch (a->type) {
    case PF_REC_PROCESS: {
        const struct pf_process *x = &a->u.process, *y = &b->u.process;
        return x->event == y->event && x->pid == y->pid && x->ppid == y->ppid && x->start_ns == y->start_ns &&
               x->uid == y->uid && x->exit_code == y->exit_code && x->parent_start_ns == y->parent_start_ns &&
               bytes_eq(x->comm, x->comm_len, y->comm, y->comm_len) &&
               bytes_eq(x->exe, x->exe_len, y->exe, y->exe_len) &&
               bytes_eq(x->cmdline, x->cmdline_len, y->cmdline, y->cmdline_len) &&
               bytes_eq(x->cgroup, x->cgroup_len, y->cgroup, y->cgroup_len) &&
               bytes_eq(x->container, x->container_len, y->container, y->container_len) &&
               bytes_eq(x->user, x->user_len, y->user, y->user_len) && x->netns == y->netns;
    }
    case PF_REC_SOCKET:
        return key_eq(&a->u.socket.key, &b->u.socket.key) && a->u.socket.event == b->u.socket.event &&
               a->u.socket.old_state == b->u.socket.old_state && a->u.socket.new_state == b->u.socket.new_state;
    case PF_REC_TRAFFIC: {
        const struct pf_traffic *x = &a->u.traffic, *y = &b->u.traffic;
        return key_eq(&x->key, &y->key) && x->duration_ns == y->duration_ns && x->bytes_sent == y->bytes_sent &&
               x->bytes_recv == y->bytes_recv && x->sends == y->sends && x->recvs == y->recvs &&
               x->retransmits == y->retransmits && x->flags == y->flags;
    }
    case PF_REC_SNAPSHOT: {
        const struct pf_snapshot *x = &a->u.snapshot, *y = &b->u.snapshot;
        return key_eq(&x->key, &y->key) && x->state == y->state && x->uid == y->uid && x->bytes_sent == y->bytes_sent &&
               x->bytes_recv == y->bytes_recv && x->flags == y->flags;
    }
    case PF_REC_LOSS:
        return a->u.loss.source == b->u.loss.source && a->u.loss.cpu == b->u.loss.cpu &&
               a->u.loss.count == b->u.loss.count && a->u.loss.since_ns == b->u.loss.since_ns;
    case PF_REC_CLOCK: return a->u.clock.clock_ns == b->u.clock.clock_ns && a->u.clock.utc_ns == b->u.clock.utc_ns;
    case PF_REC_HOSTINFO:
        return bytes_eq(a->u.hostinfo.key, a->u.hostinfo.key_len, b->u.hostinfo.key, b->u.hostinfo.key_len) &&
               bytes_eq(a->u.hostinfo.value, a->u.hostinfo.value_len, b->u.hostinfo.value, b->u.hostinfo.value_len);
    case PF_REC_MARKER: return bytes_eq(a->u.marker.text, a->u.marker.text_len, b->u.marker.text, b->u.marker.text_len);
    case PF_REC_DNS: {
        const struct pf_dns *x = &a->u.dns, *y = &b->u.dns;
        if (!key_eq(&x->key, &y->key) || x->qtype != y->qtype || x->rcode != y->rcode || x->flags != y->flags ||
            !bytes_eq(x->qname, x->qname_len, y->qname, y->qname_len) ||
            !bytes_eq(x->cname, x->cname_len, y->cname, y->cname_len) || x->nanswers != y->nanswers)
            return 0;
        for (uint32_t i = 0; i < x->nanswers; i++)
            if (x->answers[i].family != y->answers[i].family || x->answers[i].ttl != y->answers[i].ttl ||
                memcmp(x->answers[i].addr, y->answers[i].addr, 16) != 0)
                return 0;
        return 1;
    }
    default: return 0;
    }
}
#endif
