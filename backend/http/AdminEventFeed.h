#pragma once

#include "engine/PresenceEngine.h"
#include "http/HttpReply.h"

#include <QHttpServerResponder>
#include <QTcpSocket>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <list>
#include <optional>

namespace presence {

// GET /api/events: every room's changes on this node as one SSE stream, for observers
// (`presence --observe http://node`) and the page's watch mode. Admin-token protected like the
// other /api routes (HttpFrontend checks). Watching registers nothing: no member, no session
// in the roster, no heartbeat.
//
//   retry: 1500
//   id: <lastEventId>            the roster first, every member (OFFLINE too), "snapshot":true
//   data: {"client":"alice","status":"ONLINE",…,"snapshot":true}
//   event: synced                the roster is complete: {"members":N,"id":"<lastEventId>"}
//   id: …  data: {…}             then every change, with the SSE event data of GET /{client}
//
// `?room=R` narrows it to one room. A watcher whose unsent data passes 8 MiB is dropped (it
// reconnects and gets a fresh roster); keepalive comments every 5 s.
class AdminEventFeed final : public QObject {
    Q_OBJECT
public:
    explicit AdminEventFeed(PresenceEngine &engine, QObject *parent = nullptr);
    ~AdminEventFeed() override;

    void open(QHttpServerResponder &&responder, std::optional<RoomName> room,
              const HttpHeaders &extraHeaders);
    qsizetype watcherCount() const { return qsizetype(m_watchers.size()); }
    void closeAll();

private:
    struct Watcher {
        QHttpServerResponder responder;
        QPointer<QTcpSocket> socket;
        std::optional<RoomName> room;
    };
    static QList<RoomName> followed(const Watcher &watcher);
    void broadcast(const PresenceEvent &event);
    void resend();
    void keepalive();
    void prune();
    void sendRoster(Watcher &watcher);
    bool write(Watcher &watcher, const QByteArray &bytes);
    void forget(QTcpSocket *socket);

    PresenceEngine &m_engine;
    bool m_resendPending = false;
    std::list<Watcher> m_watchers; // stable addresses: the responders are not movable once open
    QTimer m_keepalive;
};

} // namespace presence
