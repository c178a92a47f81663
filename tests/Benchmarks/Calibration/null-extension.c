/* The floor of "process start -> register": an extension that does nothing but register and wait for SHUTDOWN.
   Written in C (compiled by the harness with cc) so the figure is process creation plus one HTTP round trip to
   the harness's Extensions API, with no runtime start-up of its own. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int request(const char *host, int port, const char *text, char *reply, size_t size)
{
    reply[0] = 0;
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return -1;
    size_t length = strlen(text);
    if (write(fd, text, length) != (ssize_t)length) { close(fd); return -1; }
    size_t used = 0;
    ssize_t got;
    while (used + 1 < size && (got = read(fd, reply + used, size - 1 - used)) > 0) used += (size_t)got;
    reply[used] = 0;
    close(fd);
    return strncmp(reply, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    char host[64];
    int port;
    if (api == NULL || sscanf(api, "%63[^:]:%d", host, &port) != 2) return 2;
    char reply[4096], text[512], id[128] = "none";
    snprintf(text, sizeof text,
        "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
        "Lambda-Extension-Name: null-extension\r\nContent-Type: application/json\r\nContent-Length: 23\r\n\r\n"
        "{\"events\":[\"SHUTDOWN\"]}", api);
    if (request(host, port, text, reply, sizeof reply) != 0) { fprintf(stderr, "register failed: %.200s\n", reply); return 3; }
    char *header = strcasestr(reply, "Lambda-Extension-Identifier: ");
    if (header != NULL) sscanf(header + 29, "%127[^\r\n]", id);
    snprintf(text, sizeof text,
        "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nLambda-Extension-Identifier: %s\r\n\r\n", api, id);
    return request(host, port, text, reply, sizeof reply) == 0 ? 0 : 4;
}
