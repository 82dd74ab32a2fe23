//! How planmon was started. From a terminal or a script, the command line is used as
//! typed. Double-clicked in Explorer (or a Linux file manager), planmon runs the batch
//! on the `input/` folder beside it and keeps its window open until Enter is pressed;
//! files dragged onto it are checked as `planmon check` would.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The command line to parse, and whether to wait for Enter at the end.
pub struct Start {
    pub args: Vec<OsString>,
    pub from_desktop: bool,
}

/// Decide how the program was started, from its arguments and its surroundings.
/// `subcommands` are the names the command line knows (a first argument naming one is
/// never taken for a dropped file).
pub fn detect(args: Vec<OsString>, subcommands: &[String]) -> Start {
    let desktop = started_from_desktop();
    start(args, subcommands, desktop)
}

fn start(mut args: Vec<OsString>, subcommands: &[String], desktop: bool) -> Start {
    if args.len() <= 1 {
        return Start { args, from_desktop: desktop };
    }
    if dropped(&args[1..], subcommands) {
        // Files dropped on the program: `planmon check FILE...`, folders opened to their files.
        let files: Vec<OsString> = args[1..].iter().flat_map(|a| files_of(Path::new(a))).map(PathBuf::into_os_string).collect();
        args.truncate(1);
        args.push("check".into());
        args.extend(files);
        return Start { args, from_desktop: desktop };
    }
    Start { args, from_desktop: false }
}

/// Every argument is an existing file or folder, and the first is neither an option nor
/// a subcommand: what Explorer passes when files are dropped on a program.
fn dropped(rest: &[OsString], subcommands: &[String]) -> bool {
    let first = rest[0].to_string_lossy();
    !first.starts_with('-')
        && !subcommands.iter().any(|s| *s == first)
        && rest.iter().all(|a| std::fs::symlink_metadata(Path::new(a)).is_ok())
}

/// A dropped folder stands for the files directly in it, in name order.
fn files_of(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(path).map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
    files.sort();
    files
}

/// Where a double-clicked planmon works: the current folder when it has `input/` (Explorer
/// starts a program in its own folder), else the program's own folder when that has one.
pub fn work_folder(current: &Path, program: Option<&Path>) -> PathBuf {
    if current.join("input").is_dir() {
        return current.to_path_buf();
    }
    match program.and_then(Path::parent) {
        Some(dir) if dir.join("input").is_dir() => dir.to_path_buf(),
        _ => current.to_path_buf(),
    }
}

/// Move into the folder a double-clicked planmon works in, and say which it is.
pub fn enter_work_folder(out: &mut dyn Write) {
    let Ok(current) = std::env::current_dir() else { return };
    let program = std::env::current_exe().ok();
    let dir = work_folder(&current, program.as_deref());
    if dir != current && std::env::set_current_dir(&dir).is_err() {
        return;
    }
    let _ = writeln!(out, "工作文件夹：{}", dir.display());
    if !dir.join("input").is_dir() {
        let _ = writeln!(out, "提示：请在本程序所在的文件夹中新建 input 文件夹，把各单位的填报表放进去，再双击运行。");
    }
}

/// Keep the window open until the user has read it. End of input (no console at all)
/// ends the wait at once.
pub fn wait_for_enter(out: &mut dyn Write, input: &mut dyn BufRead) {
    let _ = write!(out, "\n按回车键关闭窗口……");
    let _ = out.flush();
    let _ = input.read_line(&mut String::new());
}

/// Windows: the console was made for this program alone (Explorer opened it); started
/// from cmd or PowerShell, the shell shares it.
#[cfg(windows)]
fn started_from_desktop() -> bool {
    let mut ids = [0u32; 4];
    // SAFETY: the buffer is ours and its length is passed.
    let count = unsafe { windows_sys::Win32::System::Console::GetConsoleProcessList(ids.as_mut_ptr(), ids.len() as u32) };
    count == 1
}

