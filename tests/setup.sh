#!/usr/bin/env bash
# Prepares a machine of this kind (Debian 12 with the .NET 10 SDK and Node 20) for the tests, from nothing:
# installs the Debian packages that are missing, restores the pinned PowerShell and installs the Node tools.
#
#   bash tests/setup.sh                          what `dotnet test ExtensionCache.sln` needs (the README's command)
#   bash tests/setup.sh --layer x86_64|arm64     only the packages build-layer.ps1 needs (it calls this itself)
#
# Packages already installed are left alone; apt-get runs (update, then install) only when one is missing.
# Runs as root, or through sudo otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

# Native AOT links with clang and zlib; binutils' objdump reads the layer binary's glibc symbol versions.
layer_x86_64=(clang zlib1g-dev binutils)
# Cross-building the arm64 layer: the cross linker's sysroot and the arm64 objcopy/objdump.
layer_arm64=("${layer_x86_64[@]}" gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu)
# The tests build both layers, and also use: bubblewrap (emulator --isolate; as root, the CLI tests run the tool
# without root's power to read every file); zip, unzip and curl (test extensions and runtimes are shell scripts using
# curl); iproute2 (the emulator's --snapstart drops the sandbox's connections with ss -K); qemu-user-static and the
# arm64 OpenSSL the arm64 binary loads at run time (SHA-256) to run that layer; the archive producers the interop
# tests read: bsdtar (libarchive-tools), pigz, zstd, 7z (p7zip-full), GNU tar, python3, and python3-zstandard for
# Debian's python3 (zip entries compressed with zstd).
# nginx-light serves the benchmark harness (tests/Benchmarks).
tests=("${layer_arm64[@]}" bubblewrap zip unzip curl iproute2 nginx-light qemu-user-static libssl3:arm64
       libarchive-tools pigz zstd p7zip-full tar python3-zstandard)
# python3 may come from elsewhere (pyenv, a virtualenv): any python3 on PATH will do.
command -v python3 >/dev/null 2>&1 || tests+=(python3)

say() { echo "setup: $*"; }

install_missing() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian system: make sure these (or their equivalents) are installed: $*" >&2
    return 0
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages present"
    return 0
  fi

  local as_root=(env DEBIAN_FRONTEND=noninteractive)
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      say "missing Debian packages (${missing[*]}), and not root and no sudo to install them" >&2
      exit 1
    fi
    as_root=(sudo "${as_root[@]}")
  fi
  say "installing missing Debian packages: ${missing[*]}"
  if printf '%s\n' "${missing[@]}" | grep -q ':arm64$' && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${as_root[@]}" dpkg --add-architecture arm64
  fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

case "${1:-}" in
  "")
    install_missing "${tests[@]}"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    dotnet tool restore
    npm ci --prefix tests --no-audit --no-fund
    ;;
  --layer)
    case "${2:-}" in
      x86_64) install_missing "${layer_x86_64[@]}" ;;
      arm64) install_missing "${layer_arm64[@]}" ;;
      *) say "--layer expects x86_64 or arm64, got '${2:-}'" >&2; exit 2 ;;
    esac
    ;;
  *)
    say "unknown argument '$1' (expected nothing, or --layer x86_64|arm64)" >&2
    exit 2
    ;;
esac
