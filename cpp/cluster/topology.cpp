#include "cluster/topology.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "errors.h"

namespace ddb {

Node parseNode(std::string_view text) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
        throw Error("'" + std::string(text) + "' is not a host:port site");
    int port = 0;
    for (char ch : text.substr(colon + 1)) {
        if (ch < '0' || ch > '9' || port > 65535) throw Error("'" + std::string(text) + "' has an invalid port");
        port = port * 10 + (ch - '0');
    }
    if (port < 1 || port > 65535) throw Error("'" + std::string(text) + "' has an invalid port");
    return Node{std::string(text.substr(0, colon)), port};
}

namespace {

const Column* findColumn(const Value& table, const char* name, bool required) {
    for (size_t i = 0; i < table.columnNames.size(); ++i)
        if (table.columnNames[i] == name) return &table.columns[i];
    if (required) throw ProtocolError(std::string("getClusterPerf returned no '") + name + "' column");
    return nullptr;
}

// Any integral column (BOOL, CHAR, SHORT, INT, LONG) as int64; nulls read as 0.
int64_t integerAt(const Column& c, int64_t row, const char* name) {
    const uint8_t* p = c.data->data();
    switch (c.type()) {
        case Type::Bool:
        case Type::Char: {
            int8_t v = static_cast<int8_t>(p[row]);
            return v == std::numeric_limits<int8_t>::min() ? 0 : v;
        }
        case Type::Short: {
            int16_t v;
            std::memcpy(&v, p + row * 2, 2);
            return v == std::numeric_limits<int16_t>::min() ? 0 : v;
        }
        case Type::Int: {
            int32_t v;
            std::memcpy(&v, p + row * 4, 4);
            return v == std::numeric_limits<int32_t>::min() ? 0 : v;
        }
        case Type::Long: {
            int64_t v;
            std::memcpy(&v, p + row * 8, 8);
            return v == std::numeric_limits<int64_t>::min() ? 0 : v;
        }
        default:
            throw ProtocolError(std::string("getClusterPerf column '") + name + "' is of type " + typeName(c.rawType) +
                                ", not an integer");
    }
}

std::string stringAt(const Column& c, int64_t row, const char* name) {
    if (c.type() != Type::String && c.type() != Type::Symbol)
        throw ProtocolError(std::string("getClusterPerf column '") + name + "' is of type " + typeName(c.rawType) +
                            ", not STRING");
    return std::string(c.stringAt(row));
}

bool contains(const std::vector<Node>& nodes, const Node& n) { return std::find(nodes.begin(), nodes.end(), n) != nodes.end(); }

}   // namespace

std::vector<NodePerf> parseClusterPerf(const Value& table, bool usePublicName) {
    if (table.form != Form::Table) throw ProtocolError("getClusterPerf did not return a table");
    const Column* host = findColumn(table, "host", true);
    const Column* port = findColumn(table, "port", true);
    const Column* mode = findColumn(table, "mode", true);
    const Column* maxConnections = findColumn(table, "maxConnections", true);
    const Column* connectionNum = findColumn(table, "connectionNum", true);
    const Column* workerNum = findColumn(table, "workerNum", true);
    const Column* executorNum = findColumn(table, "executorNum", true);
    const Column* state = findColumn(table, "state", false);
    const Column* name = findColumn(table, "name", false);
    const Column* publicName = usePublicName ? findColumn(table, "publicName", false) : nullptr;
    std::vector<NodePerf> rows;
    for (int64_t r = 0; r < host->length; ++r) {
        NodePerf p;
        p.node.host = stringAt(*host, r, "host");
        if (publicName) {
            std::string pub = stringAt(*publicName, r, "publicName");
            std::string first = pub.substr(0, pub.find(';'));
            if (!first.empty()) p.node.host = first;
        }
        p.node.port = static_cast<int>(integerAt(*port, r, "port"));
        p.mode = static_cast<int>(integerAt(*mode, r, "mode"));
        p.alive = state ? integerAt(*state, r, "state") != 0 : true;
        p.maxConnections = static_cast<int>(integerAt(*maxConnections, r, "maxConnections"));
        p.connectionNum = static_cast<int>(integerAt(*connectionNum, r, "connectionNum"));
        p.workerNum = static_cast<int>(integerAt(*workerNum, r, "workerNum"));
        p.executorNum = static_cast<int>(integerAt(*executorNum, r, "executorNum"));
        if (name) p.name = stringAt(*name, r, "name");
        rows.push_back(std::move(p));
    }
    return rows;
}

