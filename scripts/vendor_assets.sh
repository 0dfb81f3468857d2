#!/usr/bin/env bash
# Copies the front-end packages installed by npm into static files, so pages never need a CDN.
set -euo pipefail
dest=fenrun/static/vendor
mkdir -p "$dest"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$dest/echarts.min.js"
