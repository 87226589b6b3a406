"""CCSDS Reed-Solomon (255,223) E=16 — encoder and decoder, vectorised over many codewords.

Code (CCSDS 131.0-B-4 §4): GF(2^8) with field polynomial F(x) = x^8+x^7+x^2+x+1 (0x187),
alpha a root of F; generator g(x) = prod_{j=112}^{143} (x - alpha^{11 j}) (first consecutive root
FCR=112, root step PRIM=11, 2E=32 parity symbols). Symbols are sent in Berlekamp's *dual basis*
in the CCSDS standard (the "dual basis" representation below); many amateur and legacy
systems (AO-40 FEC, QB50 beacons, libfec's ``encode_rs_8``) use the *conventional* basis.

Design (the error-free path is whole-array work, no per-byte Python):

* The syndrome vector S_i = r(beta^{FCR+i}), beta = alpha^11, is GF(2)-linear in the received
  bytes. We tabulate, for each byte position p (power of x) and each byte value v, the 32
  syndrome bytes v * beta^{(FCR+i) p} as four uint64 words; the syndromes of N codewords are
  then the XOR over positions of one table gather each — ``_syndromes`` — which runs at
  memory speed for N codewords at once. The dual-basis table folds the dual→conventional map
  in, so dual codewords cost the same.
* Codewords with all-zero syndromes are accepted without further work.
* The others go through a batched Berlekamp-Massey (Massey 1969), a Chien search over all
  positions and Forney's formula (with the FCR correction X^{1-FCR}), all as array operations
  over the failing codewords; the corrected codewords are re-checked (syndromes zero) so a
  miscorrection beyond E=16 is reported as uncorrectable, never passed.
* Encoding is linear too: the parity of a unit byte at each data position is precomputed by
  polynomial division; parity(data) = XOR_j v_j * parity(e_j), again one gather per position.

Shortened codes (virtual fill): the leading virtual zero bytes contribute nothing, so a
codeword of length L < 255 uses the last L rows of the position tables (powers L-1 … 0).
Interleaving depth I (1–8): codeword k of a codeblock is bytes k, k+I, k+2I, …

References: CCSDS 131.0-B-4 (TM Synchronization and Channel Coding) §4; Berlekamp, "Bit-serial
Reed-Solomon encoders", IEEE Trans. IT-28 (1982) for the dual basis; P. Karn, libfec
(``encode_rs_ccsds``, ``Tal1tab``) for the basis transform table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lotusar.errors import ValidationError

FIELD_POLY = 0x187
FCR = 112
PRIM = 11
NROOTS = 32
NN = 255
KK = NN - NROOTS
T_CORRECT = NROOTS // 2

# --- GF(2^8) tables --------------------------------------------------------------------------


def _build_field() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    exp = np.zeros(512, dtype=np.int64)
    log = np.full(256, -1, dtype=np.int64)
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x <<= 1
        if x & 0x100:
            x ^= FIELD_POLY
    exp[255:510] = exp[0:255]
    # full multiplication table: MUL[a, b] = a*b in GF(2^8)
    a = np.arange(256)
    la = log[a]
    mul = np.zeros((256, 256), dtype=np.uint8)
    nz = a[1:]
    mul[1:, 1:] = exp[(la[nz][:, None] + la[nz][None, :]) % 255]
    return exp, log, mul


EXP, LOG, MUL = _build_field()
EXP_U8 = EXP.astype(np.uint8)


def _build_dual_tables() -> tuple[np.ndarray, np.ndarray]:
    """Berlekamp dual-basis transform: (conventional→dual, dual→conventional) byte tables."""
    tal = (0x8D, 0xEF, 0xEC, 0x86, 0xFA, 0x99, 0xAF, 0x7B)
    taltab = np.zeros(256, dtype=np.uint8)
    tal1tab = np.zeros(256, dtype=np.uint8)
    for i in range(256):
        v = 0
        for j in range(8):
            for k in range(8):
                if i & (1 << k):
                    v ^= tal[7 - k] & (1 << j)
        taltab[i] = v
    tal1tab[taltab] = np.arange(256, dtype=np.uint8)
    return taltab, tal1tab


CONV_TO_DUAL, DUAL_TO_CONV = _build_dual_tables()


def gf_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise GF(2^8) product (broadcasting)."""
    return MUL[np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp)]


