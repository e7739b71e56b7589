// Client ids come from the request path of every SSE connection and from stream entries;
// member keys ("room/client") from Redis hash fields and expired-key names, which anyone with
// access to Redis can write.
#include "FuzzCheck.h"
#include "model/ClientId.h"
#include "model/RoomMember.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstring>

using presence::ClientId;

namespace {
bool allowed(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')
           || u == u'.' || u == u'_' || u == u'-' || u == u':' || u == u'@';
}

void check(QStringView text)
{
    QString whyNot;
    const auto id = ClientId::fromString(text, &whyNot);
    FUZZ_CHECK(id.has_value() == presence::isValidIdentifier(text));
    if (!id) {
        FUZZ_CHECK(!whyNot.isEmpty());
        return;
    }
    // A valid id is the text itself, within the rule, and re-validates to an equal id.
    const QString &value = id->toString();
    FUZZ_CHECK(value == text);
    FUZZ_CHECK(!value.isEmpty() && value.size() <= ClientId::maxLength);
    for (QChar c : value)
        FUZZ_CHECK(allowed(c));
    const auto again = ClientId::fromString(value);
    FUZZ_CHECK(again && *again == *id && qHash(*again) == qHash(*id));
}

void checkMemberKey(QStringView text)
{
    const auto member = presence::RoomMember::fromStoreKey(text);
    if (!member)
        return;
    // A parsed key is two valid names, and writing it back gives a key that parses to the same
    // member ("default/x" and "x" are one member: the default room has no name on the wire).
    FUZZ_CHECK(presence::isValidIdentifier(member->client.toString()));
    const QString key = member->storeKey();
    FUZZ_CHECK(key == text || text.startsWith(u"default/"));
    const auto again = presence::RoomMember::fromStoreKey(key);
    FUZZ_CHECK(again && *again == *member && qHash(*again) == qHash(*member));
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto *chars = reinterpret_cast<const char *>(data);
    // As a URL path arrives (UTF-8), and as raw UTF-16 to reach every code unit directly.
    check(QString::fromUtf8(chars, static_cast<qsizetype>(size)));
    checkMemberKey(QString::fromUtf8(chars, static_cast<qsizetype>(size)));
    QString utf16(static_cast<qsizetype>(size / 2), Qt::Uninitialized);
    std::memcpy(utf16.data(), data, size / 2 * 2);
    check(utf16);
    return 0;
}
