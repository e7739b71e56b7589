#pragma once

#include <QHostAddress>
#include <QTcpServer>

namespace presence::test {

// A TCP port on 127.0.0.1 that was free a moment ago, or 0: another process may take it before
// the caller binds it, so a server started on it is retried on another.
inline quint16 freeLoopbackPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

} // namespace presence::test
