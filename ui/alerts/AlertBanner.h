#pragma once

#include <QFrame>

class QLabel;

namespace presence {

class DiagnosticsMonitor;

// A red band above the roster while any alert is active (DiagnosticsMonitor), one line each;
// hidden when all is well. The event log gets a line as each is raised and cleared.
class AlertBanner final : public QFrame {
    Q_OBJECT
public:
    explicit AlertBanner(const DiagnosticsMonitor &monitor, QWidget *parent = nullptr);

    QString text() const;

private:
    void render();

    const DiagnosticsMonitor &m_monitor;
    QLabel *m_label;
};

} // namespace presence
