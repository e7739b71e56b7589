#pragma once

#include "model/PresenceTiming.h"

#include <QDialog>

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace presence {

class DashboardSettings;
class PresenceBackend;

// Heartbeat period, TTL factor, grace and listen address. The timing applies at once (the
// engine takes the new values, the heartbeat timer restarts at the new period); the listen
// address applies at the next start. Both are remembered. Backend, Redis address and key
// prefix are shown read-only: they come from the command line or environment at start.
class SettingsDialog final : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(PresenceBackend &backend, DashboardSettings &settings, QWidget *parent = nullptr);

    PresenceTiming timing() const;
    QString listen() const;

    QSpinBox *heartbeatBox() const { return m_heartbeat; }
    QDoubleSpinBox *ttlFactorBox() const { return m_ttlFactor; }
    QSpinBox *graceBox() const { return m_grace; }
    QLineEdit *listenEdit() const { return m_listen; }
    QLabel *engineLabel() const { return m_engineLabel; }
    QLabel *redisLabel() const { return m_redisLabel; }
    QLabel *prefixLabel() const { return m_prefixLabel; }

    void accept() override;

private:
    void updateSummary();

    PresenceBackend &m_backend;
    DashboardSettings &m_settings;
    QSpinBox *m_heartbeat;
    QDoubleSpinBox *m_ttlFactor;
    QSpinBox *m_grace;
    QLineEdit *m_listen;
    QLabel *m_engineLabel;
    QLabel *m_redisLabel;
    QLabel *m_prefixLabel;
    QLabel *m_summary;
};

} // namespace presence
