#include "redis/SocketKeepAlive.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace presence {

bool enableKeepAlive(int fd, const SocketKeepAlive &settings)
{
    if (fd < 0)
        return false;
    const int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0 &&
           setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &settings.idleS, sizeof settings.idleS) == 0 &&
           setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &settings.intervalS,
                      sizeof settings.intervalS) == 0 &&
           setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &settings.probes, sizeof settings.probes) == 0;
}

} // namespace presence
