/* SPDX-License-Identifier: MIT */
/* trafficgen: drives loopback TCP/UDP scenarios with known byte counts and
 * writes the ground truth, one line per (process, socket, remote):
 *   FLOW pid comm proto family lip lport rip rport sent recv sends recvs
  *   EXEC pid comm          (the process was exec'd under this name)
 *   NOFLOW pid             (this process made no socket call: no flow)
 *   RUNDOWN pid proto family lip lport rip rport (open before recording)
 *   CONNECT pid family lip lport rip rport  (this process connected)
 *   ACCEPT pid family lip lport rip rport   (this process accepted)
 *   RETRANS pid family lip lport rip rport [max]  (this flow had retransmissions,
 *         at most max)
 *   TIMES pid proto family lip lport rip rport first last  (CLOCK_BOOTTIME ns
 *         just before the flow's first call and just after its last)
 *   BURST pid proto family lip lport rip rport start end  (calls happened only
 *         within such windows)
 * sends/recvs of -1 mean "not checked" (sendfile: the kernel decides how
 * many socket sends one sendfile makes).
 *
 * Every role runs in its own process, exec'd through a symlink named after
 * the role so its comm is known. The orchestrating process never sends or
 * receives on a socket itself.
 *
 * Usage: trafficgen --truth FILE [--ready FILE --go FILE] [--only NAME]
 *                   [--comm-suffix S]
 * --comm-suffix appends S to the roles' process names (comm holds 15
 * characters: longer names are cut there; the truth says what they were).
 * With --ready/--go a TCP connection is opened first, READY is created, and
 * the rest runs once GO exists (the recorder starts in between). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* An argv entry from a string the callee only reads (execv's prototype
 * asks for char *). */
static char *argv_str(const char *s)
{
    union {
        const char *c;
        char *m;
    } u = {.c = s};
    return u.m;
}

static int truth_fd = -1;
static char self_exe[PATH_MAX];
static char link_dir[PATH_MAX];
/* --comm-suffix: appended to every role's link name, so a test can name
 * this run's processes apart from those of other runs on the machine */
static char comm_suffix[8];

/* The link a role is exec'd through; its name becomes the process's comm. */
static void link_path(char *buf, size_t len, const char *role)
{
    snprintf(buf, len, "%s/%s%s", link_dir, role, comm_suffix);
}

static void die(const char *what)
{
    fprintf(stderr, "trafficgen[%d]: %s: %s\n", getpid(), what, strerror(errno));
    exit(1);
}

static void truth(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void truth(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write per line with O_APPEND: lines of processes never mix. */
    if (n > 0 && write(truth_fd, line, (size_t)n) != n)
        die("write truth");
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct counts {
    long long sent, recv, sends, recvs;
};

/* Endpoint text of a socket address. */
static void ep(const struct sockaddr_storage *ss, int *family, char *ip, size_t iplen, unsigned *port)
{
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)ss;
        *family = 6;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)iplen);
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const void *)ss;
        *family = 4;
        inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)iplen);
        *port = ntohs(s4->sin_port);
    }
}

static void comm_of_self(char *buf, size_t len)
{
    int fd = open("/proc/self/comm", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        n = 0;
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
}

static void flow_line_at(int tcp, const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
                         const struct counts *c)
{
    int lf, rf;
    char lip[64], rip[64], comm[32];
    unsigned lp, rp;
    ep(local, &lf, lip, sizeof lip, &lp);
    ep(remote, &rf, rip, sizeof rip, &rp);
    comm_of_self(comm, sizeof comm);
    truth("FLOW %d %s %s %d %s %u %s %u %lld %lld %lld %lld\n", getpid(), comm, tcp ? "tcp" : "udp", lf, lip, lp, rip,
          rp, c->sent, c->recv, c->sends, c->recvs);
}

/* UDP sockets keep their local address; ask at the end. */
static void flow_line(int fd, const struct sockaddr_storage *remote, const struct counts *c)
{
    struct sockaddr_storage local;
    socklen_t sl = sizeof local;
    if (getsockname(fd, (struct sockaddr *)&local, &sl) != 0)
        die("getsockname");
    flow_line_at(0, &local, remote, c);
}

/* A TCP connection's endpoints, taken while it is connected. */
struct tcp_eps {
    struct sockaddr_storage local, peer;
};

static void tcp_eps_of(int fd, struct tcp_eps *e)
{
    socklen_t sl = sizeof e->local;
    if (getsockname(fd, (struct sockaddr *)&e->local, &sl) != 0)
        die("getsockname");
    sl = sizeof e->peer;
    if (getpeername(fd, (struct sockaddr *)&e->peer, &sl) != 0)
        die("getpeername");
}

static void tcp_line(const struct tcp_eps *e, const struct counts *c) { flow_line_at(1, &e->local, &e->peer, c); }

/* Runs ROLE in a new process named ROLE (exec through a symlink). */
static pid_t spawn(const char *role, char *const args[])
{
    char path[PATH_MAX + 64];
    link_path(path, sizeof path, role);
    pid_t p = fork();
    if (p < 0)
        die("fork");
    if (p == 0) {
        char *argv[16];
        int n = 0;
        char tfd[16];
        snprintf(tfd, sizeof tfd, "%d", truth_fd);
        argv[n++] = argv_str(role);
        argv[n++] = argv_str("--role");
        argv[n++] = argv_str(role);
        argv[n++] = tfd;
        for (int i = 0; args && args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(path, argv);
        _exit(127);
    }
    return p;
}

static void wait_ok(pid_t p)
{
    int st;
    if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "trafficgen: child %d failed (status 0x%x)\n", p, st);
        exit(1);
    }
}

static void fill(char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + (seed + i) % 26);
}

static void send_all(int fd, const char *buf, size_t n, struct counts *c)
{
    while (n) {
        ssize_t w = send(fd, buf, n, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("send");
        }
        c->sent += w;
        c->sends++;
        buf += w;
        n -= (size_t)w;
    }
}

/* Reads until EOF with recv or read, counting calls that returned data. */
static void drain(int fd, int use_read, struct counts *c)
{
    char buf[3000];
    for (;;) {
        ssize_t r = use_read ? read(fd, buf, sizeof buf) : recv(fd, buf, sizeof buf, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("recv");
        }
        if (r == 0)
            return;
        c->recv += r;
        c->recvs++;
    }
}

/* family 4, 6, or 46: an IPv6 socket reaching 127.0.0.1 as ::ffff:127.0.0.1 */
static void loop_addr(int family, unsigned port, struct sockaddr_storage *ss, socklen_t *sl)
{
    memset(ss, 0, sizeof *ss);
    if (family == 46) {
        struct sockaddr_in6 *s6 = (void *)ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6->sin6_addr);
        s6->sin6_port = htons((uint16_t)port);
        *sl = sizeof *s6;
    } else if (family == 6) {
        struct sockaddr_in6 *s6 = (void *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        s6->sin6_port = htons((uint16_t)port);
        *sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (void *)ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s4->sin_port = htons((uint16_t)port);
        *sl = sizeof *s4;
    }
}

/* A socket bound to the loopback address on a free port, which *port
 * receives; listening when it is a stream socket. IPv6 for family 6, IPv4
 * otherwise (46 peers reach an IPv4 socket through a mapped address). */
static int bound_socket(int type, int family, unsigned *port)
{
    int fd = socket(family == 6 ? AF_INET6 : AF_INET, type, 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    loop_addr(family == 6 ? 6 : 4, 0, &ss, &sl);
    if (fd < 0 || bind(fd, (void *)&ss, sl))
        die(type == SOCK_STREAM ? "listen" : "udp bind");
    if (type == SOCK_STREAM && listen(fd, 16))
        die("listen");
    sl = sizeof ss;
    getsockname(fd, (void *)&ss, &sl);
    int f;
    char ip[64];
    ep(&ss, &f, ip, sizeof ip, port);
    return fd;
}

static int tcp_listener(int family, unsigned *port) { return bound_socket(SOCK_STREAM, family, port); }

static int udp_bound(int family, unsigned *port) { return bound_socket(SOCK_DGRAM, family, port); }

static int tcp_connect(int family, unsigned port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    loop_addr(family, port, &ss, &sl);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (void *)&ss, sl))
        die("connect");
    return fd;
}

/* ------------------------------------------------------------ roles */

/* tcp-server LFD MODE: accept one connection, read to EOF (recv, readv or splice into a pipe),
 * reply half + 7 bytes with write(), close. */
