#include "ObserverPanel.h"

#include "app/PresenceBackend.h"
#include "observe/KeyspaceSwitch.h"
#include "redis/KeyspaceFlags.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace presence {

ObserverPanel::ObserverPanel(PresenceBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_keyspace(backend.keyspaceSwitch())
    , m_state(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    auto *watch = new QGroupBox(tr("Watching (read-only)"), this);
    auto *target = new QLabel(backend.observedTarget().toHtmlEscaped(), watch);
    target->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_state->setWordWrap(true);
    auto *form = new QFormLayout(watch);
    form->addRow(tr("Deployment"), target);
    form->addRow(tr("State"), m_state);
    auto *note = new QLabel(tr("This dashboard registers nothing, consumes no heartbeat, loads no "
                               "function and listens on no port. Simulation is off: it would "
                               "act on the deployment."),
                            watch);
    note->setWordWrap(true);
    form->addRow(note);
    layout->addWidget(watch);

    if (m_keyspace) {
        auto *keyspace = new QGroupBox(tr("Keyspace notifications"), this);
        m_flags = new QLabel(tr("reading…"), keyspace);
        m_keyspaceButton = new QPushButton(tr("Switch expired-key events…"), keyspace);
        m_keyspaceButton->setEnabled(false);
        m_keyspaceMessage = new QLabel(keyspace);
        m_keyspaceMessage->setWordWrap(true);
        auto *keyspaceForm = new QFormLayout(keyspace);
        keyspaceForm->addRow(tr("notify-keyspace-events"), m_flags);
        keyspaceForm->addRow(m_keyspaceButton);
        keyspaceForm->addRow(m_keyspaceMessage);
        layout->addWidget(keyspace);
        connect(m_keyspaceButton, &QPushButton::clicked, this, &ObserverPanel::askToSwitch);
    }
    layout->addStretch(1);
    connect(&backend.engine(), &PresenceEngine::healthChanged, this, &ObserverPanel::updateState);
    updateState();
}

void ObserverPanel::updateState()
{
    const PresenceEngine::Health health = m_backend.engine().health();
    m_state->setText(health.ok ? tr("<b style='color:#2e8b57'>up</b>")
                               : tr("<b style='color:#c0392b'>%1</b> %2")
                                     .arg(health.state.toHtmlEscaped(), health.detail.toHtmlEscaped()));
    if (health.ok && m_keyspace && m_flags->text() == tr("reading…"))
        readFlags();
}

void ObserverPanel::readFlags()
{
    m_keyspace->read(this, [this](bool ok, const QString &text) {
        if (!ok) {
            m_flags->setText(tr("unknown"));
            m_keyspaceMessage->setText(tr("The server did not say: %1").arg(text));
            return;
        }
        m_expiredOn = keyspaceFlagsDeliverExpiredKeyevents(text);
        m_flags->setText(text.isEmpty() ? tr("(empty: none)") : text);
        m_keyspaceButton->setText(m_expiredOn ? tr("Switch expired-key events off…")
                                              : tr("Switch expired-key events on…"));
        m_keyspaceButton->setEnabled(true);
    });
}

void ObserverPanel::askToSwitch()
{
    const bool on = !m_expiredOn;
    const QMessageBox::StandardButton answer = QMessageBox::question(
        this, tr("Change the Redis server's setting?"),
        tr("<p>This changes <tt>notify-keyspace-events</tt> on the Redis server at <b>%1</b> "
           "for <b>everyone</b> using it — every node of the deployment and any other program "
           "— not only for this dashboard.</p><p>Switch expired-key events <b>%2</b>?</p>")
            .arg(m_keyspace->serverAddress().toHtmlEscaped(), on ? tr("on") : tr("off")),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Yes)
        switchExpiredEvents(on);
}

void ObserverPanel::switchExpiredEvents(bool on)
{
    m_keyspaceButton->setEnabled(false);
    m_keyspace->setExpiredEvents(on, this, [this](bool ok, const QString &text) {
        m_keyspaceMessage->setText(ok ? tr("Changed on the server.")
                                      : tr("The server refused: %1").arg(text));
        readFlags();
    });
}

} // namespace presence
