#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <utility>

namespace presence {

// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram such as
// "READY=1" on the AF_UNIX socket named by $NOTIFY_SOCKET (a leading '@' names an abstract
// socket). Without the variable it does nothing, so the same binary runs anywhere.
class ServiceNotifier final {
public:
    ServiceNotifier() = default;
    explicit ServiceNotifier(QByteArray socketAddress)
        : m_address(std::move(socketAddress))
    {
    }

    // Takes $NOTIFY_SOCKET and removes it from the environment, so that children (the private
    // redis-server, which speaks the protocol too) cannot claim our readiness.
    static ServiceNotifier fromEnvironment();

    bool isActive() const { return !m_address.isEmpty(); }
    // Sends one state datagram ("READY=1", "STOPPING=1", "STATUS=…"); false if it could not.
    bool notify(QByteArrayView state) const;

private:
    QByteArray m_address;
};

} // namespace presence
