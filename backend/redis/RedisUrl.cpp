#include "redis/RedisUrl.h"

#include <QList>
#include <QStringList>
#include <limits>

namespace presence {

namespace {

constexpr QStringView kUnixScheme = u"unix://";

struct Scheme {
    QStringView prefix;
    bool tls;
    bool sentinel;
};
constexpr Scheme kSchemes[] = {{u"redis://", false, false},
                               {u"rediss://", true, false},
                               {u"redis-sentinel://", false, true},
                               {u"rediss-sentinel://", true, true}};

bool fail(QString *whyNot, const QString &sentence)
{
    if (whyNot)
        *whyNot = sentence;
    return false;
}

// Digits only: "+3", " 3" and "3x" are typos worth reporting, not values to round.
std::optional<qint64> parseDigits(QStringView text)
{
    if (text.isEmpty() || text.size() > 10)
        return std::nullopt;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
    }
    return text.toLongLong();
}

bool parseDatabase(QStringView text, int *db, QString *whyNot)
{
    const auto value = parseDigits(text);
    if (!value || *value > std::numeric_limits<int>::max()) {
        return fail(
            whyNot,
            QStringLiteral("the database must be a non-negative integer, not \"%1\"").arg(text));
    }
    *db = static_cast<int>(*value);
    return true;
}

bool isHex(QChar c)
{
    return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}

// Decodes %XX escapes; a lone "%" is rejected rather than passed through, because a password
// that silently differs from what the operator typed fails AUTH with no hint why.
std::optional<QByteArray> percentDecode(QStringView text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == u'%' &&
            (i + 2 >= text.size() || !isHex(text[i + 1]) || !isHex(text[i + 2]))) {
            return std::nullopt;
        }
    }
    return QByteArray::fromPercentEncoding(text.toUtf8());
}

// "?db=N" is the only query parameter understood; anything else is more likely a typo
// (or an option of another client library) than something to ignore.
bool parseQuery(QStringView query, int *db, QString *whyNot)
{
    if (query.isEmpty())
        return true;
    for (QStringView pair : query.split(u'&')) {
        const qsizetype eq = pair.indexOf(u'=');
        const QStringView key = eq < 0 ? pair : pair.left(eq);
        if (key != u"db") {
            return fail(whyNot, QStringLiteral("unknown URL parameter \"%1\" (only \"db\" is "
                                               "understood)")
                                    .arg(key));
        }
        if (!parseDatabase(eq < 0 ? QStringView() : pair.mid(eq + 1), db, whyNot))
            return false;
    }
    return true;
}

bool parseHostPort(QStringView text, QString *host, quint16 *port, QString *whyNot)
{
    QStringView portText;
    bool hasPort = false;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0)
            return fail(whyNot, QStringLiteral("the IPv6 address lacks its closing \"]\""));
        *host = text.mid(1, close - 1).toString();
        const QStringView rest = text.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(u':'))
            return fail(whyNot,
                        QStringLiteral("unexpected \"%1\" after the IPv6 address").arg(rest));
        hasPort = !rest.isEmpty();
        portText = rest.mid(1);
    } else {
        const qsizetype colon = text.indexOf(u':');
        if (colon >= 0 && text.indexOf(u':', colon + 1) >= 0) {
            return fail(whyNot, QStringLiteral("an IPv6 address must be written in brackets, "
                                               "e.g. redis://[::1]:6379"));
        }
        *host = (colon < 0 ? text : text.left(colon)).toString();
        hasPort = colon >= 0;
        portText = colon < 0 ? QStringView() : text.mid(colon + 1);
    }
    if (host->isEmpty())
        return fail(whyNot, QStringLiteral("the host is empty"));
    if (hasPort) {
        const auto value = parseDigits(portText);
        if (!value || *value < 1 || *value > 65535) {
            return fail(whyNot, QStringLiteral("the port must be a number from 1 to 65535, "
                                               "not \"%1\"")
                                    .arg(portText));
        }
        *port = static_cast<quint16>(*value);
    }
    return true;
}