static int role_tcp_server(char **a)
{
    int lfd = atoi(a[0]);
    const char *mode = a[1];
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    close(lfd);
    struct tcp_eps eps;
    tcp_eps_of(fd, &eps);
    {
        int lf, rf;
        char lip[64], rip[64];
        unsigned lp, rp;
        ep(&eps.local, &lf, lip, sizeof lip, &lp);
        ep(&eps.peer, &rf, rip, sizeof rip, &rp);
        truth("ACCEPT %d %d %s %u %s %u\n", getpid(), lf, lip, lp, rip, rp);
    }
    struct counts c = {0, 0, 0, 0};
    if (strcmp(mode, "readv") == 0) {
        char b1[700], b2[900];
        for (;;) {
            struct iovec iov[2] = {{b1, sizeof b1}, {b2, sizeof b2}};
            ssize_t r = readv(fd, iov, 2);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die("readv");
            if (r == 0)
                break;
            c.recv += r;
            c.recvs++;
        }
    } else if (strcmp(mode, "splice") == 0) {
        /* Socket -> pipe -> this process: the socket read never passes
         * recvmsg. The pipe read is not socket traffic. */
        int pp[2];
        if (pipe(pp))
            die("pipe");
        char sink[65536];
        for (;;) {
            ssize_t r = splice(fd, NULL, pp[1], NULL, 65536, SPLICE_F_MOVE);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die("splice from socket");
            if (r == 0)
                break;
            c.recv += r;
            for (ssize_t left = r; left > 0;) {
                ssize_t n = read(pp[0], sink, (size_t)left < sizeof sink ? (size_t)left : sizeof sink);
                if (n <= 0)
                    die("pipe read");
                left -= n;
            }
        }
        c.recvs = -1; /* a splice is not a counted receive call */
        close(pp[0]);
        close(pp[1]);
    } else {
        drain(fd, 0, &c);
    }
    size_t reply = (size_t)c.recv / 2 + 7;
    char *buf = malloc(reply);
    fill(buf, reply, 3);
    size_t off = 0;
    while (off < reply) {
        size_t n = reply - off < 4096 ? reply - off : 4096;
        ssize_t w = write(fd, buf + off, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("write");
        c.sent += w;
        c.sends++;
        off += (size_t)w;
    }
    free(buf);
    tcp_line(&eps, &c);
    close(fd);
    return 0;
}

struct client_job {
    int family;
    unsigned port;
    const char *mode;
};

static void *tcp_client_run(void *arg)
{
    const struct client_job *j = arg;
    int fd = tcp_connect(j->family, j->port);
    struct tcp_eps eps;
    tcp_eps_of(fd, &eps);
    {
        int lf, rf;
        char lip[64], rip[64];
        unsigned lp, rp;
        ep(&eps.local, &lf, lip, sizeof lip, &lp);
        ep(&eps.peer, &rf, rip, sizeof rip, &rp);
        truth("CONNECT %d %d %s %u %s %u\n", getpid(), lf, lip, lp, rip, rp);
    }
    struct counts c = {0, 0, 0, 0};
    char buf[8192];
    fill(buf, sizeof buf, 1);
    if (strcmp(j->mode, "writev") == 0) {
        for (int i = 0; i < 5; i++) {
            struct iovec iov[3] = {{buf, 100 + (size_t)i}, {buf + 200, 1000}, {buf + 2000, 33}};
            ssize_t w = writev(fd, iov, 3);
            if (w != 100 + i + 1000 + 33)
                die("writev");
            c.sent += w;
            c.sends++;
        }
    } else if (strcmp(j->mode, "sendfile") == 0) {
        char tmpl[] = "/tmp/pfg-sendfile-XXXXXX";
        int tf = mkstemp(tmpl);
        if (tf < 0)
            die("mkstemp");
        unlink(tmpl);
        for (int i = 0; i < 30; i++)
            if (write(tf, buf, 4000) != 4000)
                die("write tmp");
        off_t off = 0;
        size_t left = 120000;
        while (left) {
            ssize_t w = sendfile(fd, tf, &off, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                die("sendfile");
            c.sent += w;
            left -= (size_t)w;
        }
        c.sends = -1; /* one sendfile may be several socket sends */
        close(tf);
    } else if (strcmp(j->mode, "vmsplice") == 0) {
        /* User pages -> pipe (vmsplice) -> socket (splice). */
        int pp[2];
        if (pipe(pp))
            die("pipe");
        for (int i = 0; i < 6; i++) {
            struct iovec iov = {buf, 3000u + 100u * (unsigned)i};
            ssize_t v = vmsplice(pp[1], &iov, 1, 0);
            if (v != (ssize_t)iov.iov_len)
                die("vmsplice");
            for (ssize_t left = v; left > 0;) {
                ssize_t w = splice(pp[0], NULL, fd, NULL, (size_t)left, 0);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    die("splice to socket");
                c.sent += w;
                left -= w;
            }
        }
        c.sends = -1; /* the kernel decides how many socket sends a splice makes */
        close(pp[0]);
        close(pp[1]);
    } else {
        static const size_t sizes[] = {1, 10, 100, 1000, 5000, 8000, 77};
        for (int r = 0; r < 3; r++)
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
                send_all(fd, buf, sizes[i], &c);
    }
    shutdown(fd, SHUT_WR);
    drain(fd, strcmp(j->mode, "writev") == 0, &c);
    tcp_line(&eps, &c);
    close(fd);
    return NULL;
}

/* tcp-client FAMILY PORT MODE: MODE send|writev|sendfile|vmsplice|thread. */
static int role_tcp_client(char **a)
{
    struct client_job j = {atoi(a[0]), (unsigned)atoi(a[1]), a[2]};
    if (strcmp(j.mode, "thread") == 0) {
        /* The work happens on a second thread; it counts for the process. */
        pthread_t t;
        j.mode = "send";
        if (pthread_create(&t, NULL, tcp_client_run, &j))
            die("pthread_create");
        pthread_join(t, NULL);
        return 0;
    }
    tcp_client_run(&j);
    return 0;
}

/* udp-peer FD...: peek at, then receive each datagram and answer with one
 * byte more; stop after "BYE" arrived on every socket. */
static int role_udp_peer(char **a)
{
    int fds[8], n = 0;
    for (; a[n] && n < 8; n++)
        fds[n] = atoi(a[n]);
    struct counts c[8];
    struct sockaddr_storage last[8];
    int ndone = 0;
    memset(c, 0, sizeof c);
    uint64_t deadline = now_ms() + 20000;
    while (ndone < n && now_ms() < deadline) {
        struct pollfd p[8];
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){fds[i], POLLIN, 0};
        if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR)
            die("poll");
        for (int i = 0; i < n; i++) {
            if (!(p[i].revents & POLLIN))
                continue;
            char buf[2048];
            struct sockaddr_storage from;
            socklen_t fl = sizeof from;
            /* Peeks return data but consume nothing: not counted. */
            if (recvfrom(fds[i], buf, sizeof buf, MSG_PEEK, (void *)&from, &fl) < 0)
                die("peek");
            struct iovec iov = {buf, sizeof buf};
            struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
            ssize_t r = recvmsg(fds[i], &m, 0);
            if (r < 0)
                die("recvmsg");
            c[i].recv += r;
            c[i].recvs++;
            last[i] = from;
            if (r == 3 && memcmp(buf, "BYE", 3) == 0) {
                ndone++;
                continue;
            }
            ssize_t w = sendto(fds[i], buf, (size_t)r + 1, 0, (void *)&from, m.msg_namelen);
            if (w != r + 1)
                die("sendto");
            c[i].sent += w;
            c[i].sends++;
        }
    }
    for (int i = 0; i < n; i++)
        flow_line(fds[i], &last[i], &c[i]);
    return ndone == n ? 0 : 1;
}

/* udp-hub FAMILY PORT...: one unconnected socket talks to every peer
 * (sendto/recvfrom, then a sendmmsg/recvmmsg round), then says BYE. */
