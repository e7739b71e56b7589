#include "TableCopy.h"

#include <QApplication>
#include <QClipboard>
#include <QItemSelectionModel>
#include <QTableView>

#include <algorithm>

namespace presence {

QString copyRowsToClipboard(const QTableView &view)
{
    const QAbstractItemModel *model = view.model();
    if (!model || !view.selectionModel())
        return {};
    QModelIndexList rows = view.selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList lines;
    QStringList cells;
    for (int column = 0; column < model->columnCount(); ++column)
        cells.append(model->headerData(column, Qt::Horizontal).toString());
    lines.append(cells.join(QLatin1Char('\t')));
    for (const QModelIndex &row : std::as_const(rows)) {
        cells.clear();
        for (int column = 0; column < model->columnCount(); ++column)
            cells.append(model->index(row.row(), column).data().toString());
        lines.append(cells.join(QLatin1Char('\t')));
    }
    const QString text = lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
    QApplication::clipboard()->setText(text);
    return text;
}

} // namespace presence
