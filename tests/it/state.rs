//! planmon's own state files are input too (issue 30): each test starts from a real
//! previous run, damages the state the way a person, a sync tool or a broken disk could
//! — journals with outside paths, links where planmon keeps its files, a manifest that
//! never ends, user folders with planmon-like names, commands pointed at folders that
//! hold returns — and then checks that every file outside planmon's own set is still
//! there, byte for byte, and that the next normal run produces a complete set.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::{self, stderr, stdout, Workdir};

/// Every file below `dir` (links listed as links, never followed) with its SHA-256.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let (p, t) = (e.path(), e.file_type().unwrap());
            if t.is_symlink() {
                out.insert(p.clone(), format!("link -> {}", std::fs::read_link(&p).unwrap().display()));
            } else if t.is_dir() {
                stack.push(p);
            } else if t.is_file() {
                out.insert(p.clone(), planmon::text::hex(&Sha256::digest(std::fs::read(&p).unwrap())));
            } else {
                out.insert(p.clone(), "special".into());
            }
        }
    }
    out
}

/// A folder of the user's beside the output folder, with a few files in it.
fn users_folder(w: &Workdir) -> (PathBuf, BTreeMap<PathBuf, String>) {
    let dir = w.path().join("我的资料");
    std::fs::create_dir_all(dir.join("子文件夹")).unwrap();
    std::fs::write(dir.join("工作总结.docx"), "不能丢的文件").unwrap();
    std::fs::write(dir.join("子文件夹/台账.xlsx"), "也不能丢").unwrap();
    std::fs::write(dir.join("manifest.json"), r#"{"tool":"planmon","outputs":[]}"#).unwrap();
    let snap = snapshot(&dir);
    (dir, snap)
}

/// A work folder with the skeleton returns and one real run done.
fn after_a_run() -> Workdir {
    let w = Workdir::new("skeleton");
    run_ok(&w, &["run"]);
    w
}

fn run_ok(w: &Workdir, args: &[&str]) -> Output {
    let out = w.run(args);
    assert!(out.status.success(), "planmon {args:?}\n{}\n{}", stdout(&out), stderr(&out));
    no_english(&out);
    out
}

/// Nothing the operating system says in English reaches the officer.
fn no_english(out: &Output) {
    let text = format!("{}{}", stdout(out), stderr(out));
    for english in ["os error", "No such file", "File exists", "Permission denied", "Is a directory", "Not a directory"] {
        assert!(!text.contains(english), "English OS text reached the officer: {text}");
    }
}

/// The output folder holds a whole set: every file its manifest lists, with the
/// SHA-256 it records, its ownership record, and no staging folder or journal left.
fn assert_complete(w: &Workdir) {
    let out = w.output();
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for o in m["outputs"].as_array().unwrap() {
        let bytes = std::fs::read(out.join(o["file"].as_str().unwrap())).unwrap_or_else(|e| panic!("{}: {e}", o["file"]));
        assert_eq!(planmon::text::hex(&Sha256::digest(&bytes)), o["sha256"].as_str().unwrap(), "{}", o["file"]);
    }
    assert!(out.join(".planmon-owned.json").is_file(), "the ownership record is in place");
    assert!(!out.join(".planmon-journal.json").exists(), "a journal was left");
    for e in std::fs::read_dir(&out).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!(name.starts_with(".staging-") && e.path().join(".planmon-marker").exists()), "staging left: {name}");
    }
    // Every set in history/ is whole.
    for e in std::fs::read_dir(out.join("history")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !e.file_type().unwrap().is_dir() || name.ends_with("未完成") || name.contains("未完成-") {
            continue;
        }
        let Ok(bytes) = std::fs::read(e.path().join("manifest.json")) else { continue };
        let Ok(set) = serde_json::from_slice::<serde_json::Value>(&bytes) else { continue };
        if set["tool"] != "planmon" {
            continue;
        }
        for o in set["outputs"].as_array().unwrap() {
            assert!(e.path().join(o["file"].as_str().unwrap()).is_file(), "history/{name} lacks {}", o["file"]);
        }
    }
}

/// A journal as a killed run would leave it, with the given fields changed.
fn forged_journal(w: &Workdir, edit: impl Fn(&mut serde_json::Value)) {
    let out = w.output();
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let mut journal = serde_json::json!({
        "tool": "planmon",
        "run_id": "20260101T000000Z-4242",
        "token": "0123456789abcdef0123456789abcdef",
        "staging": ".staging-20260101T000000Z-4242",
        "archive": m["run_id"],
        "previous": m["outputs"].as_array().unwrap().iter().map(|o| o["file"].clone()).collect::<Vec<_>>(),
        "new": [{ "file": "manifest.json", "sha256": "00".repeat(32) }],
    });
    edit(&mut journal);
    std::fs::write(out.join(".planmon-journal.json"), serde_json::to_vec(&journal).unwrap()).unwrap();
}

