#include "TestCertificates.h"

#include <QFile>
#include <QProcess>

namespace presence::test {

namespace {
const QStringList ecKey = {QStringLiteral("-newkey"), QStringLiteral("ec"),
                           QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"),
                           QStringLiteral("-nodes")};
} // namespace

bool TestCertificates::run(const QStringList &arguments)
{
    QProcess openssl;
    openssl.setProcessChannelMode(QProcess::MergedChannels);
    openssl.start(QStringLiteral("openssl"), arguments);
    if (!openssl.waitForFinished(20000) || openssl.exitStatus() != QProcess::NormalExit ||
        openssl.exitCode() != 0) {
        m_error = QStringLiteral("openssl %1 failed: %2 %3")
                      .arg(arguments.join(u' '), openssl.errorString(),
                           QString::fromUtf8(openssl.readAll()));
        return false;
    }
    return true;
}

bool TestCertificates::makeCa(const QString &name)
{
    return run(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ecKey +
               QStringList{QStringLiteral("-keyout"), path(name + QStringLiteral(".key")),
                           QStringLiteral("-out"), path(name + QStringLiteral(".crt")),
                           QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                           QStringLiteral("/CN=presence test ") + name});
}

bool TestCertificates::makeSigned(const QString &name, const QString &commonName,
                                  const QString &altNames)
{
    const QString extensions = path(name + QStringLiteral(".ext"));
    QFile file(extensions);
    if (!file.open(QIODevice::WriteOnly)) {
        m_error = QStringLiteral("cannot write %1").arg(extensions);
        return false;
    }
    file.write(altNames.isEmpty() ? QByteArray("basicConstraints=CA:FALSE\n")
                                  : "basicConstraints=CA:FALSE\nsubjectAltName=" +
                                        altNames.toUtf8() + '\n');
    file.close();
    const Pair files = pair(name);
    const QString request = path(name + QStringLiteral(".csr"));
    return run(QStringList{QStringLiteral("req")} + ecKey +
               QStringList{QStringLiteral("-keyout"), files.key, QStringLiteral("-out"), request,
                           QStringLiteral("-subj"), QStringLiteral("/CN=") + commonName}) &&
           run({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), request,
                QStringLiteral("-CA"), ca(), QStringLiteral("-CAkey"), path(QStringLiteral("ca.key")),
                QStringLiteral("-CAcreateserial"), QStringLiteral("-out"), files.cert,
                QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-extfile"),
                extensions});
}

bool TestCertificates::make()
{
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("cannot make a temporary folder");
        return false;
    }
    return makeCa(QStringLiteral("ca")) && makeCa(QStringLiteral("wrong-ca")) &&
           makeSigned(QStringLiteral("server"), QStringLiteral("localhost"),
                      QStringLiteral("DNS:localhost,IP:127.0.0.1")) &&
           makeSigned(QStringLiteral("other"), QStringLiteral("other.example"),
                      QStringLiteral("DNS:other.example")) &&
           makeSigned(QStringLiteral("client"), QStringLiteral("presence test client"), {});
}

} // namespace presence::test
