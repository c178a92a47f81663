# Packs the current folder with Python's zipfile: directories, files (deflated) and symlinks as unix links.
import os, stat, sys, zipfile

with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, dirs, files in os.walk("."):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)[2:]
            if os.path.islink(path):
                info = zipfile.ZipInfo(path, date_time=(2021, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, os.readlink(path))
            else:
                archive.write(path, path)
