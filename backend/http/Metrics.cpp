#include "Metrics.h"

#include <algorithm>

namespace presence {

void Metrics::recordTransition(const PresenceEvent &event)
{
    ++transitionsByStatusAndReason[statusText(event.status) + QLatin1Char('/') + event.reason];
}

namespace {
QByteArray labelValue(const QString &value)
{
    QByteArray escaped = value.toUtf8();
    escaped.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return escaped;
}

void family(QByteArray &out, const char *name, const char *type, const char *help)
{
    out += QByteArray("# HELP ") + name + ' ' + help + '\n';
    out += QByteArray("# TYPE ") + name + ' ' + type + '\n';
}

void sample(QByteArray &out, const char *name, qint64 value, const QByteArray &labels = {})
{
    out += name;
    if (!labels.isEmpty())
        out += '{' + labels + '}';
    out += ' ' + QByteArray::number(value) + '\n';
}
} // namespace

QByteArray renderPrometheus(const Metrics &m, const MetricsGauges &g)
{
    QByteArray out;
    family(out, "presence_info", "gauge", "Engine and node of this process.");
    sample(out, "presence_info", 1,
           "engine=\"" + labelValue(g.engine) + "\",node=\"" + labelValue(g.node) + '"');

    family(out, "presence_sessions", "gauge", "Open SSE sessions on this node.");
    sample(out, "presence_sessions", g.sessions);
    family(out, "presence_online_clients", "gauge", "Clients currently ONLINE.");
    sample(out, "presence_online_clients", g.onlineClients);
    family(out, "presence_known_clients", "gauge", "Clients in the roster, ONLINE or OFFLINE.");
    sample(out, "presence_known_clients", g.knownClients);
    family(out, "presence_local_clients", "gauge",
           "Clients holding a connection on this node (or in their grace period).");
    sample(out, "presence_local_clients", g.localClients);
    family(out, "presence_heartbeats_paused", "gauge", "1 while this node's heartbeats are paused.");
    sample(out, "presence_heartbeats_paused", g.heartbeatsPaused ? 1 : 0);

    family(out, "presence_sessions_opened_total", "counter", "SSE sessions opened.");
    sample(out, "presence_sessions_opened_total", qint64(m.sessionsOpened));
    family(out, "presence_sessions_closed_total", "counter", "SSE sessions ended, by why.");
    sample(out, "presence_sessions_closed_total", qint64(m.sessionsClosedByClient),
           "reason=\"client\"");
    sample(out, "presence_sessions_closed_total", qint64(m.sessionsDroppedSlowReader),
           "reason=\"slow_reader\"");
    sample(out, "presence_sessions_closed_total", qint64(m.sessionsDroppedWriteFailed),
           "reason=\"write_failed\"");
    sample(out, "presence_sessions_closed_total", qint64(m.sessionsDroppedDeadPeer),
           "reason=\"dead_peer\"");
    sample(out, "presence_sessions_closed_total", qint64(m.sessionsDroppedStalledReader),
           "reason=\"stalled_reader\"");
    family(out, "presence_sessions_dropped_total", "counter",
           "SSE sessions the server dropped (slow or stalled reader, dead peer, failed write).");
    sample(out, "presence_sessions_dropped_total",
           qint64(m.sessionsDroppedSlowReader + m.sessionsDroppedWriteFailed
                  + m.sessionsDroppedDeadPeer + m.sessionsDroppedStalledReader));
    family(out, "presence_events_sent_total", "counter", "Presence events written to sessions.");
    sample(out, "presence_events_sent_total", qint64(m.eventsSent));
    family(out, "presence_event_writes_total", "counter",
           "Socket writes carrying live events: changes reaching a session together share one.");
    sample(out, "presence_event_writes_total", qint64(m.eventWrites));
    family(out, "presence_rooms", "gauge", "Rooms in this node's roster.");
    sample(out, "presence_rooms", g.rooms);
    family(out, "presence_room_online_clients", "gauge",
           "Clients ONLINE in the busiest rooms (the top few only, to bound label cardinality).");
    for (const auto &[room, online] : g.busiestRooms)
        sample(out, "presence_room_online_clients", online, "room=\"" + labelValue(room) + '"');
    family(out, "presence_requests_rejected_total", "counter", "Requests answered with a 4xx.");
    sample(out, "presence_requests_rejected_total", qint64(m.requestsRejected));

    family(out, "presence_sessions_refused_total", "counter",
           "SSE requests refused by the session limits (429 per address, 503 per node).");
    sample(out, "presence_sessions_refused_total", qint64(m.sessionsRefused));
    family(out, "presence_connections", "gauge", "TCP connections open on the HTTP port.");
    sample(out, "presence_connections", g.connections);
    family(out, "presence_connections_refused_total", "counter",
           "Connections closed at accept time by the connection limits.");
    sample(out, "presence_connections_refused_total", qint64(g.connectionsRefused));
    family(out, "presence_connections_closed_idle_total", "counter",
           "Non-SSE connections closed after the idle timeout.");
    sample(out, "presence_connections_closed_idle_total", qint64(g.connectionsClosedIdle));
    family(out, "presence_connections_closed_oversized_total", "counter",
           "Connections closed for sending more than a request may hold.");
    sample(out, "presence_connections_closed_oversized_total", qint64(g.connectionsClosedOversized));

    if (g.processors.known) {
        family(out, "presence_processor_lag_entries", "gauge",
               "Heartbeats written and not yet delivered to any processor (the group's lag).");
        sample(out, "presence_processor_lag_entries", g.processors.lag);
        family(out, "presence_processor_pending_entries", "gauge",
               "Heartbeats delivered to a processor and not yet acknowledged.");
        sample(out, "presence_processor_pending_entries", g.processors.pending);
        family(out, "presence_processor_consumers", "gauge", "Processors in the consumer group.");
        sample(out, "presence_processor_consumers", g.processors.consumers);
        family(out, "presence_processor_behind_ms", "gauge",
               "Age of the oldest heartbeat no processor has read (0: caught up); alarm near the "
               "TTL.");
        sample(out, "presence_processor_behind_ms", g.processors.behindMs);
    }

    family(out, "presence_transitions_total", "counter", "Presence transitions, by status and reason.");
    QStringList keys = m.transitionsByStatusAndReason.keys();
    std::sort(keys.begin(), keys.end());
    for (const QString &key : keys) {
        const qsizetype slash = key.indexOf(QLatin1Char('/'));
        sample(out, "presence_transitions_total", qint64(m.transitionsByStatusAndReason.value(key)),
               "status=\"" + labelValue(key.left(slash)) + "\",reason=\""
                   + labelValue(key.mid(slash + 1)) + '"');
    }
    return out;
}

} // namespace presence
