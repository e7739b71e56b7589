#pragma once

#include <QByteArray>
#include <QList>

namespace presence {

// The text/event-stream format, read incrementally: feed() whatever bytes arrived, get the
// events they completed. Comments (": keepalive") and retry: lines are skipped; multi-line
// data is joined with '\n' as the spec says.
class SseEventParser {
public:
    struct Event {
        QByteArray type = QByteArrayLiteral("message");
        QByteArray id;
        QByteArray data;
    };

    QList<Event> feed(const QByteArray &bytes);
    void reset() { *this = SseEventParser(); }
    // Bytes held for an unfinished line or event, to bound what a broken peer can make us keep.
    qsizetype pendingBytes() const { return m_line.size() + m_event.data.size(); }

private:
    void takeLine(QByteArray line, QList<Event> *done);

    QByteArray m_line;
    Event m_event;
    bool m_hasData = false;
    bool m_lastWasCr = false;
};

} // namespace presence
