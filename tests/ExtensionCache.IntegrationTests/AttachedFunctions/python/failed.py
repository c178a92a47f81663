import attached_site

try:
    import broken_pkg

    BROKEN = "imported"
except ModuleNotFoundError as error:
    BROKEN = str(error)


def handler(event, context):
    return {"site": attached_site.__file__, "broken": BROKEN}
