#include "client_common.h"

#include <pybind11/stl.h>

#include <map>
#include <set>

#include "convert/convert.h"
#include "errors.h"
#include "protocol/codec.h"

namespace ddbpy {

PreparedResult prepareResult(ddb::Result&& result, bool tableToList) {
    if (!result) return PreparedResult();
    ToPythonOptions o;
    o.tableToList = tableToList;
    return prepare(std::move(*result), o);
}

ddb::Value valueFromPython(py::handle obj) { return fromPython(obj); }

std::vector<ddb::Value> valuesFromPython(const py::handle& objects, const py::object& compressMethods) {
    std::vector<ddb::Value> values;
    for (auto o : objects) values.push_back(fromPython(o));
    if (compressMethods.is_none()) return values;
    std::map<std::string, ddb::CompressMethod> methods;
    for (auto [k, v] : py::reinterpret_borrow<py::dict>(compressMethods))
        methods[k.cast<std::string>()] = static_cast<ddb::CompressMethod>(v.cast<int>());
    std::set<std::string> used;
    for (ddb::Value& v : values) {
        if (v.form != ddb::Form::Table) continue;
        v.compressMethods.assign(v.columns.size(), ddb::CompressMethod::Auto);
        for (size_t i = 0; i < v.columns.size(); ++i) {
            auto it = methods.find(v.columnNames[i]);
            if (it == methods.end()) continue;
            used.insert(it->first);
            if (it->second == ddb::CompressMethod::Delta && !ddb::deltaCompressible(v.columns[i]))
                throw ddb::ConversionError("compressMethods: delta-of-delta cannot compress column '" + it->first + "' of type " +
                                           ddb::typeName(v.columns[i].rawType) +
                                           " (only SHORT, INT, LONG, temporal and DECIMAL32/64 columns)");
            v.compressMethods[i] = it->second;
        }
    }
    for (const auto& [name, method] : methods)
        if (!used.count(name))
            throw ddb::ConversionError("compressMethods names column '" + name + "', which no uploaded table has");
    return values;
}

ddb::ConnectionEventSink eventSink(py::object callback) {
    if (callback.is_none()) return {};
    auto cb = gilSafe(std::move(callback));
    return [cb](const ddb::ConnectionEvent& e) {
        static const char* kinds[] = {"reconnect", "failover", "resend", "give_up", "attempt_failed"};
        NativeThreadGil gil;
        if (!gil.held()) return;   // the interpreter is finalizing: nobody to tell
        try {
            (*cb)(kinds[static_cast<int>(e.kind)], e.from.host.empty() ? "" : e.from.str(), e.to.host.empty() ? "" : e.to.str(),
                  e.reason);
        } catch (py::error_already_set& err) {
            // Ctrl-C that landed while the callback ran Python code (a retry's log line is emitted
            // on the waiting thread): the interrupt is raised again, for the wait to answer.
            if (err.matches(PyExc_KeyboardInterrupt)) PyErr_SetInterrupt();
            else err.discard_as_unraisable("dolphindb connection event");
        }
    };
}

ddb::RequestOptions requestOptions(int flag, int priority, int parallelism, int fetchSize) {
    ddb::RequestOptions o;
    o.flag = flag;
    o.priority = priority;
    o.parallelism = parallelism;
    o.fetchSize = fetchSize;
    return o;
}

}   // namespace ddbpy
