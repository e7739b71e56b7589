#include "SseEventParser.h"

namespace presence {

QList<SseEventParser::Event> SseEventParser::feed(const QByteArray &bytes)
{
    QList<Event> done;
    for (const char c : bytes) {
        if (c == '\n' && m_lastWasCr) { // the second half of a CRLF
            m_lastWasCr = false;
            continue;
        }
        m_lastWasCr = c == '\r';
        if (c == '\n' || c == '\r')
            takeLine(std::exchange(m_line, {}), &done);
        else
            m_line.append(c);
    }
    return done;
}

void SseEventParser::takeLine(QByteArray line, QList<Event> *done)
{
    if (line.isEmpty()) { // the blank line that ends an event
        if (m_hasData)
            done->append(std::move(m_event));
        m_event = Event();
        m_hasData = false;
        return;
    }
    if (line.startsWith(':'))
        return;
    const qsizetype colon = line.indexOf(':');
    const QByteArray field = colon < 0 ? line : line.left(colon);
    QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
    if (value.startsWith(' '))
        value.remove(0, 1);
    if (field == "data") {
        if (m_hasData)
            m_event.data += '\n';
        m_event.data += value;
        m_hasData = true;
    } else if (field == "event") {
        m_event.type = value;
    } else if (field == "id") {
        m_event.id = value;
    }
}

} // namespace presence
