#include "EventLogPanel.h"

#include "EventLogModel.h"
#include "TableCopy.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace presence {

EventLogPanel::EventLogPanel(EventLogModel &model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_pause(new QPushButton(this))
    , m_clear(new QPushButton(tr("Clear"), this))
    , m_copy(new QPushButton(tr("Copy"), this))
    , m_state(new QLabel(this))
    , m_view(new QTableView(this))
{
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Hold the log still to read it; events are kept and shown on resume (Ctrl+L)"));
    connect(m_pause, &QPushButton::toggled, &m_model, &EventLogModel::setPaused);
    connect(m_clear, &QPushButton::clicked, &m_model, &EventLogModel::clear);
    m_copy->setToolTip(tr("Copy the selected events as tab-separated text (Ctrl+C)"));
    connect(m_copy, &QPushButton::clicked, this, &EventLogPanel::copySelection);
    connect(&m_model, &EventLogModel::pausedChanged, this, &EventLogPanel::updateState);
    connect(&m_model, &EventLogModel::heldCountChanged, this, &EventLogPanel::updateState);
    connect(&m_model, &EventLogModel::rowsInserted, this, &EventLogPanel::updateState);
    connect(&m_model, &EventLogModel::modelReset, this, &EventLogPanel::updateState);

    m_view->setModel(&m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    // Widths from the longest usual content, so ids and reasons show in full at any font size.
    const QFontMetrics metrics = m_view->fontMetrics();
    const int pad = metrics.horizontalAdvance(QLatin1Char('M')) * 2;
    const int icon = metrics.height() + 8;
    QHeaderView *header = m_view->horizontalHeader();
    header->setHighlightSections(false);
    header->resizeSection(EventLogModel::IdColumn, metrics.horizontalAdvance(QStringLiteral("0000000000000-00")) + pad);
    header->resizeSection(EventLogModel::TimeColumn, metrics.horizontalAdvance(QStringLiteral("00:00:00.000")) + pad);
    header->resizeSection(EventLogModel::ClientColumn, metrics.horizontalAdvance(QStringLiteral("client-00000")) + pad);
    header->resizeSection(EventLogModel::RoomColumn, metrics.horizontalAdvance(QStringLiteral("default")) + pad / 2);
    header->resizeSection(EventLogModel::StatusColumn, metrics.horizontalAdvance(QStringLiteral("OFFLINE")) + icon + pad);
    header->resizeSection(EventLogModel::ReasonColumn, metrics.horizontalAdvance(QStringLiteral("heartbeat")) + pad);
    header->setStretchLastSection(true);

    auto *copy = new QAction(tr("Copy"), m_view);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, &EventLogPanel::copySelection);
    m_view->addAction(copy);

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_pause);
    controls->addWidget(m_clear);
    controls->addWidget(m_copy);
    controls->addStretch(1);
    controls->addWidget(m_state);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(m_view, 1);
    updateState();
}

void EventLogPanel::togglePaused()
{
    m_pause->toggle();
}

QString EventLogPanel::copySelection()
{
    return copyRowsToClipboard(*m_view);
}

void EventLogPanel::updateState()
{
    const bool paused = m_model.isPaused();
    if (m_pause->isChecked() != paused)
        m_pause->setChecked(paused);
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    QString state = tr("%n event(s), newest first", nullptr, m_model.rowCount());
    if (paused)
        state = tr("Paused — %n new held", nullptr, int(m_model.heldCount()));
    m_state->setText(state);
}

} // namespace presence
