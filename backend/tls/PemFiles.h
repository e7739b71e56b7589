#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QString>
#include <optional>

namespace presence {

// PEM files an operator names on the command line, read with an error that says which file
// and what is wrong with it (`what` names the option's role, e.g. "TLS CA file").
std::optional<QList<QSslCertificate>> readPemCertificates(const QString &path, const char *what,
                                                          QString *error);
// An unencrypted private key: RSA, EC or DSA.
std::optional<QSslKey> readPemKey(const QString &path, const char *what, QString *error);

// The listener's HTTPS settings (--tls-cert, --tls-key): the certificate chain and its key,
// TLS 1.2 or later, no client certificates asked for.
std::optional<QSslConfiguration> listenerTlsConfiguration(const QString &certFile,
                                                          const QString &keyFile, QString *error);

} // namespace presence
