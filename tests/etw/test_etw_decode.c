/* Unit tests of the ETW payload decoder, the UTF-16 conversion and the
 * XPRESS (MS-XCA plain LZ77) decompressor, on hand-built inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_build.h"
#include "procflow/etw_decode.h"
#include "procflow/format.h"
#include "xpress.h"

static int failures;
#define PF_CHECK_FAILURES failures
#include "../check.h"

static const uint8_t v4_a[4] = {192, 0, 2, 10};      /* local in the tests below */
static const uint8_t v4_b[4] = {198, 51, 100, 20};   /* remote */
static const uint8_t v6_a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t v6_b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static int decode(pf_etw_decoder *d, enum pf_etw_provider prov, unsigned id, unsigned version, unsigned psize,
                  uint64_t ts, const uint8_t *p, size_t n, struct pf_record *out)
{
    struct pf_etw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.provider = prov;
    ev.id = (uint16_t)id;
    ev.version = (uint8_t)version;
    ev.pointer_size = (uint8_t)psize;
    ev.header_pid = UINT32_MAX;
    ev.ts_ns = ts;
    ev.payload = p;
    ev.payload_len = n;
    return pf_etw_decode(d, &ev, out, PF_ETW_MAX_RECORDS);
}

static void test_guids(void)
{
    CHECK_EQ(pf_etw_provider_from_guid(etlb_guid_tcpip), PF_ETW_PROV_TCPIP);
    CHECK_EQ(pf_etw_provider_from_guid(etlb_guid_udpip), PF_ETW_PROV_UDPIP);
    CHECK_EQ(pf_etw_provider_from_guid(etlb_guid_process), PF_ETW_PROV_PROCESS);
    CHECK_EQ(pf_etw_provider_from_guid(etlb_guid_knet), PF_ETW_PROV_KERNEL_NETWORK);
    CHECK_EQ(pf_etw_provider_from_guid(etlb_guid_kproc), PF_ETW_PROV_KERNEL_PROCESS);
    CHECK_EQ(pf_etw_provider_from_guid(etlb_guid_other), PF_ETW_PROV_UNKNOWN);
    CHECK_EQ(pf_etw_provider_from_group(6), PF_ETW_PROV_TCPIP);
    CHECK_EQ(pf_etw_provider_from_group(8), PF_ETW_PROV_UDPIP);
    CHECK_EQ(pf_etw_provider_from_group(3), PF_ETW_PROV_PROCESS);
    CHECK_EQ(pf_etw_provider_from_group(0x0a), PF_ETW_PROV_UNKNOWN);
}

/* TcpIp SendIPV4 (10), pointer size 8: saddr:sport is local. */
static void test_tcp4_send_p8(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[128];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    size_t n = etlb_net_payload(p, 8, 0, 4242, 1500, v4_b, v4_a, 443, 50000, 0x1122334455667788ull, 1);
    CHECK_EQ(n, 8 + 8 + 4 + 12 + 8);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 10, 2, 8, 1000, p, n, r), 1);
    CHECK_EQ(r[0].type, PF_REC_TRAFFIC);
    CHECK_EQ(r[0].ts_ns, 1000);
    const struct pf_traffic *t = &r[0].u.traffic;
    CHECK_EQ(t->key.pid, 4242);
    CHECK_EQ(t->key.proto, PF_PROTO_TCP);
    CHECK_EQ(t->key.family, PF_AF_INET);
    CHECK(!memcmp(t->key.local.addr, v4_a, 4));
    CHECK(!memcmp(t->key.remote.addr, v4_b, 4));
    CHECK_EQ(t->key.local.addr[4], 0);
    CHECK_EQ(t->key.local.port, 50000);
    CHECK_EQ(t->key.remote.port, 443);
    CHECK_EQ(t->key.sock_id, 0x1122334455667788ull);
    CHECK_EQ(t->bytes_sent, 1500);
    CHECK_EQ(t->bytes_recv, 0);
    CHECK_EQ(t->sends, 1);
    CHECK_EQ(t->recvs, 0);
    CHECK_EQ(t->duration_ns, 0);
    /* Kernel-Network id 10 has the same payload and meaning. */
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 10, 0, 8, 1001, p, n, r), 1);
    CHECK_EQ(r[0].u.traffic.bytes_sent, 1500);
    CHECK_EQ(r[0].u.traffic.key.sock_id, 0x1122334455667788ull);
    pf_etw_decoder_free(d);
}

