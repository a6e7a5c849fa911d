#include "writers/domain.h"

#include <algorithm>

#include "errors.h"
#include "writers/columns.h"
#include "writers/hash.h"

namespace ddb::writers {

namespace {

constexpr uint32_t kValueDomainBuckets = 1048576;

bool literal(Type t) { return categoryOf(t) == Category::Literal; }

// The values of one scheme element (a scalar or a vector) in the order they appear.
template <class Fn>
void eachSchemeValue(const Value& v, Fn&& fn) {
    if (v.form == Form::Vector && v.type() == Type::Any) {
        for (size_t i = 0; i < v.column.items.size(); ++i) fn(v.column.items[i].column, static_cast<int32_t>(i));
        return;
    }
    for (int64_t i = 0; i < v.column.length; ++i) {
        Column one = take(v.column, &i, 1);
        fn(one, static_cast<int32_t>(i));
    }
}

}   // namespace

Domain::Domain(int partitionType, Type schemeType, const Value& scheme)
    : type_(static_cast<PartitionType>(partitionType)), schemeType_(schemeType) {
    static const char* names[] = {"SEQ", "VALUE", "RANGE", "LIST", "COMPO", "HASH"};
    switch (type_) {
        case PartitionType::Value:
            if (schemeType == Type::Long) throw ConversionError("Long type value can't be used as a partition column.");
            buckets_ = kValueDomainBuckets;
            break;
        case PartitionType::Hash: {
            int64_t n = 0;
            if (scheme.column.length != 1 || categoryOf(scheme.type()) != Category::Integral ||
                !integerAt(scheme.column, 0, &n) || n <= 0 || n > INT32_MAX)
                throw ConversionError("A HASH partition scheme must be a positive bucket count.");
            buckets_ = static_cast<uint32_t>(n);
            break;
        }
        case PartitionType::Range: {
            const Column& b = scheme.column;
            for (int64_t i = 0; i < b.length; ++i) {
                if (literal(b.type())) {
                    textBounds_.emplace_back(b.stringAt(i));
                } else {
                    int64_t v = 0;
                    integerAt(b, i, &v);
                    intBounds_.push_back(v);
                }
            }
            break;
        }
        case PartitionType::List:
            eachSchemeValue(scheme, [&](const Column& element, int32_t partition) {
                for (int64_t i = 0; i < element.length; ++i) {
                    if (literal(element.type())) {
                        textLists_.emplace(std::string(element.stringAt(i)), partition);
                    } else {
                        int64_t v = 0;
                        if (integerAt(element, i, &v)) intLists_.emplace(v, partition);
                    }
                }
            });
            break;
        default: {
            int t = partitionType;
            throw ConversionError(std::string("Unsupported partition type ") +
                                  (t >= 0 && t <= 5 ? names[t] : std::to_string(t).c_str()));
        }
    }
}

std::vector<int32_t> Domain::keys(const Column& input) const {
    Category have = categoryOf(input.type()), want = categoryOf(schemeType_);
    if (have != want) throw ConversionError("Data category incompatible.");
    Column cast = have == Category::Temporal && input.type() != schemeType_ ? castTemporal(input, schemeType_) : Column();
    const Column& c = cast.data ? cast : input;
    std::vector<int32_t> out(static_cast<size_t>(c.length));
    if (c.length == 0) return out;
    switch (type_) {
        case PartitionType::Value:
        case PartitionType::Hash: hashBuckets(c, 0, c.length, buckets_, out.data()); break;
        case PartitionType::Range: rangeKeys(c, out.data()); break;
        default: listKeys(c, out.data()); break;
    }
    return out;
}

void Domain::rangeKeys(const Column& c, int32_t* out) const {
    auto index = [](const auto& bounds, const auto& v) -> int32_t {
        // k with bounds[k] <= v < bounds[k + 1]; boundaries are exclusive at the top.
        auto it = std::upper_bound(bounds.begin(), bounds.end(), v);
        if (it == bounds.begin() || it == bounds.end()) return -1;
        return static_cast<int32_t>(it - bounds.begin() - 1);
    };
    if (literal(c.type())) {
        for (int64_t i = 0; i < c.length; ++i) out[i] = index(textBounds_, c.stringAt(i));
        return;
    }
    for (int64_t i = 0; i < c.length; ++i) {
        int64_t v;
        out[i] = integerAt(c, i, &v) ? index(intBounds_, v) : -1;
    }
}

void Domain::listKeys(const Column& c, int32_t* out) const {
    if (literal(c.type())) {
        std::string probe;
        for (int64_t i = 0; i < c.length; ++i) {
            probe.assign(c.stringAt(i));
            auto it = textLists_.find(probe);
            out[i] = it == textLists_.end() ? -1 : it->second;
        }
        return;
    }
    for (int64_t i = 0; i < c.length; ++i) {
        int64_t v;
        auto it = integerAt(c, i, &v) ? intLists_.find(v) : intLists_.end();
        out[i] = it == intLists_.end() ? -1 : it->second;
    }
}

}   // namespace ddb::writers
