/* SPDX-License-Identifier: MIT */
/* pfdump: prints every record of a capture, one line each (debugging and
 * tests). Untrusted strings are printed with control bytes escaped. */
#include <stdio.h>
#include <string.h>

#include "procflow/format.h"

static void on_damage(void *ctx, const struct pf_damage *d)
{
    fprintf(stderr, "%s: damage at offset %llu (resume %llu): %s\n", (const char *)ctx, (unsigned long long)d->offset,
            (unsigned long long)d->resume_offset, d->what);
}

static void put_escaped(const char *s, uint32_t n)
{
    putchar('"');
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f || c >= 0x80)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void put_key(const struct pf_flow_key *k)
{
    char l[PF_ADDR_STRLEN], r[PF_ADDR_STRLEN];
    printf("pid=%u start=%llu sock=%llu %s%u %s:%u -> %s:%u", k->pid, (unsigned long long)k->pid_start_ns,
           (unsigned long long)k->sock_id,
           k->proto == PF_PROTO_TCP   ? "tcp"
           : k->proto == PF_PROTO_UDP ? "udp"
                                      : "?",
           k->family, pf_addr_to_string(k->family, k->local.addr, l, sizeof(l)), k->local.port,
           pf_addr_to_string(k->family, k->remote.addr, r, sizeof(r)), k->remote.port);
}

int main(int argc, char **argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct pf_reader_options ro = {on_damage, argv[i], 0};
        pf_reader *r = NULL;
        int rc = pf_reader_open(&r, argv[i], &ro);
        if (rc) {
            fprintf(stderr, "%s: %s\n", argv[i], pf_strerror(rc));
            status = 1;
            continue;
        }
        struct pf_record rec;
        while ((rc = pf_reader_next(r, &rec)) > 0) {
            printf("%llu %s ", (unsigned long long)rec.ts_ns, pf_record_type_name(rec.type));
            switch (rec.type) {
            case PF_REC_PROCESS: {
                const struct pf_process *p = &rec.u.process;
                printf("%s pid=%u ppid=%u start=%llu uid=%u exit=%d comm=", pf_process_event_name(p->event), p->pid,
                       p->ppid, (unsigned long long)p->start_ns, p->uid, p->exit_code);
                put_escaped(p->comm, p->comm_len);
                printf(" exe=");
                put_escaped(p->exe, p->exe_len);
                printf(" cmdline=");
                put_escaped(p->cmdline, p->cmdline_len);
                break;
            }
            case PF_REC_SOCKET:
                printf("%s %s->%s ", pf_socket_event_name(rec.u.socket.event),
                       pf_tcp_state_name(rec.u.socket.old_state), pf_tcp_state_name(rec.u.socket.new_state));
                put_key(&rec.u.socket.key);
                break;
            case PF_REC_TRAFFIC: {
                const struct pf_traffic *t = &rec.u.traffic;
                put_key(&t->key);
                printf(" dur=%llu sent=%llu recv=%llu sends=%llu recvs=%llu retx=%llu flags=%u",
                       (unsigned long long)t->duration_ns, (unsigned long long)t->bytes_sent,
                       (unsigned long long)t->bytes_recv, (unsigned long long)t->sends, (unsigned long long)t->recvs,
                       (unsigned long long)t->retransmits, t->flags);
                break;
            }
            case PF_REC_SNAPSHOT:
                printf("%s ", pf_tcp_state_name(rec.u.snapshot.state));
                put_key(&rec.u.snapshot.key);
                printf(" uid=%u sent=%llu recv=%llu flags=%u", rec.u.snapshot.uid,
                       (unsigned long long)rec.u.snapshot.bytes_sent, (unsigned long long)rec.u.snapshot.bytes_recv,
                       rec.u.snapshot.flags);
                break;
            case PF_REC_LOSS:
                printf("%s cpu=%u count=%llu since=%llu", pf_loss_source_name(rec.u.loss.source), rec.u.loss.cpu,
                       (unsigned long long)rec.u.loss.count, (unsigned long long)rec.u.loss.since_ns);
                break;
            case PF_REC_CLOCK:
                printf("clock=%llu utc=%lld", (unsigned long long)rec.u.clock.clock_ns, (long long)rec.u.clock.utc_ns);
                break;
            case PF_REC_HOSTINFO:
                put_escaped(rec.u.hostinfo.key, rec.u.hostinfo.key_len);
                putchar('=');
                put_escaped(rec.u.hostinfo.value, rec.u.hostinfo.value_len);
                break;
            case PF_REC_MARKER: put_escaped(rec.u.marker.text, rec.u.marker.text_len); break;
            }
            putchar('\n');
        }
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", argv[i], pf_strerror(rc));
            status = 1;
        }
        pf_reader_close(r);
    }
    return status;
}
