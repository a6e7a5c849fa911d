// Stage 2 of a download conversion (see convert.h): GIL held, builds the Python objects from
// the prepared tree. Numeric buffers become numpy arrays without a copy: a capsule owns a
// shared_ptr<ddb::Buffer>, so the array keeps the decoder's memory alive.
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <pybind11/gil_safe_call_once.h>

#include "convert/convert.h"
#include "convert/payloads.h"
#include "convert/prepared.h"
#include "convert/py_common.h"
#include "convert/text.h"
#include "errors.h"

namespace ddbpy {

using ddb::Column;
using ddb::Type;
using detail::Kind;
using detail::Node;
using detail::ObjectKind;

namespace pyc {
py::dtype dtype(const char* name) {
    static auto* cache = new std::unordered_map<std::string, py::dtype>();
    auto it = cache->find(name);
    if (it != cache->end()) return it->second;
    py::dtype d(name);
    cache->emplace(name, d);
    return d;
}
}   // namespace pyc

PreparedResult::PreparedResult() = default;
PreparedResult::PreparedResult(std::unique_ptr<detail::Node> root) : root_(std::move(root)) {}
PreparedResult::PreparedResult(PreparedResult&&) noexcept = default;
PreparedResult& PreparedResult::operator=(PreparedResult&&) noexcept = default;
PreparedResult::~PreparedResult() = default;

PreparedResult prepare(ddb::Value&& value, const ToPythonOptions& options) {
    return PreparedResult(std::make_unique<Node>(detail::prepareRoot(std::move(value), options.tableToList)));
}

namespace {

py::object steal(PyObject* p) {
    if (!p) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(p);
}

py::object str(std::string_view s) { return steal(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace")); }

// A str of bytes known to be ASCII: the object filled directly, without the UTF-8 decoder's
// per-call setup (most of the cost of the short strings of a text column).
PyObject* asciiStr(std::string_view s) {
    PyObject* o = PyUnicode_New(static_cast<Py_ssize_t>(s.size()), 127);
    if (!o) throw py::error_already_set();
    std::memcpy(PyUnicode_1BYTE_DATA(o), s.data(), s.size());
    return o;
}
py::object bytes(std::string_view s) { return steal(PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()))); }

template <class T>
T at(const Column& c, int64_t i) {
    T v;
    std::memcpy(&v, c.data->data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
    return v;
}

void checkFixed(const Column& c, int64_t i) {
    int w = ddb::fixedWidth(c.type());
    if (!c.data || c.data->size() < static_cast<size_t>(i + 1) * w)
        throw ddb::ConversionError("malformed " + ddb::typeName(c.rawType) + " value: data too short");
}

// Element i of a column as a Python scalar, the official way: nulls (and '' / b'') -> None.
py::object scalarAt(const Column& c, int64_t i) {
    Type t = c.type();
    if (c.isArrayVector()) throw ddb::ConversionError("Cannot convert an array vector element to a scalar");
    if (t == Type::Void) return py::none();
    if (ddb::isStringLike(t)) {
        std::string_view s = c.stringAt(i);
        if (s.empty()) return py::none();
        return t == Type::Blob ? bytes(s) : str(s);
    }
    checkFixed(c, i);
    const ddb::TypeInfo& info = ddb::typeInfo(t);
    switch (info.category) {
        case ddb::TypeCategory::Floating: {
            if (info.width == 4) {
                float v = at<float>(c, i);
                if (v == ddb::kNullFloat) return py::none();   // NaN is a value, as in the official client
                return py::float_(static_cast<double>(v));
            }
            double v = at<double>(c, i);
            if (v == ddb::kNullDouble) return py::none();
            return py::float_(v);
        }
        case ddb::TypeCategory::Binary: {
            const uint8_t* p = c.data->data() + 16 * i;
            if (text::allZero(p)) return py::none();
            return str(text::wide(t, p));
        }
        case ddb::TypeCategory::Logical:
        case ddb::TypeCategory::Integral:
        case ddb::TypeCategory::Temporal:
        case ddb::TypeCategory::Denary: {
            bool null;
            __int128 v = text::signedAt(c.data->data(), info.width, i, &null);
            if (null) return py::none();
            if (info.category == ddb::TypeCategory::Logical) return py::bool_(v != 0);
            if (info.category == ddb::TypeCategory::Integral) return py::int_(static_cast<int64_t>(v));
            if (info.category == ddb::TypeCategory::Denary) return pyc::decimalType()(str(text::decimal(v, c.scale)));
            int64_t count = static_cast<int64_t>(v) - (info.temporal == ddb::TemporalKind::Month ? 1970 * 12 : 0);
            static auto* datetime64 = new py::object(pyc::numpy().attr("datetime64"));
            return (*datetime64)(count, info.numpyUnit);
        }
        default: break;
    }
    throw ddb::ConversionError("Cannot convert a scalar of type " + ddb::typeName(c.rawType) + " to Python");
}

// Dictionary keys the official way: a NULL integral key is the LONG null sentinel (INT64_MIN,
// whatever the key width) and a NULL string key is '', so every key stays an int or a str.
py::object dictKeyAt(const Column& c, int64_t i) {
    Type t = c.type();
    if (ddb::isStringLike(t) && t != Type::Blob) return str(c.stringAt(i));
    py::object key = scalarAt(c, i);
    if (ddb::typeInfo(t).category == ddb::TypeCategory::Integral && key.is_none()) return py::int_(ddb::kNullLong);
    return key;
}

// numpy array of n elements over a Buffer, kept alive by a capsule; 2-D when node.rows >= 0.
py::array numericArray(Node& node) {
    py::dtype dt = pyc::dtype(node.dtype);
    auto* keep = new std::shared_ptr<ddb::Buffer>(std::move(node.buffer));
    py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<ddb::Buffer>*>(p); });
    void* data = (*keep)->data() + node.offset;
    ssize_t w = dt.itemsize();
    if (node.rows >= 0) {
        std::vector<ssize_t> shape{node.rows, node.cols};
        std::vector<ssize_t> strides =
            node.rowMajor ? std::vector<ssize_t>{w * node.cols, w} : std::vector<ssize_t>{w, w * node.rows};
        return py::array(dt, shape, strides, data, owner);
    }
    return py::array(dt, std::vector<ssize_t>{node.length}, std::vector<ssize_t>{w}, data, owner);
}

py::array newObjectArray(int64_t n) {
    py::array out(pyc::dtype("O"), std::vector<ssize_t>{n});
    // numpy zero-fills object arrays (NULL slots); fill() below overwrites every slot.
    return out;
}

inline void put(PyObject** slots, int64_t i, PyObject* o) {
    PyObject* old = slots[i];
    slots[i] = o;
    Py_XDECREF(old);
}

// Object ndarray of a column (strings, bytes, decimals, BOOL with nulls, scalars).
py::array objectArray(const Node& node) {
    const Column& c = node.column;
    int64_t n = c.length;
    py::array out = newObjectArray(n);
    PyObject** slots = static_cast<PyObject**>(out.mutable_data());
    switch (node.objects) {
        case ObjectKind::Str:
        case ObjectKind::StrOrNone: {
            bool noneForEmpty = node.objects == ObjectKind::StrOrNone;
            if (c.symbols) {   // one str per symbol-base entry, shared by every row
                const Column& base = c.symbols->strings;
                std::vector<py::object> strs(static_cast<size_t>(base.length));
                for (int64_t k = 0; k < base.length; ++k) {
                    auto s = base.stringAt(k);
                    strs[k] = s.empty() && noneForEmpty ? py::object(py::none()) : str(s);
                }
                const int32_t* idx = c.data->as<int32_t>();
                for (int64_t i = 0; i < n; ++i) {
                    if (idx[i] < 0 || idx[i] >= base.length)
                        throw ddb::ConversionError("malformed SYMBOL column: index out of its base");
                    put(slots, i, py::object(strs[idx[i]]).release().ptr());
                }
                break;
            }
            py::object empty = noneForEmpty ? py::object(py::none()) : str("");
            bool ascii = false;
            if (n > 0 && c.data) {
                const int64_t* o = c.offsets->as<int64_t>();
                ascii = text::isAscii(c.data->data() + o[0], static_cast<size_t>(o[n] - o[0]));
            }
            for (int64_t i = 0; i < n; ++i) {
                auto s = c.stringAt(i);
                put(slots, i, s.empty() ? py::object(empty).release().ptr() : ascii ? asciiStr(s) : str(s).release().ptr());
            }
            break;
        }
        case ObjectKind::Bytes:
        case ObjectKind::BytesOrNone: {
            py::object empty = node.objects == ObjectKind::BytesOrNone ? py::object(py::none()) : bytes("");
            for (int64_t i = 0; i < n; ++i) {
                auto s = c.stringAt(i);
                put(slots, i, s.empty() ? py::object(empty).release().ptr() : bytes(s).release().ptr());
            }
            break;
        }
        case ObjectKind::Decimal: {
            py::object& cls = pyc::decimalType();
            for (int64_t i = 0; i < n; ++i) {
                auto s = c.stringAt(i);
                put(slots, i, s.empty() ? py::none().release().ptr() : cls(str(s)).release().ptr());
            }
            break;
        }
        case ObjectKind::Bool: {
            const int8_t* p = c.data->as<int8_t>();
            for (int64_t i = 0; i < n; ++i) {
                PyObject* o = p[i] == ddb::kNullChar ? Py_None : p[i] ? Py_True : Py_False;
                Py_INCREF(o);
                put(slots, i, o);
            }
            break;
        }
        case ObjectKind::Scalars:
            for (int64_t i = 0; i < n; ++i) put(slots, i, scalarAt(c, i).release().ptr());
            break;
    }
    if (node.rows >= 0) {
        py::tuple shape = py::make_tuple(node.rows, node.cols);
        return out.attr("reshape")(shape, py::arg("order") = node.rowMajor ? "C" : "F");
    }
    return out;
}

py::object build(Node& node);

py::list listOf(std::vector<Node>& children) {
    py::list out(children.size());
    for (size_t i = 0; i < children.size(); ++i) out[i] = build(children[i]);
    return out;
}

// pandas >= 3 turns a frame's object column of str into an Arrow-backed string array (its
// `str` dtype): it reads every str back and copies it into an Arrow large_string array. A text
// column's offsets + bytes already are that array's buffers, so such a column is handed to
// pandas as that array directly and no str object is ever made. Whether (and into which array
// class and dtype) pandas converts is probed once, on a one-row frame built the ordinary way.
class ArrowTextColumns {
public:
    // nullptr when pandas keeps object columns (pandas 2, no pyarrow, string storage "python").
    // gil_safe_call_once: the probe imports modules, which may let another thread take the
    // GIL; a plain function-local static would then block that thread holding the GIL.
    static const ArrowTextColumns* get() {
        PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<const ArrowTextColumns*> storage;
        return storage.call_once_and_store_result([] { return probe(); }).get_stored();
    }

