/* hello — the trivial inetd program of the connection-rate benchmark.
 *
 * Contract: writes "hello\r\n" to fd 1 (the connection, under natterd,
 * tcpserver, xinetd or inetd) and exits 0; exits 111 if the write fails.
 * It reads nothing, so what is measured is the super-server's cost of
 * accepting, forking and executing a program. */
#include <unistd.h>

#include "io.h"

int main(void)
{
	static const char msg[] = "hello\r\n";

	if (io_write_all(1, msg, sizeof msg - 1, 5000) == -1)
		_exit(111);
	return 0;
}
