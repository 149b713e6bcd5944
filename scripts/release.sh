#!/usr/bin/env bash
# Build protobrain's release artefacts here and check them as a user would install them.
#
#   bash scripts/release.sh [OUT]        (OUT defaults to dist/)
#
# 1. the sdist, and an abi3 manylinux2014 wheel for x86_64 (and aarch64 when the Rust
#    target can be added), cross-built with zig so they run on glibc >= 2.17;
# 2. `auditwheel show` on every wheel: the script stops unless each is manylinux_2_17;
# 3. for the oldest and the newest CPython this machine has (3.10 and up), a fresh venv
#    with the x86_64 wheel installed and a PATH without cargo or rustc, then the test
#    suite run against the installed package (PROTOBRAIN_TEST_INSTALLED=1 makes the
#    suite refuse to run on the source folder);
# 4. the sdist installed into a fresh venv from scratch (this step needs Rust, as a user
#    building on an unusual platform has), then imported and stepped.
# Tools (maturin, ziglang, auditwheel) go into a venv of their own under OUT/.tools.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$(realpath -m "${1:-dist}")
mkdir -p "$out"
tools="$out/.tools"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "tools: maturin, ziglang, auditwheel"
python3 -m venv "$tools"
"$tools/bin/pip" install -q "maturin>=1.9.4,<2" ziglang auditwheel
export PATH="$tools/bin:$PATH"

step "sdist"
rm -f "$out"/protobrain-*.tar.gz "$out"/protobrain-*.whl
maturin sdist --out "$out"

step "wheel: x86_64, manylinux2014, abi3"
maturin build --release --locked --zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu --out "$out"

step "wheel: aarch64, manylinux2014, abi3 (cross-built with zig)"
if rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1; then
    maturin build --release --locked --zig --compatibility manylinux2014 --target aarch64-unknown-linux-gnu --out "$out"
else
    echo "skipped: the aarch64-unknown-linux-gnu Rust target cannot be added here"
fi

step "auditwheel"
for wheel in "$out"/protobrain-*.whl; do
    report=$(auditwheel show "$wheel")
    echo "$report"
    grep -q 'consistent with the following platform tag' <<<"$report"
    grep -q '"manylinux_2_17_' <<<"$report" || { echo "not manylinux_2_17: $wheel" >&2; exit 1; }
done

# A PATH with Python but without cargo and rustc: what a user without Rust has.
plain_path="$work/bin"
mkdir -p "$plain_path"
for tool in git; do ln -s "$(command -v "$tool")" "$plain_path/$tool"; done
wheel=$(ls "$out"/protobrain-*x86_64*.whl)
# A CPython 3.N that runs: on PATH, or one pyenv has installed (its shims run only the
# versions selected, so ask for the interpreter itself).
interpreter() {
    local candidate
    for candidate in "python$1" $(pyenv root 2>/dev/null | sed "s|\$|/versions/$1.*/bin/python$1|"); do
        for candidate in $candidate; do
            if "$candidate" -c 'import venv' >/dev/null 2>&1; then
                command -v "$candidate"
                return 0
            fi
        done
    done
    return 1
}
pythons=()
for minor in 10 11 12 13 14 15; do
    found=$(interpreter "3.$minor") && pythons+=("$found")
done
[ "${#pythons[@]}" -gt 0 ] || { echo "no CPython >= 3.10 found" >&2; exit 1; }
oldest=${pythons[0]}
newest=${pythons[${#pythons[@]}-1]}
for python in $(printf '%s\n' "$oldest" "$newest" | uniq); do
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    step "CPython $version: install the wheel, no Rust on PATH, run the suite against it"
    venv="$work/venv-$version"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q "$wheel[test]"
    (
        export PATH="$venv/bin:$plain_path"
        ! command -v cargo >/dev/null && ! command -v rustc >/dev/null
        cd /  # not the source folder: the installed package is what imports
        python -c "import protobrain, sys; print('protobrain', protobrain.__version__, 'from', protobrain.__file__, 'on', sys.version.split()[0])"
        # From a folder of its own, so neither pytest nor the commands the tests start
        # (`python -m protobrain...`) find the source folder in the working directory.
        mkdir -p "$work/run-$version" && cd "$work/run-$version"
        PROTOBRAIN_TEST_INSTALLED=1 CI=true pytest -q -p no:cacheprovider -c "$root/pyproject.toml" --rootdir "$root" "$root/tests"
    )
done

step "sdist: build and install from scratch (needs Rust), then import and step"
venv="$work/venv-sdist"
python3 -m venv "$venv"
"$venv/bin/pip" install -q "$(ls "$out"/protobrain-*.tar.gz)"
(cd / && "$venv/bin/python" - <<'EOF'
import numpy as np
from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical

np.random.seed(0)
layers = [neuron.Neurons(100) for _ in range(3)]
b = brain.Brain(neuron.FeedForward(layers), sensor.Sensor(numerical.CyclicEncoder(0, 100, 1024)),
                computation=computation.SparseComputation(0.05), learning=learning.HebbianLearning(0.005, 0.001))
recorded = b.run(range(100))
assert [r.shape for r in recorded] == [(100, 100)] * 3 and all(r.sum() == 100 * 5 for r in recorded)
print("the sdist builds, installs and runs")
EOF
)

step "artefacts"
ls -l "$out"/protobrain-*
