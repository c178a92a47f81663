#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds the extension-cache Lambda layer, verifies it, and smoke-runs it in the local Lambda emulator.

.DESCRIPTION
    0. Installs the Debian packages the build needs when they are missing (tests/setup.sh --layer <arch>:
       clang, zlib1g-dev, binutils; for arm64 also the aarch64 cross toolchain and sysroot).
    1. Publishes extension/ExtensionCache.Extension.csproj with Native AOT for the chosen architecture.
    2. Writes artifacts/extension-cache-layer-<arch>.zip holding extensions/extension-cache (unix mode 0755) and the
       files of layer/opt: extension-cache-wrapper (0755, for AWS_LAMBDA_EXEC_WRAPPER) and extension-cache/*.mjs.
    3. Verifies the zip: layout, exec modes, the wrapper (POSIX sh syntax), ELF machine, highest GLIBC_ symbol version
       (<= 2.34, Amazon Linux 2023), size (< 50 MB, Lambda's direct-upload limit).
    4. Unless -SkipSmoke: builds a sample bundle (Greeter.dll) and the sample function, and runs both in
       tests/LambdaEmulator with two invokes, streaming the lifecycle log lines.

    Run it with the repo's pinned PowerShell:  dotnet tool restore && dotnet pwsh ./build-layer.ps1

.PARAMETER Architecture
    x86_64 (default) or arm64. arm64 cross-compiles with clang-14 and the aarch64 cross toolchain and sysroot
    (installed by step 0); the smoke run is skipped for arm64 on an x86_64 host because the binary cannot run there.

.PARAMETER SkipSmoke
    Build and verify only (what the integration tests use).
#>
[CmdletBinding()]
param(
    [ValidateSet('x86_64', 'arm64')]
    [string] $Architecture = 'x86_64',
    [switch] $SkipSmoke
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true

Add-Type -AssemblyName System.IO.Compression
Add-Type -AssemblyName System.IO.Compression.FileSystem

$repo = $PSScriptRoot
$artifacts = Join-Path $repo 'artifacts'
$extensionName = 'extension-cache'
$maxZipBytes = 50MB
$maxGlibc = [version]'2.34'
$targets = @{
    x86_64 = @{ Rid = 'linux-x64'; ElfMachine = 0x3E; ElfName = 'x86-64' }
    arm64  = @{ Rid = 'linux-arm64'; ElfMachine = 0xB7; ElfName = 'AArch64' }
}
$target = $targets[$Architecture]
$publishDir = Join-Path $artifacts "publish/$Architecture"
$layerZip = Join-Path $artifacts "$extensionName-layer-$Architecture.zip"
$layerFilesDir = Join-Path $repo 'layer/opt'
$wrapperName = 'extension-cache-wrapper'
# Every file of the layer besides the binary: path in the zip (= under /opt) and unix mode.
$layerFiles = [ordered]@{
    $wrapperName                              = 0x1ED   # 0755: Lambda runs it as AWS_LAMBDA_EXEC_WRAPPER
    'extension-cache/node-resolve.mjs'        = 0x1A4   # 0644
    'extension-cache/node-resolve-hooks.mjs'  = 0x1A4   # 0644
}

function Write-Step([string] $text) { Write-Host "==> $text" -ForegroundColor Cyan }
function Write-Check([string] $name, [string] $detail) { Write-Host ("  [ok] {0,-14} {1}" -f $name, $detail) -ForegroundColor Green }
function Fail([string] $text) { throw "build-layer: $text" }

function Install-Prerequisites {
    Write-Step "Checking the build's Debian packages (tests/setup.sh --layer $Architecture)"
    & bash (Join-Path $repo 'tests/setup.sh') --layer $Architecture | Out-Host
}

function Publish-Extension {
    Write-Step "Publishing the extension (Native AOT, $($target.Rid)) to $publishDir"
    # Own bin/obj under artifacts/: another build of the extension in the same tree (tests, benchmarks) cannot
    # overwrite the native binary while this script copies and zips it.
    $arguments = @('publish', (Join-Path $repo 'extension/ExtensionCache.Extension.csproj'),
        '-c', 'Release', '-r', $target.Rid, '-o', $publishDir, '--nologo',
        '-p:UseArtifactsOutput=true', "-p:ArtifactsPath=$(Join-Path $artifacts "build/$Architecture")")
    if ($Architecture -eq 'arm64' -and [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'Arm64') {
        $arguments += '-p:CppCompilerAndLinker=clang-14'
        $arguments += '-p:ObjCopyName=aarch64-linux-gnu-objcopy'
    }
    & dotnet @arguments | Out-Host
    $binary = Join-Path $publishDir $extensionName
    if (-not (Test-Path $binary)) { Fail "publish produced no $binary" }
    return $binary
}

function New-LayerZip([string] $binary) {
    Write-Step "Writing $layerZip"
    New-Item -ItemType Directory -Force -Path $artifacts | Out-Null
    Remove-Item -Force -ErrorAction SilentlyContinue $layerZip
    # ZipFile rather than PowerShell's archive cmdlet (it drops exec bits): only ZipFile lets us set the unix mode (ExternalAttributes high 16 bits).
    $zip = [System.IO.Compression.ZipFile]::Open($layerZip, [System.IO.Compression.ZipArchiveMode]::Create)
    try {
        $directory = $zip.CreateEntry('extensions/')
        $directory.ExternalAttributes = [int](0x41ED -shl 16)   # S_IFDIR | 0755
        $entry = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile(
            $zip, $binary, "extensions/$extensionName", [System.IO.Compression.CompressionLevel]::Optimal)
        $entry.ExternalAttributes = [int](0x81ED -shl 16)       # S_IFREG | 0755
        $folders = @($layerFiles.Keys | Where-Object { $_.Contains('/') } | ForEach-Object { $_.Substring(0, $_.LastIndexOf('/') + 1) } | Sort-Object -Unique)
        foreach ($folder in $folders) {
            $zip.CreateEntry($folder).ExternalAttributes = [int](0x41ED -shl 16)   # S_IFDIR | 0755
        }
        foreach ($name in $layerFiles.Keys) {
            $source = Join-Path $layerFilesDir $name
            if (-not (Test-Path $source -PathType Leaf)) { Fail "layer file $source is missing" }
            $file = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile(
                $zip, $source, $name, [System.IO.Compression.CompressionLevel]::Optimal)
            $file.ExternalAttributes = [int]((0x8000 -bor $layerFiles[$name]) -shl 16)   # S_IFREG | mode
        }
    }
    finally {
        $zip.Dispose()
    }
}

function Get-ElfMachine([byte[]] $header) {
    if ($header.Length -lt 20 -or $header[0] -ne 0x7F -or $header[1] -ne 0x45 -or $header[2] -ne 0x4C -or $header[3] -ne 0x46) {
        Fail 'extensions/extension-cache is not an ELF file'
    }
    if ($header[4] -ne 2) { Fail 'extensions/extension-cache is not a 64-bit ELF file' }
    if ($header[5] -ne 1) { Fail 'extensions/extension-cache is not little-endian' }
    return [int]$header[18] -bor ([int]$header[19] -shl 8)   # e_machine, little-endian u16 at offset 18
}

function Get-HighestGlibc([string] $path) {
    $objdump = if ($Architecture -eq 'arm64' -and (Get-Command aarch64-linux-gnu-objdump -ErrorAction SilentlyContinue)) {
        'aarch64-linux-gnu-objdump'
    } else { 'objdump' }
    if (-not (Get-Command $objdump -ErrorAction SilentlyContinue)) { Fail "$objdump not found: apt-get install binutils" }
    $versions = & $objdump -T $path |
        Select-String -Pattern 'GLIBC_(\d+(?:\.\d+)+)' -AllMatches |
        ForEach-Object { $_.Matches } |
        ForEach-Object { [version]$_.Groups[1].Value } |
        Sort-Object -Unique
    if (-not $versions) { Fail "no GLIBC_ symbol versions found in $path" }
    return ($versions | Select-Object -Last 1)
}

function Test-LayerZip {
    Write-Step "Verifying $layerZip"
    $zipBytes = (Get-Item $layerZip).Length
    $zip = [System.IO.Compression.ZipFile]::OpenRead($layerZip)
    $extracted = Join-Path ([System.IO.Path]::GetTempPath()) ("layer-check-" + [guid]::NewGuid().ToString('N'))
    try {
        $names = @($zip.Entries | ForEach-Object FullName | Sort-Object)
        $folders = @($layerFiles.Keys | Where-Object { $_.Contains('/') } | ForEach-Object { $_.Substring(0, $_.LastIndexOf('/') + 1) })
        $expected = @(@('extensions/', "extensions/$extensionName") + $folders + @($layerFiles.Keys) | Sort-Object -Unique)
        if (Compare-Object $names $expected) { Fail "unexpected layout: $($names -join ', ') (expected $($expected -join ', '))" }
        Write-Check 'layout' ($names -join ', ')

        foreach ($name in $layerFiles.Keys) {
            $mode = ($zip.GetEntry($name).ExternalAttributes -shr 16) -band 0xFFFF
            if ($mode -ne (0x8000 -bor $layerFiles[$name])) {
                Fail ('{0} has mode {1}, expected regular file {2}' -f $name, [Convert]::ToString($mode, 8), [Convert]::ToString(0x8000 -bor $layerFiles[$name], 8))
            }
        }

        New-Item -ItemType Directory -Path $extracted | Out-Null
        $wrapper = Join-Path $extracted $wrapperName
        [System.IO.Compression.ZipFileExtensions]::ExtractToFile($zip.GetEntry($wrapperName), $wrapper)
        $firstLine = (Get-Content -Path $wrapper -TotalCount 1)
        if ($firstLine -ne '#!/bin/sh') { Fail "$wrapperName starts with '$firstLine', expected '#!/bin/sh' (every managed runtime image has it)" }
        $PSNativeCommandUseErrorActionPreference = $false
        $syntax = & sh -n $wrapper 2>&1
        $PSNativeCommandUseErrorActionPreference = $true
        if ($LASTEXITCODE -ne 0) { Fail "$wrapperName is not valid POSIX sh: $syntax" }
        Write-Check 'wrapper' ("$wrapperName 0755, #!/bin/sh, sh -n clean; extension-cache/*.mjs 0644")

        $entry = $zip.GetEntry("extensions/$extensionName")
        $mode = ($entry.ExternalAttributes -shr 16) -band 0xFFFF
        if (($mode -band 0xF000) -ne 0x8000) { Fail ('extensions/{0} is not a regular file (mode {1})' -f $extensionName, [Convert]::ToString($mode, 8)) }
        if (($mode -band 0x1FF) -ne 0x1ED) { Fail ('extensions/{0} has mode {1}, expected 0755' -f $extensionName, [Convert]::ToString($mode -band 0x1FF, 8)) }
        Write-Check 'mode' ('0{0} (regular file, executable)' -f [Convert]::ToString($mode -band 0x1FF, 8))

        $binary = Join-Path $extracted $extensionName
        [System.IO.Compression.ZipFileExtensions]::ExtractToFile($entry, $binary)
        $header = [byte[]]::new(20)
        $stream = [System.IO.File]::OpenRead($binary)
        try { [void]$stream.Read($header, 0, 20) } finally { $stream.Dispose() }
        $machine = Get-ElfMachine $header
        if ($machine -ne $target.ElfMachine) {
            Fail ('ELF e_machine is 0x{0:X2}, expected 0x{1:X2} ({2})' -f $machine, $target.ElfMachine, $target.ElfName)
        }
        Write-Check 'elf' ('e_machine 0x{0:X2} ({1}), 64-bit little-endian' -f $machine, $target.ElfName)

        $glibc = Get-HighestGlibc $binary
        if ($glibc -gt $maxGlibc) { Fail "highest GLIBC_ symbol version is $glibc, above $maxGlibc (Amazon Linux 2023)" }
        Write-Check 'glibc' "highest GLIBC_$glibc <= $maxGlibc"

        if ($zipBytes -ge $maxZipBytes) { Fail ("zip is {0:N1} MB, at or above the 50 MB limit" -f ($zipBytes / 1MB)) }
        Write-Check 'size' ("{0:N1} MB zipped, {1:N1} MB unpacked (limit 50 MB zipped)" -f ($zipBytes / 1MB), ($entry.Length / 1MB))
    }
    finally {
        $zip.Dispose()
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $extracted
    }
}

function New-SampleBundle {
    $bundleZip = Join-Path $artifacts 'sample-bundle.zip'
    $buildDir = Join-Path $artifacts 'sample-bundle-build'
    Write-Step "Building the sample bundle (Greeter.dll) into $bundleZip"
    & dotnet build (Join-Path $repo 'function/SampleBundle/Greeter/Greeter.csproj') -c Release -o $buildDir --nologo -v quiet -clp:NoSummary | Out-Host
    Remove-Item -Force -ErrorAction SilentlyContinue $bundleZip
    $zip = [System.IO.Compression.ZipFile]::Open($bundleZip, [System.IO.Compression.ZipArchiveMode]::Create)
    try {
        $entry = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, (Join-Path $buildDir 'Greeter.dll'), 'Greeter.dll')
        $entry.ExternalAttributes = [int](0x81A4 -shl 16)   # S_IFREG | 0644
    }
    finally {
        $zip.Dispose()
    }
    return $bundleZip
}

function Invoke-Smoke {
    $bundleZip = New-SampleBundle
    $functionDir = Join-Path $artifacts 'sample-function'
    Write-Step "Publishing the sample function to $functionDir"
    & dotnet publish (Join-Path $repo 'function/SampleFunction/SampleFunction.csproj') -c Release -o $functionDir --nologo -v quiet

    Write-Step 'Smoke run: the layer and the sample function in the Lambda emulator (two invokes)'
    $bundleUri = [System.Uri]::new($bundleZip).AbsoluteUri
    $arguments = @('run', '--project', (Join-Path $repo 'tests/LambdaEmulator'), '-c', 'Release', '--',
        '--layer', $layerZip,
        '--function', $functionDir,
        '--env', "EXTENSION_CACHE_BUNDLES=sample=$bundleUri",
        '--invoke', '{"name":"newcomer"}',
        '--invoke', '{"name":"again"}')
    Write-Host "  dotnet $($arguments -join ' ')" -ForegroundColor DarkGray
    $PSNativeCommandUseErrorActionPreference = $false
    & dotnet @arguments
    $exit = $LASTEXITCODE
    if ($exit -ne 0) { Fail "the smoke run failed (emulator exit code $exit)" }
    Write-Check 'smoke' 'INIT and both invokes succeeded'
}

Install-Prerequisites
$binary = Publish-Extension
New-LayerZip $binary
Test-LayerZip
if ($SkipSmoke) {
    Write-Step 'Skipping the smoke run (-SkipSmoke)'
}
elseif ($Architecture -eq 'arm64' -and [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'Arm64') {
    Write-Step 'Skipping the smoke run: an arm64 binary cannot run on this host'
}
else {
    Invoke-Smoke
}
Write-Step "Layer ready: $layerZip"
