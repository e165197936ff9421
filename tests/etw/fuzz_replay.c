/* SPDX-License-Identifier: MIT */
/* Runs LLVMFuzzerTestOneInput over the files named on the command line
 * (the committed corpus), so ordinary ctest runs exercise the fuzz entry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int ran = 0;
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, got;
        do {
            if (len == cap) {
                cap = cap ? cap * 2 : 65536;
                uint8_t *nb = realloc(buf, cap);
                if (!nb) {
                    free(buf);
                    fclose(fp);
                    return 1;
                }
                buf = nb;
            }
            got = fread(buf + len, 1, cap - len, fp);
            len += got;
        } while (got > 0);
        fclose(fp);
        LLVMFuzzerTestOneInput(buf, len);
        /* Every prefix of small inputs too: truncation at each byte. */
        for (size_t cut = 0; len <= 8192 && cut < len; cut += 7)
            LLVMFuzzerTestOneInput(buf, cut);
        free(buf);
        ran++;
    }
    printf("replayed %d corpus file(s)\n", ran);
    return ran > 0 ? 0 : 1;
}
