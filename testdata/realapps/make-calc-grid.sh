#!/usr/bin/env bash
# Renders the spreadsheet-grid fixture in testdata/realapps: a full-screen
# LibreOffice Calc window under Xvfb (grey row-number column, grey column
# letters, thin grid lines, the A1 selection frame, customer names in column
# A whose text nearly touches the cell borders), cropped to the top-left
# corner of the sheet with the row numbers and column letters in it.
#   calc-grid-rows.png    row numbers, column letters, 14 rows of 5 columns (A1
#                         selected); small enough to be analysed at full resolution
#   calc-grid-screen.png  the full width of the screen from the column letters
#                         down (1920x540, over a megapixel: analysed at half
#                         resolution, where 1 px lines on odd rows are not sampled)
# Needs: xvfb libreoffice-calc imagemagick xdotool (apt).
# Usage: make-calc-grid.sh [full-screenshot.png]  (optionally keeps the whole screen)
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
# Ends a process and its descendants (soffice forks oosplash and soffice.bin).
killtree() {
	local c
	for c in $(pgrep -P "$1" || true); do killtree "$c"; done
	kill "$1" 2>/dev/null || true
}
cleanup() {
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do killtree "${pids[i]}"; done
	sleep 1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
# A display number nobody uses.
disp=77
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
cat > sheet.csv <<'CSV'
Relecloud,EMEA,$12.7 million,Priya,priya@relecloud.com
Contoso Pharmaceuticals,NA,$580.4 million,Dana,dana@contoso.com
Fabrikam Residences,APAC,$3.2 million,Luis,luis@fabrikam.com
Northwind Traders,EMEA,$940,Sam,sam@northwind.com
Wingtip Toys,NA,$1.9 million,Ines,ines@wingtip.com
Tailspin Toys,APAC,$48.0 million,Omar,omar@tailspin.com
Woodgrove Bank,EMEA,$2.1 million,Kofi,kofi@woodgrove.com
Adatum Corporation,NA,"$75,000",Mei,mei@adatum.com
Litware,APAC,$6.6 million,Ravi,ravi@litware.com
Proseware,EMEA,$310.5 million,Ana,ana@proseware.com
Fourth Coffee,NA,$1.2 million,Jon,jon@fourthcoffee.com
Lamna Healthcare,APAC,$9.9 million,Eva,eva@lamna.com
Alpine Ski House,EMEA,$4.4 million,Tom,tom@alpineskihouse.com
Margie's Travel,NA,$820,Lea,lea@margiestravel.com
CSV
mkdir -p prof/user
cat > prof/user/registrymodifications.xcu <<'XCU'
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Linguistic/SpellChecking"><prop oor:name="IsSpellAuto" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
XCU
soffice -env:UserInstallation="file://$tmp/conv" --headless --convert-to ods sheet.csv >/dev/null 2>&1
Xvfb ":$disp" -noreset -screen 0 1920x1080x24 >/dev/null 2>&1 &
pids+=($!)
sleep 1
DISPLAY=":$disp" soffice -env:UserInstallation="file://$tmp/prof" --calc --norestore sheet.ods >/dev/null 2>&1 &
pids+=($!)
# First start of a profile: wait for the Calc window, then for it to paint.
for _ in $(seq 180); do
	DISPLAY=":$disp" xdotool search --name 'sheet.ods - LibreOffice Calc' >/dev/null 2>&1 && break
	sleep 1
done
sleep 8
DISPLAY=":$disp" import -window root shot.png
if [ $# -ge 1 ]; then cp shot.png "$1"; fi
convert shot.png -crop 600x256+0+145 +repage "$dir/calc-grid-rows.png"
convert shot.png -crop 1920x540+0+145 +repage "$dir/calc-grid-screen.png"
echo "wrote $dir/calc-grid-rows.png $dir/calc-grid-screen.png"
