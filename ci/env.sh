# Shared settings of the ci/ scripts; sourced, not run.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One cargo build directory for every checkout on this machine: burn takes
# tens of minutes to compile, and a fresh clone reuses what is built here.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fireside/target}"
HOST_TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
FIRESIDE_BIN="$CARGO_TARGET_DIR/$HOST_TRIPLE/debug/fireside"
VENV="$REPO/.venv"
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
  if ! "$@"; then
    printf '\nerror: the step "%s" needs the network (%s) and failed.\n' "$what" "$*" >&2
    printf '  Connect this machine (a proxy: set HTTPS_PROXY) and run the same command again; what\n' >&2
    printf '  was already downloaded is kept. Everything after the set-up runs offline.\n' >&2
    return 1
  fi
}

# Every crate of Cargo.lock, for every platform: the build downloads only
# this machine's, but the kernel's cell template is resolved offline by
# `cargo metadata`, which reads every platform's.
fetch_crates() { needs_network "cargo fetch (crates.io)" cargo fetch --locked; }
