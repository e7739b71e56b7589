#pragma once

#include <QObject>
#include <QSocketNotifier>

#include <memory>

namespace presence {

// Turns SIGINT and SIGTERM into a Qt signal, through a socket pair (the only async-signal-safe
// way into the event loop). One per process: it installs the handlers on construction.
class TerminationSignals final : public QObject {
    Q_OBJECT
public:
    explicit TerminationSignals(QObject *parent = nullptr);
    ~TerminationSignals() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);

private:
    void readSignal();
    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace presence
