#include "ClientId.h"

namespace presence {

namespace {
bool isAllowedCharacter(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')
           || u == u'.' || u == u'_' || u == u'-' || u == u':' || u == u'@';
}
} // namespace

QString ClientId::rule()
{
    return QStringLiteral("an id is 1 to %1 characters from letters, digits and ._-:@")
        .arg(maxLength);
}

bool isValidIdentifier(QStringView text, QString *whyNot)
{
    auto refuse = [whyNot](const QString &reason) {
        if (whyNot)
            *whyNot = reason + QStringLiteral("; ") + ClientId::rule();
        return false;
    };
    if (text.isEmpty())
        return refuse(QStringLiteral("the id is empty"));
    if (text.size() > ClientId::maxLength)
        return refuse(QStringLiteral("the id is %1 characters long").arg(text.size()));
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (!isAllowedCharacter(text[i]))
            return refuse(QStringLiteral("character %1 (U+%2) is not allowed")
                              .arg(i + 1)
                              .arg(text[i].unicode(), 4, 16, QLatin1Char('0')));
    }
    return true;
}

std::optional<ClientId> ClientId::fromString(QStringView text, QString *whyNot)
{
    if (!isValidIdentifier(text, whyNot))
        return std::nullopt;
    return ClientId(text.toString());
}

} // namespace presence