/* TcpIp RecvIPV6 (27), pointer size 4: saddr:sport still local. */
static void test_tcp6_recv_p4(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[128];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    size_t n = etlb_net_payload(p, 4, 1, 77, 999, v6_b, v6_a, 80, 40000, 0xdeadbeefu, 0);
    CHECK_EQ(n, 8 + 32 + 4 + 4 + 4);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 27, 2, 4, 5, p, n, r), 1);
    const struct pf_traffic *t = &r[0].u.traffic;
    CHECK_EQ(t->key.family, PF_AF_INET6);
    CHECK(!memcmp(t->key.local.addr, v6_a, 16));
    CHECK(!memcmp(t->key.remote.addr, v6_b, 16));
    CHECK_EQ(t->key.local.port, 40000);
    CHECK_EQ(t->key.remote.port, 80);
    CHECK_EQ(t->key.sock_id, 0xdeadbeefu);
    CHECK_EQ(t->bytes_recv, 999);
    CHECK_EQ(t->recvs, 1);
    CHECK_EQ(t->sends, 0);
    /* Same with the Kernel-Network id 27. */
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 27, 0, 4, 5, p, n, r), 1);
    CHECK_EQ(r[0].u.traffic.bytes_recv, 999);
    pf_etw_decoder_free(d);
}

/* UDP receive: saddr is the sender (remote), daddr:dport the local end. */
static void test_udp_recv_sender(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[128];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    /* Datagram from 198.51.100.20:5353 to local 192.0.2.10:53. */
    size_t n = etlb_net_payload(p, 8, 0, 900, 60, v4_a, v4_b, 53, 5353, 0, 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_UDPIP, 11, 2, 8, 9, p, n, r), 1);
    const struct pf_traffic *t = &r[0].u.traffic;
    CHECK_EQ(t->key.proto, PF_PROTO_UDP);
    CHECK(!memcmp(t->key.local.addr, v4_a, 4));
    CHECK_EQ(t->key.local.port, 53);
    CHECK(!memcmp(t->key.remote.addr, v4_b, 4));
    CHECK_EQ(t->key.remote.port, 5353);
    CHECK_EQ(t->bytes_recv, 60);
    /* Kernel-Network UDPv4 receive (43) agrees. */
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 43, 0, 8, 9, p, n, r), 1);
    CHECK_EQ(r[0].u.traffic.key.remote.port, 5353);
    CHECK_EQ(r[0].u.traffic.key.local.port, 53);
    /* UDP send: saddr local. */
    n = etlb_net_payload(p, 8, 1, 900, 33, v6_b, v6_a, 53, 6000, 0, 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 58, 0, 8, 9, p, n, r), 1);
    CHECK_EQ(r[0].u.traffic.key.family, PF_AF_INET6);
    CHECK(!memcmp(r[0].u.traffic.key.local.addr, v6_a, 16));
    CHECK_EQ(r[0].u.traffic.key.local.port, 6000);
    CHECK_EQ(r[0].u.traffic.bytes_sent, 33);
    /* UdpIp RecvIPV6 (27): sender is saddr. */
    n = etlb_net_payload(p, 8, 1, 900, 44, v6_a, v6_b, 547, 546, 0, 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_UDPIP, 27, 2, 8, 9, p, n, r), 1);
    CHECK(!memcmp(r[0].u.traffic.key.remote.addr, v6_b, 16));
    CHECK_EQ(r[0].u.traffic.key.remote.port, 546);
    CHECK_EQ(r[0].u.traffic.key.local.port, 547);
    pf_etw_decoder_free(d);
}

