"""Write the Word template of the supervision order (督办单) that ``rectification.supervision`` fills.

Run it after changing the layout and commit the .docx it writes beside the code:

    python scripts/make_supervision_template.py

The template is an ordinary .docx holding docxtpl (Jinja) tags: ``{{ number }}``, ``{{ issuing_office }}``,
``{{ recipient_unit }}``, a table row repeated per problem (``{%tr for p in problems %}``), the reply deadline
and ``{% if reply_required %}``. Each tag is written as one run, so Word never splits it across runs (docxtpl
needs the tag's characters together). A4 portrait, 仿宋 body text and a 宋体 title, as official documents use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

OUT = Path(__file__).resolve().parent.parent / (
    "src/bangfu/rectification/templates/rectification/supervision_order.docx"
)
BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
# The problems table: heading, the problem's field, and the column width.
COLUMNS = (
    ("问题编号", "p.code", 2.4),
    ("问题类别", "p.category", 2.0),
    ("涉及区域", "p.region", 2.6),
    ("问题描述", "p.description", 5.6),
    ("整改时限", "p.due_on", 2.2),
    ("逾期天数", "p.overdue_days", 1.6),
)


def _font(run_or_style: object, name: str, size: float | None = None, *, bold: bool = False) -> None:
    """Set the Latin and the East Asian font (python-docx sets only the Latin one by itself)."""
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = name
    font.bold = bold
    if size is not None:
        font.size = Pt(size)
    element = run_or_style.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def _line(
    doc: object,
    text: str,
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    size: float = 14,
    bold: bool = False,
) -> Paragraph:
    paragraph: Paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), BODY_FONT, size, bold=bold)
    return paragraph


def _cell(cell: _Cell, text: str, *, bold: bool = False, size: float = 10.5) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold else None
    _font(paragraph.add_run(text), BODY_FONT, size, bold=bold)


def build(path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(3.0)
    section.left_margin = section.right_margin = Cm(2.4)
    _font(doc.styles["Normal"], BODY_FONT, 14)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run("督 办 单"), TITLE_FONT, 22, bold=True)
    _line(doc, "{{ number }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    _line(doc, "督办单位：{{ issuing_office }}")
    _line(doc, "被督办单位：{{ recipient_unit }}")
    _line(doc, "{{ recipient_unit }}：")
    _line(
        doc,
        "经查，你单位下列问题已超过整改时限仍未整改到位（截至{{ as_of }}），现予督办。"
        "请立即采取有效措施，限期整改到位。",
    )

    table = doc.add_table(rows=4, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, loop_start, data, loop_end = table.rows
    for index, (heading, field, width) in enumerate(COLUMNS):
        for row in table.rows:
            row.cells[index].width = Cm(width)
        _cell(header.cells[index], heading, bold=True)
        _cell(data.cells[index], "{{ " + field + " }}")
    # docxtpl removes the rows holding {%tr %} tags and repeats the rows between them.
    _cell(loop_start.cells[0], "{%tr for p in problems %}")
    _cell(loop_end.cells[0], "{%tr endfor %}")

    _line(doc, "共{{ problems|length }}个问题。", size=12)
    _line(doc, "回复期限：{{ reply_due }}")
    _line(doc, "{% if reply_required %}请于{{ reply_due_short }}前书面回复整改情况。{% endif %}")
    _line(doc, "")
    _line(doc, "{{ issuing_office }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, "{{ issued_date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    build(target)
    sys.stdout.write(f"wrote {target}\n")
