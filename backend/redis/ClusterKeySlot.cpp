#include "redis/ClusterKeySlot.h"

#include <array>

namespace presence {

namespace {

constexpr std::array<quint16, 256> makeCrc16Table()
{
    std::array<quint16, 256> table{};
    for (int byte = 0; byte < 256; ++byte) {
        quint16 crc = quint16(byte << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = quint16((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        table[size_t(byte)] = crc;
    }
    return table;
}

constexpr std::array<quint16, 256> crc16Table = makeCrc16Table();

quint16 crc16(QByteArrayView bytes)
{
    quint16 crc = 0;
    for (const char c : bytes)
        crc = quint16((crc << 8) ^ crc16Table[((crc >> 8) ^ quint8(c)) & 0xff]);
    return crc;
}

QByteArrayView hashedPart(QByteArrayView key)
{
    const qsizetype open = key.indexOf('{');
    if (open < 0)
        return key;
    const qsizetype close = key.indexOf('}', open + 1);
    if (close <= open + 1) // no "}" after it, or an empty tag "{}": the whole key
        return key;
    return key.sliced(open + 1, close - open - 1);
}

} // namespace

quint16 clusterKeySlot(QByteArrayView key)
{
    return quint16(crc16(hashedPart(key)) % clusterSlotCount);
}

} // namespace presence
