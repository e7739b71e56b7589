#include "tls/PemFiles.h"

#include <QFile>

namespace presence {

namespace {

std::optional<QByteArray> readFile(const QString &path, const char *what, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the %1 %2: %3")
                     .arg(QLatin1StringView(what), path, file.errorString());
        return std::nullopt;
    }
    return file.readAll();
}

} // namespace

std::optional<QList<QSslCertificate>> readPemCertificates(const QString &path, const char *what,
                                                          QString *error)
{
    const auto pem = readFile(path, what, error);
    if (!pem)
        return std::nullopt;
    QList<QSslCertificate> certificates = QSslCertificate::fromData(*pem, QSsl::Pem);
    if (certificates.isEmpty()) {
        *error = QStringLiteral("the %1 %2 holds no PEM certificate")
                     .arg(QLatin1StringView(what), path);
        return std::nullopt;
    }
    return certificates;
}

std::optional<QSslKey> readPemKey(const QString &path, const char *what, QString *error)
{
    const auto pem = readFile(path, what, error);
    if (!pem)
        return std::nullopt;
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(*pem, algorithm, QSsl::Pem);
        if (!key.isNull())
            return key;
    }
    *error = QStringLiteral("the %1 %2 holds no unencrypted PEM key (RSA, EC or DSA)")
                 .arg(QLatin1StringView(what), path);
    return std::nullopt;
}

std::optional<QSslConfiguration> listenerTlsConfiguration(const QString &certFile,
                                                          const QString &keyFile, QString *error)
{
    const auto chain = readPemCertificates(certFile, "HTTPS certificate (--tls-cert)", error);
    if (!chain)
        return std::nullopt;
    const auto key = readPemKey(keyFile, "HTTPS key (--tls-key)", error);
    if (!key)
        return std::nullopt;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(*chain);
    configuration.setPrivateKey(*key);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // browsers bring no certificate
    return configuration;
}

} // namespace presence
