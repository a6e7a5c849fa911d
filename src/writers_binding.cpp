// dolphindb._core's bulk-writer parts: the column fitting of the DataFrame writers (§1.2), the
// partition domains and groups of PartitionedTableAppender (§2.3), and TableWriterCore, the
// native multithreaded writer (§4) whose insert() converts one row straight into the columnar
// queue of its writer thread.
#include <pybind11/stl.h>
#include <datetime.h>

#include <cmath>
#include <cstring>

#include "blocking.h"
#include "client_common.h"
#include "convert/upload.h"
#include "errors.h"
#include "protocol/temporal.h"
#include "writers/columns.h"
#include "writers/domain.h"
#include "writers/hash.h"
#include "writers/table_writer.h"
#include "writers_binding.h"

namespace ddbpy {

namespace {

using ddb::Column;
using ddb::Type;
using ddb::Value;
using namespace ddb::writers;

struct PreparedTable {
    Value value;
    int64_t rows() const { return value.columns.empty() ? 0 : value.columns[0].length; }
};

std::string typeText(uint8_t raw) { return ddb::typeName(raw); }

// The target table as a writer learned it from schema(): names, raw types, DECIMAL scales.
struct Target {
    std::vector<std::string> names;
    std::vector<uint8_t> types;
    std::vector<int> scales;
};

Target targetOf(const std::vector<std::string>& names, const std::vector<int>& types, const std::vector<int>& scales) {
    Target t;
    t.names = names;
    for (int x : types) t.types.push_back(static_cast<uint8_t>(x));
    t.scales = scales;
    if (t.scales.size() < t.types.size()) t.scales.resize(t.types.size(), 0);
    return t;
}

// §1.2: columns whose name is a target column's convert straight to its type, the rest by the
// default rules; then the column count and, by position, the categories must agree. `fit`
// (TableAppender / TableUpserter) also casts temporal columns and takes the target's names.
Value fitTable(py::handle data, const Target& target, const std::string& countError, bool fit) {
    FromPythonOptions options;
    bool isFrame = up::isPandasObject(data, "DataFrame");
    if (isFrame) {
        for (size_t i = 0; i < target.names.size(); ++i)
            options.columnTypes[target.names[i]] =
                TypeSpec{target.types[i], ddb::isDecimal(static_cast<Type>(target.types[i] & 63)) ? target.scales[i] : -1};
        // Only names the frame has: a forced type for a missing column would be an error.
        py::list frameNames = data.attr("columns").attr("tolist")();
        std::map<std::string, TypeSpec> present;
        for (py::handle n : frameNames)
            if (PyUnicode_Check(n.ptr())) {
                auto it = options.columnTypes.find(n.cast<std::string>());
                if (it != options.columnTypes.end()) present.insert(*it);
            }
        options.columnTypes = std::move(present);
    }
    Value v = fromPython(data, options);
    if (v.form != ddb::Form::Table) throw ddb::ConversionError("table must be a DataFrame!");
    if (v.columns.size() != target.types.size()) throw ddb::ConversionError(countError);
    for (size_t i = 0; i < v.columns.size(); ++i) {
        Column& c = v.columns[i];
        uint8_t want = target.types[i];
        if (c.rawType == want) continue;
        if (c.rawType == static_cast<uint8_t>(Type::Void)) continue;   // an all-NULL column: the server casts it
        if (categoryOf(c.rawType) != categoryOf(want))
            throw ddb::ConversionError("column [" + target.names[i] + "], expect type " + typeText(want) + ", got type " +
                                       typeText(c.rawType));
        if (fit && categoryOf(want) == Category::Temporal) c = castTemporal(c, static_cast<Type>(want));
    }
    if (fit) v.columnNames = target.names;
    return v;
}

// ---- one Python value into a column (MultithreadedTableWriter.insert, §4.9) ----

std::string shortTypeName(PyObject* o) { return Py_TYPE(o)->tp_name; }

[[noreturn]] void cannotConvert(PyObject* o, uint8_t raw) {
    throw ddb::ConversionError("Cannot convert " + shortTypeName(o) + " to " + typeText(raw) + ".");
}

bool isNan(PyObject* o) { return PyFloat_Check(o) && std::isnan(PyFloat_AS_DOUBLE(o)); }

bool isNullCell(PyObject* o) {
    if (o == Py_None || isNan(o)) return true;
    if (PyLong_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o) || PyFloat_Check(o)) return false;
    return up::isNull(o);
}

template <class T>
void put(ColumnBuilder& b, T v) {
    std::memcpy(b.appendFixed(), &v, sizeof v);
}

void putNull(ColumnBuilder& b) {
    switch (b.width()) {
        case 1: put<int8_t>(b, ddb::kNullChar); break;
        case 2: put<int16_t>(b, ddb::kNullShort); break;
        case 4:
            if (b.rawType() == static_cast<uint8_t>(Type::Float)) put<float>(b, ddb::kNullFloat);
            else put<int32_t>(b, ddb::kNullInt);
            break;
        case 8:
            if (b.rawType() == static_cast<uint8_t>(Type::Double)) put<double>(b, ddb::kNullDouble);
            else put<int64_t>(b, ddb::kNullLong);
            break;
        default: std::memset(b.appendFixed(), 0, static_cast<size_t>(b.width())); break;
    }
}

bool isNumpyInteger(PyObject* o) {
    static PyObject* integer = py::object(py::module_::import("numpy").attr("integer")).release().ptr();
    return PyObject_IsInstance(o, integer) == 1;
}
bool isNumpyFloating(PyObject* o) {
    static PyObject* floating = py::object(py::module_::import("numpy").attr("floating")).release().ptr();
    return PyObject_IsInstance(o, floating) == 1;
}

int64_t integerOf(PyObject* o, uint8_t raw) {
    if (PyBool_Check(o)) cannotConvert(o, raw);
    if (PyLong_Check(o) || isNumpyInteger(o)) {
        int overflow = 0;
        py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(o));
        if (!idx) throw py::error_already_set();
        long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
        if (overflow) throw ddb::ConversionError("Cannot convert int to " + typeText(raw) + ": out of range.");
        return v;
    }
    cannotConvert(o, raw);
}

