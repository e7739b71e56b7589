#pragma once

#include "observe/ObserverEngine.h"
#include "observe/SseEventParser.h"

#include <QNetworkAccessManager>
#include <QPointer>
#include <QTimer>
#include <QUrl>

class QNetworkReply;

namespace presence {

// Watches a deployment through one of its nodes: GET /api/events (every room's changes, the
// roster first; AdminEventFeed) with the admin token, and GET /api/presence for readRoster().
// It joins nothing and holds no session in the node's roster. A node that goes away (refused,
// closed, or silent past twice its keepalive period) is told in health() and retried with
// backoff; a refused token is told as such. Each reconnect reads the roster again and tells
// the differences as corrections (reason "resync").
class HttpObserverEngine final : public ObserverEngine {
    Q_OBJECT
public:
    struct Config {
        QUrl node;             // http://host:port
        QByteArray adminToken; // sent as Authorization: Bearer, when set
        PresenceTiming timing;
        int silenceTimeoutMs = 15000; // the node sends keepalives every 5 s
        int maxBackoffMs = 5000;
    };

    explicit HttpObserverEngine(Config config, QObject *parent = nullptr);
    ~HttpObserverEngine() override;

    void start();

    QString kind() const override { return QStringLiteral("http observer"); }
    void readRoster(RosterCallback callback) override;
    EventId lastEventId() const override { return m_position; }
    void history(EventId, HistoryCallback callback) override { callback(History{}); }
    Health health() const override { return m_health; }

private:
    QNetworkRequest request(const QString &path) const;
    void connectStream();
    void onData();
    void onFinished();
    void handle(const SseEventParser::Event &event);
    void finishRoster(const QByteArray &data);
    void setHealth(bool ok, const QString &state, const QString &detail);
    void retryLater();

    Config m_config;
    QNetworkAccessManager m_network;
    QPointer<QNetworkReply> m_stream;
    SseEventParser m_parser;
    QList<ClientPresence> m_incoming; // the roster being received, until "synced"
    bool m_receivingRoster = false;
    EventId m_position;
    Health m_health{false, QStringLiteral("connecting"), {}};
    QTimer m_silence;
    QTimer m_retry;
    int m_backoffMs = 0;
};

} // namespace presence
