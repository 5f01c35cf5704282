#!/usr/bin/python3
"""Generates the office fixtures of scanner/scan's office accuracy test.

Everything here is written by a real office application or library:
LibreOffice (headless soffice) converts hand-written flat OpenDocument
files into .pptx/.odp/.docx/.odt and the legacy .ppt/.doc/.xls, and renders
the picture with text; openpyxl writes the workbook. One customer name from
rules.toml is planted in each place a document can hide text; decoys are
near misses that must not be flagged. The expected findings are in
expected.json, written here from the same table the documents are made
from, so test and fixtures cannot drift apart.

Run from this directory: /usr/bin/python3 gen.py
Needs: libreoffice-impress, libreoffice-writer, libreoffice-calc,
python3-openpyxl (Debian packages).
"""
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="dg-office-gen-")
PROFILE = "file://" + os.path.join(TMP, "profile")

# expected[file] = list of {rule, text, location}; every finding the scan of
# that file must produce, and no other.
expected = {}


def soffice(src, fmt, outdir):
    subprocess.run(["soffice", "--headless", "--norestore", "-env:UserInstallation=" + PROFILE,
                    "--convert-to", fmt, "--outdir", outdir, src],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:officeooo="http://openoffice.org/2009/office" '
      'office:version="1.3"')


def picture(text):
    """A PNG of a slide-sized drawing with text on it, rendered by LibreOffice."""
    src = os.path.join(TMP, "picture.fodg")
    with open(src, "w") as f:
        f.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:mimetype="application/vnd.oasis.opendocument.graphics">
<office:automatic-styles>
 <style:page-layout style:name="PM1"><style:page-layout-properties fo:margin-top="0cm" fo:margin-bottom="0cm" fo:margin-left="0cm" fo:margin-right="0cm" fo:page-width="16cm" fo:page-height="4cm"/></style:page-layout>
 <style:style style:name="P1" style:family="paragraph"><style:text-properties fo:font-size="40pt" style:font-name="DejaVu Sans" fo:font-family="DejaVu Sans"/></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Default" style:page-layout-name="PM1"/></office:master-styles>
<office:body><office:drawing><draw:page draw:name="p1" draw:master-page-name="Default">
 <draw:frame svg:x="0.5cm" svg:y="0.8cm" svg:width="15cm" svg:height="2.5cm"><draw:text-box><text:p text:style-name="P1">{text}</text:p></draw:text-box></draw:frame>