#[test]
fn state_journal_with_outside_or_missing_paths_is_set_aside_not_obeyed() {
    type Edit = Box<dyn Fn(&mut serde_json::Value, &Path)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("absolute archive", Box::new(|j, mine| j["archive"] = mine.display().to_string().into())),
        ("archive with ..", Box::new(|j, _| j["archive"] = "../../我的资料".into())),
        ("staging with ..", Box::new(|j, _| j["staging"] = "../我的资料".into())),
        ("absolute staging", Box::new(|j, mine| j["staging"] = mine.display().to_string().into())),
        ("previous with ..", Box::new(|j, _| j["previous"] = serde_json::json!(["../我的资料/工作总结.docx"]))),
        (
            "new with ..",
            Box::new(
                |j, _| j["new"] = serde_json::json!([{ "file": "../我的资料/工作总结.docx", "sha256": "00".repeat(32) }, { "file": "manifest.json", "sha256": "00".repeat(32) }]),
            ),
        ),
        (
            "files that are missing",
            Box::new(|j, _| {
                j["previous"] = serde_json::json!(["不存在的文件.pdf"]);
                j["new"] = serde_json::json!([{ "file": "也不存在.pdf", "sha256": "11".repeat(32) }, { "file": "manifest.json", "sha256": "00".repeat(32) }]);
            }),
        ),
        (
            "a journal of another shape",
            Box::new(|j, _| *j = serde_json::json!({ "staging": "../../", "archive": "/", "previous": [], "new": [] })),
        ),
    ];
    for (case, edit) in cases {
        let w = after_a_run();
        let (mine, before) = users_folder(&w);
        let outputs_before = snapshot(&w.output());
        forged_journal(&w, |j| edit(j, &mine));
        // A staging-like folder the forged journal could point at.
        let out = run_ok(&w, &["run"]);
        assert_eq!(snapshot(&mine), before, "{case}: a file outside the output folder changed");
        let text = stdout(&out);
        assert!(text.contains("替换日志") || text.contains("内容不完整"), "{case}: {text}");
        let aside: Vec<_> = std::fs::read_dir(w.output())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".planmon-journal.json.已移开-"))
            .collect();
        assert_eq!(aside.len(), 1, "{case}: the journal is kept aside, renamed");
        assert_complete(&w);
        // The previous set went to history whole.
        for (path, hash) in outputs_before.iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "pdf" || e == "csv")) {
            let rel = path.strip_prefix(w.output()).unwrap();
            let kept = std::fs::read_dir(w.output().join("history"))
                .unwrap()
                .flatten()
                .any(|set| std::fs::read(set.path().join(rel)).is_ok_and(|b| &planmon::text::hex(&Sha256::digest(b)) == hash));
            assert!(kept, "{case}: the previous {} is not in history/", rel.display());
        }
    }
}

