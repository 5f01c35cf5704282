#!/usr/bin/env bash
# Installs what demoguard needs to build and run ("run") or to run its tests
# ("test"). Idempotent: checks first, installs only what is missing. Uses apt
# when root or when sudo works without a prompt; otherwise prints the command.
set -euo pipefail
what=${1:-run}

missing=()
need() { # need <debian-package> <check command...>
	local pkg=$1
	shift
	if ! "$@" >/dev/null 2>&1; then missing+=("$pkg"); fi
}

if [ "$(uname -s)" = Darwin ]; then
	if ! pkg-config --exists tesseract lept 2>/dev/null; then
		echo "demoguard needs Tesseract: brew install tesseract pkg-config poppler ffmpeg" >&2
		exit 1
	fi
	exit 0
fi

have_header() { [ -f "/usr/include/tesseract/$1" ] || [ -f "/usr/local/include/tesseract/$1" ]; }
have_eng() {
	local f
	for f in /usr/share/tesseract-ocr/*/tessdata/eng.traineddata /usr/share/tessdata/eng.traineddata; do
		[ -f "$f" ] && return 0
	done
	return 1
}

need libtesseract-dev have_header capi.h
need libleptonica-dev test -f /usr/include/leptonica/allheaders.h
need tesseract-ocr-eng have_eng
need g++ command -v g++
need pkg-config command -v pkg-config
need poppler-utils command -v pdftoppm
# Recordings: decoding, probing and the redacted re-encode (libx264).
need ffmpeg command -v ffmpeg
if [ "$what" = test ]; then
	need xvfb command -v Xvfb
	need tesseract-ocr command -v tesseract
	need chromium command -v chromium
	# Office files: legacy .ppt/.doc/.xls are converted with LibreOffice
	# (the office accuracy test and bench); openpyxl regenerates fixtures.
	need libreoffice-impress test -f /usr/lib/libreoffice/program/libsdlo.so
	need libreoffice-writer test -f /usr/lib/libreoffice/program/libswlo.so
	need libreoffice-calc test -f /usr/lib/libreoffice/program/libsclo.so
	need python3-openpyxl /usr/bin/python3 -c "import openpyxl"
fi

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	sudo="sudo"
else
	echo "demoguard needs: ${missing[*]}" >&2
	echo "install them with:  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
