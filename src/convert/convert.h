// Conversion between ddb::Value and Python objects: the C++ API the Session / pool / io bindings
// call. Download (Value -> Python) follows OFFICIAL_API.md §4.2, upload (Python -> Value) §4.4.
//
// Download is split so that the expensive part runs without the GIL:
//
//     ddbpy::PreparedResult p;
//     { py::gil_scoped_release nogil; p = ddbpy::prepare(std::move(value), options); }  // no GIL
//     py::object result = ddbpy::finish(p);                                              // GIL held
//
// prepare() computes null masks, widens integer columns with nulls to float64, converts temporal
// units, renders UUID/IPADDR/INT128/DECIMAL texts, all into final buffers; it never touches a
// Python object. finish() wraps numeric buffers as numpy arrays without copying (a capsule owns
// the shared_ptr<ddb::Buffer>) and creates the Python objects (str, bytes, Decimal, DataFrame).
// Errors: both throw ddb::ConversionError (a Python ConversionError through the translator in
// src/errors.cpp); finish() may also raise py::error_already_set.
#pragma once

#include <pybind11/pybind11.h>

#include <map>
#include <memory>
#include <string>

#include "protocol/value.h"

namespace py = pybind11;

namespace ddbpy {

struct ToPythonOptions {
    // pickleTableToList: a table becomes a list of column ndarrays instead of a DataFrame
    // (temporal columns datetime64[ns]; array-vector columns 2-D ndarrays in the native dtype).
    bool tableToList = false;
};

namespace detail {
struct Node;
}

// The GIL-free half of a download conversion. Move-only; default-constructed = Python None.
class PreparedResult {
public:
    PreparedResult();
    explicit PreparedResult(std::unique_ptr<detail::Node> root);
    PreparedResult(PreparedResult&&) noexcept;
    PreparedResult& operator=(PreparedResult&&) noexcept;
    ~PreparedResult();
    detail::Node* root() const { return root_.get(); }

private:
    std::unique_ptr<detail::Node> root_;
};

// Stage 1, GIL NOT required (call it with the GIL released). Takes the Value so that buffers it
// owns alone can be fixed in place (FLOAT/DOUBLE null sentinels -> NaN) instead of copied.
// Throws ddb::ConversionError for objects the official client refuses (e.g. a UUID matrix).
PreparedResult prepare(ddb::Value&& value, const ToPythonOptions& options = {});

// Stage 2, GIL held: builds the Python object. Consumes `prepared` (leaves it empty).
py::object finish(PreparedResult& prepared);

// Both stages with the GIL held (small results, scalars, nested use). The Value's buffers are
// shared, never modified.
py::object toPython(const ddb::Value& value, const ToPythonOptions& options = {});

// A forced DolphinDB type: `type` is a DT code (settings.DT_*, incl. array types 64+T), -1 = not
// forced; `scale` is the DECIMAL scale (-1 = take it from the data).
struct TypeSpec {
    int type = -1;
    int scale = -1;
    bool forced() const { return type >= 0; }
};

struct FromPythonOptions {
    // Forced type of the top-level scalar / vector / set (io.dumps(obj, types=DT | [DT, scale])).
    TypeSpec type;
    // Forced types of DataFrame columns by name (io.dumps(df, types={col: DT | [DT, scale] |
    // "TYPE"})); merged with (and overriding) the frame's own `__DolphinDB_Type__`.
    std::map<std::string, TypeSpec> columnTypes;
    // Forced key and value types of a dict (io.dumps(d, types=[key, value]), either None).
    TypeSpec keyType, valueType;
};

// Parses one `types=` entry: an int DT code, [DT, scale] / (DT, scale), or a type name such as
// "INT", "DECIMAL64(2)", "INT[]". GIL held. Throws ddb::ConversionError.
TypeSpec parseTypeSpec(py::handle spec);
// Builds FromPythonOptions from io.dumps' `types` argument for `obj`: None, an entry, a dict of
// column entries for a DataFrame, or [key entry or None, value entry or None] for a dict.
FromPythonOptions fromPythonOptions(py::handle types, py::handle obj);

// Python object -> Value (OFFICIAL_API.md §4.4). GIL held. Throws ddb::ConversionError with the
// official texts ("Cannot convert from numpy dtype uint32.", "DataFrame column names must be
// strings.", "Empty Dictionary creation requires a specific type.", ...).
ddb::Value fromPython(py::handle obj, const FromPythonOptions& options = {});

}   // namespace ddbpy