#[test]
fn state_a_killed_swap_whose_files_went_missing_is_undone_not_split() {
    // A run killed in the middle of its swap (after the previous set was archived and a
    // few new files were put in place), then a staged file lost before the next run.
    let w = after_a_run();
    let first = w.read_output("manifest.json");
    let killed = Command::new(env!("CARGO_BIN_EXE_planmon"))
        .arg("run")
        .current_dir(w.path())
        .env("SOURCE_DATE_EPOCH", "1767312000")
        .env("PLANMON_FAILPOINT_SWAP", "40")
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the failpoint did not stop the run");
    let staging = std::fs::read_dir(w.output())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(".staging-"))
        .expect("the killed run's staging folder")
        .path();
    // The staged manifest is never byte-identical to the one in place (its run id and
    // times differ), so losing it leaves the journal unverifiable.
    std::fs::remove_file(staging.join("manifest.json")).unwrap();
    let out = run_ok(&w, &["run"]);
    assert!(stdout(&out).contains("无法核实"), "{}", stdout(&out));
    assert_complete(&w);
    // The first run's set is whole in history/ once, not split over two folders.
    let first: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let holders: Vec<_> = std::fs::read_dir(w.output().join("history"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| {
            std::fs::read(e.path().join("manifest.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|m| m["run_id"] == first["run_id"])
        })
        .collect();
    assert_eq!(holders.len(), 1, "the first run's set is in one history folder");
    for o in first["outputs"].as_array().unwrap() {
        assert!(holders[0].path().join(o["file"].as_str().unwrap()).is_file(), "history lacks {}", o["file"]);
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
#[test]
fn state_lock_journal_tmp_manifest_and_history_as_links_are_never_followed() {
    let w = after_a_run();
    let (mine, before) = users_folder(&w);
    let out = w.output();
    std::fs::remove_file(out.join(".planmon.lock")).unwrap();
    symlink(&mine.join("工作总结.docx"), &out.join(".planmon.lock"));
    symlink(&mine.join("子文件夹/台账.xlsx"), &out.join(".planmon-journal.json.tmp"));
    // history/ is a link to the user's folder, which holds something shaped like a set.
    std::fs::rename(out.join("history"), w.path().join("旧历史")).ok();
    let set = mine.join("20200101T000000Z-1");
    std::fs::create_dir_all(&set).unwrap();
    std::fs::write(set.join("a.pdf"), "用户的文件").unwrap();
    let sha = planmon::text::hex(&Sha256::digest("用户的文件"));
    std::fs::write(
        set.join("manifest.json"),
        serde_json::to_vec(
            &serde_json::json!({"tool": "planmon", "run_id": "20200101T000000Z-1", "outputs": [{"file": "a.pdf", "sha256": sha}]}),
        )
        .unwrap(),
    )
    .unwrap();
    let before = {
        let mut b = before;
        b.extend(snapshot(&mine).into_iter().filter(|(p, _)| p.starts_with(&set)));
        b
    };
    symlink(&mine, &out.join("history"));
    for _ in 0..3 {
        run_ok(&w, &["run", "--keep-history", "1"]);
    }
    assert_eq!(snapshot(&mine), before, "a file behind a link changed");
    assert!(std::fs::symlink_metadata(out.join("history")).unwrap().is_dir(), "planmon keeps its history in a real folder");
    assert!(out.join("history").read_dir().unwrap().count() >= 1);
    assert_complete(&w);
    // The manifest as a link (to a file of the user's): never read, written or deleted.
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    symlink(&mine.join("manifest.json"), &out.join("manifest.json"));
    let outcome = run_ok(&w, &["run"]);
    assert!(stdout(&outcome).contains("是一个链接"), "{}", stdout(&outcome));
    assert_eq!(snapshot(&mine), before);
    assert_complete(&w);
}

/// Run planmon with a wall-clock limit and an address-space limit; the test fails if
/// either is reached.
#[cfg(unix)]
fn bounded(w: &Workdir, args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_planmon"));
    cmd.args(args).current_dir(w.path()).env("SOURCE_DATE_EPOCH", "1767225600").stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 6 << 30, rlim_max: 6 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("planmon {args:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!stderr(&out).contains("memory allocation"), "{}", stderr(&out));
    out
}

#[cfg(unix)]
#[test]
fn state_a_manifest_that_never_ends_is_refused_quickly() {
    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage)> = vec![
        ("a link to /dev/zero", Box::new(|m| symlink(Path::new("/dev/zero"), m))),
        (
            "a pipe",
            Box::new(|m| {
                assert!(Command::new("mkfifo").arg(m).status().expect("mkfifo (coreutils)").success());
            }),
        ),
        ("a huge sparse file", Box::new(|m| std::fs::File::create(m).unwrap().set_len(300 << 30).unwrap())),
        ("cut short", Box::new(|m| std::fs::write(m, br#"{"tool":"planmon","run_id":"2026"#).unwrap())),
    ];
    for (case, damage) in cases {
        let w = after_a_run();
        let manifest = w.output().join("manifest.json");
        std::fs::remove_file(&manifest).unwrap();
        damage(&manifest);
        let form = common::fixtures("skeleton").join("市民政局_2024年度填报表.xlsx");
        let check = bounded(&w, &["check", "--against", "output", form.to_str().unwrap()]);
        assert!(stdout(&check).contains("无法对比"), "{case}: {}", stdout(&check));
        let out = bounded(&w, &["run"]);
        assert!(out.status.success(), "{case}: {}\n{}", stdout(&out), stderr(&out));
        no_english(&out);
        assert_complete(&w);
        // The damaged entry is kept aside (a link as a link), never deleted.
        let aside = std::fs::read_dir(w.output())
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("manifest.json.已移开-"))
            .map(|e| e.path());
        // … or, a regular file at planmon's own name, kept with the previous set as a
        // file changed after it was written.
        let archived = std::fs::read_dir(w.output().join("history")).unwrap().flatten().any(|s| {
            let m = s.path().join("manifest.json");
            std::fs::metadata(&m).is_ok_and(|md| md.len() > 1 << 30)
                || std::fs::read(&m).is_ok_and(|b| serde_json::from_slice::<serde_json::Value>(&b).is_err())
        });
        assert!(aside.is_some() || archived, "{case}: the damaged manifest is gone");
        let again = bounded(&w, &["run"]);
        assert!(again.status.success(), "{case}: the next run: {}", stderr(&again));
        assert_complete(&w);
    }
}

#[test]
fn state_truncated_manifest_and_linked_output_are_told_apart() {
    let w = after_a_run();
    let m = w.output().join("manifest.json");
    let bytes = std::fs::read(&m).unwrap();
    std::fs::write(&m, &bytes[..bytes.len() / 2]).unwrap();
    let out = run_ok(&w, &["run"]);
    let text = stdout(&out);
    assert!(text.contains("内容不完整或已损坏"), "{text}");
    assert!(!text.contains("不是 planmon 上次生成的文件"), "{text}");
    assert_complete(&w);
    #[cfg(unix)]
    {
        let (mine, before) = users_folder(&w);
        let pdf = w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf");
        std::fs::remove_file(&pdf).unwrap();
        symlink(&mine.join("工作总结.docx"), &pdf);
        let out = w.run(&["run"]);
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        let text = stderr(&out);
        assert!(text.contains("是一个链接") && !text.contains("不是 planmon 上次生成的文件"), "{text}");
        assert_eq!(snapshot(&mine), before);
        assert!(std::fs::symlink_metadata(&pdf).unwrap().file_type().is_symlink(), "the link stays as it was");
    }
}

#[test]
fn state_user_folders_with_planmon_like_names_are_left_alone() {
    let w = after_a_run();
    let out = w.output();
    let made = [
        out.join(".staging-mine/笔记.txt"),
        out.join(".staging-20200101T000000Z-7/笔记.txt"),
        out.join("history/.partial-mine/笔记.txt"),
        out.join("history/.partial-20200101T000000Z-7/反馈单/笔记.txt"),
        out.join("history/.deleting-mine/笔记.txt"),
        out.join("history/20200101T000000Z-7/笔记.txt"),
    ];
    for f in &made {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, "我的笔记").unwrap();
    }
    let before: BTreeMap<_, _> = made.iter().map(|f| (f.clone(), std::fs::read(f).unwrap())).collect();
    for _ in 0..3 {
        run_ok(&w, &["run", "--keep-history", "1"]);
    }
    for (f, bytes) in &before {
        assert_eq!(std::fs::read(f).ok().as_ref(), Some(bytes), "{} was moved or changed", f.display());
    }
    assert_complete(&w);
}

#[test]
fn state_templates_never_write_over_returns() {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let before = snapshot(&w.input());
    // Into the input folder itself, a folder inside it, or a folder that holds returns.
    let other = w.path().join("另一批");
    common::copy_dir(&common::fixtures("skeleton"), {
        std::fs::create_dir_all(&other).unwrap();
        &other
    });
    let other_before = snapshot(&other);
    for target in ["input", "input/空白表", "另一批"] {
        let out = w.run(&["templates", "--year", "2025", "--output", target]);
        assert_eq!(out.status.code(), Some(2), "templates --output {target}: {}", stdout(&out));
        assert!(stderr(&out).contains("另选一个文件夹"), "{}", stderr(&out));
        no_english(&out);
    }
    assert_eq!(snapshot(&w.input()), before, "a return was replaced");
    assert_eq!(snapshot(&other), other_before);
    // A new folder works; the same command again does not overwrite what it made.
    run_ok(&w, &["templates", "--year", "2026", "--output", "空白表"]);
    let made = snapshot(&w.path().join("空白表"));
    assert!(!made.is_empty());
    let again = w.run(&["templates", "--year", "2026", "--output", "空白表"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(snapshot(&w.path().join("空白表")), made);
}

#[test]
fn state_init_and_sample_keep_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("监测");
    std::fs::create_dir_all(work.join("input")).unwrap();
    std::fs::create_dir_all(work.join("templates")).unwrap();
    let received = work.join("input/市民政局2024年报表（正式）.xlsx");
    std::fs::copy(common::fixtures("skeleton").join("市民政局_2024年度填报表.xlsx"), &received).unwrap();
    let units = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/units.toml")).unwrap();
    std::fs::write(work.join("templates/units.toml"), format!("# 我改过的单位表\n{units}")).unwrap();
    std::fs::write(work.join("planmon.toml"), "office = \"我的单位\"\n").unwrap();
    let before = snapshot(&work);
    // Synthetic returns never go beside received ones (they would be read as newer versions).
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).args(["init", "--sample"]).arg(&work).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    no_english(&out);
    assert!(stderr(&out).contains("已有 1 个表格文件"), "{}", stderr(&out));
    assert_eq!(snapshot(&work), before, "init --sample changed a folder holding a return");
    let out = Command::new(env!("CARGO_BIN_EXE_planmon"))
        .args(["sample", "--output"])
        .arg(work.join("input"))
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(snapshot(&work), before);
    // init alone keeps every file that is there and makes the others.
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).arg("init").arg(&work).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("已存在，未覆盖"), "{}", stdout(&out));
    let after = snapshot(&work);
    for (path, hash) in &before {
        assert_eq!(after.get(path), Some(hash), "{} was replaced", path.display());
    }
    assert!(after.len() > before.len(), "the other files were made");
    // Into an empty folder the sample is written; written again, nothing is replaced.
    let fresh = dir.path().join("新的");
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).args(["init", "--sample"]).arg(&fresh).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_dir(fresh.join("input")).unwrap().count() > 10);
}

#[cfg(unix)]
#[test]
fn state_init_never_writes_through_a_linked_folder() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("别处");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let work = dir.path().join("监测");
    std::fs::create_dir_all(&work).unwrap();
    symlink(&elsewhere, &work.join("templates"));
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).arg("init").arg(&work).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "written through the link");
}

