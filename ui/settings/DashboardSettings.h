#pragma once

#include "app/Options.h"

#include <QProcessEnvironment>
#include <QSet>
#include <QSettings>
#include <QStringList>

#include <memory>

namespace presence {

// The dashboard's remembered settings (QSettings, the platform's usual place): timing and the
// listen address, plus the window layout. Explicit command-line options and PRESENCE_*
// variables win over remembered values, so scripts stay in control.
class DashboardSettings final {
public:
    DashboardSettings();
    // For tests: a settings file of their own.
    explicit DashboardSettings(const QString &fileName);

    // The option names ("heartbeat", "listen", …) given on the command line or environment.
    static QSet<QString> explicitOptions(const QStringList &arguments,
                                         const QProcessEnvironment &environment);
    // `options` with remembered values for what was not given explicitly.
    Options applyTo(Options options, const QSet<QString> &explicitOnes) const;

    void save(const PresenceTiming &timing, const QString &listen);
    PresenceTiming timing(const PresenceTiming &fallback) const;
    QString listen(const QString &fallback) const;

    QByteArray windowGeometry() const;
    QByteArray windowState() const;
    void saveWindow(const QByteArray &geometry, const QByteArray &state);

    QSettings &store() { return *m_settings; }

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace presence
