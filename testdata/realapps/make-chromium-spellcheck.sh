#!/usr/bin/env bash
# Renders the Chromium spell-check fixture in testdata/realapps: a
# contenteditable element with spellcheck="true" in Chromium (not headless:
# headless Chromium draws no spelling marks) under Xvfb, every line clicked
# so that Chromium checks it, cropped to the text.
#   chromium-spellcheck-lines.png  three lines, a red dotted wave under every
#                                  customer name
# Chromium downloads its dictionaries from Google; offline it needs one in
# the profile, converted from Debian's hunspell-en-us with Qt WebEngine's
# converter. The file name is the one Chromium 156 asks for (en-US-10-2).
# Needs: xvfb chromium hunspell-en-us qt6-webengine-dev-tools xdotool imagemagick (apt).
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
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
disp=77
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
mkdir -p prof/Dictionaries
/usr/lib/qt6/libexec/qwebengine_convert_dict /usr/share/hunspell/en_US.dic prof/Dictionaries/en-US-10-2.bdic >/dev/null
cat > page.html <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><style>
body{margin:0;background:#fff;font-family:"Liberation Sans",Arial,sans-serif}
#ed{position:absolute;left:40px;top:40px;padding:12px;width:640px;border:1px solid #ccc;font-size:16px;line-height:24px}
</style></head><body>
<div id="ed" contenteditable="true" spellcheck="true"><div>Renewal notes for Relecloud and Contoso Pharmaceuticals</div><div>Wingtip Toys asked about the Fabrikam migration; Tailspin did not reply.</div><div>Northwind Traders spend reached $2.4 million this quarter.</div></div>
</body></html>
HTML
Xvfb ":$disp" -noreset -screen 0 1280x800x24 >/dev/null 2>&1 &
pids+=($!)
sleep 1
# Root needs --no-sandbox; the bar it shows sits above the crop.
DISPLAY=":$disp" chromium --no-sandbox --lang=en-US --user-data-dir="$tmp/prof" --no-first-run \
	--no-default-browser-check --disable-gpu --window-position=0,0 --window-size=1280,800 \
	--app="file://$tmp/page.html" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 60); do
	DISPLAY=":$disp" xdotool search --onlyvisible --class chromium >/dev/null 2>&1 && break
	sleep 1
done
sleep 5
# Chromium checks the paragraph the caret is in: visit every line (the page
# starts 57 px down, under the --no-sandbox bar; lines are 24 px apart).
for y in 122 146 170; do
	DISPLAY=":$disp" xdotool mousemove 690 "$y" click 1
	sleep 2
done
DISPLAY=":$disp" xdotool key End
sleep 3
DISPLAY=":$disp" import -window root shot.png
convert shot.png -crop 640x84+44+100 +repage "$dir/chromium-spellcheck-lines.png"
echo "wrote $dir/chromium-spellcheck-lines.png"
