#include "RedisPanel.h"

#include "ClusterView.h"
#include "FigureText.h"
#include "app/PresenceBackend.h"
#include "engine/DiagnosticsMonitor.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace presence {

namespace {
QLabel *valueLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}
} // namespace

RedisPanel::RedisPanel(PresenceBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_monitor(backend.diagnostics())
{
    if (backend.engine().kind() == u"redis" || backend.engine().kind() == u"redis-cluster") {
        buildForRedis(backend.engine().kind() == u"redis-cluster");
        return;
    }
    auto *layout = new QVBoxLayout(this);
    auto *note = new QLabel(tr("<b>In-memory engine: no Redis.</b><p>This node decides presence "
                               "on its own. Start presence without <tt>--backend memory</tt> (a "
                               "private redis-server is started when one is installed) or with "
                               "<tt>--redis URL</tt> to run the Redis pipeline.</p>"),
                            this);
    note->setWordWrap(true);
    layout->addWidget(note);
    layout->addStretch(1);
}

void RedisPanel::buildForRedis(bool cluster)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(connectionGroup());
    if (cluster) {
        auto *box = new QGroupBox(tr("Cluster"), this);
        m_cluster = new ClusterView(box);
        auto *boxLayout = new QVBoxLayout(box);
        boxLayout->addWidget(m_cluster);
        layout->addWidget(box, 1);
    } else {
        layout->addWidget(topologyGroup());
    }
    layout->addWidget(keyspaceGroup());
    layout->addWidget(streamsGroup(cluster));
    if (!cluster)
        layout->addStretch(1);

    connect(&m_monitor, &DiagnosticsMonitor::updated, this, &RedisPanel::render);
    render();
}

QGroupBox *RedisPanel::connectionGroup()
{
    auto *connection = new QGroupBox(tr("Connection"), this);
    m_state = valueLabel(connection);
    m_address = valueLabel(connection);
    auto *connectionForm = new QFormLayout(connection);
    connectionForm->addRow(tr("State"), m_state);
    connectionForm->addRow(tr("Address"), m_address);
    return connection;
}

QGroupBox *RedisPanel::topologyGroup()
{
    auto *topology = new QGroupBox(tr("Topology"), this);
    m_primary = valueLabel(topology);
    m_replicas = valueLabel(topology);
    m_sentinels = valueLabel(topology);
    m_tls = valueLabel(topology);
    for (QLabel *label : {m_primary, m_replicas, m_sentinels, m_tls})
        label->setTextFormat(Qt::RichText);
    auto *topologyForm = new QFormLayout(topology);
    topologyForm->addRow(tr("Server"), m_primary);
    topologyForm->addRow(tr("Replicas"), m_replicas);
    topologyForm->addRow(tr("Sentinels"), m_sentinels);
    topologyForm->addRow(tr("TLS"), m_tls);
    return topology;
}

QGroupBox *RedisPanel::keyspaceGroup()
{
    auto *keyspace = new QGroupBox(tr("Keyspace notifications"), this);
    m_flags = valueLabel(keyspace);
    m_expired =
        new QCheckBox(tr("Expired-key events (the fast path to OFFLINE \"timeout\")"), keyspace);
    m_expired->setToolTip(tr("Adds or removes only the x class of notify-keyspace-events; "
                             "other flags are kept. Without it the deadline sweep still times "
                             "clients out."));
    m_configMessage = valueLabel(keyspace);
    auto *keyspaceForm = new QFormLayout(keyspace);
    keyspaceForm->addRow(tr("notify-keyspace-events"), m_flags);
    keyspaceForm->addRow(m_expired);
    keyspaceForm->addRow(m_configMessage);
    connect(m_expired, &QCheckBox::clicked, this,
            [this](bool wanted) { m_backend.engine().setExpiredNotificationsWanted(wanted); });
    return keyspace;
}

QGroupBox *RedisPanel::streamsGroup(bool cluster)
{
    auto *streams = new QGroupBox(
        cluster ? tr("Streams and processors, all shards") : tr("Streams and processors"), this);
    m_streams = valueLabel(streams);
    m_group = valueLabel(streams);
    m_processor = valueLabel(streams);
    m_refresh = new QPushButton(tr("Refresh (F5)"), streams);
    connect(m_refresh, &QPushButton::clicked, this, &RedisPanel::refresh);
    auto *streamsForm = new QFormLayout(streams);
    streamsForm->addRow(tr("Stream length"), m_streams);
    streamsForm->addRow(tr("Processors' group"), m_group);
    streamsForm->addRow(tr("This processor"), m_processor);
    streamsForm->addRow(m_refresh);
    return streams;
}

void RedisPanel::refresh()
{
    m_monitor.refresh();
}

void RedisPanel::render()
{
    const EngineDiagnostics &d = m_monitor.last();
    renderConnection(d);
    if (m_cluster)
        m_cluster->render(d.cluster);
    else
        renderTopology(d);
    renderKeyspace(d);
    if (!d.valid)
        return;
    m_streams->setText(tr("heartbeat %1 · presence %2")
                           .arg(figureText(d.heartbeatStreamLength), figureText(d.presenceStreamLength)));
    const ProcessorBacklog &p = d.processors;
    QString group = !p.known ? tr("not read yet")
                             : tr("lag %1 · pending %2 · %3 consumer(s) · behind %4 ms")
                                   .arg(figureText(p.lag), figureText(p.pending), figureText(p.consumers),
                                        figureText(p.behindMs));
    QStringList pendingBy;
    for (const ConsumerStatus &consumer : d.consumers) {
        if (consumer.pending > 0)
            pendingBy << tr("%1: %2").arg(consumer.name).arg(consumer.pending);
    }
    if (!pendingBy.isEmpty())
        group += QStringLiteral("\n") +
                 tr("pending by consumer: %1").arg(pendingBy.join(QStringLiteral(", ")));
    m_group->setText(group);
    m_processor->setText(tr("%1 heartbeats · %2 transitions · %3 claimed · %4 junk")
                             .arg(QLocale().toString(d.heartbeatsProcessed),
                                  QLocale().toString(d.processorTransitions),
                                  QLocale().toString(d.entriesClaimed),
                                  QLocale().toString(d.junkEntries)));
}

