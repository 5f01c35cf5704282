#!/usr/bin/env bash
# Renders the spell-check fixtures in testdata/realapps: LibreOffice Calc and
# Writer with automatic spell checking on (red wavy underlines under unknown
# words, i.e. under customer names), under Xvfb, cropped to the text.
#   calc-spellcheck-rows.png     three data rows of a sheet
#   writer-spellcheck-lines.png  three lines of a document
# Needs: xvfb libreoffice-calc libreoffice-writer hunspell-en-us imagemagick (apt).
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cd "$tmp"
cat > sheet.csv <<'CSV'
Customer,Region,Q3 spend,Owner
Contoso Pharmaceuticals,EMEA,$580.4 million,Dana
Relecloud,NA,$12.7 million,Priya
Fabrikam Residences,APAC,$3.2 million,Luis
Northwind Traders,EMEA,$940,Sam
CSV
mkdir -p prof/user
cat > prof/user/registrymodifications.xcu <<'XCU'
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Linguistic/SpellChecking"><prop oor:name="IsSpellAuto" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
XCU
cat > doc.txt <<'TXT'
Renewal notes for Relecloud and Contoso Pharmaceuticals

Wingtip Toys asked about the Fabrikam migration; Tailspin Toys did not reply.
Northwind Traders spend reached $2.4 million this quarter (internal only).
TXT
soffice -env:UserInstallation="file://$tmp/conv" --headless --convert-to ods sheet.csv >/dev/null 2>&1
soffice -env:UserInstallation="file://$tmp/conv" --headless --convert-to odt doc.txt >/dev/null 2>&1
Xvfb :77 -noreset -screen 0 1920x1080x24 >/dev/null 2>&1 &
sleep 1
DISPLAY=:77 soffice -env:UserInstallation="file://$tmp/prof" --calc --norestore sheet.ods >/dev/null 2>&1 &
sleep 20 # first start of a profile
DISPLAY=:77 import -window root shot.png
# Rows 3-5 (the first data row sits under the selection frame of A1).
convert shot.png -crop 420x56+0+196 +repage "$dir/calc-spellcheck-rows.png"
pkill -f "UserInstallation=file://$tmp/prof" || true
sleep 3
DISPLAY=:77 soffice -env:UserInstallation="file://$tmp/prof" --writer --norestore doc.odt >/dev/null 2>&1 &
sleep 15
DISPLAY=:77 import -window root shot.png
convert shot.png -crop 660x70+588+192 +repage "$dir/writer-spellcheck-lines.png"
echo "wrote $dir/calc-spellcheck-rows.png $dir/writer-spellcheck-lines.png"
