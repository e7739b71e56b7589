#pragma once

#include "auth/ClientTokens.h"

#include <QByteArray>
#include <QStringList>

#include <optional>

namespace presence {

// Who may do what over HTTP. Everything is open by default (the dashboard on loopback);
// a server turns each part on separately. Secrets come from files or the environment,
// never from the command line (where `ps` would show them), and are never logged.
struct AccessPolicy {
    std::optional<ClientTokens> clientTokens; // set: GET /{client} needs a token for that client
    QByteArray adminToken;                    // set: /api/* and /metrics need "Bearer <it>"
    QStringList corsOrigins;                  // set: only these origins, and they get CORS headers

    bool isOpen() const { return !clientTokens && adminToken.isEmpty() && corsOrigins.isEmpty(); }
};

} // namespace presence