def gf_inv(a: np.ndarray) -> np.ndarray:
    """Element-wise inverse (a must be non-zero)."""
    return EXP_U8[(255 - LOG[np.asarray(a, dtype=np.intp)]) % 255]


@lru_cache(maxsize=1)
def generator_poly() -> np.ndarray:
    """g(x) coefficients, highest degree first, g[0] = 1 (33 entries)."""
    g = np.array([1], dtype=np.uint8)
    for j in range(NROOTS):
        root = EXP_U8[(PRIM * (FCR + j)) % 255]
        # multiply by (x + root)
        ng = np.zeros(len(g) + 1, dtype=np.uint8)
        ng[:-1] ^= g
        ng[1:] ^= gf_mul(g, root)
        g = ng
    return g


# --- tables for the linear maps ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _syndrome_unit() -> np.ndarray:
    """U[p, i] = beta^{(FCR+i) p} as a field element (p = power of x, 0..254)."""
    p = np.arange(NN)[:, None]
    i = np.arange(NROOTS)[None, :]
    return EXP_U8[(PRIM * (FCR + i) * p) % 255]


@lru_cache(maxsize=2)
def _syndrome_table(dual: bool) -> np.ndarray:
    """T[p, v] (255, 256, 4) uint64: syndrome bytes of byte value v at power p."""
    unit = _syndrome_unit()  # (255, 32)
    v = np.arange(256, dtype=np.intp)
    if dual:
        v = DUAL_TO_CONV[v].astype(np.intp)
    tab = MUL[v[None, :, None], unit[:, None, :].astype(np.intp)]  # (255, 256, 32) uint8
    return np.ascontiguousarray(tab).view(np.uint64).reshape(NN, 256, 4)


@lru_cache(maxsize=1)
def _parity_unit() -> np.ndarray:
    """Parity (32 bytes, conventional) of a unit byte at each of the 223 data positions."""
    g = generator_poly()
    n = KK
    data = np.eye(n, dtype=np.uint8)
    rem = np.zeros((n, NROOTS), dtype=np.uint8)
    g1 = g[1:].astype(np.intp)
    for j in range(n):
        fb = (data[:, j] ^ rem[:, 0]).astype(np.intp)
        rem = np.concatenate([rem[:, 1:], np.zeros((n, 1), np.uint8)], axis=1)
        rem ^= MUL[fb[:, None], g1[None, :]]
    return rem  # row j = parity of unit at data index j of a full-length codeword


@lru_cache(maxsize=2)
def _parity_table(dual: bool) -> np.ndarray:
    """P[j, v] (223, 256, 4) uint64: parity (in the output basis) of byte v at data index j."""
    unit = _parity_unit().astype(np.intp)
    v = np.arange(256, dtype=np.intp)
    if dual:
        v = DUAL_TO_CONV[v].astype(np.intp)
    tab = MUL[v[None, :, None], unit[:, None, :]]  # conventional parity (linear)
    if dual:
        # the basis map is GF(2)-linear, so XOR of mapped parts = mapped XOR
        tab = CONV_TO_DUAL[tab]
    return np.ascontiguousarray(tab).view(np.uint64).reshape(KK, 256, 4)


def _xor_gather(table: np.ndarray, data: np.ndarray) -> np.ndarray:
    """XOR over columns j of table[j, data[:, j]] → (N, 4) uint64."""
    n, length = data.shape
    acc = np.zeros((n, 4), dtype=np.uint64)
    for j in range(length):
        acc ^= table[j].take(data[:, j], axis=0)
    return acc


def _check_len(length: int, what: str = "codeword") -> None:
    if not (NROOTS < length <= NN):
        raise ValidationError(f"RS(255,223) {what} length {length} not in {NROOTS + 1}..{NN}")


