#!/usr/bin/env bash
# Renders testdata/realapps/calc-spellcheck-rows.png: LibreOffice Calc with
# automatic spell checking on (red wavy underlines under unknown words, i.e.
# under customer names), under Xvfb, cropped to three data rows.
# Needs: xvfb libreoffice-calc hunspell-en-us imagemagick (apt).
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/calc-spellcheck-rows.png
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
soffice -env:UserInstallation="file://$tmp/conv" --headless --convert-to ods sheet.csv >/dev/null 2>&1
Xvfb :77 -noreset -screen 0 1920x1080x24 >/dev/null 2>&1 &
sleep 1
DISPLAY=:77 soffice -env:UserInstallation="file://$tmp/prof" --calc --norestore sheet.ods >/dev/null 2>&1 &
sleep 20 # first start of a profile
DISPLAY=:77 import -window root shot.png
# Rows 3-5 (the first data row sits under the selection frame of A1).
convert shot.png -crop 420x56+0+196 +repage "$out"
echo "wrote $out"
