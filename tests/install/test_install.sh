#!/usr/bin/env bash
# The installed package is all a user needs: installs the build into a temporary prefix, builds
# examples/train_predict.c against it with CMake (find_package) and with pkg-config, runs both,
# then copies the prefix elsewhere and runs its `clcnn train` from an empty directory, checking
# with strace that nothing is read from the source or build tree.
# Usage: test_install.sh SOURCE_DIR BUILD_DIR VERSION [CFLAGS]  (CFLAGS: for the example builds,
# -fsanitize=... when the library was built with sanitizers)
set -euo pipefail
src="$(cd "$1" && pwd)" bin="$(cd "$2" && pwd)" version="$3" cflags="${4:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$bin" --prefix "$tmp/prefix" > "$tmp/install.log"
for f in bin/clcnn bin/clcnn-bench include/clcnn/train.h include/clcnn/version.h \
         share/clcnn/configs/fashion_mnist.yaml share/doc/clcnn/README.md; do
    [ -e "$tmp/prefix/$f" ] || fail "the install has no $f"
done
lib="$(find "$tmp/prefix" -name 'libclcnn.so' | head -1)"
[ -n "$lib" ] || fail "the install has no libclcnn.so"
libdir="$(dirname "$lib")"

# Fast settings for every run below: few images, one epoch, the tests' kernel cache.
sets=(data.train_limit=128 data.test_limit=64 train.epochs=1)

echo "== the example through find_package(clcnn)"
cmake -S "$src/examples" -B "$tmp/ex-cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_C_FLAGS="$cflags" > "$tmp/ex.log" ||
    { cat "$tmp/ex.log"; fail "configuring the example against the CMake package"; }
cmake --build "$tmp/ex-cmake" > "$tmp/ex.log" 2>&1 || { cat "$tmp/ex.log"; fail "building it"; }
(cd "$tmp" && "$tmp/ex-cmake/train_predict" "$tmp/run-cmake" "${sets[@]}") | tee "$tmp/cmake.out"
grep -q '^test: 64 images' "$tmp/cmake.out" || fail "the example did not evaluate 64 test images"
grep -q '^image 0: predicted' "$tmp/cmake.out" || fail "the example did not predict"

echo "== the example through pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion clcnn)" = "$version" ] ||
    fail "pkg-config --modversion clcnn is not the project version"
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Wextra -Werror $cflags -o "$tmp/train_predict_pc" "$src/examples/train_predict.c" \
    $(pkg-config --cflags --libs clcnn) -Wl,-rpath,"$libdir"
(cd "$tmp" && "$tmp/train_predict_pc" "$tmp/run-pc" "${sets[@]}") | tee "$tmp/pc.out"
# The same library, config and seed: the same numbers.
diff <(grep -v '^clcnn ' "$tmp/cmake.out") <(grep -v '^clcnn ' "$tmp/pc.out") ||
    fail "the two builds of the example disagree"

echo "== the installed clcnn, copied away from where it was installed, reads nothing of the sources"
cp -a "$tmp/prefix" "$tmp/moved"
rm -rf "$tmp/prefix"
mkdir "$tmp/cwd"
# (LeakSanitizer cannot run under ptrace: leaks are checked in the example runs above.)
(cd "$tmp/cwd" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat,stat,newfstatat,access -o "$tmp/trace" \
    "$tmp/moved/bin/clcnn" train --out "$tmp/cwd/out" $(printf -- '--set %s ' "${sets[@]}")) ||
    fail "the installed clcnn train failed"
[ -s "$tmp/cwd/out/model.safetensors" ] || fail "clcnn train wrote no model"
if grep -F -e "$src/" -e "$bin/" "$tmp/trace" | grep -v -F "$bin/test-cache"; then
    fail "the installed clcnn train touched the source or build tree (above)"
fi
echo "OK"
