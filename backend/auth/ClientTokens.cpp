#include "ClientTokens.h"

#include <QMessageAuthenticationCode>

namespace presence {

namespace {
constexpr auto base64url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
}

bool equalInConstantTime(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

ClientTokens::ClientTokens(QByteArray secret)
    : m_secret(std::move(secret))
{
}

QByteArray ClientTokens::signature(const ClientId &client, QByteArrayView expiry) const
{
    const QByteArray message = "v1\n" + client.toString().toUtf8() + '\n' + expiry.toByteArray();
    return QMessageAuthenticationCode::hash(message, m_secret, QCryptographicHash::Sha256).toBase64(base64url);
}

QByteArray ClientTokens::mint(const ClientId &client, qint64 expiresAtSeconds) const
{
    const QByteArray expiry = QByteArray::number(expiresAtSeconds);
    return "v1." + expiry + '.' + signature(client, expiry);
}

ClientTokens::Verdict ClientTokens::verify(QByteArrayView token, const ClientId &client,
                                           qint64 nowSeconds) const
{
    if (token.isEmpty())
        return Verdict::Missing;
    if (token.size() > 256 || !token.startsWith("v1."))
        return Verdict::Malformed;
    const QByteArrayView rest = token.sliced(3);
    const qsizetype dot = rest.indexOf('.');
    if (dot <= 0 || dot > 12)
        return Verdict::Malformed;
    const QByteArrayView expiry = rest.first(dot);
    for (char c : expiry) {
        if (c < '0' || c > '9')
            return Verdict::Malformed;
    }
    // The signature first: an attacker learns nothing about expiry handling from a forgery.
    if (!equalInConstantTime(rest.sliced(dot + 1), signature(client, expiry)))
        return Verdict::Forged;
    if (expiry.toByteArray().toLongLong() <= nowSeconds)
        return Verdict::Expired;
    return Verdict::Valid;
}

QString ClientTokens::explain(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Valid:
        return QStringLiteral("valid");
    case Verdict::Missing:
        return QStringLiteral("a connection token is required (?token=… or Authorization: Bearer …)");
    case Verdict::Malformed:
        return QStringLiteral("the token is not of the form v1.<expiry>.<signature>");
    case Verdict::Forged:
        return QStringLiteral("the token was not issued for this client id");
    case Verdict::Expired:
        return QStringLiteral("the token has expired");
    }
    return {};
}

} // namespace presence
