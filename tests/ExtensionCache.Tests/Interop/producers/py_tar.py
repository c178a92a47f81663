# Packs the current folder with Python's tarfile, gzip-compressed, in the format named by argv[2] (gnu, pax, ustar).
import sys, tarfile

formats = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}
with tarfile.open(sys.argv[1], "w:gz", format=formats[sys.argv[2]]) as archive:
    archive.add(".")
