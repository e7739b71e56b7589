#include "SimulationPanel.h"

#include "ChurnGenerator.h"
#include "SimulatedClientModel.h"
#include "engine/LocalClients.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

namespace presence {

namespace {
struct ActionText {
    SimulatedClientPool::Action action;
    const char *label;
    const char *tip;
};
// Spelled out in the tooltips because the four look alike from the outside but end differently.
constexpr ActionText actionTexts[] = {
    {SimulatedClientPool::Action::Leave, QT_TRANSLATE_NOOP("presence::SimulationPanel", "Leave"),
     QT_TRANSLATE_NOOP("presence::SimulationPanel",
                       "Close the stream cleanly: OFFLINE \"left\" after the grace period")},
    {SimulatedClientPool::Action::Crash, QT_TRANSLATE_NOOP("presence::SimulationPanel", "Crash"),
     QT_TRANSLATE_NOOP("presence::SimulationPanel",
                       "Abort the connection and never come back: OFFLINE \"timeout\" after the TTL")},
    {SimulatedClientPool::Action::Freeze, QT_TRANSLATE_NOOP("presence::SimulationPanel", "Freeze"),
     QT_TRANSLATE_NOOP("presence::SimulationPanel",
                       "Stop reading: once ~8 KiB more traffic has filled the client's buffers, its "
                       "receive window stays shut; the node drops it after the peer timeout (6 s by "
                       "default) and it goes OFFLINE \"left\" after the grace period. With churn in "
                       "its room that is seconds; in a quiet room the 13-byte keepalives take "
                       "many minutes")},
    {SimulatedClientPool::Action::Reconnect,
     QT_TRANSLATE_NOOP("presence::SimulationPanel", "Reconnect"),
     QT_TRANSLATE_NOOP("presence::SimulationPanel",
                       "Close and reopen at once with Last-Event-ID: no OFFLINE within the grace period")},
};
} // namespace

SimulationPanel::SimulationPanel(LocalClients &localClients, const QString &thisNodeUrl,
                                 QWidget *parent)
    : QWidget(parent)
    , m_localClients(localClients)
    , m_thisNodeUrl(thisNodeUrl)
    , m_pool(new SimulatedClientPool(this))
    , m_churn(new ChurnGenerator(*m_pool, this))
    , m_model(new SimulatedClientModel(*m_pool, this))
{
    // A connection in several rooms is one member per room: each close must be marked.
    m_pool->setCrashHook([this](const QString &name, const QList<RoomName> &rooms) {
        if (const auto id = ClientId::fromString(name)) {
            for (const RoomName &room : rooms)
                m_localClients.markCrashed(RoomMember{room, *id});
        }
    });

    m_summary = new QLabel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    const int em = m_view->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    m_view->horizontalHeader()->setSectionResizeMode(SimulatedClientModel::NameColumn,
                                                     QHeaderView::Stretch);
    m_view->horizontalHeader()->resizeSection(SimulatedClientModel::RoomsColumn, 6 * em);
    m_view->horizontalHeader()->resizeSection(SimulatedClientModel::StateColumn, 8 * em);
    m_view->horizontalHeader()->resizeSection(SimulatedClientModel::EventsColumn, 5 * em);
    m_view->horizontalHeader()->resizeSection(SimulatedClientModel::TargetColumn, 7 * em);
    m_view->horizontalHeader()->setHighlightSections(false);
    auto *removeEnded = new QPushButton(tr("Forget ended"), this);
    connect(removeEnded, &QPushButton::clicked, m_pool, &SimulatedClientPool::removeEnded);

    auto *tableHeader = new QHBoxLayout;
    tableHeader->addWidget(m_summary, 1);
    tableHeader->addWidget(removeEnded);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(buildSpawnBox());
    layout->addWidget(buildDropoutBox());
    auto *row = new QHBoxLayout;
    row->addWidget(buildChurnBox(), 1);
    row->addWidget(buildNodeBox(), 1);
    layout->addLayout(row);
    layout->addLayout(tableHeader);
    layout->addWidget(m_view, 1);

    m_summaryTimer.setSingleShot(true);
    m_summaryTimer.setInterval(100);
    connect(&m_summaryTimer, &QTimer::timeout, this, &SimulationPanel::updateSummary);
    auto later = [this] {
        if (!m_summaryTimer.isActive())
            m_summaryTimer.start();
    };
    connect(m_pool, &SimulatedClientPool::clientChanged, this, later);
    connect(m_pool, &SimulatedClientPool::clientAdded, this, later);
    connect(m_model, &SimulatedClientModel::rowsRemoved, this, later);
    connect(&m_localClients, &LocalClients::heartbeatsPausedChanged, this,
            &SimulationPanel::updateHeartbeatState);
    updateTarget();
    updateSummary();
    updateHeartbeatState();
}

QWidget *SimulationPanel::buildSpawnBox()
{
    auto *box = new QGroupBox(tr("Spawn simulated clients"), this);
    m_target = new QComboBox(box);
    m_target->addItem(tr("This node (%1)").arg(m_thisNodeUrl));
    m_target->addItem(tr("Another node at URL"));
    m_url = new QLineEdit(box);
    m_url->setPlaceholderText(QStringLiteral("http://127.0.0.1:8081"));
    m_pattern = new QLineEdit(box);
    m_pattern->setToolTip(tr("Client names; {n} is replaced by a running number"));
    m_count = new QSpinBox(box);
    m_count->setRange(1, 10000);
    m_count->setValue(50);
    m_rooms = new QSpinBox(box);
    m_rooms->setRange(1, 1000);
    m_rooms->setValue(1);
    m_rooms->setSpecialValueText(tr("1 (default)"));
    m_rooms->setToolTip(tr("Spread new clients (spawned and churned) round-robin over rooms "
                           "r1…rK with ?room=; 1: all in the default room"));
    auto *roomsHint = new QLabel(box);
    auto showRooms = [this, roomsHint](int rooms) {
        m_pool->setRoomCount(rooms);
        roomsHint->setText(rooms > 1 ? tr("new clients go round-robin to r1…r%1").arg(rooms)
                                     : tr("new clients join the default room"));
    };
    connect(m_rooms, &QSpinBox::valueChanged, this, showRooms);
    showRooms(m_rooms->value());
    m_spawn = new QPushButton(tr("Spawn"), box);
    m_spawn->setToolTip(tr("Open this many real SSE connections (Ctrl+N)"));
    connect(m_target, &QComboBox::currentIndexChanged, this, &SimulationPanel::updateTarget);
    connect(m_url, &QLineEdit::textChanged, this, &SimulationPanel::updateTarget);
    connect(m_spawn, &QPushButton::clicked, this, &SimulationPanel::spawn);
    // Churned clients get a name of their own, so they are told apart from spawned ones.
    connect(m_pattern, &QLineEdit::textChanged, this, [this](const QString &pattern) {
        m_churn->setPattern(QStringLiteral("churn-")
                            + (pattern.trimmed().isEmpty() ? QStringLiteral("{n}") : pattern.trimmed()));
    });
    m_pattern->setText(QStringLiteral("sim-{n}"));

    auto *grid = new QGridLayout(box);
    grid->addWidget(new QLabel(tr("Target"), box), 0, 0);
    grid->addWidget(m_target, 0, 1, 1, 3);
    grid->addWidget(new QLabel(tr("URL"), box), 1, 0);
    grid->addWidget(m_url, 1, 1, 1, 3);
    grid->addWidget(new QLabel(tr("Names"), box), 2, 0);
    grid->addWidget(m_pattern, 2, 1);
    grid->addWidget(m_count, 2, 2);
    grid->addWidget(m_spawn, 2, 3);
    auto *rooms = new QHBoxLayout;
    rooms->addWidget(m_rooms);
    rooms->addWidget(roomsHint, 1);
    grid->addWidget(new QLabel(tr("Rooms"), box), 3, 0);
    grid->addLayout(rooms, 3, 1, 1, 3);
    grid->setColumnStretch(1, 1);
    return box;
}

QWidget *SimulationPanel::buildDropoutBox()
{
    auto *box = new QGroupBox(tr("Drop-outs"), this);
    m_scope = new QComboBox(box);
    m_scope->addItem(tr("Selected clients"));
    m_scope->addItem(tr("Random share"));
    m_scope->setCurrentIndex(1);
    m_share = new QSpinBox(box);
    m_share->setRange(1, 100);
    m_share->setValue(10);
    m_share->setSuffix(QStringLiteral(" %"));
    connect(m_scope, &QComboBox::currentIndexChanged, this,
            [this](int index) { m_share->setEnabled(index == 1); });
    auto *buttons = new QHBoxLayout;
    for (const ActionText &text : actionTexts) {
        auto *button = new QPushButton(tr(text.label), box);
        button->setToolTip(tr(text.tip));
        connect(button, &QPushButton::clicked, this, [this, action = text.action] { act(action); });
        m_actions.append(button);
        buttons->addWidget(button);
    }
    m_lastAction = new QLabel(box);
    m_lastAction->setWordWrap(true);
    auto *scope = new QHBoxLayout;
    scope->addWidget(new QLabel(tr("Apply to"), box));
    scope->addWidget(m_scope, 1);
    scope->addWidget(m_share);
    auto *layout = new QVBoxLayout(box);
    layout->addLayout(scope);
    layout->addLayout(buttons);
    layout->addWidget(m_lastAction);
    return box;
}

QWidget *SimulationPanel::buildChurnBox()
{
    auto *box = new QGroupBox(tr("Churn"), this);
    m_joins = new QDoubleSpinBox(box);
    m_leaves = new QDoubleSpinBox(box);
    for (QDoubleSpinBox *rate : {m_joins, m_leaves}) {
        rate->setRange(0, 1000);
        rate->setDecimals(1);
        rate->setValue(5);
        rate->setSuffix(tr(" /s"));
    }
    m_churnButton = new QPushButton(tr("Start churn"), box);
    m_churnButton->setCheckable(true);
    connect(m_churnButton, &QPushButton::toggled, this, [this](bool on) {
        m_churn->setRates(m_joins->value(), m_leaves->value());
        if (on)
            m_churn->start();
        else
            m_churn->stop();
    });
    auto applyRates = [this] { m_churn->setRates(m_joins->value(), m_leaves->value()); };
    connect(m_joins, &QDoubleSpinBox::valueChanged, this, applyRates);
    connect(m_leaves, &QDoubleSpinBox::valueChanged, this, applyRates);
    connect(m_churn, &ChurnGenerator::runningChanged, this, [this](bool running) {
        m_churnButton->setChecked(running);
        m_churnButton->setText(running ? tr("Stop churn") : tr("Start churn"));
    });
    auto *form = new QFormLayout(box);
    form->addRow(tr("Joins"), m_joins);
    form->addRow(tr("Leaves"), m_leaves);
    form->addRow(m_churnButton);
    return box;
}

QWidget *SimulationPanel::buildNodeBox()
{
    auto *box = new QGroupBox(tr("This node"), this);
    m_heartbeats = new QPushButton(box);
    m_heartbeats->setCheckable(true);
    m_heartbeats->setToolTip(tr("Stop sending heartbeats while keeping the connections, as if "
                                "this node died (Ctrl+Shift+H)"));
    connect(m_heartbeats, &QPushButton::toggled, &m_localClients,
            &LocalClients::setHeartbeatsPaused);
    m_heartbeatState = new QLabel(box);
    m_heartbeatState->setWordWrap(true);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_heartbeats);
    layout->addWidget(m_heartbeatState, 1);
    return box;
}

