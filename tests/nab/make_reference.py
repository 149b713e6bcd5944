"""Regenerate the NAB subset and the reference scores the tests of ``protobrain.nab`` use.

    python tests/nab/make_reference.py --data NAB_DIR --nab NAB_GIT [--python2 PYTHON2 [--full]]

``NAB_DIR`` is a NAB folder with NAB's published ``random`` results under
``reference-results/`` (see tests/nab/README.md); ``NAB_GIT`` is a clone of
https://github.com/numenta/NAB (read with ``git show``, so a bare clone will do);
``PYTHON2`` is a Python 2.7 interpreter that can import pandas and simplejson (NAB 1.0 is
Python 2 code; numpy 1.16.6, pandas 0.24.2 and simplejson from PyPI will do). Writes:

- ``protobrain/nab/sample/``: the subset (:data:`FILES`), their labels,
  ``config/profiles.json`` (its README.md and NAB's licence stay);
- ``results/random/<category>/random_<file>.csv``: the ``random`` detector's scores of those
  files (columns ``timestamp,anomaly_score``, the text of ``anomaly_scores.csv.gz`` as is);
- ``reference/published_scores.csv``: the rows of ``random_<profile>_scores.csv`` for them;
- ``reference/nab_code.json``: what NAB's own code computes on the subset: its sweep
  (``nab/sweeper.py`` at :data:`SWEEP_COMMIT`) and the per-file scores of NAB 1.0's
  results (the sum of each ``S(t)_<profile>`` column of ``results/random/`` at
  :data:`NAB_1_0_COMMIT`);
- with ``--python2``, ``reference/nab_1_0_twiddle.json``: what NAB 1.0's own code (``nab/`` at
  :data:`NAB_1_0_TAG`, run by ``PYTHON2``) computes: its ``twiddle`` on hand-made objectives
  (:func:`twiddle_cases`: the parameter and score it returns and every evaluation), the
  hashes and iteration order of Python 2 dicts of floats (:func:`dict_keys`; for lists of
  more than 100 keys, SHA-256 digests of the keys and of the order), and its ``Runner``
  (optimize, score, normalize) on the subset for ``random`` and NAB's ``null`` detector
  (0.5 for every row): thresholds, every evaluation of the objective, raw and final scores;
- with ``--full`` too, ``reference/nab_1_0_corpus.json``: the same ``Runner`` run on all of
  ``NAB_DIR`` (hours: NAB 1.0 scores row by row), which ``benchmarks/nab_score.py``
  prints next to its own.

Not a test (it needs NAB's repository); the tests read what it wrote.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import hashlib
import importlib.util
import io
import json
import os
import random
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FILES = ("artificialNoAnomaly/art_flatline.csv", "realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv")
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
#: NAB's code today (the sweep scorer, 2019; MIT licence since this commit).
SWEEP_COMMIT = "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140"
#: "results files reflecting v1.0" (2015-10-09): the run behind NAB's published scores.
NAB_1_0_COMMIT = "38b9ff1ab6669de1d176d16aa3cfdb4bf3570972"
#: The tag v1.0 (2015-10-16): NAB 1.0's code, whose optimizer.py (twiddle) stayed until 2019.
NAB_1_0_TAG = "fbc52d451802f19a341fe1204fcd0a91a73bc24a"

#: Run by Python 2.7: NAB 1.0's twiddle on the hand-made cases, dict orders, and its Runner
#: on a NAB folder. Argument: a JSON file of {"code", "root", "detectors", "cases", "keys", "out"}.
NAB_1_0_DRIVER = r"""
import json
import os
import sys
import types

with open(sys.argv[1]) as f:
  job = json.load(f)
sys.path.insert(0, job["code"])
import pandas
if not hasattr(pandas, "tslib"):  # NAB 1.0 wrote pandas.tslib.Timestamp (pandas < 0.20)
  pandas.tslib = types.ModuleType("tslib")
  pandas.tslib.Timestamp = pandas.Timestamp
import nab.optimizer as optimizer
import nab.runner as runner_module

out = {"python": sys.version.split()[0], "pandas": pandas.__version__}

def steps(case, x):
  if case.get("unit", True) and not 0 <= x <= 1:
    return float("-inf")
  for threshold, value in case["levels"]:
    if threshold >= x:
      return value
  return case["above"]

