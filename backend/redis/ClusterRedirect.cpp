#include "redis/ClusterRedirect.h"

#include "redis/ClusterKeySlot.h"

namespace presence {

namespace {

// "<slot> <host>:<port>"; the host may be an IPv6 address (its colons before the last one)
// or empty (Redis sends ":port" when it does not know its own address: the node asked).
std::optional<ClusterRedirect> parseTarget(ClusterRedirect::Kind kind, QByteArrayView rest)
{
    const qsizetype space = rest.indexOf(' ');
    const qsizetype colon = rest.lastIndexOf(':');
    if (space <= 0 || colon <= space)
        return std::nullopt;
    bool slotOk = false;
    bool portOk = false;
    const int slot = rest.first(space).toInt(&slotOk);
    const uint port = rest.sliced(colon + 1).toUInt(&portOk);
    if (!slotOk || slot < 0 || slot >= clusterSlotCount || !portOk || port == 0 || port > 65535)
        return std::nullopt;
    QByteArrayView host = rest.sliced(space + 1, colon - space - 1);
    if (host.startsWith('[') && host.endsWith(']'))
        host = host.sliced(1, host.size() - 2);
    return ClusterRedirect{kind, slot, {QString::fromLatin1(host), quint16(port)}};
}

} // namespace

std::optional<ClusterRedirect> ClusterRedirect::fromReply(const RedisReply &reply)
{
    if (!reply.isError())
        return std::nullopt;
    const QByteArrayView text = reply.toByteArray();
    if (text.startsWith("MOVED "))
        return parseTarget(Kind::Moved, text.sliced(6));
    if (text.startsWith("ASK "))
        return parseTarget(Kind::Ask, text.sliced(4));
    if (text.startsWith("TRYAGAIN"))
        return ClusterRedirect{Kind::TryAgain, -1, {}};
    if (text.startsWith("CLUSTERDOWN"))
        return ClusterRedirect{Kind::ClusterDown, -1, {}};
    return std::nullopt;
}

bool ClusterRedirect::isFromCluster(QByteArrayView errorText)
{
    for (const char *prefix : {"MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN", "CROSSSLOT"}) {
        if (errorText.startsWith(prefix))
            return true;
    }
    return false;
}

bool ClusterRedirect::isDeferral(const RedisReply &reply)
{
    const auto redirect = fromReply(reply);
    return redirect && redirect->kind != Kind::Moved;
}

} // namespace presence
