//! Every platform-specific call sits behind `cfg`. CI also compiles the whole crate for
//! Windows (`cargo check --target x86_64-pc-windows-gnu`, see .ci/run); this test is the
//! guard that runs everywhere, even where that target cannot be installed: a Unix-only
//! or Windows-only API used outside an item or statement guarded for its platform fails.

use std::path::{Path, PathBuf};

/// APIs that exist on one family of systems only, and the guards that admit them.
const ONLY: &[(&str, &[&str])] = &[
    ("libc::", &["unix", "linux"]),
    ("std::os::unix", &["unix", "linux"]),
    ("std::os::linux", &["linux"]),
    ("std::os::fd", &["unix", "linux"]),
    ("std::os::windows", &["windows"]),
    ("windows_sys::", &["windows"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "fixtures") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether the use on line `at` is inside something guarded by `cfg` naming one of
/// `guards`: walking up, each enclosing item or statement (a line less indented than the
/// ones seen so far) may carry the attribute on the lines just above it.
fn guarded(lines: &[&str], at: usize, guards: &[&str]) -> bool {
    let is_guard = |l: &str| {
        let l = l.trim();
        l.starts_with("#[cfg(") && !l.starts_with("#[cfg(test)") && guards.iter().any(|g| l.contains(g)) && !l.contains("not(unix)")
            || l.starts_with("#![cfg(") && guards.iter().any(|g| l.contains(g))
    };
    let mut level = indent(lines[at]);
    let mut i = at + 1;
    while i > 0 {
        i -= 1;
        let line = lines[i];
        if line.trim().is_empty() || line.trim_start().starts_with("//") {
            continue;
        }
        if indent(line) < level || i == at {
            level = indent(line);
            // The attributes just above this enclosing line.
            let mut j = i;
            while j > 0 && lines[j - 1].trim_start().starts_with("#[") {
                j -= 1;
                if is_guard(lines[j]) {
                    return true;
                }
            }
            if level == 0 && i != at {
                return false;
            }
        }
    }
    false
}

#[test]
fn platform_specific_calls_are_behind_cfg() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() > 20);
    let mut unguarded = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if file.ends_with("tests/it/platform.rs") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (api, guards) in ONLY {
                if code.contains(api) && !guarded(&lines, n, guards) {
                    unguarded.push(format!("{}:{}: {}", file.strip_prefix(root).unwrap().display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(unguarded.is_empty(), "platform-specific calls without a cfg guard:\n{}", unguarded.join("\n"));
}

#[test]
fn the_guard_check_tells_guarded_from_unguarded() {
    let code = "\
#[cfg(unix)]
fn a() {
    let x = libc::getpid();
}

fn b() {
    #[cfg(target_os = \"linux\")]
    {
        unsafe { libc::setrlimit(0, &rl) };
    }
    let y = libc::getpid();
}

#[cfg(not(unix))]
fn c() {
    libc::getpid();
}";
    let lines: Vec<&str> = code.lines().collect();
    let at = |needle: &str, nth: usize| lines.iter().enumerate().filter(|(_, l)| l.contains(needle)).nth(nth).unwrap().0;
    assert!(guarded(&lines, at("libc::getpid", 0), &["unix", "linux"]));
    assert!(guarded(&lines, at("libc::setrlimit", 0), &["unix", "linux"]));
    assert!(!guarded(&lines, at("libc::getpid", 1), &["unix", "linux"]), "after the guarded block");
    assert!(!guarded(&lines, at("libc::getpid", 2), &["unix", "linux"]), "cfg(not(unix))");
}

/// Folder names with Chinese, spaces and a path longer than Windows' old 260-character
/// limit (std's file calls on Windows lift that limit themselves).
#[test]
fn platform_long_paths_with_spaces_and_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().to_path_buf();
    while deep.as_os_str().len() < 320 {
        deep.push("仁怀市 公共服务 监测（2025 年度）");
    }
    let input = deep.join("各单位 填报表");
    std::fs::create_dir_all(&input).unwrap();
    crate::common::copy_dir(&crate::common::fixtures("skeleton"), &input);
    let output = deep.join("输出 结果");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
        .arg("run")
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(output.join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf").is_file());
    let obs = crate::common::parse_csv(&std::fs::read(output.join("observations.csv")).unwrap());
    assert!(obs.iter().any(|o| o["department"] == "市卫生健康局"));
}