// ns since the epoch of a datetime or pd.Timestamp (the hot path of row inserts: no isinstance
// chain, one attribute read for a Timestamp's nanoseconds).
__int128 datetimeNanos(PyObject* o) {
    static PyObject* timestampType = py::object(py::module_::import("pandas").attr("Timestamp")).release().ptr();
    static PyObject* valueName = PyUnicode_InternFromString("value");
    if (Py_TYPE(o) == reinterpret_cast<PyTypeObject*>(timestampType)) {
        py::object value = py::reinterpret_steal<py::object>(PyObject_GetAttr(o, valueName));
        if (!value) throw py::error_already_set();
        return PyLong_AsLongLong(value.ptr());
    }
    int64_t days = ddb::daysFromCivil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
    int64_t secs = PyDateTime_DATE_GET_HOUR(o) * 3600 + PyDateTime_DATE_GET_MINUTE(o) * 60 + PyDateTime_DATE_GET_SECOND(o);
    return static_cast<__int128>(days) * ddb::kNsPerDay + static_cast<__int128>(secs) * 1000000000LL +
        PyDateTime_DATE_GET_MICROSECOND(o) * 1000LL;
}

// Converts `o` to the builder's type and appends it. ConversionError on refusal.
void appendCell(ColumnBuilder& b, PyObject* o) {
    uint8_t raw = b.rawType();
    if (ddb::isArrayType(raw)) {
        std::vector<PyObject*> one{o};
        Column c = up::arrayVectorFromCells(one, TypeSpec{raw, b.scale()});
        b.appendRows(c, nullptr, 1);
        return;
    }
    Type t = static_cast<Type>(raw);
    switch (categoryOf(t)) {
        case Category::Logical:
            if (isNullCell(o)) return putNull(b);
            if (PyFloat_Check(o) || isNumpyFloating(o)) cannotConvert(o, raw);
            if (PyBool_Check(o)) return put<int8_t>(b, o == Py_True ? 1 : 0);
            return put<int8_t>(b, integerOf(o, raw) != 0 ? 1 : 0);
        case Category::Integral: {
            if (isNullCell(o)) return putNull(b);
            int64_t v = integerOf(o, raw);
            switch (b.width()) {
                case 1: return put<int8_t>(b, static_cast<int8_t>(v));
                case 2: return put<int16_t>(b, static_cast<int16_t>(v));
                case 4: return put<int32_t>(b, static_cast<int32_t>(v));
                default: return put<int64_t>(b, v);
            }
        }
        case Category::Floating: {
            if (isNullCell(o)) return putNull(b);
            if (PyBool_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o)) cannotConvert(o, raw);
            double d = PyFloat_AsDouble(o);
            if (d == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                cannotConvert(o, raw);
            }
            if (t == Type::Float) return put<float>(b, static_cast<float>(d));
            return put<double>(b, d);
        }
        case Category::Literal:
            if (PyUnicode_Check(o)) {
                Py_ssize_t n;
                const char* s = PyUnicode_AsUTF8AndSize(o, &n);
                if (!s) throw py::error_already_set();
                return b.appendText(std::string_view(s, static_cast<size_t>(n)));
            }
            if (PyBytes_Check(o)) return b.appendText(std::string_view(PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o)));
            if (isNullCell(o)) return b.appendText({});
            cannotConvert(o, raw);
        case Category::Temporal: {
            static PyObject* notATime = py::object(py::module_::import("pandas").attr("NaT")).release().ptr();
            if (o == Py_None || o == notATime || isNan(o)) return putNull(b);
            int64_t v;
            if (PyLong_Check(o) && !PyBool_Check(o)) v = integerOf(o, raw);   // a raw count, as the official
            else if (PyDateTime_Check(o)) v = ddb::temporalFromNanos(datetimeNanos(o), t);
            else if (isNullCell(o)) return putNull(b);   // np.datetime64('NaT'), pd.NA
            else if (!up::temporalValue(o, t, &v)) cannotConvert(o, raw);
            if (b.width() == 8) return put<int64_t>(b, v);
            return put<int32_t>(b, static_cast<int32_t>(v));
        }
        default: {
            // DECIMAL, UUID, IPADDR, INT128: the upload converters' rules for one element.
            std::vector<PyObject*> one{o};
            Column c = up::columnOf(one, t, b.scale());
            b.appendRows(c, nullptr, 1);
            return;
        }
    }
}

