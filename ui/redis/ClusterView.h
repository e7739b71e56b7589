#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace presence {

struct ClusterStatus;

// A Redis Cluster under the presence engine, from the engine's diagnostics (ClusterStatus):
// a summary line (primaries, slots covered, redirects followed), the primaries (slots, presence
// shards, keys, replicas and their lag) and the presence shards (tag, slot, the primary serving
// it, this node's connection, rooms and members it holds, stream lengths, processors' lag).
class ClusterView final : public QWidget {
    Q_OBJECT
public:
    explicit ClusterView(QWidget *parent = nullptr);

    void render(const ClusterStatus &cluster);

    QLabel *summaryLabel() const { return m_summary; }
    QTableWidget *primariesTable() const { return m_primaries; }
    QTableWidget *shardsTable() const { return m_shards; }

private:
    void renderPrimaries(const ClusterStatus &cluster);
    void renderShards(const ClusterStatus &cluster);

    QLabel *m_summary = nullptr;
    QTableWidget *m_primaries = nullptr;
    QTableWidget *m_shards = nullptr;
};

} // namespace presence
