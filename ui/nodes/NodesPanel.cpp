#include "NodesPanel.h"

#include "NodesModel.h"
#include "RelativeTime.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace presence {

NodesPanel::NodesPanel(const DiagnosticsMonitor &monitor, QWidget *parent)
    : QWidget(parent)
    , m_model(new NodesModel(monitor, this))
    , m_table(new QTableView(this))
    , m_summary(new QLabel(this))
{
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    connect(m_model, &QAbstractItemModel::modelReset, this, &NodesPanel::updateSummary);
    updateSummary();
}

void NodesPanel::updateSummary()
{
    const EngineDiagnostics &d = m_model->diagnostics();
    if (!d.valid) {
        m_summary->setText(tr("Not read yet."));
        return;
    }
    const qsizetype alive = d.aliveNodes();
    QString text = tr("<b>%1 alive</b> · %2 dead (nodes of the last hour)")
                       .arg(alive)
                       .arg(d.nodes.size() - alive);
    if (!d.storeOk)
        text += QStringLiteral("<br>") + tr("<span style='color:#d64545'>Redis is away: as last "
                                            "read %1</span>")
                                             .arg(d.storeReadAtMs > 0
                                                      ? relativeTime(d.storeReadAtMs, d.takenAtMs)
                                                      : tr("never"));
    const QList<ConsumerStatus> stranded = d.deadNodeConsumers();
    if (!stranded.isEmpty()) {
        QStringList parts;
        for (const ConsumerStatus &consumer : stranded)
            parts << tr("%1 (%2 pending)").arg(consumer.name.toHtmlEscaped()).arg(consumer.pending);
        text += QStringLiteral("<br>") + tr("<span style='color:#d64545'>Consumers of dead nodes: "
                                            "%1</span> — the living claim their pending "
                                            "heartbeats; each leaves the group once it holds none.")
                                             .arg(parts.join(QStringLiteral(", ")));
    }
    m_summary->setText(text);
}

} // namespace presence