    // The pandas array of a non-empty text column, or a null object when its bytes are not
    // valid UTF-8 (the object path then decodes them with replacement characters).
    py::object array(const Column& c) const {
        std::shared_ptr<ddb::Buffer> offsets, bytes;
        auto take = [&] { return c.symbols ? materializeSymbols(c, offsets, bytes) : borrowText(c, offsets, bytes); };
        bool valid;
        if (c.length >= kReleaseGilRows) {
            ReleasedGil nogil;
            valid = take();
        } else {   // handing the GIL to another thread and back costs more than a short column
            valid = take();
        }
        if (!valid) return {};
        py::list buffers;
        buffers.append(py::none());
        buffers.append(foreign(offsets));
        buffers.append(foreign(bytes));
        py::object values = fromBuffers_(largeString_, c.length, buffers, py::arg("null_count") = 0);
        py::list chunks;
        chunks.append(values);
        return arrayClass_(chunkedArray_(chunks), py::arg("dtype") = dtype_);
    }

private:
    static constexpr int64_t kReleaseGilRows = 65536;

    static const ArrowTextColumns* probe() {
        try {
            py::array sample = newObjectArray(1);
            static_cast<PyObject**>(sample.mutable_data())[0] = str("a").release().ptr();
            py::dict data;
            data["a"] = sample;
            py::object column = pyc::pandas().attr("DataFrame")(data)["a"].attr("array");
            if (py::str(py::type::of(column).attr("__name__")).cast<std::string>() != "ArrowStringArray") return nullptr;
            py::module_ pa = py::module_::import("pyarrow");
            py::object largeString = pa.attr("large_string")();
            py::object columnType = column.attr("_pa_array").attr("type");
            if (!columnType.equal(largeString)) return nullptr;
            auto* a = new ArrowTextColumns();
            a->arrayClass_ = py::type::of(column);
            a->dtype_ = column.attr("dtype");
            a->largeString_ = largeString;
            a->fromBuffers_ = pa.attr("Array").attr("from_buffers");
            a->chunkedArray_ = pa.attr("chunked_array");
            a->foreignBuffer_ = pa.attr("foreign_buffer");
            return a;
        } catch (py::error_already_set& e) {
            if (!e.matches(PyExc_Exception)) throw;   // Ctrl-C during the import: not "unsupported"
            return nullptr;
        }
    }