static int role_udp_hub(char **a)
{
    int family = atoi(a[0]);
    int np = 0;
    struct sockaddr_storage peers[8];
    socklen_t pl[8];
    struct counts c[8];
    memset(c, 0, sizeof c);
    for (; a[1 + np] && np < 8; np++)
        loop_addr(family, (unsigned)atoi(a[1 + np]), &peers[np], &pl[np]);
    int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0)
        die("socket");
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[2048];
    fill(buf, sizeof buf, 7);
    for (int i = 0; i < np; i++) {
        for (int k = 0; k < i + 2; k++) {
            size_t len = 100u * (unsigned)(i + 1) + (unsigned)k;
            ssize_t w = sendto(fd, buf, len, 0, (void *)&peers[i], pl[i]);
            if (w != (ssize_t)len)
                die("sendto");
            c[i].sent += w;
            c[i].sends++;
            struct sockaddr_storage from;
            socklen_t fl = sizeof from;
            ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (void *)&from, &fl);
            if (r != (ssize_t)len + 1)
                die("recvfrom");
            c[i].recv += r;
            c[i].recvs++;
        }
    }
    /* One sendmmsg to all peers, then recvmmsg the replies. */
    struct mmsghdr mm[8];
    struct iovec iov[8];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < np; i++) {
        iov[i] = (struct iovec){buf, 50u + (unsigned)i};
        mm[i].msg_hdr.msg_name = &peers[i];
        mm[i].msg_hdr.msg_namelen = pl[i];
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, mm, (unsigned)np, 0);
    if (sent != np)
        die("sendmmsg");
    for (int i = 0; i < np; i++) {
        c[i].sent += mm[i].msg_len;
        c[i].sends++;
    }
    int got = 0;
    char rb[8][256];
    struct sockaddr_storage from[8];
    uint64_t deadline = now_ms() + 5000;
    while (got < np && now_ms() < deadline) {
        struct mmsghdr rm[8];
        struct iovec riov[8];
        memset(rm, 0, sizeof rm);
        for (int i = 0; i < np; i++) {
            riov[i] = (struct iovec){rb[i], sizeof rb[i]};
            rm[i].msg_hdr.msg_name = &from[i];
            rm[i].msg_hdr.msg_namelen = sizeof from[i];
            rm[i].msg_hdr.msg_iov = &riov[i];
            rm[i].msg_hdr.msg_iovlen = 1;
        }
        int r = recvmmsg(fd, rm, (unsigned)(np - got), MSG_WAITFORONE, NULL);
        if (r < 0)
            die("recvmmsg");
        for (int i = 0; i < r; i++) {
            /* Replies are 1 byte longer than the request: 51 + peer index. */
            int idx = (int)rm[i].msg_len - 51;
            if (idx < 0 || idx >= np)
                die("recvmmsg reply");
            c[idx].recv += rm[i].msg_len;
            c[idx].recvs++;
        }
        got += r;
    }
    if (got != np)
        die("recvmmsg short");
    for (int i = 0; i < np; i++) {
        ssize_t w = sendto(fd, "BYE", 3, 0, (void *)&peers[i], pl[i]);
        if (w != 3)
            die("sendto bye");
        c[i].sent += 3;
        c[i].sends++;
    }
    for (int i = 0; i < np; i++)
        flow_line(fd, &peers[i], &c[i]);
    close(fd);
    return 0;
}

/* quick FAMILY PORT: exec'd, sends three datagrams, exits at once. */
static int role_quick(char **a)
{
    int family = atoi(a[0]);
    struct sockaddr_storage to;
    socklen_t tl;
    loop_addr(family, (unsigned)atoi(a[1]), &to, &tl);
    int fd = socket(to.ss_family, SOCK_DGRAM, 0);
    struct counts c = {0, 0, 0, 0};
    for (int i = 0; i < 3; i++) {
        ssize_t w = sendto(fd, "quick-quick", 5u + (unsigned)i, 0, (void *)&to, tl);
        if (w < 0)
            die("quick sendto");
        c.sent += w;
        c.sends++;
    }
    flow_line(fd, &to, &c);
    char comm[32];
    comm_of_self(comm, sizeof comm);
    truth("EXEC %d %s\n", getpid(), comm);
    return 0;
}

static uint64_t boot_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* times FAMILY PORT: three short bursts of sends, further apart than the
 * recorder's flush interval, with their CLOCK_BOOTTIME bounds: each
 * recorded span must lie within a burst (TIMES/BURST lines). */
static int role_times(char **a)
{
    struct sockaddr_storage to;
    socklen_t tl;
    loop_addr(atoi(a[0]), (unsigned)atoi(a[1]), &to, &tl);
    int fd = socket(to.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (void *)&to, tl))
        die("times connect");
    struct counts c = {0, 0, 0, 0};
    uint64_t b0[3], b1[3];
    for (int b = 0; b < 3; b++) {
        if (b)
            usleep(1500000);
        b0[b] = boot_ns();
        for (int i = 0; i < 5; i++) {
            if (i)
                usleep(2000); /* between the sends only: the end is taken right after the last */
            ssize_t w = send(fd, "timestamps", 10, 0);
            if (w != 10)
                die("times send");
            c.sent += w;
            c.sends++;
        }
        b1[b] = boot_ns();
    }
    flow_line(fd, &to, &c);
    struct sockaddr_storage local;
    socklen_t sl = sizeof local;
    getsockname(fd, (void *)&local, &sl);
    int lf, rf;
    char lip[64], rip[64];
    unsigned lp, rp;
    ep(&local, &lf, lip, sizeof lip, &lp);
    ep(&to, &rf, rip, sizeof rip, &rp);
    for (int b = 0; b < 3; b++)
        truth("BURST %d udp %d %s %u %s %u %llu %llu\n", getpid(), lf, lip, lp, rip, rp, (unsigned long long)b0[b],
              (unsigned long long)b1[b]);
    truth("TIMES %d udp %d %s %u %s %u %llu %llu\n", getpid(), lf, lip, lp, rip, rp, (unsigned long long)b0[0],
          (unsigned long long)b1[2]);
    return 0;
}

/* forker FAMILY PORT: a UDP socket shared with a forked child; each
 * process is charged for its own sends. */
static int role_forker(char **a)
{
    int family = atoi(a[0]);
    struct sockaddr_storage to;
    socklen_t tl;
    loop_addr(family, (unsigned)atoi(a[1]), &to, &tl);
    int fd = socket(to.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (void *)&to, tl))
        die("forker connect");
    pid_t p = fork();
    if (p < 0)
        die("fork");
    int n = p == 0 ? 2 : 3;
    struct counts c = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        ssize_t w = send(fd, "shared-socket", (size_t)(p == 0 ? 6 : 13), 0);
        if (w < 0)
            die("send");
        c.sent += w;
        c.sends++;
    }
    flow_line(fd, &to, &c);
    if (p == 0)
        _exit(0);
    wait_ok(p);
    return 0;
}

static void set_lo(int up)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
        die("SIOCGIFFLAGS");
    if (up)
        ifr.ifr_flags |= IFF_UP;
    else
        ifr.ifr_flags &= ~IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr))
        die("SIOCSIFFLAGS");
    close(fd);
}

/* retrans: in a private network namespace, take loopback down for a
 * second in the middle of a TCP transfer so segments are retransmitted. */
static int role_retrans(char **a)
{
    (void)a;
    if (unshare(CLONE_NEWNET) != 0) {
        truth("SKIP retrans: %s\n", strerror(errno));
        return 0;
    }
    set_lo(1);
    unsigned port;
    int lfd = tcp_listener(4, &port);
    int cfd = tcp_connect(4, port);
    int sfd = accept(lfd, NULL, NULL);
    if (sfd < 0)
        die("accept");
    close(lfd);
    struct tcp_eps ce, se;
    tcp_eps_of(cfd, &ce);
    tcp_eps_of(sfd, &se);
    struct counts cc = {0, 0, 0, 0}, sc = {0, 0, 0, 0};
    char buf[1000];
    fill(buf, sizeof buf, 4);
    send_all(cfd, buf, sizeof buf, &cc);
    usleep(100000);
    set_lo(0);
    send_all(cfd, buf, sizeof buf, &cc);
    usleep(1000000); /* several retransmission timeouts */
    set_lo(1);
    send_all(cfd, buf, sizeof buf, &cc);
    shutdown(cfd, SHUT_WR);
    drain(sfd, 0, &sc);
    close(sfd);
    drain(cfd, 0, &cc);
    int lf, rf;
    char lip[64], rip[64];
    unsigned lp, rp;
    ep(&ce.local, &lf, lip, sizeof lip, &lp);
    ep(&ce.peer, &rf, rip, sizeof rip, &rp);
    truth("RETRANS %d %d %s %u %s %u\n", getpid(), lf, lip, lp, rip, rp);
    tcp_line(&ce, &cc);
    tcp_line(&se, &sc);
    close(cfd);
    return 0;
}

/* A minimal io_uring driven through the raw system calls: one operation at
 * a time, waited for. */
