/* SPDX-License-Identifier: MIT */
/* libpfcommon: every piece against exact values. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pfc/buf.h"
#include "pfc/endian.h"
#include "pfc/htab.h"
#include "pfc/outfile.h"

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

/* ------------------------------------------------------------ hash table */

static void test_htab_basic(void)
{
    struct pfc_htab h;
    CHECK(pfc_htab_init(&h, sizeof(uint64_t), sizeof(uint64_t), 0) == 0);
    CHECK(h.nb == 64);
    /* 10000 entries: the table doubles up to 16384 buckets on the way */
    for (uint64_t k = 0; k < 10000; k++) {
        int created = -1;
        uint64_t *v = pfc_htab_put(&h, &k, &created);
        CHECK(v && created == 1);
        if (v)
            *v = k * 3;
    }
    CHECK_EQ_U(pfc_htab_count(&h), 10000);
    CHECK_EQ_U(h.nb, 16384);
    int created = -1;
    uint64_t k7 = 7;
    uint64_t *v7 = pfc_htab_put(&h, &k7, &created);
    CHECK(v7 && created == 0 && *v7 == 21);
    CHECK(*(const uint64_t *)pfc_htab_key(&h, v7) == 7);
    uint64_t sum = 0;
    for (uint64_t k = 0; k < 10000; k++) {
        uint64_t *v = pfc_htab_get(&h, &k);
        CHECK(v != NULL);
        sum += v ? *v : 0;
    }
    CHECK_EQ_U(sum, 3ull * 9999 * 10000 / 2);
    uint64_t missing = 10000;
    CHECK(pfc_htab_get(&h, &missing) == NULL);
    CHECK(pfc_htab_del(&h, &k7) == 1);
    CHECK(pfc_htab_del(&h, &k7) == 0);
    CHECK(pfc_htab_get(&h, &k7) == NULL);
    CHECK_EQ_U(pfc_htab_count(&h), 9999);
    /* a deleted entry is reused, zeroed */
    uint64_t *again = pfc_htab_put(&h, &k7, &created);
    CHECK(again && created == 1 && *again == 0);
    pfc_htab_clear(&h);
    CHECK_EQ_U(pfc_htab_count(&h), 0);
    CHECK(pfc_htab_get(&h, &k7) == NULL);
    pfc_htab_free(&h);
    pfc_htab_free(&h); /* twice is fine */
    pfc_htab_free(NULL);
}

static void test_htab_iter(void)
{
    struct pfc_htab h;
    CHECK(pfc_htab_init(&h, sizeof(uint32_t), sizeof(uint32_t), 0) == 0);
    for (uint32_t k = 1; k <= 1000; k++)
        *(uint32_t *)pfc_htab_put(&h, &k, NULL) = k;
    /* every entry exactly once, deleting the odd ones on the way */
    static unsigned char seen[1001];
    size_t visits = 0;
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (uint32_t *v; (v = pfc_htab_next(&h, &it));) {
        visits++;
        CHECK(*v >= 1 && *v <= 1000);
        CHECK(*(const uint32_t *)pfc_htab_key(&h, v) == *v);
        seen[*v]++;
        if (*v & 1)
            pfc_htab_iter_del(&h, &it);
    }
    CHECK_EQ_U(visits, 1000);
    int all_once = 1;
    for (int i = 1; i <= 1000; i++)
        all_once &= seen[i] == 1;
    CHECK(all_once);
    CHECK_EQ_U(pfc_htab_count(&h), 500);
    CHECK(pfc_htab_next(&h, &it) == NULL); /* stays at the end */
    /* delete everything through the iterator */
    struct pfc_htab_iter it2 = PFC_HTAB_ITER_INIT;
    uint64_t even_sum = 0;
    for (uint32_t *v; (v = pfc_htab_next(&h, &it2));) {
        even_sum += *v;
        pfc_htab_iter_del(&h, &it2);
    }
    CHECK_EQ_U(even_sum, 250500); /* 2 + 4 + ... + 1000 */
    CHECK_EQ_U(pfc_htab_count(&h), 0);
    struct pfc_htab_iter it3 = PFC_HTAB_ITER_INIT;
    CHECK(pfc_htab_next(&h, &it3) == NULL);
    pfc_htab_free(&h);
}

struct rec {
    uint32_t key[2];
    uint64_t payload;
};

static uint64_t first_word_hash(const void *k)
{
    uint32_t w;
    memcpy(&w, k, sizeof w);
    return pfc_hash_mix64(w);
}