</draw:page></office:drawing></office:body></office:document>''')
    soffice(src, "png", TMP)
    with open(os.path.join(TMP, "picture.png"), "rb") as f:
        return f.read()


def loc(part, **kw):
    d = {"part": part}
    d.update(kw)
    return d


def deck():
    png = base64.b64encode(picture("Woodgrove")).decode()
    # slide 1: a name split across two formatting runs, notes with a
    # customer next to an amount, a link; slide 2 hidden; slide 3 a comment,
    # a footer, a picture with alt text and text in its pixels; slide 4 a
    # table. The master carries a name on every slide.
    body = f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:meta><dc:title>Relecloud quarterly review</dc:title></office:meta>
<office:styles><style:default-style style:family="graphic"/></office:styles>
<office:automatic-styles>
 <style:page-layout style:name="PM1"><style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm" style:print-orientation="landscape"/></style:page-layout>
 <style:style style:name="dp1" style:family="drawing-page"><style:drawing-page-properties presentation:display-footer="true"/></style:style>
 <style:style style:name="dp2" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="hidden"/></style:style>
 <style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Default" style:page-layout-name="PM1" draw:style-name="dp1">
  <draw:custom-shape draw:layer="backgroundobjects" svg:x="1cm" svg:y="0.2cm" svg:width="12cm" svg:height="1cm"><text:p>Prepared for Tailspin</text:p><draw:enhanced-geometry svg:viewBox="0 0 21600 21600" draw:type="rectangle"/></draw:custom-shape>
 </style:master-page>
</office:master-styles>
<office:body><office:presentation>
 <draw:page draw:name="Intro" draw:master-page-name="Default" draw:style-name="dp1">
  <draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box>
   <text:p>Renewal with Wal<text:span text:style-name="T1">mart</text:span> is on track</text:p>
   <text:p>Decoys: Walnut orchard, Q3 roadmap, price $4.99, 1,000,000 requests</text:p>
   <text:p><text:a xlink:type="simple" xlink:href="https://crm.example.com/accounts/Proseware">account page</text:a></text:p>
  </draw:text-box></draw:frame>
  <presentation:notes><draw:frame presentation:class="notes" svg:x="2cm" svg:y="14cm" svg:width="17cm" svg:height="10cm"><draw:text-box>
   <text:p>Say out loud: Contoso cloud spend $580.4 million</text:p>
  </draw:text-box></draw:frame></presentation:notes>
 </draw:page>
 <draw:page draw:name="Backup" draw:master-page-name="Default" draw:style-name="dp2">
  <draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Fabrikam pricing, not for this audience</text:p></draw:text-box></draw:frame>
 </draw:page>
 <draw:page draw:name="Pictures" draw:master-page-name="Default" draw:style-name="dp1">
  <draw:frame svg:x="2cm" svg:y="4cm" svg:width="16cm" svg:height="4cm"><draw:image><office:binary-data>{png}</office:binary-data></draw:image><svg:desc>Screenshot of the Adatum console</svg:desc></draw:frame>
  <draw:frame presentation:class="footer" svg:x="9cm" svg:y="14.5cm" svg:width="10cm" svg:height="1cm"><draw:text-box><text:p>Litware partnership</text:p></draw:text-box></draw:frame>
  <officeooo:annotation svg:x="1cm" svg:y="1cm"><dc:creator>Reviewer</dc:creator><dc:date>2026-11-01T10:00:00</dc:date><text:p>Ask Northwind before showing this</text:p></officeooo:annotation>
 </draw:page>
 <draw:page draw:name="Table" draw:master-page-name="Default" draw:style-name="dp1">
  <draw:frame svg:x="2cm" svg:y="2cm" svg:width="16cm" svg:height="3cm"><table:table>
   <table:table-column/><table:table-column/>
   <table:table-row><table:table-cell><text:p>Account</text:p></table:table-cell><table:table-cell><text:p>Lucerne</text:p></table:table-cell></table:table-row>
  </table:table></draw:frame>
 </draw:page>
</office:presentation></office:body></office:document>'''
    src = os.path.join(TMP, "deck.fodp")
    with open(src, "w") as f:
        f.write(body)
    for fmt in ("pptx", "odp", "ppt"):
        soffice(src, fmt, TMP)
    common = [
        ("customers", "Walmart", loc("slide", slide=1)),
        ("customers", "Proseware", loc("link", slide=1)),
        ("customers", "Contoso", loc("notes", slide=1)),
        ("large-amount", "$580.4 million", loc("notes", slide=1)),
        ("customer-spend", "Contoso … $580.4 million", loc("notes", slide=1)),
        ("customers", "Fabrikam", loc("slide", slide=2, hidden=True)),
        ("customers", "Adatum", loc("alt", slide=3)),
        ("customers", "Woodgrove", loc("image", slide=3)),
        ("customers", "Litware", loc("footer", slide=3)),
        ("customers", "Northwind", loc("comment", slide=3)),
        ("customers", "Lucerne", loc("slide", slide=4)),
        ("customers", "Tailspin", loc("master")),
        ("customers", "Relecloud", loc("properties")),
    ]
    expected["deck.odp"] = common
    # The pptx also gets an embedded workbook on slide 1, the way PowerPoint
    # stores an inserted spreadsheet object: a package part with a
    # relationship from the slide.
    inner = workbook_bytes(embedded=True)
    src = os.path.join(TMP, "deck.pptx")
    dst = os.path.join(HERE, "deck.pptx")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="xlsx" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/></Types>')
            if item.filename == "ppt/slides/_rels/slide1.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdEmb1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/package" Target="../embeddings/Microsoft_Excel_Worksheet1.xlsx"/></Relationships>')
            zout.writestr(item, data)
        zout.writestr("ppt/embeddings/Microsoft_Excel_Worksheet1.xlsx", inner)
    expected["deck.pptx"] = common + [
        ("customers", "Margie", loc("cell", slide=1, sheet="Sheet", cell="A1", embedded="ppt/embeddings/Microsoft_Excel_Worksheet1.xlsx")),
    ]
    shutil.copy(os.path.join(TMP, "deck.odp"), HERE)
    shutil.copy(os.path.join(TMP, "deck.ppt"), os.path.join(HERE, "legacy-deck.ppt"))
    # LibreOffice's binary PowerPoint round trip keeps everything but the
    # alt text; the footer comes back as a plain text shape on the slide.
    expected["legacy-deck.ppt"] = [(r, t, loc("slide", slide=3) if t == "Litware" else l) for r, t, l in common if l["part"] != "alt"]