/* TCPCopy (18/34) repeats receive bytes: no record. */
static void test_copy_and_skips(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[128];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    size_t n = etlb_net_payload(p, 8, 0, 1, 100, v4_b, v4_a, 1, 2, 0, 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 18, 2, 8, 1, p, n, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_COPY);
    n = etlb_net_payload(p, 8, 1, 1, 100, v6_b, v6_a, 1, 2, 0, 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 34, 2, 8, 1, p, n, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_COPY);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 34, 0, 8, 1, p, n, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_COPY);
    /* Short payload (classic Fail: Proto, FailureCode). */
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 17, 2, 8, 1, p, 4, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_SHORT);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 10, 2, 8, 1, p, 10, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_SHORT);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 10, 2, 8, 1, NULL, 0, r), 0);
    /* Unknown ids, old versions, unknown providers. */
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 99, 2, 8, 1, p, n, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_ID);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 10, 1, 8, 1, p, n, r), 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 20, 0, 8, 1, p, n, r), 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_UNKNOWN, 10, 2, 8, 1, p, n, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_PROVIDER);
    CHECK_EQ(pf_etw_decode(d, NULL, r, 1), PF_E_ARG);
    CHECK_EQ(pf_etw_decode(NULL, NULL, r, 1), PF_E_ARG);
    pf_etw_decoder_free(d);
    pf_etw_decoder_free(NULL);
}

static void test_socket_events(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[128];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    /* Connect (12, TypeGroup2: mss, sackopt, ... rcvwin; extra bytes before
     * the connid do not matter: connid is last). */
    size_t n = etlb_net_payload(p, 8, 0, 10, 0, v4_b, v4_a, 443, 50001, 77, 1);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 12, 2, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].type, PF_REC_SOCKET);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_CONNECT);
    CHECK_EQ(r[0].u.socket.new_state, PF_TCP_ESTABLISHED);
    CHECK_EQ(r[0].u.socket.key.sock_id, 77);
    CHECK_EQ(r[0].u.socket.key.local.port, 50001);
    CHECK_EQ(r[0].u.socket.key.remote.port, 443);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 15, 2, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_ACCEPT);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 13, 2, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_CLOSE);
    CHECK_EQ(r[0].u.socket.new_state, PF_TCP_CLOSE);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 16, 2, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_CONNECT);
    CHECK_EQ(r[0].u.socket.new_state, PF_TCP_SYN_SENT);
    /* Retransmit: a traffic record counting one retransmission, no bytes. */
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 14, 2, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].type, PF_REC_TRAFFIC);
    CHECK_EQ(r[0].u.traffic.retransmits, 1);
    CHECK_EQ(r[0].u.traffic.bytes_sent + r[0].u.traffic.bytes_recv, 0);
    /* IPv6 variants: 28 connect, 31 accept, 29 disconnect. */
    n = etlb_net_payload(p, 8, 1, 10, 0, v6_b, v6_a, 443, 50002, 78, 1);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 28, 2, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_CONNECT);
    CHECK_EQ(r[0].u.socket.key.family, PF_AF_INET6);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 31, 0, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_ACCEPT);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 29, 0, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_CLOSE);
    /* A fail event carrying the endpoint layout. */
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_NETWORK, 33, 0, 8, 3, p, n, r), 1);
    CHECK_EQ(r[0].u.socket.event, PF_SOCK_FAIL);
    pf_etw_decoder_free(d);
}

