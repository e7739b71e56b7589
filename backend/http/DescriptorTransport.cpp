#include "DescriptorTransport.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace presence {

namespace {
// What errno after a failed send() or recv() means for the stream.
SseTransport::Ended endingOf(int error)
{
    switch (error) {
    case ECONNRESET:
    case EPIPE:
        return SseTransport::Ended::PeerClosed;
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
        return SseTransport::Ended::TimedOut;
    default:
        return SseTransport::Ended::Failed;
    }
}

bool isTransient(int error)
{
    return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}
} // namespace

std::unique_ptr<DescriptorTransport> DescriptorTransport::takeFrom(QAbstractSocket &socket,
                                                                   DescriptorPoller &poller,
                                                                   Listener &listener)
{
    const int descriptor = ::fcntl(int(socket.socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (descriptor < 0)
        return nullptr;
    std::unique_ptr<DescriptorTransport> transport(
        new DescriptorTransport(descriptor, poller, listener));
    // Watched before the socket object lets go: refused, the stream stays on the socket.
    if (!poller.watch(descriptor, *transport)) {
        transport->m_descriptor = -1;
        ::close(descriptor);
        return nullptr;
    }
    transport->m_slot = GuardedTcpServer::handOver(&socket);
    // Closes the socket object's descriptor only: the connection lives on in ours (Qt neither
    // shuts it down nor lingers). Whatever Qt still had buffered is dropped: a request's
    // leftovers (an SSE client sends nothing more) and no response bytes (none were written
    // through it). Its signals stay connected: the HTTP server deletes the socket object once
    // it sees it unconnected, and its request object with it.
    socket.abort();
    return transport;
}

DescriptorTransport::DescriptorTransport(int descriptor, DescriptorPoller &poller,
                                         Listener &listener)
    : m_descriptor(descriptor)
    , m_poller(poller)
    , m_listener(listener)
{
}

DescriptorTransport::~DescriptorTransport()
{
    close(CloseMode::Abort);
}

std::optional<SseTransport::Ended> DescriptorTransport::write(const QByteArrayView *parts,
                                                              qsizetype count)
{
    if (m_descriptor < 0)
        return Ended::Failed;
    qsizetype sent = 0;
    // With nothing queued, the parts go to the kernel as they are, in sendmsg() calls of up to
    // 64 (the frames of a batch stay where the room's feed holds them, shared by its
    // sessions), for as long as it takes all it is given.
    constexpr qsizetype maxParts = 64;
    bool allTaken = bytesToWrite() == 0;
    for (qsizetype from = 0; allTaken && from < count;) {
        iovec vectors[maxParts];
        const qsizetype gathered = std::min(count - from, maxParts);
        size_t offered = 0;
        for (qsizetype i = 0; i < gathered; ++i) {
            const QByteArrayView part = parts[from + i];
            vectors[i] = iovec{const_cast<char *>(part.data()), size_t(part.size())};
            offered += size_t(part.size());
        }
        msghdr message{};
        message.msg_iov = vectors;
        message.msg_iovlen = size_t(gathered);
        const ssize_t n = ::sendmsg(m_descriptor, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && !isTransient(errno))
            return endingOf(errno);
        sent += std::max<qsizetype>(n, 0);
        allTaken = n >= 0 && size_t(n) == offered;
        from += gathered;
    }
    if (allTaken)
        return std::nullopt;
    // The reader is behind: the rest waits here until the kernel takes it. What the kernel took
    // of the queue goes first (a reader that stays behind would otherwise keep all it read).
    if (m_queuedFrom > 0) {
        m_queued.remove(0, m_queuedFrom);
        m_queuedFrom = 0;
    }
    qsizetype skip = sent;
    for (qsizetype i = 0; i < count; ++i) {
        if (skip >= parts[i].size()) {
            skip -= parts[i].size();
            continue;
        }
        m_queued.append(parts[i].sliced(skip));
        skip = 0;
    }
    if (!m_writableWanted) {
        m_writableWanted = true;
        m_poller.setWritableWanted(m_descriptor, *this, true);
    }
    return std::nullopt;
}

std::optional<SseTransport::Ended> DescriptorTransport::sendQueued()
{
    while (bytesToWrite() > 0) {
        const ssize_t n = ::send(m_descriptor, m_queued.constData() + m_queuedFrom,
                                 size_t(bytesToWrite()), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return isTransient(errno) ? std::nullopt : std::optional(endingOf(errno));
        m_queuedFrom += n;
    }
    // Caught up: the queue's memory goes too (a reader that was behind costs nothing after).
    m_queued = QByteArray();
    m_queuedFrom = 0;
    return std::nullopt;
}

void DescriptorTransport::descriptorReady(bool readable, bool writable)
{
    // Either may end the stream (and close the descriptor).
    if (writable && m_writableWanted)
        onWritable();
    if (readable && m_descriptor >= 0)
        onReadable();
}

void DescriptorTransport::onWritable()
{
    const qint64 before = bytesToWrite();
    if (const auto ended = sendQueued()) {
        m_listener.transportEnded(*ended);
        return;
    }
    if (bytesToWrite() == 0 && m_writableWanted) {
        m_writableWanted = false;
        m_poller.setWritableWanted(m_descriptor, *this, false);
    }
    if (bytesToWrite() < before)
        m_listener.transportProgressed();
}

void DescriptorTransport::onReadable()
{
    // An SSE client sends nothing after its request: what comes is read and dropped (a few
    // reads a pass: one that keeps sending cannot hold the loop), and the end of the stream
    // (or an error) ends the session.
    char discard[512];
    for (int reads = 0; reads < 8; ++reads) {
        const ssize_t n = ::recv(m_descriptor, discard, sizeof discard, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && isTransient(errno))
            return;
        m_listener.transportEnded(n == 0 ? Ended::PeerClosed : endingOf(errno));
        return;
    }
}

void DescriptorTransport::close(CloseMode mode)
{
    if (m_descriptor < 0)
        return;
    if (mode == CloseMode::Flush)
        (void)sendQueued();
    // Out of the epoll set before the descriptor is closed (a closed one may be reused by the
    // next accept, and what this pass of the poller gathered for it must not reach it).
    m_poller.unwatch(m_descriptor, *this);
    ::close(m_descriptor);
    m_descriptor = -1;
    m_queued = QByteArray();
    m_queuedFrom = 0;
    m_slot.release();
}

} // namespace presence