def document():
    png = base64.b64encode(picture("Nod Publishers")).decode()
    body = f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><meta:initial-creator>Quillon</meta:initial-creator><dc:title>Plan</dc:title></office:meta>
<office:automatic-styles>
 <style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"/><style:header-style/><style:footer-style/></style:page-layout>
 <style:style style:name="T1" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Standard" style:page-layout-name="pm1">
  <style:header><text:p>Wingtip programme</text:p></style:header>
  <style:footer><text:p>Humongous Insurance, page footer</text:p></style:footer>
 </style:master-page>
</office:master-styles>
<office:body><office:text>
 <text:tracked-changes text:track-changes="true">
  <text:changed-region xml:id="ct1" text:id="ct1"><text:deletion><office:change-info><dc:creator>Editor</dc:creator><dc:date>2026-11-01T10:00:00</dc:date></office:change-info><text:p>Consolidated Messenger</text:p></text:deletion></text:changed-region>
  <text:changed-region xml:id="ct2" text:id="ct2"><text:insertion><office:change-info><dc:creator>Editor</dc:creator><dc:date>2026-11-01T10:00:00</dc:date></office:change-info></text:insertion></text:changed-region>
 </text:tracked-changes>
 <text:p>Kick-off with Alp<text:span text:style-name="T1">ine Ski</text:span> next week</text:p>
 <text:p>Decoys: Alpaca farm, Blue sky thinking, $250K, confidentiality agreement template</text:p>
 <text:p>Partner: <text:change text:change-id="ct1"/><text:change-start text:change-id="ct2"/>Blue Yonder<text:change-end text:change-id="ct2"/> signs.</text:p>
 <text:p>Budget note<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Figures from Vanarsdel</text:p></text:note-body></text:note> and source<text:note text:id="edn1" text:note-class="endnote"><text:note-citation>i</text:note-citation><text:note-body><text:p>Bellows survey</text:p></text:note-body></text:note>.</text:p>
 <text:p>Review<office:annotation><dc:creator>Reviewer</dc:creator><dc:date>2026-11-01T10:00:00</dc:date><text:p>Check with Munson first</text:p></office:annotation> pending.</text:p>
 <text:p><text:a xlink:type="simple" xlink:href="https://crm.example.com/Osprey">the account</text:a></text:p>
 <text:p><draw:frame draw:name="Box" text:anchor-type="paragraph" svg:width="8cm" svg:height="2cm"><draw:text-box><text:p>Kestrel pilot</text:p></draw:text-box></draw:frame></text:p>
 <text:p><draw:frame draw:name="Pic" text:anchor-type="paragraph" svg:width="8cm" svg:height="2cm"><draw:image><office:binary-data>{png}</office:binary-data></draw:image><svg:desc>Palisade dashboard</svg:desc></draw:frame></text:p>
 <table:table table:name="T"><table:table-column/><table:table-row><table:table-cell><text:p>Coho Winery</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document>'''
    src = os.path.join(TMP, "plan.fodt")
    with open(src, "w") as f:
        f.write(body)
    for fmt in ("docx", "odt", "doc"):
        soffice(src, fmt, TMP)
    common = [
        ("customers", "Alpine Ski", loc("body")),
        ("customers", "Blue Yonder", loc("body")),
        ("customers", "Consolidated Messenger", loc("deleted")),
        ("customers", "Vanarsdel", loc("footnote")),
        ("customers", "Bellows", loc("endnote")),
        ("customers", "Munson", loc("comment")),
        ("customers", "Osprey", loc("link")),
        ("customers", "Kestrel", loc("body")),
        ("customers", "Palisade", loc("alt")),
        ("customers", "Nod Publishers", loc("image")),
        ("customers", "Coho Winery", loc("body")),
        ("customers", "Wingtip", loc("header")),
        ("customers", "Humongous", loc("footer")),
        ("customers", "Quillon", loc("properties")),
    ]
    for name in ("plan.docx", "plan.odt"):
        shutil.copy(os.path.join(TMP, name), HERE)
        expected[name] = common
    shutil.copy(os.path.join(TMP, "plan.doc"), os.path.join(HERE, "legacy-plan.doc"))
    # The .doc round trip loses the picture's alt text only.
    expected["legacy-plan.doc"] = [e for e in common if e[2]["part"] != "alt"]


def workbook_bytes(embedded=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet" if embedded else "Summary"
    if embedded:
        ws["A1"] = "Margie Travel"
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    ws["A1"], ws["B1"], ws["C1"], ws["D1"] = "Customer", "Spend", "Raw", "Note"
    ws["A2"] = "Walmart"
    ws["B2"] = 580400000
    ws["B2"].number_format = '"$"#,##0'
    ws["C2"] = 580400000  # General: a bare number, not an amount (decoy)
    ws["D2"] = "Walnut orchard"
    ws["A3"] = "Q3 roadmap"
    ws["A3"].comment = Comment("Lamna asked for this", "Reviewer")
    ws["A5"] = "Northwind"
    ws.row_dimensions[5].hidden = True
    ws["E3"] = "Tailspin"
    ws.column_dimensions["E"].hidden = True
    ws["B6"] = 0.25
    ws["B6"].number_format = "0%"
    ws["B7"] = 45000
    ws["B7"].number_format = "yyyy-mm-dd"  # a date serial, not an amount (decoy)
    q3 = wb.create_sheet("Q3")
    q3["C14"] = "Contoso"
    q3.sheet_state = "hidden"
    ops = wb.create_sheet("Ops")
    ops["A1"] = "Fabrikam"
    ops.sheet_state = "veryHidden"
    data = wb.create_sheet("Data")
    for i in range(1, 5):
        data.cell(row=i, column=1, value=i * 10)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=4), titles_from_data=False)
    chart.series[0].tx = SeriesLabel(v="Trey Research revenue")
    data.add_chart(chart, "C2")
    wb.defined_names.append(DefinedName("Key_account", attr_text='"Wide World Importers"'))
    wb.properties.creator = "Relecloud"
    wb.properties.title = "Model"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def spreadsheet():
    with open(os.path.join(HERE, "model.xlsx"), "wb") as f:
        f.write(workbook_bytes())
    shutil.copy(os.path.join(HERE, "model.xlsx"), os.path.join(TMP, "model.xlsx"))
    for fmt in ("ods", "xls"):
        soffice(os.path.join(TMP, "model.xlsx"), fmt, TMP)
    common = [
        ("customers", "Walmart", loc("cell", sheet="Summary", cell="A2")),
        ("large-amount", "$580,400,000", loc("cell", sheet="Summary", cell="B2")),
        ("customer-spend", "Walmart … $580,400,000", loc("cell", sheet="Summary", cell="A2")),
        ("customers", "Lamna", loc("comment", sheet="Summary", cell="A3")),
        ("customers", "Northwind", loc("cell", sheet="Summary", cell="A5", hidden=True)),
        ("customers", "Tailspin", loc("cell", sheet="Summary", cell="E3", hidden=True)),
        ("customers", "Contoso", loc("cell", sheet="Q3", cell="C14", hidden=True)),
        ("customers", "Fabrikam", loc("cell", sheet="Ops", cell="A1", hidden=True)),
        ("customers", "Wide World", loc("name", name="Key_account")),
    ]
    expected["model.xlsx"] = common + [
        ("customers", "Trey Research", loc("chart", sheet="Data")),
        ("customers", "Relecloud", loc("properties")),
    ]
    shutil.copy(os.path.join(TMP, "model.ods"), HERE)
    expected["model.ods"] = expected["model.xlsx"]
    shutil.copy(os.path.join(TMP, "model.xls"), os.path.join(HERE, "legacy-model.xls"))
    # The chart does not survive the round trip through .xls.
    expected["legacy-model.xls"] = common + [("customers", "Relecloud", loc("properties"))]


def main():
    try:
        spreadsheet()
        deck()
        document()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    out = {k: [{"rule": r, "text": t, "location": l} for r, t, l in v] for k, v in sorted(expected.items())}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
