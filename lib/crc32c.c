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
 * polynomial, reflected): 8 bytes an instruction.  Its result comes 3
 * cycles after it starts but a new one can start every cycle, so a
 * long buffer is taken as three streams at once, blocks of HW_BLOCK
 * bytes each, joined by shifting (the CRC is linear: the state after a
 * block of zeros is a table lookup per byte of the state before it).
 * Only these functions are compiled for SSE4.2, and they run only where
 * the CPU says it has it. */
#define HW_BLOCK 2048
static uint32_t shift_table[4][256]; /* state -> state after HW_BLOCK 0s */
static int shift_made;

__attribute__((target("sse4.2")))
static uint64_t hw_run(uint64_t c, const unsigned char *p, size_t len)
{
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
	return c32;
}

__attribute__((target("sse4.2")))
static void make_shift(void)
{
	static const unsigned char zeros[HW_BLOCK];
	for (int k = 0; k < 4; k++)
		for (uint32_t b = 0; b < 256; b++)
			shift_table[k][b] = (uint32_t)hw_run(
				(uint64_t)b << (8 * k), zeros, sizeof zeros);
	shift_made = 1;
}

static uint32_t shift(uint32_t c)
{
	return shift_table[0][c & 0xFF] ^ shift_table[1][(c >> 8) & 0xFF] ^
	       shift_table[2][(c >> 16) & 0xFF] ^ shift_table[3][c >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c = ~crc;
	if (len >= 3 * HW_BLOCK && !shift_made)
		make_shift();
	while (len >= 3 * HW_BLOCK) {
		uint64_t a = c, b = 0, d = 0;
		for (size_t i = 0; i < HW_BLOCK; i += 8) {
			uint64_t va, vb, vd;
			memcpy(&va, p + i, 8);
			memcpy(&vb, p + HW_BLOCK + i, 8);
			memcpy(&vd, p + 2 * HW_BLOCK + i, 8);
			a = _mm_crc32_u64(a, va);
			b = _mm_crc32_u64(b, vb);
			d = _mm_crc32_u64(d, vd);
		}
		c = shift(shift((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)d;
		p += 3 * HW_BLOCK;
		len -= 3 * HW_BLOCK;
	}
	return ~(uint32_t)hw_run(c, p, len);
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
