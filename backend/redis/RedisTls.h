#pragma once

#include "redis/RedisUrl.h"

#include <QSslConfiguration>
#include <QString>
#include <optional>

namespace presence {

// The TLS settings of a connection to Redis (rediss://): the peer must present a certificate
// for the host it was asked for, signed by the given CA (or the system's CAs); a client
// certificate and key are sent when given (mutual TLS). nullopt, with a sentence in *error,
// when a file cannot be read or holds no usable PEM: never a silent fallback to plaintext.
// Read on every connect attempt, so a renewed certificate is picked up at the next reconnect.
std::optional<QSslConfiguration> redisTlsConfiguration(const RedisUrl::TlsFiles &files,
                                                       QString *error);

} // namespace presence
