#pragma once

#include "engine/PresenceEngine.h"

#include <QIODevice>
#include <QObject>

namespace presence {

// `presence --observe --headless`: the watch as JSON lines, for terminals, scripts and jq.
// Once the engine has the roster: one line per member, "snapshot":true (every room, OFFLINE
// members too); then one line per change as it happens. Each line is the SSE event data of
// GET /{client}: client, status, reason, at, id, node, and room outside the default room.
// Written and flushed line by line, so a pipe sees each change at once.
class JsonLinesWriter final : public QObject {
    Q_OBJECT
public:
    JsonLinesWriter(PresenceEngine &engine, QIODevice &out, QObject *parent = nullptr);

    qint64 linesWritten() const { return m_lines; }

private:
    void writeRoster();
    void writeLine(const QByteArray &json);

    PresenceEngine &m_engine;
    QIODevice &m_out;
    bool m_rosterWritten = false;
    qint64 m_lines = 0;
};

} // namespace presence