def syndromes(codewords: np.ndarray, dual: bool = False) -> np.ndarray:
    """Syndromes S_0..S_31 (conventional field elements) of codewords (N, L) uint8 → (N, 32) uint8."""
    cw = np.ascontiguousarray(np.atleast_2d(np.asarray(codewords, dtype=np.uint8)))
    length = cw.shape[1]
    _check_len(length)
    tab = _syndrome_table(dual)[:length][::-1]  # column j has power L-1-j
    return _xor_gather(tab, cw).view(np.uint8).reshape(len(cw), NROOTS)


def encode(data: np.ndarray, dual: bool = False) -> np.ndarray:
    """Systematic RS encoding of data (N, k) uint8, k ≤ 223 (shortened by 223-k) → (N, k+32)."""
    d = np.ascontiguousarray(np.atleast_2d(np.asarray(data, dtype=np.uint8)))
    k = d.shape[1]
    if not (1 <= k <= KK):
        raise ValidationError(f"RS(255,223) data length {k} not in 1..{KK}")
    tab = _parity_table(dual)[KK - k :]
    par = _xor_gather(tab, d).view(np.uint8).reshape(len(d), NROOTS)
    return np.concatenate([d, par], axis=1)


@dataclass
class RSResult:
    """Decoded codewords and, per codeword, the number of corrected symbols (-1: uncorrectable)."""

    codewords: np.ndarray  # (N, L) uint8, corrected where possible (input where not)
    corrected: np.ndarray  # (N,) int: symbols corrected, -1 uncorrectable

    @property
    def ok(self) -> np.ndarray:
        return self.corrected >= 0