    // STRING columns: the decoder's int64 offsets and bytes, as they are.
    static bool borrowText(const Column& c, std::shared_ptr<ddb::Buffer>& offsets, std::shared_ptr<ddb::Buffer>& bytes) {
        offsets = c.offsets;
        bytes = c.data;
        const int64_t* o = offsets->as<int64_t>();
        return !bytes || text::validUtf8(bytes->data() + o[0], static_cast<size_t>(o[c.length] - o[0]));
    }

    // SYMBOL columns: each row's entry of the base, copied into one byte buffer. The entries sit
    // in a copy of the base padded with kCopyWidth bytes, and the output has kCopyWidth bytes of
    // slack, so a short entry (the usual symbol) is one fixed-width copy rather than a libc call.
    static bool materializeSymbols(const Column& c, std::shared_ptr<ddb::Buffer>& offsets, std::shared_ptr<ddb::Buffer>& bytes) {
        constexpr size_t kCopyWidth = 16;
        const Column& base = c.symbols->strings;
        std::string padded;
        std::vector<int64_t> starts(static_cast<size_t>(base.length) + 1);
        for (int64_t k = 0; k < base.length; ++k) {
            std::string_view e = base.stringAt(k);
            if (!text::validUtf8(reinterpret_cast<const uint8_t*>(e.data()), e.size())) return false;
            starts[k] = static_cast<int64_t>(padded.size());
            padded.append(e);
        }
        starts[base.length] = static_cast<int64_t>(padded.size());
        padded.append(kCopyWidth, '\0');
        const int32_t* idx = c.data->as<int32_t>();
        offsets = ddb::Buffer::allocate(static_cast<size_t>(c.length + 1) * 8);
        int64_t* o = offsets->as<int64_t>();
        int64_t total = 0;
        o[0] = 0;
        for (int64_t i = 0; i < c.length; ++i) {
            if (idx[i] < 0 || idx[i] >= base.length) throw ddb::ConversionError("malformed SYMBOL column: index out of its base");
            total += starts[idx[i] + 1] - starts[idx[i]];
            o[i + 1] = total;
        }
        bytes = ddb::Buffer::allocate(static_cast<size_t>(total) + kCopyWidth);
        uint8_t* out = bytes->data();
        const char* from = padded.data();
        for (int64_t i = 0; i < c.length; ++i) {
            const char* e = from + starts[idx[i]];
            size_t n = static_cast<size_t>(o[i + 1] - o[i]);
            if (n <= kCopyWidth) std::memcpy(out + o[i], e, kCopyWidth);   // inlined: a constant size
            else std::memcpy(out + o[i], e, n);
        }
        bytes->resize(static_cast<size_t>(total));
        return true;
    }

