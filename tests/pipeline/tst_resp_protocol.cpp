#include "redis/RespProtocol.h"

#include <QTest>

using namespace presence;

namespace {
RedisReply s(const char *text)
{
    return RedisReply::string(QByteArray(text));
}
} // namespace

// RespReader builds each reply in place through hiredis's object callbacks (no conversion of
// hiredis's own reply objects): every kind, nesting, and replies split anywhere.
class TestRespProtocol : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void formatsCommandsAsBulkStringArrays()
    {
        QByteArray out = "x";
        appendRespCommand(out, {"SET", "k", QByteArray("a\r\nb\0c", 6), ""});
        static const char expected[] =
            "x*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\0c\r\n$0\r\n\r\n";
        QCOMPARE(out, QByteArray(expected, sizeof expected - 1));
        QByteArray many;
        QList<QByteArray> argv;
        for (int i = 0; i < 2000; ++i)
            argv.append(QByteArray::number(i));
        appendRespCommand(many, argv);
        QVERIFY(many.startsWith("*2000\r\n$1\r\n0\r\n"));
        QVERIFY(many.endsWith("$4\r\n1999\r\n"));
    }

    void readsEveryKindOfReply_splitAnywhere()
    {
        const QByteArray wire = "+OK\r\n"
                                "-ERR no\r\n"
                                ":-42\r\n"
                                "$5\r\nhe\r\no\r\n"
                                "$-1\r\n"
                                "*0\r\n"
                                "*-1\r\n"
                                "*3\r\n*2\r\n$2\r\nid\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n:7\r\n$-1\r\n";
        const QList<RedisReply> expected{
            RedisReply::status("OK"),
            RedisReply::error("ERR no"),
            RedisReply::integer(-42),
            s("he\r\no"),
            RedisReply(),
            RedisReply::array({}),
            RedisReply(),
            RedisReply::array({RedisReply::array({s("id"), RedisReply::array({s("f"), s("v")})}),
                               RedisReply::integer(7), RedisReply()}),
        };
        for (qsizetype step : {qsizetype(1), qsizetype(3), qsizetype(7), wire.size()}) {
            RespReader reader;
            QList<RedisReply> got;
            for (qsizetype at = 0; at < wire.size(); at += step) {
                reader.feed(wire.constData() + at, std::min(step, wire.size() - at));
                RedisReply reply;
                RespReader::Result result;
                while ((result = reader.next(&reply)) == RespReader::Result::Reply)
                    got.append(reply);
                QCOMPARE(result, RespReader::Result::NeedMore);
            }
            QCOMPARE(got.size(), expected.size());
            for (qsizetype i = 0; i < got.size(); ++i)
                QVERIFY2(got[i] == expected[i], got[i].toDebugString().constData());
        }
    }

    void aBrokenStreamIsAnError_andResetStartsAfresh()
    {
        RespReader reader;
        reader.feed("*2\r\n$1\r\na\r\n", 11); // half an array: held, then freed with the error
        RedisReply reply;
        QCOMPARE(reader.next(&reply), RespReader::Result::NeedMore);
        reader.feed("?junk\r\n", 7);
        QCOMPARE(reader.next(&reply), RespReader::Result::ProtocolError);
        QVERIFY(!reader.error().isEmpty());
        reader.reset();
        reader.feed(":1\r\n", 4);
        QCOMPARE(reader.next(&reply), RespReader::Result::Reply);
        QCOMPARE(reply, RedisReply::integer(1));
    }
};

QTEST_GUILESS_MAIN(TestRespProtocol)
#include "tst_resp_protocol.moc"
