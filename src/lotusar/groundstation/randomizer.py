"""CCSDS pseudo-randomiser (CCSDS 131.0-B-4 §10; the TM randomiser).

Sequence from h(x) = x^8 + x^7 + x^5 + x^3 + 1, register preset to all ones at the start of
each codeblock (right after the ASM), period 255 bits... repeated every 255 *bytes* when taken
8 bits at a time MSB first (the LFSR has period 255 bits, so 255 bytes hold 8 periods). The
sequence is XORed onto the codeblock; XOR is an involution, so the same function
randomises and derandomises. Starts ff 48 0e c0 9a 0d 70 bc …
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def pn_sequence_255() -> np.ndarray:
    """One period (255 bytes) of the randomiser sequence, MSB first."""
    state = [1] * 8  # x1..x8, all ones
    bits = np.zeros(255 * 8, dtype=np.uint8)
    for i in range(255 * 8):
        bits[i] = state[0]
        fb = state[0] ^ state[3] ^ state[5] ^ state[7]
        state = state[1:] + [fb]
    return np.packbits(bits)


@lru_cache(maxsize=16)
def pn_sequence(length: int) -> np.ndarray:
    """The randomiser sequence for a codeblock of ``length`` bytes."""
    reps = -(-length // 255)
    return np.tile(pn_sequence_255(), reps)[:length]


def randomize(blocks: np.ndarray) -> np.ndarray:
    """XOR each codeblock (…, L) with the sequence (also derandomises)."""
    b = np.asarray(blocks, dtype=np.uint8)
    return b ^ pn_sequence(b.shape[-1])
