// What a client knows about a cluster (PROTOCOL.md §8): node addresses, the getClusterPerf
// table, the load formula, how a pool spreads its connections, and which server errors mean
// "this node cannot serve you, go elsewhere" (§8.4). Pure functions: no sockets here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/value.h"

namespace ddb {

struct Node {
    std::string host;
    int port = 0;
    bool operator==(const Node& o) const { return port == o.port && host == o.host; }
    bool operator!=(const Node& o) const { return !(*this == o); }
    std::string str() const { return host + ":" + std::to_string(port); }
};

// "host:port" (split at the last ':'); throws Error on anything else.
Node parseNode(std::string_view text);

enum NodeMode : int { kDataNode = 0, kAgent = 1, kController = 2, kSingleNode = 3, kComputeNode = 4 };

struct NodePerf {
    Node node;
    std::string name;   // the alias, when the table has a `name` column
    int mode = kDataNode;
    bool alive = true;
    int maxConnections = 0;
    int connectionNum = 0;
    int workerNum = 0;
    int executorNum = 0;
};

// The rows of `rpc(getControllerAlias(), getClusterPerf)` (§8.1). With usePublicName, a row's
// host is the first ';'-separated entry of publicName when present. Throws ProtocolError when
// the reply is not a table with the columns clients read.
std::vector<NodePerf> parseClusterPerf(const Value& table, bool usePublicName);

// §8.2: (connectionNum + workerNum + executorNum) / 3, or +infinity when the node is full.
double nodeLoad(const NodePerf& node, int extraConnections = 0);

// loadBalance (§8.5, Python flavour): every live data and compute node, worker i on node
// i mod n. Throws Error "No available data or compute nodes found in the cluster." when none.
std::vector<Node> spreadRoundRobin(const std::vector<NodePerf>& perf, int connections);

// highAvailability without loadBalance: each connection goes to the live data node of least
// §8.2 load, counting the connections this pool has already placed (the official client reads
// the load once and piles every connection of a pool onto the same node). `allowed`, if not
// empty, restricts the choice to those nodes (the user's highAvailabilitySites).
std::vector<Node> spreadLeastLoaded(const std::vector<NodePerf>& perf, int connections, const std::vector<Node>& allowed);

// The live data nodes of the table: the failover list when the user gave no sites.
std::vector<Node> dataNodes(const std::vector<NodePerf>& perf);

// §8.4: how a client reacts to the error line of a reply.
enum class ServerErrorKind {
    Ordinary,   // the script's own error: give it to the caller
    NotLeader,   // go to the leader named in the message and resend
    NodeUnavailable,   // go to any other node and resend
    ChunkInTransaction,   // wait, then go to another node and resend
};
struct ServerErrorClass {
    ServerErrorKind kind = ServerErrorKind::Ordinary;
    std::optional<Node> leader;   // NotLeader with a parsable host:port
};
ServerErrorClass classifyServerError(std::string_view errorLine);

}   // namespace ddb
