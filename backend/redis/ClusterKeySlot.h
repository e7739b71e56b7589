#pragma once

#include <QByteArrayView>

namespace presence {

// Redis Cluster's slots: 16,384 of them; a key's slot is CRC16 (XMODEM: polynomial 0x1021,
// initial value 0) of the key modulo 16,384 — or of its hash tag, the bytes between the first
// "{" and the first "}" after it when there is at least one byte between them, so keys that
// share a tag share a slot (and so a primary, and one function call may touch all of them).
inline constexpr int clusterSlotCount = 16384;

quint16 clusterKeySlot(QByteArrayView key);

} // namespace presence