def _berlekamp_massey(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched Berlekamp-Massey: syndromes (M, 32) → error locator Λ (M, 33) (Λ_0=1), degree L."""
    m_rows = S.shape[0]
    S = S.astype(np.intp)
    C = np.zeros((m_rows, NROOTS + 1), dtype=np.intp)
    C[:, 0] = 1
    B = C.copy()
    L = np.zeros(m_rows, dtype=np.intp)
    shift = np.ones(m_rows, dtype=np.intp)
    b = np.ones(m_rows, dtype=np.intp)
    rows = np.arange(m_rows)
    cols = np.arange(NROOTS + 1)
    for n in range(NROOTS):
        # discrepancy d = S_n + sum_{i=1..n} C_i S_{n-i}
        if n > 0:
            prod = MUL[C[:, 1 : n + 1], S[:, n - 1 :: -1][:, :n]]
            d = S[:, n] ^ np.bitwise_xor.reduce(prod, axis=1).astype(np.intp)
        else:
            d = S[:, 0].copy()
        nz = d != 0
        if not nz.any():
            shift += 1
            continue
        coef = MUL[d, gf_inv(np.where(b == 0, 1, b)).astype(np.intp)].astype(np.intp)  # d / b
        idx = cols[None, :] - shift[:, None]
        valid = idx >= 0
        Bs = np.where(valid, B[rows[:, None], np.clip(idx, 0, None)], 0)
        Cn = C ^ MUL[coef[:, None], Bs]
        grow = nz & (2 * L <= n)
        keep = nz & ~grow
        # rows that grow: B <- old C, L <- n+1-L, b <- d, shift <- 1
        newB = np.where(grow[:, None], C, B)
        C = np.where(nz[:, None], Cn, C)
        B = newB
        L = np.where(grow, n + 1 - L, L)
        b = np.where(grow, d, b)
        shift = np.where(grow, 1, shift + 1)
        del keep
    return C, L


def decode(codewords: np.ndarray, dual: bool = False) -> RSResult:
    """Decode codewords (N, L) uint8 (L = 33..255, shortened by 255-L) in place of a copy.

    Returns the corrected codewords (in the input basis) and per-codeword corrected-symbol
    counts (0 when the syndromes are zero; -1 when uncorrectable: more than 16 errors detected,
    or a correction that does not give a valid codeword).
    """
    cw = np.array(np.atleast_2d(np.asarray(codewords, dtype=np.uint8)), copy=True)
    n_cw, length = cw.shape
    _check_len(length)
    S = syndromes(cw, dual)
    bad = np.flatnonzero(S.any(axis=1))
    corrected = np.zeros(n_cw, dtype=np.int64)
    if len(bad) == 0:
        return RSResult(cw, corrected)
    Sb = S[bad]
    lam, deg = _berlekamp_massey(Sb)
    # Chien search over the real positions p = 0..L-1: Λ(beta^{-p}) == 0
    p = np.arange(length)
    # only locators of degree ≤ 16 can be corrected; evaluate up to the largest such degree
    dmax = int(min(deg.max(), T_CORRECT))
    pw = (-(PRIM * p[:, None] * np.arange(dmax + 1)[None, :])) % 255  # (L, d+1) log of beta^{-p j}
    val = np.zeros((len(bad), length), dtype=np.uint8)
    powers = EXP_U8[pw].astype(np.intp)  # (L, d+1)
    for j in range(dmax + 1):  # Λ(x) at every position, one coefficient at a time
        val ^= MUL[lam[:, j][:, None], powers[None, :, j]]
    is_root = val == 0
    nroots = is_root.sum(axis=1)
    good = (deg <= T_CORRECT) & (nroots == deg) & (deg > 0)
    # Ω(x) = S(x) Λ(x) mod x^32 ; S(x) = sum S_i x^i
    Si = Sb.astype(np.intp)
    omega = np.zeros((len(bad), NROOTS), dtype=np.intp)
    for j in range(NROOTS + 1):
        lj = lam[:, j]
        if not lj.any():
            continue
        k = NROOTS - j
        if k <= 0:
            break
        omega[:, j:] ^= MUL[lj[:, None], Si[:, :k]]
    # Forney at every root: e = X^{1-FCR} Ω(X^{-1}) / Λ'(X^{-1}), X = beta^p
    mm, pp = np.nonzero(is_root & good[:, None])
    if len(mm):
        xinv_log = (-(PRIM * pp)) % 255
        om_terms = MUL[omega[mm], EXP_U8[(xinv_log[:, None] * np.arange(NROOTS)[None, :]) % 255].astype(np.intp)]
        om = np.bitwise_xor.reduce(om_terms, axis=1)
        # Λ'(x) = sum over odd j of Λ_j x^{j-1}
        odd = np.arange(1, NROOTS + 1, 2)
        dl_terms = MUL[lam[mm][:, odd], EXP_U8[(xinv_log[:, None] * (odd - 1)[None, :]) % 255].astype(np.intp)]
        dl = np.bitwise_xor.reduce(dl_terms, axis=1)
        x_log = (PRIM * pp) % 255
        num = MUL[om, EXP_U8[(x_log * (1 - FCR)) % 255].astype(np.intp)].astype(np.intp)
        dl_ok = dl != 0
        err = np.where(dl_ok, MUL[num, gf_inv(np.where(dl_ok, dl, 1)).astype(np.intp)], 0).astype(np.uint8)
        bad_dl = np.unique(mm[~dl_ok])
        good[bad_dl] = False
        sel = good[mm]
        rows = bad[mm[sel]]
        cols = length - 1 - pp[sel]
        if dual:
            conv = DUAL_TO_CONV[cw[rows, cols]] ^ err[sel]
            cw[rows, cols] = CONV_TO_DUAL[conv]
        else:
            cw[rows, cols] ^= err[sel]
    # verify: corrected codewords must have zero syndromes
    fixed_rows = bad[good]
    if len(fixed_rows):
        S2 = syndromes(cw[fixed_rows], dual)
        still = S2.any(axis=1)
        if still.any():
            # restore the received bytes of miscorrected words
            restore = fixed_rows[still]
            cw[restore] = np.atleast_2d(np.asarray(codewords, dtype=np.uint8))[restore]
            good[np.flatnonzero(good)[still]] = False
    corrected[bad] = np.where(good, deg, -1)
    return RSResult(cw, corrected)


# --- interleaving -----------------------------------------------------------------------------


def deinterleave(codeblocks: np.ndarray, depth: int) -> np.ndarray:
    """Codeblocks (N, I*L) → codewords (N*I, L); codeword k of a block holds bytes k, k+I, …"""
    cb = np.atleast_2d(codeblocks)
    n, total = cb.shape
    if not (1 <= depth <= 8) or total % depth:
        raise ValidationError(f"interleaving depth {depth} does not divide codeblock length {total}")
    return cb.reshape(n, total // depth, depth).transpose(0, 2, 1).reshape(n * depth, total // depth)


def interleave(codewords: np.ndarray, depth: int) -> np.ndarray:
    """Inverse of :func:`deinterleave`: (N*I, L) → (N, I*L)."""
    cw = np.atleast_2d(codewords)
    m, length = cw.shape
    if m % depth:
        raise ValidationError(f"{m} codewords are not a multiple of depth {depth}")
    return cw.reshape(m // depth, depth, length).transpose(0, 2, 1).reshape(m // depth, depth * length)


def encode_codeblocks(data_blocks: np.ndarray, depth: int, dual: bool = True) -> np.ndarray:
    """Data blocks (N, I*k) (the transfer frames) → codeblocks (N, I*(k+32)): frame then parity.

    CCSDS order: the I interleaved data parts first (the frame unchanged), then the I*32
    interleaved parity bytes.
    """
    d = np.atleast_2d(np.asarray(data_blocks, dtype=np.uint8))
    n, total = d.shape
    if total % depth:
        raise ValidationError(f"frame length {total} is not a multiple of interleaving depth {depth}")
    cw = encode(deinterleave(d, depth), dual)
    return interleave(cw, depth)


def decode_codeblocks(codeblocks: np.ndarray, depth: int, dual: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codeblocks (N, I*L) → (data blocks (N, I*(L-32)), corrected per block, uncorrectable per block).

    A block is uncorrectable when any of its I codewords is; its data are returned as received.
    """
    cb = np.atleast_2d(np.asarray(codeblocks, dtype=np.uint8))
    n, total = cb.shape
    res = decode(deinterleave(cb, depth), dual)
    fixed = interleave(res.codewords, depth)
    corr = res.corrected.reshape(n, depth)
    uncorrectable = (corr < 0).any(axis=1)
    corrected = np.where(corr > 0, corr, 0).sum(axis=1)
    data = fixed[:, : total - NROOTS * depth]
    return data, corrected, np.asarray(uncorrectable, dtype=bool)


def _valid_rows(cb: np.ndarray, depth: int, tab: np.ndarray) -> np.ndarray:
    n = cb.shape[0]
    cw = np.ascontiguousarray(deinterleave(cb, depth))
    acc = _xor_gather(tab, cw)
    return np.asarray(~acc.reshape(n, depth * 4).any(axis=1), dtype=bool)


def codeblocks_valid(codeblocks: np.ndarray, depth: int, dual: bool = True, workers: int | None = None) -> np.ndarray:
    """Fast check: True per codeblock when all its codewords have zero syndromes.

    The codewords are made contiguous (deinterleaved) and their syndromes accumulated by one
    table gather per byte position over all rows; large batches are split over threads
    (NumPy's ``take`` and XOR release the GIL), ``workers`` defaulting to the CPU count.
    """
    cb = np.atleast_2d(np.asarray(codeblocks, dtype=np.uint8))
    n, total = cb.shape
    if total % depth:
        raise ValidationError(f"interleaving depth {depth} does not divide codeblock length {total}")
    length = total // depth
    _check_len(length)
    tab = _syndrome_table(dual)[:length][::-1]
    if workers is None:
        import os

        workers = os.cpu_count() or 1
    workers = max(1, min(int(workers), n // 1024 or 1))
    if workers == 1:
        return _valid_rows(cb, depth, tab)
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, n, workers + 1).astype(int)
    with ThreadPoolExecutor(workers) as ex:
        parts = list(ex.map(lambda k: _valid_rows(cb[bounds[k] : bounds[k + 1]], depth, tab), range(workers)))
    return np.concatenate(parts)
