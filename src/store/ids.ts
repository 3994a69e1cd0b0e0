// Request ids are bigint: only all-digit text within range can match, anything else matches nothing (never a
// cast error). A module of its own so that every store module can use it without importing requests-store,
// whose create statement is built at load time from other modules' SQL (an import cycle would leave those
// fragments undefined).
const ID_PATTERN = /^[1-9]\d{0,17}$/;
export const isStorableId = (id: string): boolean => ID_PATTERN.test(id);
