"""Higher-order built-ins: each, loop, reduce, accumulate, call, pnodeRun. They call function
values, so they sit above the interpreter."""
from __future__ import annotations

from ...model.columns import element, vector_of
from ...model.values import ANY, ArrayVector, Scalar, Vector
from ..evaluator import apply
from ..registry import builtin


def _apply(ctx, f, args):
    return apply(ctx, f, args)


def _items(x):
    if isinstance(x, (Vector, ArrayVector)):
        return [element(x, i) for i in range(len(x))]
    return [x]


@builtin("each", 2, None)
def each(ctx, f, *xs):
    columns = [_items(x) for x in xs]
    results = []
    for args in zip(*columns):
        ctx.check_cancelled()
        results.append(_apply(ctx, f, list(args)))
    return vector_of(results) if results and all(isinstance(r, Scalar) for r in results) else Vector(ANY, results)


builtin("peach", 2, None)(each)
builtin("loop", 2, None)(lambda ctx, f, *xs: Vector(ANY, [_apply(ctx, f, list(a)) for a in zip(*[_items(x) for x in xs])]))


@builtin("reduce", 2, 3)
def reduce_(ctx, f, x, init=None):
    items = _items(x)
    acc = init if init is not None else items.pop(0)
    for it in items:
        acc = _apply(ctx, f, [acc, it])
    return acc


@builtin("accumulate", 2, 3)
def accumulate(ctx, f, x, init=None):
    items = _items(x)
    acc = init if init is not None else items.pop(0)
    out = [acc]
    for it in items:
        acc = _apply(ctx, f, [acc, it])
        out.append(acc)
    return vector_of(out)


@builtin("call", 1, None)
def call(ctx, f, *args):
    return _apply(ctx, f, list(args))


# ---- session -------------------------------------------------------------------------------


@builtin("pnodeRun", 1, 3, system=True)
def pnode_run(ctx, function, args=None, addNodeAlias=None):
    """Runs a function on every data node: this server is the only one."""
    if args is None:
        arguments = []
    elif isinstance(args, Vector) and args.type == ANY:
        arguments = list(args.data)
    else:
        arguments = [args]
    return apply(ctx, function, arguments)
