// Options structs name their fields once, next to the members: `static constexpr auto fields()`
// returns a tuple of field("name", &Struct::member). The Python binding builds every options
// struct from keywords with that list alone (src/options_binding.cpp), so a new option is a
// member, its entry in fields() and the code that reads it.
#pragma once

namespace ddb {

template <class Struct, class T>
struct Field {
    const char* name;
    T Struct::*member;
};

template <class Struct, class T>
constexpr Field<Struct, T> field(const char* name, T Struct::*member) {
    return {name, member};
}

}   // namespace ddb
