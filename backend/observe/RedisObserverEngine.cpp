#include "RedisObserverEngine.h"

#include "redis/ClusterRedirect.h"
#include "redis/DiagnosticsReply.h"
#include "redis/RosterReply.h"
#include "redis/StreamEntries.h"
#include "redis/TopologyReply.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcRedisObserver, "presence.observe.redis")

namespace presence {

namespace {
RedisConnection::Options observerOptions(const QString &id, const char *role)
{
    RedisConnection::Options options;
    options.clientName =
        QByteArray("presence-observer:") + role + ':' + id.toUtf8().replace(' ', '_');
    return options;
}
} // namespace

RedisObserverEngine::RedisObserverEngine(const RedisUrl &url, Config config, QObject *parent)
    : ObserverEngine(parent)
    , m_config(std::move(config))
    , m_commands(url, observerOptions(m_config.observerId, "commands"))
    , m_reader(url, observerOptions(m_config.observerId, "presence"))
    , m_stream(m_reader, m_config.keys)
{
    // Every time the commands connection comes (back) up, the roster is read again: whatever
    // happened meanwhile (a Redis restarted empty, a stream trimmed or rewound) is then told
    // as corrections rather than guessed from the stream.
    connect(&m_commands, &RedisConnection::stateChanged, this,
            [this](RedisConnection::State state, const QString &error) {
                if (state == RedisConnection::State::Up)
                    sync();
                else if (state == RedisConnection::State::Down)
                    qCWarning(lcRedisObserver).noquote() << "redis unreachable:" << error;
                Q_EMIT healthChanged();
            });
    connect(&m_reader, &RedisConnection::stateChanged, this, &PresenceEngine::healthChanged);
    connect(&m_stream, &PresenceStreamReader::entriesRead, this, &RedisObserverEngine::apply);
    m_timing = m_config.timing;
}

RedisObserverEngine::~RedisObserverEngine() = default;

void RedisObserverEngine::start()
{
    qCInfo(lcRedisObserver).noquote()
        << "observing the deployment at" << m_commands.url().toDisplayString() << "(read-only)";
    m_commands.open();
    m_reader.open();
}

void RedisObserverEngine::sync()
{
    if (m_syncing)
        return;
    m_syncing = true;
    // Position first, roster second, on one pipelined connection (as a node does): whatever
    // lands between the two is read again from the stream and is a repeat.
    auto position = std::make_shared<EventId>();
    m_commands.command({"XREVRANGE", m_config.keys.presenceStream(), "+", "-", "COUNT", "1"},
                       [position](const RedisReply &reply) {
                           const auto entries = parseStreamEntries(reply);
                           if (!entries.isEmpty())
                               *position = entries.first().id;
                       });
    RosterReply::read(m_commands, m_config.keys, this, [this, position](const RosterReply &reply) {
        m_syncing = false;
        // A Redis Cluster node redirects some of the roster's keys (they are in several slots,
        // not all its own): known from the answers, without asking anything a read-only user
        // may not ask.
        const QByteArray said = reply.firstError();
        if (!said.isEmpty()) {
            if (ClusterRedirect::isFromCluster(said)) {
                m_refusal = QStringLiteral("%1 is a Redis Cluster node, which an observer cannot read "
                                           "through Redis (each shard's roster lives on its own "
                                           "primary); watch it through a node instead: --observe "
                                           "http://NODE:PORT")
                                .arg(m_commands.serverDescription());
                qCCritical(lcRedisObserver).noquote() << m_refusal;
                Q_EMIT healthChanged();
                return;
            }
            if (reply.status.isError()) {
                qCWarning(lcRedisObserver).noquote() << "reading the roster failed:" << said;
                return; // a dropped connection: the next Up reads again
            }
        }
        const QList<ClientPresence> rows = reply.rows(m_timing.ttlMs());
        const bool first = !m_synced;
        m_syncedAt = *position;
        m_stream.start(*position);
        const qsizetype corrections = replaceRoster(rows, *position, QString());
        qCInfo(lcRedisObserver).noquote()
            << QStringLiteral("roster read: %1 members%2")
                   .arg(rows.size())
                   .arg(first ? QString() : QStringLiteral(" (again: %1 corrections)").arg(corrections));
        Q_EMIT healthChanged();
    });
}

void RedisObserverEngine::apply(const QList<PresenceEvent> &events)
{
    for (const PresenceEvent &event : events) {
        if (event.id > m_syncedAt) // older: a read in flight across a re-sync; the roster has it
            applyChange(event);
    }
}

void RedisObserverEngine::readRoster(RosterCallback callback)
{
    if (m_commands.state() != RedisConnection::State::Up) {
        callback(snapshot());
        return;
    }
    RosterReply::read(m_commands, m_config.keys, this,
                      [this, callback = std::move(callback)](const RosterReply &reply) {
                          callback(reply.status.isError() ? snapshot()
                                                          : reply.rows(m_timing.ttlMs()));
                      });
}

void RedisObserverEngine::history(EventId after, HistoryCallback callback)
{
    // Nothing here replays to sessions (an observer has none); a caller gets the stream as is.
    m_commands.command({"XRANGE", m_config.keys.presenceStream(), "(" + after.toByteArray(), "+",
                        "COUNT", "10000"},
                       [callback = std::move(callback)](const RedisReply &reply) {
                           History history;
                           history.complete = !reply.isError();
                           for (const StreamEntry &entry : parseStreamEntries(reply)) {
                               if (auto event = parsePresenceEntry(entry))
                                   history.events.append(std::move(*event));
                           }
                           callback(std::move(history));
                       });
}

PresenceEngine::Health RedisObserverEngine::health() const
{
    if (!m_refusal.isEmpty())
        return Health{false, QStringLiteral("refused"), m_refusal};
    for (const RedisConnection *connection : {&m_commands, &m_reader}) {
        switch (connection->state()) {
        case RedisConnection::State::Up:
            break;
        case RedisConnection::State::Connecting:
            return Health{false, QStringLiteral("connecting"), connection->lastError()};
        case RedisConnection::State::Down:
            return Health{false, QStringLiteral("down"), connection->lastError()};
        }
    }
    if (!m_synced)
        return Health{false, QStringLiteral("starting"), QStringLiteral("reading the roster")};
    return Health{true, QStringLiteral("up"), {}};
}

// The deployment's figures in one read-only call (FCALL_RO presence_diagnostics, which the
// README's read-only user may make); the observer's own health beside them.
void RedisObserverEngine::readDiagnostics(const QObject *context, DiagnosticsCallback callback)
{
    EngineDiagnostics d = ownDiagnostics();
    d.storeAddress = m_commands.serverDescription();
    // Not ROLE: the read-only user the README describes may not (it is an @admin command).
    d.topology = knownTopology(m_commands);
    QElapsedTimer round;
    round.start();
    m_commands.command(diagnosticsCommand(m_config.keys),
                       [guard = QPointer<const QObject>(context), callback = std::move(callback), d,
                        round](const RedisReply &reply) mutable {
                           if (!guard)
                               return;
                           d.roundTripMs = round.elapsed();
                           d.storeReadAtMs = d.takenAtMs;
                           if (!parseDiagnosticsReply(reply, d))
                               d.storeDetail = QString::fromUtf8(reply.toDebugString());
                           callback(d);
                       });
}

} // namespace presence
