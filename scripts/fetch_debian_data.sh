#!/usr/bin/env bash
# Download Debian packages with real data and unpack them (no installation) into
# ${RNNKIT_DATA:-~/.cache/rnnkit}/debian. Idempotent.
set -euo pipefail
root="${RNNKIT_DATA:-$HOME/.cache/rnnkit}/debian"
mkdir -p "$root/debs"
pkgs=(libreoffice-l10n-ru libreoffice-l10n-uk libreoffice-l10n-be dataset-fashion-mnist)
if [ ! -f "$root/.done" ]; then
  cd "$root/debs"
  apt-get download "${pkgs[@]}" 2>/dev/null || { apt-get update -qq && apt-get download "${pkgs[@]}"; }
  for f in *.deb; do dpkg-deb -x "$f" "$root"; done
  rm -rf "$root/debs"
  touch "$root/.done"
fi
echo "data in $root"
