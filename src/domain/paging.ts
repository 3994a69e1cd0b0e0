// EXT paging (digest §3.1), the one home of its arithmetic: which rows a page is, and how many pages a total
// makes. The GeoReport list, the staff queue and the headers that link pages all use these.

export interface PageWindow {
  page: number;
  page_size: number;
  limit: number;
  offset: number;
}

/** Page 1 and `defaultSize` rows unless the (validated) input says otherwise. */
export function pageWindow(input: { page?: number; page_size?: number }, defaultSize: number): PageWindow {
  const page = input.page ?? 1;
  const pageSize = input.page_size ?? defaultSize;
  return { page, page_size: pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/** How many pages `total` rows make: at least one (an empty list is one empty page). */
export const pageCount = (total: number, pageSize: number): number => Math.max(1, Math.ceil(total / pageSize));
