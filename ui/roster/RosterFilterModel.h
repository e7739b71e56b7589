#pragma once

#include <QSortFilterProxyModel>

namespace presence {

// Sorting by typed values (times as numbers, not as text) and filtering by a substring of the
// client or node names plus a status choice.
class RosterFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class StatusFilter { All, Online, Offline };

    explicit RosterFilterModel(QObject *parent = nullptr);

    void setText(const QString &text);
    void setStatusFilter(StatusFilter filter);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    StatusFilter m_status = StatusFilter::All;
};

} // namespace presence
