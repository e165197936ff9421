/* SPDX-License-Identifier: MIT */
#include "source_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pfr_source_notice(const struct pfr_source_config *cfg, const char *fmt, ...)
{
    if (!cfg->notice)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cfg->notice(cfg->notice_ctx, line);
}

int pfr_source_emit(pfr_emit_fn emit, void *ctx, int *emit_err, const struct pf_record *r)
{
    if (*emit_err)
        return *emit_err;
    int rc = emit(ctx, r);
    if (rc < 0)
        *emit_err = rc;
    return rc;
}

void pfr_source_record_init(struct pf_record *r, uint8_t type, uint64_t ts_ns)
{
    memset(r, 0, sizeof *r);
    r->type = type;
    r->ts_ns = ts_ns;
}