struct uring {
    int fd;
    unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

/* 0, or -1 with errno set when io_uring is not available here. */
static int uring_open(struct uring *u)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    u->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (u->fd < 0)
        return -1;
    size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
    u->sqes = mmap(NULL, p.sq_entries * sizeof *u->sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
                   IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || u->sqes == MAP_FAILED)
        die("mmap ring");
    u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    u->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    u->sq_array = (unsigned *)(sq + p.sq_off.array);
    u->cq_head = (unsigned *)(cq + p.cq_off.head);
    u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    u->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    return 0;
}

/* Runs one operation on fd and returns its result (bytes, or -errno).
 * addr/len: the buffer, or the msghdr for SENDMSG/RECVMSG. */
static int uring_submit(struct uring *u, const struct io_uring_sqe *sqe)
{
    unsigned tail = *u->sq_tail;
    unsigned idx = tail & *u->sq_mask;
    u->sqes[idx] = *sqe;
    u->sq_array[idx] = idx;
    __atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
    if (syscall(__NR_io_uring_enter, u->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
        die("io_uring_enter");
    unsigned head = __atomic_load_n(u->cq_head, __ATOMIC_ACQUIRE);
    if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
        die("no completion");
    int res = u->cqes[head & *u->cq_mask].res;
    __atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
    return res;
}

static int uring_op(struct uring *u, int opcode, int fd, void *addr, unsigned len)
{
    struct io_uring_sqe e;
    memset(&e, 0, sizeof e);
    e.opcode = (uint8_t)opcode;
    e.fd = fd;
    e.addr = (uint64_t)(uintptr_t)addr;
    e.len = len;
    return uring_submit(u, &e);
}

/* IORING_OP_SPLICE of up to len bytes from fd_in to fd_out. */
static int uring_splice(struct uring *u, int fd_in, int fd_out, unsigned len)
{
    struct io_uring_sqe e;
    memset(&e, 0, sizeof e);
    e.opcode = IORING_OP_SPLICE;
    e.fd = fd_out;
    e.off = (uint64_t)-1;
    e.splice_fd_in = fd_in;
    e.splice_off_in = (uint64_t)-1;
    e.len = len;
    return uring_submit(u, &e);
}

/* retrans-nft: in a private network namespace, an nftables rule drops a
 * random fifth of the packets towards the server (numgen random), so the
 * client retransmits; bytes stay exact and the flow carries retransmits. */
static int role_retrans_nft(char **a)
{
    (void)a;
    if (unshare(CLONE_NEWNET) != 0) {
        truth("SKIP retrans-nft: %s\n", strerror(errno));
        return 0;
    }
    set_lo(1);
    /* Ordinary segment sizes, so a drop loses one segment, not 64 KiB. */
    int ifd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_mtu = 1500;
    if (ifd < 0 || ioctl(ifd, SIOCSIFMTU, &ifr))
        die("SIOCSIFMTU");
    close(ifd);
    unsigned port;
    int lfd = tcp_listener(4, &port);
    char rules[512];
    snprintf(rules, sizeof rules,
             "add table ip pfg\n"
             "add chain ip pfg in { type filter hook input priority 0; }\n"
             "add rule ip pfg in tcp dport %u numgen random mod 5 == 0 drop\n",
             port);
    FILE *nft = popen("nft -f - 2>/dev/null", "w");
    if (!nft || fputs(rules, nft) < 0 || pclose(nft) != 0) {
        truth("SKIP retrans-nft: nft unavailable or refused the rule\n");
        return 0;
    }
    int cfd = tcp_connect(4, port);
    int sfd = accept(lfd, NULL, NULL);
    if (sfd < 0)
        die("accept");
    close(lfd);
    struct timeval tv = {20, 0};
    setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct tcp_eps ce, se;
    tcp_eps_of(cfd, &ce);
    tcp_eps_of(sfd, &se);
    struct counts cc = {0, 0, 0, 0}, sc = {0, 0, 0, 0};
    static char buf[300000];
    fill(buf, sizeof buf, 2);
    /* The reader drains concurrently (the socket buffers are smaller than
     * the transfer): a child thread would do, a forked reader is simpler. */
    int sp[2];
    if (pipe(sp))
        die("pipe");
    pid_t rd = fork();
    if (rd < 0)
        die("fork");
    if (rd == 0) {
        close(cfd);
        drain(sfd, 0, &sc);
        if (write(sp[1], &sc, sizeof sc) != (ssize_t)sizeof sc)
            _exit(1);
        _exit(0);
    }
    close(sfd);
    /* Small unbuffered sends: hundreds of packets, so some are dropped. */
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (size_t off = 0; off < sizeof buf; off += 1000)
        send_all(cfd, buf + off, 1000, &cc);
    shutdown(cfd, SHUT_WR);
    if (read(sp[0], &sc, sizeof sc) != (ssize_t)sizeof sc)
        die("reader result");
    wait_ok(rd);
    int lf, rf;
    char lip[64], rip[64];
    unsigned lp, rp;
    ep(&ce.local, &lf, lip, sizeof lip, &lp);
    ep(&ce.peer, &rf, rip, sizeof rip, &rp);
    struct tcp_info ti;
    socklen_t til = sizeof ti;
    memset(&ti, 0, sizeof ti);
    getsockopt(cfd, IPPROTO_TCP, TCP_INFO, &ti, &til);
    /* The recorder counts retransmitted packets, the kernel segments (a
     * packet may carry several): at most that many. */
    truth("RETRANS %d %d %s %u %s %u %u\n", getpid(), lf, lip, lp, rip, rp, ti.tcpi_total_retrans);
    tcp_line(&ce, &cc);
    /* The reader is a forked process of the same name. */
    int sf, pf2;
    char sip[64], pip[64];
    unsigned spt, ppt;
    ep(&se.local, &sf, sip, sizeof sip, &spt);
    ep(&se.peer, &pf2, pip, sizeof pip, &ppt);
    char comm[32];
    comm_of_self(comm, sizeof comm);
    truth("FLOW %d %s tcp %d %s %u %s %u %lld %lld %lld %lld\n", rd, comm, sf, sip, spt, pip, ppt, sc.sent, sc.recv,
          sc.sends, sc.recvs);
    close(cfd);
    return 0;
}

/* io_uring: one SEND and one RECV through raw io_uring syscalls on a
 * connected TCP pair (this process owns both ends). */
static int role_uring(char **a)
{
    int family = atoi(a[0]);
    unsigned port;
    int lfd = tcp_listener(family, &port);
    int cfd = tcp_connect(family, port);
    int sfd = accept(lfd, NULL, NULL);
    if (sfd < 0)
        die("accept");
    close(lfd);
    struct uring u;
    if (uring_open(&u) != 0) {
        truth("SKIP io_uring %s\n", strerror(errno));
        return 0;
    }
    char out[1234], in[4096];
    fill(out, sizeof out, 5);
    struct counts cc = {0, 0, 0, 0}, sc = {0, 0, 0, 0};
    for (int op = 0; op < 2; op++) {
        int res = op == 0 ? uring_op(&u, IORING_OP_SEND, cfd, out, sizeof out)
                          : uring_op(&u, IORING_OP_RECV, sfd, in, sizeof in);
        if (res <= 0) {
            errno = -res;
            die("io_uring op");
        }
        if (op == 0) {
            cc.sent += res;
            cc.sends++;
        } else {
            sc.recv += res;
            sc.recvs++;
        }
    }
    struct tcp_eps ce, se;
    tcp_eps_of(cfd, &ce);
    tcp_eps_of(sfd, &se);
    tcp_line(&ce, &cc);
    tcp_line(&se, &sc);
    close(u.fd);
    close(cfd);
    close(sfd);
    return 0;
}

static void wait_readable(int fd);
static char *num(char *buf, int v);

/* A connected loopback TCP pair owned by this process. */
static void tcp_pair_fds(int family, int *cfd, int *sfd)
{
    unsigned port;
    int lfd = tcp_listener(family, &port);
    *cfd = tcp_connect(family, port);
    *sfd = accept(lfd, NULL, NULL);
    if (*sfd < 0)
        die("accept");
    close(lfd);
}

static void read_exact(int fd, char *buf, size_t n, struct counts *c)
{
    while (n) {
        ssize_t r = recv(fd, buf, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read_exact");
        c->recv += r;
        c->recvs++;
        n -= (size_t)r;
    }
}

/* paths FAMILY: reads and writes that bypass plain send/recv, one TCP
 * connection (or UDP exchange) each, both ends in this process:
 * io_uring WRITE/READ/SPLICE, MSG_ZEROCOPY, TCP_FASTOPEN, MSG_TRUNC on
 * UDP, an SO_REUSEPORT group. */
static int role_paths(char **a)
{
    int family = atoi(a[0]);
    char buf[20000], in[20000];
    fill(buf, sizeof buf, 8);
    struct uring u;
    int have_uring = uring_open(&u) == 0;
    if (!have_uring)
        truth("SKIP io_uring %s\n", strerror(errno));
    if (have_uring) {
        /* io_uring WRITE then READ; then a WRITE the peer takes with an
         * io_uring SPLICE into a pipe. */
        int cfd, sfd, pp[2];
        tcp_pair_fds(family, &cfd, &sfd);
        if (pipe(pp))
            die("pipe");
        struct counts cc = {0, 0, 0, 0}, sc = {0, 0, 0, 0};
        int w = uring_op(&u, IORING_OP_WRITE, cfd, buf, 1500);
        if (w != 1500)
            die("io_uring write");
        cc.sent += w;
        cc.sends++;
        for (int got = 0; got < 1500;) {
            int r = uring_op(&u, IORING_OP_READ, sfd, in, 1500u - (unsigned)got);
            if (r <= 0)
                die("io_uring read");
            got += r;
            sc.recv += r;
            sc.recvs++;
        }
        w = uring_op(&u, IORING_OP_WRITE, cfd, buf, 2500);
        if (w != 2500)
            die("io_uring write");
        cc.sent += w;
        cc.sends++;
        for (int got = 0; got < 2500;) {
            int r = uring_splice(&u, sfd, pp[1], 2500u - (unsigned)got);
            if (r <= 0)
                die("io_uring splice");
            got += r;
            sc.recv += r;
            if (read(pp[0], in, (size_t)r) != r)
                die("pipe read");
        }
        sc.recvs = -1; /* splices are not counted calls */
        struct tcp_eps ce, se;
        tcp_eps_of(cfd, &ce);
        tcp_eps_of(sfd, &se);
        tcp_line(&ce, &cc);
        tcp_line(&se, &sc);
        close(cfd);
        close(sfd);
        close(pp[0]);
        close(pp[1]);
        close(u.fd);
    }
    {
        /* MSG_ZEROCOPY: the bytes count when sent; completions arrive on
         * the error queue and are no traffic. */
        int cfd, sfd, one = 1;
        tcp_pair_fds(family, &cfd, &sfd);
        struct counts cc = {0, 0, 0, 0}, sc = {0, 0, 0, 0};
        if (setsockopt(cfd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one) == 0) {
            ssize_t w = send(cfd, buf, 12000, MSG_ZEROCOPY);
            if (w <= 0)
                die("send MSG_ZEROCOPY");
            cc.sent += w;
            cc.sends++;
            read_exact(sfd, in, (size_t)w, &sc);
            char ctrl[256];
            struct msghdr m = {.msg_control = ctrl, .msg_controllen = sizeof ctrl};
            struct pollfd pf = {cfd, 0, 0};
            if (poll(&pf, 1, 1000) == 1 && recvmsg(cfd, &m, MSG_ERRQUEUE) < 0)
                die("MSG_ERRQUEUE");
            struct tcp_eps ce, se;
            tcp_eps_of(cfd, &ce);
            tcp_eps_of(sfd, &se);
            tcp_line(&ce, &cc);
            tcp_line(&se, &sc);
        } else {
            truth("SKIP MSG_ZEROCOPY %s\n", strerror(errno));
        }
        close(cfd);
        close(sfd);
    }
    {
        /* TCP_FASTOPEN: data handed over with the connect (in the SYN when
         * the kernel allows it, else right after). */
        unsigned port;
        int lfd = tcp_listener(family, &port), qlen = 5;
        setsockopt(lfd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof qlen);
        struct sockaddr_storage to;
        socklen_t tl;
        loop_addr(family, port, &to, &tl);
        int cfd = socket(to.ss_family, SOCK_STREAM, 0);
        struct counts cc = {0, 0, 0, 0}, sc = {0, 0, 0, 0};
        ssize_t w = sendto(cfd, buf, 700, MSG_FASTOPEN, (void *)&to, tl);
        if (w <= 0)
            die("sendto MSG_FASTOPEN");
        cc.sent += w;
        cc.sends++;
        int sfd = accept(lfd, NULL, NULL);
        if (sfd < 0)
            die("accept");
        close(lfd);
        read_exact(sfd, in, (size_t)w, &sc);
        struct tcp_eps ce, se;
        tcp_eps_of(cfd, &ce);
        tcp_eps_of(sfd, &se);
        tcp_line(&ce, &cc);
        tcp_line(&se, &sc);
        close(cfd);
        close(sfd);
    }
    {
        /* UDP: MSG_TRUNC returns (and the recorder counts) the datagram's
         * full length into a 10-byte buffer; then an SO_REUSEPORT pair. */
        unsigned rport, sport;
        int r = udp_bound(family, &rport);
        int snd = udp_bound(family, &sport);
        struct sockaddr_storage to, from;
        socklen_t tl, fl;
        loop_addr(family, rport, &to, &tl);
        loop_addr(family, sport, &from, &fl);
        struct counts rc = {0, 0, 0, 0}, scn = {0, 0, 0, 0};
        for (int i = 0; i < 3; i++) {
            ssize_t w = sendto(snd, buf, 300u + (unsigned)i, 0, (void *)&to, tl);
            if (w <= 0)
                die("udp sendto");
            scn.sent += w;
            scn.sends++;
            wait_readable(r);
            ssize_t n = recv(r, in, 10, MSG_TRUNC);
            if (n != w)
                die("MSG_TRUNC length");
            rc.recv += n;
            rc.recvs++;
        }
        flow_line(r, &from, &rc);
        flow_line(snd, &to, &scn);
        close(r);
        close(snd);
    }
    {
        int one = 1;
        int g[2];
        unsigned gport = 0, sport;
        for (int i = 0; i < 2; i++) {
            g[i] = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_storage ss;
            socklen_t sl;
            loop_addr(family == 6 ? 6 : 4, gport, &ss, &sl);
            if (g[i] < 0 || setsockopt(g[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) || bind(g[i], (void *)&ss, sl))
                die("SO_REUSEPORT bind");
            sl = sizeof ss;
            getsockname(g[i], (void *)&ss, &sl);
            int f;
            char ip[64];
            ep(&ss, &f, ip, sizeof ip, &gport);
        }
        int snd = udp_bound(family == 6 ? 6 : 4, &sport);
        struct sockaddr_storage to, from;
        socklen_t tl, fl;
        loop_addr(family == 6 ? 6 : 4, gport, &to, &tl);
        loop_addr(family == 6 ? 6 : 4, sport, &from, &fl);
        struct counts gc = {0, 0, 0, 0}, scn = {0, 0, 0, 0};
        for (int i = 0; i < 8; i++) {
            ssize_t w = sendto(snd, buf, 40u + (unsigned)i, 0, (void *)&to, tl);
            if (w <= 0)
                die("udp sendto");
            scn.sent += w;
            scn.sends++;
            struct pollfd pf[2] = {{g[0], POLLIN, 0}, {g[1], POLLIN, 0}};
            if (poll(pf, 2, 5000) < 1)
                die("SO_REUSEPORT poll");
            ssize_t n = recv(pf[0].revents & POLLIN ? g[0] : g[1], in, sizeof in, 0);
            if (n != w)
                die("SO_REUSEPORT recv");
            gc.recv += n;
            gc.recvs++;
        }
        /* Both group sockets share the local endpoint: one line. */
        flow_line(g[0], &from, &gc);
        flow_line(snd, &to, &scn);
        close(g[0]);
        close(g[1]);
        close(snd);
    }
    return 0;
}

/* fdpass FAMILY PORT: connects, hands the socket over a Unix socket
 * (SCM_RIGHTS) to a process it starts, and never uses it itself: the
 * bytes belong to the process that made the calls. */
static int role_fdpass(char **a)
{
    int fd = tcp_connect(atoi(a[0]), (unsigned)atoi(a[1]));
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
        die("socketpair");
    char a0[16];
    char *args[] = {num(a0, sp[1]), NULL};
    pid_t child = spawn("pfg-fdrecv", args);
    close(sp[1]);
    char ctrl[CMSG_SPACE(sizeof(int))];
    memset(ctrl, 0, sizeof ctrl);
    char x = 'f';
    struct iovec iov = {&x, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    if (sendmsg(sp[0], &m, 0) != 1)
        die("SCM_RIGHTS sendmsg");
    close(fd);
    close(sp[0]);
    wait_ok(child);
    truth("NOFLOW %d\n", getpid());
    return 0;
}

/* fdrecv UNIXFD: receives a connected TCP socket, sends 777 bytes and
 * reads the answer to EOF. */
static int role_fdrecv(char **a)
{
    int us = atoi(a[0]);
    char ctrl[CMSG_SPACE(sizeof(int))], x;
    struct iovec iov = {&x, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    if (recvmsg(us, &m, 0) != 1)
        die("SCM_RIGHTS recvmsg");
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    int fd;
    if (!cm || cm->cmsg_type != SCM_RIGHTS)
        die("no SCM_RIGHTS");
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    close(us);
    struct tcp_eps e;
    tcp_eps_of(fd, &e);
    char buf[777];
    fill(buf, sizeof buf, 6);
    struct counts c = {0, 0, 0, 0};
    send_all(fd, buf, sizeof buf, &c);
    shutdown(fd, SHUT_WR);
    drain(fd, 0, &c);
    tcp_line(&e, &c);
    close(fd);
    return 0;
}

/* Every way to read a datagram; the UDP receive-path scenario uses each
 * for one round. */
enum rx_method {
    RX_RECV,
    RX_RECVFROM_NULL,
    RX_READ,
    RX_READV,
    RX_RECVMSG_NAME,
    RX_RECVMSG_NONAME,
    RX_RECVMMSG_NAME,
    RX_RECVMMSG_NONAME,
    RX_URING_RECV,
    RX_URING_RECVMSG,
    RX_URING_RECVMSG_NAME,
    RX_URING_READ,
    RX_SHORT_BUFFER,
    RX_METHODS
};
#define RX_PEERS 3
#define RX_SHORT 16
#define RX_BURST 12 /* per peer in the drop round */

static void wait_readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    while ((r = poll(&p, 1, 5000)) < 0 && errno == EINTR)
        ;
    if (r != 1)
        die("no datagram within 5 s");
}

/* Reads up to n datagrams with method m into bufs; returns how many, their
 * lengths in lens. Peeks before the plain recvmsg: a peek is never counted. */
static int rx_read(int fd, int m, struct uring *u, char bufs[][2048], ssize_t *lens, int n)
{
    wait_readable(fd);
    struct sockaddr_storage from[RX_PEERS];
    struct iovec iov[RX_PEERS][2];
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    iov[0][0] = (struct iovec){bufs[0], 1000};
    iov[0][1] = (struct iovec){bufs[0] + 1000, 1048};
    mh.msg_iov = iov[0];
    mh.msg_iovlen = 2;
    if (m == RX_RECVMSG_NAME || m == RX_URING_RECVMSG_NAME) {
        mh.msg_name = &from[0];
        mh.msg_namelen = sizeof from[0];
    }
    ssize_t r = -1;
    switch (m) {
    case RX_RECV: r = recv(fd, bufs[0], 2048, 0); break;
    case RX_RECVFROM_NULL: r = recvfrom(fd, bufs[0], 2048, 0, NULL, NULL); break;
    case RX_READ: r = read(fd, bufs[0], 2048); break;
    case RX_READV: r = readv(fd, iov[0], 2); break;
    case RX_RECVMSG_NONAME:
        if (recv(fd, bufs[0], 2048, MSG_PEEK) < 0)
            die("peek");
        r = recvmsg(fd, &mh, 0);
        break;
    case RX_RECVMSG_NAME: r = recvmsg(fd, &mh, 0); break;
    case RX_RECVMMSG_NAME:
    case RX_RECVMMSG_NONAME: {
        struct mmsghdr mm[RX_PEERS];
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < n; i++) {
            iov[i][0] = (struct iovec){bufs[i], 2048};
            mm[i].msg_hdr.msg_iov = iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
            if (m == RX_RECVMMSG_NAME) {
                mm[i].msg_hdr.msg_name = &from[i];
                mm[i].msg_hdr.msg_namelen = sizeof from[i];
            }
        }
        int got = recvmmsg(fd, mm, (unsigned)n, MSG_WAITFORONE, NULL);
        if (got < 0)
            die("recvmmsg");
        for (int i = 0; i < got; i++)
            lens[i] = mm[i].msg_len;
        return got;
    }
    case RX_URING_RECV: r = uring_op(u, IORING_OP_RECV, fd, bufs[0], 2048); break;
    case RX_URING_RECVMSG:
    case RX_URING_RECVMSG_NAME: r = uring_op(u, IORING_OP_RECVMSG, fd, &mh, 1); break;
    case RX_URING_READ: r = uring_op(u, IORING_OP_READ, fd, bufs[0], 2048); break;
    case RX_SHORT_BUFFER:
        /* A buffer smaller than the datagram: the call returns (and moves)
         * only RX_SHORT bytes; the rest of the datagram is discarded. */
        r = recv(fd, bufs[0], RX_SHORT, 0);
        break;
    }
    if (r < 0) {
        if (m >= RX_URING_RECV && m <= RX_URING_READ)
            errno = (int)-r;
        die("udp receive");
    }
    lens[0] = r;
    return 1;
}

/* Datagram length from peer p in round m. */
static size_t rx_len(int m, int p) { return 60u + 7u * (unsigned)m + 13u * (unsigned)p; }

/* udp-rx FAMILY FD PORT...: one unconnected socket receives a burst from
 * every peer per round, reading it with a different call each round (the
 * sender is told by the first payload byte), and answers each datagram
 * with one byte more. */
static int role_udp_rx(char **a)
{
    int family = atoi(a[0]);
    int fd = atoi(a[1]);
    struct sockaddr_storage peers[RX_PEERS];
    socklen_t pl[RX_PEERS];
    for (int i = 0; i < RX_PEERS; i++)
        loop_addr(family, (unsigned)atoi(a[2 + i]), &peers[i], &pl[i]);
    struct uring u;
    int have_uring = uring_open(&u) == 0;
    if (!have_uring)
        truth("SKIP io_uring %s\n", strerror(errno));
    struct counts c[RX_PEERS];
    memset(c, 0, sizeof c);
    static char bufs[RX_PEERS][2048];
    char reply[2048];
    fill(reply, sizeof reply, 11);
    for (int m = 0; m < RX_METHODS; m++) {
        /* Without io_uring its rounds are read plainly, in step with the senders. */
        int mm = !have_uring && m >= RX_URING_RECV && m <= RX_URING_READ ? RX_RECV : m;
        int got = 0;
        while (got < RX_PEERS) {
            ssize_t lens[RX_PEERS];
            int n = rx_read(fd, mm, &u, bufs, lens, RX_PEERS - got);
            for (int i = 0; i < n; i++) {
                int p = bufs[i][0] - 'A';
                if (p < 0 || p >= RX_PEERS)
                    die("datagram from an unknown peer");
                c[p].recv += lens[i];
                c[p].recvs++;
                size_t want = m == RX_SHORT_BUFFER ? RX_SHORT : rx_len(m, p);
                if ((size_t)lens[i] != want) {
                    errno = EBADMSG;
                    die("datagram length");
                }
                ssize_t w = sendto(fd, reply, (size_t)lens[i] + 1, 0, (void *)&peers[p], pl[p]);
                if (w != lens[i] + 1)
                    die("udp-rx sendto");
                c[p].sent += w;
                c[p].sends++;
            }
            got += n;
        }
    }
    /* Last round: a burst larger than a minimal receive buffer, read after
     * it arrived, so the kernel drops some datagrams: the rest keep their
     * senders. */
    int small = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small))
        die("SO_RCVBUF");
    wait_readable(fd);
    usleep(200000);
    for (;;) {
        ssize_t r = recv(fd, bufs[0], sizeof bufs[0], MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0)
            die("udp-rx drop round");
        int p = bufs[0][0] - 'A';
        if (p < 0 || p >= RX_PEERS)
            die("datagram from an unknown peer");
        c[p].recv += r;
        c[p].recvs++;
        ssize_t w = sendto(fd, reply, (size_t)r + 1, 0, (void *)&peers[p], pl[p]);
        if (w != r + 1)
            die("udp-rx sendto");
        c[p].sent += w;
        c[p].sends++;
    }
    for (int i = 0; i < RX_PEERS; i++)
        flow_line(fd, &peers[i], &c[i]);
    if (have_uring)
        close(u.fd);
    close(fd);
    return 0;
}

/* udp-tx FAMILY RXPORT FD...: RX_PEERS unconnected sockets each send one
 * datagram per round to the receiver and read its answer without asking
 * for the address (recv, read, readv in turn). */
static int role_udp_tx(char **a)
{
    int family = atoi(a[0]);
    struct sockaddr_storage to;
    socklen_t tl;
    loop_addr(family, (unsigned)atoi(a[1]), &to, &tl);
    int fds[RX_PEERS];
    struct counts c[RX_PEERS];
    memset(c, 0, sizeof c);
    for (int i = 0; i < RX_PEERS; i++)
        fds[i] = atoi(a[2 + i]);
    char buf[2048];
    for (int m = 0; m < RX_METHODS; m++) {
        for (int p = 0; p < RX_PEERS; p++) {
            fill(buf, sizeof buf, (unsigned)m);
            buf[0] = (char)('A' + p);
            size_t len = rx_len(m, p);
            ssize_t w = sendto(fds[p], buf, len, 0, (void *)&to, tl);
            if (w != (ssize_t)len)
                die("udp-tx sendto");
            c[p].sent += w;
            c[p].sends++;
        }
        for (int p = 0; p < RX_PEERS; p++) {
            wait_readable(fds[p]);
            struct iovec iov[2] = {{buf, 100}, {buf + 100, sizeof buf - 100}};
            ssize_t r = p == 0   ? recv(fds[p], buf, sizeof buf, 0)
                        : p == 1 ? read(fds[p], buf, sizeof buf)
                                 : readv(fds[p], iov, 2);
            if (r < 0)
                die("udp-tx receive");
            c[p].recv += r;
            c[p].recvs++;
        }
    }
    /* The drop round: RX_BURST datagrams per peer at once; the answers to
     * those that survived come back within the receiver's pause. */
    for (int k = 0; k < RX_BURST; k++)
        for (int p = 0; p < RX_PEERS; p++) {
            buf[0] = (char)('A' + p);
            size_t len = rx_len(RX_METHODS + k, p);
            ssize_t w = sendto(fds[p], buf, len, 0, (void *)&to, tl);
            if (w != (ssize_t)len)
                die("udp-tx sendto");
            c[p].sent += w;
            c[p].sends++;
        }
    for (int p = 0; p < RX_PEERS; p++) {
        struct pollfd pf = {fds[p], POLLIN, 0};
        /* The answers come after the receiver's pause, then back to back. */
        while (poll(&pf, 1, p == 0 && c[p].recvs == RX_METHODS ? 2000 : 300) == 1) {
            ssize_t r = recv(fds[p], buf, sizeof buf, 0);
            if (r < 0)
                die("udp-tx receive");
            c[p].recv += r;
            c[p].recvs++;
        }
    }
    for (int p = 0; p < RX_PEERS; p++) {
        flow_line(fds[p], &to, &c[p]);
        close(fds[p]);
    }
    return 0;
}

static void wait_file(const char *path, int max_ms)
{
    uint64_t end = now_ms() + (uint64_t)max_ms;
    while (access(path, F_OK) != 0) {
        if (now_ms() > end) {
            fprintf(stderr, "trafficgen: timed out waiting for %s\n", path);
            exit(1);
        }
        usleep(10000);
    }
}

/* pre-client FAMILY PORT SYNCFD GOFILE: connection made before recording;
 * only traffic after GO is counted (and recorded). */
static int role_pre_client(char **a)
{
    int fd = tcp_connect(atoi(a[0]), (unsigned)atoi(a[1]));
    int sync = atoi(a[2]);
    char buf[4000], ack[16];
    fill(buf, sizeof buf, 9);
    struct counts ignore = {0, 0, 0, 0};
    send_all(fd, buf, 1000, &ignore);
    size_t got = 0;
    while (got < 10) {
        ssize_t r = recv(fd, ack + got, 10 - got, 0);
        if (r <= 0)
            die("pre ack");
        got += (size_t)r;
    }
    struct tcp_eps eps;
    tcp_eps_of(fd, &eps);
    int lf, rf;
    char lip[64], rip[64];
    unsigned lp, rp;
    ep(&eps.local, &lf, lip, sizeof lip, &lp);
    ep(&eps.peer, &rf, rip, sizeof rip, &rp);
    truth("RUNDOWN %d tcp %d %s %u %s %u\n", getpid(), lf, lip, lp, rip, rp);
    if (write(sync, "x", 1) != 1)
        die("sync");
    close(sync);
    wait_file(a[3], 60000);
    struct counts c = {0, 0, 0, 0};
    send_all(fd, buf, 2000, &c);
    send_all(fd, buf, 1500, &c);
    shutdown(fd, SHUT_WR);
    drain(fd, 0, &c);
    tcp_line(&eps, &c);
    close(fd);
    return 0;
}

/* pre-server LFD: reads 1000 bytes, acks with 10; after GO reads to EOF
 * and replies 500. Its blocked recv returns after GO, so it counts. */
static int role_pre_server(char **a)
{
    int lfd = atoi(a[0]);
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    close(lfd);
    struct tcp_eps eps;
    tcp_eps_of(fd, &eps);
    char buf[4000];
    size_t got = 0;
    while (got < 1000) {
        ssize_t r = recv(fd, buf, 1000 - got, 0);
        if (r <= 0)
            die("pre recv");
        got += (size_t)r;
    }
    struct counts ignore = {0, 0, 0, 0}, c = {0, 0, 0, 0};
    send_all(fd, "ackackack!", 10, &ignore);
    drain(fd, 0, &c);
    fill(buf, 500, 2);
    send_all(fd, buf, 500, &c);
    tcp_line(&eps, &c);
    close(fd);
    return 0;
}

struct role {
    const char *name;
    int (*fn)(char **args);
};

static const struct role roles[] = {
    {"pfg-tcp-server", role_tcp_server}, {"pfg-tcp-client", role_tcp_client},
    {"pfg-udp-peer", role_udp_peer},     {"pfg-udp-hub", role_udp_hub},
    {"pfg-quick", role_quick},           {"pfg-forker", role_forker},
    {"pfg-uring", role_uring},           {"pfg-pre-client", role_pre_client},
    {"pfg-retrans", role_retrans},       {"pfg-udp-rx", role_udp_rx},
    {"pfg-udp-tx", role_udp_tx},         {"pfg-times", role_times},
    {"pfg-paths", role_paths},           {"pfg-fdpass", role_fdpass},
    {"pfg-fdrecv", role_fdrecv},         {"pfg-retrans-nft", role_retrans_nft},
    {"pfg-pre-server", role_pre_server},
};

static void make_links(void)
{
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        die("readlink self");
    self_exe[n] = '\0';
    snprintf(link_dir, sizeof link_dir, "/tmp/pfg-links-XXXXXX");
    if (!mkdtemp(link_dir))
        die("mkdtemp");
    setenv("PFG_LINK_DIR", link_dir, 1);
    setenv("PFG_COMM_SUFFIX", comm_suffix, 1);
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        char p[PATH_MAX + 64];
        link_path(p, sizeof p, roles[i].name);
        if (symlink(self_exe, p))
            die("symlink");
    }
}

static void remove_links(void)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        char p[PATH_MAX + 64];
        link_path(p, sizeof p, roles[i].name);
        unlink(p);
    }
    rmdir(link_dir);
}

