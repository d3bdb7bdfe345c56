import { TurbineError } from '../core/errors.js';

/** `get`/`replay` of an entry id the dead-letter queue does not hold (purged, or already replayed). */
export class DeadLetterNotFoundError extends TurbineError {
  constructor(readonly entryId: string) {
    super(
      'DEAD_LETTER_NOT_FOUND',
      `Dead-letter entry '${entryId}' not found (it may have been replayed or purged); list entries with 'turbine dlq list'`,
    );
    this.name = 'DeadLetterNotFoundError';
  }
}

/** An entry that cannot be resubmitted: its payload is not a Turbine task, so no tenant owns it. */
export class DeadLetterNotReplayableError extends TurbineError {
  constructor(
    readonly entryId: string,
    readonly reason: string,
  ) {
    super(
      'DEAD_LETTER_NOT_REPLAYABLE',
      `Dead-letter entry '${entryId}' cannot be replayed: ${reason}; it stays in the dead-letter queue until purged (see 'turbine dlq show ${entryId}')`,
    );
    this.name = 'DeadLetterNotReplayableError';
  }
}
