#include "ReusePort.h"

#include <QTcpServer>

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace presence {

bool listenReusingPort(QTcpServer &server, const QHostAddress &host, quint16 port, int backlog,
                       QString *error)
{
    const auto fail = [error](const char *step, int fd) {
        if (error)
            *error = QStringLiteral("%1 (SO_REUSEPORT): %2")
                         .arg(QLatin1StringView(step), QString::fromLocal8Bit(std::strerror(errno)));
        if (fd >= 0)
            ::close(fd);
        return false;
    };
    sockaddr_storage address{};
    socklen_t length = 0;
    bool ok = false;
    if (const quint32 v4 = host.toIPv4Address(&ok); ok) {
        auto *in = reinterpret_cast<sockaddr_in *>(&address);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(v4);
        length = sizeof(sockaddr_in);
    } else {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        const Q_IPV6ADDR v6 = host.toIPv6Address();
        std::memcpy(&in6->sin6_addr, &v6, sizeof v6);
        length = sizeof(sockaddr_in6);
    }
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail("socket", fd);
    const int one = 1;
    // SO_REUSEADDR as QTcpServer sets it on Unix (a restart rebinds past TIME_WAIT).
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        return fail("setsockopt", fd);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&address), length) != 0)
        return fail("bind", fd);
    if (::listen(fd, backlog) != 0)
        return fail("listen", fd);
    if (!server.setSocketDescriptor(fd)) {
        if (error)
            *error = server.errorString();
        ::close(fd);
        return false;
    }
    return true;
}

} // namespace presence
