"""Stands in for Lambda's managed Python runtime in the emulator (Amazon's runtime interface client is not
available here): the Runtime API over urllib, the handler module named by _HANDLER (module.function) imported from
LAMBDA_TASK_ROOT, and sys.path set as AWS's bootstrap.py sets it: the task root first, and /opt/python's layer
folders only while PYTHONPATH is unset. Nothing else: the function's imports see what the environment gives them."""
import importlib
import json
import os
import sys
import traceback
import urllib.request

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime"


def post(path, body, error_type=None):
    request = urllib.request.Request(API + path, data=json.dumps(body).encode(), method="POST")
    if error_type:
        request.add_header("Lambda-Runtime-Function-Error-Type", error_type)
    urllib.request.urlopen(request).read()


def error_body(error):
    return {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": traceback.format_exception(error)}


if "PYTHONPATH" not in os.environ:
    sys.path[0:0] = [f"/opt/python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages", "/opt/python"]
sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])

try:
    module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
except Exception as error:  # pylint: disable=broad-except
    traceback.print_exc()
    post("/init/error", error_body(error), "Runtime.ImportModuleError")
    sys.exit(1)

while True:
    with urllib.request.urlopen(API + "/invocation/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    try:
        result = handler(event, None)
    except Exception as error:  # pylint: disable=broad-except
        traceback.print_exc()
        post(f"/invocation/{request_id}/error", error_body(error), "Handler." + type(error).__name__)
        continue
    post(f"/invocation/{request_id}/response", result)
