#!/bin/sh
# Debian's chromium for the browser test (tests/test_web_browser.py); run as root before tests.
# Playwright drives /usr/bin/chromium: no browser is downloaded by Playwright itself.
set -eu
if [ -x /usr/bin/chromium ]; then
    echo "chromium is already installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version || true