/* Process v3 (pointer 8) and v4 (pointer 4): names, SID, identity. */
static void test_process_classic(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[1024];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    size_t n = etlb_proc_payload(p, sizeof p, 8, 3, 1234, 4, 0x103, 1, "curl.exe", "curl.exe -s http://x/");
    CHECK(n > 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 1, 3, 8, 5000, p, n, r), 1);
    CHECK_EQ(r[0].type, PF_REC_PROCESS);
    const struct pf_process *pr = &r[0].u.process;
    CHECK_EQ(pr->event, PF_PROC_START);
    CHECK_EQ(pr->pid, 1234);
    CHECK_EQ(pr->ppid, 4);
    CHECK_EQ(pr->start_ns, 5000);
    CHECK_EQ(pr->comm_len, 8);
    CHECK(pr->comm && !memcmp(pr->comm, "curl.exe", 8));
    CHECK_EQ(pr->cmdline_len, strlen("curl.exe -s http://x/"));
    CHECK(pr->cmdline && !memcmp(pr->cmdline, "curl.exe -s http://x/", pr->cmdline_len));
    CHECK(pr->user && pr->user_len == strlen("S-1-5-32-544") && !memcmp(pr->user, "S-1-5-32-544", pr->user_len));
    CHECK_EQ(pr->uid, UINT32_MAX);

    /* A network event of that pid gets the same identity. */
    uint8_t q[128];
    size_t qn = etlb_net_payload(q, 8, 0, 1234, 10, v4_b, v4_a, 80, 1000, 0, 1);
    CHECK_EQ(decode(d, PF_ETW_PROV_TCPIP, 10, 2, 8, 6000, q, qn, r), 1);
    CHECK_EQ(r[0].u.traffic.key.pid_start_ns, 5000);

    /* End: exit status, identity from the start. */
    n = etlb_proc_payload(p, sizeof p, 8, 3, 1234, 4, 7, 0, "curl.exe", "");
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 2, 3, 8, 9000, p, n, r), 1);
    CHECK_EQ(r[0].u.process.event, PF_PROC_EXIT);
    CHECK_EQ(r[0].u.process.exit_code, 7);
    CHECK_EQ(r[0].u.process.start_ns, 5000);
    CHECK_EQ(r[0].u.process.user_len, 0);
    CHECK_EQ(r[0].u.process.cmdline_len, 0);

    /* v4, pointer 4: DCStart (rundown), DCEnd, Defunct. */
    n = etlb_proc_payload(p, sizeof p, 4, 4, 88, 1, 0x103, 1, "svc.exe", "svc.exe -k x");
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 3, 4, 4, 100, p, n, r), 1);
    CHECK_EQ(r[0].u.process.event, PF_PROC_RUNDOWN);
    CHECK_EQ(r[0].u.process.start_ns, 100);
    CHECK_EQ(r[0].u.process.comm_len, 7);
    CHECK(!memcmp(r[0].u.process.cmdline, "svc.exe -k x", 12));
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 4, 4, 4, 200, p, n, r), 1);
    CHECK_EQ(r[0].u.process.event, PF_PROC_END_RUNDOWN);
    CHECK_EQ(r[0].u.process.start_ns, 100);
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 39, 4, 4, 300, p, n, r), 1);
    CHECK_EQ(r[0].u.process.event, PF_PROC_EXIT);
    /* v5: same leading layout as v4. */
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 1, 5, 4, 400, p, n, r), 1);
    CHECK_EQ(r[0].u.process.comm_len, 7);
    /* Truncated inside the SID: record without names, no over-read. */
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 1, 4, 4, 500, p, 34, r), 1);
    CHECK_EQ(r[0].u.process.comm_len, 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 1, 4, 4, 500, p, 10, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_SHORT);
    CHECK_EQ(decode(d, PF_ETW_PROV_PROCESS, 10, 3, 8, 1, p, n, r), 0);
    CHECK_EQ(pf_etw_last_skip(d), PF_ETW_SKIP_ID);
    pf_etw_decoder_free(d);
}

static void test_process_manifest(void)
{
    pf_etw_decoder *d = pf_etw_decoder_new();
    uint8_t p[256];
    struct pf_record r[PF_ETW_MAX_RECORDS];
    /* ProcessStart v0: ProcessID, CreateTime, ParentProcessID, SessionID, ImageName. */
    memset(p, 0, sizeof p);
    p[0] = 0x10; /* pid 16 */
    p[12] = 8;   /* ppid 8 */
    const char *img = "\\Device\\HarddiskVolume2\\Windows\\a.exe";
    size_t n = 20;
    for (size_t i = 0; img[i]; i++, n += 2)
        p[n] = (uint8_t)img[i];
    n += 2;
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_PROCESS, 1, 0, 8, 77, p, n, r), 1);
    CHECK_EQ(r[0].u.process.event, PF_PROC_START);
    CHECK_EQ(r[0].u.process.pid, 16);
    CHECK_EQ(r[0].u.process.ppid, 8);
    CHECK_EQ(r[0].u.process.start_ns, 77);
    CHECK_EQ(r[0].u.process.exe_len, strlen(img));
    CHECK(!memcmp(r[0].u.process.exe, img, strlen(img)));
    CHECK_EQ(r[0].u.process.comm_len, 5);
    CHECK(!memcmp(r[0].u.process.comm, "a.exe", 5));
    /* ProcessStop v1: exit code at 20, ANSI image name at 76. */
    memset(p, 0, sizeof p);
    p[0] = 0x10;
    p[20] = 3;
    memcpy(p + 76, "a.exe", 6);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_PROCESS, 2, 1, 8, 99, p, 82, r), 1);
    CHECK_EQ(r[0].u.process.event, PF_PROC_EXIT);
    CHECK_EQ(r[0].u.process.exit_code, 3);
    CHECK_EQ(r[0].u.process.start_ns, 77);
    CHECK_EQ(r[0].u.process.comm_len, 5);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_PROCESS, 2, 1, 8, 99, p, 10, r), 0);
    CHECK_EQ(decode(d, PF_ETW_PROV_KERNEL_PROCESS, 5, 0, 8, 99, p, 82, r), 0);
    pf_etw_decoder_free(d);
}

