/* A loopback TCP port nobody listens on, for tests of refused connections: bound, read back
 * and released (a race with another process taking it is possible but harmless here). */
#ifndef TRAILHOUND_TESTS_CLOSED_PORT_H
#define TRAILHOUND_TESTS_CLOSED_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

/* The port, or -1 when no socket could be bound. */
static inline int closed_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    bool bound = bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
                 getsockname(fd, (struct sockaddr *)&address, &length) == 0;
    close(fd);
    return bound ? ntohs(address.sin_port) : -1;
}

#endif
