#pragma once

#include <QString>
#include <QTemporaryDir>

namespace presence::test {

// A certificate authority made for one test run with openssl (EC P-256, valid two days), and
// certificates it signed: for the servers on this machine (localhost and 127.0.0.1), for a
// host that is not this one, and for a client (mutual TLS). A second CA that signed none of
// them plays the wrong CA. make() returns false with errorString() set.
class TestCertificates {
public:
    struct Pair {
        QString cert;
        QString key;
    };

    bool make();
    QString errorString() const { return m_error; }

    QString ca() const { return path(QStringLiteral("ca.crt")); }
    QString wrongCa() const { return path(QStringLiteral("wrong-ca.crt")); }
    Pair server() const { return pair(QStringLiteral("server")); }    // localhost, 127.0.0.1
    Pair elsewhere() const { return pair(QStringLiteral("other")); }  // other.example only
    Pair client() const { return pair(QStringLiteral("client")); }
    QString dir() const { return m_dir.path(); }

private:
    bool run(const QStringList &arguments);
    bool makeCa(const QString &name);
    bool makeSigned(const QString &name, const QString &commonName, const QString &altNames);
    QString path(const QString &file) const { return m_dir.filePath(file); }
    Pair pair(const QString &name) const
    {
        return {path(name + QStringLiteral(".crt")), path(name + QStringLiteral(".key"))};
    }

    QTemporaryDir m_dir;
    QString m_error;
};

} // namespace presence::test
