/* SPDX-License-Identifier: MIT */
/* Socket tables with owner PIDs from the IP Helper API. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/records.h"
#include "win.h"

uint8_t pfr_win_tcp_state(unsigned mib)
{
    static const uint8_t map[13] = {
        PF_TCP_NONE,        PF_TCP_CLOSE,     PF_TCP_LISTEN,     PF_TCP_SYN_SENT,   PF_TCP_SYN_RECV,
        PF_TCP_ESTABLISHED, PF_TCP_FIN_WAIT1, PF_TCP_FIN_WAIT2,  PF_TCP_CLOSE_WAIT, PF_TCP_CLOSING,
        PF_TCP_LAST_ACK,    PF_TCP_TIME_WAIT, PF_TCP_DELETE_TCB,
    };
    return mib < 13 ? map[mib] : PF_TCP_NONE;
}

/* Ports sit in network order in the low 16 bits of a DWORD. */
static uint16_t port_of(DWORD d)
{
    const uint8_t *b = (const uint8_t *)&d;
    return (uint16_t)(b[0] << 8 | b[1]);
}

/* Fetches one table, growing the buffer while the table grows. */
static void *get_table(int proto, int family, DWORD *err)
{
    ULONG af = family == 6 ? AF_INET6 : AF_INET;
    DWORD size = 16384;
    for (int tries = 0; tries < 8; tries++) {
        void *buf = malloc(size);
        if (!buf) {
            *err = ERROR_NOT_ENOUGH_MEMORY;
            return NULL;
        }
        DWORD need = size;
        DWORD rc = proto == PF_PROTO_TCP ? GetExtendedTcpTable(buf, &need, FALSE, af, TCP_TABLE_OWNER_PID_ALL, 0)
                                         : GetExtendedUdpTable(buf, &need, FALSE, af, UDP_TABLE_OWNER_PID, 0);
        if (rc == NO_ERROR)
            return buf;
        free(buf);
        if (rc != ERROR_INSUFFICIENT_BUFFER) {
            *err = rc;
            return NULL;
        }
        size = need + need / 4 + 1024; /* room for sockets opened meanwhile */
    }
    *err = ERROR_INSUFFICIENT_BUFFER;
    return NULL;
}

int pfr_win_sockets(int proto, int family, pfr_win_sock_fn fn, void *ctx)
{
    DWORD err = 0;
    void *tab = get_table(proto, family, &err);
    if (!tab)
        return err == ERROR_NOT_ENOUGH_MEMORY ? -ENOMEM : err == ERROR_NOT_SUPPORTED ? -EAFNOSUPPORT : -EIO;
    struct pfr_win_sock s;
    int n = 0, rc = 0;
    DWORD rows = *(const DWORD *)tab;
    for (DWORD i = 0; i < rows && rc >= 0; i++) {
        memset(&s, 0, sizeof s);
        s.proto = (uint8_t)proto;
        s.family = (uint8_t)family;
        if (proto == PF_PROTO_TCP && family == 4) {
            const MIB_TCPROW_OWNER_PID *r = &((const MIB_TCPTABLE_OWNER_PID *)tab)->table[i];
            memcpy(s.laddr, &r->dwLocalAddr, 4);
            memcpy(s.raddr, &r->dwRemoteAddr, 4);
            s.lport = port_of(r->dwLocalPort);
            s.rport = port_of(r->dwRemotePort);
            s.state = pfr_win_tcp_state(r->dwState);
            s.pid = r->dwOwningPid;
        } else if (proto == PF_PROTO_TCP) {
            const MIB_TCP6ROW_OWNER_PID *r = &((const MIB_TCP6TABLE_OWNER_PID *)tab)->table[i];
            memcpy(s.laddr, r->ucLocalAddr, 16);
            memcpy(s.raddr, r->ucRemoteAddr, 16);
            s.lscope = r->dwLocalScopeId;
            s.rscope = r->dwRemoteScopeId;
            s.lport = port_of(r->dwLocalPort);
            s.rport = port_of(r->dwRemotePort);
            s.state = pfr_win_tcp_state(r->dwState);
            s.pid = r->dwOwningPid;
        } else if (family == 4) {
            const MIB_UDPROW_OWNER_PID *r = &((const MIB_UDPTABLE_OWNER_PID *)tab)->table[i];
            memcpy(s.laddr, &r->dwLocalAddr, 4);
            s.lport = port_of(r->dwLocalPort);
            s.state = PF_TCP_CLOSE; /* bound, no peer: as Linux reports it */
            s.pid = r->dwOwningPid;
        } else {
            const MIB_UDP6ROW_OWNER_PID *r = &((const MIB_UDP6TABLE_OWNER_PID *)tab)->table[i];
            memcpy(s.laddr, r->ucLocalAddr, 16);
            s.lscope = r->dwLocalScopeId;
            s.lport = port_of(r->dwLocalPort);
            s.state = PF_TCP_CLOSE;
            s.pid = r->dwOwningPid;
        }
        rc = fn(ctx, &s);
        n++;
    }
    free(tab);
    return rc < 0 ? rc : n;
}
