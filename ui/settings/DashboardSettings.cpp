#include "DashboardSettings.h"

namespace presence {

namespace {
const QString heartbeatKey = QStringLiteral("timing/heartbeatMs");
const QString ttlFactorKey = QStringLiteral("timing/ttlFactor");
const QString graceKey = QStringLiteral("timing/graceMs");
const QString listenKey = QStringLiteral("node/listen");
const QString geometryKey = QStringLiteral("window/geometry");
const QString stateKey = QStringLiteral("window/state");
} // namespace

DashboardSettings::DashboardSettings()
    : m_settings(std::make_unique<QSettings>())
{
}

DashboardSettings::DashboardSettings(const QString &fileName)
    : m_settings(std::make_unique<QSettings>(fileName, QSettings::IniFormat))
{
}

QSet<QString> DashboardSettings::explicitOptions(const QStringList &arguments,
                                                 const QProcessEnvironment &environment)
{
    QSet<QString> given;
    for (const QString &name : {QStringLiteral("heartbeat"), QStringLiteral("ttl-factor"),
                                QStringLiteral("grace"), QStringLiteral("listen")}) {
        const QString flag = QStringLiteral("--") + name;
        for (const QString &argument : arguments) {
            if (argument == flag || argument.startsWith(flag + QLatin1Char('=')))
                given.insert(name);
        }
        const QString variable =
            QStringLiteral("PRESENCE_") + name.toUpper().replace(QLatin1Char('-'), QLatin1Char('_'));
        if (environment.contains(variable))
            given.insert(name);
    }
    return given;
}

Options DashboardSettings::applyTo(Options options, const QSet<QString> &explicitOnes) const
{
    const PresenceTiming remembered = timing(options.timing);
    if (!explicitOnes.contains(QStringLiteral("heartbeat")))
        options.timing.heartbeatMs = remembered.heartbeatMs;
    if (!explicitOnes.contains(QStringLiteral("ttl-factor")))
        options.timing.ttlFactor = remembered.ttlFactor;
    if (!explicitOnes.contains(QStringLiteral("grace")))
        options.timing.graceMs = remembered.graceMs;
    if (!explicitOnes.contains(QStringLiteral("listen"))) {
        QString host;
        quint16 port = 0;
        if (parseListenAddress(listen({}), &host, &port)) {
            options.listenHost = host;
            options.listenPort = port;
        }
    }
    return options;
}

void DashboardSettings::save(const PresenceTiming &timing, const QString &listen)
{
    m_settings->setValue(heartbeatKey, timing.heartbeatMs);
    m_settings->setValue(ttlFactorKey, timing.ttlFactor);
    m_settings->setValue(graceKey, timing.graceMs);
    m_settings->setValue(listenKey, listen);
    m_settings->sync();
}

PresenceTiming DashboardSettings::timing(const PresenceTiming &fallback) const
{
    PresenceTiming timing = fallback;
    bool ok = false;
    if (const qint64 value = m_settings->value(heartbeatKey).toLongLong(&ok); ok && value > 0)
        timing.heartbeatMs = value;
    if (const double value = m_settings->value(ttlFactorKey).toDouble(&ok); ok && value >= 1.0)
        timing.ttlFactor = value;
    if (const qint64 value = m_settings->value(graceKey).toLongLong(&ok); ok && value >= 0)
        timing.graceMs = value;
    return timing;
}

QString DashboardSettings::listen(const QString &fallback) const
{
    return m_settings->value(listenKey, fallback).toString();
}

QByteArray DashboardSettings::windowGeometry() const
{
    return m_settings->value(geometryKey).toByteArray();
}

QByteArray DashboardSettings::windowState() const
{
    return m_settings->value(stateKey).toByteArray();
}

void DashboardSettings::saveWindow(const QByteArray &geometry, const QByteArray &state)
{
    m_settings->setValue(geometryKey, geometry);
    m_settings->setValue(stateKey, state);
}

} // namespace presence
