#include "PresenceEvent.h"


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

namespace {

char hexDigit(unsigned value)
{
    return char(value < 10 ? '0' + value : 'a' + value - 10);
}

void appendUnicodeEscape(QByteArray &out, char16_t unit)
{
    const char escape[] = {'\\', 'u', hexDigit((unit >> 12) & 0xf), hexDigit((unit >> 8) & 0xf),
                           hexDigit((unit >> 4) & 0xf), hexDigit(unit & 0xf)};
    out.append(escape, sizeof escape);
}

// A JSON string, byte for byte as QJsonDocument's compact writer gives it (Qt 6): UTF-8;
// '"', '\\' and the control characters escaped (\b \f \n \r \t, the rest \u00xx); a surrogate
// that is not half of a pair as \uxxxx. tst_presence_event compares the two over random text.
void appendJsonString(QByteArray &out, QStringView text)
{
    out += '"';
    const qsizetype size = text.size();
    for (qsizetype i = 0; i < size; ++i) {
        const char16_t unit = text[i].unicode();
        if (unit < 0x80) {
            if (unit >= 0x20 && unit != '"' && unit != '\\') {
                out += char(unit);
                continue;
            }
            switch (unit) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: appendUnicodeEscape(out, unit); break;
            }
        } else if (unit < 0x800) {
            out += char(0xc0 | (unit >> 6));
            out += char(0x80 | (unit & 0x3f));
        } else if (QChar::isHighSurrogate(unit) && i + 1 < size &&
                   QChar::isLowSurrogate(text[i + 1].unicode())) {
            const char32_t point = QChar::surrogateToUcs4(unit, text[++i].unicode());
            out += char(0xf0 | (point >> 18));
            out += char(0x80 | ((point >> 12) & 0x3f));
            out += char(0x80 | ((point >> 6) & 0x3f));
            out += char(0x80 | (point & 0x3f));
        } else if (QChar::isSurrogate(unit)) {
            appendUnicodeEscape(out, unit);
        } else {
            out += char(0xe0 | (unit >> 12));
            out += char(0x80 | ((unit >> 6) & 0x3f));
            out += char(0x80 | (unit & 0x3f));
        }
    }
    out += '"';
}

void appendMember(QByteArray &out, QByteArrayView key, QStringView value)
{
    if (out.back() != '{')
        out += ',';
    out += '"';
    out += key;
    out += "\":";
    appendJsonString(out, value);
}

} // namespace

void PresenceEvent::appendJson(QByteArray &out, QByteArrayView trailingMembers) const
{
    // Written directly rather than through QJsonObject (a fifth of a join storm's CPU went to
    // building and serialising those): the same bytes, members in QJsonObject's order (by key).
    out += '{';
    if (atMs > 0) {
        out += "\"at\":";
        out += QByteArray::number(atMs);
    }
    appendMember(out, "client", client.toString());
    if (!id.isNull()) {
        out += ",\"id\":\"";
        id.appendTo(out);
        out += '"';
    }
    if (!node.isEmpty())
        appendMember(out, "node", node);
    if (!reason.isEmpty())
        appendMember(out, "reason", reason);
    if (!room.isDefault())
        appendMember(out, "room", room.toString());
    out += status == PresenceStatus::Online ? QByteArrayView(",\"status\":\"ONLINE\"")
                                            : QByteArrayView(",\"status\":\"OFFLINE\"");
    out += trailingMembers;
    out += '}';
}

QByteArray PresenceEvent::toJson() const
{
    QByteArray out;
    out.reserve(160);
    appendJson(out);
    return out;
}

} // namespace presence
