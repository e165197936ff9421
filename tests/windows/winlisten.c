/* SPDX-License-Identifier: MIT */
/* Test workload for the Wine test: listens on a TCP port and binds a UDP
 * port on 127.0.0.1, prints "ready", and stays for a bounded time.
 *   winlisten TCP_PORT UDP_PORT SECONDS */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SOCKET bound(int type, unsigned port)
{
    SOCKET s = socket(AF_INET, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((u_short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s == INVALID_SOCKET || bind(s, (struct sockaddr *)&a, sizeof a) != 0)
        return INVALID_SOCKET;
    if (type == SOCK_STREAM && listen(s, 4) != 0)
        return INVALID_SOCKET;
    return s;
}

int main(int argc, char **argv)
{
    WSADATA wd;
    if (argc != 4 || WSAStartup(MAKEWORD(2, 2), &wd) != 0) {
        fprintf(stderr, "usage: winlisten TCP_PORT UDP_PORT SECONDS\n");
        return 2;
    }
    unsigned tport = (unsigned)strtoul(argv[1], NULL, 10);
    unsigned uport = (unsigned)strtoul(argv[2], NULL, 10);
    unsigned secs = (unsigned)strtoul(argv[3], NULL, 10);
    if (!tport || tport > 65535 || !uport || uport > 65535 || !secs || secs > 600) {
        fprintf(stderr, "winlisten: bad arguments\n");
        return 2;
    }
    SOCKET t = bound(SOCK_STREAM, tport);
    SOCKET u = bound(SOCK_DGRAM, uport);
    if (t == INVALID_SOCKET || u == INVALID_SOCKET) {
        fprintf(stderr, "winlisten: bind failed (%d)\n", WSAGetLastError());
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    Sleep(secs * 1000u);
    closesocket(t);
    closesocket(u);
    WSACleanup();
    return 0;
}
