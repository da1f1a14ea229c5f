#!/usr/bin/env bash
# Vendor 3Dmol.js (npm package `3dmol`, BSD-3-Clause) into mirloc_core/assets/3dmol/ so the app serves it
# itself (the Structure page works offline; no CDN). The version matches the py3Dmol release in requirements.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-2.5.5}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "3dmol@${VERSION}" >/dev/null && tar xzf "3dmol-${VERSION}.tgz" package/build/3Dmol-min.js package/LICENSE)
mkdir -p mirloc_core/assets/3dmol
cp "$tmp/package/build/3Dmol-min.js" mirloc_core/assets/3dmol/3Dmol-min.js
cp "$tmp/package/LICENSE" mirloc_core/assets/3dmol/LICENSE.3Dmol.txt
sha256sum mirloc_core/assets/3dmol/3Dmol-min.js
