#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringView>
#include <optional>

namespace presence {

// Where a Redis server is and how to log in, parsed from the --redis option:
//   redis://[user:password@]host[:port][/db]     (password may be percent-encoded)
//   redis://:password@host[:port][/db]           (password only, the "default" user)
//   redis://[user:password@]host:port,host:port…  (several seeds: a Redis Cluster's nodes)
//   rediss://…                                   (the same over TLS)
//   redis-sentinel://[user:password@]host[:port][,host[:port]…][/db]#MASTER
//   rediss-sentinel://…                          (Sentinels and primary over TLS)
//   unix:///path/to.sock[?db=N]
// A Sentinel URL names no server to connect to: the primary is asked of the Sentinels
// (default port 26379) before each connect; the credentials and the database are the
// primary's (the Sentinels are asked without credentials). withPrimary() makes the URL of the
// primary they named. Several hosts in a redis:// or rediss:// URL are seeds of a Redis Cluster
// (asked in turn for its slot map; one host may be a cluster node too: the server says whether
// it is one). TLS files (CA, client certificate, key) travel with the URL.
// The password never leaves this object in readable form except through password(), which
// only the connection uses for AUTH; toDisplayString() is what logs and UIs show.
class RedisUrl {
public:
    enum class Transport { Tcp, Unix };

    static constexpr quint16 defaultPort = 6379;
    static constexpr quint16 defaultSentinelPort = 26379;

    struct HostPort {
        QString host;
        quint16 port = defaultPort;
        friend bool operator==(const HostPort &, const HostPort &) = default;
    };
    // PEM files for TLS; empty paths: the system's CAs, no client certificate.
    struct TlsFiles {
        QString caFile;
        QString certFile;
        QString keyFile;
        friend bool operator==(const TlsFiles &, const TlsFiles &) = default;
    };

    // nullopt with a sentence in *whyNot (if given) when `text` is not a usable Redis URL.
    static std::optional<RedisUrl> parse(QStringView text, QString *whyNot = nullptr);
    static RedisUrl tcp(const QString &host, quint16 port, int db = 0);
    static RedisUrl unixSocket(const QString &path, int db = 0);

    Transport transport() const { return m_transport; }
    const QString &host() const { return m_host; }       // Tcp only
    quint16 port() const { return m_port; }              // Tcp only
    const QString &socketPath() const { return m_path; } // Unix only
    int database() const { return m_db; }
    bool usesTls() const { return m_tls; }
    const TlsFiles &tlsFiles() const { return m_tlsFiles; }
    bool isSentinel() const { return !m_sentinels.isEmpty(); }
    const QList<HostPort> &sentinels() const { return m_sentinels; }
    // The hosts of a redis:// or rediss:// URL, the first one being host():port(); one
    // unless the URL names several (cluster seeds). Empty for Sentinel and unix URLs.
    QList<HostPort> seeds() const;
    const QString &masterName() const { return m_masterName; }
    const QString &user() const { return m_user; } // empty: the "default" user
    const QByteArray &password() const { return m_password; }
    bool hasPassword() const { return !m_password.isEmpty(); }

    RedisUrl withCredentials(const QString &user, const QByteArray &password) const;
    RedisUrl withDatabase(int db) const;
    RedisUrl withTls(bool on) const;
    RedisUrl withTlsFiles(TlsFiles files) const;
    // The primary a Sentinel named: a plain (or TLS) URL with this URL's credentials and db.
    RedisUrl withPrimary(const QString &host, quint16 port) const;
    // The URL of one Sentinel of this group (TLS as the group, no credentials, db 0).
    RedisUrl sentinelUrl(qsizetype index) const;

    // The URL with the password replaced by "***"; safe for logs and error messages.
    QString toDisplayString() const;

    friend bool operator==(const RedisUrl &, const RedisUrl &) = default;

private:
    RedisUrl() = default;

    Transport m_transport = Transport::Tcp;
    QString m_host;
    quint16 m_port = defaultPort;
    QString m_path;
    int m_db = 0;
    QString m_user;
    QByteArray m_password;
    bool m_tls = false;
    TlsFiles m_tlsFiles;
    QList<HostPort> m_sentinels;
    QList<HostPort> m_moreSeeds; // hosts after the first of a plain URL
    QString m_masterName;
};

} // namespace presence
