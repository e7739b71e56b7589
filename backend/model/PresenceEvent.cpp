#include "PresenceEvent.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace presence {

QString statusText(PresenceStatus status)
{
    return status == PresenceStatus::Online ? QStringLiteral("ONLINE") : QStringLiteral("OFFLINE");
}

std::optional<PresenceStatus> presenceStatusFromString(QStringView text)
{
    if (text == u"ONLINE")
        return PresenceStatus::Online;
    if (text == u"OFFLINE")
        return PresenceStatus::Offline;
    return std::nullopt;
}

QByteArray PresenceEvent::toJson() const
{
    QJsonObject object{{QStringLiteral("client"), client.toString()},
                       {QStringLiteral("status"), statusText(status)}};
    if (!reason.isEmpty())
        object.insert(QStringLiteral("reason"), reason);
    if (atMs > 0)
        object.insert(QStringLiteral("at"), atMs);
    if (!node.isEmpty())
        object.insert(QStringLiteral("node"), node);
    if (!id.isNull())
        object.insert(QStringLiteral("id"), id.toString());
    if (!room.isDefault())
        object.insert(QStringLiteral("room"), room.toString());
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace presence
