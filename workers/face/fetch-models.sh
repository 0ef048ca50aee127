#!/bin/sh
# fetch-models.sh - installs the face-api model weights (npm package
# @vladmandic/face-api@1.7.15, MIT) into a models directory outside git and
# prints the model folder to use as [paths] models_dir / ZIKAO_MODELS_DIR.
#
# usage: workers/face/fetch-models.sh [DIR]   (default: <repo>/models/face-api)
# Idempotent: an existing install of the right version is left alone.
set -eu

VERSION=1.7.15
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-"$here/../../models/face-api"}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pkg="$dir/node_modules/@vladmandic/face-api"

installed=""
if [ -f "$pkg/package.json" ]; then
    installed=$(node -p "require('$pkg/package.json').version" 2>/dev/null || true)
fi
if [ "$installed" != "$VERSION" ]; then
    command -v npm >/dev/null 2>&1 || { echo "fetch-models: npm not found (apt-get install npm)" >&2; exit 1; }
    npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts "@vladmandic/face-api@$VERSION" >&2
fi

for m in tiny_face_detector_model face_landmark_68_model face_recognition_model; do
    for f in "$m-weights_manifest.json" "$m.bin"; do
        [ -s "$pkg/model/$f" ] || { echo "fetch-models: $pkg/model/$f missing after install" >&2; exit 1; }
    done
done
echo "$pkg/model"