/// Unix: a file manager starts a program either with no terminal at all (input not a
/// terminal, parent not a shell) or in a terminal window of its own (parent a terminal
/// emulator, not a shell). Typed in a shell or run from a script, the parent is a shell.
#[cfg(unix)]
fn started_from_desktop() -> bool {
    use std::io::IsTerminal;
    let parent = parent_name();
    let shell = parent.as_deref().is_some_and(is_shell);
    if std::io::stdin().is_terminal() {
        parent.as_deref().is_some_and(is_terminal_emulator)
    } else {
        !shell
    }
}

#[cfg(not(any(unix, windows)))]
fn started_from_desktop() -> bool {
    false
}

/// The parent process's name (Linux /proc; None where it cannot be told).
#[cfg(unix)]
fn parent_name() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok().map(|s| s.trim().to_string())
}

#[cfg(unix)]
fn is_shell(name: &str) -> bool {
    const SHELLS: &[&str] = &[
        "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "pdksh", "tcsh", "csh", "ash", "busybox", "nu", "pwsh", "xonsh", "elvish",
        "sudo", "doas", "env", "nohup", "timeout", "time", "xargs", "make", "cron", "crond", "systemd", "sshd", "script", "watch", "nice",
        "ionice", "strace", "gdb",
    ];
    SHELLS.contains(&name)
}

#[cfg(unix)]
fn is_terminal_emulator(name: &str) -> bool {
    const TERMINALS: &[&str] = &["konsole", "kitty", "alacritty", "tilix", "terminator", "guake", "yakuake", "wezterm-gui", "foot", "st"];
    let lower = name.to_lowercase();
    lower.contains("terminal") || lower.ends_with("term") || TERMINALS.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn dropped_files_are_checked_and_commands_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("市民政局 2025年度填报表.xlsx");
        std::fs::write(&a, b"x").unwrap();
        let sub = dir.path().join("第二批");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("b.xlsx"), b"x").unwrap();
        let subcommands = vec!["run".to_string(), "check".to_string()];
        let a_str = a.to_str().unwrap();
        let drop = start(os(&["planmon", a_str, sub.to_str().unwrap()]), &subcommands, true);
        assert_eq!(drop.args, os(&["planmon", "check", a_str, sub.join("b.xlsx").to_str().unwrap()]));
        assert!(drop.from_desktop);
        // Typed commands are left alone, even beside a file named like one.
        let typed = start(os(&["planmon", "run", "--year", "2025"]), &subcommands, true);
        assert_eq!(typed.args, os(&["planmon", "run", "--year", "2025"]));
        assert!(!typed.from_desktop, "a typed command never waits");
        let option = start(os(&["planmon", "--templates", a_str]), &subcommands, true);
        assert_eq!(option.args.len(), 3);
        // A path that does not exist is a typo, for the command line to report.
        let typo = start(os(&["planmon", "没有这个文件.xlsx"]), &subcommands, true);
        assert_eq!(typo.args, os(&["planmon", "没有这个文件.xlsx"]));
    }

    #[test]
    fn the_work_folder_is_where_input_is() {
        let dir = tempfile::tempdir().unwrap();
        let program_dir = dir.path().join("监测 工具");
        std::fs::create_dir_all(program_dir.join("input")).unwrap();
        let elsewhere = dir.path().join("别处");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let exe = program_dir.join("planmon.exe");
        assert_eq!(work_folder(&elsewhere, Some(&exe)), program_dir);
        std::fs::create_dir_all(elsewhere.join("input")).unwrap();
        assert_eq!(work_folder(&elsewhere, Some(&exe)), elsewhere, "the current folder wins when it has input/");
        assert_eq!(work_folder(dir.path(), None), dir.path());
    }

    #[test]
    fn the_wait_ends_on_enter_or_end_of_input() {
        let mut out = Vec::new();
        wait_for_enter(&mut out, &mut std::io::Cursor::new(b"\n".to_vec()));
        assert!(String::from_utf8(out).unwrap().contains("按回车键关闭窗口"));
        let mut out = Vec::new();
        wait_for_enter(&mut out, &mut std::io::Cursor::new(Vec::new()));
        assert!(!out.is_empty());
    }
}
