/*
 * dns_client.c - the integration tests' own resolver client: resolves
 * each argument with getaddrinfo() (the C library's stub resolver, as most
 * programs do) and prints the addresses.  Exit 0 when all resolved.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	int i, failed = 0;

	for (i = 1; i < argc; i++) {
		struct addrinfo hints, *res, *ai;
		int rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		rc = getaddrinfo(argv[i], NULL, &hints, &res);
		if (rc) {
			fprintf(stderr, "%s: %s\n", argv[i], gai_strerror(rc));
			failed = 1;
			continue;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			char s[INET6_ADDRSTRLEN];
			const void *a = ai->ai_family == AF_INET ?
				(const void *)&((struct sockaddr_in *)
						ai->ai_addr)->sin_addr :
				(const void *)&((struct sockaddr_in6 *)
						ai->ai_addr)->sin6_addr;

			if (inet_ntop(ai->ai_family, a, s, sizeof(s)))
				printf("%s %s\n", argv[i], s);
		}
		freeaddrinfo(res);
	}
	return failed;
}
