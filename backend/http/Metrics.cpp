#include "Metrics.h"

#include <algorithm>
#include <type_traits>

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
void appendCluster(QByteArray &out, const ClusterStatus &cluster)
{
    family(out, "presence_cluster_slots_unserved", "gauge",
           "Redis Cluster slots no primary serves (CLUSTERDOWN while above 0).");
    sample(out, "presence_cluster_slots_unserved", cluster.uncoveredSlots);
    family(out, "presence_cluster_primaries", "gauge", "Primaries serving slots.");
    sample(out, "presence_cluster_primaries", qint64(cluster.primaries.size()));
    family(out, "presence_cluster_shard_up", "gauge",
           "1 while this node's connection to the shard's primary is up.");
    for (const ClusterShardStatus &shard : cluster.shards)
        sample(out, "presence_cluster_shard_up", shard.state == u"up" ? 1 : 0,
               "shard=\"" + QByteArray::number(shard.index) + '"');
    family(out, "presence_cluster_shard_read", "gauge",
           "1 while this node reads the shard's transitions (a session or feed here needs it).");
    for (const ClusterShardStatus &shard : cluster.shards)
        sample(out, "presence_cluster_shard_read", shard.read ? 1 : 0,
               "shard=\"" + QByteArray::number(shard.index) + '"');
    family(
        out, "presence_cluster_shard_processor_lag", "gauge",
        "Heartbeat entries of the shard not yet delivered to any processor (-1: trimmed unread).");
    for (const ClusterShardStatus &shard : cluster.shards) {
        if (shard.processors.known)
            sample(out, "presence_cluster_shard_processor_lag", shard.processors.lag,
                   "shard=\"" + QByteArray::number(shard.index) + '"');
    }
}

void sampleReal(QByteArray &out, const char *name, double value, const QByteArray &labels)
{
    out += name;
    out += '{' + labels + '}';
    out += ' ' + QByteArray::number(value, 'f', 1) + '\n';
}