static char *num(char *buf, int v)
{
    sprintf(buf, "%d", v);
    return buf;
}

static void tcp_pair(int family, const char *client_mode, const char *server_mode)
{
    unsigned port;
    int lfd = tcp_listener(family, &port);
    char a0[16], a1[16], a2[16];
    char *sargs[] = {num(a0, lfd), argv_str(server_mode), NULL};
    pid_t s = spawn("pfg-tcp-server", sargs);
    close(lfd);
    char *cargs[] = {num(a1, family), num(a2, (int)port), argv_str(client_mode), NULL};
    pid_t c = spawn("pfg-tcp-client", cargs);
    wait_ok(c);
    wait_ok(s);
}

static void udp_star(int family, int npeers)
{
    int fds[8];
    unsigned ports[8];
    char fdtxt[8][16], porttxt[8][16], ftxt[16];
    char *pargs[9], *hargs[10];
    for (int i = 0; i < npeers; i++) {
        fds[i] = udp_bound(family, &ports[i]);
        pargs[i] = num(fdtxt[i], fds[i]);
        hargs[1 + i] = num(porttxt[i], (int)ports[i]);
    }
    pargs[npeers] = NULL;
    hargs[0] = num(ftxt, family);
    hargs[1 + npeers] = NULL;
    pid_t p = spawn("pfg-udp-peer", pargs);
    for (int i = 0; i < npeers; i++)
        close(fds[i]);
    pid_t h = spawn("pfg-udp-hub", hargs);
    wait_ok(h);
    wait_ok(p);
}

