#pragma once

#include <QString>
#include <QStringList>

namespace presence::test {

// A network namespace of this test's own, joined to the test's namespace by a veth pair: a
// second host on this machine whose link the test can cut without a FIN or an RST, as a pulled
// cable or a phone out of coverage would (this kernel has no tc qdiscs; a link set down is
// the silent loss). Needs root (CI runs as root). The addresses are a /30 of 10.231.0.0/16
// chosen from the process id, used only inside the pair; everything is deleted again in the
// destructor.
class TestNamespace {
public:
    TestNamespace();
    ~TestNamespace();
    TestNamespace(const TestNamespace &) = delete;
    TestNamespace &operator=(const TestNamespace &) = delete;

    // Creates it; false with errorString() set (the test then fails, never skips).
    bool create();
    // Takes the namespace's end of the link down: its packets stop, in both directions.
    bool cut();
    // Brings it back up (a client that comes back into coverage, on new connections).
    bool restore();
    // The program and arguments that run `command` inside the namespace.
    QStringList wrap(const QStringList &command) const;

    QString hostAddress() const { return m_hostAddress; }   // this side's end
    QString guestAddress() const { return m_guestAddress; } // the namespace's end
    QString errorString() const { return m_error; }

private:
    bool run(const QStringList &arguments);

    QString m_name;
    QString m_hostLink;
    QString m_guestLink;
    QString m_hostAddress;
    QString m_guestAddress;
    QString m_error;
    bool m_created = false;
};

} // namespace presence::test
