#pragma once

#include <QByteArray>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace presence::test {

// GET `path` over a raw blocking socket to 127.0.0.1:`port` whose kernel receive buffer is
// `receiveBufferBytes` (set before connect, so the window is that small from the start); the
// test reads it (or not) when it chooses. Returns the descriptor, or -1.
inline int openRawSseStream(quint16 port, const QByteArray &path, int receiveBufferBytes)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes, sizeof receiveBufferBytes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || ::write(fd, request.constData(), size_t(request.size())) != ssize_t(request.size())) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace presence::test
