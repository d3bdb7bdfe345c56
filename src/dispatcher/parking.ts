/**
 * Held-back tasks sit in BullMQ's delayed set at this timestamp (2038-01-01), so BullMQ never
 * promotes them by itself while tools still list them. Must equal PARKED_SCORE in
 * src/commands/includes/slots.lua (BullMQ scores are timestamp × 0x1000).
 */
export const PARKED_TIMESTAMP_MS = 2_145_916_800_000;
export const PARKED_SCORE = PARKED_TIMESTAMP_MS * 0x1000;