void RedisPanel::renderConnection(const EngineDiagnostics &d)
{
    const PresenceEngine::Health health = m_backend.engine().health();
    QString state;
    if (health.ok)
        state = tr("<b style='color:#2fa84f'>● up</b>");
    else if (health.state == u"down")
        state = tr("<b style='color:#d64545'>✕ down</b>");
    else if (health.state == u"connecting")
        state = tr("<b style='color:#e07b24'>◌ connecting</b>");
    else
        state = tr("<b>connected, %1</b>").arg(health.state.toHtmlEscaped());
    if (!health.detail.isEmpty())
        state += QStringLiteral(" — ") + health.detail.toHtmlEscaped();
    if (health.ok && d.roundTripMs >= 0)
        state += tr(" · round trip %1 ms").arg(d.roundTripMs);
    m_state->setText(state);
    QString address = d.storeAddress.isEmpty() ? m_backend.redisAddress() : d.storeAddress;
    if (m_backend.embeddedRedis())
        address += tr(" (private redis-server, stopped on exit)");
    m_address->setText(address);
}

void RedisPanel::renderTopology(const EngineDiagnostics &d)
{
    const StoreTopology &t = d.topology;
    if (!t.known) {
        for (QLabel *label : {m_primary, m_replicas, m_sentinels, m_tls})
            label->setText(tr("not read yet"));
        return;
    }
    const QString server = t.server.isEmpty() ? tr("none yet (asking the Sentinels)") : t.server;
    if (t.role == u"master")
        m_primary->setText(tr("%1 — primary").arg(server));
    else if (!t.role.isEmpty())
        m_primary->setText(
            tr("%1 — <b style='color:#e07b24'>%2</b>").arg(server, t.role.toHtmlEscaped()));
    else
        m_primary->setText(server);

    if (!t.roleError.isEmpty()) {
        m_replicas->setText(tr("unknown: ROLE refused (%1)").arg(t.roleError.toHtmlEscaped()));
    } else if (t.role.isEmpty()) {
        m_replicas->setText(d.storeOk ? tr("not read yet") : tr("unknown while Redis is away"));
    } else if (t.replicas.isEmpty()) {
        m_replicas->setText(t.sentinels.isEmpty() ? tr("none")
                                                  : tr("<b style='color:#e07b24'>none</b> — no "
                                                       "replica to promote if the primary fails"));
    } else {
        QStringList lines;
        // A replica acknowledges its offset once a second: up to a second of writes behind is
        // the usual, not a sign of trouble.
        for (const StoreReplica &replica : t.replicas) {
            if (replica.lagBytes < 0)
                lines << replica.address;
            else if (replica.lagBytes == 0)
                lines << tr("%1 · in sync").arg(replica.address);
            else
                lines << tr("%1 · %2 behind (acknowledged once a second)")
                             .arg(replica.address, QLocale().formattedDataSize(replica.lagBytes));
        }
        m_replicas->setText(lines.join(QStringLiteral("<br>")));
    }

    if (t.sentinels.isEmpty()) {
        m_sentinels->setText(tr("none (a plain Redis URL)"));
    } else {
        QStringList lines;
        for (const QString &sentinel : t.sentinels)
            lines << (sentinel == t.answeringSentinel ? tr("%1 · answered last").arg(sentinel)
                                                      : sentinel);
        m_sentinels->setText(lines.join(QStringLiteral("<br>")));
    }

    m_tls->setText(!t.tls        ? tr("off (plain TCP)")
                   : t.tlsMutual ? tr("on, mutual (this node presents a client certificate)")
                                 : tr("on (server certificate checked)"));
}

void RedisPanel::renderKeyspace(const EngineDiagnostics &d)
{
    const QString flags = d.notifyKeyspaceEvents;
    m_flags->setText(flags.isEmpty() ? tr("\"\" (none)") : QStringLiteral("\"%1\"").arg(flags));
    if (d.valid)
        m_expired->setChecked(d.notificationsWanted);
    switch (d.notifications) {
    case NotificationState::Enabled:
        m_configMessage->setText(tr("Redis publishes expired events; this node listens."));
        break;
    case NotificationState::Disabled:
        m_configMessage->setText(tr("Expired events are off: OFFLINE \"timeout\" comes from the "
                                    "deadline sweep alone."));
        break;
    case NotificationState::Refused:
        m_configMessage->setText(
            tr("<b style='color:#e07b24'>The server refused CONFIG</b> (%1). Managed Redis "
               "services "
               "often do: set notify-keyspace-events in the service's settings. Until then the "
               "deadline sweep alone times clients out.")
                .arg(d.notificationsError.toHtmlEscaped()));
        break;
    case NotificationState::Unknown:
    case NotificationState::NotApplicable:
        m_configMessage->setText(tr("Not read yet."));
        break;
    }
}

} // namespace presence
