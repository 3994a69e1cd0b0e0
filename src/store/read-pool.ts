// Where the public GETs read: a read replica when DATABASE_READ_URL names some, else the primary. Writes,
// the staff API, webhooks and notifications never come here; they use the primary (DATABASE_URL) directly.
import { Open311Error } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Db } from './db.js';

/** How long a replica that failed is left alone before it is tried again. */
const RETRY_AFTER_MS = 5000;

export class ReadPool {
  private next = 0;
  private readonly downUntil: number[];

  constructor(
    readonly primary: Db,
    readonly replicas: readonly Db[] = [],
    private readonly logger?: Logger,
  ) {
    this.downUntil = replicas.map(() => 0);
  }

  /** A replica that is not known to be down (round robin), or undefined for the primary. */
  private pick(now: number): number | undefined {
    for (let tried = 0; tried < this.replicas.length; tried++) {
      const index = this.next;
      this.next = (this.next + 1) % this.replicas.length;
      if (this.downUntil[index]! <= now) return index;
    }
    return undefined;
  }

  /**
   * Runs a read on a replica. When the replica fails (down, restarting, a query cancelled by recovery), the
   * same read runs on the primary: the client sees no error, only the answer. Errors of the request itself
   * (Open311Error: not found, bad parameters) are the answer and are not retried.
   */
  async read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const index = this.pick(Date.now());
    if (index === undefined) return work(this.primary);
    try {
      return await work(this.replicas[index]!);
    } catch (error) {
      if (error instanceof Open311Error) throw error;
      this.downUntil[index] = Date.now() + RETRY_AFTER_MS;
      this.logger?.warn('read replica failed; reading from the primary', {
        replica: index,
        error: error instanceof Error ? error.message : String(error),
      });
      return work(this.primary);
    }
  }

  /**
   * A read by id (a request, a token): a replica that has not replayed the create yet would answer 404 to the
   * client that has just been given the id, so a miss is asked again of the primary (read your own write).
   */
  async readById<T>(work: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await this.read(work);
    } catch (error) {
      if (this.replicas.length === 0 || !(error instanceof Open311Error) || error.status !== 404) throw error;
      return work(this.primary);
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.destroy()));
  }
}
