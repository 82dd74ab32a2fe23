//! The build's identity: a SHA-256 of everything that decides what the program writes
//! — its sources, the templates and fonts it embeds, the locked versions of its
//! dependencies, the compiler and the profile — given to the program as
//! `PLANMON_BUILD`. A run reuses a document of the last run only when the document was
//! made by a build of the same identity from the same data (`render::reuse`).

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    let mut h = Sha256::new();
    for root in ["src", "templates"] {
        println!("cargo:rerun-if-changed={root}");
        add_dir(&mut h, Path::new(root));
    }
    for file in ["Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={file}");
        add_file(&mut h, Path::new(file));
    }
    for var in ["TARGET", "PROFILE", "OPT_LEVEL", "DEBUG", "CARGO_ENCODED_RUSTFLAGS"] {
        h.update(var.as_bytes());
        h.update(std::env::var(var).unwrap_or_default().as_bytes());
        h.update([0]);
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc).arg("-vV").output().map(|o| o.stdout).unwrap_or_default();
    h.update(&version);
    let id: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=PLANMON_BUILD={id}");
    pack_relocations();
}

/// A release program for Linux stores its relative relocations packed (DT_RELR): about
/// 2.7 MB of the program's size are relocation entries, 24 bytes for each pointer in its
/// tables, which the packed form keeps in a few kilobytes. It needs GNU ld 2.38 and glibc
/// 2.36 or later, so it is used only when a probe program linked that way runs on this
/// machine; elsewhere the program is linked as before.
fn pack_relocations() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("PROFILE") != "release"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("TARGET") != var("HOST")
    {
        return;
    }
    let dir = Path::new(&std::env::var_os("OUT_DIR").unwrap_or_default()).join("relr-probe");
    let (source, program) = (dir.join("probe.c"), dir.join("probe"));
    let built = std::fs::create_dir_all(&dir).is_ok()
        && std::fs::write(&source, "int main(void) { static const char *p = \"x\"; return p[0] != 'x'; }\n").is_ok()
        && Command::new("cc")
            .args(["-fPIE", "-pie", "-Wl,-z,pack-relative-relocs", "-o"])
            .arg(&program)
            .arg(&source)
            .output()
            .is_ok_and(|o| o.status.success());
    if built && Command::new(&program).status().is_ok_and(|s| s.success()) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Every file below `dir`, in name order, each with its path.
fn add_dir(h: &mut Sha256, dir: &Path) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            add_dir(h, &path);
        } else {
            add_file(h, &path);
        }
    }
}

fn add_file(h: &mut Sha256, path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_default();
    h.update(path.to_string_lossy().as_bytes());
    h.update([0]);
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(&bytes);
}
