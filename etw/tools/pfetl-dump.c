/* SPDX-License-Identifier: MIT */
/* pfetl-dump FILE.etl [-q]: prints what the .etl reader sees (file facts,
 * decoded records, statistics). Debugging aid, not part of the analyzer. */
#include <stdio.h>
#include <string.h>

#include "procflow/etl.h"
#include "procflow/etw_decode.h"

static void on_damage(void *ctx, const struct pf_damage *d)
{
    (void)ctx;
    fprintf(stderr, "damage at %llu (resume %llu, buffer %lld): %s: %s\n", (unsigned long long)d->offset,
            (unsigned long long)d->resume_offset, (long long)d->chunk_seq, pf_strerror(d->error), d->what);
}

/* Untrusted bytes: control characters and non-ASCII escaped. */
static void print_str(const char *s, uint32_t n)
{
    for (uint32_t i = 0; s && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

/* GUID stored with Data1..Data3 little-endian. */
static void format_guid(const uint8_t g[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1], g[0],
             g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static void print_key(const struct pf_flow_key *k)
{
    char l[PF_ADDR_STRLEN], r[PF_ADDR_STRLEN];
    pf_addr_to_string(k->family, k->local.addr, l, sizeof l);
    pf_addr_to_string(k->family, k->remote.addr, r, sizeof r);
    printf("pid=%u start=%llu %s%s sock=%llx %s%s%s:%u -> %s%s%s:%u", k->pid, (unsigned long long)k->pid_start_ns,
           k->proto == PF_PROTO_TCP ? "tcp" : "udp", k->family == PF_AF_INET6 ? "6" : "4",
           (unsigned long long)k->sock_id, k->family == PF_AF_INET6 ? "[" : "", l, k->family == PF_AF_INET6 ? "]" : "",
           k->local.port, k->family == PF_AF_INET6 ? "[" : "", r, k->family == PF_AF_INET6 ? "]" : "", k->remote.port);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: pfetl-dump FILE.etl [-q]\n  -q  statistics only\n");
        return argc < 2 ? 2 : 0;
    }
    int quiet = argc > 2 && !strcmp(argv[2], "-q");
    struct pf_reader_options opt = {on_damage, NULL, 0};
    pf_etl *e = NULL;
    int rc = pf_etl_open(&e, argv[1], &opt);
    if (rc < 0) {
        fprintf(stderr, "pfetl-dump: %s: %s\n", argv[1], pf_strerror(rc));
        return 1;
    }
    const struct pf_file_info *fi = pf_etl_info(e);
    char uuid[37];
    pf_uuid_format(fi->uuid, uuid);
    printf("os %s %s, recorder ", fi->os, fi->os_release);
    print_str(fi->recorder, (uint32_t)strlen(fi->recorder));
    printf(", uuid %s, start_utc_ns %lld\n", uuid, (long long)fi->start_utc_ns);
    struct pf_record r;
    while ((rc = pf_etl_next(e, &r)) > 0) {
        if (quiet)
            continue;
        printf("%llu %s ", (unsigned long long)r.ts_ns, pf_record_type_name(r.type));
        if (r.type == PF_REC_PROCESS) {
            const struct pf_process *p = &r.u.process;
            printf("%s pid=%u ppid=%u start=%llu exit=%d comm=", pf_process_event_name(p->event), p->pid, p->ppid,
                   (unsigned long long)p->start_ns, p->exit_code);
            print_str(p->comm, p->comm_len);
            printf(" exe=");
            print_str(p->exe, p->exe_len);
            printf(" user=");
            print_str(p->user, p->user_len);
            printf(" cmdline=");
            print_str(p->cmdline, p->cmdline_len);
        } else if (r.type == PF_REC_SOCKET) {
            printf("%s ", pf_socket_event_name(r.u.socket.event));
            print_key(&r.u.socket.key);
        } else if (r.type == PF_REC_TRAFFIC) {
            print_key(&r.u.traffic.key);
            printf(" sent=%llu recv=%llu retrans=%llu", (unsigned long long)r.u.traffic.bytes_sent,
                   (unsigned long long)r.u.traffic.bytes_recv, (unsigned long long)r.u.traffic.retransmits);
        }
        putchar('\n');
    }
    if (rc < 0)
        fprintf(stderr, "pfetl-dump: read error: %s\n", pf_strerror(rc));
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    printf("bytes %llu buffers %llu compressed %llu damaged %llu skipped_bytes %llu\n",
           (unsigned long long)st.file_bytes, (unsigned long long)st.buffers, (unsigned long long)st.buffers_compressed,
           (unsigned long long)st.buffers_damaged, (unsigned long long)st.bytes_skipped);
    printf("events %llu known %llu skipped %llu undecoded %llu damaged %llu records %llu\n",
           (unsigned long long)st.events, (unsigned long long)st.events_known, (unsigned long long)st.events_skipped,
           (unsigned long long)st.events_undecoded, (unsigned long long)st.events_damaged,
           (unsigned long long)st.records);
    printf("pointer_size %u build %u buffer_size %u mode 0x%08x clock %u lost %u/%u\n", st.pointer_size, st.build,
           st.buffer_size, st.log_file_mode, st.clock_type, st.events_lost, st.buffers_lost);
    printf("events span %llu .. %llu, unknown versions %llu\n", (unsigned long long)st.first_event_ns,
           (unsigned long long)st.last_event_ns, (unsigned long long)st.events_unknown_version);
    for (unsigned p = 1; p < PF_ETL_PROVIDERS; p++)
        for (unsigned i = 0; i < 256; i++)
            if (st.by_id[p][i])
                printf("  %s %u: %llu\n", pf_etl_provider_name(p), i, (unsigned long long)st.by_id[p][i]);
    for (uint32_t i = 0; i < st.other_count; i++) {
        char g[37];
        format_guid(st.other[i].guid, g);
        printf("  other %s: %llu\n", g, (unsigned long long)st.other[i].events);
    }
    if (st.other_overflow)
        printf("  other (more providers): %llu\n", (unsigned long long)st.other_overflow);
    pf_etl_close(e);
    return rc < 0 ? 1 : 0;
}
