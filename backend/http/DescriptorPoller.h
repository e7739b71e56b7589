#pragma once

#include <QObject>
#include <QSocketNotifier>
#include <array>
#include <memory>
#include <sys/epoll.h>

namespace presence {

// Readiness of many descriptors through one epoll set, which Qt's event loop sees as a single
// descriptor. Qt's UNIX event dispatcher polls every socket notifier on every pass of the loop
// (ppoll over all of them, then a scan of the answer): with 10,000 idle SSE streams one pass
// cost milliseconds, paid again by every pass a Redis round trip takes (bench/README.md). Here a
// pass costs what is ready, not what is open, and an idle stream holds no notifier object.
//
// Level-triggered: a watcher that leaves bytes unread is told again on the next pass.
class DescriptorPoller final : public QObject {
    Q_OBJECT
public:
    class Watcher {
    public:
        // `readable` covers the peer's end and errors; `writable` is only said while wanted.
        // May unwatch (and close) its own or any other descriptor.
        virtual void descriptorReady(bool readable, bool writable) = 0;

    protected:
        ~Watcher() = default;
    };

    explicit DescriptorPoller(QObject *parent = nullptr);
    ~DescriptorPoller() override;

    // False when the kernel refused an epoll set (then nothing can be watched here).
    bool isValid() const { return m_epoll >= 0; }
    // For reading; false if the kernel refused (the caller then cannot use the descriptor here).
    bool watch(int descriptor, Watcher &watcher);
    void setWritableWanted(int descriptor, Watcher &watcher, bool wanted);
    // Before the descriptor is closed: nothing more is said to `watcher` about it, not even
    // what this pass already gathered.
    void unwatch(int descriptor, Watcher &watcher);
    qsizetype watchedCount() const { return m_watched; }

private:
    void dispatchReady();

    int m_epoll = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    qsizetype m_watched = 0;
    // The pass under way: entries after m_next are still to be told (unwatch() voids its own).
    std::array<epoll_event, 256> m_ready{};
    int m_readyCount = 0;
    int m_next = 0;
};

} // namespace presence
