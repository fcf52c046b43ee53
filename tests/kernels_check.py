#!/usr/bin/env python3
"""tests/kernels_check.py: checks every kernel file with compilers other than the device's own,
as a GPU driver would see it (no GPU needed).

Each file is prefixed with prelude.cl exactly as host/cl/program.c does, once per build-option
variant the host uses (the rows of `VARIANTS_CMD --kernel-variants`, plus the plain build), and:
  1. compiled by clang-15 for OpenCL C 1.2 with optimization off and fp64 off, warnings as errors;
     a helper left undefined (a plain `inline` that the compiler did not inline) fails the check;
  2. compiled for nvptx64 (sm_80) and amdgcn (gfx90a); with ptxas and libclc present, the
     registers and spills of every kernel are reported, and any spill fails, except in kernels
     written for CPUs only (CPU_ONLY below, reported but never run on a GPU by the route choice);
     gfx90a's VGPR use comes from the assembly's metadata. Without a tool, the part that needs it
     is skipped with a note.
usage: kernels_check.py KERNEL_DIR [--variants-cmd CMD...] [--report FILE]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

CLANG = os.environ.get("CLANG", "clang-15")
LLVM_LINK = os.environ.get("LLVM_LINK", "llvm-link-15")
LLC = os.environ.get("LLC", "/usr/lib/llvm-15/bin/llc")
PTXAS = os.environ.get("PTXAS", shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas")
LIBCLC = os.environ.get("LIBCLC", "/usr/lib/clc")
CL = ["-x", "cl", "-cl-std=CL1.2", "-Xclang", "-finclude-default-header"]
# The CPU-shaped products and direct convolutions: vector register tiles that spill on a GPU by
# design. They are reported; the route choice never gives them to a GPU unless measured faster
# (products) or forced (the direct convolutions race on CPU-class devices only).
CPU_ONLY = {"gemm_tile", "gemm_nt", "gemm_nt_packed", "conv_direct", "conv_dw", "conv_small",
            "conv_small_dw"}
# Variants the host builds for CPUs only (their kernels also run on GPUs in another variant):
# Winograd's float16 transforms (nn/conv2d_winograd.c).
CPU_ONLY_VARIANTS = {"winograd.cl -DWI_VW=16"}


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout + p.stderr


# The values the host puts before every kernel source (ACT_*, FILL_*...), from --variants-cmd.
DEFINES = []


def full_source(kdir, name):
    # Must match host/cl/program.c's full_source(): prelude, the host's defines, the file.
    with open(os.path.join(kdir, "prelude.cl")) as f:
        prelude = f.read()
    with open(os.path.join(kdir, name)) as f:
        body = f.read()
    defines = "".join(d + "\n" for d in DEFINES)
    return '%s\n%s#line 1 "%s"\n%s' % (prelude, defines, name, body)


def check_portable(src, opts, tmp):
    """OpenCL C 1.2, -O0, fp64 off: compiles cleanly and leaves no user function undefined."""
    ll = os.path.join(tmp, "o0.ll")
    rc, out = run([CLANG] + CL + ["-target", "spir64", "-O0", "-Werror", "-Xclang",
                                  "-cl-ext=-cl_khr_fp64", "-emit-llvm", "-S", "-o", ll, src] + opts)
    if rc != 0:
        return ["OpenCL C 1.2 -O0 fp64-off build failed:\n" + out]
    undefined = []
    with open(ll) as f:
        for line in f:
            m = re.match(r"declare .*@([A-Za-z_][\w.]*)\(", line)
            if m and not m.group(1).startswith(("_Z", "llvm.")):
                undefined.append(m.group(1))
    if undefined:
        return ["undefined at -O0 (a plain `inline` helper?): " + ", ".join(sorted(set(undefined)))]
    return []


def ptx_usage(src, opts, tmp):
    """{kernel: (registers, spill bytes, stack frame bytes)} for sm_80, or a reason string."""
    clc = os.path.join(LIBCLC, "nvptx64--nvidiacl.bc")
    if not os.path.exists(PTXAS):
        return "ptxas not found (install the CUDA toolkit or set PTXAS): sm_80 figures skipped"
    if not os.path.exists(clc):
        return "libclc-15 not found (%s): sm_80 figures skipped" % clc
    bc, linked, ptx = (os.path.join(tmp, n) for n in ("n.bc", "nl.bc", "n.ptx"))
    for cmd in ([CLANG] + CL + ["-target", "nvptx64-nvidia-nvcl", "-O2", "-emit-llvm", "-c",
                                "-o", bc, src] + opts,
                [LLVM_LINK, "--only-needed", "--suppress-warnings", bc, clc, "-o", linked],
                [LLC, "-O3", "-mcpu=sm_80", linked, "-o", ptx],
                [PTXAS, "-arch=sm_80", "-v", ptx, "-o", os.devnull]):
        rc, out = run(cmd)
        if rc != 0:
            raise RuntimeError("%s failed:\n%s" % (os.path.basename(cmd[0]), out))
    usage, current, spill, stack = {}, None, 0, 0
    for line in out.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            current, spill, stack = m.group(1), 0, 0
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads",
                      line)
        if m and current:
            stack, spill = int(m.group(1)), int(m.group(2)) + int(m.group(3))
        m = re.search(r"Used (\d+) registers", line)
        if m and current:
            usage[current] = (int(m.group(1)), spill, stack)
            current = None
    return usage


def amdgcn_usage(src, opts, tmp):
    """{kernel: (vgprs, vgpr spills)} for gfx90a, from the code object metadata."""
    asm = os.path.join(tmp, "a.s")
    rc, out = run([CLANG] + CL + ["-target", "amdgcn-amd-amdhsa", "-mcpu=gfx90a", "-nogpulib",
                                  "-O2", "-S", "-o", asm, src] + opts)
    if rc != 0:
        raise RuntimeError("amdgcn build failed:\n" + out)
    usage, name, fields = {}, None, {}
    with open(asm) as f:
        for line in f:
            m = re.match(r"\s+\.(name|vgpr_count|vgpr_spill_count|agpr_count):\s+(\S+)", line)
            if not m:
                continue
            key, val = m.groups()
            if key == "name":
                name, fields = val, {}
            elif name:
                fields[key] = int(val)
                if "vgpr_count" in fields and "vgpr_spill_count" in fields:
                    usage[name] = (fields["vgpr_count"], fields["vgpr_spill_count"])
    return usage


def variants(kdir, cmd):
    rows = [(f, "") for f in sorted(os.listdir(kdir)) if f.endswith(".cl") and f != "prelude.cl"]
    if cmd:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("define|"):
                DEFINES.append(line.split("|", 1)[1])
            elif "|" in line:
                f, opts = line.split("|", 1)
                if (f, opts.strip()) not in rows:
                    rows.append((f, opts.strip()))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kernel_dir")
    ap.add_argument("--variants-cmd", nargs=argparse.REMAINDER,
                    help="a command printing 'file|options' per variant the host builds")
    ap.add_argument("--report", help="also write the figures table here")
    a = ap.parse_args()
    if not shutil.which(CLANG):
        print("kernels_check: %s not found (apt-get install clang-15)" % CLANG)
        return 1
    failures, notes, table = [], set(), []
    with tempfile.TemporaryDirectory() as tmp:
        for name, opts in variants(a.kernel_dir, a.variants_cmd):
            src = os.path.join(tmp, "full.cl")
            with open(src, "w") as f:
                f.write(full_source(a.kernel_dir, name))
            optv = opts.split()
            where = name + (" " + opts if opts else "")
            failures += ["%s: %s" % (where, e) for e in check_portable(src, optv, tmp)]
            try:
                ptx = ptx_usage(src, optv, tmp)
                amd = amdgcn_usage(src, optv, tmp)
            except RuntimeError as e:
                failures.append("%s: %s" % (where, e))
                continue
            if isinstance(ptx, str):
                notes.add(ptx)
                ptx = {}
            for k in sorted(set(ptx) | set(amd)):
                regs, spill, stack = ptx.get(k, (None, None, None))
                vgpr, vspill = amd.get(k, (None, None))
                table.append((where, k, regs, spill, stack, vgpr, vspill))
                if spill and k not in CPU_ONLY and where not in CPU_ONLY_VARIANTS:
                    failures.append("%s: kernel %s spills %d bytes on sm_80 (%d registers)"
                                    % (where, k, spill, regs))
    fmt = "| %s | %s | %s | %s | %s | %s | %s |"
    lines = [fmt % ("file and options", "kernel", "sm_80 registers", "sm_80 spill bytes",
                    "sm_80 stack bytes", "gfx90a VGPRs", "gfx90a VGPR spills"),
             "|---|---|---:|---:|---:|---:|---:|"]
    show = lambda v: "-" if v is None else str(v)
    for row in table:
        lines.append(fmt % tuple(show(v) for v in row))
    print("\n".join(lines))
    if a.report:
        with open(a.report, "w") as f:
            f.write("\n".join(lines) + "\n")
    for n in sorted(notes):
        print("kernels_check: note: " + n)
    for f in failures:
        print("kernels_check: FAIL " + f)
    print("kernels_check: %d kernel builds checked, %d failures" % (len(set(r[0] for r in table)), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
