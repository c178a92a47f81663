import ctypes
import subprocess

import attached_site
import attached_top


def handler(event, context):
    return {
        "site": attached_site.__file__,
        "top": attached_top.__file__,
        "tool": subprocess.run(["attached-tool"], capture_output=True, text=True, check=True).stdout.strip(),
        "answer": ctypes.CDLL("libattached.so").attached_answer(),
    }
