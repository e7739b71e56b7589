#pragma once

#include <QString>

class QTableView;

namespace presence {

// The selected rows of a table as tab-separated text with a header line (pastes into a
// spreadsheet or a bug report), put on the clipboard and returned.
QString copyRowsToClipboard(const QTableView &view);

} // namespace presence
