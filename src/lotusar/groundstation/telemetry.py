"""Telemetry decoding from declarative packet dictionaries into typed, calibrated tables.

Dictionary formats:

* CYGNSS/ITOS-style CSV (one file per packet; columns ``Mnemonic, Description, Type, Units,
  Conversion, Subsystem, Start Byte, Start Bit, Data Size, Conversion Formula, States``; bytes
  and bits numbered from the start of the primary header, MSB = bit 0). ``Type`` is a letter
  (U unsigned, I signed, F IEEE float) and the byte order as digits: ``U1234`` big-endian
  4 bytes, ``U21``/``F4321``/``F87654321`` little-endian (first digit larger than the second).
  A folder with ``Overview.csv`` maps packet names to APIDs.
* YAML: ``packets: [{name, apid, fields: [{name, byte, bit, bits, type, units, formula}]}]``.
* XTCE (``.xml``): see :mod:`lotusar.groundstation.xtce`.

Conversions (``Conversion Formula``): a list of polynomial coefficients (``"0 57.29577951"`` =
0 + 57.29577951 x), or an expression in x with + - * / ^, LN, LOG, EXP, SQRT, ABS and
``iif(cond, a, b)`` with FORTRAN-style ``.gt. .lt. .ge. .le. .eq. .ne. .and. .or.`` — parsed
with Python's ``ast`` into a whitelisted, vectorised evaluator (never ``eval``).

Fields are extracted for all packets of one APID at once: the packets are stacked into an
(N, L) byte array (zero-padded when lengths differ; fields beyond a packet's end become
missing), the covering bytes are combined into integers, shifted and masked per field.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lotusar.errors import InputFormatError
from lotusar.fileio import atomic_path
from lotusar.groundstation.packets import Packet
from lotusar.groundstation.tmdefs import FieldDef, PacketDef
from lotusar.groundstation.xtce import load_xtce

# --- formulas --------------------------------------------------------------------------------

_FUNCS = {"ln": np.log, "log": np.log, "log10": np.log10, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}
_OPS = {".gt.": ">", ".lt.": "<", ".ge.": ">=", ".le.": "<=", ".eq.": "==", ".ne.": "!=", ".and.": "&", ".or.": "|"}


def _translate(expr: str) -> str:
    s = expr.strip()
    for k, v in _OPS.items():
        s = re.sub(re.escape(k), f" {v} ", s, flags=re.IGNORECASE)
    s = s.replace("^", "**")
    return s


class _Eval(ast.NodeVisitor):
    def __init__(self, x: np.ndarray):
        self.x = x

    def visit_Expression(self, n):
        return self.visit(n.body)

    def visit_Constant(self, n):
        if isinstance(n.value, (int, float)):
            return float(n.value)
        raise ValueError("constant")

    def visit_Name(self, n):
        if n.id.lower() == "x":
            return self.x
        raise ValueError(f"unknown name {n.id}")

    def visit_UnaryOp(self, n):
        v = self.visit(n.operand)
        if isinstance(n.op, ast.USub):
            return -v
        if isinstance(n.op, ast.UAdd):
            return v
        raise ValueError("unary")

    def visit_BinOp(self, n):
        a, b = self.visit(n.left), self.visit(n.right)
        ops = {
            ast.Add: np.add,
            ast.Sub: np.subtract,
            ast.Mult: np.multiply,
            ast.Div: np.divide,
            ast.Pow: np.power,
            ast.BitAnd: np.logical_and,
            ast.BitOr: np.logical_or,
        }
        for t, f in ops.items():
            if isinstance(n.op, t):
                return f(a, b)
        raise ValueError("operator")

    def visit_Compare(self, n):
        left = self.visit(n.left)
        out = None
        for op, comp in zip(n.ops, n.comparators):
            right = self.visit(comp)
            f = {
                ast.Gt: np.greater,
                ast.Lt: np.less,
                ast.GtE: np.greater_equal,
                ast.LtE: np.less_equal,
                ast.Eq: np.equal,
                ast.NotEq: np.not_equal,
            }[type(op)]
            r = f(left, right)
            out = r if out is None else np.logical_and(out, r)
            left = right
        return out

    def visit_Call(self, n):
        if not isinstance(n.func, ast.Name):
            raise ValueError("call")
        name = n.func.id.lower()
        args = [self.visit(a) for a in n.args]
        if name == "iif" and len(args) == 3:
            return np.where(args[0], args[1], args[2])
        if name in _FUNCS and len(args) == 1:
            return _FUNCS[name](args[0])
        raise ValueError(f"function {name}")

    def generic_visit(self, n):
        raise ValueError(f"unsupported syntax {type(n).__name__}")


def apply_formula(formula: str, x: np.ndarray) -> np.ndarray:
    """Calibrate raw values ``x`` with a dictionary formula (see module docstring)."""
    f = (formula or "").strip()
    if not f:
        return x
    parts = f.split()
    try:
        coeffs = [float(p) for p in parts]
        xf = np.asarray(x, dtype=np.float64)
        return np.asarray(sum((c * xf**i for i, c in enumerate(coeffs)), np.zeros_like(xf)))
    except ValueError:
        pass
    try:
        tree = ast.parse(_translate(f), mode="eval")
        with np.errstate(all="ignore"):
            return np.asarray(_Eval(np.asarray(x, dtype=np.float64)).visit(tree), dtype=np.float64)
    except (SyntaxError, ValueError, KeyError, TypeError, RecursionError) as e:
        raise InputFormatError(f"cannot parse conversion formula {formula!r}: {e}") from None


# --- dictionaries ----------------------------------------------------------------------------


def _parse_type(t: str, where: str) -> tuple[str, bool]:
    t = str(t).strip()
    m = re.fullmatch(r"([UIF])(\d+)", t)
    if not m:
        raise InputFormatError(f"{where}: field Type {t!r} is not like U12 / I1234 / F1234")
    digits = m.group(2)
    little = len(digits) > 1 and int(digits[0]) > int(digits[1])
    return m.group(1), little


def load_csv_packet(path: Path, apid: int | None = None) -> PacketDef:
    """One CYGNSS-style CSV packet definition."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise InputFormatError(f"{path}: not a readable CSV: {e}") from None
    df.columns = [c.strip() for c in df.columns]
    need = {"Mnemonic", "Type", "Start Byte", "Start Bit", "Data Size"}
    if not need <= set(df.columns):
        raise InputFormatError(f"{path}: missing columns {sorted(need - set(df.columns))}")
    fields = []
    for i, r in df.iterrows():
        where = f"{path}:{i + 2}"
        try:
            byte, bit, bits = int(r["Start Byte"]), int(r["Start Bit"]), int(r["Data Size"])
        except ValueError:
            raise InputFormatError(f"{where}: Start Byte/Start Bit/Data Size must be integers") from None
        if bits <= 0 or bit < 0 or byte < 0 or (bits > 64 and (bit or bits % 8)):
            raise InputFormatError(f"{where}: field size {bits} bits at byte {byte} bit {bit} out of range")
        kind, little = _parse_type(r["Type"], where)
        if bits > 64:
            kind = "B"  # an opaque block of bytes (fill, memory dump)
        fields.append(
            FieldDef(
                r["Mnemonic"].strip(),
                byte,
                bit,
                bits,
                kind,
                little,
                r.get("Units", "").strip(),
                r.get("Conversion Formula", "").strip(),
                r.get("Description", "").strip(),
            )
        )
    name = path.stem
    return PacketDef(name, apid, fields)


