// Taking the GIL on a native thread (a pool worker or executor, a writer thread) without paying
// for a Python thread state each time. py::gil_scoped_acquire on a thread that has none creates
// one and deletes it again on release (an mmap + munmap of its frame stack per completion,
// measured at an eighth of a pool fan-out's CPU). NativeThreadGil creates it on the thread's
// first use and keeps it until the thread ends; a thread Python already knows (the main thread,
// a threading.Thread) just takes the GIL with its own state.
#pragma once

#include <Python.h>

namespace ddbpy {

class NativeThreadGil {
public:
    NativeThreadGil();
    ~NativeThreadGil() { PyGILState_Release(state_); }
    NativeThreadGil(const NativeThreadGil&) = delete;
    NativeThreadGil& operator=(const NativeThreadGil&) = delete;

private:
    PyGILState_STATE state_;
};

}   // namespace ddbpy