static void test_utf16(void)
{
    char out[64];
    /* "aé€" + U+1F600 (surrogate pair) + lone high surrogate + NUL. */
    const uint8_t s[] = {'a', 0, 0xe9, 0, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8, 'z', 0, 0, 0, 'q', 0};
    size_t n = pf_etw_utf16_to_utf8(s, sizeof s, out, sizeof out);
    const char want[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdz";
    CHECK_EQ(n, strlen(want));
    CHECK(!strcmp(out, want));
    /* Truncation keeps whole characters and the NUL. */
    n = pf_etw_utf16_to_utf8(s, sizeof s, out, 5);
    CHECK_EQ(n, 3);
    CHECK(!strcmp(out, "a\xc3\xa9"));
    /* Odd length: last byte ignored. */
    n = pf_etw_utf16_to_utf8((const uint8_t *)"a\0b", 3, out, sizeof out);
    CHECK_EQ(n, 1);
    CHECK_EQ(pf_etw_utf16_to_utf8(s, sizeof s, out, 0), 0);
}

static void test_xpress(void)
{
    /* Hand-made stream: flags 0x40000000 = literal 'a', then a match of
     * length 10 at offset 1 (token 7: nibble 0 -> 7 + 3), then end. */
    const uint8_t z[] = {0xff, 0xff, 0xff, 0x7f, 'a', 0x07, 0x00, 0x00};
    uint8_t out[64];
    CHECK_EQ(pf_xpress_decompress(z, sizeof z, out, sizeof out), 11);
    CHECK(!memcmp(out, "aaaaaaaaaaa", 11));
    /* Output cap exceeded -> error. */
    CHECK_EQ(pf_xpress_decompress(z, sizeof z, out, 5), -1);
    /* Match before the start -> error. */
    const uint8_t bad[] = {0x00, 0x00, 0x00, 0x80, 0x08, 0x00};
    CHECK_EQ(pf_xpress_decompress(bad, sizeof bad, out, sizeof out), -1);
    /* Input ending inside a flag word or token. */
    CHECK_EQ(pf_xpress_decompress(z, 3, out, sizeof out), -1);
    const uint8_t cut[] = {0xff, 0xff, 0xff, 0x7f, 'a', 0x07};
    CHECK_EQ(pf_xpress_decompress(cut, sizeof cut, out, sizeof out), -1);
    CHECK_EQ(pf_xpress_decompress(z, 0, out, sizeof out), 0);

    /* Round trips through the test compressor: short, nibble-shared,
     * byte-extended and 16/32-bit lengths. */
    size_t sizes[] = {0, 1, 31, 32, 33, 100, 5000, 70000, 300000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t len = sizes[k];
        uint8_t *src = malloc(len + 1), *dst = malloc(len + len / 8 + 64), *back = malloc(len + 1);
        uint32_t x = 12345;
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            /* Mix of runs, repeats and noise. */
            if ((i / 700) % 3 == 0)
                src[i] = 'r';
            else if ((i / 700) % 3 == 1)
                src[i] = (uint8_t)("pattern-of-text "[i % 16]);
            else
                src[i] = (uint8_t)(x >> 24);
        }
        size_t zn = etlb_lz77_compress(src, len, dst, len + len / 8 + 64);
        CHECK(zn > 0);
        long got = pf_xpress_decompress(dst, zn, back, len + 1);
        CHECK_EQ(got, len);
        CHECK(got < 0 || !memcmp(src, back, len));
        free(src);
        free(dst);
        free(back);
    }
}

int main(void)
{
    test_guids();
    test_tcp4_send_p8();
    test_tcp6_recv_p4();
    test_udp_recv_sender();
    test_copy_and_skips();
    test_socket_events();
    test_process_classic();
    test_process_manifest();
    test_utf16();
    test_xpress();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("etw decode: ok\n");
    return 0;
}