cases = []
for case in job["cases"]:
  calls = []
  def objective(x, args, case=case, calls=calls):
    if case["kind"] == "quadratic":
      value = -(x - case["centre"]) ** 2
    else:
      value = steps(case, x)
    calls.append([x, value])
    return value
  kwargs = {"initialGuess": case["initial"], "tolerance": case["tolerance"]}
  if case.get("domain") is not None:
    kwargs["domain"] = tuple(case["domain"])
  stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
  try:
    x, score = optimizer.twiddle(objective, None, **kwargs)
  finally:
    sys.stdout.close()
    sys.stdout = stdout
  cases.append({"threshold": x, "score": score, "evaluations": calls})
out["cases"] = cases

orders = []
for keys in job["keys"]:
  d = {}
  for k in keys:
    d[k] = None
  orders.append({"hashes": [hash(k) for k in keys], "order": list(d.keys())})
out["orders"] = orders

if job["root"]:
  root = job["root"]
  record = {}
  state = {}
  original_objective = optimizer.objectiveFunction
  original_optimize = runner_module.optimizeThreshold
  def logged_objective(threshold, args):
    score = original_objective(threshold, args)
    state["calls"].append([threshold, score])
    return score
  def logged_optimize(args):
    state["calls"] = []
    found = original_optimize(args)
    record.setdefault(args[1], {})[args[2]] = {
      "threshold": found["threshold"], "score": found["score"], "evaluations": state["calls"]}
    return found
  optimizer.objectiveFunction = logged_objective
  runner_module.optimizeThreshold = logged_optimize
  runner = runner_module.Runner(
    dataDir=os.path.join(root, "data"),
    labelPath=os.path.join(root, "labels", "combined_windows.json"),
    resultsDir=os.path.join(root, "results"),
    profilesPath=os.path.join(root, "config", "profiles.json"),
    thresholdPath=os.path.join(root, "config", "thresholds.json"))
  runner.initialize()
  thresholds = runner.optimize(job["detectors"])
  runner.score(job["detectors"], thresholds)
  runner.normalize()
  with open(os.path.join(root, "results", "final_results.json")) as f:
    final = json.load(f)
  raw = {}
  for name in job["detectors"]:
    for profile in record[name]:
      path = os.path.join(root, "results", name, "%s_%s_scores.csv" % (name, profile))
      raw.setdefault(name, {})[profile] = float(pandas.read_csv(path)["Score"].iloc[-1])
  runner.pool.close()
  out["runner"] = {"optimize": record, "raw": raw, "final": final}

with open(job["out"], "w") as f:
  json.dump(out, f, indent=1, sort_keys=True)