/* The UDP receive paths: family 4 and 6, or 46 (an IPv6 receiver bound to
 * ::ffff:127.0.0.1 with IPv4 senders). */
static void udp_recv_paths(int family)
{
    unsigned rport, ports[RX_PEERS];
    int rfd;
    if (family == 46) {
        rfd = socket(AF_INET6, SOCK_DGRAM, 0);
        struct sockaddr_storage ss;
        socklen_t sl;
        loop_addr(46, 0, &ss, &sl);
        if (rfd < 0 || bind(rfd, (void *)&ss, sl))
            die("udp bind v4-mapped");
        sl = sizeof ss;
        getsockname(rfd, (void *)&ss, &sl);
        int f;
        char ip[64];
        ep(&ss, &f, ip, sizeof ip, &rport);
    } else {
        rfd = udp_bound(family, &rport);
    }
    char ftxt[16], fdtxt[16], rtxt[16], ptxt[RX_PEERS][16], pfd[RX_PEERS][16], ftxt2[16];
    char *rargs[3 + RX_PEERS + 1], *targs[2 + RX_PEERS + 1];
    int pfds[RX_PEERS];
    rargs[0] = num(ftxt, family);
    rargs[1] = num(fdtxt, rfd);
    targs[0] = num(ftxt2, family == 6 ? 6 : 4);
    targs[1] = num(rtxt, (int)rport);
    for (int i = 0; i < RX_PEERS; i++) {
        pfds[i] = udp_bound(family == 6 ? 6 : 4, &ports[i]);
        rargs[2 + i] = num(ptxt[i], (int)ports[i]);
        targs[2 + i] = num(pfd[i], pfds[i]);
    }
    rargs[2 + RX_PEERS] = NULL;
    targs[2 + RX_PEERS] = NULL;
    pid_t r = spawn("pfg-udp-rx", rargs);
    close(rfd);
    pid_t t = spawn("pfg-udp-tx", targs);
    for (int i = 0; i < RX_PEERS; i++)
        close(pfds[i]);
    wait_ok(t);
    wait_ok(r);
}

