#!/usr/bin/env bash
# Best-effort install of the Debian packages some tests need: chromium (the report test), bubblewrap
# (the eval sandbox), tesseract-ocr (the OCR test).
# It never fails its caller: without root or apt-get it skips quietly, and a failed install only warns;
# the tests that need a missing package then skip.
set -u

packages=(chromium bubblewrap tesseract-ocr)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || exit 0

log=$(mktemp -t codemill-system-deps.XXXXXX.log)
if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1; then
    rm -f "$log"
else
    echo "codemill: could not install ${missing[*]} (see $log); the tests that need them will skip" >&2
fi
exit 0
