// The intermediate form between prepare() (no GIL) and finish() (GIL): a tree of nodes that
// say which Python object to build and hold the final buffers. No Python headers here, so the
// preparing code (prepare.cpp) cannot touch a Python object by construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/value.h"

namespace ddbpy::detail {

enum class Kind : uint8_t {
    None,   // Python None
    Scalar,   // element 0 of `column` as a Python scalar (nulls -> None)
    Numeric,   // ndarray over `buffer` (+offset), dtype `dtype`, `length` elements; 2-D when rows >= 0
    Objects,   // object ndarray, element i of `column` made by `objects` (2-D when rows >= 0)
    List,   // list of children
    ObjectArray,   // 1-D object ndarray of children (array vectors; ANY table columns)
    Pair,   // list of the scalars of `column`
    Set,   // set of the scalars of `column`
    Dict,   // keys = scalars of `column` (reversed, as the official client), values = children[0]
    Matrix,   // [children[0], children[1] or None, children[2] or None]
    Table,   // DataFrame of children named `names`
    TableList,   // list of children (pickleTableToList)
    Pickled,   // the object a PICKLE result's stream builds (pickle_objects.cpp); `form` as sent
    Arrow,   // pyarrow.Table read from the IPC stream in `buffer` (arrow.cpp)
};

// How an Objects node (or the values of Pair/Set/Dict) turns element i into a Python object.
enum class ObjectKind : uint8_t {
    Bool,   // int8 column: True / False / None for the null
    Str,   // text column: str ('' stays '')
    StrOrNone,   // text column: str, '' -> None (scalar context: pair, set, dict values)
    Bytes,   // BLOB column: bytes ('' stays b'')
    BytesOrNone,
    Decimal,   // text column of decimal texts; '' -> None
    Scalars,   // any column: the scalar conversion per element (pair/set/dict)
};

struct Node {
    Kind kind = Kind::None;

    // Numeric
    std::shared_ptr<ddb::Buffer> buffer;
    size_t offset = 0;
    int64_t length = 0;
    const char* dtype = "";   // numpy dtype name: "int32", "datetime64[ms]", "bool" ...
    int64_t rows = -1;   // 2-D: (rows, cols), column-major (Fortran order) in the buffer
    int64_t cols = -1;
    bool rowMajor = false;   // 2-D buffer in C order instead (pickleTableToList array vectors)

    // Scalar / Objects / Pair / Set / Dict keys: the source column (already rendered to text
    // for UUID/IPADDR/INT128/DECIMAL, so finish() only creates the objects).
    ddb::Column column;
    ObjectKind objects = ObjectKind::Scalars;

    std::vector<Node> children;
    std::vector<std::string> names;
    std::vector<bool> present;   // Matrix: which of children[1..2] (labels) exist

    // Pickled
    std::shared_ptr<const ddb::pickle::Tree> pickled;
    ddb::Form form = ddb::Form::Scalar;
};

// Stage 1 (prepare.cpp, no GIL): a Value becomes the tree finish() turns into Python objects.
Node prepareRoot(ddb::Value&& value, bool tableToList);

}   // namespace ddbpy::detail
