#include "SettingsDialog.h"

#include "DashboardSettings.h"
#include "app/PresenceBackend.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace presence {

SettingsDialog::SettingsDialog(PresenceBackend &backend, DashboardSettings &settings, QWidget *parent)
    : QDialog(parent)
    , m_backend(backend)
    , m_settings(settings)
    , m_heartbeat(new QSpinBox(this))
    , m_ttlFactor(new QDoubleSpinBox(this))
    , m_grace(new QSpinBox(this))
    , m_listen(new QLineEdit(this))
    , m_engineLabel(new QLabel(this))
    , m_redisLabel(new QLabel(this))
    , m_prefixLabel(new QLabel(this))
    , m_summary(new QLabel(this))
{
    setWindowTitle(tr("Settings"));
    const PresenceTiming current = backend.engine().timing();
    m_heartbeat->setRange(50, 600000);
    m_heartbeat->setSingleStep(100);
    m_heartbeat->setSuffix(tr(" ms"));
    m_heartbeat->setValue(int(current.heartbeatMs));
    m_ttlFactor->setRange(1.0, 20.0);
    m_ttlFactor->setSingleStep(0.1);
    m_ttlFactor->setDecimals(2);
    m_ttlFactor->setValue(current.ttlFactor);
    m_grace->setRange(0, 600000);
    m_grace->setSingleStep(100);
    m_grace->setSuffix(tr(" ms"));
    m_grace->setValue(int(current.graceMs));
    // The address asked for, not the free port a taken one fell back to: that is what to
    // remember for the next start.
    const Options &asked = backend.options();
    const QString askedHost = asked.listenHost.contains(QLatin1Char(':'))
                                  ? QLatin1Char('[') + asked.listenHost + QLatin1Char(']')
                                  : asked.listenHost;
    m_listen->setText(
        settings.listen(QStringLiteral("%1:%2").arg(askedHost).arg(asked.listenPort)));
    m_listen->setPlaceholderText(QStringLiteral("127.0.0.1:8080"));
    m_summary->setWordWrap(true);

    // Where the node stores: shown, not edited here (a Redis URL may hold a password, which
    // never goes into a settings file); the command line or PRESENCE_* sets them at start.
    const Options &options = backend.options();
    const QString choice = options.engine == EngineChoice::Auto     ? QStringLiteral("auto")
                           : options.engine == EngineChoice::Memory ? QStringLiteral("memory")
                                                                    : QStringLiteral("redis");
    m_engineLabel->setText(tr("%1 (asked for: %2)").arg(backend.engine().kind(), choice));
    const QString redis = backend.redisAddress();
    m_redisLabel->setText(redis.isEmpty() ? tr("none (in-memory engine)")
                          : backend.embeddedRedis() != nullptr
                              ? tr("%1 (private redis-server)").arg(redis)
                              : redis);
    m_prefixLabel->setText(options.keyPrefix.isEmpty() ? tr("none") : options.keyPrefix);
    for (QLabel *label : {m_engineLabel, m_redisLabel, m_prefixLabel}) {
        label->setTextFormat(Qt::PlainText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setToolTip(
            tr("Set with --backend, --redis and --key-prefix (or PRESENCE_BACKEND, "
               "PRESENCE_REDIS, PRESENCE_KEY_PREFIX); takes effect at the next start"));
    }

    auto *form = new QFormLayout;
    form->addRow(tr("Heartbeat period"), m_heartbeat);
    form->addRow(tr("TTL factor"), m_ttlFactor);
    form->addRow(tr("Grace after the last connection"), m_grace);
    form->addRow(tr("Listen address"), m_listen);
    form->addRow(tr("Backend"), m_engineLabel);
    form->addRow(tr("Redis"), m_redisLabel);
    form->addRow(tr("Key prefix"), m_prefixLabel);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_summary);
    layout->addWidget(buttons);

    for (QSpinBox *box : {m_heartbeat, m_grace})
        connect(box, &QSpinBox::valueChanged, this, &SettingsDialog::updateSummary);
    connect(m_ttlFactor, &QDoubleSpinBox::valueChanged, this, &SettingsDialog::updateSummary);
    connect(m_listen, &QLineEdit::textChanged, this, [this, buttons] {
        QString host;
        quint16 port = 0;
        buttons->button(QDialogButtonBox::Ok)->setEnabled(parseListenAddress(listen(), &host, &port));
        updateSummary();
    });
    updateSummary();
}

PresenceTiming SettingsDialog::timing() const
{
    PresenceTiming timing;
    timing.heartbeatMs = m_heartbeat->value();
    timing.ttlFactor = m_ttlFactor->value();
    timing.graceMs = m_grace->value();
    return timing;
}

QString SettingsDialog::listen() const
{
    return m_listen->text().trimmed();
}

void SettingsDialog::updateSummary()
{
    const PresenceTiming next = timing();
    m_summary->setText(tr("A client goes OFFLINE \"timeout\" %1 s after its last heartbeat. "
                          "Timing applies now; the listen address at the next start. Backend, "
                          "Redis and key prefix come from the command line or PRESENCE_* "
                          "variables when presence starts.")
                           .arg(double(next.ttlMs()) / 1000.0, 0, 'f', 2));
}

void SettingsDialog::accept()
{
    const PresenceTiming next = timing();
    if (!(next == m_backend.engine().timing())) {
        m_backend.engine().setTiming(next);
        m_backend.localClients().start(); // the heartbeat timer picks up the new period
    }
    m_settings.save(next, listen());
    QDialog::accept();
}

} // namespace presence
