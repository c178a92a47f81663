import attached_site


def handler(event, context):
    return attached_site.hello()