static void test_htab_records(void)
{
    struct pfc_htab h;
    struct pfc_htab_opts o = {.key_size = sizeof(uint32_t[2]),
                              .value_size = sizeof(struct rec),
                              .max = 3,
                              .buckets = 1000,
                              .hash = first_word_hash,
                              .key_in_value = 1};
    CHECK(pfc_htab_init_opts(&h, &o) == 0);
    CHECK_EQ_U(h.nb, 1024);
    uint32_t a[2] = {1, 0}, b[2] = {1, 5}, c[2] = {2, 0}, d[2] = {3, 0};
    struct rec *ra = pfc_htab_insert(&h, a);
    CHECK(ra && ra->key[0] == 1 && ra->key[1] == 0 && ra->payload == 0);
    if (ra)
        ra->payload = 42;
    CHECK(pfc_htab_put(&h, b, NULL) != NULL);
    CHECK(pfc_htab_put(&h, c, NULL) != NULL);
    CHECK(pfc_htab_put(&h, d, NULL) == NULL); /* the cap */
    CHECK(pfc_htab_put(&h, a, NULL) == ra);   /* existing keys still found */
    /* rekey moves the record, same address, payload kept */
    uint32_t a2[2] = {9, 9};
    pfc_htab_rekey(&h, ra, a2);
    CHECK(pfc_htab_get(&h, a) == NULL);
    CHECK(pfc_htab_get(&h, a2) == ra);
    CHECK(ra->key[0] == 9 && ra->payload == 42);
    pfc_htab_del_value(&h, ra);
    CHECK(pfc_htab_get(&h, a2) == NULL);
    CHECK_EQ_U(pfc_htab_count(&h), 2);
    CHECK(pfc_htab_put(&h, d, NULL) != NULL);
    pfc_htab_free(&h);
    struct pfc_htab_opts bad = {.key_size = 8, .value_size = 4, .key_in_value = 1};
    CHECK(pfc_htab_init_opts(&h, &bad) == PFC_E_ARG);
    pfc_htab_free(&h);
}

/* ------------------------------------------------------------ buffer */

