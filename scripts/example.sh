#!/usr/bin/env bash
# Set up, build, and run the example pipeline in a throwaway copy of
# examples/iris (a git repository of its own, as a user would have).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
root=$PWD
work=$(mktemp -d /tmp/zenml-example-XXXXXX)
cp -r examples/iris/. "$work"
cd "$work"
git init -q -b main .
git -c user.name=zenml -c user.email=zenml@example.com add -A
git -c user.name=zenml -c user.email=zenml@example.com commit -qm "iris example"
"$root/build/zenml" init
"$root/build/zenml" run pipeline.lua
echo "example repository left in $work"
