/* crc32c.h — CRC-32C (Castagnoli), in software: the room log's records
 * (broker/store) and the checksum of a file sent (lib/xferproto.h).
 * Incremental: crc = crc32c_update(0, a, n); crc = crc32c_update(crc,
 * b, m) gives the CRC of a then b. */
#ifndef NATTER_CRC32C_H
#define NATTER_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of what came before (crc, 0 for nothing) followed by
 * buf's len bytes. */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);
/* The same, always with the tables (the tests compare the two). */
uint32_t crc32c_soft(uint32_t crc, const void *buf, size_t len);
/* The CRC-32C of buf's len bytes ("123456789" gives 0xE3069283). */
uint32_t crc32c(const void *buf, size_t len);

#endif
