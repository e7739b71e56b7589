// The end of a run: the JSON report on stdout (LoadGenerator.h).
#include "LoadGenerator.h"
#include "measure.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace loadgen {

void LoadGenerator::finish()
{
    m_phase = Phase::Done;
    m_tick.stop();
    const qint64 rssEnd = rssKiB(m_config.serverPid);
    const qint64 hwmEnd = hwmKiB(m_config.serverPid);
    const qint64 streamingAtEnd = countStreaming();
    const qint64 probeExpected = countStreaming(true);
    std::vector<qint64> probeLatency;
    std::vector<qint64> probeFromAt;
    QJsonArray dump;
    if (!m_config.probeClient.isEmpty()) {
        for (const Session &s : m_sessions) {
            if (s.probeArrivalUs == 0)
                continue;
            if (m_probeStartReal > 0)
                probeLatency.push_back(s.probeArrivalUs - m_probeStartReal);
            if (s.probeAtMs > 0)
                probeFromAt.push_back(s.probeArrivalUs - s.probeAtMs * 1000);
            if (!m_config.probeDump.isEmpty())
                dump.append(s.probeArrivalUs);
        }
    }
    for (Session &s : m_sessions)
        closeFd(s);
    if (m_probe)
        closeFd(*m_probe);

    QJsonObject failures;
    for (auto it = m_failureReasons.cbegin(); it != m_failureReasons.cend(); ++it)
        failures.insert(it.key(), it.value());
    QJsonObject out {
        {QStringLiteral("url"), QStringLiteral("http://%1:%2").arg(QString::fromLatin1(m_config.host)).arg(m_config.port)},
        {QStringLiteral("sessions"), m_config.sessions},
        {QStringLiteral("clients"), m_config.clients > 0 ? m_config.clients : m_config.sessions},
        {QStringLiteral("ramp"), m_config.ramp},
        {QStringLiteral("established"), m_established},
        {QStringLiteral("failed"), m_failed},
        {QStringLiteral("droppedAfterEstablished"), m_droppedAfterEstablished},
        {QStringLiteral("streamingAtEnd"), streamingAtEnd},
        {QStringLiteral("failures"), failures},
        {QStringLiteral("connectPhaseMs"), double(m_connectPhaseUs) / 1000.0},
        {QStringLiteral("settledMs"), double(m_settledUs) / 1000.0},
        {QStringLiteral("establishUs"), stats(m_establishUs)},
        {QStringLiteral("eventsAtSettle"), m_eventsAtSettle},
        {QStringLiteral("bytesAtSettle"), m_bytesAtSettle},
        {QStringLiteral("events"), m_events},
        {QStringLiteral("bytes"), m_bytes},
        {QStringLiteral("timedOut"), m_timedOut},
        {QStringLiteral("startRealtimeUs"), m_startReal},
    };
    if (m_config.serverPid > 0) {
        out.insert(QStringLiteral("serverRss"),
                   QJsonObject {{QStringLiteral("beforeKiB"), m_rssBeforeKiB},
                                {QStringLiteral("settledKiB"), m_rssSettledKiB},
                                {QStringLiteral("endKiB"), rssEnd},
                                {QStringLiteral("atCompleteKiB"), m_rssAtCompleteKiB},
                                {QStringLiteral("peakSampledKiB"), m_rssPeakSampledKiB}});
        // VmHWM: the node's peak RSS since it started (a fresh node per storm makes it the storm's).
        out.insert(QStringLiteral("serverHwm"),
                   QJsonObject {{QStringLiteral("beforeKiB"), m_hwmBeforeKiB},
                                {QStringLiteral("atCompleteKiB"), m_hwmAtCompleteKiB},
                                {QStringLiteral("endKiB"), hwmEnd}});
    }
    QJsonObject rooms {{QStringLiteral("mode"), m_config.roomSize > 0 ? QStringLiteral("size")
                                                 : m_config.rooms > 0  ? QStringLiteral("count")
                                                                       : QStringLiteral("default")},
                       {QStringLiteral("count"), qint64(m_roomNames.size())},
                       {QStringLiteral("prefix"), QString::fromUtf8(m_config.roomPrefix)}};
    if (m_config.roomSize > 0)
        rooms.insert(QStringLiteral("roomSize"), m_config.roomSize);
    if (m_config.rooms > 0)
        rooms.insert(QStringLiteral("rooms"), m_config.rooms);
    out.insert(QStringLiteral("rooms"), rooms);
    out.insert(QStringLiteral("storm"), m_config.storm);
    const auto sinceFirst = [this](qint64 mono) { return mono > 0 ? double(mono - m_firstConnectMono) / 1000.0 : -1.0; };
    out.insert(QStringLiteral("roster"),
               QJsonObject {{QStringLiteral("complete"), m_complete},
                            {QStringLiteral("expectedEntries"), m_rosterExpectedTotal},
                            {QStringLiteral("allCompleteMs"), sinceFirst(m_allCompleteMono)},
                            {QStringLiteral("completeUs"), stats(m_completeUs)},
                            {QStringLiteral("eventsAtComplete"), m_allCompleteMono > 0 ? m_eventsAtComplete : -1},
                            {QStringLiteral("bytesAtComplete"), m_allCompleteMono > 0 ? m_bytesAtComplete : -1},
                            {QStringLiteral("foreignEvents"), m_foreignEvents}});
    if (!m_config.probeClient.isEmpty()) {
        QJsonObject probe {{QStringLiteral("client"), QString::fromUtf8(m_config.probeClient)},
                           {QStringLiteral("arrivals"), m_probeArrivals},
                           {QStringLiteral("expected"), probeExpected}};
        if (!m_config.probeRoom.isEmpty())
            probe.insert(QStringLiteral("room"), QString::fromUtf8(m_config.probeRoom));
        if (m_probeStartReal > 0) {
            probe.insert(QStringLiteral("joinRealtimeUs"), m_probeStartReal);
            probe.insert(QStringLiteral("establishUs"), m_probeEstablishUs);
            probe.insert(QStringLiteral("latencyUs"), stats(probeLatency));
        }
        if (!probeFromAt.empty()) {
            // From the transition's "at" (node clock, ms resolution) to arrival: the fan-out
            // alone, without the time the node took to accept the joiner.
            probe.insert(QStringLiteral("fromEventAtUs"), stats(probeFromAt));
        }
        out.insert(QStringLiteral("probe"), probe);
        if (!m_config.probeDump.isEmpty()) {
            QFile file(m_config.probeDump);
            if (file.open(QIODevice::WriteOnly))
                file.write(QJsonDocument(dump).toJson(QJsonDocument::Compact));
        }
    }
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    std::fflush(stdout);
    QCoreApplication::exit(m_timedOut ? 2 : 0);
}

} // namespace loadgen