static void test_buf(void)
{
    struct pfc_buf b = {0};
    CHECK(pfc_buf_put(&b, "abc", 3) == 0);
    CHECK(pfc_buf_putc(&b, '-') == 0);
    CHECK(pfc_buf_printf(&b, "%d/%s", 42, "x") == 0);
    CHECK(b.len == 8 && strcmp(b.p, "abc-42/x") == 0);
    CHECK_EQ_U(b.cap, 256);
    /* printf longer than its stack copy */
    char big[2000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(pfc_buf_printf(&b, "%s!", big) == 0);
    CHECK_EQ_U(b.len, 8 + 1999 + 1);
    CHECK(b.p[b.len - 1] == '!' && b.p[b.len] == 0 && b.p[8] == 'y');
    CHECK_EQ_U(b.cap, 2048);
    pfc_buf_reset(&b);
    CHECK(b.len == 0 && b.p[0] == 0 && b.cap == 2048);
    pfc_buf_free(&b);
    pfc_buf_free(NULL);

    /* the cap: 100 bytes hold 99 bytes and the NUL */
    struct pfc_buf c = {.max = 100};
    char x[99];
    memset(x, 'x', sizeof x);
    CHECK(pfc_buf_put(&c, x, 99) == 0);
    CHECK_EQ_U(c.cap, 100);
    CHECK(pfc_buf_put(&c, "z", 1) == PFC_E_TOO_BIG);
    CHECK(c.err == PFC_E_TOO_BIG);
    CHECK(pfc_buf_put(&c, "", 0) == PFC_E_TOO_BIG); /* sticky */
    CHECK_EQ_U(c.len, 99);
    pfc_buf_reset(&c);
    CHECK(pfc_buf_put(&c, "ok", 2) == 0);
    pfc_buf_free(&c);

    /* sizes that would wrap size_t fail before any allocation */
    struct pfc_buf d = {0};
    CHECK(pfc_buf_put(&d, "a", 1) == 0);
    CHECK(pfc_buf_reserve(&d, SIZE_MAX) == PFC_E_TOO_BIG);
    struct pfc_buf e = {.max = SIZE_MAX};
    CHECK(pfc_buf_reserve(&e, SIZE_MAX - 1) == PFC_E_TOO_BIG);
    CHECK(e.p == NULL);
    pfc_buf_free(&d);
    pfc_buf_free(&e);
}

static void test_array(void)
{
    size_t cap = 0;
    uint32_t *v = pfc_array_grow(NULL, &cap, 1, sizeof *v, 4, 0);
    CHECK(v != NULL && cap == 4);
    uint32_t *w = v ? pfc_array_grow(v, &cap, 4, sizeof *v, 4, 0) : NULL;
    CHECK(w == v && cap == 4); /* room already */
    w = pfc_array_grow(v, &cap, 5, sizeof *v, 4, 0);
    CHECK(w != NULL && cap == 8);
    if (w)
        v = w;
    /* a cap in elements: 8 -> 10, not 16; past it NULL, array kept */
    w = pfc_array_grow(v, &cap, 9, sizeof *v, 4, 10);
    CHECK(w != NULL && cap == 10);
    if (w)
        v = w;
    CHECK(pfc_array_grow(v, &cap, 11, sizeof *v, 4, 10) == NULL && cap == 10);
    /* element counts whose byte size would wrap */
    CHECK(pfc_array_grow(v, &cap, SIZE_MAX / 2, sizeof *v, 4, 0) == NULL && cap == 10);
    CHECK(pfc_array_grow(v, &cap, (SIZE_MAX / sizeof *v) + 2, sizeof *v, 4, 0) == NULL);
    v[9] = 7; /* still ours, still 10 long */
    free(v);
}

/* ------------------------------------------------------------ endian */

static void test_endian(void)
{
    const uint8_t in[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
    CHECK_EQ_U(pfc_load_le16(in), 0x0201);
    CHECK_EQ_U(pfc_load_le32(in), 0x04030201);
    CHECK_EQ_U(pfc_load_le64(in), 0x8807060504030201ull);
    CHECK_EQ_U(pfc_load_le16(in + 6), 0x8807);
    uint8_t out[8];
    pfc_store_le64(out, 0x8807060504030201ull);
    CHECK(memcmp(out, in, 8) == 0);
    memset(out, 0, sizeof out);
    pfc_store_le32(out + 1, 0xdeadbeef);
    CHECK(out[0] == 0 && out[1] == 0xef && out[2] == 0xbe && out[3] == 0xad && out[4] == 0xde && out[5] == 0);
    pfc_store_le16(out, 0xa55a);
    CHECK(out[0] == 0x5a && out[1] == 0xa5);
}

/* ------------------------------------------------------------ output files */

#if !defined(_WIN32)
static void test_outfile(void)
{
    char dir[] = "/tmp/pfc-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], link[256], sub[256], sub_file[300];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    snprintf(link, sizeof link, "%s/link.bin", dir);
    snprintf(sub, sizeof sub, "%s/open", dir);
    snprintf(sub_file, sizeof sub_file, "%s/x", sub);

    mode_t old = umask(0); /* a umask of 0 must still give 0600 */
    int os_err = 0;
    int fd = pfc_out_create_new(path, &os_err);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(write(fd, "hi", 2) == 2);
    close(fd);
    umask(old);

    /* O_EXCL: an existing file is never reopened */
    os_err = 0;
    CHECK(pfc_out_create_new(path, &os_err) == PFC_E_EXISTS && os_err == EEXIST);
    CHECK(pfc_out_create(path, 0, &os_err) == PFC_E_EXISTS);
    int exists = -1;
    CHECK(pfc_out_check(path, &exists, &os_err) == 0 && exists == 1);
    /* replacing makes a new, empty file */
    fd = pfc_out_create(path, 1, &os_err);
    CHECK(fd >= 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 0 && (st.st_mode & 07777) == 0600);
    close(fd);

    /* a symlink is refused, whether it dangles or points at a file */
    CHECK(symlink(path, link) == 0);
    os_err = 0;
    CHECK(pfc_out_check(link, &exists, &os_err) == PFC_E_SYMLINK && os_err == ELOOP);
    CHECK(pfc_out_create(link, 1, &os_err) == PFC_E_SYMLINK);
    int rc = pfc_out_create_new(link, &os_err); /* O_EXCL sees the link itself: EEXIST */
    CHECK(rc == PFC_E_SYMLINK || rc == PFC_E_EXISTS);
    CHECK(stat(path, &st) == 0 && st.st_size == 0); /* the target is untouched */
    unlink(link);
    char gone[300];
    snprintf(gone, sizeof gone, "%s/nothing", dir);
    CHECK(symlink(gone, link) == 0);
    rc = pfc_out_create_new(link, &os_err);
    CHECK(rc == PFC_E_SYMLINK || rc == PFC_E_EXISTS);
    CHECK(pfc_out_create(link, 1, &os_err) == PFC_E_SYMLINK);
    CHECK(access(gone, F_OK) != 0); /* nothing created through the link */
    unlink(link);

    /* not a regular file */
    CHECK(pfc_out_check(dir, &exists, &os_err) == PFC_E_NOT_REGULAR);

    /* a world-writable directory without the sticky bit is refused */
    CHECK(mkdir(sub, 0700) == 0 && chmod(sub, 0777) == 0);
    CHECK(pfc_out_create(sub_file, 0, &os_err) == PFC_E_UNSAFE_DIR && os_err == EPERM);
    CHECK(access(sub_file, F_OK) != 0);
    /* sticky: allowed, our own file may be replaced */
    CHECK(chmod(sub, 01777) == 0);
    fd = pfc_out_create(sub_file, 0, &os_err);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    fd = pfc_out_create(sub_file, 1, &os_err);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);

    /* a missing directory is the OS's error */
    char nodir[300];
    snprintf(nodir, sizeof nodir, "%s/no/such", dir);
    os_err = 0;
    CHECK(pfc_out_create(nodir, 0, &os_err) == PFC_E_OS && os_err == ENOENT);

    CHECK(pfc_out_remove(sub_file, &os_err) == 0);
    CHECK(pfc_out_remove(sub_file, &os_err) == 0); /* already gone */
    rmdir(sub);
    unlink(path);
    rmdir(dir);
    CHECK(strcmp(pfc_strerror(PFC_E_SYMLINK), "output path is a symbolic link") == 0);
}
#endif

int main(void)
{
    test_htab_basic();
    test_htab_iter();
    test_htab_records();
    test_buf();
    test_array();
    test_endian();
#if !defined(_WIN32)
    test_outfile();
#endif
    return check_result("common");
}
