/*
 * freeport - print a TCP port on 127.0.0.1 that was free a moment ago
 * (bound to port 0 and read back, the OpenBSD regress way).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0) {
		perror("freeport");
		return 111;
	}
	printf("%u\n", ntohs(sa.sin_port));
	close(s);
	return 0;
}