"""


def git_show(repo: str, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def write_subset(data: Path) -> None:
    out = HERE.parent.parent / "protobrain" / "nab" / "sample"  # its README.md and licence stay
    for folder in ("data", "labels", "config"):
        if (out / folder).exists():
            shutil.rmtree(out / folder)
    for name in FILES:
        target = out / "data" / name
        target.parent.mkdir(parents=True)
        shutil.copyfile(data / "data" / name, target)
    (out / "labels").mkdir()
    (out / "config").mkdir()
    windows = json.loads((data / "labels" / "combined_windows.json").read_text(encoding="utf-8"))
    subset = {name: windows[name] for name in FILES}
    (out / "labels" / "combined_windows.json").write_text(
        json.dumps(subset, sort_keys=True, indent=4, separators=(",", ": ")) + "\n", encoding="utf-8"
    )
    shutil.copyfile(data / "config" / "profiles.json", out / "config" / "profiles.json")
    shutil.copyfile(data / "LICENSE.txt", out / "LICENSE.txt")


def write_results(data: Path) -> dict[str, list[tuple[str, str]]]:
    rows: dict[str, list[tuple[str, str]]] = {name: [] for name in FILES}
    with gzip.open(data / "reference-results" / "random" / "anomaly_scores.csv.gz", "rt", newline="") as f:
        for file, timestamp, score in csv.reader(f):
            if file in rows:
                rows[file].append((timestamp, score))
    folder = HERE / "results" / "random"
    if folder.exists():
        shutil.rmtree(folder)
    for name, values in rows.items():
        category, base = name.split("/")
        target = folder / category / f"random_{base}"
        target.parent.mkdir(parents=True)
        with open(target, "w", encoding="utf-8", newline="") as out:
            out.write("timestamp,anomaly_score\n")
            out.writelines(f"{t},{s}\n" for t, s in values)
    return rows


def write_published(data: Path) -> None:
    lines = []
    for profile in PROFILES:
        text = (data / "reference-results" / "random" / f"random_{profile}_scores.csv").read_text(encoding="utf-8")
        header, *body = text.splitlines()
        lines += [line for line in body if line.split(",")[2] in FILES]
    (HERE / "reference").mkdir(exist_ok=True)
    (HERE / "reference" / "published_scores.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def nab_sweeper(repo: str) -> Any:
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "sweeper.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(git_show(repo, SWEEP_COMMIT, "nab/sweeper.py"))
    spec = importlib.util.spec_from_file_location("nab_sweeper", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_nab_code(data: Path, repo: str, rows: dict[str, list[tuple[str, str]]]) -> None:
    sweeper = nab_sweeper(repo)
    profiles = json.loads((data / "config" / "profiles.json").read_text(encoding="utf-8"))
    windows = json.loads((data / "labels" / "combined_windows.json").read_text(encoding="utf-8"))
    published = {}
    with open(HERE / "reference" / "published_scores.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            published[row["Profile"]] = float(row["Threshold"])
    parsed = {}
    for name in FILES:
        times = [datetime.datetime.fromisoformat(t) for t, _ in rows[name]]
        scores = [float(s) for _, s in rows[name]]
        limits = [tuple(datetime.datetime.fromisoformat(t) for t in w) for w in windows[name]]
        parsed[name] = (times, scores, limits)

    out: dict[str, object] = {"sweep_commit": SWEEP_COMMIT, "nab_1_0_commit": NAB_1_0_COMMIT, "profiles": {}}
    for profile in PROFILES:
        sweep = sweeper.Sweeper(probationPercent=0.15, costMatrix=profiles[profile]["CostMatrix"])
        points = []
        for name in FILES:
            times, scores, limits = parsed[name]
            points += sweep.calcSweepScore(times, scores, limits, name)
        by_threshold = sweep.calcScoreByThreshold(points)
        best = sorted(by_threshold, key=lambda x: x.score, reverse=True)[0]

        def per_file(threshold: float, sweep: Any = sweep) -> dict[str, dict[str, float]]:
            found = {}
            for name in FILES:
                times, scores, limits = parsed[name]
                _, row = sweep.scoreDataSet(times, scores, limits, name, threshold)
                found[name] = {"score": row.score, "tp": row.tp, "tn": row.tn, "fp": row.fp, "fn": row.fn}
            return found

        nab_1_0 = {}
        for name in FILES:
            category, base = name.split("/")
            text = git_show(repo, NAB_1_0_COMMIT, f"results/random/{category}/random_{base}")
            nab_1_0[name] = sum(float(r[f"S(t)_{profile}"]) for r in csv.DictReader(io.StringIO(text)))
        out["profiles"][profile] = {
            "sweep": {
                "count": len(by_threshold),
                "top": [[t.threshold, t.score, t.tp, t.tn, t.fp, t.fn] for t in by_threshold[:30]],
                "best": [best.threshold, best.score],
                "files_at_best": per_file(best.threshold),
            },
            "published_threshold": published[profile],
            "files_at_published": per_file(published[profile]),
            "nab_1_0_scores": nab_1_0,
        }
    text = json.dumps(out, indent=1)
    # Lists of numbers on one line each.
    text = re.sub(r"\[\s*([^\[\]{}]*?)\s*\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    (HERE / "reference" / "nab_code.json").write_text(text + "\n", encoding="utf-8")


def twiddle_cases() -> list[dict[str, Any]]:
    """Objectives for NAB 1.0's twiddle: quadratics ``-(x - centre) ** 2`` (unbounded, some
    with a domain) and step functions as NAB's objective is one (``levels``: ascending
    ``[threshold, value]``, the value at ``x`` being that of the first threshold ``>= x``,
    ``above`` past the last, ``-inf`` outside [0, 1]), many with plateaus, so ties."""
    quadratic = {"kind": "quadratic", "initial": 0.5, "tolerance": 1e-5}
    steps = {"kind": "steps", "initial": 0.5, "tolerance": 1e-7}
    cases: list[dict[str, Any]] = [
        {"name": "peak at 0.73", **quadratic, "centre": 0.73},
        {"name": "peak at 0.31, NAB's tolerance", **quadratic, "centre": 0.31, "tolerance": 1e-7},
        {"name": "peak above the domain", **quadratic, "centre": 0.9, "domain": [0.0, 0.55]},
        {"name": "peak below the domain", **quadratic, "centre": -0.4, "domain": [0.35, 1.0]},
        {"name": "flat: every parameter ties", **steps, "levels": [], "above": 3.0, "tolerance": 1e-5},
        {"name": "a plateau", **steps, "levels": [[0.3, 1.0], [0.62, 2.0], [0.7, 2.0], [0.9, 0.5]], "above": 0.0},
        {
            "name": "a narrow peak it misses",
            **steps,
            "levels": [[0.2, 0.0], [0.2001, 5.0], [0.55, 0.0], [0.58, 1.0]],
            "above": 0.0,
        },
        {"name": "no detection is best", **steps, "levels": [[0.5, -3.0], [0.999, -1.0]], "above": 0.0},
        {
            "name": "from 0.9",
            **steps,
            "levels": [[0.25, 1.0], [0.8, 0.0], [0.95, 0.5]],
            "above": -1.0,
            "initial": 0.9,
        },
    ]
    rng = random.Random(2015)
    for k in range(30):
        count = rng.randint(1, 40)
        digits = rng.choice([2, 3, 12])
        thresholds = sorted({round(rng.random(), digits) for _ in range(count)})
        cases.append(
            {
                "name": f"random steps {k}",
                "kind": "steps",
                "levels": [[t, float(rng.randint(-4, 4))] for t in thresholds],
                "above": float(rng.randint(-4, 4)),
                "initial": rng.choice([0.5, 0.5, 0.3, 0.77]),
                "tolerance": rng.choice([1e-3, 1e-5, 1e-7]),
            }
        )
    return cases


def dict_keys() -> list[list[float]]:
    """Lists of distinct floats whose Python 2 dict order the tests check: parameters as
    twiddle makes them, random ones, integers (hashed as ints), huge ones (hashed as longs)
    and infinities, of sizes across several resizes of the table, and 60,000 keys (past
    50,000 the table grows by less)."""
    rng = random.Random(27)
    lists = []
    for size in (1, 5, 6, 7, 12, 30, 66, 200, 700):
        twiddled = [0.5 + rng.randint(-40, 40) * 0.1 * 2.0 ** -rng.randint(0, 24) for _ in range(size)]
        uniform = [rng.uniform(-1e6, 1e6) for _ in range(size)] + [1e300, -1e-300, 5e-324, -0.5]
        whole = [float(rng.randint(-(10**6), 10**6)) for _ in range(size)]
        whole += [2.0**62 + 2.0**20, -(2.0**63), 3 * 2.0**64, float("inf"), float("-inf"), -1.0, 0.0]
        lists += [list(dict.fromkeys(keys)) for keys in (twiddled, uniform, whole)]
    lists.append([i / 1024 + 1 / 4096 for i in range(60000)])
    return lists


def run_nab_1_0(repo: str, python2: str, root: Path | None, detectors: list[str], cases: list, keys: list) -> Any:
    """Run :data:`NAB_1_0_DRIVER` with NAB 1.0's code (``git archive`` of :data:`NAB_1_0_TAG`)."""
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder) / "code"
        code.mkdir()
        archive = subprocess.run(["git", "-C", repo, "archive", NAB_1_0_TAG, "nab"], check=True, capture_output=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(code, filter="data")
        driver = Path(folder) / "driver.py"
        driver.write_text(NAB_1_0_DRIVER, encoding="utf-8")
        out = Path(folder) / "out.json"
        job = {
            "code": str(code),
            "root": str(root) if root else None,
            "detectors": detectors,
            "cases": cases,
            "keys": keys,
            "out": str(out),
        }
        (Path(folder) / "job.json").write_text(json.dumps(job), encoding="utf-8")
        subprocess.run([python2, str(driver), "job.json"], check=True, cwd=folder, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))


