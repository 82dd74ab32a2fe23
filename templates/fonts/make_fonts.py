#!/usr/bin/env python3
"""Cut the report's four Chinese faces out of Debian's font packages and subset them.

Run once by a maintainer (the results are committed; building planmon does not need
Python):

    apt-get install fonts-noto-cjk fonts-lxgw-wenkai && pip install fonttools
    python3 templates/fonts/make_fonts.py

Coverage: every character of GB 2312 (6,763 hanzi plus its symbols), ASCII, CJK and
full-width punctuation, and every character used in the plan text (seeds/) and the
plan tables and report templates (templates/). Characters outside this set are
replaced by "〓" in the PDF and reported as a finding (see src/render/fonts.rs).
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent

FACES = [
    # (source, face index in the collection, output) -- role in the report
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "NotoSerifCJKsc-Regular.otf"),  # 正文（仿宋/宋体替代）
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2, "NotoSerifCJKsc-Bold.otf"),  # 标题（小标宋替代）
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, "NotoSansCJKsc-Bold.otf"),  # 一级标题（黑体替代）
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0, "PlanmonKai-Regular.ttf"),  # 二级标题（楷体替代）
]


def charset() -> str:
    chars = set()
    # GB 2312: rows 0xA1-0xF7, cells 0xA1-0xFE.
    for hi in range(0xA1, 0xF8):
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
    return "".join(sorted(c for c in chars if c.isprintable() or (c.isspace() and c not in "\r\n\t\x0b\x0c")))


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
    text = charset()
    (HERE / "charset.txt").write_text(text, encoding="utf-8")
    for src, index, out in FACES:
        args = [
            "pyftsubset", src, f"--font-number={index}",
            f"--text-file={HERE / 'charset.txt'}",
            f"--output-file={HERE / out}",
            "--layout-features=*", "--name-IDs=*", "--name-languages=*",
            "--notdef-outline", "--no-hinting",
        ]
        print(" ".join(args), flush=True)
        subprocess.run(args, check=True)
        if out.startswith("PlanmonKai"):
            rename(HERE / out, "Planmon Kai")
    (HERE / "charset.txt").unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
