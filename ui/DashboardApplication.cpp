#include "DashboardApplication.h"

#include "AppIcon.h"
#include "MainWindow.h"
#include "app/PresenceBackend.h"
#include "app/TerminationSignals.h"
#include "settings/DashboardSettings.h"

#include <QApplication>
#include <QMessageBox>

#include <memory>

#include <sys/resource.h>

namespace presence {

namespace {
// Simulated clients are sockets in this very process (two descriptors each: client and
// server side), and Debian's soft limit of 1024 would stop a simulation at ~500 clients.
void raiseOpenFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}
} // namespace

int runDashboard(int argc, char **argv, const Options &options)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("presence"));
    QApplication::setApplicationDisplayName(QStringLiteral("presence"));
    QApplication::setDesktopFileName(QStringLiteral("presence"));
    QApplication::setWindowIcon(appIcon());
    raiseOpenFileLimit();

    DashboardSettings settings;
    const Options effective = settings.applyTo(
        options, DashboardSettings::explicitOptions(QApplication::arguments(),
                                                    QProcessEnvironment::systemEnvironment()));
    PresenceBackend backend(effective);
    // A second dashboard, or a server already on 8080, must not stop this one from opening.
    backend.setFreePortFallback(true);
    QString error;
    if (!backend.start(&error)) {
        qCritical().noquote() << error;
        QMessageBox::critical(nullptr, QObject::tr("presence cannot start"), error);
        return 1;
    }

    auto window = std::make_unique<MainWindow>(backend, settings);
    TerminationSignals signals_;
    QObject::connect(&signals_, &TerminationSignals::terminationRequested, window.get(),
                     [&window](int number) {
                         qInfo().noquote() << "signal" << number << "received; shutting down";
                         window->close();
                     });
    window->show();
    const int code = app.exec();
    // The window's models and simulated clients refer to the backend: they go first.
    window.reset();
    backend.shutdown();
    qInfo().noquote() << "stopped";
    return code;
}

} // namespace presence