#[test]
fn state_plan_import_twice_keeps_every_backup() {
    let w = Workdir::empty();
    let dir = w.path().join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for name in ["indicators.toml", "units.toml", "projects.toml", "rules.toml"] {
        std::fs::copy(plan.join(name), dir.join(name)).unwrap();
    }
    let original = std::fs::read(dir.join("indicators.toml")).unwrap();
    let import = || {
        let file = common::fixtures("attachments").join("方案附件.xlsx");
        run_ok(&w, &["plan", "import", file.to_str().unwrap(), "--write", "--into", "templates"]);
    };
    import();
    // The imported table, edited by hand: the next import differs from it again.
    let imported = std::fs::read(dir.join("indicators.toml")).unwrap();
    let edited = String::from_utf8(imported).unwrap().replacen("name = \"", "name = \"（手改）", 1).into_bytes();
    std::fs::write(dir.join("indicators.toml"), &edited).unwrap();
    import();
    let backups: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("indicators.toml.") && e.file_name().to_string_lossy().ends_with(".bak"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    assert_eq!(backups.len(), 2, "one backup per import");
    assert!(backups.contains(&original), "the original table is kept");
    assert!(backups.contains(&edited), "the edited table is kept");
}

#[cfg(unix)]
#[test]
fn state_plan_import_never_writes_through_a_link() {
    let w = Workdir::empty();
    let dir = w.path().join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let elsewhere = w.path().join("别处的指标表.toml");
    std::fs::copy(plan.join("indicators.toml"), &elsewhere).unwrap();
    let before = std::fs::read(&elsewhere).unwrap();
    symlink(&elsewhere, &dir.join("indicators.toml"));
    let file = common::fixtures("attachments").join("方案附件.xlsx");
    let out = w.run(&["plan", "import", file.to_str().unwrap(), "--write", "--into", "templates"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("链接"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&elsewhere).unwrap(), before);
}

#[test]
fn state_control_characters_never_break_a_word_file() {
    let w = Workdir::empty();
    common::return_with_control_characters(&w.input().join("市卫生健康局_2025年度填报表.xlsx"));
    #[cfg(unix)]
    common::return_with_control_characters(&w.input().join("市卫生健康局_2025年度\u{1b}填报表（修改）.xlsx"));
    run_ok(&w, &["run"]);
    let mut docx = Vec::new();
    let mut stack = vec![w.output()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                if e.file_name() != "history" {
                    stack.push(e.path());
                }
            } else if e.path().extension().is_some_and(|x| x == "docx") {
                docx.push(e.path());
            }
        }
    }
    assert!(docx.len() >= 2, "{docx:?}");
    for file in &docx {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
        for k in 0..zip.len() {
            let mut part = zip.by_index(k).unwrap();
            let name = part.name().unwrap().to_string();
            if !name.ends_with(".xml") && !name.ends_with(".rels") {
                continue;
            }
            let mut xml = String::new();
            part.read_to_string(&mut xml).unwrap();
            assert!(!xml.chars().any(planmon::text::xml_unsafe), "{}:{name} holds a control character", file.display());
            let mut reader = quick_xml::Reader::from_str(&xml);
            reader.config_mut().check_end_names = true;
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{}:{name} is not well-formed XML: {e}", file.display()),
                }
            }
        }
    }
    // The report's Word version keeps the line the vertical tab stood for.
    let report = docx.iter().find(|p| p.file_name().unwrap().to_string_lossy().contains("报告")).unwrap();
    let mut xml = String::new();
    zip::ZipArchive::new(std::fs::File::open(report).unwrap())
        .unwrap()
        .by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("完成</w:t>") && xml.contains("<w:br"), "the line break is lost");
    // Each cell with such characters is named in a finding.
    let findings = w.csv("findings.csv");
    let named: Vec<_> = findings.iter().filter(|f| f["code"] == "control_characters").collect();
    assert!(named.iter().any(|f| f["sheet"] == "工作进展"), "{named:#?}");
    assert!(named.iter().any(|f| f["sheet"] == "重点任务"), "{named:#?}");
    assert!(named.iter().all(|f| f["severity"] == "info" && f["message"].contains("Word 版")), "{named:#?}");
}

