#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>
#include <optional>

namespace presence {

// Where a Redis server is and how to log in, parsed from the --redis option:
//   redis://[user:password@]host[:port][/db]     (password may be percent-encoded)
//   redis://:password@host[:port][/db]           (password only, the "default" user)
//   unix:///path/to.sock[?db=N]
// The password never leaves this object in readable form except through password(), which
// only the connection uses for AUTH; toDisplayString() is what logs and UIs show.
class RedisUrl {
public:
    enum class Transport { Tcp, Unix };

    static constexpr quint16 defaultPort = 6379;

    // nullopt with a sentence in *whyNot (if given) when `text` is not a usable Redis URL.
    static std::optional<RedisUrl> parse(QStringView text, QString *whyNot = nullptr);
    static RedisUrl tcp(const QString &host, quint16 port, int db = 0);
    static RedisUrl unixSocket(const QString &path, int db = 0);

    Transport transport() const { return m_transport; }
    const QString &host() const { return m_host; }       // Tcp only
    quint16 port() const { return m_port; }              // Tcp only
    const QString &socketPath() const { return m_path; } // Unix only
    int database() const { return m_db; }
    const QString &user() const { return m_user; } // empty: the "default" user
    const QByteArray &password() const { return m_password; }
    bool hasPassword() const { return !m_password.isEmpty(); }

    RedisUrl withCredentials(const QString &user, const QByteArray &password) const;
    RedisUrl withDatabase(int db) const;

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
};

} // namespace presence
