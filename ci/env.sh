# Shared settings of the ci/ scripts; sourced, not run.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One cargo build directory for every checkout on this machine: burn takes
# tens of minutes to compile, and a fresh clone reuses what is built here.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fireside/target}"
HOST_TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
FIRESIDE_BIN="$CARGO_TARGET_DIR/$HOST_TRIPLE/debug/fireside"
VENV="$REPO/.venv"
# The training benchmark's peers (Keras, JAX, PyTorch): never in CI's .venv.
BENCH_VENV="$REPO/.venv-bench"
OUT="$REPO/out"
export PATH="$VENV/bin:$PATH"
# Jupyter finds the kernelspec that `fireside install --sys-prefix` writes
# into the virtual environment; keep user-level Jupyter settings out of the way.
export JUPYTER_PLATFORM_DIRS=1
export PYDEVD_DISABLE_FILE_VALIDATION=1
# Vulkan drivers print an error on every adapter query without it.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

step() { printf '\n== %s  [%s]\n' "$*" "$(date +%H:%M:%S)"; }

# rust-analyzer's crates read `option_env!("CI")` when they compile, so a
# build with CI set and one without would each recompile them (and the
# kernel above them). Every cargo run of these scripts sees CI unset.
cargo() { env -u CI cargo "$@"; }

# Runs a step that downloads; where it fails, says which step needed the
# network and what to do, instead of leaving a registry error to decode.
needs_network() {
  local what=$1; shift
  "$@" || { network_failed "$what" "$*"; return 1; }
}

network_failed() {
  printf '\nerror: the step "%s" needs the network (%s) and failed.\n' "$1" "$2" >&2
  printf '  Connect this machine (a proxy: set HTTPS_PROXY) and run the same command again; what\n' >&2
  printf '  was already downloaded is kept. Everything after the set-up runs offline.\n' >&2
}

# Every crate of Cargo.lock, for every platform: the build downloads only
# this machine's, but the kernel's cell template is resolved offline by
# `cargo metadata`, which reads every platform's.
fetch_crates() {
  local log="${TMPDIR:-/tmp}/fireside-fetch.$$" status=0
  cargo fetch --locked 2>"$log" || status=$?
  cat "$log" >&2
  if [ "$status" -ne 0 ]; then
    # A Cargo.lock that no longer matches the manifests is not a network problem.
    if grep -Eq 'cannot update the lock file|needs to be updated but --locked' "$log"; then
      printf '\nerror: Cargo.lock does not match the Cargo.toml files (a dependency was added or removed).\n' >&2
      printf '  Run `cargo tree --offline >/dev/null` to update it, and commit Cargo.lock.\n' >&2
    else
      network_failed "cargo fetch (crates.io)" "cargo fetch --locked"
    fi
  fi
  rm -f "$log"
  return "$status"
}

# burn's GPU backend (the toolkit's `gpu` feature) is built only where there
# is a GPU: it is half of the toolkit's build, for a backend that a machine
# without a GPU never runs. FIRESIDE_GPU=1 or 0 decides instead of looking.
wants_gpu() {
  case "${FIRESIDE_GPU:-}" in
    1|yes|true) return 0 ;;
    0|no|false) return 1 ;;
  esac
  # NVIDIA's driver, a Linux DRM render node (AMD, Intel), WSL's GPU, a Mac.
  [ -e /dev/nvidia0 ] || [ -e /dev/dxg ] || compgen -G '/dev/dri/renderD*' >/dev/null || [ "$(uname)" = Darwin ]
}

# `fireside install` with the toolkit's features as ci/build built them (and
# CI unset, as for every cargo run: the template records its environment).
# The toolkit is named: the binary's default is the checkout it was compiled
# in, which the shared build directory may have taken from another clone.
install_kernel() {
  local gpu=()
  if wants_gpu; then gpu=(--gpu); fi
  env -u CI "$FIRESIDE_BIN" install --toolkit "$REPO/toolkit" "$@" "${gpu[@]}"
}

# Where the toolkit with its GPU backend is built: the build directory
# itself where the set-up builds it so, else one beside it (ci/test's check
# of the GPU code, ci/bench-train --gpu).
gpu_target_dir() { if wants_gpu; then echo "$CARGO_TARGET_DIR"; else echo "${CARGO_TARGET_DIR%/}-gpu"; fi; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# burn's wgpu backend needs a Vulkan loader and driver: the GPU's own, or
# Mesa's software one (lavapipe), with which ci/test checks the GPU code.
ensure_vulkan_driver() {
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' && compgen -G '/usr/share/vulkan/icd.d/*.json' >/dev/null; then
    echo "a Vulkan driver is present: $(cd /usr/share/vulkan/icd.d && echo *.json)"
  elif command -v apt-get >/dev/null; then
    echo "no Vulkan driver: installing Mesa's software one (lavapipe) so that the wgpu backend can run"
    needs_network "system packages (Debian's archive)" as_root apt-get update -qq \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 \
      || echo "warning: could not install mesa-vulkan-drivers; fireside will compute on the CPU only"
  else
    echo "warning: no apt-get; install a Vulkan driver yourself to use the wgpu backend"
  fi
}
