//! Command-line arguments as typed (clap derive; the doc comments are the help text),
//! and the checked configuration the commands run with.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// planmon：仁怀市公共服务发展行动方案监测工具。
///
/// 把各责任单位的 Excel 填报表放进 input 文件夹，运行 `planmon`，
/// 在 output 文件夹得到汇总表、进展报告、各单位反馈单和数据表。
#[derive(Debug, Parser)]
#[command(name = "planmon", version, about, long_about = None, disable_help_subcommand = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// 计划表和报告模板所在文件夹（indicators.toml、units.toml、report.typ 等），
    /// 默认使用当前目录下的 templates/（存在时），否则使用程序内置的版本。
    /// 例：--templates ./templates
    #[arg(long, global = true, value_name = "文件夹")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 运行汇总：读取填报表，校验、汇总，生成报告（不写子命令时即运行此项）。
    /// 例：planmon run --input input --output output --year 2025
    Run(RunArgs),
    /// 列出指标表（附件1 和重点任务中的量化目标）。
    /// 例：planmon indicators --format csv
    Indicators(IndicatorArgs),
    /// 方案的附件：导入附件1（主要发展指标表）和附件2（项目汇总表）。
    /// 例：planmon plan import 附件1.xlsx 附件2.docx --write
    Plan(PlanArgs),
    /// 检查填报表：列出读到的每个数据和发现的问题，不写任何文件。
    /// 例：planmon check 市卫生健康局_2025年度填报表.xlsx
    Check(CheckArgs),
    /// 生成各责任单位的空白填报表（每单位一个 xlsx）。
    /// 例：planmon templates --year 2025 --output 填报表
    Templates(TemplateArgs),
    /// 新建工作文件夹：input/、output/、可修改的计划表和报告模板（templates/）、设置文件 planmon.toml。
    /// 例：planmon init 监测2025 --sample
    Init(InitArgs),
    /// 生成合成的示例填报表（标明“示例数据”），用于演示和测试。
    /// 例：planmon sample --output input --seed 2023
    #[command(hide = true)]
    Sample(SampleArgs),
    /// 性能测试：生成 12、1200、12000 份不同单位的填报表和一批同一份表的多个版本，报告各阶段用时、库本身（calamine、typst）做同样的事的用时、每秒处理份数和内存峰值，以及一个县的完整运行（新的输出文件夹和再次运行）。
    /// 例：cargo run --release -- bench
    #[command(hide = true)]
    Bench(BenchArgs),
    /// 内部使用：在单独的进程中读取填报表、导入方案附件或排版报告（由 run、check、plan import 启动）。
    #[command(hide = true)]
    Worker(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// 做哪一种工作。
    #[arg(value_enum)]
    pub kind: crate::worker::Kind,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// 要新建的工作文件夹（默认当前文件夹）；已有的文件不会被覆盖。例：planmon init 监测2025
    #[arg(value_name = "文件夹", default_value = ".")]
    pub dir: PathBuf,
    /// 同时在 input/ 中放入合成的示例填报表，便于先试运行一次。
    #[arg(long)]
    pub sample: bool,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// 填报年度（规划期内或规划期后 5 年内；默认：今年与规划末年中较早的一年，不早于规划起始年）。例：--year 2025
    #[arg(long, value_name = "年份")]
    pub year: Option<i32>,
    /// 输出文件夹。例：--output 填报表
    #[arg(long, value_name = "文件夹", default_value = "填报表")]
    pub output: PathBuf,
    /// 已收到的填报表所在文件夹，用于预填“上年值”（不存在时不预填）。例：--input input
    #[arg(long, value_name = "文件夹", default_value = "input")]
    pub input: PathBuf,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// 输出文件夹。
    #[arg(long, value_name = "文件夹", default_value = "input")]
    pub output: PathBuf,
    /// 随机数种子（同一种子生成完全相同的文件）。
    #[arg(long, default_value_t = 2023)]
    pub seed: u64,
    /// 生成到哪一年为止（从规划起始年开始；默认规划末年）。
    #[arg(long, value_name = "年份")]
    pub last_year: Option<i32>,
    /// 每个单位每年生成几份（放在 副本001/ … 子文件夹中，数值相同），用于测试大批量。
    #[arg(long, default_value_t = 1)]
    pub copies: usize,
    /// 版式：standard（统一模板）、messy（单位自制表格）、mixed（两者交替）。
    #[arg(long, value_enum, default_value_t = Layout::Standard)]
    pub layout: Layout,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Layout {
    Standard,
    Messy,
    Mixed,
}

/// 性能测试（请用 --release 编译后运行）。
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// 各次测试的填报表份数（都是不同单位的表：计划中的单位，加上为测试登记的合成单位）。
    #[arg(long, value_delimiter = ',', default_values_t = [12usize, 1200, 12000])]
    pub returns: Vec<usize>,
    /// 生成测试数据的文件夹（已有的数据会复用）。
    #[arg(long, value_name = "文件夹", default_value = "target/bench-data")]
    pub dir: PathBuf,
    /// 随机数种子。
    #[arg(long, default_value_t = 2023)]
    pub seed: u64,
    /// 每个规模重复测量“calamine 单独解析”和“读取+校验+汇总”的轮数（交替进行，取最快一轮），
    /// 以减少共享机器上的偶然波动。默认：12 和 1,200 份 5 轮，更多份 3 轮。
    #[arg(long)]
    pub rounds: Option<usize>,
    /// 另测一行“同一份表的多个版本”：这么多份填报表，是各单位各年度的表各有许多个版本（0 表示不测）。
    #[arg(long, default_value_t = 1200)]
    pub versions: usize,
    /// “一个县的完整运行”（启动 planmon run 进程，示例规模的填报表）测几轮（0 表示不测）。
    #[arg(long, default_value_t = 7)]
    pub county_rounds: usize,
    /// 县级运行与另一个 planmon 程序（如上一版本）交替测量，两者用同样的填报表。
    #[arg(long, value_name = "程序")]
    pub compare: Option<PathBuf>,
    /// 内部使用：只测一个规模并输出一行 JSON。
    #[arg(long, hide = true)]
    pub one: Option<usize>,
    /// 内部使用：--one 所测的是版本（而非不同单位）的填报表。
    #[arg(long, hide = true)]
    pub one_versions: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// 填报表所在文件夹（只读取，不会修改）。例：--input input
    #[arg(long, value_name = "文件夹", default_value = "input")]
    pub input: PathBuf,
    /// 输出文件夹。例：--output output
    #[arg(long, value_name = "文件夹", default_value = "output")]
    pub output: PathBuf,
    /// 报告年度，默认取填报表中最新的年度。例：--year 2025
    #[arg(long, value_name = "年份")]
    pub year: Option<i32>,
    /// 有“错误”级别的数据问题时以退出码 1 结束（供自动化流程使用）。例：planmon run --strict
    #[arg(long)]
    pub strict: bool,
    /// 不显示进度条和结束时的摘要（错误信息仍会显示）。例：planmon run --quiet
    #[arg(long, short)]
    pub quiet: bool,
    /// 结束时以 JSON 格式输出摘要（供其他程序读取）。例：planmon run --json
    #[arg(long)]
    pub json: bool,
    /// 保留最近几次运行的旧输出（在 output/history/ 中）。例：--keep-history 10
    #[arg(long, value_name = "次数", default_value_t = 10)]
    pub keep_history: usize,
    /// 报告的成文日期（北京时间），默认运行当天；也可在 planmon.toml 中设置。例：--date 2026-01-20
    #[arg(long, value_name = "日期", value_parser = parse_date_arg)]
    pub date: Option<String>,
    /// 不生成 Word 版（.docx）报告和反馈单（默认生成；也可在 planmon.toml 中写 word = false）。
    #[arg(long)]
    pub no_word: bool,
    /// 不生成有问题的填报表的批注副本（默认生成；也可在 planmon.toml 中写 annotate = false）。
    #[arg(long)]
    pub no_annotate: bool,
    /// 规划期结束以后的年度也按终期评估报告生成（规划期末年默认即是；也可在 planmon.toml 中写 final = true）。
    #[arg(long = "final")]
    pub final_eval: bool,
}