std::shared_ptr<Domain> domainFromPython(int partitionType, int schemeType, py::handle scheme) {
    Type p = static_cast<Type>(schemeType);
    Value v;
    if (partitionType == static_cast<int>(PartitionType::Hash)) {
        v = fromPython(scheme);
    } else if (partitionType == static_cast<int>(PartitionType::List) &&
               (PyList_Check(scheme.ptr()) || PyTuple_Check(scheme.ptr()))) {
        // A tuple of scalars and vectors: each element converted to the scheme's type.
        FromPythonOptions o;
        o.type = TypeSpec{schemeType == static_cast<int>(Type::Symbol) ? static_cast<int>(Type::String) : schemeType, -1};
        Column items;
        items.rawType = static_cast<uint8_t>(Type::Any);
        for (py::handle element : scheme) items.items.push_back(fromPython(element, o));
        items.length = static_cast<int64_t>(items.items.size());
        v.form = ddb::Form::Vector;
        v.column = std::move(items);
    } else {
        FromPythonOptions o;
        o.type = TypeSpec{schemeType == static_cast<int>(Type::Symbol) ? static_cast<int>(Type::String) : schemeType, -1};
        v = fromPython(scheme, o);
    }
    return std::make_shared<Domain>(partitionType, p, v);
}

struct PyDomain {
    std::shared_ptr<Domain> domain;
};