double nodeLoad(const NodePerf& node, int extraConnections) {
    int connections = node.connectionNum + extraConnections;
    if (connections >= node.maxConnections) return std::numeric_limits<double>::infinity();
    return (connections + node.workerNum + node.executorNum) / 3.0;
}

std::vector<Node> spreadRoundRobin(const std::vector<NodePerf>& perf, int connections) {
    std::vector<Node> nodes;
    for (const auto& p : perf)
        if (p.alive && (p.mode == kDataNode || p.mode == kComputeNode)) nodes.push_back(p.node);
    if (nodes.empty()) throw Error("No available data or compute nodes found in the cluster.");
    std::vector<Node> out;
    for (int i = 0; i < connections; ++i) out.push_back(nodes[i % nodes.size()]);
    return out;
}

std::vector<Node> spreadLeastLoaded(const std::vector<NodePerf>& perf, int connections, const std::vector<Node>& allowed) {
    std::vector<const NodePerf*> candidates;
    for (const auto& p : perf)
        if (p.alive && p.mode == kDataNode && (allowed.empty() || contains(allowed, p.node))) candidates.push_back(&p);
    std::vector<int> placed(candidates.size(), 0);
    std::vector<Node> out;
    for (int i = 0; i < connections && !candidates.empty(); ++i) {
        size_t best = 0;
        for (size_t j = 1; j < candidates.size(); ++j)   // ties keep the earlier node (§8.2)
            if (nodeLoad(*candidates[j], placed[j]) < nodeLoad(*candidates[best], placed[best])) best = j;
        ++placed[best];
        out.push_back(candidates[best]->node);
    }
    return out;
}

std::vector<Node> dataNodes(const std::vector<NodePerf>& perf) {
    std::vector<Node> nodes;
    for (const auto& p : perf)
        if (p.mode == kDataNode && !contains(nodes, p.node)) nodes.push_back(p.node);
    return nodes;
}

ServerErrorClass classifyServerError(std::string_view line) {
    ServerErrorClass c;
    if (line.find("RefId: S04009") != std::string_view::npos) return c;   // the official client rethrows it too
    size_t at = line.find("<NotLeader>");
    if (at != std::string_view::npos) {
        c.kind = ServerErrorKind::NotLeader;
        std::string_view rest = line.substr(at + std::strlen("<NotLeader>"));
        // "host:port" or "host:port:alias", possibly followed by other text.
        size_t end = rest.find_first_of(" '\"\n");
        rest = rest.substr(0, end);
        size_t first = rest.find(':');
        if (first != std::string_view::npos) {
            size_t second = rest.find(':', first + 1);
            try {
                c.leader = parseNode(rest.substr(0, second));
            } catch (const Error&) {}
        }
        return c;
    }
    if (line.find("<ChunkInTransaction>") != std::string_view::npos) {
        c.kind = ServerErrorKind::ChunkInTransaction;
        return c;
    }
    for (const char* tag : {"<DataNodeNotAvail>", "<DataNodeNotReady>", "<ControllerNotReady>", "<ControllerNotAvail>",
                            "DFS is not enabled", "The datanode isn't initialized yet"})
        if (line.find(tag) != std::string_view::npos) {
            c.kind = ServerErrorKind::NodeUnavailable;
            return c;
        }
    return c;
}

}   // namespace ddb