def load_dictionary(path: str | Path) -> dict[int | str, PacketDef]:
    """Load a packet dictionary (CSV file, folder of CSVs with Overview.csv, or YAML) keyed by APID."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    out: dict[int | str, PacketDef] = {}
    if p.is_dir():
        apids: dict[str, int] = {}
        ov = p / "Overview.csv"
        if ov.exists():
            o = pd.read_csv(ov, dtype=str, keep_default_na=False)
            o.columns = [c.strip() for c in o.columns]
            for _, r in o.iterrows():
                try:
                    apids[r["Packet Short Name"].strip()] = int(r["APID_Decimal"])
                except (KeyError, ValueError):
                    continue
        for f in sorted(p.glob("*.csv")):
            if f.name in ("Overview.csv", "Conventions.csv"):
                continue
            pd_ = load_csv_packet(f, apids.get(f.stem))
            out[pd_.apid if pd_.apid is not None else pd_.name] = pd_
        return out
    if p.suffix == ".xml":
        for k, v in load_xtce(p).items():
            out[k] = v
        return out
    if p.suffix in (".yaml", ".yml"):
        try:
            d = yaml.safe_load(p.read_text())
            for pk in d["packets"]:
                fields = []
                for fd in pk["fields"]:
                    kind = str(fd.get("type", "U"))[0].upper()
                    fields.append(
                        FieldDef(
                            fd["name"],
                            int(fd["byte"]),
                            int(fd.get("bit", 0)),
                            int(fd["bits"]),
                            kind,
                            bool(fd.get("little_endian", False)),
                            str(fd.get("units", "")),
                            str(fd.get("formula", "")),
                        )
                    )
                out[int(pk["apid"])] = PacketDef(str(pk["name"]), int(pk["apid"]), fields)
        except (KeyError, TypeError, ValueError, yaml.YAMLError) as e:
            raise InputFormatError(f"{p}: bad telemetry dictionary: {e}") from None
        return out
    pd_ = load_csv_packet(p)
    out[pd_.apid if pd_.apid is not None else pd_.name] = pd_
    return out


# --- extraction ------------------------------------------------------------------------------


def extract_field(buf: np.ndarray, lengths: np.ndarray, f: FieldDef) -> tuple[np.ndarray, np.ndarray]:
    """Raw values of one field for stacked packets (N, L) → (values, valid mask)."""
    nbytes = (f.bit + f.bits + 7) // 8
    valid = lengths >= f.byte + nbytes
    if f.kind == "B":
        blk = buf[:, f.byte : f.byte + nbytes]
        vals = np.empty(buf.shape[0], dtype=object)
        vals[:] = [bytes(r) for r in blk] if blk.shape[1] == nbytes else [b""] * buf.shape[0]
        return vals, valid
    if nbytes > 8 or f.byte + nbytes > buf.shape[1]:
        return np.zeros(buf.shape[0]), np.zeros(buf.shape[0], bool)
    cols = buf[:, f.byte : f.byte + nbytes].astype(np.uint64)
    if f.kind == "F" and f.bit == 0 and f.bits in (32, 64):
        raw = np.ascontiguousarray(buf[:, f.byte : f.byte + nbytes])
        dt = np.dtype(("<" if f.little_endian else ">") + ("f4" if f.bits == 32 else "f8"))
        return raw.view(dt).reshape(-1).astype(np.float64), valid
    if f.little_endian:
        cols = cols[:, ::-1]
    v = np.zeros(buf.shape[0], dtype=np.uint64)
    for k in range(nbytes):
        v = (v << np.uint64(8)) | cols[:, k]
    shift = nbytes * 8 - f.bit - f.bits
    v = (v >> np.uint64(shift)) & np.uint64((1 << f.bits) - 1 if f.bits < 64 else 0xFFFFFFFFFFFFFFFF)
    if f.kind == "I":
        sign = np.uint64(1 << (f.bits - 1))
        return (v.astype(np.int64) - np.where(v & sign, 1 << f.bits, 0).astype(np.int64)), valid
    if f.kind == "F" and f.bits == 32:
        return v.astype(np.uint32).view(np.float32).astype(np.float64), valid
    if f.kind == "F" and f.bits == 64:
        return v.view(np.float64), valid
    return v, valid


def decode_packets(packets: list[Packet], dictionary: dict) -> dict[str, pd.DataFrame]:
    """Decode packets with a dictionary: one DataFrame per packet type (rows = packets)."""
    by_apid: dict[int, list[Packet]] = {}
    for p in packets:
        by_apid.setdefault(p.apid, []).append(p)
    out: dict[str, pd.DataFrame] = {}
    for apid in sorted(by_apid):
        pdef = dictionary.get(apid)
        if pdef is None:
            continue
        pk = by_apid[apid]
        lengths = np.array([len(p.data) for p in pk])
        width = max(int(lengths.max()), max((f.byte + (f.bit + f.bits + 7) // 8 for f in pdef.fields), default=0))
        buf = np.zeros((len(pk), width), dtype=np.uint8)
        for i, p in enumerate(pk):
            buf[i, : len(p.data)] = np.frombuffer(p.data, np.uint8)
        cols: dict[str, np.ndarray] = {
            "apid": np.full(len(pk), apid),
            "seq_count": np.array([p.seq_count for p in pk]),
            "offset": np.array([p.offset for p in pk]),
        }
        units = {}
        for f in pdef.fields:
            raw, valid = extract_field(buf, lengths, f)
            if f.formula and f.kind != "B":  # byte strings have no calibration
                val = apply_formula(f.formula, raw)
                cols[f.name + "_raw"] = raw
            else:
                val = raw
            if not valid.all():
                if f.kind == "B":
                    val = np.where(valid, val, np.array(None, dtype=object))
                else:
                    val = np.where(valid, np.asarray(val, dtype=np.float64), np.nan)
            cols[f.name] = val
            units[f.name] = f.units
        df = pd.DataFrame(cols)
        df.attrs["units"] = units
        df.attrs["apid"] = apid
        out[pdef.name] = df
    return out


def write_table(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write decoded tables: Parquet (one file, a ``packet`` column) or CSV; atomic."""
    p = Path(path)
    frames = []
    for name, df in tables.items():
        d = df.copy()
        d.insert(0, "packet", name)
        frames.append(d)
    all_df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    with atomic_path(p) as tmp:
        if p.suffix == ".csv":
            all_df.to_csv(tmp, index=False)
        else:
            all_df.to_parquet(tmp, index=False)
    return p
