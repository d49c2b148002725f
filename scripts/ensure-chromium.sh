#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing: the browser tests drive it
# headless through chromedp. Prints the path of the browser.
set -euo pipefail
for b in "${CHROME_BIN:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$b" ] && [ -x "$b" ]; then echo "$b"; exit 0; fi
done
echo "chromium not found: installing Debian's chromium" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-liberation >&2
echo /usr/bin/chromium