// §2.2 steps 5-6: keys of the partitioning column, one group per key % n (row order kept), in
// group order; a negative key anywhere refuses the whole append before anything is sent.
py::list partitionGroups(const PreparedTable& table, int column, const PyDomain& d, int n) {
    std::vector<std::vector<int64_t>> groups(static_cast<size_t>(n));
    std::vector<Value> parts;
    {
        ReleasedGil nogil;
        const Value& v = table.value;
        std::vector<int32_t> keys = d.domain->keys(v.columns.at(static_cast<size_t>(column)));
        for (size_t i = 0; i < keys.size(); ++i) {
            if (keys[i] < 0)
                throw ddb::ConversionError("A value-partition column contain null value at row " + std::to_string(i) + ".");
            groups[static_cast<size_t>(keys[i] % n)].push_back(static_cast<int64_t>(i));
        }
        for (auto& rows : groups) {
            if (rows.empty()) continue;
            Value part = v;
            for (auto& c : part.columns) c = take(c, rows.data(), static_cast<int64_t>(rows.size()));
            part.rows = static_cast<int32_t>(rows.size());
            parts.push_back(std::move(part));
        }
    }
    py::list out;
    size_t p = 0;
    for (auto& rows : groups) {
        if (rows.empty()) continue;
        py::array_t<int64_t> idx(static_cast<py::ssize_t>(rows.size()));
        std::memcpy(idx.mutable_data(), rows.data(), rows.size() * 8);
        out.append(py::make_tuple(PreparedTable{std::move(parts[p++])}, idx));
    }
    return out;
}

py::object bucketsOf(py::handle obj, int n) {
    if (n <= 0) throw py::value_error("n must be a positive integer");
    Value v = fromPython(obj);
    if (v.form != ddb::Form::Scalar && v.form != ddb::Form::Vector)
        throw ddb::ConversionError("Key must be integer, date/time, or string.");
    py::array_t<int32_t> out(static_cast<py::ssize_t>(v.column.length));
    hashBuckets(v.column, 0, v.column.length, static_cast<uint32_t>(n), out.mutable_data());
    if (v.form == ddb::Form::Scalar) return py::int_(out.at(0));
    return out;
}

// ---- TableWriterCore ----

class TableWriterCore {
public:
    TableWriterCore(ddb::ConnectOptions connect, ddb::ResilienceOptions resilience, py::object onEvent,
                    const std::string& insertScript, const std::vector<std::string>& names, const std::vector<int>& types,
                    const std::vector<int>& scales, const std::vector<int>& compress, int threadCount, int batchSize,
                    int throttleMs, int routeColumn, py::object domain, py::object log, py::object errorInfoClass) {
        if (!PyDateTimeAPI) PyDateTime_IMPORT;
        TableWriterOptions o;
        o.connect = std::move(connect);
        if (!compress.empty()) o.connect.sessionFlag |= ddb::flags::kCompress;
        o.resilience = std::move(resilience);
        o.onEvent = eventSink(std::move(onEvent));
        o.insertScript = insertScript;
        o.names = names;
        Target t = targetOf(names, types, scales);
        o.types = t.types;
        o.scales = t.scales;
        for (int m : compress) o.compress.push_back(static_cast<ddb::CompressMethod>(m));
        o.threadCount = threadCount;
        o.batchSize = batchSize;
        o.throttleMs = throttleMs;
        o.routeColumn = routeColumn;
        if (!domain.is_none()) o.domain = domain.cast<PyDomain&>().domain;
        if (!log.is_none()) {
            auto cb = gilSafe(std::move(log));
            o.log = [cb](const std::string& line) {
                NativeThreadGil gil;
                if (!gil.held()) return;   // the interpreter is finalizing
                try {
                    (*cb)(line);
                } catch (py::error_already_set& e) {
                    e.discard_as_unraisable("dolphindb writer log");
                }
            };
        }
        errorInfo_ = std::move(errorInfoClass);
        ok_ = errorInfo_("", py::none());
        if (routeColumn >= 0)
            scratch_ = std::make_unique<ColumnBuilder>(o.types.at(static_cast<size_t>(routeColumn)),
                                                       o.scales[static_cast<size_t>(routeColumn)]);
        // Connecting answers Ctrl-C (and the connections' own timeouts) like any wait.
        waitWithoutGil(WaitOptions{}, [&] { writer_ = std::make_unique<TableWriter>(std::move(o)); });
    }

