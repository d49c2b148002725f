#!/usr/bin/env bash
# Installs Node.js from Debian's packages when it is missing: the wasm tests
# run under Node through Go's go_js_wasm_exec.
set -euo pipefail
if command -v node >/dev/null 2>&1; then exit 0; fi
echo "node not found: installing Debian's nodejs" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs >/dev/null
node --version