    py::object foreign(const std::shared_ptr<ddb::Buffer>& buffer) const {
        auto* keep = new std::shared_ptr<ddb::Buffer>(buffer ? buffer : ddb::Buffer::allocate(0));
        py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<ddb::Buffer>*>(p); });
        return foreignBuffer_(reinterpret_cast<uintptr_t>((*keep)->data()), (*keep)->size(), owner);
    }

    py::object arrayClass_, dtype_, largeString_, fromBuffers_, chunkedArray_, foreignBuffer_;
};

}   // namespace

py::object pandasTextArray(const Column& column) {
    if (column.length <= 0) return {};
    if (const ArrowTextColumns* arrow = ArrowTextColumns::get()) return arrow->array(column);
    return {};
}

namespace {

py::object tableColumn(Node& node) {
    if (node.kind == Kind::Objects && node.objects == ObjectKind::Str && node.rows < 0 && node.column.length > 0)
        if (const ArrowTextColumns* arrow = ArrowTextColumns::get())
            if (py::object array = arrow->array(node.column)) return array;
    return build(node);
}

py::object dataFrame(Node& node) {
    if (node.children.empty()) return pyc::pandas().attr("DataFrame")();
    py::tuple names(node.children.size());
    std::vector<py::object> columns(node.children.size());
    for (size_t i = 0; i < node.children.size(); ++i) {
        names[i] = str(node.names[i]);
        columns[i] = tableColumn(node.children[i]);
    }
    return dataFrameOf(names, columns);
}

py::object build(Node& node) {
    switch (node.kind) {
        case Kind::None: return py::none();
        case Kind::Scalar: return scalarAt(node.column, 0);
        case Kind::Numeric: return numericArray(node);
        case Kind::Objects: return objectArray(node);
        case Kind::List: return listOf(node.children);
        case Kind::ObjectArray: {
            py::array out = newObjectArray(static_cast<int64_t>(node.children.size()));
            PyObject** slots = static_cast<PyObject**>(out.mutable_data());
            for (size_t i = 0; i < node.children.size(); ++i)
                put(slots, static_cast<int64_t>(i), build(node.children[i]).release().ptr());
            return out;
        }
        case Kind::Pair: {
            py::list out(static_cast<size_t>(node.column.length));
            for (int64_t i = 0; i < node.column.length; ++i) out[i] = scalarAt(node.column, i);
            return out;
        }
        case Kind::Set: {
            py::set out;
            for (int64_t i = 0; i < node.column.length; ++i) out.add(scalarAt(node.column, i));
            return out;
        }
        case Kind::Dict: {
            py::list values = py::reinterpret_borrow<py::list>(build(node.children[0]));
            // As the official client's C++ dictionary: a key repeated on the wire keeps its first
            // place and its last value, and the keys come back last-placed first.
            py::dict latest;
            std::vector<py::object> placed;
            placed.reserve(static_cast<size_t>(node.column.length));
            for (int64_t i = 0; i < node.column.length; ++i) {
                py::object key = dictKeyAt(node.column, i);
                if (!latest.contains(key)) placed.push_back(key);
                latest[key] = values[i];
            }
            py::dict out;
            for (auto key = placed.rbegin(); key != placed.rend(); ++key) out[*key] = latest[*key];
            return out;
        }
        case Kind::Matrix: {
            py::list out(3);
            out[0] = build(node.children[0]);
            out[1] = node.present[0] ? build(node.children[1]) : py::object(py::none());
            out[2] = node.present[1] ? build(node.children[2]) : py::object(py::none());
            return out;
        }
        case Kind::Table: return dataFrame(node);
        case Kind::TableList: return listOf(node.children);
        case Kind::Pickled: return pickledObject(*node.pickled, node.form);
        case Kind::Arrow: return arrowTable(numericArray(node));
    }
    return py::none();
}

}   // namespace

py::object finish(PreparedResult& prepared) {
    if (!prepared.root()) return py::none();
    PreparedResult taken = std::move(prepared);
    return build(*taken.root());
}

py::object toPython(const ddb::Value& value, const ToPythonOptions& options) {
    ddb::Value copy = value;   // shares the buffers; prepare() never modifies a shared buffer
    PreparedResult p = prepare(std::move(copy), options);
    return finish(p);
}

}   // namespace ddbpy
