// Group commit for new service requests. Creates that arrive while earlier batches are being written wait and
// go together in the next statement: at low load a create is written at once, alone; under load many share one
// round trip, one plan and one commit (fsync), which is what lets creates scale on modest hardware. Every
// create is still answered only after the statement holding it has committed.
import type { Db } from './db.js';
import { insertRequests } from './requests-store.js';
import type { CreatedRequest, NewServiceRequest } from '../domain/types.js';

interface Pending {
  request: NewServiceRequest;
  resolve: (created: CreatedRequest | undefined) => void;
  reject: (error: unknown) => void;
}

export interface RequestWriterOptions {
  /** Most requests in one statement. */
  maxBatch?: number;
  /** Statements in flight at once; creates arriving while all are busy wait for the next batch. */
  maxInFlight?: number;
  /** E-mail notifications are on: the statement also writes confirmations and area alerts. */
  notifications?: boolean;
}

export class RequestWriter {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly notifications: boolean;

  constructor(
    private readonly db: Db,
    options: RequestWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.notifications = options.notifications ?? false;
  }

  /** Stores one request; undefined when its API key or catalog changed since it was validated (see insertRequests). */
  insert(request: NewServiceRequest): Promise<CreatedRequest | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes on the next turn of the event loop, so creates parsed in the same turn share a statement. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
        void this.write(this.queue.splice(0, this.maxBatch));
      }
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    this.inFlight += 1;
    try {
      await this.writeBatch(batch);
    } finally {
      this.inFlight -= 1;
      this.schedule();
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      const created = await insertRequests(
        this.db,
        batch.map((item) => item.request),
        { notifications: this.notifications },
      );
      for (const [index, item] of batch.entries()) item.resolve(created[index]);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One bad request (say, an Idempotency-Key a concurrent create just used) must not fail the others:
      // write each alone, so that each gets its own answer.
      await Promise.all(batch.map((item) => this.writeBatch([item])));
    }
  }
}
