/* crc32c.c — CRC-32C, reflected polynomial 0x82F63B78: the CPU's own
 * instruction where there is one (x86-64 with SSE4.2), else slicing by
 * 8 (eight table lookups per 8 bytes, several times one a byte).  The
 * tables are made on first use; the programs using it have one thread. */
#include "crc32c.h"

#include <string.h>

static uint32_t table[8][256];
static int made;

static void make_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		table[0][i] = c;
	}
	for (int t = 1; t < 8; t++)
		for (int i = 0; i < 256; i++)
			table[t][i] = (table[t - 1][i] >> 8) ^
				      table[0][table[t - 1][i] & 0xFF];
	made = 1;
}

/* Eight bytes at once, as little-endian words whatever the host. */
static uint32_t step8(uint32_t crc, const unsigned char *p)
{
	uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
	return table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^
	       table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
	       table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^
	       table[0][p[7]];
}

uint32_t crc32c_soft(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	if (!made)
		make_tables();
	crc = ~crc;
	while (len >= 8) {
		crc = step8(crc, p);
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

/* SSE4.2's crc32 instruction computes this very CRC (the Castagnoli
 * polynomial, reflected): 8 bytes an instruction, several times the
 * tables' speed.  Only this function is compiled for SSE4.2, and it
 * runs only where the CPU says it has it. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c = ~crc;
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (len--)
		c32 = _mm_crc32_u8(c32, *p++);
	return ~c32;
}

uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	static int hw = -1;
	if (hw < 0) {
		__builtin_cpu_init();
		hw = __builtin_cpu_supports("sse4.2") != 0;
	}
	return hw ? crc32c_hw(crc, buf, len) : crc32c_soft(crc, buf, len);
}
#else
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_soft(crc, buf, len);
}
#endif

uint32_t crc32c(const void *buf, size_t len)
{
	return crc32c_update(0, buf, len);
}
