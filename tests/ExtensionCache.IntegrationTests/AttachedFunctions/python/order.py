import subprocess

import layer_only
import second_only
import shadowed


def handler(event, context):
    return {
        "shadowed": shadowed.WHERE,
        "secondOnly": second_only.__file__,
        "layerOnly": layer_only.__file__,
        "tool": subprocess.run(["shadowed-tool"], capture_output=True, text=True, check=True).stdout.strip(),
    }
