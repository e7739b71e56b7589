// DescriptorPoller: the SSE streams' readiness through one epoll set (issue 16: a pass of Qt's
// loop polled every open stream). Real descriptors (socket pairs), a real event loop.
#include "http/DescriptorPoller.h"

#include <QTest>
#include <functional>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace presence;

namespace {
// One end watched, the other end (`peer`) played by the test.
struct WatchedPair final : DescriptorPoller::Watcher {
    int watched = -1;
    int peer = -1;
    int readable = 0;
    int writable = 0;
    std::function<void()> onReady; // runs after the counts are updated

    WatchedPair()
    {
        int ends[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) == 0) {
            watched = ends[0];
            peer = ends[1];
        }
    }
    ~WatchedPair()
    {
        closeWatched();
        if (peer >= 0)
            ::close(peer);
    }
    void closeWatched()
    {
        if (watched >= 0)
            ::close(watched);
        watched = -1;
    }
    void descriptorReady(bool r, bool w) override
    {
        readable += r ? 1 : 0;
        writable += w ? 1 : 0;
        if (onReady)
            onReady();
    }
    void peerWrites() const { QCOMPARE(::write(peer, "x", 1), ssize_t(1)); }
    void drain() const
    {
        char buffer[64];
        while (::read(watched, buffer, sizeof buffer) > 0) {
        }
    }
};
} // namespace

class TestDescriptorPoller : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aWatchedDescriptorIsToldWhenTheresSomethingToRead();
    void writableIsToldOnlyWhileWanted();
    void thePeerClosingIsReadable();
    void anUnwatchedDescriptorHearsNothingOfThePassUnderWay();
    void moreReadyThanOneBatchAreAllTold();
    void aDescriptorTheKernelRefusesIsNotWatched();
};

void TestDescriptorPoller::aWatchedDescriptorIsToldWhenTheresSomethingToRead()
{
    DescriptorPoller poller;
    QVERIFY(poller.isValid());
    WatchedPair pair;
    QVERIFY(poller.watch(pair.watched, pair));
    QCOMPARE(poller.watchedCount(), 1);
    QCoreApplication::processEvents();
    QCOMPARE(pair.readable, 0); // nothing to read yet
    pair.peerWrites();
    QTRY_VERIFY(pair.readable > 0);
    QCOMPARE(pair.writable, 0); // writable, but not asked for
    // Level-triggered: unread bytes are told again; once read, they are not.
    const int told = pair.readable;
    QTRY_VERIFY(pair.readable > told);
    pair.drain();
    QCoreApplication::processEvents();
    const int afterDrain = pair.readable;
    QCoreApplication::processEvents();
    QCOMPARE(pair.readable, afterDrain);
    poller.unwatch(pair.watched, pair);
    QCOMPARE(poller.watchedCount(), 0);
    pair.peerWrites();
    QCoreApplication::processEvents();
    QCOMPARE(pair.readable, afterDrain);
}

void TestDescriptorPoller::writableIsToldOnlyWhileWanted()
{
    DescriptorPoller poller;
    WatchedPair pair;
    QVERIFY(poller.watch(pair.watched, pair));
    poller.setWritableWanted(pair.watched, pair, true);
    QTRY_VERIFY(pair.writable > 0);
    QCOMPARE(pair.readable, 0);
    poller.setWritableWanted(pair.watched, pair, false);
    QCoreApplication::processEvents(); // a pass gathered before the change may still tell it
    const int told = pair.writable;
    pair.peerWrites(); // a pass happens, told readable only
    QTRY_VERIFY(pair.readable > 0);
    QCOMPARE(pair.writable, told);
    poller.unwatch(pair.watched, pair);
}

void TestDescriptorPoller::thePeerClosingIsReadable()
{
    DescriptorPoller poller;
    WatchedPair pair;
    QVERIFY(poller.watch(pair.watched, pair));
    ::close(std::exchange(pair.peer, -1));
    QTRY_VERIFY(pair.readable > 0);
    char byte;
    QCOMPARE(::read(pair.watched, &byte, 1), ssize_t(0)); // the end of the stream
    poller.unwatch(pair.watched, pair);
}

void TestDescriptorPoller::anUnwatchedDescriptorHearsNothingOfThePassUnderWay()
{
    // Both become readable before the loop runs, so one epoll_wait() gathers both; whichever
    // is told first closes the other (as a session's end can close another's stream): the
    // other must not be told what was gathered for its old descriptor.
    DescriptorPoller poller;
    WatchedPair first, second;
    QVERIFY(poller.watch(first.watched, first));
    QVERIFY(poller.watch(second.watched, second));
    auto closeOther = [&poller](WatchedPair &other) {
        if (other.watched < 0)
            return;
        poller.unwatch(other.watched, other);
        other.closeWatched();
    };
    first.onReady = [&] {
        first.drain();
        closeOther(second);
    };
    second.onReady = [&] {
        second.drain();
        closeOther(first);
    };
    first.peerWrites();
    second.peerWrites();
    QTRY_VERIFY(first.readable + second.readable > 0);
    QCoreApplication::processEvents();
    QCOMPARE(first.readable + second.readable, 1);
    QCOMPARE(poller.watchedCount(), 1);
    WatchedPair &survivor = first.watched >= 0 ? first : second;
    poller.unwatch(survivor.watched, survivor);
}

void TestDescriptorPoller::moreReadyThanOneBatchAreAllTold()
{
    // More than one epoll_wait() batch (256) ready at once; every one is told, each once per
    // pass it stays readable (it is drained when told).
    DescriptorPoller poller;
    std::vector<std::unique_ptr<WatchedPair>> pairs;
    for (int i = 0; i < 300; ++i) {
        auto pair = std::make_unique<WatchedPair>();
        QVERIFY(pair->watched >= 0);
        QVERIFY(poller.watch(pair->watched, *pair));
        WatchedPair *raw = pair.get();
        pair->onReady = [raw] { raw->drain(); };
        pairs.push_back(std::move(pair));
    }
    for (const auto &pair : pairs)
        pair->peerWrites();
    const auto allTold = [&] {
        return std::all_of(pairs.cbegin(), pairs.cend(),
                           [](const auto &pair) { return pair->readable == 1; });
    };
    QTRY_VERIFY(allTold());
    for (const auto &pair : pairs)
        poller.unwatch(pair->watched, *pair);
    QCOMPARE(poller.watchedCount(), 0);
}

void TestDescriptorPoller::aDescriptorTheKernelRefusesIsNotWatched()
{
    DescriptorPoller poller;
    WatchedPair pair;
    const int closed = std::exchange(pair.watched, -1);
    ::close(closed);
    QVERIFY(!poller.watch(closed, pair));
    QCOMPARE(poller.watchedCount(), 0);
}

QTEST_GUILESS_MAIN(TestDescriptorPoller)
#include "tst_descriptor_poller.moc"
