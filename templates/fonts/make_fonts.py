#!/usr/bin/env python3
"""Cut the report's four Chinese faces out of Debian's font packages and subset them.

Run once by a maintainer (the results are committed; building planmon does not need
Python):

    apt-get install fonts-noto-cjk fonts-lxgw-wenkai python3-fonttools python3-openpyxl
    /usr/bin/python3 templates/fonts/make_fonts.py

Coverage: the body face (正文) has every character of GB 2312 (6,763 hanzi plus its
symbols); the title and heading faces, which print mostly the templates' own words,
have GB 2312's first level (the 3,755 common hanzi, with its symbols). All four have
ASCII, CJK and full-width punctuation, and every character used in the plan text
(seeds/), the plan tables and report templates (templates/) and the sample returns'
tables (input/).

Layout: only the OpenType features typst applies to horizontal text by default or on
request (LAYOUT_FEATURES), and of the language systems only the default and Simplified
Chinese (ZHS: typst shapes `lang: "zh", region: "cn"` text with it; its `locl` gives the
Chinese forms of — " '). Keeping every feature and language (vertical forms, the
Japanese, Korean and Traditional forms of `locl`, `aalt`'s alternates) nearly doubled
the glyphs kept: 13,753 for 7,591 characters in the body face. A character of a heading that its face lacks is typeset in the body
face (typst's fallback), so every GB 2312 character prints; characters outside GB 2312
are replaced by "〓" in the PDF and reported as a finding (see src/render/world.rs).
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent

FACES = [
    # (source, face index in the collection, output, all of GB 2312) -- role in the report
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "NotoSerifCJKsc-Regular.otf", True),  # 正文（仿宋/宋体替代）
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2, "NotoSerifCJKsc-Bold.otf", False),  # 标题（小标宋替代）
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, "NotoSansCJKsc-Bold.otf", False),  # 一级标题（黑体替代）
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0, "PlanmonKai-Regular.ttf", False),  # 二级标题（楷体替代）
]


def charset(full: bool) -> str:
    chars = set()
    # GB 2312: rows 0xA1-0xF7, cells 0xA1-0xFE; symbols in rows 0xA1-0xA9, the first
    # level's hanzi in rows 0xB0-0xD7, the second level's in rows 0xD8-0xF7.
    rows = range(0xA1, 0xF8) if full else [*range(0xA1, 0xAA), *range(0xB0, 0xD8)]
    for hi in rows:
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    chars.update(chr(c) for c in range(0x20, 0x7F))
    chars.update(chr(c) for c in range(0x3000, 0x3040))  # CJK punctuation
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
    chars.update("‰—–‘’“”…·×÷±≤≥≈≠√∑①②③④⑤⑥⑦⑧⑨⑩〓□■▲△●○◆◇★☆→←↑↓%")
    for folder in (ROOT / "seeds", ROOT / "templates", ROOT / "input"):
        for path in folder.rglob("*"):
            if path.suffix in {".txt", ".toml", ".typ", ".md", ".csv"}:
                chars.update(path.read_text(encoding="utf-8"))
            elif path.suffix in {".xlsx", ".xls", ".xlsm", ".ods"}:
                chars.update(workbook_text(path))
    return "".join(sorted(c for c in chars if c.isprintable() or (c.isspace() and c not in "\r\n\t\x0b\x0c")))


def workbook_text(path: pathlib.Path) -> str:
    """The text of a sample return's cells (openpyxl reads xlsx and xlsm; others are skipped)."""
    if path.suffix not in {".xlsx", ".xlsm"}:
        return ""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    return "".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str))


# What typst's shaping asks for (typst-library text/mod.rs, `features`, and rustybuzz's
# defaults for horizontal text); nothing vertical, no width or proportional variants.
LAYOUT_FEATURES = "ccmp,locl,rvrn,liga,clig,calt,rlig,rclt,kern,mark,mkmk,curs,frac,numr,dnom,subs,sups,salt,lnum,onum,pnum,tnum,zero,smcp,c2sc"
LANGUAGES = {"ZHS "}


def chinese_only(src: str, index: int, out: pathlib.Path) -> None:
    """The face `index` of `src`, its language systems cut to the default and ZHS."""
    from fontTools.ttLib import TTFont

    font = TTFont(src, fontNumber=index)
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for record in font[tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [r for r in script.LangSysRecord if r.LangSysTag in LANGUAGES]
            script.LangSysCount = len(script.LangSysRecord)
    font.save(out)


def rename(path: pathlib.Path, family: str) -> None:
    """Give a subset a new family name: "LXGW"/"霞鹜" are Reserved Font Names (OFL 1.1 §3)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path)
    names = font["name"]
    ps = family.replace(" ", "") + "-Regular"
    for rec in list(names.names):
        if rec.nameID in (1, 16):
            rec.string = family
        elif rec.nameID in (3, 4):
            rec.string = f"{family} Regular"
        elif rec.nameID == 6:
            rec.string = ps
        elif rec.nameID in (17,):
            rec.string = "Regular"
    font.save(path)


def main() -> int:
    for src, index, out, full in FACES:
        (HERE / "charset.txt").write_text(charset(full), encoding="utf-8")
        face = HERE / "face.tmp"
        chinese_only(src, index, face)
        args = [
            sys.executable, "-m", "fontTools.subset", str(face),
            f"--text-file={HERE / 'charset.txt'}",
            f"--output-file={HERE / out}",
            f"--layout-features={LAYOUT_FEATURES}", "--name-IDs=*", "--name-languages=*",
            "--notdef-outline", "--no-hinting",
        ]
        print(" ".join(args), flush=True)
        subprocess.run(args, check=True)
        if out.startswith("PlanmonKai"):
            rename(HERE / out, "Planmon Kai")
        (HERE / "charset.txt").unlink()
        face.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