QPushButton *SimulationPanel::actionButton(SimulatedClientPool::Action action) const
{
    return m_actions.value(int(action));
}

void SimulationPanel::updateTarget()
{
    const bool thisNode = m_target->currentIndex() == 0;
    m_url->setEnabled(!thisNode);
    const QUrl url(thisNode ? m_thisNodeUrl : m_url->text().trimmed(), QUrl::StrictMode);
    const bool usable = url.isValid() && !url.host().isEmpty() && url.scheme() == u"http";
    m_spawn->setEnabled(usable);
    // Spawning and the churn generator both use the pool's target.
    if (usable)
        m_pool->setTarget(url, thisNode);
}

void SimulationPanel::spawn()
{
    updateTarget();
    if (!m_spawn->isEnabled()) {
        m_lastAction->setText(tr("Not a usable http:// URL: %1").arg(m_url->text()));
        return;
    }
    const QUrl url = m_pool->target();
    const QStringList names = m_pool->spawn(m_count->value(), m_pattern->text());
    const int rooms = m_pool->roomCount();
    m_lastAction->setText(rooms > 1 ? tr("Spawned %1 client(s) against %2 over rooms r1…r%3")
                                          .arg(names.size())
                                          .arg(url.toDisplayString())
                                          .arg(rooms)
                                    : tr("Spawned %1 client(s) against %2")
                                          .arg(names.size())
                                          .arg(url.toDisplayString()));
}

