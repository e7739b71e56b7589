#include "TestNamespace.h"

#include <QCoreApplication>
#include <QProcess>

namespace presence::test {

TestNamespace::TestNamespace()
{
    const qint64 pid = QCoreApplication::applicationPid();
    m_name = QStringLiteral("presence-t%1").arg(pid);
    // Interface names are at most 15 characters.
    m_hostLink = QStringLiteral("pth%1").arg(pid % 1000000);
    m_guestLink = QStringLiteral("ptg%1").arg(pid % 1000000);
    const int subnet = int(pid % 16000); // 10.231.0.0/16 in /30s
    m_hostAddress = QStringLiteral("10.231.%1.%2").arg(subnet / 64).arg((subnet % 64) * 4 + 1);
    m_guestAddress = QStringLiteral("10.231.%1.%2").arg(subnet / 64).arg((subnet % 64) * 4 + 2);
}

TestNamespace::~TestNamespace()
{
    if (!m_created)
        return;
    run({QStringLiteral("link"), QStringLiteral("del"), m_hostLink}); // takes its peer along
    run({QStringLiteral("netns"), QStringLiteral("del"), m_name});
}

bool TestNamespace::run(const QStringList &arguments)
{
    QProcess ip;
    ip.start(QStringLiteral("ip"), arguments);
    if (!ip.waitForFinished(10000) || ip.exitStatus() != QProcess::NormalExit ||
        ip.exitCode() != 0) {
        m_error = QStringLiteral("ip %1 failed: %2 %3")
                      .arg(arguments.join(QLatin1Char(' ')), ip.errorString(),
                           QString::fromLocal8Bit(ip.readAllStandardError()).trimmed());
        return false;
    }
    return true;
}

bool TestNamespace::create()
{
    const QString prefix = QStringLiteral("/30");
    // Left over from a run that was killed: start clean.
    QProcess::execute(QStringLiteral("ip"),
                      {QStringLiteral("netns"), QStringLiteral("del"), m_name});
    QProcess::execute(QStringLiteral("ip"),
                      {QStringLiteral("link"), QStringLiteral("del"), m_hostLink});
    if (!run({QStringLiteral("netns"), QStringLiteral("add"), m_name}))
        return false;
    m_created = true;
    return run({QStringLiteral("link"), QStringLiteral("add"), m_hostLink, QStringLiteral("type"),
                QStringLiteral("veth"), QStringLiteral("peer"), QStringLiteral("name"), m_guestLink,
                QStringLiteral("netns"), m_name}) &&
           run({QStringLiteral("addr"), QStringLiteral("add"), m_hostAddress + prefix,
                QStringLiteral("dev"), m_hostLink}) &&
           run({QStringLiteral("link"), QStringLiteral("set"), m_hostLink, QStringLiteral("up")}) &&
           run({QStringLiteral("-n"), m_name, QStringLiteral("addr"), QStringLiteral("add"),
                m_guestAddress + prefix, QStringLiteral("dev"), m_guestLink}) &&
           run({QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"),
                m_guestLink, QStringLiteral("up")}) &&
           run({QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"),
                QStringLiteral("lo"), QStringLiteral("up")});
}

bool TestNamespace::cut()
{
    return run({QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"),
                m_guestLink, QStringLiteral("down")});
}

bool TestNamespace::restore()
{
    return run({QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"),
                m_guestLink, QStringLiteral("up")});
}

QStringList TestNamespace::wrap(const QStringList &command) const
{
    return QStringList{QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"),
                       m_name} +
           command;
}

} // namespace presence::test