#[cfg(unix)]
#[test]
fn state_names_that_are_not_unicode_stay_distinct() {
    use std::os::unix::ffi::OsStrExt;
    let w = Workdir::empty();
    let form = common::fixtures("skeleton").join("市民政局_2024年度填报表.xlsx");
    for byte in [0xFFu8, 0xFE] {
        let mut name = "市民政局_2024年度填报表".as_bytes().to_vec();
        name.push(byte);
        name.extend(".xlsx".as_bytes());
        std::fs::copy(&form, w.input().join(std::ffi::OsStr::from_bytes(&name))).unwrap();
    }
    run_ok(&w, &["run"]);
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let names: Vec<&str> = m["inputs"].as_array().unwrap().iter().map(|i| i["file"].as_str().unwrap()).collect();
    assert!(names.contains(&"市民政局_2024年度填报表\\xFF.xlsx") && names.contains(&"市民政局_2024年度填报表\\xFE.xlsx"), "{names:?}");
    // One is a version of the other: the finding names both, told apart.
    let superseded = w.csv("findings.csv").into_iter().find(|f| f["code"] == "superseded").expect("versions");
    let both = format!("{} {}", superseded["file"], superseded["message"]);
    assert!(both.contains("\\xFF") && both.contains("\\xFE"), "{superseded:?}");
    let files: Vec<PathBuf> = std::fs::read_dir(w.input()).unwrap().flatten().map(|e| e.path()).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).arg("check").args(&files).current_dir(w.path()).output().unwrap();
    assert!(stdout(&out).contains("\\xFF") && stdout(&out).contains("\\xFE"), "{}", stdout(&out));
}

