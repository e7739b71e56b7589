#pragma once

#include "model/ClientId.h"

#include <QByteArray>

namespace presence {

// Signed connection tokens, so a client can only be present as itself:
//   v1.<expiry, unix seconds>.<base64url HMAC-SHA256(secret, "v1\n" + client + "\n" + expiry)>
// The client id is not in the token: it is in the URL, and the signature binds the two.
class ClientTokens {
public:
    enum class Verdict { Valid, Missing, Malformed, Forged, Expired };

    explicit ClientTokens(QByteArray secret);

    QByteArray mint(const ClientId &client, qint64 expiresAtSeconds) const;
    Verdict verify(QByteArrayView token, const ClientId &client, qint64 nowSeconds) const;
    static QString explain(Verdict verdict);

private:
    QByteArray signature(const ClientId &client, QByteArrayView expiry) const;

    QByteArray m_secret;
};

// Compares in time independent of where the inputs differ (tokens must not leak by timing).
bool equalInConstantTime(QByteArrayView a, QByteArrayView b);

} // namespace presence
