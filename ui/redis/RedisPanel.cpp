#include "RedisPanel.h"

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
QString number(qint64 value)
{
    return value < 0 ? QStringLiteral("—") : QLocale().toString(value);
}

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
    if (backend.engine().kind() == u"redis") {
        buildForRedis();
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

void RedisPanel::buildForRedis()
{
    auto *connection = new QGroupBox(tr("Connection"), this);
    m_state = valueLabel(connection);
    m_address = valueLabel(connection);
    auto *connectionForm = new QFormLayout(connection);
    connectionForm->addRow(tr("State"), m_state);
    connectionForm->addRow(tr("Address"), m_address);

    auto *keyspace = new QGroupBox(tr("Keyspace notifications"), this);
    m_flags = valueLabel(keyspace);
    m_expired = new QCheckBox(tr("Expired-key events (the fast path to OFFLINE \"timeout\")"), keyspace);
    m_expired->setToolTip(tr("Adds or removes only the x class of notify-keyspace-events; "
                             "other flags are kept. Without it the deadline sweep still times "
                             "clients out."));
    m_configMessage = valueLabel(keyspace);
    auto *keyspaceForm = new QFormLayout(keyspace);
    keyspaceForm->addRow(tr("notify-keyspace-events"), m_flags);
    keyspaceForm->addRow(m_expired);
    keyspaceForm->addRow(m_configMessage);
    connect(m_expired, &QCheckBox::clicked, this, [this](bool wanted) {
        m_backend.engine().setExpiredNotificationsWanted(wanted);
    });

    auto *streams = new QGroupBox(tr("Streams and processors"), this);
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

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(connection);
    layout->addWidget(keyspace);
    layout->addWidget(streams);
    layout->addStretch(1);

    connect(&m_monitor, &DiagnosticsMonitor::updated, this, &RedisPanel::render);
    render();
}

void RedisPanel::refresh()
{
    m_monitor.refresh();
}

void RedisPanel::render()
{
    const EngineDiagnostics &d = m_monitor.last();
    renderConnection(d);
    renderKeyspace(d);
    if (!d.valid)
        return;
    m_streams->setText(tr("heartbeat %1 · presence %2")
                           .arg(number(d.heartbeatStreamLength), number(d.presenceStreamLength)));
    const ProcessorBacklog &p = d.processors;
    QString group = !p.known ? tr("not read yet")
                             : tr("lag %1 · pending %2 · %3 consumer(s) · behind %4 ms")
                                   .arg(number(p.lag), number(p.pending), number(p.consumers),
                                        number(p.behindMs));
    QStringList pendingBy;
    for (const ConsumerStatus &consumer : d.consumers) {
        if (consumer.pending > 0)
            pendingBy << tr("%1: %2").arg(consumer.name).arg(consumer.pending);
    }
    if (!pendingBy.isEmpty())
        group += QStringLiteral("\n") + tr("pending by consumer: %1").arg(pendingBy.join(QStringLiteral(", ")));
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
            tr("<b style='color:#e07b24'>The server refused CONFIG</b> (%1). Managed Redis services "
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
