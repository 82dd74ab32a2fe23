//! Names that become part of a path: the unit in a feedback sheet's and a blank
//! return's file name, the report and workbook names of planmon.toml, the year in all of
//! them. One check for every such name: a [`SafeName`] is a plain file name on Linux and
//! on Windows alike, so that joined to a folder it names a file in that folder and
//! nowhere else — a name from a settings file or an imported table can never lead out
//! of the output folder, and never stops a run on Windows half-way.

use std::fmt;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

/// The longest file name, in UTF-8 bytes (Linux) and in UTF-16 units (Windows).
pub const MAX_NAME: usize = 255;

/// The longest unit name (in characters): a unit's name with `_2025年度填报数据反馈单.docx`
/// after it must still be a file name on every system (each Chinese character takes 3
/// bytes in UTF-8).
pub const MAX_UNIT_CHARS: usize = 60;

/// Why a name cannot be a file name; `explain` says it in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsafe {
    Empty,
    /// `.` or `..`: the folder itself or the one above.
    Dots,
    /// `/` or `\`: a folder separator (of Linux or of Windows).
    Separator(char),
    /// One of `< > : " | ? *`, which Windows does not allow in a name.
    Forbidden(char),
    /// A control or invisible character (line break, tab, direction mark, zero width).
    Invisible(char),
    /// Starts with a dot: a hidden file (and planmon's own state files look so).
    LeadingDot,
    /// Starts or ends with a space (Windows drops trailing spaces and dots silently).
    Space,
    TrailingDot,
    /// A device name of Windows (CON, PRN, AUX, NUL, COM1…, LPT1…), with any extension.
    Device(String),
    TooLong {
        bytes: usize,
        units: usize,
    },
    /// A unit name longer than [`MAX_UNIT_CHARS`].
    UnitTooLong(usize),
}

impl Unsafe {
    pub fn explain(&self) -> String {
        match self {
            Unsafe::Empty => "是空的".into(),
            Unsafe::Dots => "是“.”或“..”（表示文件夹本身或上一级文件夹）".into(),
            Unsafe::Separator(c) => format!("含有“{c}”（文件夹分隔符）"),
            Unsafe::Forbidden(c) => format!("含有“{c}”（Windows 的文件名中不能有 < > : \" | ? *）"),
            Unsafe::Invisible(c) => format!("含有不可见的控制字符 U+{:04X}（如换行、制表符、方向控制符）", *c as u32),
            Unsafe::LeadingDot => "以“.”开头（会成为隐藏文件）".into(),
            Unsafe::Space => "开头或结尾有空格".into(),
            Unsafe::TrailingDot => "以“.”结尾（Windows 会去掉结尾的点）".into(),
            Unsafe::Device(d) => {
                format!("是 Windows 的保留设备名“{d}”（CON、PRN、AUX、NUL、COM1—COM9、LPT1—LPT9 不能用作文件名，加扩展名也不行）")
            }
            Unsafe::TooLong { bytes, units } => {
                format!("太长（{bytes} 字节、{units} 个 UTF-16 单位；文件名最多 {MAX_NAME} 字节，约 85 个汉字）")
            }
            Unsafe::UnitTooLong(n) => format!("太长（{n} 个字，单位名称最多 {MAX_UNIT_CHARS} 个字）"),
        }
    }
}

impl fmt::Display for Unsafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain())
    }
}

/// A file name that is safe on Linux and on Windows, in Unicode NFC. The only way to
/// make one is [`SafeName::new`]; a path joined from a folder and safe names stays in
/// that folder by construction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SafeName(String);

