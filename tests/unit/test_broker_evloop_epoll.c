/* test_broker_evloop_epoll.c — the cases of test_broker_evloop.c run
 * against the epoll(7) event loop, where there is one. */
#if defined(__linux__)
#define EVLOOP_TEST_EPOLL 1
#include "test_broker_evloop.c"
#else
#include "unit.h"
int main(void)
{
	return UNIT_DONE();
}
#endif