    ~TableWriterCore() {
        if (writer_) {
            ReleasedGil nogil;
            writer_.reset();
        }
    }

    py::object insert(py::args args) {
        size_t n = args.size();
        if (static_cast<int>(n) != writer_->columnCount())
            return errorInfo_("A2", "Column counts don't match " + std::to_string(writer_->columnCount()));
        if (writer_->exiting()) throw ExitingError();
        try {
            int thread = 0;
            if (writer_->routed()) {
                int rc = writer_->options().routeColumn;
                scratch_->truncate(0);
                appendCell(*scratch_, PyTuple_GET_ITEM(args.ptr(), rc));
                thread = writer_->threadFor(scratch_->view(), 0);
                if (thread < 0)
                    return errorInfo_("A1", "The value of the partitioning column is NULL or in no partition of the table.");
            }
            PyObject* const* items = &PyTuple_GET_ITEM(args.ptr(), 0);
            writer_->appendRow(thread, [items](std::vector<ColumnBuilder>& cols) {
                for (size_t c = 0; c < cols.size(); ++c) appendCell(cols[c], items[c]);
            });
        } catch (const ddb::ConversionError& e) {
            return errorInfo_("A1", std::string("Data conversion error: ") + e.what());
        } catch (const TableWriter::ExitingError&) {
            throw ExitingError();
        }
        return ok_;
    }

    // Whole columns: a DataFrame converted once (columns by position), routed without the GIL.
    py::object insertFrame(py::handle frame) {
        const auto& o = writer_->options();
        Target target = targetOf(o.names, std::vector<int>(o.types.begin(), o.types.end()), o.scales);
        Value v;
        if (const Value* prepared = preparedValueOf(frame)) {
            v = *prepared;
        } else {
            py::list names = frame.attr("columns").attr("tolist")();
            if (names.size() != target.names.size())
                return errorInfo_("A2", "Column counts don't match " + std::to_string(target.names.size()));
            // By position, whatever the frame's names: rename a copy so the forced types line up.
            py::object renamed = frame.attr("set_axis")(py::cast(target.names), py::arg("axis") = 1);
            try {
                v = fitTable(renamed, target, "Column counts don't match " + std::to_string(target.names.size()), true);
            } catch (const ddb::ConversionError& e) {
                return errorInfo_("A1", std::string("Data conversion error: ") + e.what());
            }
        }
        try {
            ReleasedGil nogil;
            writer_->appendColumns(v.columns);
        } catch (const TableWriter::ExitingError&) {
            throw ExitingError();
        } catch (const TableWriter::NoPartitionError& e) {
            return errorInfo_("A1", e.what());
        }
        return ok_;
    }

    py::tuple status() {
        TableWriterStatus s;
        {
            ReleasedGil nogil;
            s = writer_->status();
        }
        py::list threads;
        for (const auto& t : s.threads) threads.append(py::make_tuple(t.threadId, t.sentRows, t.unsentRows, t.sendFailedRows));
        return py::make_tuple(s.isExiting, s.errorCode, s.errorInfo, threads);
    }

    py::list unwritten() {
        std::vector<Value> tables;
        {
            ReleasedGil nogil;
            tables = writer_->unwritten();
        }
        py::list out;
        for (auto& t : tables) out.append(toPython(t));
        return out;
    }

    // Flushes and stops the writer. Ctrl-C, or `timeoutMs` (< 0: none) running out, stops it at
    // once instead (abort: errorCode A6), waits up to a grace period for its threads, and raises
    // KeyboardInterrupt / DDBTimeoutError; the rows that did not land stay in unwritten().
    void wait(int timeoutMs) {
        WaitOptions w;
        w.deadlineMs = timeoutMs;
        w.stop = [this] {
            writer_->abort("A6", "The writer was stopped before it finished (Ctrl-C or the timeout of waitForThreadCompletion).");
            return true;
        };
        try {
            waitWithoutGil(w, [&] { writer_->waitForCompletion(); });
        } catch (const ddb::TimeoutError&) {
            throw ddb::TimeoutError("waitForThreadCompletion timed out after " + std::to_string(timeoutMs) +
                                    " ms: the writer was stopped; getUnwrittenData() returns the rows it did not write");
        }
    }

