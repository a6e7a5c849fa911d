#include "gil.h"

namespace ddbpy {

namespace {

bool finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

// The one extra PyGILState reference that keeps this thread's state alive. Dropped when the
// thread ends (its C++ thread_local destructors run after the thread function has returned:
// pools and writers join their threads on shutdown, with the GIL released). Once the
// interpreter is finalizing, taking the GIL would end this thread inside a destructor: the state
// is left to the interpreter, which clears every thread state it still has.
struct KeptThreadState {
    bool kept = false;
    ~KeptThreadState() {
        if (!kept || !Py_IsInitialized() || finalizing()) return;
        PyGILState_STATE state = PyGILState_Ensure();
        PyGILState_Release(PyGILState_LOCKED);   // the kept reference
        PyGILState_Release(state);   // the last one: clears and deletes the state, releases the GIL
    }
};

thread_local KeptThreadState kept;

}   // namespace

NativeThreadGil::NativeThreadGil() {
    const bool knownToPython = kept.kept || PyGILState_GetThisThreadState() != nullptr;
    state_ = PyGILState_Ensure();
    if (!knownToPython) {
        (void)PyGILState_Ensure();   // held until the thread ends: see KeptThreadState
        kept.kept = true;
    }
}

}   // namespace ddbpy
