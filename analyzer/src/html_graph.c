/* SPDX-License-Identifier: MIT */
/* HTML report: the process-to-process graph (SVG). Hosts are columns, the
 * processes of each host boxes in its column; a line joins a client process
 * to the server process it talked to (an arc when both are on one host),
 * thicker for more bytes, with the connections and bytes as its tooltip. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "pfa_export.h"

extern const struct pf_embedded_file pfa_extra_sql_files[];
extern const size_t pfa_extra_sql_files_count;

#define MAX_PAIRS 40
#define COL_W 280
#define BOX_W 190
#define ROW_H 30
#define TOP 44

struct node {
    int64_t host_id, process_id;
    int col, row;
};

struct graph {
    int64_t host_ids[2 * MAX_PAIRS];
    char *host_names[2 * MAX_PAIRS];
    int nhosts, rows[2 * MAX_PAIRS];
    struct node nodes[2 * MAX_PAIRS];
    int nnodes;
};

static void putz(struct pfa_buf *b, const char *s) { pfa_buf_put(b, s, strlen(s)); }

static int host_col(struct graph *g, int64_t id, const char *name)
{
    for (int i = 0; i < g->nhosts; i++)
        if (g->host_ids[i] == id)
            return i;
    g->host_ids[g->nhosts] = id;
    g->host_names[g->nhosts] = strdup(name ? name : "");
    return g->nhosts++;
}

static struct node *node_of(struct graph *g, int64_t host_id, const char *host, int64_t process_id)
{
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].host_id == host_id && g->nodes[i].process_id == process_id)
            return &g->nodes[i];
    struct node *n = &g->nodes[g->nnodes++];
    n->host_id = host_id;
    n->process_id = process_id;
    n->col = host_col(g, host_id, host);
    n->row = g->rows[n->col]++;
    return n;
}

static void label(struct pfa_buf *b, sqlite3_stmt *st, int pid_col, int comm_col)
{
    const char *comm = (const char *)sqlite3_column_text(st, comm_col);
    if (comm)
        pfa_html_escape(b, comm, (size_t)sqlite3_column_bytes(st, comm_col));
    else
        pfa_buf_put(b, "?", 1);
    if (sqlite3_column_type(st, pid_col) != SQLITE_NULL)
        pfa_buf_printf(b, " (%lld)", (long long)sqlite3_column_int64(st, pid_col));
}

int pfa_html_conversation_graph(sqlite3 *db, struct pfa_buf *out, char *err, size_t errlen)
{
    const char *sql = NULL;
    for (size_t i = 0; i < pfa_extra_sql_files_count; i++)
        if (!strcmp(pfa_extra_sql_files[i].name, "html-graph.sql"))
            sql = pfa_extra_sql_files[i].data;
    sqlite3_stmt *st;
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "conversation graph: %s", sql ? sqlite3_errmsg(db) : "SQL not built in");
        return PFA_E_SQL;
    }
    sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), MAX_PAIRS);
    struct graph *g = calloc(1, sizeof *g);
    struct pfa_buf edges = {0}, labels[2 * MAX_PAIRS];
    memset(labels, 0, sizeof labels);
    if (!g) {
        sqlite3_finalize(st);
        return PF_E_NOMEM;
    }
    double max_bytes = 1;
    int rc;
    /* first pass: nodes; edges are written once positions are known */
    struct {
        int a, b;
        int64_t conns, bytes;
    } pairs[MAX_PAIRS];
    int npairs = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && npairs < MAX_PAIRS) {
        struct node *a = node_of(g, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                                 sqlite3_column_int64(st, 2));
        int ai = (int)(a - g->nodes);
        if (!labels[ai].len)
            label(&labels[ai], st, 3, 4);
        struct node *b = node_of(g, sqlite3_column_int64(st, 5), (const char *)sqlite3_column_text(st, 6),
                                 sqlite3_column_int64(st, 7));
        int bi = (int)(b - g->nodes);
        if (!labels[bi].len)
            label(&labels[bi], st, 8, 9);
        pairs[npairs].a = ai;
        pairs[npairs].b = bi;
        pairs[npairs].conns = sqlite3_column_int64(st, 10);
        pairs[npairs].bytes = sqlite3_column_int64(st, 11);
        if ((double)pairs[npairs].bytes > max_bytes)
            max_bytes = (double)pairs[npairs].bytes;
        npairs++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(err, errlen, "conversation graph: %s", sqlite3_errmsg(db));
        rc = PFA_E_SQL;
        goto out;
    }
    rc = 0;
    putz(out, "<section id=\"conversations\"><h2>Process to process</h2>\n");
    if (!npairs) {
        pfa_buf_printf(out, "<p class=\"note\">No connection was recorded at both ends.</p></section>\n");
        goto out;
    }
    int maxrows = 0;
    for (int i = 0; i < g->nhosts; i++)
        if (g->rows[i] > maxrows)
            maxrows = g->rows[i];
    int width = g->nhosts * COL_W + 60, height = TOP + maxrows * ROW_H + 16;
    pfa_buf_printf(out,
                   "<p class=\"note\">Connections recorded at both ends (report conversations), busiest %d process "
                   "pairs; client on the left of each line.</p>\n"
                   "<svg class=\"graph\" role=\"img\" aria-label=\"process to process graph\" width=\"%d\" "
                   "height=\"%d\" viewBox=\"0 0 %d %d\" font-size=\"12\" font-family=\"sans-serif\">\n",
                   npairs, width, height, width, height);
    for (int c = 0; c < g->nhosts; c++) {
        pfa_buf_printf(out,
                       "<g class=\"host\"><rect x=\"%d\" y=\"4\" width=\"%d\" height=\"%d\" rx=\"6\" "
                       "fill=\"#f4f6f8\" stroke=\"#bbb\"/><text x=\"%d\" y=\"24\" font-weight=\"bold\">",
                       c * COL_W + 10, BOX_W + 40, height - 8, c * COL_W + 20);
        pfa_html_escape(out, g->host_names[c], strlen(g->host_names[c]));
        putz(out, "</text></g>\n");
    }
    for (int i = 0; i < npairs; i++) {
        const struct node *a = &g->nodes[pairs[i].a], *b = &g->nodes[pairs[i].b];
        double w = 1 + 5 * log1p((double)pairs[i].bytes) / log1p(max_bytes);
        int ay = TOP + a->row * ROW_H + 11, by = TOP + b->row * ROW_H + 11;
        if (a->col == b->col) {
            int x = a->col * COL_W + 20 + BOX_W;
            int bulge = x + 24 + 8 * (abs(a->row - b->row) > 3 ? 3 : abs(a->row - b->row));
            pfa_buf_printf(&edges, "<path d=\"M%d %d C%d %d %d %d %d %d\"", x, ay, bulge, ay, bulge, by, x, by);
        } else {
            int ax = a->col * COL_W + 20 + (a->col < b->col ? BOX_W : 0);
            int bx = b->col * COL_W + 20 + (a->col < b->col ? 0 : BOX_W);
            pfa_buf_printf(&edges, "<path d=\"M%d %d L%d %d\"", ax, ay, bx, by);
        }
        pfa_buf_printf(&edges,
                       " fill=\"none\" stroke=\"#4e79a7\" stroke-opacity=\"0.7\" stroke-width=\"%.1f\">"
                       "<title>",
                       w);
        pfa_buf_put(&edges, labels[pairs[i].a].p, labels[pairs[i].a].len);
        putz(&edges, " \xe2\x86\x92 ");
        pfa_buf_put(&edges, labels[pairs[i].b].p, labels[pairs[i].b].len);
        char hb[32];
        pfa_human_bytes(hb, sizeof hb, (double)pairs[i].bytes);
        pfa_buf_printf(&edges, ": %lld connection(s), %s</title></path>\n", (long long)pairs[i].conns, hb);
    }
    if (edges.len)
        pfa_buf_put(out, edges.p, edges.len);
    for (int i = 0; i < g->nnodes; i++) {
        const struct node *n = &g->nodes[i];
        int x = n->col * COL_W + 20, y = TOP + n->row * ROW_H;
        pfa_buf_printf(out,
                       "<g class=\"proc\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" rx=\"4\" "
                       "fill=\"#fff\" stroke=\"#4e79a7\"/><text x=\"%d\" y=\"%d\">",
                       x, y, BOX_W, x + 6, y + 15);
        pfa_buf_put(out, labels[i].p, labels[i].len);
        putz(out, "</text></g>\n");
    }
    putz(out, "</svg></section>\n");
out:
    for (int i = 0; i < g->nhosts; i++)
        free(g->host_names[i]);
    for (int i = 0; i < 2 * MAX_PAIRS; i++)
        pfa_buf_free(&labels[i]);
    pfa_buf_free(&edges);
    free(g);
    return rc;
}
