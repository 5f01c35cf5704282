#!/usr/bin/python3
"""Writes the office benchmark inputs into OUTDIR: deck.pptx (200 slides
with speaker notes, every 20th slide hidden, 40 screenshots from
testdata/corpus, made by LibreOffice from a flat ODP) and model.xlsx
(50,000 cells on a visible and a hidden sheet, made by openpyxl).

    /usr/bin/python3 scanner/office/bench/gen.py OUTDIR
"""
import base64
import glob
import os
import subprocess
import sys

import openpyxl

NAMES = ["Walmart", "Contoso", "Fabrikam", "Northwind", "Tailspin", "Litware", "Adatum",
         "Proseware", "Woodgrove", "Lucerne", "Relecloud", "Wingtip", "Humongous", "Munson"]
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3"')


def deck(out, corpus):
    pngs = sorted(glob.glob(os.path.join(corpus, "*.png")))[:40]
    pages = []
    for i in range(200):
        name = NAMES[i % len(NAMES)]
        style = "dp2" if i % 20 == 19 else "dp1"
        pic = ""
        if i % 5 == 2 and pngs:
            with open(pngs.pop(0), "rb") as f:
                data = base64.b64encode(f.read()).decode()
            pic = f'<draw:frame svg:x="2cm" svg:y="6cm" svg:width="16cm" svg:height="9cm"><draw:image><office:binary-data>{data}</office:binary-data></draw:image></draw:frame>'
        pages.append(f'''<draw:page draw:name="s{i+1}" draw:master-page-name="Default" draw:style-name="{style}">
 <draw:frame svg:x="2cm" svg:y="1cm" svg:width="24cm" svg:height="4cm"><draw:text-box>
  <text:p>Slide {i+1}: quarterly update</text:p>
  <text:p>Pipeline review with {name} and the regional team</text:p>
  <text:p>Milestones, risks and next steps for week {i % 52 + 1}</text:p>
 </draw:text-box></draw:frame>{pic}
 <presentation:notes><draw:frame presentation:class="notes" svg:x="2cm" svg:y="14cm" svg:width="17cm" svg:height="10cm"><draw:text-box>
  <text:p>Speaker notes: {NAMES[(i + 3) % len(NAMES)]} spend ${(i % 9) + 1}.{i % 10} million this quarter; do not read this out.</text:p>
 </draw:text-box></draw:frame></presentation:notes>
</draw:page>''')
    src = os.path.join(out, "deck.fodp")
    with open(src, "w") as f:
        f.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:styles><style:default-style style:family="graphic"/></office:styles>
<office:automatic-styles>
 <style:page-layout style:name="PM1"><style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm" style:print-orientation="landscape"/></style:page-layout>
 <style:style style:name="dp1" style:family="drawing-page"/>
 <style:style style:name="dp2" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="hidden"/></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Default" style:page-layout-name="PM1" draw:style-name="dp1"/></office:master-styles>
<office:body><office:presentation>{"".join(pages)}</office:presentation></office:body></office:document>''')
    subprocess.run(["soffice", "--headless", "--norestore", "-env:UserInstallation=file://" + os.path.join(out, "profile"),
                    "--convert-to", "pptx", "--outdir", out, src], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.remove(src)


def workbook(out):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    hidden = wb.create_sheet("Internal")
    hidden.sheet_state = "hidden"
    for sheet, rows in ((ws, 4000), (hidden, 1000)):
        for r in range(1, rows + 1):
            sheet.cell(row=r, column=1, value=NAMES[r % len(NAMES)] if r % 50 == 0 else f"Account {r}")
            for c in range(2, 11):
                v = sheet.cell(row=r, column=c, value=(r * 7919 + c * 104729) % 2_000_000_000)
                v.number_format = '"$"#,##0' if c == 2 else "General"
    wb.save(os.path.join(out, "model.xlsx"))


if __name__ == "__main__":
    out = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    workbook(out)
    deck(out, os.path.join(here, "..", "..", "..", "testdata", "corpus"))
