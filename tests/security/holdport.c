/* SPDX-License-Identifier: MIT */
/* holdport: holds a listening TCP socket on loopback so the security tests
 * can check whose sockets the recorder attributes after dropping its
 * privileges. Prints the port once listening, then sleeps.
 * Usage: holdport SECONDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int secs = argc > 1 ? atoi(argv[1]) : 30;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("holdport");
        return 1;
    }
    printf("%u\n", ntohs(a.sin_port));
    fflush(stdout);
    sleep((unsigned)(secs > 0 ? secs : 1));
    return 0;
}
