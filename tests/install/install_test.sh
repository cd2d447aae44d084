#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then the installed binary runs the iris
# example in a throwaway git repository, with the source tree out of its reach:
# proof that the install carries every Lua file a run needs.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d /tmp/zenml-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
zenml="$tmp/prefix/bin/zenml"
home=$("$zenml" -e 'io.write((package.searchpath("zenml.cli", package.path)))')
case "$home" in
  "$tmp/prefix/share/zenml/"*|"$tmp/prefix/bin/../share/zenml/"*) ;;
  *) echo "installed zenml loads its Lua code from $home, not from the prefix"; exit 1 ;;
esac
cp -r "$src/examples/iris/." "$tmp/repo"
cd "$tmp/repo"
git init -q -b main .
git -c user.name=t -c user.email=t@example.com add -A
git -c user.name=t -c user.email=t@example.com commit -qm iris
"$zenml" init >/dev/null
out=$("$zenml" run pipeline.lua 2>&1)
echo "$out"
grep -q "^completed" <<<"$out" || { echo "the installed binary did not complete the iris run"; exit 1; }
ls pipelines/*.yaml >/dev/null
echo "install: ok"
