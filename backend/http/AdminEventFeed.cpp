#include "AdminEventFeed.h"

#include "http/GuardedTcpServer.h"
#include "http/SseSession.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

namespace presence {

namespace {
constexpr qint64 maxUnsentBytes = 8 * 1024 * 1024;

} // namespace

AdminEventFeed::AdminEventFeed(PresenceEngine &engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
{
    connect(&m_engine, &PresenceEngine::presenceChanged, this, &AdminEventFeed::broadcast);
    // A roster replaced wholesale (a node's first sync with Redis) is sent again whole.
    // Once per burst: a cluster node that starts reading every shard resets 16 rosters at once.
    connect(&m_engine, &PresenceEngine::rosterReset, this, [this] {
        if (!std::exchange(m_resendPending, true))
            QMetaObject::invokeMethod(this, &AdminEventFeed::resend, Qt::QueuedConnection);
    });
    m_keepalive.setInterval(5000);
    connect(&m_keepalive, &QTimer::timeout, this, &AdminEventFeed::keepalive);
}

AdminEventFeed::~AdminEventFeed() { closeAll(); }

void AdminEventFeed::open(QHttpServerResponder &&responder, std::optional<RoomName> room,
                          const HttpHeaders &extraHeaders)
{
    QTcpSocket *socket = responder.socket();
    if (!socket)
        return;
    Watcher &watcher = m_watchers.emplace_back(Watcher{std::move(responder), socket, room});
    // A Redis Cluster node reads only the shards a reader needs: until the watched rooms are
    // read, the roster sent now is partial, and the whole one follows (rosterReset → resend).
    m_engine.follow(followed(watcher), {});
    GuardedTcpServer::markAsStream(socket);
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] { forget(socket); });
    // Drop the watcher before the socket is gone (writing through a responder whose socket
    // is gone crashes).
    connect(socket, &QObject::destroyed, this, [this, socket] { forget(socket); });
    if (write(watcher, SseSession::responseHead(extraHeaders, 1500)))
        sendRoster(watcher);
    prune();
    if (!m_watchers.empty() && !m_keepalive.isActive())
        m_keepalive.start();
}

void AdminEventFeed::sendRoster(Watcher &watcher)
{
    const QList<ClientPresence> rows =
        watcher.room ? m_engine.roomSnapshot(*watcher.room) : m_engine.snapshot();
    const EventId at = m_engine.lastEventId();
    QByteArray out;
    for (const ClientPresence &row : rows) {
        const QString node = row.nodes.isEmpty() ? QString() : row.nodes.first();
        out += SseSession::format({at, row.client, row.status, row.reason, row.sinceMs, node, row.room}, true);
    }
    const QJsonObject synced{{QStringLiteral("members"), rows.size()},
                             {QStringLiteral("id"), at.toString()}};
    out += "event: synced\ndata: " + QJsonDocument(synced).toJson(QJsonDocument::Compact) + "\n\n";
    write(watcher, out);
}

void AdminEventFeed::broadcast(const PresenceEvent &event)
{
    if (m_watchers.empty())
        return; // nobody to format it for (most nodes, most of the time)
    const QByteArray bytes = SseSession::format(event, false);
    for (Watcher &watcher : m_watchers) {
        if (!watcher.room || *watcher.room == event.room)
            write(watcher, bytes);
    }
    prune();
}

void AdminEventFeed::resend()
{
    m_resendPending = false;
    for (Watcher &watcher : m_watchers)
        sendRoster(watcher);
    prune();
}

void AdminEventFeed::keepalive()
{
    for (Watcher &watcher : m_watchers)
        write(watcher, ": keepalive\n\n");
    prune();
}

bool AdminEventFeed::write(Watcher &watcher, const QByteArray &bytes)
{
    QTcpSocket *socket = watcher.socket;
    if (!socket || socket->state() != QAbstractSocket::ConnectedState) {
        watcher.socket = nullptr;
        return false;
    }
    if (socket->bytesToWrite() > maxUnsentBytes) {
        watcher.socket = nullptr; // before abort(): its disconnected() lands in forget()
        socket->abort();
        return false;
    }
    socket->write(bytes);
    return true;
}

// Only marks: this may run inside one of the loops above (abort() emits disconnected()).
void AdminEventFeed::forget(QTcpSocket *socket)
{
    for (Watcher &watcher : m_watchers) {
        if (watcher.socket == socket)
            watcher.socket = nullptr;
    }
    QMetaObject::invokeMethod(this, &AdminEventFeed::prune, Qt::QueuedConnection);
}

QList<RoomName> AdminEventFeed::followed(const Watcher &watcher)
{
    return watcher.room ? QList<RoomName>{*watcher.room} : QList<RoomName>{}; // none: every room
}

void AdminEventFeed::prune()
{
    m_watchers.remove_if([this](const Watcher &watcher) {
        if (watcher.socket)
            return false;
        m_engine.unfollow(followed(watcher));
        return true;
    });
    if (m_watchers.empty())
        m_keepalive.stop();
}

void AdminEventFeed::closeAll()
{
    for (Watcher &watcher : m_watchers) {
        if (QTcpSocket *socket = watcher.socket)
            socket->disconnectFromHost();
        watcher.socket = nullptr;
    }
    prune();
}

} // namespace presence
