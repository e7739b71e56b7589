#include "RosterPanel.h"

#include "RoomBar.h"
#include "RoomSelector.h"
#include "RosterFilterModel.h"
#include "RosterModel.h"
#include "TableCopy.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

namespace presence {

RosterPanel::RosterPanel(RosterModel &model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(new RosterFilterModel(this))
    , m_filter(new QLineEdit(this))
    , m_room(new RoomSelector(model, this))
    , m_roomBar(new RoomBar(model, *m_room, this))
    , m_status(new QComboBox(this))
    , m_counts(new QLabel(this))
    , m_view(new QTableView(this))
{
    m_proxy->setSourceModel(&m_model);

    m_filter->setPlaceholderText(tr("Filter by client, room or node (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &RosterFilterModel::setText);

    m_status->addItem(tr("All clients"), int(RosterFilterModel::StatusFilter::All));
    m_status->addItem(tr("Online only"), int(RosterFilterModel::StatusFilter::Online));
    m_status->addItem(tr("Offline only"), int(RosterFilterModel::StatusFilter::Offline));
    connect(m_status, &QComboBox::currentIndexChanged, this, [this](int row) {
        m_proxy->setStatusFilter(RosterFilterModel::StatusFilter(m_status->itemData(row).toInt()));
    });

    connect(m_room, &RoomSelector::roomSelected, this, [this](const std::optional<RoomName> &room) {
        m_proxy->setRoom(room);
        updateCounts();
    });

    m_counts->setTextFormat(Qt::RichText);
    m_counts->setToolTip(
        tr("Members of the room shown (a client in two rooms counts in each), how many rows "
           "the filter leaves, and the connections of its ONLINE members over every node (a "
           "stream that joined two rooms counts in each; the status bar's SSE streams are this "
           "node's only)"));
    connect(&m_model, &RosterModel::countsChanged, this, &RosterPanel::updateCounts);
    connect(&m_model, &RosterModel::roomsChanged, this, &RosterPanel::updateCounts);
    // The "shown" figure follows the filter as well as the model.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &RosterPanel::updateCounts);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &RosterPanel::updateCounts);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &RosterPanel::updateCounts);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &RosterPanel::updateCounts);
    updateCounts();

    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(RosterModel::ClientColumn, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->verticalHeader()->hide();
    // Fixed row heights: with 10,000 rows the view never measures them one by one.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    QHeaderView *header = m_view->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(RosterModel::ClientColumn, QHeaderView::Stretch);
    const int em = m_view->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    header->resizeSection(RosterModel::RoomColumn, 8 * em);
    header->resizeSection(RosterModel::StatusColumn, 9 * em);
    header->resizeSection(RosterModel::ReasonColumn, 7 * em);
    header->resizeSection(RosterModel::ConnectionsColumn, 5 * em);
    header->resizeSection(RosterModel::NodesColumn, 9 * em);
    const int clock =
        m_view->fontMetrics().horizontalAdvance(QStringLiteral("23 h 59 min ago")) + 2 * em;
    header->resizeSection(RosterModel::SinceColumn, clock);
    header->resizeSection(RosterModel::LastSeenColumn, clock);
    header->resizeSection(
        RosterModel::TtlLeftColumn,
        m_view->fontMetrics().horizontalAdvance(QStringLiteral("in grace 00.0 s")) + 2 * em);

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_filter, 1);
    controls->addWidget(m_room);
    controls->addWidget(m_status);
    controls->addSpacing(em);
    controls->addWidget(m_counts);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(m_roomBar);
    layout->addWidget(m_view, 1);
}

void RosterPanel::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

QString RosterPanel::copySelection()
{
    return copyRowsToClipboard(*m_view);
}

void RosterPanel::updateCounts()
{
    const std::optional<RoomName> room = m_room->currentRoom();
    const RosterModel::Counts counts = room ? m_model.counts(*room) : m_model.counts();
    const QString online = statusColor(PresenceStatus::Online).name();
    const QString offline = statusColor(PresenceStatus::Offline).name();
    const int total = counts.online + counts.offline;
    const int shown = m_proxy->rowCount();
    const QString filtered =
        shown == total ? QString() : tr("<b>%1</b> of %2 shown &nbsp; ").arg(shown).arg(total);
    m_counts->setText(tr("<b style='color:%1'>●</b> <b>%2</b> online &nbsp; "
                         "<b style='color:%3'>○</b> <b>%4</b> offline &nbsp; %5"
                         "<b>%6</b> connections")
                          .arg(online)
                          .arg(counts.online)
                          .arg(offline)
                          .arg(counts.offline)
                          .arg(filtered)
                          .arg(counts.connections));
}

} // namespace presence
