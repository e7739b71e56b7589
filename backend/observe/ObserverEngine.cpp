#include "ObserverEngine.h"

#include "engine/RosterUpdates.h"

#include <QDateTime>
#include <QTimer>

namespace presence {

qsizetype ObserverEngine::replaceRoster(const QList<ClientPresence> &rows, EventId at,
                                        const QString &source)
{
    const QList<PresenceEvent> corrections =
        m_synced ? rosterCorrections(m_roster, rows, at, QDateTime::currentMSecsSinceEpoch(), source)
                 : QList<PresenceEvent>();
    m_roster.clear();
    for (const ClientPresence &row : rows)
        m_roster.upsert(row.member()) = row;
    m_synced = true;
    for (const PresenceEvent &event : corrections)
        Q_EMIT presenceChanged(event);
    Q_EMIT rosterReset();
    return corrections.size();
}

void ObserverEngine::applyChange(const PresenceEvent &event)
{
    if (applyPresenceEvent(m_roster, event, m_timing.ttlMs()))
        Q_EMIT presenceChanged(event);
    m_rosterBound.changed(m_roster);
}

EngineDiagnostics ObserverEngine::ownDiagnostics() const
{
    EngineDiagnostics d;
    d.valid = true;
    d.engine = kind();
    d.takenAtMs = QDateTime::currentMSecsSinceEpoch();
    const Health now = health();
    d.storeOk = now.ok;
    d.storeState = now.state;
    d.storeDetail = now.detail;
    d.ttlMs = m_timing.ttlMs();
    return d;
}

void ObserverEngine::readDiagnostics(const QObject *context, DiagnosticsCallback callback)
{
    QTimer::singleShot(0, context, [callback = std::move(callback), d = ownDiagnostics()] {
        callback(d);
    });
}

} // namespace presence
