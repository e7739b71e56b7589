#include "SseSession.h"

#include "DescriptorTransport.h"
#include "GuardedTcpServer.h"
#include "SocketTransport.h"
#include "model/RoomCursor.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QSslSocket>
#include <cerrno>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

Q_LOGGING_CATEGORY(lcSse, "presence.sse")

namespace presence {

SseSession::Piece SseSession::pieceOf(QByteArray bytes)
{
    const qsizetype size = bytes.size();
    return Piece{std::make_shared<const QByteArray>(std::move(bytes)), 0, size};
}

SseSession::SseSession(ClientId client, QList<RoomName> rooms, QHttpServerResponder &&responder,
                       DescriptorPoller &poller, Limits limits, qint64 retryMs,
                       const QList<QPair<QByteArray, QByteArray>> &extraHeaders, QObject *parent)
    : QObject(parent)
    , m_client(std::move(client))
    , m_clientHash(qHash(m_client))
    , m_rooms(std::move(rooms))
    , m_limits(limits)
{
    // The responder refers to the HTTP server's request object, which dies with the socket:
    // it is not kept.
    const QHttpServerResponder taken = std::move(responder);
    QAbstractSocket *socket = taken.socket();
    if (!socket || socket->state() != QAbstractSocket::ConnectedState) {
        m_open = false;
        return;
    }
    m_peer = socket->peerAddress();
    if (m_limits.peerTimeoutMs > 0) {
        // The keepalive comments are the data in flight this watches: a peer that stops
        // acknowledging them is gone within keepalive + this, whatever the kernel's
        // retransmission defaults (tcp_retries2: ~15 min). A shut receive window counts too
        // (Linux ≥ 5.11 applies the timeout to zero-window probes). An option of the socket,
        // not of the descriptor: a duplicate shares it.
        const unsigned int ms = unsigned(std::min<qint64>(m_limits.peerTimeoutMs, 3600 * 1000));
        if (::setsockopt(int(socket->socketDescriptor()), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms,
                         sizeof ms) != 0)
            qCWarning(lcSse) << "TCP_USER_TIMEOUT refused:" << strerror(errno);
    }
    // Over HTTPS every byte must go through the socket's TLS layer (the TLS session lives in
    // the socket object).
    SseTransport::Listener &listener = *this;
    if (m_limits.takeDescriptor && !qobject_cast<QSslSocket *>(socket))
        m_transport = DescriptorTransport::takeFrom(*socket, poller, listener);
    if (!m_transport) {
        GuardedTcpServer::markAsStream(socket);
        m_transport = std::make_unique<SocketTransport>(socket, listener);
    }
    m_lastProgressMs = QDateTime::currentMSecsSinceEpoch();
    // The response head is written here rather than through the responder, in one write with
    // the first event, so it can go straight to the kernel.
    write(responseHead(extraHeaders, retryMs));
}

SseSession::~SseSession()
{
    unfollowFeeds();
}

void SseSession::transportProgressed()
{
    m_lastProgressMs = QDateTime::currentMSecsSinceEpoch();
    pump();
}

void SseSession::transportEnded(SseTransport::Ended how)
{
    switch (how) {
    case SseTransport::Ended::PeerClosed:
        close(CloseReason::ClientClosed);
        return;
    case SseTransport::Ended::TimedOut:
        // The kernel ended the connection after the peer timeout (ETIMEDOUT): tell a
        // vanished peer from one whose window stayed shut.
        qCDebug(lcSse) << m_client.toString() << "connection timed out";
        close(timeoutReason());
        return;
    case SseTransport::Ended::Failed:
        close(CloseReason::WriteFailed);
        return;
    }
}

SseSession::CloseReason SseSession::timeoutReason() const
{
    // A window seen shut at the last check: the peer acknowledged, it just stopped reading.
    return m_windowShutSinceMs >= 0 ? CloseReason::StalledReader : CloseReason::DeadPeer;
}

void SseSession::watchWindow(qint64 nowMs)
{
    // tcpi_snd_wnd is the peer's last advertised receive window (Linux ≥ 6.2; an older
    // kernel returns a shorter struct, and every timeout then counts as a dead peer). The
    // kernel itself ends a connection whose window stays shut for the peer timeout (Linux ≥
    // 5.11); this check names the reason, and ends it on kernels that would not.
    if (!m_open || m_limits.peerTimeoutMs <= 0)
        return;
    struct tcp_info info {};
    socklen_t length = sizeof info;
    if (::getsockopt(m_transport->descriptor(), IPPROTO_TCP, TCP_INFO, &info, &length) != 0 ||
        length < socklen_t(offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof info.tcpi_snd_wnd))
        return;
    // Shut and no byte acknowledged since it was first seen shut: a reader that reads, however
    // slowly, moves tcpi_bytes_acked between two looks even if its window is shut at both.
    if (info.tcpi_snd_wnd != 0 || info.tcpi_bytes_acked != m_ackedWhenShut) {
        m_windowShutSinceMs = info.tcpi_snd_wnd != 0 ? -1 : nowMs;
        m_ackedWhenShut = info.tcpi_bytes_acked;
        return;
    }
    if (m_windowShutSinceMs < 0)
        m_windowShutSinceMs = nowMs;
    else if (nowMs - m_windowShutSinceMs >= m_limits.peerTimeoutMs + m_limits.peerTimeoutMs / 2)
        close(CloseReason::StalledReader);
}

QByteArray SseSession::responseHead(const QList<QPair<QByteArray, QByteArray>> &extraHeaders,
                                    qint64 retryMs)
{
    QByteArray head = "HTTP/1.1 200 OK\r\n"
                      "Content-Type: text/event-stream; charset=utf-8\r\n"
                      "Cache-Control: no-cache\r\n"
                      "Connection: keep-alive\r\n"
                      "X-Accel-Buffering: no\r\n";
    for (const auto &[name, value] : extraHeaders)
        head += name + ": " + value + "\r\n";
    // A short retry keeps a browser's automatic reconnect inside the grace period.
    return head + "\r\nretry: " + QByteArray::number(retryMs) + "\n\n";
}

QByteArray SseSession::format(const PresenceEvent &event, bool snapshot)
{
    QByteArray out;
    out.reserve(224);
    if (!event.id.isNull()) {
        out += "id: ";
        event.id.appendTo(out);
        out += '\n';
    }
    out += "data: ";
    event.appendJson(out, snapshot ? QByteArrayView(",\"snapshot\":true") : QByteArrayView());
    out += "\n\n";
    return out;
}

void SseSession::followFeeds(std::vector<std::shared_ptr<RoomFeed>> feeds, Metrics *metrics)
{
    unfollowFeeds();
    m_feeds.clear();
    for (auto &feed : feeds) {
        m_cursors.push_back(feed->attach());
        m_feeds.push_back(std::move(feed));
    }
    m_metrics = metrics;
}

void SseSession::unfollowFeeds()
{
    for (qsizetype i = 0; i < m_cursors.size(); ++i)
        m_feeds[i]->detach(m_cursors[i]);
    m_cursors.clear();
}

void SseSession::skipToFeedEnds()
{
    for (qsizetype i = 0; i < m_cursors.size(); ++i)
        m_feeds[i]->move(m_cursors[i], m_feeds[i]->end());
}

void SseSession::prefetch(const SseSession *session)
{
    const char *bytes = reinterpret_cast<const char *>(session);
    for (size_t offset = 0; offset < sizeof(SseSession); offset += 64)
        __builtin_prefetch(bytes + offset);
}

void SseSession::prefetchTransport() const
{
    // The transport's fields a write reads sit in its first two cache lines.
    if (!m_transport)
        return;
    const char *transport = reinterpret_cast<const char *>(m_transport.get());
    __builtin_prefetch(transport);
    __builtin_prefetch(transport + 64);
}

bool SseSession::flush()
{
    if (!m_open)
        return false;
    const quint64 writesBefore = m_writes;
    pump();
    if (m_writes != writesBefore)
        return true; // every write checked the backpressure after it
    checkBackpressure(QDateTime::currentMSecsSinceEpoch());
    return false;
}

void SseSession::sendPaced(QList<Piece> pieces, EventId lastId)
{
    queuePaced(std::move(pieces), lastId);
    pump();
}

void SseSession::queuePaced(QList<Piece> pieces, EventId lastId)
{
    if (!m_open)
        return;
    // Whatever live events came before this go first: they are older.
    flush();
    for (Piece &piece : pieces) {
        if (piece.size() > 0)
            m_paced.push_back(std::move(piece));
    }
    if (lastId > m_lastSent)
        m_lastSent = lastId;
}

qint64 SseSession::pacedBytesLeft() const
{
    qint64 left = 0;
    for (const Piece &piece : m_paced)
        left += piece.size();
    return left;
}

SseSession::FrameBatch SseSession::takeFromFeeds(qsizetype limit)
{
    // The next entry of every feed, merged by id (a session in one room, the usual case, just
    // walks its feed); positions are committed once for the batch.
    FrameBatch batch;
    const auto take = [&](const RoomFeed::Entry &entry, size_t index) {
        const bool repeat = !entry.correction && !entry.id.isNull() && isRepeat(index, entry.id);
        const bool own = entry.clientHash == m_clientHash && entry.client == m_client;
        // A place moves past the session's own events too: a resume need not replay them.
        if (placedInRooms() && !entry.correction && !repeat && !entry.id.isNull())
            m_roomIds[qsizetype(index)] = entry.id;
        if (own || repeat)
            return;
        batch.frames.push_back(placedInRooms() ? withCursorId(entry.frame) : entry.frame);
        batch.bytes += batch.frames.back().size();
        if (!entry.correction && entry.id > m_lastSent)
            m_lastSent = entry.id;
        if (m_metrics)
            ++m_metrics->eventsSent;
    };
    if (m_cursors.size() == 1) {
        RoomFeed &feed = *m_feeds.front();
        RoomFeed::Cursor at = m_cursors.front();
        RoomFeed::Cursor through;
        while (batch.bytes < limit) {
            const RoomFeed::Entry *entry = feed.next(at, &through);
            at = through;
            if (!entry) {
                batch.atEnd = true;
                break;
            }
            take(*entry, 0);
        }
        feed.move(m_cursors.front(), at);
        return batch;
    }
    const size_t feeds = size_t(m_cursors.size());
    std::vector<RoomFeed::Cursor> at(m_cursors.cbegin(), m_cursors.cend());
    std::vector<RoomFeed::Cursor> through(feeds);
    std::vector<const RoomFeed::Entry *> next(feeds);
    for (size_t i = 0; i < feeds; ++i)
        next[i] = m_feeds[qsizetype(i)]->next(at[i], &through[i]);
    while (batch.bytes < limit) {
        size_t pick = feeds;
        for (size_t i = 0; i < feeds; ++i) {
            if (next[i] && (pick == feeds || next[i]->id < next[pick]->id))
                pick = i;
        }
        if (pick == feeds) {
            at = through; // every feed read to its end
            batch.atEnd = true;
            break;
        }
        take(*next[pick], pick);
        at[pick] = through[pick];
        next[pick] = m_feeds[qsizetype(pick)]->next(at[pick], &through[pick]);
    }
    for (size_t i = 0; i < feeds; ++i)
        m_feeds[qsizetype(i)]->move(m_cursors[qsizetype(i)], at[i]);
    return batch;
}

qint64 SseSession::liveBacklog() const
{
    // Paced output waits in the process a chunk at a time however large it is: not counted.
    qint64 queued = m_paced.empty() && m_transport ? m_transport->bytesToWrite() : 0;
    // While a replay is fetched the feeds wait for it: that is the fetch's time, not the reader's.
    for (qsizetype i = 0; i < m_cursors.size() && !m_replaying; ++i)
        queued += m_feeds[i]->bytesAfter(m_cursors[i]);
    return queued;
}

void SseSession::pump()
{
    // Re-entered from write() → bytesWritten in some Qt paths; one loop at a time.
    if (m_pumping || !m_open)
        return;
    m_pumping = true;
    while (m_open && m_transport->bytesToWrite() < m_limits.pacedChunkBytes) {
        if (!m_paced.empty()) {
            // The piece is taken off first: a failing write closes the session, which clears
            // m_paced under our feet.
            Piece piece = m_paced.front();
            const qsizetype n = std::min<qsizetype>(piece.size(), m_limits.pacedChunkBytes);
            if (n == piece.size()) {
                m_paced.pop_front();
                if (m_paced.empty())
                    m_paced = {}; // the roster is out: no capacity kept for the stream's life
            } else
                m_paced.front().begin += n;
            write(QByteArrayView(piece.bytes->constData() + piece.begin, n));
            continue;
        }
        if (m_replaying)
            break; // the feeds follow the replay
        // The paced output is all with the kernel or in the transport's queue: the live events
        // that came meanwhile follow.
        const FrameBatch batch = takeFromFeeds(m_limits.pacedChunkBytes);
        if (batch.frames.isEmpty())
            break;
        if (m_metrics)
            ++m_metrics->eventWrites;
        QVarLengthArray<QByteArrayView, 16> parts;
        for (const QByteArray &frame : batch.frames)
            parts.push_back(frame);
        write(parts.constData(), parts.size());
        if (batch.atEnd)
            break; // nothing more is waiting: no second look at the feeds
    }
    m_pumping = false;
}

bool SseSession::isRepeat(size_t index, const EventId &id) const
{
    return placedInRooms() ? id <= m_roomIds.at(qsizetype(index)) : id <= m_lastSent;
}

QByteArray SseSession::withCursorId(const QByteArray &frame) const
{
    QByteArray out = "id: " + RoomCursor{m_roomIds}.toByteArray() + '\n';
    if (!frame.startsWith("id: "))
        return out + frame;
    return out.append(QByteArrayView(frame).sliced(frame.indexOf('\n') + 1));
}

void SseSession::placeInRooms(QList<EventId> idsPerRoom)
{
    Q_ASSERT(idsPerRoom.size() == m_rooms.size());
    m_roomIds = std::move(idsPerRoom);
    sendPaced({pieceOf("id: " + RoomCursor{m_roomIds}.toByteArray() + "\n\n")}, EventId{});
}

void SseSession::finishReplay(const QList<PresenceEvent> &replayed)
{
    // What came while the replay was fetched waits in the feeds, after it; the id check skips
    // what the replay already holds.
    m_replaying = false;
    QByteArray batch;
    EventId last;
    for (const PresenceEvent &event : replayed) {
        if (placedInRooms()) {
            const qsizetype room = m_rooms.indexOf(event.room);
            if (room < 0 || (!event.id.isNull() && event.id <= m_roomIds.at(room)))
                continue;
            m_roomIds[room] = event.id;
            batch += withCursorId(format(event, false));
            continue;
        }
        if (!event.id.isNull() && event.id <= std::max(m_lastSent, last))
            continue;
        batch += format(event, false);
        last = std::max(last, event.id);
    }
    if (!batch.isEmpty())
        sendPaced({pieceOf(std::move(batch))}, last);
    flush();
}

void SseSession::sendComment(QByteArrayView text)
{
    // While paced output is on its way it is the traffic that keeps the stream alive, and a
    // comment must not land between two of its chunks.
    if (!m_open || !m_paced.empty())
        return;
    flush();
    write(QByteArray(": " + text.toByteArray() + "\n\n"));
}

void SseSession::write(const QByteArrayView *parts, qsizetype count)
{
    if (!m_open)
        return;
    if (!m_transport->isConnected() || ++m_writeAttempts == m_limits.failingWrite) {
        close(CloseReason::WriteFailed);
        return;
    }
    const qint64 queuedBefore = m_transport->bytesToWrite();
    if (const auto ended = m_transport->write(parts, count)) {
        transportEnded(*ended);
        return;
    }
    qsizetype size = 0;
    for (qsizetype i = 0; i < count; ++i)
        size += parts[i].size();
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    // The kernel took bytes of this write (rather than all of it being queued behind).
    if (m_transport->bytesToWrite() < queuedBefore + size)
        m_lastProgressMs = nowMs;
    m_bytesSent += size;
    ++m_writes;
    checkBackpressure(nowMs);
}

void SseSession::checkBackpressure(qint64 nowMs)
{
    if (!m_open)
        return;
    // A reader that is behind but keeps taking bytes is left alone: what it has still to get
    // waits in the room's feeds, bounded by the room's members. One that took nothing for
    // the time allowed while over a limit is stuck.
    const qint64 queued = liveBacklog();
    const qint64 stalledMs = nowMs - m_lastProgressMs;
    if (queued > m_limits.hardQueuedBytes &&
        stalledMs >= std::min<qint64>(m_limits.slowReaderMs, 1000)) {
        close(CloseReason::SlowReader);
        return;
    }
    // Back under the soft limit ends the watch only if the reader took bytes since it went
    // over: a stuck one's backlog may shrink by coalescing alone (the feeds drop superseded
    // changes) and hover around the limit without it ever reading.
    if (queued <= m_limits.softQueuedBytes &&
        (m_overSoftLimitSinceMs < 0 || m_lastProgressMs > m_overSoftLimitSinceMs)) {
        m_overSoftLimitSinceMs = -1;
        return;
    }
    if (m_overSoftLimitSinceMs < 0)
        m_overSoftLimitSinceMs = nowMs;
    else if (nowMs - m_overSoftLimitSinceMs >= m_limits.slowReaderMs &&
             stalledMs >= m_limits.slowReaderMs)
        close(CloseReason::SlowReader);
}

void SseSession::close(CloseReason reason)
{
    if (!m_open)
        return;
    m_paced = {};
    unfollowFeeds();
    m_open = false;
    m_transport->close(reason == CloseReason::ServerShutdown ? SseTransport::CloseMode::Flush
                       : reason == CloseReason::ClientClosed
                           ? SseTransport::CloseMode::AlreadyClosed
                           : SseTransport::CloseMode::Abort);
    Q_EMIT closed(this, reason);
}

} // namespace presence
