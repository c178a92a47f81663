# Packs the current folder with Python's zipfile, its files compressed with zstd (zip method 93) by one of:
#   stream   python-zstandard's streaming compressor: one frame, no content size, no checksum (as a streaming
#            writer such as Python 3.14's zipfile ZIP_ZSTANDARD writes it)
#   zstd     the zstd command line (content size and checksum in the frame)
#   zstd-19  zstd -19 --long=25
#   pzstd    pzstd -p 2 (several frames, each after a skippable frame)
# Python before 3.14 has no method 93, so it is added here the way the zipfile-zstd package does it.
import os, stat, subprocess, sys, zipfile
import zstandard

ZIP_ZSTANDARD = 93
mode = sys.argv[2]


class Streaming:
    def __init__(self):
        self._c = zstandard.ZstdCompressor(level=3).compressobj()

    def compress(self, data):
        return self._c.compress(data)

    def flush(self):
        return self._c.flush()


class Command:
    """Buffers the file, then compresses it with a zstd command line tool."""
    def __init__(self, argv):
        self._argv, self._data = argv, []

    def compress(self, data):
        self._data.append(data)
        return b""

    def flush(self):
        return subprocess.run(self._argv, input=b"".join(self._data), stdout=subprocess.PIPE, check=True).stdout


def compressor():
    if mode == "stream":
        return Streaming()
    return Command({"zstd": ["zstd", "-q", "-c"], "zstd-19": ["zstd", "-q", "-c", "-19", "--long=25"],
                    "pzstd": ["pzstd", "-q", "-c", "-p", "2"]}[mode])


get_compressor, check_compression = zipfile._get_compressor, zipfile._check_compression
zipfile._get_compressor = lambda t, level=None: compressor() if t == ZIP_ZSTANDARD else get_compressor(t, level)
zipfile._check_compression = lambda t: None if t == ZIP_ZSTANDARD else check_compression(t)
zipfile.compressor_names[ZIP_ZSTANDARD] = "zstd"

with zipfile.ZipFile(sys.argv[1], "w", ZIP_ZSTANDARD) as archive:
    for folder, dirs, files in os.walk("."):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)[2:]
            if os.path.islink(path):
                info = zipfile.ZipInfo(path, date_time=(2021, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, os.readlink(path), compress_type=zipfile.ZIP_STORED)
            else:
                archive.write(path, path)
