//! Operating-system errors told in Chinese, with the path they concern: the officer
//! reads "磁盘空间已满", not "No space left on device (os error 28)".

use std::io::{Error, ErrorKind};
use std::path::Path;

/// What went wrong and what to do, in words an officer understands.
pub fn explain(e: &Error) -> String {
    if is_in_use(e) {
        return "文件正被其他程序使用（例如在 Excel 或 WPS 中打开），请关闭该文件后重新运行".into();
    }
    // Windows says "access denied" when a file open in another program is renamed or
    // deleted, as when the folder is read-only.
    if cfg!(windows) && e.raw_os_error() == Some(5) {
        return "文件可能正在 Excel、WPS 等程序中打开（或文件夹没有写入权限），请关闭该文件后重新运行".into();
    }
    match e.kind() {
        ErrorKind::StorageFull => "磁盘空间已满，请清理磁盘或换一个输出文件夹后重新运行".into(),
        ErrorKind::QuotaExceeded => "超出了磁盘配额，请清理后重新运行".into(),
        ErrorKind::FileTooLarge => "文件超过了磁盘允许的大小".into(),
        ErrorKind::PermissionDenied => "没有权限（文件夹可能是只读的或属于其他用户），请换一个有写入权限的文件夹".into(),
        ErrorKind::ReadOnlyFilesystem => "磁盘是只读的（例如写保护的 U 盘或光盘），请换一个文件夹".into(),
        ErrorKind::NotFound => "找不到该文件或文件夹".into(),
        ErrorKind::AlreadyExists => "已有同名的文件或文件夹".into(),
        ErrorKind::IsADirectory => "这是一个文件夹，不是文件".into(),
        ErrorKind::NotADirectory => "路径中有一部分是文件而不是文件夹".into(),
        ErrorKind::DirectoryNotEmpty => "文件夹不是空的".into(),
        ErrorKind::InvalidFilename => "文件名不合法或过长".into(),
        ErrorKind::CrossesDevices => "不能在不同的磁盘之间移动".into(),
        ErrorKind::ResourceBusy => "文件或文件夹正被占用，请稍后重新运行".into(),
        ErrorKind::Interrupted | ErrorKind::TimedOut => "操作被中断，请重新运行".into(),
        ErrorKind::BrokenPipe => "输出被关闭".into(),
        _ => match e.raw_os_error() {
            Some(code) => format!("系统错误（错误代码 {code}）"),
            None => "系统错误".into(),
        },
    }
}

/// Windows' sharing and lock violations (a workbook open in Excel), and the Unix
/// "text file busy".
fn is_in_use(e: &Error) -> bool {
    if cfg!(windows) {
        matches!(e.raw_os_error(), Some(32 | 33))
    } else {
        e.kind() == ErrorKind::ExecutableFileBusy
    }
}

/// `无法{doing}“{path}”：{explanation}。`
pub fn describe(doing: &str, path: &Path, e: &Error) -> String {
    format!("无法{doing}“{}”：{}。", path.display(), explain(e))
}

/// An error for the top of the run: the description only, no English OS text.
pub fn error(doing: &str, path: &Path, e: &Error) -> anyhow::Error {
    anyhow::Error::msg(describe(doing, path, e))
}

/// An error chain as the officer reads it: each cause once, operating-system errors
/// explained in Chinese instead of their English text.
pub fn chain(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = match cause.downcast_ref::<Error>() {
            Some(io) => explain(io),
            // A library's own words (polars, csv, zip, xlsx…) are kept for whoever
            // maintains planmon, marked as such after the Chinese.
            None => {
                let text = cause.to_string();
                if text.chars().any(is_chinese) {
                    text
                } else {
                    format!("（程序库的原始说明：{}）", crate::text::printable(&text, 300))
                }
            }
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if !parts.iter().any(|p| !p.starts_with("（程序库的原始说明")) {
        parts.insert(0, "planmon 内部处理出错，请把这段说明发给维护人员".to_string());
    }
    parts.join("：")
}

fn is_chinese(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// `.at("写入", path)` on an I/O result: the error becomes a Chinese message with the path.
pub trait At<T> {
    fn at(self, doing: &str, path: &Path) -> anyhow::Result<T>;
}

impl<T> At<T> for std::io::Result<T> {
    fn at(self, doing: &str, path: &Path) -> anyhow::Result<T> {
        self.map_err(|e| error(doing, path, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_failures_are_told_in_chinese() {
        let full = Error::from(ErrorKind::StorageFull);
        assert_eq!(
            describe("写入", Path::new("output/a.pdf"), &full),
            "无法写入“output/a.pdf”：磁盘空间已满，请清理磁盘或换一个输出文件夹后重新运行。"
        );
        assert!(explain(&Error::from(ErrorKind::PermissionDenied)).contains("没有权限"));
        assert!(explain(&Error::from_raw_os_error(28)).contains("磁盘空间已满"), "ENOSPC from the OS");
        // Nothing English reaches the officer, even for an unusual error.
        let library = anyhow::anyhow!("lengths don't match: 3 vs 4");
        let told = chain(&library);
        assert!(told.starts_with("planmon 内部处理出错"), "{told}");
        assert!(told.contains("（程序库的原始说明：lengths don't match: 3 vs 4）"), "{told}");
        let with_context = anyhow::anyhow!("bad zip").context("读取“a.xlsx”时出错");
        assert_eq!(chain(&with_context), "读取“a.xlsx”时出错：（程序库的原始说明：bad zip）");
        let odd = Error::other("weird");
        assert!(!explain(&odd).contains("weird"));
    }
}
