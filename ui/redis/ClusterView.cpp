#include "ClusterView.h"

#include "FigureText.h"
#include "engine/ClusterStatus.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace presence {

namespace {
QTableWidget *table(const QStringList &headers, QWidget *parent)
{
    auto *view = new QTableWidget(0, int(headers.size()), parent);
    view->setHorizontalHeaderLabels(headers);
    view->verticalHeader()->hide();
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return view;
}

void setCell(QTableWidget *view, int row, int column, const QString &text, bool alarm = false)
{
    auto *item = view->item(row, column);
    if (!item) {
        item = new QTableWidgetItem;
        view->setItem(row, column, item);
    }
    item->setText(text);
    item->setForeground(alarm ? QColor(0xd6, 0x45, 0x45) : QBrush());
}

QString processors(const ProcessorBacklog &p)
{
    if (!p.known)
        return QObject::tr("not read yet");
    return QObject::tr("lag %1 · pending %2 · %3 ms behind")
        .arg(figureText(p.lag), figureText(p.pending), figureText(p.behindMs));
}
} // namespace

ClusterView::ClusterView(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_primaries(table(
          {tr("Primary"), tr("Health"), tr("Slots"), tr("Shards"), tr("Keys"), tr("Replicas")},
          this))
    , m_shards(table({tr("Shard"), tr("Hash tag"), tr("Slot"), tr("Primary"), tr("Link"),
                      tr("Rooms"), tr("Online"), tr("heartbeat"), tr("presence"), tr("Processors")},
                     this))
{
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_primaries->setToolTip(tr("Shards: presence shards whose slot the primary serves. Keys: "
                               "DBSIZE of the primary (every key it holds). Replica lag: "
                               "the primary's replication offset minus the replica's, as "
                               "CLUSTER SHARDS last said."));
    m_shards->setToolTip(tr("Link: this node's connection to the shard's primary. Rooms and "
                            "Online: what this node holds of the shard's roster. "
                            "heartbeat, presence: the shard's stream lengths."));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_primaries);
    layout->addWidget(m_shards, 1);
}

void ClusterView::render(const ClusterStatus &cluster)
{
    if (!cluster.known) {
        m_summary->setText(tr("No slot map yet (asking the seeds)."));
        m_primaries->setRowCount(0);
        m_shards->setRowCount(0);
        return;
    }
    const QString coverage =
        cluster.uncoveredSlots == 0
            ? tr("all 16,384 slots served")
            : tr("<b style='color:#d64545'>%1 slots served by no primary</b> (CLUSTERDOWN until "
                 "a replica is promoted)")
                  .arg(QLocale().toString(cluster.uncoveredSlots));
    m_summary->setText(tr("%1 primaries · %2 · %3 presence shards · redirects followed: MOVED %4, "
                          "ASK %5, retried %6")
                           .arg(cluster.primaries.size())
                           .arg(coverage)
                           .arg(cluster.shards.size())
                           .arg(QLocale().toString(cluster.movedRedirects),
                                QLocale().toString(cluster.askRedirects),
                                QLocale().toString(cluster.retries)));
    renderPrimaries(cluster);
    renderShards(cluster);
}

void ClusterView::renderPrimaries(const ClusterStatus &cluster)
{
    m_primaries->setRowCount(int(cluster.primaries.size()));
    for (int row = 0; row < cluster.primaries.size(); ++row) {
        const ClusterPrimaryStatus &p = cluster.primaries[row];
        QStringList replicas;
        for (const ClusterNodeStatus &replica : p.replicas) {
            QString line = replica.address;
            if (replica.health != u"online")
                line += QStringLiteral(" (%1)").arg(replica.health);
            else if (replica.lagBytes > 0)
                line += tr(" · %1 behind").arg(QLocale().formattedDataSize(replica.lagBytes));
            else if (replica.lagBytes == 0)
                line += tr(" · in sync");
            replicas << line;
        }
        const bool noPrimary = p.node.address.isEmpty();
        setCell(m_primaries, row, 0, noPrimary ? tr("none (failed over?)") : p.node.address,
                noPrimary);
        setCell(m_primaries, row, 1, p.node.health, !noPrimary && p.node.health != u"online");
        setCell(m_primaries, row, 2, tr("%1 (%2)").arg(p.slots, QLocale().toString(p.slotCount)));
        setCell(m_primaries, row, 3, QString::number(p.presenceShards));
        setCell(m_primaries, row, 4, figureText(p.keys));
        setCell(m_primaries, row, 5,
                replicas.isEmpty() ? tr("none") : replicas.join(QStringLiteral("; ")),
                replicas.isEmpty());
    }
    // As tall as its rows: the shards below get the rest.
    int height = m_primaries->horizontalHeader()->height() + 2 * m_primaries->frameWidth();
    for (int row = 0; row < m_primaries->rowCount(); ++row)
        height += m_primaries->rowHeight(row);
    if (m_primaries->horizontalScrollBar()->isVisible())
        height += m_primaries->horizontalScrollBar()->height();
    m_primaries->setFixedHeight(height);
}

void ClusterView::renderShards(const ClusterStatus &cluster)
{
    m_shards->setRowCount(int(cluster.shards.size()));
    for (int row = 0; row < cluster.shards.size(); ++row) {
        const ClusterShardStatus &s = cluster.shards[row];
        setCell(m_shards, row, 0, s.index == 0 ? tr("0 (default room)") : QString::number(s.index));
        setCell(m_shards, row, 1, s.tag);
        setCell(m_shards, row, 2, QString::number(s.slot));
        setCell(m_shards, row, 3, s.primary.isEmpty() ? tr("none") : s.primary,
                s.primary.isEmpty());
        setCell(m_shards, row, 4, s.state, s.state != u"up");
        setCell(m_shards, row, 5, figureText(s.rooms));
        setCell(m_shards, row, 6, figureText(s.online));
        setCell(m_shards, row, 7, figureText(s.heartbeatStreamLength));
        setCell(m_shards, row, 8, figureText(s.presenceStreamLength));
        setCell(m_shards, row, 9, processors(s.processors),
                s.processors.known && (s.processors.lag < 0 || s.processors.behindMs > 1000));
    }
}

} // namespace presence
