#include "DescriptorPoller.h"

#include <QLoggingCategory>
#include <cerrno>
#include <cstring>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcPoller, "presence.poller")

namespace presence {

namespace {
// Passes of epoll_wait() per turn of Qt's loop: enough for a fan-out's worth of ready streams,
// few enough that timers and the other sockets (Redis, new requests) are not starved.
constexpr int maxBatchesPerTurn = 8;

epoll_event eventFor(DescriptorPoller::Watcher &watcher, bool writable)
{
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (writable ? EPOLLOUT : 0u);
    event.data.ptr = &watcher;
    return event;
}
} // namespace

DescriptorPoller::DescriptorPoller(QObject *parent)
    : QObject(parent)
    , m_epoll(::epoll_create1(EPOLL_CLOEXEC))
{
    if (m_epoll < 0) {
        qCWarning(lcPoller) << "epoll_create1 failed:" << strerror(errno);
        return;
    }
    m_notifier = std::make_unique<QSocketNotifier>(m_epoll, QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &DescriptorPoller::dispatchReady);
}

DescriptorPoller::~DescriptorPoller()
{
    m_notifier.reset();
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool DescriptorPoller::watch(int descriptor, Watcher &watcher)
{
    if (m_epoll < 0)
        return false;
    epoll_event event = eventFor(watcher, false);
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, descriptor, &event) != 0) {
        qCWarning(lcPoller) << "epoll_ctl ADD" << descriptor << "failed:" << strerror(errno);
        return false;
    }
    ++m_watched;
    return true;
}

void DescriptorPoller::setWritableWanted(int descriptor, Watcher &watcher, bool wanted)
{
    epoll_event event = eventFor(watcher, wanted);
    if (::epoll_ctl(m_epoll, EPOLL_CTL_MOD, descriptor, &event) != 0)
        qCWarning(lcPoller) << "epoll_ctl MOD" << descriptor << "failed:" << strerror(errno);
}

void DescriptorPoller::unwatch(int descriptor, Watcher &watcher)
{
    if (::epoll_ctl(m_epoll, EPOLL_CTL_DEL, descriptor, nullptr) == 0)
        --m_watched;
    for (int i = m_next; i < m_readyCount; ++i) {
        if (m_ready[size_t(i)].data.ptr == &watcher)
            m_ready[size_t(i)].data.ptr = nullptr;
    }
}

void DescriptorPoller::dispatchReady()
{
    for (int batch = 0; batch < maxBatchesPerTurn; ++batch) {
        m_readyCount = ::epoll_wait(m_epoll, m_ready.data(), int(m_ready.size()), 0);
        if (m_readyCount <= 0) {
            m_readyCount = 0;
            return;
        }
        for (m_next = 0; m_next < m_readyCount;) {
            const epoll_event event = m_ready[size_t(m_next++)];
            if (!event.data.ptr)
                continue;
            const bool failed = event.events & (EPOLLERR | EPOLLHUP);
            static_cast<Watcher *>(event.data.ptr)
                ->descriptorReady(failed || (event.events & (EPOLLIN | EPOLLRDHUP)),
                                  failed || (event.events & EPOLLOUT));
        }
        const bool more = m_readyCount == int(m_ready.size());
        m_readyCount = m_next = 0;
        if (!more)
            return;
    }
}

} // namespace presence