fn parse_date_arg(text: &str) -> Result<String, String> {
    crate::clock::parse_date(text).map(|_| text.to_string()).ok_or_else(|| format!("日期“{text}”应写成“年-月-日”，如 2026-01-20"))
}

impl Default for RunArgs {
    /// What `planmon` alone does: input/ → output/.
    fn default() -> RunArgs {
        RunArgs {
            input: "input".into(),
            output: "output".into(),
            year: None,
            strict: false,
            quiet: false,
            json: false,
            keep_history: 10,
            date: None,
            no_word: false,
            no_annotate: false,
            final_eval: false,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    /// 对齐的文本表格
    #[default]
    Table,
    /// 逗号分隔（UTF-8）
    Csv,
    /// JSON
    Json,
    /// 附件1、附件2 的 Excel 表格（写入文件，见 --output）
    Xlsx,
    /// 附件1、附件2 的 Word 文档（写入文件，见 --output）
    Docx,
}

#[derive(Debug, Args)]
pub struct IndicatorArgs {
    /// 输出格式。例：--format csv
    #[arg(long, value_enum, value_name = "格式", default_value_t = Format::Table)]
    pub format: Format,
    /// xlsx、docx 格式写入的文件（默认“方案附件1附件2.xlsx/.docx”；已有同名文件时不覆盖）。
    #[arg(long, value_name = "文件")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// 从 Excel/WPS 表格（xlsx、xls、ods）或 Word 文档（docx）中导入附件1、附件2，
    /// 先列出与当前表的差别，加 --write（或在终端中确认）才写入 templates/。
    /// 例：planmon plan import 附件1.xlsx 附件2.docx --write
    Import(PlanImportArgs),
}

#[derive(Debug, Args)]
pub struct PlanImportArgs {
    /// 含附件1和/或附件2表格的文件。
    #[arg(required = true, value_name = "文件")]
    pub files: Vec<PathBuf>,
    /// 不询问，直接写入。
    #[arg(long)]
    pub write: bool,
    /// 只列出差别，不询问也不写入。
    #[arg(long, conflicts_with = "write")]
    pub no: bool,
    /// 写入到哪个文件夹（默认当前工作文件夹中的 templates/；原有文件先备份）。
    #[arg(long, value_name = "文件夹", default_value = "templates")]
    pub into: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// 要检查的填报表文件或文件夹（一个或多个；文件夹即其中的全部填报表）。例：planmon check 市卫生健康局_2025年度填报表.xlsx
    #[arg(required = true, value_name = "文件")]
    pub files: Vec<PathBuf>,
    /// 以 JSON 格式输出读到的数据和问题。例：planmon check --json 填报表.xlsx
    #[arg(long)]
    pub json: bool,
    /// 与该输出文件夹中上次运行的结果对比，显示这份（更正后的）填报表会改变哪些数据，不改动任何文件。
    /// 例：planmon check --against output 市卫生健康局_2025年度填报表（修改版）.xlsx
    #[arg(long, value_name = "输出文件夹")]
    pub against: Option<PathBuf>,
}

/// Where the plan tables and templates come from, decided once.
pub fn templates_dir(cli_value: Option<PathBuf>) -> Result<Option<PathBuf>, String> {
    match cli_value {
        Some(dir) if dir.is_dir() => Ok(Some(dir)),
        Some(dir) => Err(format!("找不到模板文件夹“{}”。请检查 --templates 的路径。", dir.display())),
        None => {
            let local = PathBuf::from("templates");
            Ok(local.join("indicators.toml").is_file().then_some(local))
        }
    }
}

/// clap's fixed words in a help text, in Chinese (the help texts themselves are the
/// doc comments above, already Chinese).
pub fn chinese_help(text: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("Usage: ", "用法："),
        ("Usage:", "用法："),
        ("Commands:", "子命令："),
        ("Options:", "选项："),
        ("Arguments:", "参数："),
        ("Print help", "显示本说明"),
        ("Print version", "显示版本"),
        ("[OPTIONS]", "[选项]"),
        ("[COMMAND]", "[子命令]"),
        ("<COMMAND>", "<子命令>"),
        ("[default: ", "[默认："),
        ("[possible values: ", "[可选："),
        ("[aliases: ", "[别名："),
    ];
    WORDS.iter().fold(text.to_string(), |t, (en, zh)| t.replace(en, zh))
}

/// A command-line error in Chinese: what is wrong and what to do, then clap's own words.
pub fn explain_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let arg = context(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    let what = match e.kind() {
        ErrorKind::UnknownArgument => format!("命令行中有不认识的选项或参数“{arg}”"),
        ErrorKind::InvalidSubcommand => {
            format!("没有“{}”这个子命令（可用的有 run、check、templates、indicators、plan、init）", context(ContextKind::InvalidSubcommand))
        }
        ErrorKind::InvalidValue => {
            let valid = context(ContextKind::ValidValue);
            let valid = if valid.is_empty() { String::new() } else { format!("，可选：{valid}") };
            format!("{arg} 的值“{value}”不对{valid}")
        }
        ErrorKind::ValueValidation => format!("{arg} 的值“{value}”不符合要求（例如年份应为整数、日期应写成 2026-01-20）"),
        ErrorKind::MissingRequiredArgument => format!("缺少必须给出的参数 {arg}"),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "缺少子命令".to_string(),
        ErrorKind::ArgumentConflict => format!("{arg} 与 {} 不能同时使用", context(ContextKind::PriorArg)),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => format!("{arg} 的值的个数不对"),
        ErrorKind::NoEquals => format!("{arg} 的值要用等号连接，如 {arg}=值"),
        ErrorKind::InvalidUtf8 => "命令行参数中有无法识别的文字（不是有效的 UTF-8）".to_string(),
        _ => "命令行参数有误".to_string(),
    };
    let suggestion = [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue]
        .into_iter()
        .map(context)
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let suggestion = if suggestion.is_empty() { String::new() } else { format!("是不是要写 {suggestion}？") };
    let original = e.render().to_string();
    // Without a subcommand clap shows the help: its fixed words in Chinese too.
    let original = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand { chinese_help(&original) } else { original };
    format!(
        "错误：{what}。{suggestion}请运行 planmon --help（或 planmon 子命令 --help）查看用法和例子。\n（clap 的原始说明：）\n{}",
        original.trim_end()
    )
}
