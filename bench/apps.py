"""Applications benchmarks: flood and ship throughput at 10 m, and accuracy on the development sets.

Every figure is reported next to a baseline measured in the same run on the same input:

* **Throughput** on a synthetic dual-pol (VV, VH) Sentinel-1-like scene at 10 m pixels
  (speckle 4.4 looks, open water bodies, point ships on the sea), in km²/s with the peak
  traced memory (tracemalloc, NumPy allocations) in bytes per pixel:
  - flood: ``lotusar.apps.flood.map_floods`` (tiles, three classifiers, vote) against the
    plain baseline, one Otsu threshold on VH (``skimage.filters.threshold_otsu``'s rule);
  - ships: ``lotusar.apps.ships.detect_ships`` (land mask, censored CFAR, clustering,
    discrimination) against the plain baseline, one CA-CFAR pass (running box sums) and
    8-connected clustering, no land mask.
* **Accuracy on the development sets** (``../shared/data``; skipped when absent), no parameter
  fitted to their labels:
  - ``sen1floods11-spain-chip``: IoU of water (classes 1+2+3) vs the hand label, against Otsu
    on VH and VV and the best single VH threshold chosen *with* the label (an oracle);
  - ``flood-ombria-dev`` (88 grey-level before/after chips): pooled IoU of open flood (class 1)
    with ``--pre`` and of water (1+2+3) without, against the README's baselines recomputed
    here (Otsu on AFTER, Otsu on AFTER − BEFORE) and the oracle single AFTER threshold;
  - ``hrsid-ship-chips``: recall (ships with a detection inside their bounding box) and
    precision (detections inside some ship's box) per chip and pooled, against the baseline
    CA-CFAR.

Full run: a 10,000 × 10,000 scene (100 km × 100 km; the flood map needs ~12 GB).
``--quick``: 2,000 × 2,000. Usage: ``python bench/apps.py [--quick] [--size N] [--no-dev]``;
prints tables and writes ``bench/results/apps.json`` (``apps_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table
from scipy import ndimage as ndi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from lotusar.apps import cfar, flood, ships  # noqa: E402
from lotusar.apps.thresholds import otsu_threshold  # noqa: E402
from lotusar.cliutil import to_json  # noqa: E402
from lotusar.fileio import write_text_atomic  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
HRSID = ("P0094_0_800_3000_3800", "P0119_2400_3200_6000_6800", "P0123_4800_5600_4800_5600",
         "P0135_1800_2600_4800_5600")


def timed(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, dt, peak


def synthetic_scene(n: int, seed: int = 0):
    """VV/VH dB with elliptical water bodies and a few hundred point ships on the water."""
    rng = np.random.default_rng(seed)
    yy, xx = np.ogrid[:n, :n]
    water = np.zeros((n, n), bool)
    for _ in range(max(3, n // 200)):
        r0, c0, a, b = rng.uniform(0, n), rng.uniform(0, n), rng.uniform(20, n / 8), rng.uniform(20, n / 8)
        water |= ((yy - r0) / a) ** 2 + ((xx - c0) / b) ** 2 < 1
    vv = np.where(water, 10 ** (-2.0), 10 ** (-0.9)) * rng.gamma(4.4, 1 / 4.4, (n, n))
    vh = np.where(water, 10 ** (-2.7), 10 ** (-1.6)) * rng.gamma(4.4, 1 / 4.4, (n, n))
    # ships on open water: at least 100 m (10 px) from any shore, on a 50 px lattice
    open_water = ndi.binary_erosion(water, np.ones((21, 21), bool))
    wr, wc = np.nonzero(open_water[25::50, 25::50])
    pick = rng.choice(wr.size, size=min(wr.size, max(10, n // 20)), replace=False) if wr.size else []
    ships_rc = np.stack([wr[pick] * 50 + 25, wc[pick] * 50 + 25], 1) if wr.size else np.zeros((0, 2), int)
    for r, c in ships_rc:
        vv[r - 1:r + 2, c - 2:c + 3] = 10.0  # a 5 × 3 px (50 m × 30 m) hull, +20 dB
    return 10 * np.log10(vv).astype(np.float32), 10 * np.log10(vh).astype(np.float32), water, ships_rc


def baseline_ca_cfar(intensity: np.ndarray, spacing: float, pfa: float = 1e-9) -> list[tuple[float, float]]:
    """One CA-CFAR pass (lotusar's box-sum CA-CFAR), 8-connected blobs of ≥ 4 px, no land mask."""
    w = cfar.windows_px(spacing, spacing, 100.0 if spacing < 5 else 210.0, 200.0 if spacing < 5 else 510.0)
    det, _, _ = cfar.ca_cfar(intensity, w, pfa)
    lab, n = ndi.label(det, np.ones((3, 3)))
    if n == 0:
        return []
    idx = np.arange(1, n + 1)
    cnt = ndi.sum(np.ones(det.shape), lab, idx)
    com = ndi.center_of_mass(det, lab, idx)
    return [(float(r), float(c)) for (r, c), k in zip(com, cnt) if k >= 4]


def throughput(n: int, spacing: float) -> tuple[list[dict], dict]:
    vv_db, vh_db, water, ships_rc = synthetic_scene(n)
    km2 = (n * spacing / 1000.0) ** 2
    px = n * n
    rows = []
    r, t_fl, m_fl = timed(lambda: flood.map_floods({"VV": vv_db, "VH": vh_db}, spacing))
    wmap = (r.classes >= 1) & (r.classes <= 3)
    iou = float((wmap & water).sum() / (wmap | water).sum())
    del r, wmap
    ob, t_ob, m_ob = timed(lambda: vh_db < otsu_threshold(vh_db))
    iou_b = float((ob & water).sum() / (ob | water).sum())
    del ob
    rows.append({"stage": "flood map lotusar (VV+VH)", "seconds": t_fl, "km2_per_s": km2 / t_fl,
                 "peak_bytes_per_px": m_fl / px, "score": iou, "score_name": "IoU"})
    rows.append({"stage": "flood baseline: Otsu on VH", "seconds": t_ob, "km2_per_s": km2 / t_ob,
                 "peak_bytes_per_px": m_ob / px, "score": iou_b, "score_name": "IoU"})
    inten = 10 ** (vv_db.astype(np.float64) / 10)

    def ship_score(points):
        if not len(points):
            return 0.0, 0.0
        p = np.array(points)
        d = np.sqrt(((p[:, None, :] - ships_rc[None, :, :]) ** 2).sum(-1))
        return float((d.min(0) <= 3).mean()), float((d.min(1) <= 3).mean())

    dets, t_sh, m_sh = timed(lambda: ships.detect_ships(inten, spacing, kind="intensity"))
    rec, prec = ship_score([(d.row, d.col) for d in dets])
    bl, t_bl, m_bl = timed(lambda: baseline_ca_cfar(inten, spacing))
    rec_b, prec_b = ship_score(bl)
    rows.append({"stage": "ships lotusar (detect_ships)", "seconds": t_sh, "km2_per_s": km2 / t_sh,
                 "peak_bytes_per_px": m_sh / px, "score": rec, "score_name": "recall", "precision": prec})
    rows.append({"stage": "ships baseline: one CA-CFAR pass", "seconds": t_bl, "km2_per_s": km2 / t_bl,
                 "peak_bytes_per_px": m_bl / px, "score": rec_b, "score_name": "recall", "precision": prec_b})
    return rows, {"scene_px": n, "pixel_spacing_m": spacing, "scene_km2": km2, "ships_injected": int(len(ships_rc))}


def _iou(pred, truth, valid=None):
    v = np.ones(truth.shape, bool) if valid is None else valid
    return int((pred & truth & v).sum()), int(((pred | truth) & v).sum())


def dev_spain() -> list[dict]:
    import rasterio

    d = DATA / "sen1floods11-spain-chip"
    with rasterio.open(d / "Spain_7370579_S1Hand.tif") as ds:
        vv, vh = ds.read().astype(np.float64)
    with rasterio.open(d / "Spain_7370579_LabelHand.tif") as ds:
        label = ds.read(1)
    valid, truth = label >= 0, label == 1
    res = flood.map_floods({"VV": vv, "VH": vh}, 10.0)
    rows = []
    for name, pred in [("lotusar (VV+VH)", (res.classes >= 1) & (res.classes <= 3)),
                       ("Otsu on VH", vh < otsu_threshold(vh)), ("Otsu on VV", vv < otsu_threshold(vv))]:
        i, u = _iou(pred, truth, valid)
        rows.append({"set": "sen1floods11-spain-chip", "method": name, "IoU": i / u})
    oracle = max(np.divide(*_iou(vh < t, truth, valid)) for t in np.arange(-30.0, -12.0, 0.25))
    rows.append({"set": "sen1floods11-spain-chip", "method": "oracle single VH threshold (label)", "IoU": float(oracle)})
    return rows


def dev_ombria() -> list[dict]:
    d = DATA / "flood-ombria-dev" / "france"
    acc = {k: [0, 0] for k in ("pre", "post", "otsu_after", "otsu_diff", "oracle")}

    def add(key, pred, truth):
        i, u = _iou(pred, truth)
        acc[key][0] += i
        acc[key][1] += u

    for k in range(88):
        a = np.array(Image.open(d / "AFTER" / f"imafter_{k}.png")).astype(np.float64)
        b = np.array(Image.open(d / "BEFORE" / f"imbefore_{k}.png")).astype(np.float64)
        m = np.array(Image.open(d / "MASK" / f"gt_{k}.png")) > 127
        res = flood.map_floods({"B1": a}, 10.0, scale="grey", pre_bands_db={"B1": b})
        add("pre", res.classes == flood.CLASS_OPEN_FLOOD, m)
        res = flood.map_floods({"B1": a}, 10.0, scale="grey")
        add("post", (res.classes >= 1) & (res.classes <= 3), m)
        add("otsu_after", a <= _otsu_int(a.astype(int), 0, 255), m)
        diff = (a - b).astype(int)
        add("otsu_diff", diff <= _otsu_int(diff, -255, 255), m)
        add("oracle", a <= 66, m)  # README: best fixed AFTER threshold, chosen with the masks
    names = {"pre": "lotusar --pre (open flood)", "post": "lotusar AFTER only (water)",
             "otsu_after": "Otsu on AFTER (README 0.2032)", "otsu_diff": "Otsu on AFTER − BEFORE (README 0.1662)",
             "oracle": "oracle AFTER ≤ 66 (README 0.527)"}
    return [{"set": "flood-ombria-dev (88 chips, pooled)", "method": names[k], "IoU": v[0] / v[1]}
            for k, v in acc.items()]


def _otsu_int(x: np.ndarray, lo: int, hi: int) -> int:
    """Otsu with one bin per integer, water = value ≤ t (the README's baseline rule)."""
    counts = np.bincount((x - lo).ravel(), minlength=hi - lo + 1).astype(np.float64)
    vals = np.arange(lo, hi + 1, dtype=np.float64)
    w0 = np.cumsum(counts)
    m0 = np.cumsum(counts * vals)
    tot, mt = w0[-1], m0[-1]
    w1 = tot - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 / tot - m0) ** 2 / (w0 * w1 / tot)
    between[~np.isfinite(between)] = -1
    return int(vals[int(np.argmax(between))])


