// `types=` specifications (io.dumps, __DolphinDB_Type__): DT codes, [DT, scale], type names.
#include <cctype>

#include "convert/upload.h"

namespace ddbpy {

namespace {
TypeSpec parseName(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    bool array = s.size() > 2 && s.compare(s.size() - 2, 2, "[]") == 0;
    if (array) s.resize(s.size() - 2);
    int scale = -1;
    auto open = s.find('(');
    if (open != std::string::npos && s.back() == ')') {
        scale = std::stoi(s.substr(open + 1, s.size() - open - 2));
        s.resize(open);
    }
    if (s == "BYTE") s = "CHAR";
    for (int t = 0; t < 64; ++t) {
        if (ddb::typeName(static_cast<uint8_t>(t)) == s) return TypeSpec{array ? t + ddb::kArrayTypeBase : t, scale};
    }
    throw ddb::ConversionError("Unknown DolphinDB type " + s + ".");
}
}   // namespace

TypeSpec parseTypeSpec(py::handle spec) {
    if (PyLong_Check(spec.ptr())) return TypeSpec{spec.cast<int>(), -1};
    if (PyUnicode_Check(spec.ptr())) return parseName(spec.cast<std::string>());
    if (PyList_Check(spec.ptr()) || PyTuple_Check(spec.ptr())) {
        py::sequence seq = py::reinterpret_borrow<py::sequence>(spec);
        if (py::len(seq) == 2 && PyLong_Check(seq[0].ptr()) && PyLong_Check(seq[1].ptr()))
            return TypeSpec{seq[0].cast<int>(), seq[1].cast<int>()};
        if (py::len(seq) == 1 && PyLong_Check(seq[0].ptr())) return TypeSpec{seq[0].cast<int>(), -1};
    }
    throw ddb::ConversionError("Invalid type specification " + py::repr(spec).cast<std::string>() + ".");
}

FromPythonOptions fromPythonOptions(py::handle types, py::handle obj) {
    FromPythonOptions o;
    if (types.is_none()) return o;
    if (PyDict_Check(obj.ptr())) {
        if (!PyList_Check(types.ptr()) || py::len(types) < 2)
            throw ddb::ConversionError("Conversion failed. Specify a valid type.");
        py::list pair = py::reinterpret_borrow<py::list>(types);
        if (!pair[0].is_none()) o.keyType = parseTypeSpec(pair[0]);
        if (!pair[1].is_none()) o.valueType = parseTypeSpec(pair[1]);
        return o;
    }
    if (PyDict_Check(types.ptr())) {
        for (auto item : py::reinterpret_borrow<py::dict>(types))
            o.columnTypes[py::str(item.first).cast<std::string>()] = parseTypeSpec(item.second);
        return o;
    }
    o.type = parseTypeSpec(types);
    return o;
}

}   // namespace ddbpy
