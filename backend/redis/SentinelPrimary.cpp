#include "redis/SentinelPrimary.h"

#include "redis/RedisConnection.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcRedis)

namespace presence {

namespace {

const QByteArray switchMaster = QByteArrayLiteral("+switch-master");

QString hostPort(const RedisUrl &url)
{
    return QStringLiteral("%1:%2").arg(url.host()).arg(url.port());
}

} // namespace

SentinelPrimary::SentinelPrimary(RedisUrl group, int askTimeoutMs, QObject *parent)
    : PrimaryLocator(parent)
    , m_group(std::move(group))
    , m_askTimeoutMs(askTimeoutMs)
{
    m_askTimer.setSingleShot(true);
    connect(&m_askTimer, &QTimer::timeout, this, [this] {
        skip(m_start + m_asked - 1,
             QStringLiteral("no answer within %1 ms").arg(m_askTimeoutMs));
    });
    m_rewatchTimer.setSingleShot(true);
    connect(&m_rewatchTimer, &QTimer::timeout, this,
            [this] { watch((m_watched + 1) % m_group.sentinels().size()); });
}

SentinelPrimary::~SentinelPrimary() = default;

QString SentinelPrimary::describe(const RedisUrl &url, const RedisUrl &server) const
{
    if (server.isSentinel()) // no Sentinel has named the primary yet
        return QStringLiteral("%1 (asking the Sentinels for the primary)").arg(url.toDisplayString());
    return QStringLiteral("%1 (primary %2:%3)").arg(url.toDisplayString(), server.host()).arg(server.port());
}

QString SentinelPrimary::notLocatedWithin(const RedisUrl &url, int ms) const
{
    return QStringLiteral("cannot connect to %1: the Sentinels named no primary within %2 ms")
        .arg(url.toDisplayString())
        .arg(ms);
}

QString SentinelPrimary::movedAway(const QString &host, quint16 port) const
{
    return QStringLiteral("the Sentinels moved the primary of \"%1\" to %2:%3; reconnecting there")
        .arg(m_group.masterName(), host)
        .arg(port);
}

void SentinelPrimary::locate(Found found)
{
    cancel();
    m_found = std::move(found);
    m_failures.clear();
    m_asked = 0;
    askNext();
}

void SentinelPrimary::cancel()
{
    m_found = {};
    m_askTimer.stop();
    m_asker.reset();
}

void SentinelPrimary::askNext()
{
    const qsizetype count = m_group.sentinels().size();
    if (m_asked == count) {
        const Found found = std::exchange(m_found, {});
        m_asker.reset();
        const QString why =
            QStringLiteral("no Sentinel named a primary for \"%1\" (%2)")
                .arg(m_group.masterName(), m_failures.join(QStringLiteral("; ")));
        QMetaObject::invokeMethod(
            this, [found, why] { found(std::nullopt, why); }, Qt::QueuedConnection);
        return;
    }
    const qsizetype sentinel = (m_start + m_asked) % count;
    ++m_asked;
    RedisConnection::Options options;
    options.connectTimeoutMs = m_askTimeoutMs;
    options.replyTimeoutMs = m_askTimeoutMs;
    options.initialBackoffMs = m_askTimeoutMs; // one attempt per ask, in effect
    options.clientName = QByteArrayLiteral("presence:sentinel-ask");
    m_asker = std::make_unique<RedisConnection>(m_group.sentinelUrl(sentinel), options);
    m_asker->open();
    m_askTimer.start(m_askTimeoutMs);
    m_asker->command(
        {"SENTINEL", "get-master-addr-by-name", m_group.masterName().toUtf8()},
        [this, sentinel](const RedisReply &reply) {
            const QList<RedisReply> &parts = reply.elements();
            bool ok = false;
            const qint64 port = parts.size() == 2 ? parts[1].toInteger(&ok) : 0;
            if (ok && port > 0 && port < 65536 && !parts[0].toByteArray().isEmpty())
                return answered(sentinel, QString::fromUtf8(parts[0].toByteArray()), quint16(port));
            skip(sentinel, reply.isNil()
                               ? QStringLiteral("it knows no primary of that name")
                               : QString::fromUtf8(reply.isError() ? reply.toByteArray()
                                                                   : reply.toDebugString()));
        });
}

void SentinelPrimary::answered(qsizetype sentinel, const QString &host, quint16 port)
{
    m_askTimer.stop();
    m_start = sentinel;
    m_lastSentinel = hostPort(m_group.sentinelUrl(sentinel));
    const Found found = std::exchange(m_found, {});
    // Not from inside the asker's callback: the asker goes now.
    QMetaObject::invokeMethod(
        this,
        [this, found, primary = m_group.withPrimary(host, port)] {
            m_asker.reset();
            if (found)
                found(primary, {});
        },
        Qt::QueuedConnection);
}

void SentinelPrimary::skip(qsizetype sentinel, const QString &why)
{
    m_askTimer.stop();
    m_failures.append(
        QStringLiteral("%1: %2").arg(hostPort(m_group.sentinelUrl(sentinel % m_group.sentinels().size())), why));
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (m_found)
                askNext();
        },
        Qt::QueuedConnection);
}

void SentinelPrimary::follow()
{
    if (m_following)
        return;
    m_following = true;
    watch(m_start);
}

void SentinelPrimary::watch(qsizetype sentinel)
{
    m_watched = sentinel;
    RedisConnection::Options options;
    options.clientName = QByteArrayLiteral("presence:sentinel-watch");
    options.connectTimeoutMs = m_askTimeoutMs;
    m_watcher = std::make_unique<RedisConnection>(m_group.sentinelUrl(sentinel), options);
    m_watcher->subscribe({switchMaster}, [this](const QByteArray &, const QByteArray &payload) {
        onAnnouncement(payload);
    });
    // A Sentinel that goes away is replaced by the next one (after a pause, so a group that
    // is all down is not dialled in a tight loop).
    connect(m_watcher.get(), &RedisConnection::stateChanged, this,
            [this](RedisConnection::State state) {
                if (state == RedisConnection::State::Down && !m_rewatchTimer.isActive())
                    m_rewatchTimer.start(500);
                else if (state == RedisConnection::State::Up)
                    m_rewatchTimer.stop();
            });
    m_watcher->open();
}

// "<master name> <old ip> <old port> <new ip> <new port>"
void SentinelPrimary::onAnnouncement(const QByteArray &payload)
{
    const QList<QByteArray> words = payload.split(' ');
    if (words.size() != 5 || QString::fromUtf8(words[0]) != m_group.masterName())
        return;
    bool ok = false;
    const uint port = words[4].toUInt(&ok);
    if (!ok || port == 0 || port > 65535)
        return;
    qCInfo(lcRedis, "Sentinel: the primary of %ls moved from %s:%s to %s:%s",
           qUtf16Printable(m_group.masterName()), words[1].constData(), words[2].constData(),
           words[3].constData(), words[4].constData());
    Q_EMIT moved(QString::fromUtf8(words[3]), quint16(port));
}

} // namespace presence
