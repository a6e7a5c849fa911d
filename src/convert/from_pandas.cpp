// pandas -> ddb::Value: Series/Index as vectors, DataFrame as a table (index dropped, object
// columns scanned, nullable extension dtypes, list cells as array vectors, forced types).
#include <cmath>
#include <limits>

#include "convert/build.h"
#include "convert/upload.h"

namespace ddbpy::up {

Column tableObjectColumn(const std::vector<PyObject*>& items);   // from_python.cpp

namespace {

py::object objectsWithNone(py::handle series) {
    return series.attr("to_numpy")(py::arg("dtype") = "O", py::arg("na_value") = py::none());
}

[[noreturn]] void unsupportedExtension(const std::string& name) {
    throw ddb::ConversionError("Cannot convert from pandas extension dtype " + name + ".");
}

// A pandas extension array (nullable ints, boolean, string, Float, ArrowDtype) -> column.
Column extensionColumn(py::handle series, const std::string& name, bool tableColumn) {
    py::module_& np = pyc::numpy();
    auto ints = [&](const char* dtype, Type t) -> Column {
        py::object info = np.attr("iinfo")(dtype);
        py::array a = series.attr("to_numpy")(py::arg("dtype") = dtype, py::arg("na_value") = info.attr("min"));
        Column c = columnFromArray(a);
        c.rawType = static_cast<uint8_t>(t);
        return c;
    };
    auto floats = [&](const char* dtype) -> Column {
        py::array a = series.attr("to_numpy")(py::arg("dtype") = dtype, py::arg("na_value") = np.attr("nan"));
        return columnFromArray(a);
    };
    auto objects = [&](Type t) -> Column {
        py::array a = objectsWithNone(series);
        a = np.attr("ascontiguousarray")(a);
        PyObject* const* p = static_cast<PyObject* const*>(a.data());
        std::vector<PyObject*> items(p, p + a.size());
        return columnOf(items, t, 0);
    };
    if (name == "Int8" || name == "int8[pyarrow]") return ints("int8", Type::Char);
    if (name == "Int16" || name == "int16[pyarrow]") return ints("int16", Type::Short);
    if (name == "Int32" || name == "int32[pyarrow]") return ints("int32", Type::Int);
    if (name == "Int64" || name == "int64[pyarrow]") return ints("int64", Type::Long);
    if (name == "Float32" || name == "float[pyarrow]") return floats("float32");
    if (name == "Float64" || name == "double[pyarrow]") return floats("float64");
    if (name == "boolean" || name == "bool[pyarrow]") return objects(Type::Bool);
    if (name == "string" || name == "str" || name == "string[pyarrow]" || name == "large_string[pyarrow]" ||
        name == "string[python]") {
        // pyarrow-backed strings (pandas 3's default str): read the Arrow buffers directly
        // instead of materializing one Python str per cell.
        py::object dtype = series.attr("dtype");
        if (py::hasattr(dtype, "storage") && py::str(dtype.attr("storage")).cast<std::string>() == "pyarrow")
            return columnFromArrow(series.attr("array").attr("__arrow_array__")(), py::str(series.attr("name")));
        return objects(Type::String);
    }
    if (name.rfind("timestamp[", 0) == 0 && name.find("[pyarrow]") != std::string::npos && name.find(',') == std::string::npos) {
        std::string unit = name.substr(10, name.find(']') - 10);
        py::array a = series.attr("to_numpy")(py::arg("dtype") = "datetime64[" + unit + "]");
        return columnFromArray(a);
    }
    (void)tableColumn;
    // Any other pyarrow-backed column (pd.ArrowDtype: date32, time32/64, large_binary, lists
    // ...): its Arrow buffers, typed as the same column of a pyarrow.Table upload.
    py::object dtype = series.attr("dtype");
    if (py::hasattr(dtype, "pyarrow_dtype")) {
        std::string arrowType = py::str(dtype.attr("pyarrow_dtype")).cast<std::string>();
        try {
            return columnFromArrow(series.attr("array").attr("__arrow_array__")(), py::str(series.attr("name")));
        } catch (const ddb::ConversionError&) {
            throw ddb::ConversionError("Cannot convert from pandas pyarrow dtype " + arrowType + ".");
        }
    }
    unsupportedExtension(name);
}

}   // namespace

bool isPandasObject(py::handle o, const char* cls) {
    // Without pandas imported nothing can be a pandas object; do not import it for that.
    static PyObject* modules = PyImport_GetModuleDict();
    if (!PyDict_GetItemString(modules, "pandas")) return false;
    return PyObject_IsInstance(o.ptr(), pyc::pandas().attr(cls).ptr()) == 1;
}

namespace {
Column seriesColumn(py::handle series, const TypeSpec& spec, bool tableColumn);
}

Column columnFromSeries(py::handle series, const TypeSpec& spec, bool tableColumn) {
    if (!spec.forced() || !tableColumn) return seriesColumn(series, spec, tableColumn);
    try {
        return seriesColumn(series, spec, tableColumn);
    } catch (const BadCell&) {
        throw;   // names its row; tableFromFrame adds the column
    } catch (const FinalText&) {
        throw;   // e.g. a Decimal that does not fit its type
    } catch (const ddb::ConversionError&) {
        // The official text for a forced column type the values cannot take.
        std::string dtype = py::str(series.attr("dtype")).cast<std::string>();
        Type t = static_cast<Type>(spec.type);
        bool temporal = ddb::isTemporal(t);
        throw ddb::ConversionError("Cannot convert pandas dtype " + dtype + " to " +
                                   ddb::typeName(static_cast<uint8_t>(spec.type)) + (temporal ? "" : "."));
    }
}

namespace {
Column seriesColumn(py::handle series, const TypeSpec& spec, bool tableColumn) {
    py::object dtype = series.attr("dtype");
    static auto* npDtype = new py::object(pyc::numpy().attr("dtype"));
    bool numpyDtype = PyObject_IsInstance(dtype.ptr(), npDtype->ptr()) == 1;
    if (!numpyDtype) {
        std::string name = py::str(dtype).cast<std::string>();
        if (name == "category") unsupportedExtension(name);
        if (spec.forced()) {
            // An extension column is refused as a whole, in the dtype's name: also when text is
            // asked of a boolean / Int64 / Float64 column (only string columns become text).
            std::string refused =
                "Cannot convert pandas dtype " + name + " to " + ddb::typeName(static_cast<uint8_t>(spec.type)) + ".";
            Type forcedType = static_cast<Type>(spec.type);
            bool textTarget = forcedType == Type::String || forcedType == Type::Symbol || forcedType == Type::Blob;
            if (textTarget && name.rfind("str", 0) != 0) throw FinalText(refused);
            // 16-byte Arrow values are UUID / INT128 values in their canonical (big-endian)
            // byte order, as the official client reads them; nulls are NULL.
            if (name == "fixed_size_binary[16][pyarrow]" && (forcedType == Type::Uuid || forcedType == Type::Int128)) {
                Column c = columnFromArrow(series.attr("array").attr("__arrow_array__")(), py::str(series.attr("name")));
                c.rawType = static_cast<uint8_t>(forcedType);
                return c;
            }
            py::array a = pyc::numpy().attr("ascontiguousarray")(objectsWithNone(series));
            PyObject* const* p = static_cast<PyObject* const*>(a.data());
            try {
                return forcedColumn(std::vector<PyObject*>(p, p + a.size()), spec, ForcedSource::Cells);
            } catch (const BadCell&) {
                throw FinalText(refused);
            }
        }
        return extensionColumn(series, name, tableColumn);
    }
    py::array arr = series.attr("to_numpy")();
    if (spec.forced()) return columnFromArrayForced(arr, spec);
    if (tableColumn && arr.dtype().kind() == 'O') {
        arr = pyc::numpy().attr("ascontiguousarray")(arr);
        PyObject* const* p = static_cast<PyObject* const*>(arr.data());
        return tableObjectColumn(std::vector<PyObject*>(p, p + arr.size()));
    }
    return columnFromArray(arr);
}
}   // namespace

Value tableFromFrame(py::handle df, const FromPythonOptions& options) {
    py::object columns = df.attr("columns");
    size_t ncols = py::len(columns);
    if (ncols == 0) throw ddb::ConversionError("A table has at least one column.");
    std::map<std::string, TypeSpec> forced;
    if (py::hasattr(df, "__DolphinDB_Type__")) {
        py::object declared = df.attr("__DolphinDB_Type__");
        if (PyDict_Check(declared.ptr()))
            for (auto item : py::reinterpret_borrow<py::dict>(declared))
                forced[py::str(item.first).cast<std::string>()] = parseTypeSpec(item.second);
    }
    for (const auto& [name, spec] : options.columnTypes) forced[name] = spec;
    Value v;
    v.form = ddb::Form::Table;
    py::object iloc = df.attr("iloc");
    // A subclass that overrides __getitem__ gives its columns through it, as the official client
    // reads them; what it gives must be a vector.
    py::object frameType = pyc::pandas().attr("DataFrame");
    bool ownGetitem = !py::type::of(df).attr("__getitem__").is(frameType.attr("__getitem__"));
    for (size_t i = 0; i < ncols; ++i) {
        py::object name = columns[py::int_(i)];
        if (!PyUnicode_Check(name.ptr())) throw ddb::ConversionError("DataFrame column names must be strings.");
        std::string key = name.cast<std::string>();
        py::object series;
        if (ownGetitem) {
            py::object column = df[name];
            if (!isPandasObject(column, "Series") && !isNdarray(column) && !PyList_Check(column.ptr()) &&
                !PyTuple_Check(column.ptr()))
                throw ddb::ConversionError("Table columns must be vectors (numpy.ndarray, pandas.Series, tuple, or list).");
            series = isPandasObject(column, "Series") ? column : pyc::pandas().attr("Series")(column);
        } else {
            series = iloc[py::make_tuple(py::slice(py::none(), py::none(), py::none()), py::int_(i))];
        }
        auto it = forced.find(key);
        try {
            v.columns.push_back(columnFromSeries(series, it == forced.end() ? TypeSpec{} : it->second, true));
        } catch (const BadCell& e) {
            throw ddb::ConversionError(e.inColumn(key));
        }
        v.columnNames.push_back(std::move(key));
    }
    v.rows = static_cast<int32_t>(v.columns[0].length);
    v.cols = static_cast<int32_t>(ncols);
    return v;
}

}   // namespace ddbpy::up
