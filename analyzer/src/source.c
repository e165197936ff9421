/* SPDX-License-Identifier: MIT */
/* Record sources: one interface over .pfcap (and .etl when built in). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfa.h"
#ifdef PFA_HAVE_ETL
#include "procflow/etl.h"
#endif

struct pfa_source {
    pf_reader *reader;
#ifdef PFA_HAVE_ETL
    pf_etl *etl;
#endif
    uint64_t records;
};

int pfa_etl_supported(void)
{
#ifdef PFA_HAVE_ETL
    return 1;
#else
    return 0;
#endif
}

/* Sniffs the first bytes: .etl files have no magic of ours. */
static int looks_like_etl(const char *path)
{
#ifdef PFA_HAVE_ETL
    unsigned char head[256];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return pf_etl_probe(head, n) == 1;
#else
    size_t len = strlen(path);
    return len >= 4 && (!strcmp(path + len - 4, ".etl") || !strcmp(path + len - 4, ".ETL"));
#endif
}

int pfa_source_open(pfa_source **out, const char *path, const struct pf_reader_options *opt)
{
    *out = NULL;
    pfa_source *s = calloc(1, sizeof *s);
    if (!s)
        return PF_E_NOMEM;
    int rc;
    pf_set_os_errno(0);
    if (looks_like_etl(path)) {
#ifdef PFA_HAVE_ETL
        rc = pf_etl_open(&s->etl, path, opt);
#else
        rc = PFA_E_UNSUPPORTED;
#endif
    } else {
        rc = pf_reader_open(&s->reader, path, opt);
    }
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

const char *pfa_source_open_error(int rc, char *buf, size_t len)
{
    int e = pf_os_errno();
    char os[160];
    if (e && rc == PF_E_IO)
        snprintf(buf, len, "cannot open: %s", pf_error_text(rc, e, os, sizeof os));
    else
        snprintf(buf, len, "%s", pfa_strerror(rc));
    return buf;
}

const struct pf_file_info *pfa_source_info(const pfa_source *s)
{
#ifdef PFA_HAVE_ETL
    if (s->etl)
        return pf_etl_info(s->etl);
#endif
    return pf_reader_info(s->reader);
}

int pfa_source_next(pfa_source *s, struct pf_record *rec)
{
    int rc;
#ifdef PFA_HAVE_ETL
    if (s->etl)
        rc = pf_etl_next(s->etl, rec);
    else
#endif
        rc = pf_reader_next(s->reader, rec);
    if (rc == 1)
        s->records++;
    return rc;
}

void pfa_source_stats(const pfa_source *s, struct pf_reader_stats *st)
{
    memset(st, 0, sizeof *st);
#ifdef PFA_HAVE_ETL
    if (s->etl) {
        struct pf_etl_stats *es = calloc(1, sizeof *es);
        st->records = s->records;
        st->header_ok = 1;
        st->clean_close = 1;
        if (es) {
            pf_etl_get_stats(s->etl, es);
            st->file_bytes = es->file_bytes;
            st->chunks_ok = es->buffers - es->buffers_damaged;
            st->chunks_damaged = es->buffers_damaged;
            st->bytes_skipped = es->bytes_skipped;
            free(es);
        }
        return;
    }
#endif
    pf_reader_get_stats(s->reader, st);
}

void pfa_source_etl_facts(const pfa_source *s, struct pfa_etl_facts *f)
{
    memset(f, 0, sizeof *f);
#ifdef PFA_HAVE_ETL
    if (s->etl) {
        struct pf_etl_stats *es = calloc(1, sizeof *es);
        f->is_etl = 1;
        if (es) {
            pf_etl_get_stats(s->etl, es);
            f->events_lost = es->events_lost;
            f->buffers_lost = es->buffers_lost;
            f->first_event_ns = es->first_event_ns;
            f->last_event_ns = es->last_event_ns;
            f->unknown_version = es->events_unknown_version;
            free(es);
        }
    }
#else
    (void)s;
#endif
}

void pfa_source_on_chunk(pfa_source *s, pf_chunk_fn fn, void *ctx)
{
    if (s->reader)
        pf_reader_on_chunk(s->reader, fn, ctx);
}

int pfa_source_is_etl(const pfa_source *s)
{
#ifdef PFA_HAVE_ETL
    return s->etl != NULL;
#else
    (void)s;
    return 0;
#endif
}

void pfa_source_close(pfa_source *s)
{
    if (!s)
        return;
    pf_reader_close(s->reader);
#ifdef PFA_HAVE_ETL
    pf_etl_close(s->etl);
#endif
    free(s);
}
