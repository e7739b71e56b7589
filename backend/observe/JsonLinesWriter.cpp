#include "JsonLinesWriter.h"

#include "observe/PresenceEventJson.h"

#include <QFileDevice>

namespace presence {

JsonLinesWriter::JsonLinesWriter(PresenceEngine &engine, QIODevice &out, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_out(out)
{
    // Observers emit rosterReset once they hold the roster; later resets follow corrections
    // that were written as changes already.
    connect(&m_engine, &PresenceEngine::rosterReset, this, [this] {
        if (!m_rosterWritten)
            writeRoster();
    });
    connect(&m_engine, &PresenceEngine::presenceChanged, this,
            [this](const PresenceEvent &event) {
                if (m_rosterWritten)
                    writeLine(presenceJsonLine(event, false));
            });
}

void JsonLinesWriter::writeRoster()
{
    m_rosterWritten = true;
    const EventId at = m_engine.lastEventId();
    for (const ClientPresence &row : m_engine.snapshot()) {
        const QString node = row.nodes.isEmpty() ? QString() : row.nodes.first();
        writeLine(presenceJsonLine({at, row.client, row.status, row.reason, row.sinceMs, node, row.room},
                                   true));
    }
}

void JsonLinesWriter::writeLine(const QByteArray &json)
{
    m_out.write(json + '\n');
    if (auto *file = qobject_cast<QFileDevice *>(&m_out))
        file->flush();
    ++m_lines;
}

} // namespace presence