/* A socket of this process that nobody reads: datagrams to it are still
 * sent. Returns its port; the fd stays open until exit. */
static unsigned sink(int family)
{
    unsigned port;
    udp_bound(family, &port);
    return port;
}

static int run_role(const char *name, char **args)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, name) == 0)
            return roles[i].fn(args);
    fprintf(stderr, "trafficgen: unknown role %s\n", name);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--role") == 0) {
        truth_fd = atoi(argv[3]);
        /* Roles may start roles of their own. */
        const char *ld = getenv("PFG_LINK_DIR");
        if (ld)
            snprintf(link_dir, sizeof link_dir, "%s", ld);
        const char *cs = getenv("PFG_COMM_SUFFIX");
        if (cs)
            snprintf(comm_suffix, sizeof comm_suffix, "%s", cs);
        return run_role(argv[2], argv + 4);
    }
    const char *truth_path = NULL, *ready = NULL, *go = NULL, *only = NULL, *suffix = "";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--truth") == 0)
            truth_path = argv[i + 1];
        else if (strcmp(argv[i], "--ready") == 0)
            ready = argv[i + 1];
        else if (strcmp(argv[i], "--go") == 0)
            go = argv[i + 1];
        else if (strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--comm-suffix") == 0)
            suffix = argv[i + 1];
    }
    if (!truth_path || strlen(suffix) >= sizeof comm_suffix || strchr(suffix, '/')) {
        fprintf(stderr, "usage: trafficgen --truth FILE [--ready FILE --go FILE] [--only SCENARIO] "
                        "[--comm-suffix UP_TO_7_CHARS]\n");
        return 2;
    }
    snprintf(comm_suffix, sizeof comm_suffix, "%s", suffix);
    truth_fd = open(truth_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (truth_fd < 0)
        die("open truth");
    make_links();
    atexit(remove_links);

    pid_t pre_c = 0, pre_s = 0;
    if (ready && go) {
        unsigned port;
        int lfd = tcp_listener(4, &port);
        int sp[2];
        if (pipe(sp))
            die("pipe");
        char a0[16], a1[16], a2[16], a3[16];
        char *sargs[] = {num(a0, lfd), NULL};
        pre_s = spawn("pfg-pre-server", sargs);
        close(lfd);
        char *cargs[] = {num(a1, 4), num(a2, (int)port), num(a3, sp[1]), argv_str(go), NULL};
        pre_c = spawn("pfg-pre-client", cargs);
        close(sp[1]);
        char x;
        if (read(sp[0], &x, 1) != 1)
            die("pre sync");
        close(sp[0]);
        int rf = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (rf < 0)
            die("ready");
        close(rf);
        wait_file(go, 60000);
    }

    /* Hosts without IPv6 loopback run the IPv4 scenarios only. */
    int v6 = 0;
    {
        int t = socket(AF_INET6, SOCK_DGRAM, 0);
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        v6 = t >= 0 && bind(t, (void *)&a6, sizeof a6) == 0;
        if (t >= 0)
            close(t);
        if (!v6)
            truth("SKIP ipv6: no IPv6 loopback\n");
    }
#define RUN(name) (!only || strcmp(only, name) == 0)
    if (RUN("tcp")) {
        tcp_pair(4, "send", "recv");
        if (v6)
            tcp_pair(6, "send", "recv");
    }
    if (RUN("udp")) {
        udp_star(4, 3);
        if (v6)
            udp_star(6, 2);
    }
    if (v6 && RUN("dualstack")) {
        /* IPv6 sockets talking to IPv4 ones through v4-mapped addresses. */
        tcp_pair(46, "send", "recv");
        udp_star(46, 2);
    }
    if (RUN("udp-recv")) {
        udp_recv_paths(4);
        if (v6) {
            udp_recv_paths(6);
            udp_recv_paths(46);
        }
    }
    if (RUN("writev"))
        tcp_pair(4, "writev", "readv");
    if (RUN("sendfile"))
        tcp_pair(4, "sendfile", "recv");
    if (RUN("splice")) {
        tcp_pair(4, "vmsplice", "splice");
        if (v6)
            tcp_pair(6, "send", "splice");
    }
    if (RUN("thread"))
        tcp_pair(v6 ? 6 : 4, "thread", "recv");
    if (RUN("quick")) {
        char a0[16], a1[16];
        char *args[] = {num(a0, 4), num(a1, (int)sink(4)), NULL};
        uint64_t t0 = now_ms();
        pid_t q = spawn("pfg-quick", args);
        wait_ok(q);
        truth("# quick process lived %llu ms\n", (unsigned long long)(now_ms() - t0));
    }
    if (RUN("paths")) {
        char a0[16];
        char *args[] = {num(a0, 4), NULL};
        wait_ok(spawn("pfg-paths", args));
        if (v6) {
            char *args6[] = {num(a0, 6), NULL};
            wait_ok(spawn("pfg-paths", args6));
        }
    }
    if (RUN("fdpass")) {
        unsigned port;
        int lfd = tcp_listener(4, &port);
        char a0[16], a1[16], a2[16];
        char *sargs[] = {num(a0, lfd), argv_str("recv"), NULL};
        pid_t sv = spawn("pfg-tcp-server", sargs);
        close(lfd);
        char *cargs[] = {num(a1, 4), num(a2, (int)port), NULL};
        wait_ok(spawn("pfg-fdpass", cargs));
        wait_ok(sv);
    }
    if (RUN("times")) {
        char a0[16], a1[16];
        char *args[] = {num(a0, 4), num(a1, (int)sink(4)), NULL};
        wait_ok(spawn("pfg-times", args));
    }
    if (RUN("fork")) {
        char a0[16], a1[16];
        char *args[] = {num(a0, 4), num(a1, (int)sink(4)), NULL};
        wait_ok(spawn("pfg-forker", args));
    }
    if (RUN("uring")) {
        char a0[16];
        char *args[] = {num(a0, 4), NULL};
        wait_ok(spawn("pfg-uring", args));
    }
    if (RUN("retrans"))
        wait_ok(spawn("pfg-retrans", NULL));
    if (RUN("retrans-nft"))
        wait_ok(spawn("pfg-retrans-nft", NULL));
    if (pre_c) {
        wait_ok(pre_c);
        wait_ok(pre_s);
    }
    return 0;
}
