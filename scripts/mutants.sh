#!/usr/bin/env bash
# Mutation testing of the Rust engine: does the test suite notice when the code is wrong?
#
#   bash scripts/mutants.sh [OUT]          (OUT defaults to mutants.out/)
#
# Phase 1: cargo-mutants changes the engine one small edit at a time (an operator, a
# constant, a function body replaced by a default) and runs the engine's Rust tests on
# each; a mutant the tests pass is "missed".
# Phase 2: each missed mutant is applied to a scratch copy, the Python extension is built
# from it (debug profile) and the Python oracle tests (tests/engine, tests/model: the
# engine against tests/reference.py) run on it; a failure there catches it after all.
# The summary counts caught, missed, unviable (does not build) and timed-out mutants, and
# lists the mutants neither suite catches in OUT/survivors.txt.
#
# Too slow for CI on two cores (two to three hours for the ~1,000 mutants); run it before a
# release. Needs cargo-mutants (`cargo install cargo-mutants --locked`). See
# docs/mutation-testing.md for the last result and why each survivor survives.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$(realpath -m "${1:-mutants.out}")
jobs=${MUTANTS_JOBS:-2}

engine=""
for candidate in rust/engine/src rust/src/engine; do
    [ -d "$candidate" ] && engine=$candidate && break
done
[ -n "$engine" ] || { echo "no engine sources found" >&2; exit 1; }
command -v cargo-mutants >/dev/null || { echo "needs cargo-mutants: cargo install cargo-mutants --locked" >&2; exit 1; }

mkdir -p "$out"
if [ -z "${SKIP_PHASE1:-}" ]; then  # SKIP_PHASE1=1 reuses OUT's phase-1 results
    echo "== phase 1: cargo-mutants over $engine with the Rust tests"
    cargo mutants -f "$engine/*.rs" -e "$engine/test_support.rs" \
        -j "$jobs" --timeout 120 -o "$out" || true  # exits non-zero when any mutant is missed
fi
results="$out/mutants.out"

echo "== phase 2: the Python oracle tests on each mutant the Rust tests missed"
scratch=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$scratch" >/dev/null 2>&1 || rm -rf "$scratch"' EXIT
git worktree add -q --detach "$scratch" HEAD
python3 -m venv "$scratch/.venv"
"$scratch/.venv/bin/pip" install -q maturin "numpy>=1.24" "protobuf>=7.35.1" "tqdm>=4.60" pytest hypothesis
build() { (cd "$scratch" && VIRTUAL_ENV="$scratch/.venv" "$scratch/.venv/bin/maturin" develop -q >/dev/null 2>&1); }
oracle() { (cd "$scratch" && CI=true "$scratch/.venv/bin/python" -m pytest -x -q -p no:cacheprovider tests/engine tests/model >/dev/null 2>&1); }
build && oracle || { echo "the unmutated tree fails the oracle tests" >&2; exit 1; }

: >"$out/caught-by-python.txt"
: >"$out/survivors.txt"
python3 - "$results/outcomes.json" >"$out/missed-diffs.txt" <<'EOF'
import json, sys
for outcome in json.load(open(sys.argv[1]))["outcomes"]:
    if outcome.get("summary") == "MissedMutant":
        scenario = outcome["scenario"]["Mutant"]
        sys.stdout.write(f"{outcome['diff_path']}\t{scenario['name']}\n")
EOF
while IFS=$'\t' read -r diff name; do
    git -C "$scratch" checkout -q -- rust
    if ! (cd "$scratch" && patch -s "$(head -1 "$results/$diff" | sed "s/^--- //")" <"$results/$diff") 2>/dev/null; then
        echo "$name (diff does not apply)" >>"$out/survivors.txt"
        continue
    fi
    if build && ! oracle; then
        echo "$name" >>"$out/caught-by-python.txt"
    else
        echo "$name" >>"$out/survivors.txt"
    fi
done <"$out/missed-diffs.txt"
git -C "$scratch" checkout -q -- rust

count() { [ -f "$1" ] && grep -c . "$1" || echo 0; }
caught=$(count "$results/caught.txt")
python=$(count "$out/caught-by-python.txt")
survivors=$(count "$out/survivors.txt")
unviable=$(count "$results/unviable.txt")
timeouts=$(count "$results/timeout.txt")
viable=$((caught + python + survivors + timeouts))
echo
echo "mutants that build: $viable (unviable: $unviable)"
echo "caught by the Rust tests: $caught; by the Python oracle tests: $python; timed out (caught): $timeouts"
echo "survivors: $survivors (listed in $out/survivors.txt)"
python3 -c "print(f'caught: {100 * ($caught + $python + $timeouts) / max(1, $viable):.1f}% of the mutants that build')"
