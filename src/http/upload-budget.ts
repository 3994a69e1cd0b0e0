// How many bytes of request bodies all requests of this process may hold in memory together
// (config.uploadMemoryBudgetBytes): uploaded files and the text of forms and JSON bodies alike, since a flood
// of 1 MiB forms fills memory as surely as one of photos. Each chunk is reserved before it is kept; a request
// that would go over the budget is answered 503 + Retry-After at once, without reading the rest of its
// body, so memory stays flat under an upload flood. A request's bytes are given back when its answer is done.
import type { Request } from 'express';

/** One request's share of the budget. */
export interface BodyLease {
  /** Reserves `bytes`; false (reserving nothing) when the budget cannot hold them now. */
  take(bytes: number): boolean;
}

export class UploadBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes reserved now, across all requests. */
  get inUse(): number {
    return this.used;
  }

  /**
   * A reservation for one request: `take(bytes)` is false (and reserves nothing) when the budget cannot hold
   * them. Everything it took is released once, when the request's answer is finished or its connection closes.
   */
  leaseFor(req: Request): BodyLease {
    let held = 0;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.used -= held;
      held = 0;
    };
    (req.res ?? req).once('close', release);
    return {
      take: (bytes: number): boolean => {
        if (released || this.used + bytes > this.limitBytes) return false;
        this.used += bytes;
        held += bytes;
        return true;
      },
    };
  }
}