#[test]
fn state_names_alike_but_different_get_a_warning() {
    let w = Workdir::empty();
    let form = common::fixtures("skeleton").join("市民政局_2024年度填报表.xlsx");
    // 市民政局 with a decomposed character would need one; use case for a Latin name.
    std::fs::copy(&form, w.input().join("Return_市民政局_2024年度.xlsx")).unwrap();
    std::fs::copy(&form, w.input().join("return_市民政局_2024年度.xlsx")).unwrap();
    // NFC vs NFD: é as one character and as e + combining acute.
    std::fs::copy(&form, w.input().join("caf\u{e9}_市民政局_2024年度.xlsx")).unwrap();
    std::fs::copy(&form, w.input().join("cafe\u{301}_市民政局_2024年度.xlsx")).unwrap();
    run_ok(&w, &["run"]);
    let twins: Vec<_> = w.csv("findings.csv").into_iter().filter(|f| f["code"] == "name_twins").collect();
    #[cfg(target_os = "linux")]
    assert_eq!(twins.len(), 2, "{twins:#?}");
    for t in &twins {
        assert!(t["message"].contains("看起来相同"), "{t:?}");
    }
}

/// Run planmon in `w` with an environment variable set (a failpoint).
fn run_env(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_planmon"));
    cmd.args(args).current_dir(w.path()).env("SOURCE_DATE_EPOCH", "1767225600");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The step at which a run has archived the previous set and put a few new files in
/// place (found by trying: the journal exists and the archive is whole).
fn kill_mid_swap(w: &Workdir) {
    for k in 20.. {
        assert!(k < 300, "no step leaves a swap half done");
        let before = snapshot(&w.output());
        let out = run_env(w, &["run"], &[("PLANMON_FAILPOINT_SWAP", &k.to_string())]);
        assert!(!out.status.success(), "the run got through at step {k}");
        let journal = w.output().join(".planmon-journal.json").is_file();
        let archived = std::fs::read_dir(w.output().join("history"))
            .map(|d| d.flatten().any(|e| !e.file_name().to_string_lossy().starts_with('.') && e.path().join("manifest.json").is_file()))
            .unwrap_or(false);
        if journal && archived {
            return;
        }
        // Not there yet: undo what this attempt left and try the next step.
        run_ok(w, &["run"]);
        let _ = before;
    }
}

#[test]
fn state_a_file_put_in_place_after_a_crash_is_never_replaced() {
    let w = after_a_run();
    kill_mid_swap(&w);
    // The workbook goes first; another output not yet replaced is the user's now.
    let report = w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.docx");
    std::fs::write(&report, "用户自己改好的报告").unwrap();
    let out = w.run(&["run"]);
    no_english(&out);
    let kept = snapshot(w.path()).values().any(|h| *h == planmon::text::hex(&Sha256::digest("用户自己改好的报告")));
    assert!(kept, "the user's file is gone: {}\n{}", stdout(&out), stderr(&out));
    run_ok(&w, &["run"]);
    assert!(snapshot(w.path()).values().any(|h| *h == planmon::text::hex(&Sha256::digest("用户自己改好的报告"))));
}

#[test]
fn state_a_forged_ownership_record_claims_nothing_of_the_users() {
    let w = after_a_run();
    std::fs::write(w.output().join("我的笔记.txt"), "笔记").unwrap();
    std::fs::write(w.output().join("反馈单/批注.txt"), "批注").unwrap();
    let record_path = w.output().join(".planmon-owned.json");
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
    for f in ["我的笔记.txt", "反馈单/批注.txt"] {
        let b = std::fs::read(w.output().join(f)).unwrap();
        record["outputs"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"file": f, "size": b.len(), "sha256": planmon::text::hex(&Sha256::digest(&b))}));
    }
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    run_ok(&w, &["run", "--keep-history", "0"]);
    run_ok(&w, &["run", "--keep-history", "0"]);
    assert_eq!(std::fs::read(w.output().join("我的笔记.txt")).unwrap(), "笔记".as_bytes());
    assert_eq!(std::fs::read(w.output().join("反馈单/批注.txt")).unwrap(), "批注".as_bytes());
    assert_complete(&w);
}

