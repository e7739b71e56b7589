#include "redis/RedisTls.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>

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

std::optional<QList<QSslCertificate>> readCertificates(const QString &path, const char *what,
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

} // namespace

std::optional<QSslConfiguration> redisTlsConfiguration(const RedisUrl::TlsFiles &files,
                                                       QString *error)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    if (!files.caFile.isEmpty()) {
        const auto authorities = readCertificates(files.caFile, "TLS CA file", error);
        if (!authorities)
            return std::nullopt;
        configuration.setCaCertificates(*authorities);
    }
    if (files.certFile.isEmpty() != files.keyFile.isEmpty()) {
        *error = QStringLiteral("mutual TLS needs both a client certificate and its key "
                                "(--redis-tls-cert and --redis-tls-key)");
        return std::nullopt;
    }
    if (!files.certFile.isEmpty()) {
        const auto chain = readCertificates(files.certFile, "TLS client certificate", error);
        if (!chain)
            return std::nullopt;
        const auto pem = readFile(files.keyFile, "TLS client key", error);
        if (!pem)
            return std::nullopt;
        QSslKey key;
        for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
            key = QSslKey(*pem, algorithm, QSsl::Pem);
            if (!key.isNull())
                break;
        }
        if (key.isNull()) {
            *error = QStringLiteral("the TLS client key %1 holds no unencrypted PEM key "
                                    "(RSA, EC or DSA)")
                         .arg(files.keyFile);
            return std::nullopt;
        }
        configuration.setLocalCertificateChain(*chain);
        configuration.setPrivateKey(key);
    }
    return configuration;
}

} // namespace presence