    struct ExitingError {};

private:
    std::unique_ptr<TableWriter> writer_;
    std::unique_ptr<ColumnBuilder> scratch_;
    py::object errorInfo_;
    py::object ok_;
};

}   // namespace

const ddb::Value* preparedValueOf(py::handle obj) {
    static PyTypeObject* type = nullptr;
    if (!type) {
        py::handle t = py::type::of<PreparedTable>();
        type = reinterpret_cast<PyTypeObject*>(t.ptr());
    }
    if (Py_TYPE(obj.ptr()) != type) return nullptr;
    return &obj.cast<PreparedTable&>().value;
}

void registerWriters(py::module_& m) {
    py::class_<PreparedTable>(m, "PreparedTable")
        .def_property_readonly("rows", &PreparedTable::rows)
        .def_property_readonly("names", [](const PreparedTable& t) { return t.value.columnNames; })
        .def_property_readonly("types",
                               [](const PreparedTable& t) {
                                   std::vector<std::string> out;
                                   for (const auto& c : t.value.columns) out.push_back(ddb::typeName(c.rawType));
                                   return out;
                               })
        .def("to_pandas", [](const PreparedTable& t) { return toPython(t.value); });
    m.def(
        "fit_table",
        [](py::handle data, const std::vector<std::string>& names, const std::vector<int>& types, const std::vector<int>& scales,
           const std::string& countError,
           bool fit) { return PreparedTable{fitTable(data, targetOf(names, types, scales), countError, fit)}; },
        py::arg("data"), py::arg("names"), py::arg("types"), py::arg("scales"), py::arg("count_error"), py::arg("fit"));
    py::class_<PyDomain>(m, "PartitionDomain")
        .def(py::init([](int partitionType, int schemeType, py::handle scheme) {
                 return PyDomain{domainFromPython(partitionType, schemeType, scheme)};
             }),
             py::arg("partition_type"), py::arg("scheme_type"), py::arg("scheme"))
        .def("keys", [](const PyDomain& d, py::handle column) {
            Value v = fromPython(column);
            std::vector<int32_t> k;
            {
                ReleasedGil nogil;
                k = d.domain->keys(v.column);
            }
            return py::array_t<int32_t>(static_cast<py::ssize_t>(k.size()), k.data());
        });
    m.def("partition_groups", &partitionGroups, py::arg("table"), py::arg("column"), py::arg("domain"), py::arg("n"));
    m.def("hash_bucket", &bucketsOf, py::arg("obj"), py::arg("n"));

    static py::exception<TableWriterCore::ExitingError> exiting(m, "WriterExitingError", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const TableWriterCore::ExitingError&) {
            PyErr_SetString(exiting.ptr(), "<Exception> in insert: thread is exiting.");
        }
    });
    py::class_<TableWriterCore>(m, "TableWriterCore")
        .def(py::init<ddb::ConnectOptions, ddb::ResilienceOptions, py::object, const std::string&,
                      const std::vector<std::string>&, const std::vector<int>&, const std::vector<int>&, const std::vector<int>&,
                      int, int, int, int, py::object, py::object, py::object>(),
             py::arg("connect"), py::arg("resilience"), py::arg("on_event"), py::arg("insert_script"), py::arg("names"),
             py::arg("types"), py::arg("scales"), py::arg("compress"), py::arg("thread_count"), py::arg("batch_size"),
             py::arg("throttle_ms"), py::arg("route_column"), py::arg("domain"), py::arg("log"), py::arg("error_info"))
        .def("insert", &TableWriterCore::insert)
        .def("insert_frame", &TableWriterCore::insertFrame)
        .def("status", &TableWriterCore::status)
        .def("unwritten", &TableWriterCore::unwritten)
        .def("wait", &TableWriterCore::wait, py::arg("timeout_ms") = -1);
}

}   // namespace ddbpy