#[test]
fn state_the_input_folder_inside_the_output_folder_is_never_owned() {
    let w = Workdir::new("skeleton");
    run_ok(&w, &["run", "--output", "."]);
    let before = snapshot(&w.input());
    let record_path = w.path().join(".planmon-owned.json");
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
    let f = "input/市民政局_2024年度填报表.xlsx";
    let b = std::fs::read(w.path().join(f)).unwrap();
    record["outputs"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"file": f, "size": b.len(), "sha256": planmon::text::hex(&Sha256::digest(&b))}));
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    run_ok(&w, &["run", "--output", "."]);
    assert_eq!(snapshot(&w.input()), before, "a return was moved out of the input folder");
}

#[test]
fn state_a_copy_of_a_history_set_is_not_trimmed() {
    let w = after_a_run();
    run_ok(&w, &["run"]);
    let set = std::fs::read_dir(w.output().join("history"))
        .unwrap()
        .flatten()
        .find(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .unwrap();
    let copy = w.output().join("history").join(format!("{} - 副本", set.file_name().to_string_lossy()));
    common::copy_dir(&set.path(), {
        std::fs::create_dir_all(&copy).unwrap();
        &copy
    });
    let lone = w.output().join("history/20200101T000000Z-1");
    std::fs::create_dir_all(&lone).unwrap();
    std::fs::copy(set.path().join("manifest.json"), lone.join("manifest.json")).unwrap();
    let (copy_before, lone_before) = (snapshot(&copy), snapshot(&lone));
    run_ok(&w, &["run", "--keep-history", "0"]);
    run_ok(&w, &["run", "--keep-history", "0"]);
    assert_eq!(snapshot(&copy), copy_before, "the user's copy of a set was trimmed");
    assert_eq!(snapshot(&lone), lone_before);
}

#[test]
fn state_a_journal_is_acted_on_only_with_its_proof_and_its_hashes() {
    // A real crash journal whose list of previous files is made longer by hand.
    let w = after_a_run();
    let out = run_env(&w, &["run"], &[("PLANMON_FAILPOINT_SWAP", "36")]);
    assert!(!out.status.success());
    assert!(w.output().join(".planmon-journal.json").is_file(), "killed before the journal was written");
    std::fs::write(w.output().join("说明.txt"), "说明").unwrap();
    let mut j: serde_json::Value = serde_json::from_slice(&w.read_output(".planmon-journal.json")).unwrap();
    let b = std::fs::read(w.output().join("说明.txt")).unwrap();
    j["previous"].as_array_mut().unwrap().push(serde_json::json!({"file": "说明.txt", "size": b.len(), "sha256": "ab".repeat(32)}));
    std::fs::write(w.output().join(".planmon-journal.json"), serde_json::to_vec(&j).unwrap()).unwrap();
    run_ok(&w, &["run"]);
    assert_eq!(std::fs::read(w.output().join("说明.txt")).unwrap(), b);
    assert_complete(&w);

    // A journal naming the outputs in place, with no staging folder of its own: the
    // user's folder of that name is left as it is.
    let id = "20250101T000000Z-1";
    let mine = w.output().join(format!(".staging-{id}"));
    std::fs::create_dir_all(mine.join("空/子")).unwrap();
    std::fs::write(mine.join("findings.csv"), "用户笔记").unwrap();
    let entry = |f: &str| {
        let b = std::fs::read(w.output().join(f)).unwrap();
        serde_json::json!({"file": f, "size": b.len(), "sha256": planmon::text::hex(&Sha256::digest(&b))})
    };
    let forged = serde_json::json!({"tool": "planmon", "run_id": id, "token": "0".repeat(32), "staging": format!(".staging-{id}"),
        "archive": null, "previous": [], "new": [entry("findings.csv"), entry("manifest.json")]});
    std::fs::write(w.output().join(".planmon-journal.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    let before = snapshot(&mine);
    let out = run_ok(&w, &["run"]);
    assert!(stdout(&out).contains("无法核实"), "{}", stdout(&out));
    assert_eq!(snapshot(&mine), before);
    assert!(mine.join("空/子").is_dir());
}

#[test]
fn state_a_partial_folder_without_planmons_marker_is_not_cleared() {
    let w = after_a_run();
    let out = run_env(&w, &["run"], &[("PLANMON_FAILPOINT_SWAP", "36")]);
    assert!(!out.status.success());
    let partial = std::fs::read_dir(w.output().join("history"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(".partial-"))
        .map(|e| e.path());
    let Some(partial) = partial else { return };
    std::fs::remove_dir_all(&partial).unwrap();
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::copy(w.output().join("findings.csv"), partial.join("findings.csv")).unwrap();
    std::fs::write(partial.join("说明.txt"), "说明").unwrap();
    let before = snapshot(&partial);
    run_ok(&w, &["run"]);
    assert_eq!(snapshot(&partial), before);
}

#[cfg(unix)]
#[test]
fn state_a_hard_linked_lock_file_is_never_written_into() {
    let w = after_a_run();
    let (mine, before) = users_folder(&w);
    std::fs::remove_file(w.output().join(".planmon.lock")).unwrap();
    std::fs::hard_link(mine.join("工作总结.docx"), w.output().join(".planmon.lock")).unwrap();
    run_ok(&w, &["run"]);
    assert_eq!(snapshot(&mine), before);
}

#[test]
fn state_odd_names_and_deep_paths_in_state_files_cost_nothing() {
    // A run id too long for a folder name (no ownership record): no endless search for a
    // free name.
    let w = after_a_run();
    std::fs::remove_file(w.output().join(".planmon-owned.json")).unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    m["run_id"] = "运".repeat(83).into();
    std::fs::write(w.output().join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let started = Instant::now();
    run_ok(&w, &["run"]);
    assert!(started.elapsed() < Duration::from_secs(120));
    // A journal entry thousands of folders deep is refused, not walked.
    let out = run_env(&w, &["run"], &[("PLANMON_FAILPOINT_SWAP", "62")]);
    if w.output().join(".planmon-journal.json").is_file() {
        let mut j: serde_json::Value = serde_json::from_slice(&w.read_output(".planmon-journal.json")).unwrap();
        let deep = vec!["a"; 20_000].join("/") + ".pdf";
        j["new"].as_array_mut().unwrap().insert(0, serde_json::json!({"file": deep, "size": 1, "sha256": "ab".repeat(32)}));
        std::fs::write(w.output().join(".planmon-journal.json"), serde_json::to_vec(&j).unwrap()).unwrap();
    }
    let _ = out;
    run_ok(&w, &["run"]);
    assert_complete(&w);
}

#[test]
fn state_history_as_a_file_with_a_crashed_run_left_does_not_block() {
    let w = after_a_run();
    let out = run_env(&w, &["run"], &[("PLANMON_FAILPOINT_SWAP", "5")]);
    assert!(!out.status.success());
    std::fs::remove_dir_all(w.output().join("history")).ok();
    std::fs::write(w.output().join("history"), "用户的文件").unwrap();
    let out = run_ok(&w, &["run"]);
    assert!(stdout(&out).contains("history"), "{}", stdout(&out));
    let aside =
        std::fs::read_dir(w.output()).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with("history.已移开-")).unwrap();
    assert_eq!(std::fs::read(aside.path()).unwrap(), "用户的文件".as_bytes());
    assert_complete(&w);
}

#[test]
fn state_a_damaged_ownership_record_is_kept_aside() {
    let w = after_a_run();
    std::fs::write(w.output().join(".planmon-owned.json"), r#"{"tool":"planmon","run_id":5,"outputs":"x"}"#).unwrap();
    let out = run_ok(&w, &["run"]);
    assert!(stdout(&out).contains("所有权记录"), "{}", stdout(&out));
    assert!(std::fs::read_dir(w.output())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(".planmon-owned.json.已移开-")));
    assert_complete(&w);
}

#[test]
fn state_a_trimmed_set_with_a_file_of_the_users_keeps_its_name() {
    let w = after_a_run();
    run_ok(&w, &["run"]);
    let set = std::fs::read_dir(w.output().join("history"))
        .unwrap()
        .flatten()
        .find(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .unwrap();
    let name = set.file_name();
    std::fs::write(set.path().join("我的批注.txt"), "批注").unwrap();
    run_ok(&w, &["run", "--keep-history", "0"]);
    assert_eq!(std::fs::read(w.output().join("history").join(&name).join("我的批注.txt")).unwrap(), "批注".as_bytes());
}