void SimulationPanel::act(SimulatedClientPool::Action action)
{
    QStringList names;
    if (m_scope->currentIndex() == 0) {
        for (const QModelIndex &row : m_view->selectionModel()->selectedRows()) {
            if (SimulatedClient *client = m_model->clientAt(row.row()))
                names.append(client->name());
        }
        m_pool->apply(action, names);
    } else {
        names = m_pool->applyToShare(action, m_share->value() / 100.0);
    }
    const QString verb = tr(actionTexts[int(action)].label).toLower();
    if (names.isEmpty()) {
        m_lastAction->setText(tr("No client to %1.").arg(verb));
        return;
    }
    const QString shown = names.size() > 4 ? names.mid(0, 4).join(QStringLiteral(", ")) + QStringLiteral(", …")
                                           : names.join(QStringLiteral(", "));
    m_lastAction->setText(tr("%1: %2 client(s) — %3").arg(tr(actionTexts[int(action)].label))
                              .arg(names.size())
                              .arg(shown));
}

void SimulationPanel::toggleHeartbeats()
{
    m_heartbeats->toggle();
}

void SimulationPanel::updateSummary()
{
    int active = 0, frozen = 0, ended = 0;
    for (const SimulatedClient *client : m_pool->clients()) {
        if (client->state() == SimulatedClient::State::Frozen)
            ++frozen;
        if (client->isActive())
            ++active;
        else
            ++ended;
    }
    m_summary->setText(tr("%1 active (%2 frozen), %3 ended").arg(active).arg(frozen).arg(ended));
}

void SimulationPanel::updateHeartbeatState()
{
    const bool paused = m_localClients.heartbeatsPaused();
    if (m_heartbeats->isChecked() != paused)
        m_heartbeats->setChecked(paused);
    m_heartbeats->setText(paused ? tr("Resume heartbeats") : tr("Pause heartbeats"));
    m_heartbeatState->setText(paused ? tr("Paused: this node's clients time out after the TTL, "
                                          "though their connections stay open.")
                                     : tr("Heartbeating its clients every period."));
}

} // namespace presence
