/* SPDX-License-Identifier: MIT */
/* pfa-mkcap SCENARIO OUT.pfcap: writes a hand-built test capture.
 * Scenarios: basic, hostile, local, dns, three, three-flipped, three-cut. */
#include <stdio.h>
#include <string.h>

#include "scenarios.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pfa-mkcap basic|hostile|local|dns|three|three-flipped|three-cut OUT.pfcap\n");
        return 2;
    }
    int rc;
    if (!strcmp(argv[1], "three-flipped"))
        rc = sc_write_damaged("flip", argv[2]);
    else if (!strcmp(argv[1], "three-cut"))
        rc = sc_write_damaged("cut", argv[2]);
    else
        rc = sc_write(argv[1], argv[2]);
    if (rc < 0) {
        fprintf(stderr, "pfa-mkcap: %s\n", pf_strerror(rc));
        return 1;
    }
    return 0;
}
