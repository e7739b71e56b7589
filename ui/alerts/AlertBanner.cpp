#include "AlertBanner.h"

#include "engine/DiagnosticsMonitor.h"

#include <QHBoxLayout>
#include <QLabel>

namespace presence {

AlertBanner::AlertBanner(const DiagnosticsMonitor &monitor, QWidget *parent)
    : QFrame(parent)
    , m_monitor(monitor)
    , m_label(new QLabel(this))
{
    setObjectName(QStringLiteral("alertBanner"));
    setStyleSheet(QStringLiteral("#alertBanner { background: #fbe3e3; border: 1px solid #d64545; "
                                 "border-radius: 3px; } QLabel { color: #8a1f1f; }"));
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_label, 1);
    connect(&monitor, &DiagnosticsMonitor::updated, this, &AlertBanner::render);
    render();
}

QString AlertBanner::text() const
{
    return m_label->text();
}

void AlertBanner::render()
{
    QStringList lines;
    for (const Alert &alert : m_monitor.alerts())
        lines << QStringLiteral("⚠ <b>%1</b>: %2")
                     .arg(alertName(alert.kind), alert.text.toHtmlEscaped());
    m_label->setText(lines.join(QStringLiteral("<br>")));
    setVisible(!lines.isEmpty());
}

} // namespace presence