// The deployment as the last diagnostics read saw it (DiagnosticsMonitor): one series per
// node of the last hour (nodes are few), the store's round trip, the timeouts' lateness.
void renderDiagnostics(QByteArray &out, const EngineDiagnostics &d, const QList<Alert> &alerts)
{
    family(out, "presence_alert", "gauge",
           "1 while the alert is active: redis_down, processor_lag, offline_lateness, node_died, "
           "timeout_burst.");
    for (const AlertKind kind : allAlertKinds) {
        const bool active = std::any_of(alerts.cbegin(), alerts.cend(),
                                        [kind](const Alert &a) { return a.kind == kind; });
        sample(out, "presence_alert", active ? 1 : 0,
               "alert=\"" + labelValue(alertName(kind)) + '"');
    }
    if (!d.valid)
        return;
    family(out, "presence_store_up", "gauge",
           "1 when the store answers and this node can tell the truth.");
    sample(out, "presence_store_up", d.storeOk ? 1 : 0);
    if (d.roundTripMs >= 0) {
        family(out, "presence_store_round_trip_ms", "gauge",
               "Round trip of this node's last diagnostics read.");
        sample(out, "presence_store_round_trip_ms", d.roundTripMs);
    }
    if (d.topology.known && !d.topology.role.isEmpty()) {
        family(out, "presence_redis_replicas", "gauge",
               "Replicas connected to the Redis server this node is on (its ROLE).");
        sample(out, "presence_redis_replicas", qint64(d.topology.replicas.size()));
    }
    family(out, "presence_nodes", "gauge",
           "Nodes that published a record in the last hour, by state.");
    sample(out, "presence_nodes", qint64(d.aliveNodes()), "state=\"alive\"");
    sample(out, "presence_nodes", qint64(d.nodes.size() - d.aliveNodes()), "state=\"dead\"");
    family(out, "presence_node_up", "gauge",
           "1 while the node's liveness lasts, 0 once it stopped.");
    for (const NodeStatus &n : d.nodes)
        sample(out, "presence_node_up", n.alive ? 1 : 0,
               "node=\"" + labelValue(n.id) + "\",version=\"" + labelValue(n.version) + '"');
    const auto perNode = [&out, &d](const char *name, const char *help, auto value) {
        family(out, name, "gauge", help);
        for (const NodeStatus &n : d.nodes) {
            const auto v = value(n);
            if (v < 0)
                continue;
            const QByteArray labels = "node=\"" + labelValue(n.id) + '"';
            if constexpr (std::is_floating_point_v<decltype(v)>)
                sampleReal(out, name, v, labels);
            else
                sample(out, name, qint64(v), labels);
        }
    };
    perNode("presence_node_sessions", "SSE sessions the node last published.",
            [](const NodeStatus &n) { return n.sessions; });
    perNode("presence_node_members", "Members the node holds a connection of, last published.",
            [](const NodeStatus &n) { return n.members; });
    perNode("presence_node_heartbeats_per_second", "Heartbeat entries the node writes per second.",
            [](const NodeStatus &n) { return n.heartbeatsPerSecond; });
    perNode("presence_node_round_trip_ms", "The node's last store round trip, as it measured it.",
            [](const NodeStatus &n) { return n.roundTripMs; });
    perNode("presence_node_last_seen_timestamp_seconds",
            "When the node last published (for a dead node: when it stopped).",
            [](const NodeStatus &n) { return n.lastSeenMs / 1000; });
    perNode("presence_node_start_time_seconds", "When the node started.",
            [](const NodeStatus &n) { return n.startedAtMs > 0 ? n.startedAtMs / 1000 : -1; });
    if (d.engine.startsWith(u"redis")) { // one Redis, a Sentinel group or a cluster
        qint64 pending = 0;
        const QList<ConsumerStatus> dead = d.deadNodeConsumers();
        for (const ConsumerStatus &c : dead)
            pending += c.pending;
        family(out, "presence_dead_node_consumers", "gauge",
               "Consumers in the processors' group whose node is dead.");
        sample(out, "presence_dead_node_consumers", qint64(dead.size()));
        family(out, "presence_dead_node_pending_entries", "gauge",
               "Heartbeats pending at consumers of dead nodes (claimed by the living after 1 s).");
        sample(out, "presence_dead_node_pending_entries", pending);
    }
    if (d.cluster.known)
        appendCluster(out, d.cluster);
    family(out, "presence_timeouts_recent", "gauge",
           "OFFLINE timeouts in the last 30 s, any node.");
    sample(out, "presence_timeouts_recent", d.timeoutsRecent);
    if (d.latenessP99Ms >= 0) {
        family(out, "presence_offline_lateness_p99_ms", "gauge",
               "p99 of how late OFFLINE timeouts came after the deadline, last 5 min.");
        sample(out, "presence_offline_lateness_p99_ms", d.latenessP99Ms);
    }
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
    family(out, "presence_heartbeats_paused", "gauge",
           "1 while this node's heartbeats are paused.");
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
           qint64(m.sessionsDroppedSlowReader + m.sessionsDroppedWriteFailed +
                  m.sessionsDroppedDeadPeer + m.sessionsDroppedStalledReader));
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
    sample(out, "presence_connections_closed_oversized_total",
           qint64(g.connectionsClosedOversized));

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

    renderDiagnostics(out, g.diagnostics, g.alerts);

    family(out, "presence_transitions_total", "counter",
           "Presence transitions, by status and reason.");
    QStringList keys = m.transitionsByStatusAndReason.keys();
    std::sort(keys.begin(), keys.end());
    for (const QString &key : keys) {
        const qsizetype slash = key.indexOf(QLatin1Char('/'));
        sample(out, "presence_transitions_total", qint64(m.transitionsByStatusAndReason.value(key)),
               "status=\"" + labelValue(key.left(slash)) + "\",reason=\"" +
                   labelValue(key.mid(slash + 1)) + '"');
    }
    return out;
}

} // namespace presence
