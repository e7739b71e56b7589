#pragma once

#include "DescriptorPoller.h"
#include "GuardedTcpServer.h"
#include "SseTransport.h"

#include <QAbstractSocket>
#include <QByteArray>
#include <memory>

namespace presence {

// An SSE stream that drives its TCP connection through the descriptor itself, once the
// request is answered: the socket object, its buffers and signal connections, and the HTTP
// server's request object all go (they were most of an idle session's memory: heaptrack,
// bench/README.md). What is left per connection is the descriptor, its place in the node's
// epoll set (DescriptorPoller: to see the peer close, and the kernel take bytes again) and,
// only while the kernel is not taking bytes, the bytes it has not taken.
class DescriptorTransport final : public SseTransport, private DescriptorPoller::Watcher {
public:
    // Takes the connection from `socket` (a plain TCP one): a duplicate of its descriptor, its
    // place in the server's counts; the socket object is then aborted (closing only its own
    // descriptor) and left to its owner to delete. Null if the descriptor cannot be duplicated
    // or watched. `poller` must outlive the connection (not the object: close() lets go).
    static std::unique_ptr<DescriptorTransport> takeFrom(QAbstractSocket &socket,
                                                         DescriptorPoller &poller,
                                                         Listener &listener);
    ~DescriptorTransport() override;

    bool isConnected() const override { return m_descriptor >= 0; }
    int descriptor() const override { return m_descriptor; }
    qint64 bytesToWrite() const override { return m_queued.size() - m_queuedFrom; }
    std::optional<Ended> write(const QByteArrayView *parts, qsizetype count) override;
    void close(CloseMode mode) override;

private:
    DescriptorTransport(int descriptor, DescriptorPoller &poller, Listener &listener);
    void descriptorReady(bool readable, bool writable) override;
    void onReadable();
    void onWritable();
    // Hands the queue to the kernel as far as it takes it.
    std::optional<Ended> sendQueued();

    int m_descriptor;
    ConnectionSlot m_slot;
    DescriptorPoller &m_poller;
    Listener &m_listener;
    bool m_writableWanted = false;
    QByteArray m_queued;        // what the kernel has not taken, from m_queuedFrom on
    qsizetype m_queuedFrom = 0;
};

} // namespace presence
