#!/usr/bin/env bash
# libclcnn.so exports exactly the public API: every defined dynamic symbol is a clcnn_ function
# (or table) declared with CLCNN_API in include/clcnn/, and every such declaration is exported.
# Usage: test_exports.sh LIBCLCNN_SO SOURCE_DIR BUILD_DIR
set -euo pipefail
lib="$1" src="$2" bin="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# AddressSanitizer adds an ODR indicator per exported variable (__odr_asan.NAME): not API.
nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^__odr_asan\.' | sort -u > "$tmp/exported"
[ -s "$tmp/exported" ] || { echo "FAIL: $lib exports nothing"; exit 1; }
if grep -v '^clcnn_' "$tmp/exported"; then
    echo "FAIL: $lib exports the symbols above, which are not clcnn_ API"
    exit 1
fi
cat "$src"/include/clcnn/*.h "$bin"/include/clcnn/version.h |
    sed -n 's/^CLCNN_API [^([]*\b\(clcnn_[a-z0-9_]*\)[([].*/\1/p' | sort -u > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
    echo "FAIL: exported symbols (+) differ from the CLCNN_API declarations (-)"
    exit 1
fi
readelf -d "$lib" | grep -q 'SONAME.*libclcnn\.so\.' || { echo "FAIL: no libclcnn.so.N SONAME"; exit 1; }
echo "OK: $(wc -l < "$tmp/exported") clcnn_ symbols, all declared with CLCNN_API"
