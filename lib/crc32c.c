/* crc32c.c — CRC-32C, reflected polynomial 0x82F63B78, slicing by 8
 * (eight table lookups per 8 bytes: several times one-a-byte, enough
 * to checksum a file at the speed loopback carries it).  The tables
 * are made on first use; the programs using it have one thread. */
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

uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len)
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

uint32_t crc32c(const void *buf, size_t len)
{
	return crc32c_update(0, buf, len);
}
