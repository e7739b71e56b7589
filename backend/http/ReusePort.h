#pragma once

#include <QHostAddress>
#include <QString>

class QTcpServer;

namespace presence {

// Makes `server` listen on host:port with SO_REUSEPORT, so several nodes on one host share the
// port and the kernel spreads new connections over them. QTcpServer (Qt 6.4) has no such flag:
// the socket is made, bound and set listening here, then handed to the server
// (QTcpServer::setSocketDescriptor takes a listening socket). False with *error on failure.
bool listenReusingPort(QTcpServer &server, const QHostAddress &host, quint16 port, int backlog,
                       QString *error);

} // namespace presence
