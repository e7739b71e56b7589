#include "redis/RedisTls.h"

#include "tls/PemFiles.h"

namespace presence {

std::optional<QSslConfiguration> redisTlsConfiguration(const RedisUrl::TlsFiles &files,
                                                       QString *error)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    if (!files.caFile.isEmpty()) {
        const auto authorities = readPemCertificates(files.caFile, "TLS CA file", error);
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
        const auto chain = readPemCertificates(files.certFile, "TLS client certificate", error);
        if (!chain)
            return std::nullopt;
        const auto key = readPemKey(files.keyFile, "TLS client key", error);
        if (!key)
            return std::nullopt;
        configuration.setLocalCertificateChain(*chain);
        configuration.setPrivateKey(*key);
    }
    return configuration;
}

} // namespace presence
