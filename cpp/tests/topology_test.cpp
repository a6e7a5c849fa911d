// Cluster topology (PROTOCOL.md §8): getClusterPerf parsing, the load formula, connection
// placement and the classification of server errors.
#include <cmath>

#include "cluster/topology.h"
#include "codec_helpers.h"

using namespace ddb;
using namespace ddbtest;

namespace {

// A getClusterPerf reply with the column types the server sends (§8.1).
Value perfTable(const std::vector<std::string>& hosts, const std::vector<int32_t>& ports, const std::vector<int32_t>& modes,
                const std::vector<int8_t>& states, const std::vector<int32_t>& connections,
                std::vector<int32_t> maxConnections = {}) {
    size_t n = hosts.size();
    if (maxConnections.empty()) maxConnections.assign(n, 512);
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) names.push_back("node" + std::to_string(i + 1));
    return tableOf(
        {"host", "port", "mode", "state", "maxConnections", "connectionNum", "workerNum", "executorNum", "name", "publicName"},
        {strCol(Type::String, hosts), fixedCol<int32_t>(Type::Int, ports), fixedCol<int32_t>(Type::Int, modes),
         fixedCol<int8_t>(Type::Bool, states), fixedCol<int32_t>(Type::Int, maxConnections),
         fixedCol<int32_t>(Type::Int, connections), fixedCol<int32_t>(Type::Int, std::vector<int32_t>(n, 8)),
         fixedCol<int32_t>(Type::Int, std::vector<int32_t>(n, 7)), strCol(Type::String, names),
         strCol(Type::String, std::vector<std::string>(n, "pub.example;other"))});
}

std::vector<std::string> strs(const std::vector<Node>& nodes) {
    std::vector<std::string> out;
    for (const auto& n : nodes) out.push_back(n.str());
    return out;
}

}   // namespace

TEST(Topology, ParseNode) {
    EXPECT_EQ(parseNode("127.0.0.1:8848").str(), "127.0.0.1:8848");
    EXPECT_EQ(parseNode("::1:8848").host, "::1");
    for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:8x"})
        EXPECT_THROW(parseNode(bad), Error) << bad;
}

TEST(Topology, ParsesClusterPerfAndPublicNames) {
    Value t = perfTable({"a", "b"}, {1, 2}, {0, 4}, {1, 0}, {5, 12});
    auto rows = parseClusterPerf(t, false);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].node.str(), "a:1");
    EXPECT_EQ(rows[1].mode, kComputeNode);
    EXPECT_FALSE(rows[1].alive);
    EXPECT_EQ(rows[1].connectionNum, 12);
    EXPECT_EQ(rows[0].name, "node1");
    EXPECT_EQ(parseClusterPerf(t, true)[0].node.str(), "pub.example:1");
    Value notTable = scalar<int32_t>(Type::Int, 1);
    EXPECT_THROW(parseClusterPerf(notTable, false), ProtocolError);
    Value missing = tableOf({"host"}, {strCol(Type::String, {"a"})});
    EXPECT_THROW(parseClusterPerf(missing, false), ProtocolError);
}

TEST(Topology, LoadFormulaAndFullNodes) {
    NodePerf p;
    p.connectionNum = 20;
    p.workerNum = 8;
    p.executorNum = 7;
    p.maxConnections = 64;
    EXPECT_DOUBLE_EQ(nodeLoad(p), 35.0 / 3);
    EXPECT_DOUBLE_EQ(nodeLoad(p, 4), 39.0 / 3);
    p.maxConnections = 20;
    EXPECT_TRUE(std::isinf(nodeLoad(p)));
}

TEST(Topology, RoundRobinOverLiveDataAndComputeNodes) {
    // The documented example: [5, 12, 13] + 6 connections -> [7, 14, 15].
    Value t = perfTable({"h", "h", "h", "h"}, {1, 2, 3, 4}, {2, 0, 0, 0}, {1, 1, 1, 1}, {0, 5, 12, 13});
    auto placed = spreadRoundRobin(parseClusterPerf(t, false), 6);
    EXPECT_EQ(strs(placed), (std::vector<std::string>{"h:2", "h:3", "h:4", "h:2", "h:3", "h:4"}));
    Value dead = perfTable({"h", "h", "h"}, {1, 2, 3}, {0, 4, 0}, {1, 1, 0}, {0, 0, 0});
    EXPECT_EQ(strs(spreadRoundRobin(parseClusterPerf(dead, false), 3)), (std::vector<std::string>{"h:1", "h:2", "h:1"}));
    Value none = perfTable({"h"}, {1}, {3}, {1}, {0});
    EXPECT_THROW(spreadRoundRobin(parseClusterPerf(none, false), 2), Error);
}

TEST(Topology, LeastLoadedCountsThePoolsOwnConnections) {
    // Loads (c+15)/3 with c = 5 and 8: node 1 takes connections until its count passes node 2's.
    Value t = perfTable({"h", "h", "h"}, {1, 2, 3}, {0, 0, 4}, {1, 1, 1}, {5, 8, 0});
    auto perf = parseClusterPerf(t, false);
    EXPECT_EQ(strs(spreadLeastLoaded(perf, 5, {})),
              (std::vector<std::string>{"h:1", "h:1", "h:1", "h:1", "h:2"}));   // ties keep the earlier node
    EXPECT_EQ(strs(spreadLeastLoaded(perf, 2, {Node{"h", 2}})), (std::vector<std::string>{"h:2", "h:2"}));
    Value full = perfTable({"h", "h"}, {1, 2}, {0, 0}, {1, 1}, {1, 30}, {1, 512});
    EXPECT_EQ(strs(spreadLeastLoaded(parseClusterPerf(full, false), 1, {})), (std::vector<std::string>{"h:2"}));
    EXPECT_TRUE(spreadLeastLoaded(perf, 2, {Node{"elsewhere", 9}}).empty());
}

TEST(Topology, ClassifiesServerErrors) {
    auto c = classifyServerError("<NotLeader>10.0.0.2:8848");
    EXPECT_EQ(c.kind, ServerErrorKind::NotLeader);
    ASSERT_TRUE(c.leader);
    EXPECT_EQ(c.leader->str(), "10.0.0.2:8848");
    c = classifyServerError("<NotLeader>10.0.0.2:8848:dnode2");
    ASSERT_TRUE(c.leader);
    EXPECT_EQ(c.leader->str(), "10.0.0.2:8848");
    c = classifyServerError("<NotLeader>garbage");
    EXPECT_EQ(c.kind, ServerErrorKind::NotLeader);
    EXPECT_FALSE(c.leader);
    EXPECT_EQ(classifyServerError("<DataNodeNotAvail>dnode1").kind, ServerErrorKind::NodeUnavailable);
    EXPECT_EQ(classifyServerError("<ChunkInTransaction>x").kind, ServerErrorKind::ChunkInTransaction);
    EXPECT_EQ(classifyServerError("<DataNodeNotAvail> RefId: S04009").kind, ServerErrorKind::Ordinary);
    EXPECT_EQ(classifyServerError("Syntax Error: [line #1] ...").kind, ServerErrorKind::Ordinary);
}
