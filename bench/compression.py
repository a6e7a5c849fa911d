"""compress=True on a realistic market-data table: bytes on the wire, wall time, and the client's
decompression throughput.

    python bench/compression.py [--rows 1000000] [--json]

The table: millisecond timestamps in order with jitter, 500 symbols, prices on a random walk with
two decimals, round-lot volumes. Reported:
  * bytes of the table as an upload sends it, plain and with compress=True (our per-column choice
    of LZ4 / delta-of-delta, and all-LZ4), and which method each column got;
  * wall time of tableInsert and of `select *` through our client against the embedded server,
    plain vs compressed, and the bytes the download took on the wire;
  * the client's decode throughput on compressed columns (decompressed bytes per second),
    measured on io.loads of the serialized table, next to the same for plain columns.
"""
from __future__ import annotations

import argparse
import json
import struct
import time

import numpy as np
import pandas as pd

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb import _core
from dolphindb.server import Server


def market_data(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    start = np.datetime64("2024-01-02T09:30:00.000", "ms").astype(np.int64)
    ts = start + np.cumsum(rng.integers(0, 5, rows))          # ordered, 0-4 ms apart
    symbols = np.array([f"S{i:03d}" for i in range(500)], dtype=object)
    price = np.round(100 + np.cumsum(rng.normal(0, 0.01, rows)), 2)
    volume = (rng.integers(1, 50, rows) * 100).astype(np.int32)
    frame = pd.DataFrame({"ts": ts.astype("datetime64[ms]"), "price": price, "volume": volume,
                          "sym": symbols[rng.integers(0, 500, rows)]})
    frame.__dict__["__DolphinDB_Type__"] = {"ts": keys.DT_TIMESTAMP, "sym": keys.DT_SYMBOL}
    return frame


def column_methods(data: bytes) -> dict:
    """Column -> method of a serialized table; stops at the first plain column (SYMBOL, last)."""
    cols = struct.unpack_from("<i", data, 6)[0]
    at = 10
    names = []
    for _ in range(cols + 1):
        end = data.index(b"\0", at)
        names.append(data[at:end].decode())
        at = end + 1
    out = {}
    for name in names[1:]:
        if data[at:at + 2] != b"\x1a\x01":
            out[name] = "plain"
            break
        out[name] = {1: "lz4", 2: "delta"}[data[at + 2 + 11]]
        at += 2 + 8 + struct.unpack_from("<i", data, at + 2)[0]
    return out


def best_of(fn, repeat=5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def decode_throughput(frame: pd.DataFrame) -> dict:
    """Per numeric column: GB/s of decompressed payload when io.loads reads the column compressed
    (as a one-column table, converted to a zero-copy array), and the same read plain."""
    out = {}
    for name in ("ts", "price", "volume"):
        one = frame[[name]]
        one.__dict__["__DolphinDB_Type__"] = {k: v for k, v in frame.__dict__["__DolphinDB_Type__"].items() if k == name}
        plain = _core.dumps(one)
        packed = _core.codec_dumps_compressed(one)
        raw = len(frame) * one[name].to_numpy().itemsize
        t_packed = best_of(lambda packed=packed: _core.loads(packed, table_to_list=True))
        t_plain = best_of(lambda plain=plain: _core.loads(plain, table_to_list=True))
        out[name] = {"method": column_methods(packed)[name], "ratio": round(len(plain) / len(packed), 2),
                     "compressed_GBps": round(raw / t_packed / 1e9, 2), "plain_GBps": round(raw / t_plain / 1e9, 2)}
    return out


SCHEMA = "table(1:0, `ts`price`volume`sym, [TIMESTAMP, DOUBLE, INT, SYMBOL])"


def wire_and_wall(frame: pd.DataFrame) -> dict:
    """tableInsert and `select *` through our client against the embedded server, plain vs
    compressed (the server compresses table results for clients that set the flag)."""
    out = {}
    with Server(port=0) as srv:
        setup = ddb.Session(protocol=keys.PROTOCOL_DDB)
        setup.connect("127.0.0.1", srv.port, "admin", "123456")
        setup.run(f"share {SCHEMA} as mkt")
        setup.run("tableInsert{mkt}", frame)
        setup.close()
        for label, compress in (("plain", False), ("compressed", True)):
            s = ddb.Session(compress=compress, protocol=keys.PROTOCOL_DDB)
            s.connect("127.0.0.1", srv.port, "admin", "123456")
            s.run(f"t = {SCHEMA}")
            t = time.perf_counter()
            s.run("tableInsert{t}", frame)
            insert = time.perf_counter() - t
            s.close()
            pool = ddb.DBConnectionPool("127.0.0.1", srv.port, 1, "admin", "123456", compress=compress,
                                        protocol=keys.PROTOCOL_DDB)
            before = pool.stats()["bytesReceived"]
            t = time.perf_counter()
            back = pool.runTaskAsync("select * from mkt").result()
            select = time.perf_counter() - t
            received = pool.stats()["bytesReceived"] - before
            pool.shutDown()
            assert len(back) == len(frame)
            out[label] = {"insert_s": round(insert, 3), "select_s": round(select, 3), "select_bytes": received}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    frame = market_data(args.rows)
    plain = _core.dumps(frame)
    auto = _core.codec_dumps_compressed(frame)
    lz4 = _core.codec_dumps_compressed(frame, {"ts": 1, "price": 1, "volume": 1})
    report = {
        "rows": args.rows,
        "upload_bytes": {"plain": len(plain), "compressed": len(auto), "all_lz4": len(lz4),
                         "ratio": round(len(plain) / len(auto), 2), "ratio_all_lz4": round(len(plain) / len(lz4), 2)},
        "methods": column_methods(auto),
        "decode": decode_throughput(frame),
        "end_to_end": wire_and_wall(frame),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    u = report["upload_bytes"]
    print(f"{args.rows:,} rows of market data (ts, sym, price, volume)")
    print(f"  upload bytes: plain {u['plain']:,}  compressed {u['compressed']:,} (x{u['ratio']})  "
          f"all-LZ4 {u['all_lz4']:,} (x{u['ratio_all_lz4']})")
    print(f"  methods chosen: {report['methods']}")
    for name, d in report["decode"].items():
        print(f"  decode {name:6s} {d['method']:5s} ratio x{d['ratio']:<6} compressed {d['compressed_GBps']} GB/s, "
              f"plain {d['plain_GBps']} GB/s")
    for label, d in report["end_to_end"].items():
        print(f"  {label:10s} tableInsert {d['insert_s']} s   select * {d['select_s']} s, "
              f"{d['select_bytes']:,} bytes received")


if __name__ == "__main__":
    main()