def _hrsid(name: str):
    d = DATA / "hrsid-ship-chips"
    a = np.array(Image.open(d / f"{name}.png"))[..., 0]
    m = np.array(Image.open(d / f"{name}_instance_id_RGB.png")).astype(np.int64)
    code = m[..., 0] * 65536 + m[..., 1] * 256 + m[..., 2]
    boxes = []
    for c in np.unique(code):
        if c:
            rr, cc = np.nonzero(code == c)
            boxes.append((rr.min(), rr.max(), cc.min(), cc.max()))
    return a, boxes


def box_score(points, boxes) -> tuple[int, int, int, int]:
    """(ships hit, ships, detections in a box, detections)."""
    hit = np.zeros(len(boxes), bool)
    tp = 0
    for r, c in points:
        inside = [i for i, (r0, r1, c0, c1) in enumerate(boxes) if r0 <= r <= r1 and c0 <= c <= c1]
        if inside:
            tp += 1
            hit[inside] = True
        del inside
    return int(hit.sum()), len(boxes), tp, len(points)


def dev_hrsid() -> list[dict]:
    rows = []
    tot = {"lotusar": np.zeros(4), "baseline CA-CFAR": np.zeros(4)}
    for name in HRSID:
        a, boxes = _hrsid(name)
        dets = ships.detect_ships(a.astype(np.int64), 1.0)
        s1 = box_score([(d.row, d.col) for d in dets], boxes)
        s2 = box_score(baseline_ca_cfar(a.astype(np.float64) ** 2, 1.0), boxes)
        for key, s in (("lotusar", s1), ("baseline CA-CFAR", s2)):
            tot[key] += s
            rows.append({"set": f"hrsid {name[:5]}", "method": key, "recall": s[0] / s[1],
                         "precision": s[2] / max(s[3], 1), "ships": s[1], "detections": s[3]})
    for key, s in tot.items():
        rows.append({"set": "hrsid (4 chips, pooled)", "method": key, "recall": s[0] / s[1],
                     "precision": s[2] / max(s[3], 1), "ships": int(s[1]), "detections": int(s[3])})
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 x 2,000 scene")
    ap.add_argument("--size", type=int, default=None, help="scene side in pixels (default 10,000; quick 2,000)")
    ap.add_argument("--no-dev", action="store_true", help="skip the development-set accuracy table")
    args = ap.parse_args(argv)
    n = args.size or (2000 if args.quick else 10000)
    spacing = 10.0
    console = Console()
    rows, res = throughput(n, spacing)
    tab = Table(title=f"lotusar apps — {n}×{n} px at {spacing:.0f} m ({res['scene_km2']:.0f} km²), same run")
    for c in ("stage", "seconds", "km²/s", "peak B/px", "score"):
        tab.add_column(c)
    for rw in rows:
        score = f"{rw['score_name']} {rw['score']:.3f}" + (f", precision {rw['precision']:.3f}" if "precision" in rw else "")
        tab.add_row(rw["stage"], f"{rw['seconds']:.2f}", f"{rw['km2_per_s']:.1f}", f"{rw['peak_bytes_per_px']:.0f}",
                    score)
    console.print(tab)
    res["throughput"] = rows
    if not args.no_dev and DATA.is_dir():
        dev = []
        if (DATA / "sen1floods11-spain-chip").is_dir():
            dev += dev_spain()
        if (DATA / "flood-ombria-dev").is_dir():
            dev += dev_ombria()
        if (DATA / "hrsid-ship-chips").is_dir():
            dev += dev_hrsid()
        t2 = Table(title="development sets (labels used only to score)")
        for c in ("set", "method", "IoU", "recall", "precision"):
            t2.add_column(c)
        for rw in dev:
            t2.add_row(rw["set"], rw["method"], *(f"{rw[k]:.3f}" if k in rw else "" for k in ("IoU", "recall",
                                                                                                "precision")))
        console.print(t2)
        res["development_sets"] = dev
    res["quick"] = bool(args.quick)
    out = ROOT / "bench" / "results" / ("apps_quick.json" if args.quick else "apps.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, to_json(res) + "\n")
    console.print(f"written {out}")
    return res


if __name__ == "__main__":
    main()
