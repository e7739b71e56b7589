#include "StatusStyle.h"

#include <QPainter>
#include <QPixmap>

namespace presence {

namespace {
QIcon paintIcon(const QColor &color, bool filled, bool crossed)
{
    QIcon icon;
    for (const int size : {16, 24, 32}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        const qreal pen = size / 8.0;
        const QRectF box(pen, pen, size - 2 * pen, size - 2 * pen);
        painter.setPen(QPen(color, pen));
        painter.setBrush(filled ? QBrush(color) : QBrush(Qt::NoBrush));
        painter.drawEllipse(box);
        if (crossed) {
            const QRectF inner = box.adjusted(size / 4.0, size / 4.0, -size / 4.0, -size / 4.0);
            painter.drawLine(inner.topLeft(), inner.bottomRight());
            painter.drawLine(inner.topRight(), inner.bottomLeft());
        }
        painter.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}
} // namespace

QColor statusColor(PresenceStatus status, const QString &reason)
{
    // Mid-tone colours that keep their contrast on both light and dark window backgrounds.
    if (status == PresenceStatus::Online)
        return QColor(0x2f, 0xa8, 0x4f);
    if (reason == Reason::timeout)
        return QColor(0xe0, 0x7b, 0x24);
    return QColor(0x8a, 0x8f, 0x98);
}

StatusIcons::StatusIcons()
    : m_online(paintIcon(statusColor(PresenceStatus::Online), true, false))
    , m_timedOut(paintIcon(statusColor(PresenceStatus::Offline, Reason::timeout), false, true))
    , m_offline(paintIcon(statusColor(PresenceStatus::Offline), false, false))
{
}

const QIcon &StatusIcons::icon(PresenceStatus status, const QString &reason) const
{
    if (status == PresenceStatus::Online)
        return m_online;
    return reason == Reason::timeout ? m_timedOut : m_offline;
}

} // namespace presence
