#include "ServiceNotifier.h"

#include <QtGlobal>
#include <cstddef>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace presence {

ServiceNotifier ServiceNotifier::fromEnvironment()
{
    ServiceNotifier notifier(qgetenv("NOTIFY_SOCKET"));
    qunsetenv("NOTIFY_SOCKET");
    return notifier;
}

bool ServiceNotifier::notify(QByteArrayView state) const
{
    if (m_address.isEmpty())
        return false;
    const bool abstract = m_address.startsWith('@');
    if (!abstract && !m_address.startsWith('/'))
        return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // A path needs room for its terminating NUL; an abstract name is exactly its bytes.
    const qsizetype capacity = qsizetype(sizeof(address.sun_path)) - (abstract ? 0 : 1);
    if (m_address.size() < 2 || m_address.size() > capacity)
        return false;
    std::memcpy(address.sun_path, m_address.constData(), size_t(m_address.size()));
    if (abstract)
        address.sun_path[0] = '\0';
    const auto length =
        socklen_t(offsetof(sockaddr_un, sun_path) + size_t(m_address.size()) + (abstract ? 0 : 1));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const ssize_t sent = ::sendto(fd, state.data(), size_t(state.size()), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr *>(&address), length);
    ::close(fd);
    return sent == state.size();
}

} // namespace presence