bool parseUserInfo(QStringView text, QString *user, QByteArray *password, QString *whyNot)
{
    const qsizetype colon = text.indexOf(u':');
    if (colon < 0) {
        return fail(whyNot, QStringLiteral("a user name needs a password: write "
                                           "redis://USER:PASSWORD@host, or redis://:PASSWORD@host "
                                           "for a password alone"));
    }
    const auto decodedUser = percentDecode(text.left(colon));
    const auto decodedPassword = percentDecode(text.mid(colon + 1));
    if (!decodedUser)
        return fail(whyNot, QStringLiteral("the user name has a malformed %-escape"));
    if (!decodedPassword)
        return fail(whyNot, QStringLiteral("the password has a malformed %-escape"));
    if (decodedPassword->isEmpty())
        return fail(whyNot, QStringLiteral("the password is empty"));
    *user = QString::fromUtf8(*decodedUser);
    *password = *decodedPassword;
    return true;
}

} // namespace

std::optional<RedisUrl> RedisUrl::parse(QStringView text, QString *whyNot)
{
    text = text.trimmed();
    RedisUrl url;
    if (text.startsWith(kUnixScheme, Qt::CaseInsensitive)) {
        url.m_transport = Transport::Unix;
        QStringView rest = text.mid(kUnixScheme.size());
        const qsizetype question = rest.indexOf(u'?');
        if (!parseQuery(question < 0 ? QStringView() : rest.mid(question + 1), &url.m_db, whyNot))
            return std::nullopt;
        rest = question < 0 ? rest : rest.left(question);
        if (!rest.startsWith(u'/') || rest.size() < 2) {
            fail(whyNot, QStringLiteral("a unix socket URL needs an absolute path, "
                                        "e.g. unix:///run/redis/redis.sock"));
            return std::nullopt;
        }
        url.m_path = rest.toString();
        return url;
    }
    const Scheme *scheme = nullptr;
    for (const Scheme &candidate : kSchemes) {
        if (text.startsWith(candidate.prefix, Qt::CaseInsensitive))
            scheme = &candidate;
    }
    if (!scheme) {
        fail(whyNot, QStringLiteral("\"%1\" is not a Redis URL: expected "
                                    "redis://[user:password@]host:port[/db], rediss://…, "
                                    "redis-sentinel://host:port[,host:port…][/db]#MASTER or "
                                    "unix:///path/to.sock")
                         .arg(text.left(text.indexOf(u':') < 0 ? 40 : text.indexOf(u':'))));
        return std::nullopt;
    }
    url.m_tls = scheme->tls;
    QStringView rest = text.mid(scheme->prefix.size());
    if (scheme->sentinel) {
        const qsizetype hash = rest.lastIndexOf(u'#');
        if (hash < 0 || hash == rest.size() - 1) {
            fail(whyNot, QStringLiteral("a Sentinel URL names its primary after \"#\", e.g. "
                                        "redis-sentinel://host:26379#mymaster"));
            return std::nullopt;
        }
        url.m_masterName = rest.mid(hash + 1).toString();
        rest = rest.left(hash);
    } else if (rest.contains(u'#')) {
        fail(whyNot, QStringLiteral("\"#\" (a Sentinel's primary name) needs the "
                                    "redis-sentinel:// scheme"));
        return std::nullopt;
    }
    // The last "@" ends the credentials, so an unescaped "@" or "/" in a password still works.
    const qsizetype at = rest.lastIndexOf(u'@');
    if (at >= 0) {
        if (!parseUserInfo(rest.left(at), &url.m_user, &url.m_password, whyNot))
            return std::nullopt;
        rest = rest.mid(at + 1);
    }
    const qsizetype question = rest.indexOf(u'?');
    if (!parseQuery(question < 0 ? QStringView() : rest.mid(question + 1), &url.m_db, whyNot))
        return std::nullopt;
    rest = question < 0 ? rest : rest.left(question);
    const qsizetype slash = rest.indexOf(u'/');
    const QStringView hosts = slash < 0 ? rest : rest.left(slash);
    if (scheme->sentinel) {
        for (QStringView one : hosts.split(u',')) {
            HostPort sentinel{QString(), defaultSentinelPort};
            if (!parseHostPort(one, &sentinel.host, &sentinel.port, whyNot))
                return std::nullopt;
            url.m_sentinels.append(sentinel);
        }
        url.m_host = url.m_sentinels.first().host; // until a Sentinel names the primary
        url.m_port = url.m_sentinels.first().port;
    } else {
        const QList<QStringView> seeds = hosts.split(u',');
        if (!parseHostPort(seeds.first(), &url.m_host, &url.m_port, whyNot))
            return std::nullopt;
        for (QStringView one : seeds.mid(1)) {
            HostPort seed;
            if (!parseHostPort(one, &seed.host, &seed.port, whyNot))
                return std::nullopt;
            url.m_moreSeeds.append(seed);
        }
    }
    const QStringView dbText = slash < 0 ? QStringView() : rest.mid(slash + 1);
    if (!dbText.isEmpty()) {
        if (question >= 0) {
            fail(whyNot, QStringLiteral("the database is given twice (path and ?db=)"));
            return std::nullopt;
        }
        if (!parseDatabase(dbText, &url.m_db, whyNot))
            return std::nullopt;
    }
    return url;
}