impl SafeName {
    /// `name` (normalised to NFC) if it is a safe file name.
    pub fn new(name: &str) -> Result<SafeName, Unsafe> {
        let name: String = name.nfc().collect();
        check(&name)?;
        Ok(SafeName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name with its extension replaced (报告.pdf → 报告.docx).
    pub fn with_extension(&self, ext: &str) -> Result<SafeName, Unsafe> {
        let stem = match self.0.rfind('.') {
            Some(i) if i > 0 => &self.0[..i],
            _ => &self.0,
        };
        SafeName::new(&format!("{stem}.{ext}"))
    }

    /// How Windows (and macOS) compare names: without regard to case, after
    /// normalisation. Two names with the same key are one file there.
    pub fn key(&self) -> String {
        key(&self.0)
    }
}

/// The comparison key of any name (see [`SafeName::key`]).
pub fn key(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

impl AsRef<Path> for SafeName {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

impl AsRef<std::ffi::OsStr> for SafeName {
    fn as_ref(&self) -> &std::ffi::OsStr {
        std::ffi::OsStr::new(&self.0)
    }
}

impl AsRef<str> for SafeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters no one can see or that change how text around them shows: controls,
/// direction marks and overrides, zero-width characters, the byte-order mark.
pub fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn check(name: &str) -> Result<(), Unsafe> {
    if name.is_empty() {
        return Err(Unsafe::Empty);
    }
    if name == "." || name == ".." {
        return Err(Unsafe::Dots);
    }
    for c in name.chars() {
        match c {
            '/' | '\\' => return Err(Unsafe::Separator(c)),
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => return Err(Unsafe::Forbidden(c)),
            c if invisible(c) => return Err(Unsafe::Invisible(c)),
            _ => {}
        }
    }
    if name.starts_with('.') {
        return Err(Unsafe::LeadingDot);
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err(Unsafe::Space);
    }
    if name.ends_with('.') {
        return Err(Unsafe::TrailingDot);
    }
    // Windows takes a device name with any extension (nul.txt, CON .pdf) for the device.
    let base = name.split('.').next().unwrap_or("").trim_end_matches([' ', '.']);
    if is_device(base) {
        return Err(Unsafe::Device(base.to_string()));
    }
    let (bytes, units) = (name.len(), name.encode_utf16().count());
    if bytes > MAX_NAME || units > MAX_NAME {
        return Err(Unsafe::TooLong { bytes, units });
    }
    Ok(())
}

fn is_device(base: &str) -> bool {
    let upper = base.to_ascii_uppercase();
    if matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$") {
        return true;
    }
    // COM0–COM9 and LPT0–LPT9, also with the superscript digits Windows counts.
    let mut chars = upper.chars();
    let head: String = chars.by_ref().take(3).collect();
    let rest: Vec<char> = chars.collect();
    (head == "COM" || head == "LPT") && rest.len() == 1 && matches!(rest[0], '0'..='9' | '¹' | '²' | '³')
}

/// A unit's name as it will be used in file names: a safe name of at most
/// [`MAX_UNIT_CHARS`] characters.
pub fn unit_name(name: &str) -> Result<SafeName, Unsafe> {
    let safe = SafeName::new(name)?;
    let n = safe.as_str().chars().count();
    if n > MAX_UNIT_CHARS {
        return Err(Unsafe::UnitTooLong(n));
    }
    Ok(safe)
}

/// What to tell the office about a unit name that cannot be used, and how to fix it.
pub fn unit_advice() -> &'static str {
    "单位名称会用作反馈单和空白填报表的文件名，请改用可作文件名的写法（不含 / \\ : * ? \" < > | 和控制字符，首尾无空格和点，如“市教育体育局”），其他写法可放在 aliases（简称）中"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_are_normalised() {
        for ok in ["市卫生健康局", "报告（2025年度）.pdf", "a b.xlsx", "COM10", "CONSOLE.txt", "Lpt", "市教育体育局_2025年度填报表.xlsx"]
        {
            assert_eq!(SafeName::new(ok).map(|s| s.to_string()), Ok(ok.to_string()), "{ok}");
        }
        // é as e + combining accent becomes the one character.
        assert_eq!(SafeName::new("Cafe\u{301}").unwrap().as_str(), "Caf\u{e9}");
        assert_eq!(SafeName::new("ABC.pdf").unwrap().key(), SafeName::new("abc.PDF").unwrap().key());
    }

    #[test]
    fn unsafe_names_are_refused() {
        let cases: &[(&str, Unsafe)] = &[
            ("", Unsafe::Empty),
            ("..", Unsafe::Dots),
            (".", Unsafe::Dots),
            ("../../../X", Unsafe::Separator('/')),
            ("..\\..\\X", Unsafe::Separator('\\')),
            ("/etc/passwd", Unsafe::Separator('/')),
            ("C:\\Windows", Unsafe::Forbidden(':')),
            ("市教育/体育局", Unsafe::Separator('/')),
            ("报告?.pdf", Unsafe::Forbidden('?')),
            ("a\u{0}b", Unsafe::Invisible('\u{0}')),
            ("市\n卫健局", Unsafe::Invisible('\n')),
            ("市卫健局\u{202e}", Unsafe::Invisible('\u{202e}')),
            (".planmon-journal.json", Unsafe::LeadingDot),
            (" 市卫健局", Unsafe::Space),
            ("报告.pdf ", Unsafe::Space),
            ("市卫健局.", Unsafe::TrailingDot),
            ("CON", Unsafe::Device("CON".into())),
            ("con.pdf", Unsafe::Device("con".into())),
            ("NUL .tar.gz", Unsafe::Device("NUL".into())),
            ("com1", Unsafe::Device("com1".into())),
            ("LPT9.xlsx", Unsafe::Device("LPT9".into())),
            ("COM¹", Unsafe::Device("COM¹".into())),
        ];
        for (name, why) in cases {
            assert_eq!(SafeName::new(name).as_ref(), Err(why), "{name:?}");
            assert!(!why.explain().is_empty());
        }
        let long = "局".repeat(86);
        assert!(matches!(SafeName::new(&long), Err(Unsafe::TooLong { bytes: 258, .. })));
        assert!(SafeName::new(&"局".repeat(85)).is_ok());
        assert_eq!(unit_name(&"局".repeat(61)), Err(Unsafe::UnitTooLong(61)));
    }

    #[test]
    fn a_safe_name_joined_stays_in_its_folder() {
        let dir = Path::new("/out/反馈单");
        for name in ["市卫健局_2025年度填报数据反馈单.pdf", "a.b.c"] {
            let p = dir.join(SafeName::new(name).unwrap());
            assert_eq!(p.parent(), Some(dir));
            assert_eq!(p.components().count(), dir.components().count() + 1);
        }
        let docx = SafeName::new("报告（2025年度）.pdf").unwrap().with_extension("docx").unwrap();
        assert_eq!(docx.as_str(), "报告（2025年度）.docx");
    }
}
