//! The workspace builds with `-Cprefer-dynamic` (to share compiled
//! dependencies with evcxr's cells), so the kernel binary links Rust's
//! standard library dynamically. An absolute rpath to the toolchain lets the
//! installed copy of the binary find it wherever it is run from.
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    let output =
        Command::new(&rustc).args(["--print", "sysroot"]).output().expect("rustc --print sysroot runs");
    let sysroot = String::from_utf8(output.stdout).expect("the sysroot is UTF-8");
    let libdir = format!("{}/lib/rustlib/{target}/lib", sysroot.trim());
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{libdir}");
    println!("cargo:rustc-env=FIRESIDE_HOST_TRIPLE={target}");
    let version = Command::new(&rustc).arg("--version").output().expect("rustc --version runs");
    let version = String::from_utf8_lossy(&version.stdout);
    let number = version.split_whitespace().nth(1).unwrap_or("unknown");
    println!("cargo:rustc-env=FIRESIDE_RUSTC_VERSION={number}");
    println!("cargo:rerun-if-changed=build.rs");
}
