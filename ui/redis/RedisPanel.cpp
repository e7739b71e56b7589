#include "RedisPanel.h"

#include "RedisInspector.h"
#include "app/PresenceBackend.h"
#include "redis/RedisPresenceEngine.h"

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
    , m_engine(qobject_cast<RedisPresenceEngine *>(&backend.engine()))
{
    if (m_engine) {
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
    m_inspector = new RedisInspector(m_engine->commands(), m_engine->config().keys, this);

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
        m_engine->keyspace().setNotificationsWanted(wanted);
    });

    auto *streams = new QGroupBox(tr("Streams and processors"), this);
    m_streams = valueLabel(streams);
    m_group = valueLabel(streams);
    m_processor = valueLabel(streams);
    m_nodes = valueLabel(streams);
    m_refresh = new QPushButton(tr("Refresh (F5)"), streams);
    connect(m_refresh, &QPushButton::clicked, this, &RedisPanel::refresh);
    auto *streamsForm = new QFormLayout(streams);
    streamsForm->addRow(tr("Stream length"), m_streams);
    streamsForm->addRow(tr("Group %1").arg(QString::fromUtf8(m_engine->config().keys.processorGroup())),
                        m_group);
    streamsForm->addRow(tr("This processor"), m_processor);
    streamsForm->addRow(tr("Nodes alive"), m_nodes);
    streamsForm->addRow(m_refresh);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(connection);
    layout->addWidget(keyspace);
    layout->addWidget(streams);
    layout->addStretch(1);

    connect(&m_engine->commands(), &RedisConnection::stateChanged, this, &RedisPanel::updateConnection);
    connect(m_engine, &RedisPresenceEngine::healthChanged, this, &RedisPanel::updateConnection);
    connect(&m_engine->keyspace(), &KeyspaceListener::configChanged, this, &RedisPanel::updateKeyspace);
    connect(m_inspector, &RedisInspector::updated, this, &RedisPanel::updateReport);
    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &RedisPanel::refresh);
    m_timer.start();
    updateConnection();
    updateKeyspace();
    updateReport();
    refresh();
}

void RedisPanel::refresh()
{
    if (m_inspector && m_engine->commands().state() == RedisConnection::State::Up)
        m_inspector->refresh();
}

void RedisPanel::updateConnection()
{
    const RedisConnection &commands = m_engine->commands();
    const PresenceEngine::Health health = m_engine->health();
    QString state;
    switch (commands.state()) {
    case RedisConnection::State::Up:
        state = health.ok ? tr("<b style='color:#2fa84f'>● up</b>")
                          : tr("<b>connected, %1</b>").arg(health.state.toHtmlEscaped());
        break;
    case RedisConnection::State::Connecting:
        state = tr("<b style='color:#e07b24'>◌ connecting</b>");
        break;
    case RedisConnection::State::Down:
        state = tr("<b style='color:#d64545'>✕ down</b>");
        break;
    }
    if (!health.detail.isEmpty())
        state += QStringLiteral(" — ") + health.detail.toHtmlEscaped();
    m_state->setText(state);
    QString address = commands.url().toDisplayString();
    if (m_backend.embeddedRedis())
        address += tr(" (private redis-server, stopped on exit)");
    m_address->setText(address);
}

void RedisPanel::updateKeyspace()
{
    const KeyspaceListener &keyspace = m_engine->keyspace();
    const QString flags = keyspace.flags();
    m_flags->setText(flags.isEmpty() ? tr("\"\" (none)") : QStringLiteral("\"%1\"").arg(flags));
    m_expired->setChecked(keyspace.notificationsWanted());
    switch (keyspace.configState()) {
    case KeyspaceListener::ConfigState::Enabled:
        m_configMessage->setText(tr("Redis publishes expired events; this node listens."));
        break;
    case KeyspaceListener::ConfigState::Disabled:
        m_configMessage->setText(tr("Expired events are off: OFFLINE \"timeout\" comes from the "
                                    "deadline sweep alone."));
        break;
    case KeyspaceListener::ConfigState::Refused:
        m_configMessage->setText(
            tr("<b style='color:#e07b24'>The server refused CONFIG</b> (%1). Managed Redis services "
               "often do: set notify-keyspace-events in the service's settings. Until then the "
               "deadline sweep alone times clients out.")
                .arg(keyspace.configError().toHtmlEscaped()));
        break;
    case KeyspaceListener::ConfigState::Unknown:
        m_configMessage->setText(tr("Not read yet."));
        break;
    }
}

void RedisPanel::updateReport()
{
    const RedisInspector::Report &report = m_inspector->report();
    m_streams->setText(tr("heartbeat %1 · presence %2")
                           .arg(number(report.heartbeatLength), number(report.presenceLength)));
    QString group = tr("lag %1 · pending %2 · %3 consumer(s)")
                        .arg(number(report.groupLag), number(report.groupPending),
                             number(report.groupConsumers));
    if (!report.pendingByConsumer.isEmpty())
        group += QStringLiteral("\n") + tr("pending by consumer: %1").arg(report.pendingByConsumer.join(QStringLiteral(", ")));
    m_group->setText(group);
    const HeartbeatProcessor::Stats &stats = m_engine->processor().stats();
    m_processor->setText(tr("%1 heartbeats · %2 transitions · %3 claimed · %4 junk")
                             .arg(QLocale().toString(stats.processed), QLocale().toString(stats.transitions),
                                  QLocale().toString(stats.claimed), QLocale().toString(stats.junk)));
    m_nodes->setText(report.nodes.isEmpty() ? QStringLiteral("—")
                                            : report.nodes.join(QStringLiteral("\n")));
    if (!report.error.isEmpty())
        m_nodes->setText(m_nodes->text() + QStringLiteral("\n") + tr("error: %1").arg(report.error));
}

} // namespace presence