def nab_folder(target: Path, data: Path, files: list[str] | None) -> None:
    """A NAB folder for NAB 1.0's Runner: ``files`` (default: all labelled) of ``data``, their
    labels, the profiles, and results of ``random`` (its published scores, as text) and of
    NAB's ``null`` detector (0.5 for every row)."""
    windows = json.loads((data / "labels" / "combined_windows.json").read_text(encoding="utf-8"))
    names = sorted(windows) if files is None else files
    for name in names:
        (target / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data / "data" / name, target / "data" / name)
    (target / "labels").mkdir(parents=True)
    (target / "config").mkdir(parents=True)
    subset = {name: windows[name] for name in names}
    (target / "labels" / "combined_windows.json").write_text(json.dumps(subset, indent=4), encoding="utf-8")
    shutil.copyfile(data / "config" / "profiles.json", target / "config" / "profiles.json")
    rows: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    with gzip.open(data / "reference-results" / "random" / "anomaly_scores.csv.gz", "rt", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for file, timestamp, value in reader:
            if file in rows:
                rows[file].append((timestamp, value))
    for detector in ("random", "null"):
        for name, values in rows.items():
            category, base = name.split("/")
            path = target / "results" / detector / category / f"{detector}_{base}"
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as out:
                out.write("timestamp,anomaly_score\n")
                out.writelines(f"{t},{v if detector == 'random' else '0.5'}\n" for t, v in values)


def compact(value: Any) -> str:
    """JSON with lists of numbers on one line each."""
    text = json.dumps(value, indent=1)
    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def order_digest(order: list[float]) -> str:
    """A digest of a list of floats (their shortest repr, one a line)."""
    return hashlib.sha256("".join(f"{k!r}\n" for k in order).encode()).hexdigest()


def write_nab_1_0(data: Path, repo: str, python2: str, full: bool) -> None:
    cases = twiddle_cases()
    keys = dict_keys()
    with tempfile.TemporaryDirectory() as folder:
        nab_folder(Path(folder), data, list(FILES))
        found = run_nab_1_0(repo, python2, Path(folder), ["random", "null"], cases, keys)
    orders: list[dict[str, Any]] = []
    for k, (listed, got) in enumerate(zip(keys, found["orders"])):
        if len(listed) > 100:  # digests: the tests make the keys again with dict_keys()
            orders.append(
                {
                    "dict_keys": k,
                    "count": len(listed),
                    "keys_sha256": order_digest(listed),
                    "order_sha256": order_digest(got["order"]),
                }
            )
        else:
            orders.append({"keys": listed, "hashes": got["hashes"], "order": got["order"]})
    out = {
        "nab_1_0_tag": NAB_1_0_TAG,
        "python": found["python"],
        "pandas": found["pandas"],
        "cases": [{**case, **result} for case, result in zip(cases, found["cases"])],
        "orders": orders,
        "subset": found["runner"],
    }
    (HERE / "reference" / "nab_1_0_twiddle.json").write_text(compact(out), encoding="utf-8")
    if full:
        with tempfile.TemporaryDirectory() as folder:
            nab_folder(Path(folder), data, None)
            corpus = run_nab_1_0(repo, python2, Path(folder), ["random", "null"], [], [])
        out = {"nab_1_0_tag": NAB_1_0_TAG, "python": corpus["python"], "pandas": corpus["pandas"], **corpus["runner"]}
        (HERE / "reference" / "nab_1_0_corpus.json").write_text(compact(out), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="NAB folder with reference-results/")
    parser.add_argument("--nab", required=True, help="a clone of numenta/NAB")
    parser.add_argument("--python2", help="Python 2.7 with pandas and simplejson, to run NAB 1.0's code")
    parser.add_argument("--full", action="store_true", help="with --python2: NAB 1.0 on the whole corpus too (slow)")
    args = parser.parse_args()
    write_subset(args.data)
    rows = write_results(args.data)
    write_published(args.data)
    write_nab_code(args.data, args.nab, rows)
    if args.python2:
        write_nab_1_0(args.data, args.nab, args.python2, args.full)


if __name__ == "__main__":
    main()