RedisUrl RedisUrl::tcp(const QString &host, quint16 port, int db)
{
    RedisUrl url;
    url.m_host = host;
    url.m_port = port;
    url.m_db = db;
    return url;
}

RedisUrl RedisUrl::unixSocket(const QString &path, int db)
{
    RedisUrl url;
    url.m_transport = Transport::Unix;
    url.m_path = path;
    url.m_db = db;
    return url;
}

RedisUrl RedisUrl::withCredentials(const QString &user, const QByteArray &password) const
{
    RedisUrl copy = *this;
    copy.m_user = user;
    copy.m_password = password;
    return copy;
}

RedisUrl RedisUrl::withDatabase(int db) const
{
    RedisUrl copy = *this;
    copy.m_db = db;
    return copy;
}

RedisUrl RedisUrl::withTls(bool on) const
{
    RedisUrl copy = *this;
    copy.m_tls = on;
    return copy;
}

RedisUrl RedisUrl::withTlsFiles(TlsFiles files) const
{
    RedisUrl copy = *this;
    copy.m_tlsFiles = std::move(files);
    return copy;
}

QList<RedisUrl::HostPort> RedisUrl::seeds() const
{
    if (m_transport == Transport::Unix || isSentinel())
        return {};
    return QList<HostPort>{{m_host, m_port}} + m_moreSeeds;
}

RedisUrl RedisUrl::withPrimary(const QString &host, quint16 port) const
{
    RedisUrl copy = *this;
    copy.m_sentinels.clear();
    copy.m_moreSeeds.clear();
    copy.m_masterName.clear();
    copy.m_host = host;
    copy.m_port = port;
    return copy;
}

RedisUrl RedisUrl::sentinelUrl(qsizetype index) const
{
    const HostPort &sentinel = m_sentinels.at(index);
    return tcp(sentinel.host, sentinel.port).withTls(m_tls).withTlsFiles(m_tlsFiles);
}

QString RedisUrl::toDisplayString() const
{
    if (m_transport == Transport::Unix) {
        return m_db == 0 ? QStringLiteral("unix://%1").arg(m_path)
                         : QStringLiteral("unix://%1?db=%2").arg(m_path).arg(m_db);
    }
    QString credentials;
    if (hasPassword())
        credentials = QStringLiteral("%1:***@").arg(m_user);
    const auto hostPort = [](const QString &host, quint16 port) {
        return (host.contains(u':') ? QStringLiteral("[%1]").arg(host) : host) + u':' +
               QString::number(port);
    };
    const QLatin1StringView tls = m_tls ? QLatin1StringView("s") : QLatin1StringView();
    if (isSentinel()) {
        QStringList hosts;
        for (const HostPort &sentinel : m_sentinels)
            hosts.append(hostPort(sentinel.host, sentinel.port));
        return QStringLiteral("redis%1-sentinel://%2%3/%4#%5")
            .arg(tls, credentials, hosts.join(u','))
            .arg(m_db)
            .arg(m_masterName);
    }
    QStringList hosts;
    for (const HostPort &seed : seeds())
        hosts.append(hostPort(seed.host, seed.port));
    return QStringLiteral("redis%1://%2%3/%4").arg(tls, credentials, hosts.join(u',')).arg(m_db);
}

} // namespace presence
